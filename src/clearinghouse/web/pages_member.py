"""A member's work: its dashboard, its obligations, the reports it drafts for regulators.

* ``/work``: the dashboard: open obligations with live countdowns, the cases it takes
  part in, its notifications (marked read by ``POST /notifications/read``).
* ``/obligations``: every obligation the caller may read, as ``GET /api/v1/obligations``
  answers it (regime, stage, basis, flags, the alerts sent), each with "Draft the report".
* ``/submissions/{id}``: the drafted report (pre-filled from the case), its fields to
  complete, "mark submitted"; ``/submissions/{id}/print`` is the same report to print.

Every page asks the standing policy exactly as the matching API route does, and drafts
and submits through :mod:`clearinghouse.standing.submissions`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Final

from fastapi import Query
from sqlalchemy import select
from starlette.responses import HTMLResponse, Response

from clearinghouse.accounts.models import MemberSanction, Organisation
from clearinghouse.accounts.suspension import active_suspension
from clearinghouse.api.deps import admitted_router
from clearinghouse.cases import access
from clearinghouse.cases.models import Case
from clearinghouse.clocks.alerts import Alert, alerts_due
from clearinghouse.clocks.model import Obligation, ObligationStatus
from clearinghouse.errors import ClearinghouseError, NotFound
from clearinghouse.notify import service as notices
from clearinghouse.notify.models import Notification
from clearinghouse.policy import (
    MISSING,
    AccountAction,
    CaseAction,
    Decision,
    StandingAction,
    can_account,
    can_case,
    case_scope,
    decide_standing,
    org_scope,
    require_account,
    require_standing,
)
from clearinghouse.standing import obligations as obl
from clearinghouse.standing import submissions
from clearinghouse.standing.models import Submission, SubmissionState
from clearinghouse.timeutil import accepted
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import N_, FieldErrors, errors_of
from clearinghouse.web.obligation_words import ObligationWords

router = admitted_router(include_in_schema=False)

DASHBOARD_CASES: Final = 20
DASHBOARD_NOTICES: Final = 20
MAX_MARKED: Final = 100
FIELD_MAX: Final = 50_000
REFERENCE_MAX: Final = 300

OBLIGATION_STATES: Final = {
    ObligationStatus.PENDING: N_("pending"),
    ObligationStatus.DUE_SOON: N_("due soon"),
    ObligationStatus.MET: N_("met"),
    ObligationStatus.MET_LATE: N_("met late"),
    ObligationStatus.MISSED: N_("missed"),
    ObligationStatus.NOT_APPLICABLE: N_("not applicable"),
    ObligationStatus.WAITING: N_("waiting"),
}
STATE_CSS: Final = {
    ObligationStatus.PENDING: "neutral",
    ObligationStatus.DUE_SOON: "warn",
    ObligationStatus.MET: "ok",
    ObligationStatus.MET_LATE: "warn",
    ObligationStatus.MISSED: "bad",
    ObligationStatus.NOT_APPLICABLE: "grey",
    ObligationStatus.WAITING: "grey",
}
SUBMISSION_STATES: Final = {
    SubmissionState.DRAFT: N_("draft"),
    SubmissionState.SUBMITTED: N_("submitted"),
}


@dataclass(frozen=True)
class Row:
    """One obligation as a page shows it: its alerts sent and how long is left."""

    obligation: Obligation
    alerts: list[Alert]
    remaining: timedelta | None  # None: no due instant yet (waiting) or settled

    @property
    def key(self) -> str:
        o = self.obligation
        return f"{o.organisation}/{o.subject}/{o.regime}/{o.stage}"


@dataclass(frozen=True)
class Standing:
    suspension: MemberSanction | None
    record: list[obl.RegimeRecord]


def status_words(page: Page) -> dict[str, str]:
    return {k.value: page._(v) for k, v in OBLIGATION_STATES.items()}


def _readable(page: Page) -> uuid.UUID | None:
    """The organisation whose obligations the caller reads (None: every one), once the
    policy allows it: the same question ``GET /api/v1/obligations`` asks."""
    visible = org_scope(page.principal)
    org_id = None if visible.everything else visible.org_id
    require_standing(page.principal, StandingAction.OBLIGATIONS_READ, org_id)
    return org_id


def obligation_rows(page: Page, org_id: uuid.UUID | None) -> list[Row]:
    now = page.now()
    items, _ = obl.obligations(page.session, page.settings, now, org_id=org_id)
    thresholds = obl.thresholds_for(page.settings)
    rows = []
    for o in items:
        remaining = o.due - now if o.due is not None and o.open else None
        rows.append(Row(o, alerts_due(o, thresholds, now), remaining))
    return rows


URGENCY: Final = (ObligationStatus.MISSED, ObligationStatus.DUE_SOON, ObligationStatus.PENDING)
LAST: Final = datetime.max.replace(tzinfo=UTC)


def _urgency(row: Row) -> tuple[int, datetime]:
    """Missed first, then due soon, then pending; the earliest due first within each."""
    o = row.obligation
    rank = URGENCY.index(o.status) if o.status in URGENCY else len(URGENCY)
    return rank, o.due or LAST


def _cases(page: Page) -> list[Case]:
    if not can_case(page.principal, CaseAction.CASE_LIST):
        return []
    query = (
        select(Case)
        .where(access.cases_in(case_scope(page.principal)))
        .order_by(Case.id.desc())
        .limit(DASHBOARD_CASES)
    )
    return list(page.session.scalars(query))


def _notices(page: Page) -> list[Notification]:
    user_id = page.principal.user_id
    if user_id is None or not can_account(page.principal, AccountAction.NOTIFICATIONS_READ):
        return []
    return notices.list_notifications(page.session, user_id, limit=DASHBOARD_NOTICES)


@router.get("/work", response_class=HTMLResponse)
def dashboard(page: PageDep) -> HTMLResponse:
    org_id = _readable(page)
    every = obligation_rows(page, org_id)
    rows = sorted((r for r in every if r.obligation.open), key=_urgency)
    standing = None
    if org_id is not None:  # a member's own standing, as /organisations/{slug}/standing
        standing = Standing(
            suspension=active_suspension(page.session, org_id, page.now()),
            record=obl.compliance_record([r.obligation for r in every]),
        )
    return page.render(
        "work.html",
        rows=rows,
        standing=standing,
        cases=_cases(page),
        notices=_notices(page),
        can_mark=can_account(page.principal, AccountAction.NOTIFICATIONS_UPDATE),
        obligation_states=status_words(page),
        state_css={k.value: v for k, v in STATE_CSS.items()},
        now=page.now(),
    )


@router.get("/obligations", response_class=HTMLResponse)
def obligations_page(
    page: PageDep, status: Annotated[str, Query(max_length=20)] = ""
) -> HTMLResponse:
    org_id = _readable(page)
    rows = obligation_rows(page, org_id)
    chosen = status if status in {s.value for s in ObligationStatus} else ""
    if chosen:
        rows = [r for r in rows if r.obligation.status.value == chosen]
    orgs = _org_slugs(page, rows)
    return page.render(
        "obligations.html",
        rows=rows,
        status_filter=chosen,
        statuses=list(ObligationStatus),
        obligation_states=status_words(page),
        state_css={k.value: v for k, v in STATE_CSS.items()},
        can_draft={r.key: _may_draft(page, r.obligation.organisation, orgs) for r in rows},
        obligation_words=ObligationWords(page.viewer, obl.regimes_for(page.settings)),
        now=page.now(),
    )


def _org_slugs(page: Page, rows: list[Row]) -> dict[str, uuid.UUID]:
    slugs = {r.obligation.organisation for r in rows}
    if not slugs:
        return {}
    found = page.session.execute(
        select(Organisation.slug, Organisation.id).where(Organisation.slug.in_(slugs))
    ).all()
    return dict(found)


def _may_draft(page: Page, slug: str, orgs: dict[str, uuid.UUID]) -> bool:
    org_id = orgs.get(slug)
    return org_id is not None and _may_write(page, org_id)


def _org(page: Page, slug: str, action: StandingAction) -> Organisation:
    org = page.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if org is None:
        require_standing(page.principal, action, MISSING)
        raise NotFound("no such organisation")
    require_standing(page.principal, action, org.id)
    return org


@router.post("/obligations/draft")
def draft_report(page: PageDep) -> Response:
    """Draft the regulator's report for one obligation, pre-filled from its case."""
    org = _org(page, page.field("organisation")[:64], StandingAction.SUBMISSION_WRITE)
    submission, _ = submissions.create_draft(
        page.session,
        page.settings,
        actor=page.principal,
        org=org,
        subject=page.field("subject")[:100],
        regime=page.field("regime")[:100],
        stage=page.field("stage")[:100],
        now=page.now(),
    )
    return page.redirect(f"/submissions/{submission.id}")


