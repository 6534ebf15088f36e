"""Incidents over HTTP: create, list, read and update an incident, record its clock events
and correct them, its clock board, and report drafts from its facts.

Every route asks :func:`clearinghouse.policy.decide_incident` (through
:func:`clearinghouse.incidents.service.load_incident` for one incident): an incident is
private to its organisation and the operator, and anyone else gets 404, whether it
exists or not. Instants are RFC 3339 with ``Z`` or an offset (:mod:`clearinghouse.api.instants`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from clearinghouse.accounts.models import Organisation
from clearinghouse.api import freeform
from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.instants import Instant
from clearinghouse.api.pagination import Page, clamp_limit, issue_cursor, read_cursor
from clearinghouse.cases.models import TimelineEvent
from clearinghouse.cases.timeline import cursor_key as event_cursor_key
from clearinghouse.errors import InvalidInput
from clearinghouse.incidents import service
from clearinghouse.incidents.models import Incident
from clearinghouse.policy import IncidentAction, IncidentFacts, require_incident
from clearinghouse.standing import obligations as obl
from clearinghouse.standing.api import SubmissionOut, submission_out
from clearinghouse.standing.schemas import BoardOut

router = admitted_router(prefix="/api/v1", tags=["incidents"])

# Limits on what a client controls (sizes, counts; nesting is ruled out by the types;
# integers of 64 bits and finite numbers: freeform.STORABLE).
MAX_FACTS = 100
MAX_EVENT_DATA_KEYS = 50
FactKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
FactText = Annotated[str, StringConstraints(max_length=20_000)]
FactValue = (
    FactText
    | Annotated[list[Annotated[str, StringConstraints(max_length=2_000)]], Field(max_length=100)]
)
DataKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
DataScalar = Annotated[str, StringConstraints(max_length=2_000)] | int | float | bool | None
DataValue = DataScalar | Annotated[list[DataScalar], Field(max_length=50)]
EventData = Annotated[dict[DataKey, DataValue], freeform.STORABLE]
Slug = Annotated[str, StringConstraints(max_length=64)]


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    summary: str = Field("", max_length=20_000)
    organisation: Slug | None = Field(
        None, description="slug of the organisation it belongs to (default: yours; operator only)"
    )
    facts: dict[FactKey, FactValue] = Field(
        default_factory=dict,
        max_length=MAX_FACTS,
        description="the evidence base report drafts are filled from (docs/clocks.md, Facts)",
    )


class IncidentUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=1, max_length=300)
    summary: str | None = Field(None, max_length=20_000)
    facts: dict[FactKey, FactValue] | None = Field(
        None, max_length=MAX_FACTS, description="replaces every fact"
    )


class IncidentOut(BaseModel):
    ref: str
    organisation: str
    title: str
    summary: str
    facts: dict[str, Any]
    created_at: datetime
    created_by: str
    updated_at: datetime


class IncidentEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(
        max_length=60,
        description="a clock event: incident_noticed, incident_classified, ransom_paid, "
        "report_submitted, handling_concluded, ...",
    )
    occurred_at: Instant = Field(description="when it happened; may lie in the past")
    data: EventData = Field(default_factory=dict, max_length=MAX_EVENT_DATA_KEYS)
    evidence: str | None = Field(None, max_length=4000)


class CorrectionIn(BaseModel):
    """What changes; what is not given is kept from the corrected event."""

    model_config = ConfigDict(extra="forbid")
    type: str | None = Field(None, max_length=60)
    occurred_at: Instant | None = None
    data: EventData | None = Field(None, max_length=MAX_EVENT_DATA_KEYS)
    evidence: str | None = Field(None, max_length=4000)
    withdraw: bool = Field(False, description="retract the event instead of replacing it")


class IncidentEventOut(BaseModel):
    id: uuid.UUID
    incident: str
    type: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    data: dict[str, Any]
    evidence: str | None
    supersedes_id: uuid.UUID | None


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regime: str = Field(max_length=100)
    stage: str = Field(max_length=100)


def _out(incident: Incident, owner: Organisation) -> IncidentOut:
    return IncidentOut(
        ref=incident.public_id,
        organisation=owner.slug,
        title=incident.title,
        summary=incident.summary,
        facts=incident.facts,
        created_at=incident.created_at,
        created_by=incident.created_by_label,
        updated_at=incident.updated_at,
    )


def _event_out(incident: Incident, event: TimelineEvent) -> IncidentEventOut:
    return IncidentEventOut(
        id=event.id,
        incident=incident.public_id,
        type=event.type,
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        recorded_by=event.recorded_by_label,
        data=event.data,
        evidence=event.evidence,
        supersedes_id=event.supersedes_id,
    )


def _owner(ctx: Ctx, incident: Incident) -> Organisation:
    owner = ctx.session.get(Organisation, incident.org_id)
    if owner is None:  # pragma: no cover (the foreign key cascades)
        raise InvalidInput("the incident's organisation is gone")
    return owner


def _named_org(ctx: Ctx, slug: str | None) -> Organisation | None:
    """The organisation a collection request names, or the caller's own."""
    if slug is None:
        return ctx.session.get(Organisation, ctx.principal.org_id) if ctx.principal.org_id else None
    return ctx.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()


