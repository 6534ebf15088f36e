"""Obligations, the compliance record, sanctions and submissions over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from clearinghouse.accounts.models import MemberSanction, Organisation
from clearinghouse.api.deps import CtxDep, admitted_router
from clearinghouse.api.freeform import FreeformObject
from clearinghouse.api.instants import Instant
from clearinghouse.api.media import answers
from clearinghouse.cases.access import load_case
from clearinghouse.clocks.alerts import alerts_due, upcoming_alerts
from clearinghouse.clocks.model import ObligationStatus
from clearinghouse.errors import NotFound
from clearinghouse.policy import (
    MISSING,
    CaseAction,
    StandingAction,
    can_case,
    org_scope,
    require_standing,
)
from clearinghouse.standing import obligations as obl
from clearinghouse.standing import overrides, sanctions, submissions
from clearinghouse.standing.models import ReassessmentOutcome, Submission
from clearinghouse.standing.schemas import (
    BoardOut,
    ObligationOut,
    ObligationsOut,
    OverrideDecisionOut,
    OverrideOut,
    RegimeRecordOut,
)

router = admitted_router(prefix="/api/v1", tags=["obligations and standing"])


class SanctionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: Instant | None = Field(
        None, description="default: when decided; before that only with `retroactive`"
    )
    retroactive: bool = Field(
        False, description="the suspension reaches back before its decision (said explicitly)"
    )
    months: int | None = Field(None, ge=1, le=120)
    days: int | None = Field(None, ge=1, le=3650)
    reassessment_at: Instant | None = None
    reason: str = Field(min_length=1, max_length=4000)
    basis: FreeformObject = Field(
        default_factory=dict,
        description="free-form JSON: at most 32 levels and 64 KiB, integers of 64 bits, "
        "finite numbers",
    )


class SanctionOut(BaseModel):
    id: uuid.UUID
    kind: str
    state: str = Field(
        description="as of the answer's instant: scheduled, active (in force), ended or reinstated"
    )
    in_force: bool
    retroactive: bool = Field(description="it took effect before it was decided, as it said")
    starts_at: datetime
    ends_at: datetime
    reassessment_at: datetime
    reason: str
    basis: dict[str, Any]
    decided_by: str
    decided_at: datetime


class ReassessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: ReassessmentOutcome
    reason: str = Field(min_length=1, max_length=4000)
    extend_months: int | None = Field(None, ge=1, le=120)
    extend_days: int | None = Field(None, ge=1, le=3650)


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regime: str = Field(min_length=1, max_length=100)
    subject: str | None = Field(None, max_length=100, description="case id; omit for all subjects")
    applies: bool
    reason: str = Field(min_length=1, max_length=4000)


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisation: str = Field(max_length=64)
    subject: str = Field(max_length=100)
    regime: str = Field(max_length=100)
    stage: str = Field(max_length=100)


class FieldsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: dict[str, str] = Field(max_length=100)


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1, max_length=300)
    recipient: str | None = Field(None, max_length=300)
    submitted_at: Instant | None = Field(None, description="default: now")


class SubmissionOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    subject: str
    regime: str
    stage: str
    state: str
    content: dict[str, Any]
    reference: str | None
    recipient: str | None
    submitted_at: datetime | None
    event_id: str | None


def _org(ctx: CtxDep, slug: str) -> Organisation:
    org = ctx.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if org is None:
        require_standing(ctx.principal, StandingAction.OBLIGATIONS_READ, MISSING)
        raise NotFound(f"no organisation {slug!r}")
    return org


def _sanction_out(v: sanctions.SanctionView) -> SanctionOut:
    s = v.sanction
    return SanctionOut(
        id=s.id,
        kind=s.kind.value,
        state=v.status.value,
        in_force=v.in_force,
        retroactive=s.retroactive,
        starts_at=s.starts_at,
        ends_at=v.ends_at,
        reassessment_at=v.reassessment_at,
        reason=s.reason,
        basis=s.basis,
        decided_by=s.decided_by_label,
        decided_at=s.decided_at,
    )


def _sanction_now(s: MemberSanction, ctx: CtxDep) -> SanctionOut:
    return _sanction_out(sanctions.as_stored(s, ctx.now()))


def submission_out(s: Submission) -> SubmissionOut:
    return SubmissionOut(
        id=s.id,
        organisation_id=s.org_id,
        subject=s.subject,
        regime=s.regime,
        stage=s.stage,
        state=s.state.value,
        content=s.content,
        reference=s.reference,
        recipient=s.recipient,
        submitted_at=s.submitted_at,
        event_id=s.event_id,
    )


@router.get(
    "/obligations",
    response_model=ObligationsOut,
    response_model_exclude_unset=True,  # ``anchor_source`` only where the event says
    summary="Reporting obligations derived from recorded events",
)
def list_obligations(
    ctx: CtxDep,
    organisation: Annotated[str | None, Query(max_length=64)] = None,
    case: Annotated[str | None, Query(max_length=20, description="case public id")] = None,
    status: Annotated[ObligationStatus | None, Query()] = None,
    at: Annotated[
        Instant | None, Query(description="evaluate at this instant (what-if); default now")
    ] = None,
) -> dict[str, Any]:
    org_id = None
    if organisation:
        org_id = _org(ctx, organisation).id
    elif not (visible := org_scope(ctx.principal)).everything:
        org_id = visible.org_id
    require_standing(ctx.principal, StandingAction.OBLIGATIONS_READ, org_id)
    case_id = None
    if case:  # a case the caller may not know of answers as one that does not exist
        case_id = load_case(
            ctx.session, ctx.principal, case, CaseAction.CASE_OBLIGATIONS_READ
        ).case.id
    when = at or ctx.now()
    items, _ = obl.obligations(ctx.session, ctx.settings, when, org_id=org_id, case_id=case_id)
    if status is not None:
        items = [o for o in items if o.status is status]
    thresholds = obl.thresholds_for(ctx.settings)
    return {
        "at": when,
        "obligations": [
            {
                **o.to_json(),
                "alerts_fired": [a.to_json() for a in alerts_due(o, thresholds, when)],
                "alerts_upcoming": [a.to_json() for a in upcoming_alerts(o, thresholds, when)],
            }
            for o in items
        ],
    }


@router.get(
    "/cases/{ref}/board",
    response_model=BoardOut,
    response_model_exclude_unset=True,  # ``anchor_source`` only where the event says
    summary="A case's clock board: every party's obligations arising from it, by due instant",
    description=(
        "The shape is the incident board's (docs/clocks.md, The clock board). The operator "
        "sees every party; a member only its own obligations and its own or case-wide events."
    ),
)
def case_board(
    ref: str,
    ctx: CtxDep,
    at: Annotated[
        Instant | None, Query(description="evaluate at this instant (what-if); default now")
    ] = None,
) -> dict[str, Any]:
    visible = org_scope(ctx.principal)
    org_id = None if visible.everything else visible.org_id
    require_standing(ctx.principal, StandingAction.OBLIGATIONS_READ, org_id)
    acc = load_case(ctx.session, ctx.principal, ref, CaseAction.CASE_OBLIGATIONS_READ)
    board = obl.case_board(ctx.session, ctx.settings, acc.case, at or ctx.now(), org_id=org_id)
    out = board.to_json()
    if not can_case(ctx.principal, CaseAction.CASE_READ, acc.facts):
        out["title"] = None  # a suspended member keeps its obligations, not the case's title
    return out


class StandingOut(BaseModel):
    organisation: str
    at: datetime
    suspended: bool
    suspension: SanctionOut | None
    record: list[RegimeRecordOut]
    sanctions: list[SanctionOut]
    overrides: list[OverrideDecisionOut]
    obligations: list[ObligationOut]


@router.get(
    "/organisations/{slug}/standing",
    response_model=StandingOut,
    response_model_exclude_unset=True,  # ``anchor_source`` only where the event says
    summary="Compliance record and sanctions",
)
def standing(
    slug: str,
    ctx: CtxDep,
    at: Annotated[
        Instant | None,
        Query(description="as the record stands for this instant (what-if); default now"),
    ] = None,
) -> dict[str, Any]:
    org = _org(ctx, slug)
    require_standing(ctx.principal, StandingAction.OBLIGATIONS_READ, org.id)
    when = at or ctx.now()
    items, _ = obl.obligations(ctx.session, ctx.settings, when, org_id=org.id)
    views = sanctions.views_at(ctx.session, org.id, when)
    suspension = sanctions.suspension_at(views)
    return {
        "organisation": org.slug,
        "at": when,
        "suspended": suspension is not None,
        "suspension": _sanction_out(suspension).model_dump() if suspension else None,
        "record": [
            r.__dict__ if hasattr(r, "__dict__") else _record(r)
            for r in obl.compliance_record(items)
        ],
        "sanctions": [_sanction_out(v).model_dump() for v in views],
        "overrides": [
            overrides.to_json(o) for o in overrides.overrides_of(ctx.session, org.id, when)
        ],
        "obligations": [o.to_json() for o in items],
    }


def _record(r: obl.RegimeRecord) -> dict[str, Any]:
    return {
        "regime": r.regime,
        "title": r.title,
        "met": r.met,
        "met_late": r.met_late,
        "missed": r.missed,
        "open": r.open,
    }


@router.post("/organisations/{slug}/sanctions", status_code=201, response_model=SanctionOut)
def suspend(slug: str, body: SanctionIn, ctx: CtxDep) -> SanctionOut:
    org = _org(ctx, slug)
    require_standing(ctx.principal, StandingAction.SANCTION_MANAGE, org.id)
    s = sanctions.suspend(
        ctx.session,
        actor=ctx.principal,
        org=org,
        starts_at=body.starts_at,
        reason=body.reason,
        now=ctx.now(),
        months=body.months,
        days=body.days,
        reassessment_at=body.reassessment_at,
        basis=body.basis,
        retroactive=body.retroactive,
    )
    return _sanction_now(s, ctx)


@router.post("/sanctions/{sanction_id}/reassessment", response_model=SanctionOut)
def reassess(sanction_id: uuid.UUID, body: ReassessIn, ctx: CtxDep) -> SanctionOut:
    s = ctx.session.get(MemberSanction, sanction_id)
    if s is None:
        require_standing(ctx.principal, StandingAction.SANCTION_MANAGE, MISSING)
        raise NotFound("no such sanction")
    require_standing(ctx.principal, StandingAction.SANCTION_MANAGE, s.org_id)
    sanctions.reassess(
        ctx.session,
        actor=ctx.principal,
        sanction=s,
        outcome=body.outcome,
        reason=body.reason,
        now=ctx.now(),
        extend_months=body.extend_months,
        extend_days=body.extend_days,
    )
    return _sanction_now(s, ctx)


@router.post("/organisations/{slug}/regime-overrides", status_code=201, response_model=OverrideOut)
def override(slug: str, body: OverrideIn, ctx: CtxDep) -> dict[str, Any]:
    org = _org(ctx, slug)
    require_standing(ctx.principal, StandingAction.OVERRIDE_MANAGE, org.id)
    row = overrides.decide(
        ctx.session,
        ctx.settings,
        actor=ctx.principal,
        org=org,
        regime=body.regime,
        subject=body.subject,
        applies=body.applies,
        reason=body.reason,
        now=ctx.now(),
    )
    return {"id": row.id, "regime": row.regime, "subject": row.subject, "applies": row.applies}


@router.post(
    "/submissions",
    status_code=201,
    response_model=SubmissionOut,
    summary="Draft a report for an obligation",
)
def draft(body: DraftIn, ctx: CtxDep) -> SubmissionOut:
    org = _org(ctx, body.organisation)
    require_standing(ctx.principal, StandingAction.SUBMISSION_WRITE, org.id)
    submission, _ = submissions.create_draft(
        ctx.session,
        ctx.settings,
        actor=ctx.principal,
        org=org,
        subject=body.subject,
        regime=body.regime,
        stage=body.stage,
        now=ctx.now(),
    )
    return submission_out(submission)


def _submission(ctx: CtxDep, submission_id: uuid.UUID, action: StandingAction) -> Submission:
    s = ctx.session.get(Submission, submission_id)
    if s is None:
        require_standing(ctx.principal, action, MISSING)
        raise NotFound("no such submission")
    require_standing(ctx.principal, action, s.org_id)
    return s


@router.get("/submissions/{submission_id}", response_model=SubmissionOut)
def get_submission(submission_id: uuid.UUID, ctx: CtxDep) -> SubmissionOut:
    return submission_out(_submission(ctx, submission_id, StandingAction.OBLIGATIONS_READ))


@router.get(
    "/submissions/{submission_id}/printable",
    **answers("text/markdown"),
    summary="The report as a printable Markdown document",
)
def printable(submission_id: uuid.UUID, ctx: CtxDep) -> PlainTextResponse:
    s = _submission(ctx, submission_id, StandingAction.OBLIGATIONS_READ)
    return PlainTextResponse(render_markdown(s), media_type="text/markdown; charset=utf-8")


@router.patch("/submissions/{submission_id}", response_model=SubmissionOut)
def edit(submission_id: uuid.UUID, body: FieldsIn, ctx: CtxDep) -> SubmissionOut:
    s = _submission(ctx, submission_id, StandingAction.SUBMISSION_WRITE)
    submissions.update_fields(
        ctx.session, actor=ctx.principal, submission=s, values=body.fields, now=ctx.now()
    )
    return submission_out(s)


@router.post("/submissions/{submission_id}/submit", response_model=SubmissionOut)
def submit(submission_id: uuid.UUID, body: SubmitIn, ctx: CtxDep) -> SubmissionOut:
    s = _submission(ctx, submission_id, StandingAction.SUBMISSION_WRITE)
    now = ctx.now()
    submissions.mark_submitted(
        ctx.session,
        actor=ctx.principal,
        submission=s,
        reference=body.reference,
        recipient=body.recipient,
        submitted_at=body.submitted_at or now,
        now=now,
    )
    return submission_out(s)


def render_markdown(s: Submission) -> str:
    c = s.content
    lines = [
        f"# {c.get('regime_title', s.regime)}: {c.get('stage_name', s.stage)}",
        "",
        f"- Organisation: {c.get('organisation', '')}",
        f"- Subject: {s.subject}",
        f"- Due: {c.get('due') or 'not yet (waiting for its anchor event)'}",
        f"- Recipients: {', '.join(c.get('recipients', [])) or 'see the regime'}",
        f"- State: {s.state.value}"
        + (
            f" (reference {s.reference}, {s.submitted_at:%Y-%m-%d %H:%M} UTC)"
            if s.submitted_at
            else ""
        ),
        "",
    ]
    for flag in c.get("flags", []):
        lines.append(f"> **{flag.get('id')}**: {flag.get('explanation')}")
    lines.append("")
    for f in c.get("fields", []):
        mark = " (required)" if f.get("required") else ""
        lines += [f"## {f.get('label')}{mark}", "", f.get("value") or "_missing_", ""]
    return "\n".join(lines)