def _submission(page: Page, submission_id: str, action: StandingAction) -> Submission:
    try:
        found = page.session.get(Submission, uuid.UUID(submission_id))
    except ValueError:
        found = None
    if found is None:
        require_standing(page.principal, action, MISSING)
        raise NotFound("no such submission")
    require_standing(page.principal, action, found.org_id)
    return found


def _submission_page(
    page: Page,
    s: Submission,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    saved: bool = False,
) -> HTMLResponse:
    return page.render(
        "submission.html",
        status=status,
        s=s,
        c=s.content,
        errors=errors or FieldErrors(),
        values=values or {},
        saved=saved,
        editable=s.state is SubmissionState.DRAFT and _may_write(page, s.org_id),
        submission_states={k.value: page._(v) for k, v in SUBMISSION_STATES.items()},
        obligation_states=status_words(page),
    )


def _may_write(page: Page, org_id: uuid.UUID) -> bool:
    """Whether the page offers the forms that write (the routes ask again)."""
    decided = decide_standing(page.principal, StandingAction.SUBMISSION_WRITE, org_id)
    return decided is Decision.ALLOW


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(
    submission_id: str, page: PageDep, saved: Annotated[bool, Query()] = False
) -> HTMLResponse:
    s = _submission(page, submission_id, StandingAction.OBLIGATIONS_READ)
    return _submission_page(page, s, saved=saved)


