"""Putting work in the outbox and looking at it: enqueue, list, re-run dead jobs.

Everything here runs in the caller's transaction and only flushes: a job enqueued by a
request exists if and only if the request's other changes were committed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clearinghouse.audit import service as audit
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.principal import Principal
from clearinghouse.timeutil import ensure_utc

MAX_KEY_LENGTH = 300


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    run_after: datetime | None = None,
    idempotency_key: str | None = None,
    max_attempts: int | None = None,
    deliver_by: datetime | None = None,
) -> Job:
    """Add a job to the caller's transaction (flushed, not committed) and return it.

    With an ``idempotency_key``, a second enqueue with the same key returns the first job
    (whatever its status) instead of adding one: keys are for ever, so put the period in
    them (``digest:<user>:2024-05-01``). Concurrent enqueues with one key are safe: the
    database's unique index decides, via ``INSERT ... ON CONFLICT DO NOTHING``.
    """
    if not kind or len(kind) > 100:
        raise InvalidInput("a job kind is 1-100 characters", field="kind")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
        raise InvalidInput(
            f"an idempotency key is 1-{MAX_KEY_LENGTH} characters", field="idempotency_key"
        )
    if max_attempts is not None and max_attempts < 1:
        raise InvalidInput("max_attempts must be at least 1", field="max_attempts")
    now = ensure_utc(now)
    values = {
        "id": uuid.uuid4(),
        "kind": kind,
        "payload": payload,
        "idempotency_key": idempotency_key,
        "status": JobStatus.PENDING,
        "attempts": 0,
        "max_attempts": max_attempts,
        "deliver_by": ensure_utc(deliver_by) if deliver_by is not None else None,
        "run_after": ensure_utc(run_after) if run_after is not None else now,
        "created_at": now,
    }
    if idempotency_key is None:
        job = Job(**values)
        session.add(job)
        session.flush()
        return job
    session.flush()  # pending ORM changes first, so the statement below sees them
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Job).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    session.execute(statement)
    return session.scalars(select(Job).where(Job.idempotency_key == idempotency_key)).one()


def get_job(session: Session, job_id: uuid.UUID) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


def list_jobs(
    session: Session,
    status: JobStatus | None = None,
    *,
    kind: str | None = None,
    limit: int = 100,
    before: datetime | None = None,
    after_key: tuple[datetime, uuid.UUID] | None = None,
) -> list[Job]:
    """Jobs, newest first. ``before`` (a ``created_at``) pages backwards; ``after_key``
    (the last row's ``(created_at, id)``) continues a page exactly, ties included."""
    query = (
        select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(max(1, min(limit, 1000)))
    )
    if after_key is not None:
        at, last_id = ensure_utc(after_key[0]), after_key[1]
        query = query.where(or_(Job.created_at < at, and_(Job.created_at == at, Job.id < last_id)))
    if status is not None:
        query = query.where(Job.status == status)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if before is not None:
        query = query.where(Job.created_at < ensure_utc(before))
    return list(session.scalars(query))


def count_by_status(session: Session) -> dict[JobStatus, int]:
    """How many jobs are in each state (for health checks and the operator's dashboard)."""
    counts = dict.fromkeys(JobStatus, 0)
    for status, count in session.execute(select(Job.status, func.count()).group_by(Job.status)):
        counts[JobStatus(status)] = count
    return counts


def requeue_dead(session: Session, job_id: uuid.UUID, actor: Principal, now: datetime) -> Job:
    """Run a dead-lettered job again, from a fresh attempt count (audited)."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotFound(f"no job {job_id}")
    if job.status is not JobStatus.DEAD:
        raise Conflict(
            f"job {job_id} is {job.status.value}; only dead jobs can be re-run",
            status_now=job.status.value,
        )
    now = ensure_utc(now)
    before = {"attempts": job.attempts, "last_error": job.last_error}
    job.status = JobStatus.PENDING
    job.attempts = 0
    job.run_after = now
    job.locked_by = None
    job.locked_until = None
    job.finished_at = None
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="job.requeued",
        object_type="job",
        object_id=job.id,
        at=now,
        change={"kind": job.kind, "previous": before},
    )
    return job


def purge_finished(session: Session, *, older_than: timedelta, now: datetime) -> int:
    """Delete done jobs finished more than ``older_than`` ago (dead ones are kept).

    Idempotency keys go with them, so keep jobs longer than any key could be reused.
    """
    cutoff = ensure_utc(now) - older_than
    result = session.execute(
        delete(Job).where(Job.status == JobStatus.DONE, Job.finished_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