def _listed_org(ctx: Ctx, slug: str | None) -> uuid.UUID | None:
    """Whose incidents a list shows (None: everyone's, for the operator), after asking
    the policy: a member naming another organisation gets 404, as for an unknown one."""
    if slug is None and ctx.principal.is_operator:
        require_incident(ctx.principal, IncidentAction.LIST)
        return None
    named = _named_org(ctx, slug)
    require_incident(ctx.principal, IncidentAction.LIST, IncidentFacts(named.id if named else None))
    if named is None:
        raise InvalidInput(f"no organisation {slug!r}", field="organisation")
    return named.id


@router.post("/incidents", response_model=IncidentOut, status_code=201, summary="Open an incident")
def create_incident(body: IncidentIn, ctx: CtxDep) -> IncidentOut:
    org = _named_org(ctx, body.organisation)
    require_incident(ctx.principal, IncidentAction.CREATE, IncidentFacts(org.id if org else None))
    if org is None:
        raise InvalidInput("name the organisation the incident belongs to", field="organisation")
    incident = service.create(
        ctx.session,
        actor=ctx.principal,
        org=org,
        title=body.title,
        summary=body.summary,
        facts=body.facts,
        now=ctx.now(),
    )
    return _out(incident, org)


@router.get("/incidents", response_model=Page[IncidentOut], summary="Incidents, newest first")
def list_incidents(
    ctx: CtxDep,
    organisation: Annotated[Slug | None, Query(description="operator: one organisation's")] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[IncidentOut]:
    org_id = _listed_org(ctx, organisation)
    n = clamp_limit(limit)
    after = read_cursor(ctx, cursor)
    if after is not None and len(after) != 2:
        raise InvalidInput("cursor is not one this server issued", field="cursor")
    try:
        rows = service.page(ctx.session, org_id=org_id, after=after, limit=n + 1)
    except ValueError:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from None
    owners = {
        o.id: o
        for o in ctx.session.scalars(
            select(Organisation).where(Organisation.id.in_({r.org_id for r in rows}))
        )
    }
    return Page(
        items=[_out(r, owners[r.org_id]) for r in rows[:n]],
        next_cursor=issue_cursor(ctx, service.cursor_key(rows[n - 1])) if len(rows) > n else None,
    )


@router.get("/incidents/{ref}", response_model=IncidentOut, summary="One incident")
def get_incident(ref: str, ctx: CtxDep) -> IncidentOut:
    incident = service.load_incident(ctx.session, ctx.principal, ref, IncidentAction.READ)
    return _out(incident, _owner(ctx, incident))


@router.patch(
    "/incidents/{ref}", response_model=IncidentOut, summary="Change title, summary or facts"
)
def update_incident(ref: str, body: IncidentUpdateIn, ctx: CtxDep) -> IncidentOut:
    incident = service.load_incident(ctx.session, ctx.principal, ref, IncidentAction.UPDATE)
    service.update(
        ctx.session,
        actor=ctx.principal,
        incident=incident,
        title=body.title,
        summary=body.summary,
        facts=body.facts,
        now=ctx.now(),
    )
    return _out(incident, _owner(ctx, incident))


@router.post(
    "/incidents/{ref}/events",
    response_model=IncidentEventOut,
    status_code=201,
    summary="Record a clock event (noticed, classified, ransom paid, report submitted...)",
)
def record_incident_event(ref: str, body: IncidentEventIn, ctx: CtxDep) -> IncidentEventOut:
    incident = service.load_incident(ctx.session, ctx.principal, ref, IncidentAction.EVENT_RECORD)
    event = service.record_event(
        ctx.session,
        actor=ctx.principal,
        incident=incident,
        owner=_owner(ctx, incident),
        type=body.type,
        occurred_at=body.occurred_at,
        data=dict(body.data),
        evidence=body.evidence,
        now=ctx.now(),
        regimes=obl.regimes_for(ctx.settings),
    )
    return _event_out(incident, event)


@router.get(
    "/incidents/{ref}/events",
    response_model=Page[IncidentEventOut],
    summary="The incident's events in the order they happened (corrected ones included)",
)
def list_incident_events(
    ref: str,
    ctx: CtxDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[IncidentEventOut]:
    incident = service.load_incident(ctx.session, ctx.principal, ref, IncidentAction.READ)
    n = clamp_limit(limit)
    after = read_cursor(ctx, cursor)
    if after is not None and len(after) != 3:
        raise InvalidInput("cursor is not one this server issued", field="cursor")
    try:
        rows = service.events_page(ctx.session, incident, after=after, limit=n + 1)
    except ValueError:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from None
    return Page(
        items=[_event_out(incident, e) for e in rows[:n]],
        next_cursor=issue_cursor(ctx, event_cursor_key(rows[n - 1])) if len(rows) > n else None,
    )


@router.post(
    "/incidents/{ref}/events/{event_id}/corrections",
    response_model=IncidentEventOut,
    status_code=201,
    summary="Correct an event (a new event that supersedes it), or withdraw it",
)
def correct_incident_event(
    ref: str, event_id: uuid.UUID, body: CorrectionIn, ctx: CtxDep
) -> IncidentEventOut:
    incident = service.load_incident(ctx.session, ctx.principal, ref, IncidentAction.EVENT_RECORD)
    old = service.get_event(ctx.session, incident, event_id)
    event = service.correct_event(
        ctx.session,
        actor=ctx.principal,
        incident=incident,
        owner=_owner(ctx, incident),
        old=old,
        now=ctx.now(),
        regimes=obl.regimes_for(ctx.settings),
        type=body.type,
        occurred_at=body.occurred_at,
        data=dict(body.data) if body.data is not None else None,
        evidence=body.evidence,
        withdraw=body.withdraw,
    )
    return _event_out(incident, event)


@router.get(
    "/incidents/{ref}/board",
    response_model=BoardOut,
    response_model_exclude_unset=True,  # ``anchor_source`` only where the event says
    summary="The clock board: every obligation of the incident, sorted by due instant",
    description="The shape is documented in docs/clocks.md (The clock board).",
)
def incident_board(
    ref: str,
    ctx: CtxDep,
    at: Annotated[
        Instant | None, Query(description="evaluate at this instant (what-if); default now")
    ] = None,
) -> dict[str, Any]:
    incident = service.load_incident(ctx.session, ctx.principal, ref, IncidentAction.READ)
    return service.board(ctx.session, ctx.settings, incident, at or ctx.now()).to_json()


@router.post(
    "/incidents/{ref}/submissions",
    response_model=SubmissionOut,
    status_code=201,
    summary="Draft the report for one of the incident's obligations, from its facts",
    description="Edit and mark it submitted through /api/v1/submissions/{id}.",
)
def draft_incident_report(ref: str, body: DraftIn, ctx: CtxDep) -> SubmissionOut:
    incident = service.load_incident(ctx.session, ctx.principal, ref, IncidentAction.REPORT_DRAFT)
    submission = service.draft_report(
        ctx.session,
        ctx.settings,
        actor=ctx.principal,
        incident=incident,
        owner=_owner(ctx, incident),
        regime=body.regime,
        stage=body.stage,
        now=ctx.now(),
    )
    return submission_out(submission)