@router.get("/submissions/{submission_id}/print", response_class=HTMLResponse)
def submission_print(submission_id: str, page: PageDep) -> HTMLResponse:
    s = _submission(page, submission_id, StandingAction.OBLIGATIONS_READ)
    return page.render(
        "submission_print.html",
        s=s,
        c=s.content,
        submission_states={k.value: page._(v) for k, v in SUBMISSION_STATES.items()},
    )


@router.post("/submissions/{submission_id}", response_class=HTMLResponse)
def save_fields(submission_id: str, page: PageDep) -> Response:
    s = _submission(page, submission_id, StandingAction.SUBMISSION_WRITE)
    known = [f["id"] for f in s.content.get("fields", [])]
    values = {name: page.field(f"field-{name}") for name in known}
    errors = FieldErrors()
    for name, value in values.items():
        if len(value) > FIELD_MAX:
            errors.add(f"field-{name}", page._("This answer is too long."))
    if errors:
        return _submission_page(page, s, errors=errors, values=values, status=422)
    try:
        with page.attempt():
            submissions.update_fields(
                page.session, actor=page.principal, submission=s, values=values, now=page.now()
            )
    except ClearinghouseError as exc:
        errors = errors_of(page._, exc)
        return _submission_page(page, s, errors=errors, values=values, status=exc.status)
    return page.redirect(f"/submissions/{s.id}?saved=true")


NEED_REFERENCE: Final = N_("Give the regulator's reference (receipt number).")
NEED_INSTANT: Final = N_("Give when the report was sent, not later than now.")


@router.post("/submissions/{submission_id}/submit", response_class=HTMLResponse)
def mark_submitted(submission_id: str, page: PageDep) -> Response:
    s = _submission(page, submission_id, StandingAction.SUBMISSION_WRITE)
    reference = page.field("reference").strip()[:REFERENCE_MAX]
    recipient = page.field("recipient").strip()[:REFERENCE_MAX] or None
    when_text = page.field("submitted_at").strip()[:40]
    values = {"reference": reference, "recipient": recipient or "", "submitted_at": when_text}
    errors = FieldErrors()
    if not reference:
        errors.add("reference", page._(NEED_REFERENCE))
    submitted_at = page.now()
    if when_text:
        try:  # a browser's datetime-local field: read in the viewer's zone
            local = datetime.fromisoformat(when_text)
            submitted_at = accepted(
                local if local.tzinfo else local.replace(tzinfo=page.viewer.zone)
            )
        except ValueError:  # InstantOutOfRange too: 0001-01-01T00:00 in Asia/Shanghai
            errors.add("submitted_at", page._(NEED_INSTANT))
        else:
            if submitted_at > page.now():
                errors.add("submitted_at", page._(NEED_INSTANT))
    if errors:
        return _submission_page(page, s, errors=errors, values=values, status=422)
    try:
        with page.attempt():
            submissions.mark_submitted(
                page.session,
                actor=page.principal,
                submission=s,
                reference=reference,
                recipient=recipient,
                submitted_at=submitted_at,
                now=page.now(),
            )
    except ClearinghouseError as exc:
        errors = errors_of(page._, exc)
        return _submission_page(page, s, errors=errors, values=values, status=exc.status)
    return page.redirect(f"/submissions/{s.id}")


@router.post("/notifications/read")
def mark_read(page: PageDep) -> Response:
    """Mark one notice read (``id``), or every notice shown (``all``)."""
    require_account(page.principal, AccountAction.NOTIFICATIONS_UPDATE)
    user_id = page.principal.user_id
    form = page.presented.form
    wanted = form.getlist("id")[:MAX_MARKED] if form is not None else []
    ids = []
    for value in wanted:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    if user_id is not None and ids:
        notices.mark_read(page.session, user_id, ids, page.now())
    return page.redirect("/work#notifications")
