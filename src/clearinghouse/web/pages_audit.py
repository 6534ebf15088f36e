"""The operator's view of the platform's own record and machinery: the audit trail with
its filters (and ``?at=``: the trail as it stood then), the chain's verification with its
head hash, and the jobs with their dead letters, which an administrator can requeue."""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from fastapi import Query
from starlette.responses import HTMLResponse, Response

from clearinghouse.api.deps import admitted_router
from clearinghouse.audit import service as audit
from clearinghouse.errors import ClearinghouseError, InvalidInput
from clearinghouse.jobs import queue
from clearinghouse.jobs.models import JobStatus
from clearinghouse.policy import AccountAction, can_account, org_scope, require_account
from clearinghouse.web import asat
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import FieldErrors, errors_of

router = admitted_router(include_in_schema=False)

PAGE_SIZE: Final = 50  # as the API's default page
HEAD_PATTERN: Final = "^[0-9a-fA-F]{64}$"


def _seq(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput("not an audit entry number", field="after")
    return int(value)


@router.get("/audit", response_class=HTMLResponse)
def trail(
    page: PageDep,
    object_type: Annotated[str | None, Query(max_length=50)] = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    at: Annotated[str | None, Query(max_length=asat.MAX_LENGTH)] = None,
    after: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    p = page.principal
    require_account(p, AccountAction.AUDIT_READ)
    asked = asat.parse_at(at, page.viewer.zone)
    visible = org_scope(p)
    where = audit.TrailFilter(
        everything=visible.everything,
        owner_org_id=visible.org_id,
        object_type=object_type or None,
        object_id=object_id or None,
        action=action or None,
        at=asked,
    )
    rows = audit.trail(page.session, where, after_seq=_seq(after), limit=PAGE_SIZE + 1)
    filters = {
        "object_type": object_type or "",
        "object_id": object_id or "",
        "action": action or "",
        "at": asat.local_value(asked, page.viewer.zone),
    }
    return page.render(
        "audit.html",
        items=rows[:PAGE_SIZE],
        next_after=str(rows[PAGE_SIZE - 1].seq) if len(rows) > PAGE_SIZE else None,
        filters=filters,
        at=asked,
        may_verify=can_account(p, AccountAction.AUDIT_VERIFY),
    )


@router.get("/audit/verify", response_class=HTMLResponse)
def verify(
    page: PageDep,
    expect_head: Annotated[str | None, Query(max_length=64, pattern=HEAD_PATTERN)] = None,
) -> HTMLResponse:
    require_account(page.principal, AccountAction.AUDIT_VERIFY)
    result = audit.verify(page.session, expect_head=expect_head or None)
    return page.render("audit_verify.html", result=result, expect_head=expect_head or "")


def _job_list(
    page: Page,
    status: JobStatus | None,
    after: str | None,
    *,
    errors: FieldErrors | None = None,
    code: int = 200,
) -> HTMLResponse:
    after_key = None
    if after:
        try:
            last = queue.get_job(page.session, uuid.UUID(after))
        except (ValueError, ClearinghouseError):
            raise InvalidInput("not a job on this list", field="after") from None
        after_key = (last.created_at, last.id)
    rows = queue.list_jobs(page.session, status, limit=PAGE_SIZE + 1, after_key=after_key)
    return page.render(
        "jobs.html",
        status=code,
        items=rows[:PAGE_SIZE],
        next_after=str(rows[PAGE_SIZE - 1].id) if len(rows) > PAGE_SIZE else None,
        counts=queue.count_by_status(page.session),
        status_filter=status.value if status else "",
        states=list(JobStatus),
        errors=errors or FieldErrors(),
    )


@router.get("/jobs", response_class=HTMLResponse)
def jobs(
    page: PageDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    # asked before the query is read, so a visitor is offered the sign-in page whatever it holds
    require_account(page.principal, AccountAction.JOBS_ADMIN)
    try:
        state = JobStatus(status) if status else None
    except ValueError:
        raise InvalidInput("not a job status", field="status") from None
    return _job_list(page, state, after)


@router.post("/jobs/{job_id}/requeue", response_class=HTMLResponse)
def requeue(job_id: str, page: PageDep) -> Response:
    require_account(page.principal, AccountAction.JOBS_ADMIN)
    try:
        with page.attempt():
            job = queue.requeue_dead(page.session, _job_id(job_id), page.principal, page.now())
    except ClearinghouseError as exc:
        return _job_list(page, JobStatus.DEAD, None, errors=errors_of(page._, exc), code=exc.status)
    return page.redirect(f"/jobs?status=dead&requeued={job.id}")


def _job_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)  # answered as a missing job
