"""Jobs over HTTP (operator administrators): list, inspect, count, re-run dead jobs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from clearinghouse.api.deps import CtxDep, admitted_router
from clearinghouse.api.pagination import Page, clamp_limit, issue_cursor, read_cursor
from clearinghouse.errors import InvalidInput
from clearinghouse.jobs import queue
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.policy import AccountAction, require_account
from clearinghouse.timeutil import format_instant, parse_instant

router = admitted_router(prefix="/api/v1/jobs", tags=["jobs"])


class JobOut(BaseModel):
    id: uuid.UUID
    kind: str
    status: JobStatus
    attempts: int
    max_attempts: int | None
    run_after: datetime
    created_at: datetime
    finished_at: datetime | None
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    idempotency_key: str | None
    payload: dict[str, Any]


def _out(job: Job, withheld: Mapping[str, frozenset[str]]) -> JobOut:
    hidden = withheld.get(job.kind, frozenset())
    payload = {
        k: (f"[withheld: {len(str(v))} characters]" if k in hidden else v)
        for k, v in job.payload.items()
    }
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        run_after=job.run_after,
        created_at=job.created_at,
        finished_at=job.finished_at,
        locked_by=job.locked_by,
        locked_until=job.locked_until,
        last_error=job.last_error,
        idempotency_key=job.idempotency_key,
        payload=payload,
    )


def _after_key(key: list[Any] | None) -> tuple[datetime, uuid.UUID] | None:
    if key is None:
        return None
    try:
        return parse_instant(str(key[0])), uuid.UUID(str(key[1]))
    except (ValueError, IndexError) as exc:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from exc


@router.get("", response_model=Page[JobOut], summary="Jobs, newest first")
def list_jobs(
    ctx: CtxDep,
    status: JobStatus | None = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[JobOut]:
    require_account(ctx.principal, AccountAction.JOBS_ADMIN)
    n = clamp_limit(limit)
    rows = queue.list_jobs(
        ctx.session, status, kind=kind, limit=n + 1, after_key=_after_key(read_cursor(ctx, cursor))
    )
    next_cursor = None
    if len(rows) > n:
        last = rows[n - 1]
        next_cursor = issue_cursor(ctx, [format_instant(last.created_at, micro=True), str(last.id)])
    return Page(
        items=[_out(j, ctx.runtime.withheld_payload) for j in rows[:n]], next_cursor=next_cursor
    )


@router.get("/counts", response_model=dict[JobStatus, int], summary="Jobs per status")
def counts(ctx: CtxDep) -> dict[JobStatus, int]:
    require_account(ctx.principal, AccountAction.JOBS_ADMIN)
    return queue.count_by_status(ctx.session)


@router.get("/{job_id}", response_model=JobOut, summary="One job")
def get_job(job_id: uuid.UUID, ctx: CtxDep) -> JobOut:
    require_account(ctx.principal, AccountAction.JOBS_ADMIN)
    return _out(queue.get_job(ctx.session, job_id), ctx.runtime.withheld_payload)


@router.post("/{job_id}/requeue", response_model=JobOut, summary="Run a dead job again")
def requeue(job_id: uuid.UUID, ctx: CtxDep) -> JobOut:
    require_account(ctx.principal, AccountAction.JOBS_ADMIN)
    job = queue.requeue_dead(ctx.session, job_id, ctx.principal, ctx.now())
    return _out(job, ctx.runtime.withheld_payload)
