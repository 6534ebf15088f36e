"""Cases over HTTP: the case, its vulnerabilities, participants, vendor statuses, the
timeline, the export, and invitation links.

Every route loads its case through :func:`clearinghouse.cases.access.load_case`, which
asks :func:`clearinghouse.policy.decide_case`; what a response shows depends on
``CaseAction.CASE_READ_ALL`` (coordinators see every participant's part).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from clearinghouse.accounts.models import Organisation, User
from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.instants import Instant
from clearinghouse.api.pagination import Page, clamp_limit, issue_cursor, read_cursor
from clearinghouse.cases import (
    access,
    coordination,
    embargo_service,
    export,
    invitations,
    participants,
    sharing,
    timeline,
)
from clearinghouse.cases.access import CaseAccess
from clearinghouse.cases.api_common import authorised_case
from clearinghouse.cases.models import Case, CaseStatus, VendorStatusRecord
from clearinghouse.cases.rules import embargo as embargo_rules
from clearinghouse.cases.rules import vendor_status as vs
from clearinghouse.cases.schemas import (
    CaseIn,
    CaseOut,
    CaseSummaryOut,
    CaseUpdateIn,
    ClaimIn,
    ClaimOut,
    DeadlineIn,
    EventIn,
    EventOut,
    InvitationOut,
    ParticipantOut,
    StatementIn,
    StatusIn,
    StatusOut,
    VendorIn,
    VulnerabilityIn,
    VulnerabilityOut,
    case_summary,
    embargo_out,
    event_out,
    participant_out,
    status_out,
    vulnerability_out,
)
from clearinghouse.errors import InvalidInput, NotFound, Unauthenticated
from clearinghouse.formats.model import Justification
from clearinghouse.policy import CaseAction, can_case, case_scope, require_case
from clearinghouse.vocab import ParticipantRole

router = admitted_router(prefix="/api/v1", tags=["cases"])


def _sees_every_part(ctx: Ctx, acc: CaseAccess) -> bool:
    """Coordinators see every participant's part; others only their own."""
    return can_case(ctx.principal, CaseAction.CASE_READ_ALL, acc.facts)


def viewer_zone(ctx: Ctx, fallback: str | None, requested: str | None = None) -> str:
    """The zone to show instants in: asked for, the user's own, or the embargo's."""
    if requested:
        embargo_rules.zone(requested)
        return requested
    if ctx.principal.user_id is not None:
        user = ctx.session.get(User, ctx.principal.user_id)
        if user is not None and user.timezone:
            return user.timezone
    return fallback or "UTC"


def _vulnerabilities(ctx: Ctx, case: Case) -> list[VulnerabilityOut]:
    return [
        vulnerability_out(v, coordination.products_of(ctx.session, v))
        for v in coordination.vulnerabilities_of(ctx.session, case)
    ]


def case_view(
    ctx: Ctx, acc: CaseAccess, tz: str | None = None, at: datetime | None = None
) -> CaseOut:
    """The case as the principal may see it; with ``at``, as it stood then: the
    vulnerabilities, participants and vendor statuses recorded by then (the embargo is
    shown as it is now: its history is on the timeline)."""
    case = acc.case
    full = _sees_every_part(ctx, acc)
    people = access.participants_of(ctx.session, case, include_removed=at is not None)
    if at is not None:
        people = [p for p in people if p.added_at <= at and not _before(p.removed_at, at)]
    if not full:
        mine = acc.participant.id if acc.participant else None
        people = [p for p in people if p.role is ParticipantRole.COORDINATOR or p.id == mine]
    value = embargo_service.value_of(ctx.session, case)
    zone = viewer_zone(ctx, value.end.tz_name if value.end else None, tz)
    own = None if full else (acc.participant.id if acc.participant else uuid.UUID(int=0))
    vulnerabilities = _vulnerabilities(ctx, case)
    statuses = participants.statuses(ctx.session, case, participant_id=own, history=at is not None)
    if at is not None:
        created = {v.id: v.created_at for v in coordination.vulnerabilities_of(ctx.session, case)}
        vulnerabilities = [v for v in vulnerabilities if created[v.id] <= at]
        statuses = _statuses_at(statuses, at)
    return CaseOut(
        id=case.id,
        public_id=case.public_id,
        title=case.title,
        summary=case.summary,
        status=case.status.value,
        coordinator_organisation_id=case.coordinator_org_id,
        created_at=case.created_at,
        updated_at=case.updated_at,
        closed_at=case.closed_at,
        report_id=case.report_id if full else None,
        your_role=acc.facts.participant_role
        or ("coordinator" if ctx.principal.is_operator else None),
        your_participant_id=acc.participant.id if acc.participant else None,
        embargo=embargo_out(
            value, viewer_zone=zone, answers=embargo_service.answers(ctx.session, case, value)
        ),
        vulnerabilities=vulnerabilities,
        participants=[_as_at(participant_out(p, full=full), at) for p in people],
        vendor_statuses=[status_out(s) for s in statuses],
    )


def _before(when: datetime | None, at: datetime) -> bool:
    return when is not None and when <= at


_STEPS = ("notified_at", "seen_at", "responded_at", "escalated_at", "removed_at")


def _as_at(out: ParticipantOut, at: datetime | None) -> ParticipantOut:
    """A participant's steps that had not happened by ``at`` are left out."""
    if at is None:
        return out
    for name in _STEPS:
        if not _before(getattr(out, name), at):
            setattr(out, name, None)
    return out


def _statuses_at(rows: list[VendorStatusRecord], at: datetime) -> list[VendorStatusRecord]:
    """Each vendor's newest statement per vulnerability recorded by ``at``."""
    latest: dict[tuple[uuid.UUID, uuid.UUID], VendorStatusRecord] = {}
    for row in sorted(rows, key=lambda r: (r.recorded_at, r.id)):
        if row.recorded_at <= at:
            latest[(row.participant_id, row.vulnerability_id)] = row
    return sorted(latest.values(), key=lambda r: r.id)


def _mark_seen(ctx: Ctx, acc: CaseAccess, out: CaseOut) -> None:
    """First read by a participant: ``seen_at`` and a timeline entry, in their own short
    write transaction (a GET runs in a read-only transaction, whose objects stay as read)."""
    participant = acc.participant
    if participant is None or participant.seen_at is not None:
        return
    now = ctx.now()
    with ctx.runtime.database.transaction() as session:
        marked = participants.mark_seen(
            session, actor=ctx.principal, participant_id=participant.id, now=now
        )
    if marked is None:
        return
    for row in out.participants:
        if row.id == participant.id:
            row.seen_at = now


# ---- cases -----------------------------------------------------------------------------------


@router.post(
    "/cases",
    response_model=CaseOut,
    status_code=201,
    summary="Start coordinating a case yourself, choosing whom to invite",
)
def create_case(body: CaseIn, ctx: CtxDep) -> CaseOut:
    require_case(ctx.principal, CaseAction.CASE_CREATE)
    org = ctx.session.get(Organisation, ctx.principal.org_id) if ctx.principal.org_id else None
    if org is None:
        raise NotFound("your organisation is missing")
    now = ctx.now()
    case = coordination.start_case(
        ctx.session,
        actor=ctx.principal,
        coordinator=org,
        title=body.title,
        summary=body.summary,
        now=now,
    )
    for v in body.vulnerabilities:
        coordination.add_vulnerability(
            ctx.session, actor=ctx.principal, case=case, spec=_vulnerability_spec(v), now=now
        )
    for vendor in body.participants:
        _add_participant(ctx, case, vendor)
    acc = access.load_case(ctx.session, ctx.principal, case.public_id, CaseAction.CASE_READ)
    return case_view(ctx, acc)


@router.get("/cases", response_model=Page[CaseSummaryOut], summary="Cases you take part in")
def list_cases(
    ctx: CtxDep,
    status: Annotated[CaseStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[CaseSummaryOut]:
    p = ctx.principal
    require_case(p, CaseAction.CASE_LIST)
    n = clamp_limit(limit)
    # A suspended member lists only cases whose embargo has ended: not even a title else.
    query = select(Case).where(access.cases_in(case_scope(p))).order_by(Case.id.desc())
    if status is not None:
        query = query.where(Case.status == status)
    after = read_cursor(ctx, cursor)
    if after:
        query = query.where(Case.id < _uuid(after[0], "cursor"))
    rows = ctx.session.scalars(query.limit(n + 1)).all()
    return Page(
        items=[case_summary(c) for c in rows[:n]],
        next_cursor=issue_cursor(ctx, [str(rows[n - 1].id)]) if len(rows) > n else None,
    )


def _uuid(value: object, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(f"{field} is not valid", field=field) from None


@router.get(
    "/cases/{ref}",
    response_model=CaseOut,
    summary="A case (your part of it), instants in your own time zone",
)
def get_case(
    ref: str,
    ctx: CtxDep,
    tz: Annotated[str | None, Query(max_length=64, description="IANA zone to render in")] = None,
    at: Annotated[
        Instant | None,
        Query(
            description="the case as it stood at this instant: vulnerabilities, participants "
            "and vendor statuses recorded by then (the embargo as it is now)"
        ),
    ] = None,
) -> CaseOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_READ)
    out = case_view(ctx, acc, tz, at)
    if at is None:
        _mark_seen(ctx, acc, out)
    return out


@router.patch("/cases/{ref}", response_model=CaseOut, summary="Title, summary, close or reopen")
def update_case(ref: str, body: CaseUpdateIn, ctx: CtxDep) -> CaseOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_UPDATE)
    coordination.update_case(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        now=ctx.now(),
        title=body.title,
        summary=body.summary,
        status=CaseStatus(body.status) if body.status else None,
    )
    return case_view(ctx, acc)


@router.get("/cases/{ref}/export", summary="Machine-readable case data (JSON)")
def export_case(ref: str, ctx: CtxDep) -> JSONResponse:
    acc = authorised_case(ctx, ref, CaseAction.CASE_EXPORT)
    return JSONResponse(
        export.export_case(ctx.session, acc.case), headers={"Cache-Control": "private, no-store"}
    )


# ---- vulnerabilities -------------------------------------------------------------------------


def _vulnerability_spec(body: VulnerabilityIn) -> coordination.VulnerabilityIn:
    return coordination.VulnerabilityIn(
        title=body.title,
        description=body.description,
        cve_id=body.cve_id,
        cwes=body.cwes,
        cvss_vector=body.cvss_vector,
        products=[
            coordination.ProductIn(
                purl=p.purl,
                ranges=[r.model_dump(exclude_none=True) for r in p.ranges],
                versions=p.versions,
            )
            for p in body.products
        ],
    )


@router.post("/cases/{ref}/vulnerabilities", response_model=VulnerabilityOut, status_code=201)
def add_vulnerability(ref: str, body: VulnerabilityIn, ctx: CtxDep) -> VulnerabilityOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_UPDATE)
    v = coordination.add_vulnerability(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        spec=_vulnerability_spec(body),
        now=ctx.now(),
    )
    return vulnerability_out(v, coordination.products_of(ctx.session, v))


@router.put("/cases/{ref}/vulnerabilities/{vulnerability_id}", response_model=VulnerabilityOut)
def update_vulnerability(
    ref: str, vulnerability_id: uuid.UUID, body: VulnerabilityIn, ctx: CtxDep
) -> VulnerabilityOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_UPDATE)
    v = coordination.get_vulnerability(ctx.session, acc.case, vulnerability_id)
    coordination.update_vulnerability(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        vulnerability=v,
        spec=_vulnerability_spec(body),
        now=ctx.now(),
    )
    return vulnerability_out(v, coordination.products_of(ctx.session, v))


# ---- participants ----------------------------------------------------------------------------


def _add_participant(ctx: Ctx, case: Case, body: VendorIn) -> participants.Added:
    org = None
    if body.organisation:
        org = ctx.session.scalars(
            select(Organisation).where(Organisation.slug == body.organisation)
        ).first()
        if org is None:
            raise InvalidInput(f"no organisation {body.organisation!r}", field="organisation")
    return participants.add(
        ctx.session,
        actor=ctx.principal,
        case=case,
        role=ParticipantRole(body.role),
        now=ctx.now(),
        base_url=ctx.settings.base_url,
        secret=ctx.settings.secret_key.get_secret_value(),
        org=org,
        email=body.email,
        name=body.name,
        response_days=body.response_days,
        platform=ctx.settings.platform_name,
        wording=participants.Wording(body.language, body.timezone),
    )


@router.get("/cases/{ref}/participants", response_model=list[ParticipantOut])
def list_participants(ref: str, ctx: CtxDep) -> list[ParticipantOut]:
    acc = authorised_case(ctx, ref, CaseAction.CASE_READ)
    full = _sees_every_part(ctx, acc)
    people = access.participants_of(ctx.session, acc.case, include_removed=full)
    if not full:
        mine = acc.participant.id if acc.participant else None
        people = [p for p in people if p.role is ParticipantRole.COORDINATOR or p.id == mine]
    return [participant_out(p, full=full) for p in people]


@router.post(
    "/cases/{ref}/participants",
    response_model=ParticipantOut,
    status_code=201,
    summary="Add a vendor or member on the platform, or invite a vendor by e-mail",
)
def add_participant(ref: str, body: VendorIn, ctx: CtxDep) -> ParticipantOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_PARTICIPANTS)
    added = _add_participant(ctx, acc.case, body)
    out = participant_out(added.participant, full=True)
    out.warnings = sharing.warnings_for(
        ctx.session,
        ctx.settings,
        actor=ctx.principal,
        case=acc.case,
        participant=added.participant,
        now=ctx.now(),
    )
    return out


@router.delete("/cases/{ref}/participants/{participant_id}", status_code=204)
def remove_participant(ref: str, participant_id: uuid.UUID, ctx: CtxDep) -> Response:
    acc = authorised_case(ctx, ref, CaseAction.CASE_PARTICIPANTS)
    found = access.get_participant(ctx.session, acc.case, participant_id)
    participants.remove(
        ctx.session, actor=ctx.principal, case=acc.case, participant=found, now=ctx.now()
    )
    return Response(status_code=204)


@router.post(
    "/cases/{ref}/participants/{participant_id}/deadline",
    response_model=ParticipantOut,
    summary="Restart a vendor's response clock: `days` from now",
)
def set_deadline(
    ref: str, participant_id: uuid.UUID, body: DeadlineIn, ctx: CtxDep
) -> ParticipantOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_PARTICIPANTS)
    found = access.get_participant(ctx.session, acc.case, participant_id)
    participants.set_deadline(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        participant=found,
        days=body.days,
        now=ctx.now(),
    )
    return participant_out(found, full=True)


def _target(ctx: Ctx, acc: CaseAccess, requested: uuid.UUID | None) -> uuid.UUID:
    """The participant a vendor action is about: one's own, unless a coordinator names one."""
    if requested is not None:
        return requested
    if acc.participant is None or acc.participant.role is ParticipantRole.COORDINATOR:
        raise InvalidInput("name the vendor: participant_id", field="participant_id")
    return acc.participant.id


@router.put(
    "/cases/{ref}/statement",
    response_model=ParticipantOut,
    summary="A vendor's statement on the case",
)
def set_statement(ref: str, body: StatementIn, ctx: CtxDep) -> ParticipantOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_READ)
    target = _target(ctx, acc, body.participant_id)
    access.with_target(ctx.session, ctx.principal, acc, CaseAction.CASE_VENDOR_STATUS, target)
    found = access.get_participant(ctx.session, acc.case, target)
    participants.set_statement(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        participant=found,
        text=body.statement,
        now=ctx.now(),
    )
    return participant_out(found, full=_sees_every_part(ctx, acc))


@router.post(
    "/cases/{ref}/statuses",
    response_model=StatusOut,
    status_code=201,
    summary="State a vendor's status for one vulnerability",
)
def set_status(ref: str, body: StatusIn, ctx: CtxDep) -> Any:
    acc = authorised_case(ctx, ref, CaseAction.CASE_READ)
    target = _target(ctx, acc, body.participant_id)
    access.with_target(ctx.session, ctx.principal, acc, CaseAction.CASE_VENDOR_STATUS, target)
    found = access.get_participant(ctx.session, acc.case, target)
    vulnerability = coordination.get_vulnerability(ctx.session, acc.case, body.vulnerability_id)
    try:
        justification = Justification(body.justification) if body.justification else None
    except ValueError:
        raise InvalidInput(
            f"justification must be one of {', '.join(Justification)}", field="justification"
        ) from None
    statement = vs.VendorStatement(
        vs.VendorStatus(body.status), justification, body.fixed_version, body.statement
    )
    record = participants.set_status(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        participant=found,
        vulnerability=vulnerability,
        statement=statement,
        now=ctx.now(),
    )
    if record is None:
        current = participants.current_status(ctx.session, found, vulnerability)
        if current is None:  # pragma: no cover (no change means a status exists)
            raise NotFound("no status recorded")
        return JSONResponse(status_out(current).model_dump(mode="json"), status_code=200)
    return status_out(record)


@router.get(
    "/cases/{ref}/statuses",
    response_model=list[StatusOut],
    summary="Vendor statuses (current, or with history)",
)
def list_statuses(
    ref: str, ctx: CtxDep, history: Annotated[bool, Query()] = False
) -> list[StatusOut]:
    acc = authorised_case(ctx, ref, CaseAction.CASE_READ)
    own = (
        None
        if _sees_every_part(ctx, acc)
        else (acc.participant.id if acc.participant else uuid.UUID(int=0))
    )
    return [
        status_out(s)
        for s in participants.statuses(ctx.session, acc.case, participant_id=own, history=history)
    ]


# ---- the timeline ----------------------------------------------------------------------------


@router.post(
    "/cases/{ref}/events",
    response_model=EventOut,
    status_code=201,
    summary="Record a clock-relevant event (aware, exploitation known, fix available...)",
)
def record_event(ref: str, body: EventIn, ctx: CtxDep) -> EventOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_EVENT_RECORD)
    p = ctx.principal
    coordinator = _sees_every_part(ctx, acc)
    org: Organisation | None
    if body.organisation == "case":
        if not coordinator:
            raise InvalidInput("only coordinators record case-wide facts", field="organisation")
        org = None
    elif body.organisation:
        org = ctx.session.scalars(
            select(Organisation).where(Organisation.slug == body.organisation)
        ).first()
        if org is None:
            raise InvalidInput(f"no organisation {body.organisation!r}", field="organisation")
        if not coordinator and org.id != p.org_id:
            raise InvalidInput(
                "you record events about your own organisation", field="organisation"
            )
    else:
        org = ctx.session.get(Organisation, p.org_id) if p.org_id else None
        if org is None:
            raise InvalidInput("name the organisation the event concerns", field="organisation")
    event = timeline.record_clock_event(
        ctx.session,
        actor=p,
        case=acc.case,
        type=body.type,
        occurred_at=body.occurred_at,
        now=ctx.now(),
        org_id=org.id if org else None,
        org_label=org.slug if org else None,
        data=body.data,
        evidence=body.evidence,
        supersedes_id=body.supersedes_id,
    )
    return event_out(event)


@router.get(
    "/cases/{ref}/timeline",
    response_model=Page[EventOut],
    summary="The case's events in the order they happened",
)
def get_timeline(
    ref: str,
    ctx: CtxDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
    at: Annotated[
        Instant | None,
        Query(
            description="the timeline as at this instant: the events that had happened by "
            "then (what-if, as GET /api/v1/obligations?at=)"
        ),
    ] = None,
) -> Page[EventOut]:
    acc = authorised_case(ctx, ref, CaseAction.CASE_READ)
    n = clamp_limit(limit)
    after = read_cursor(ctx, cursor)
    if after is not None and len(after) != 3:
        raise InvalidInput("cursor is not one this server issued", field="cursor")
    try:
        rows = timeline.page(
            ctx.session,
            acc.case,
            participant_id=acc.participant.id if acc.participant else None,
            org_id=ctx.principal.org_id if ctx.principal.is_authenticated else None,
            full=_sees_every_part(ctx, acc),
            after=after,
            limit=n + 1,
            occurred_by=at,
        )
    except ValueError:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from None
    return Page(
        items=[event_out(e) for e in rows[:n]],
        next_cursor=issue_cursor(ctx, timeline.cursor_key(rows[n - 1])) if len(rows) > n else None,
    )


# ---- invitations -----------------------------------------------------------------------------


def _invite_token(ctx: Ctx) -> str:
    """The invitation token the request authenticated with (the policy asks for one)."""
    require_case(ctx.principal, CaseAction.INVITATION_USE)
    header = ctx.request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "invite" or not value.strip():  # pragma: no cover (Via.LINK says so)
        raise Unauthenticated("send the invitation link's token as `Authorization: Invite <token>`")
    return value.strip()


@router.get("/invitation", response_model=InvitationOut, summary="What your invitation link opens")
def get_invitation(ctx: CtxDep) -> InvitationOut:
    token = _invite_token(ctx)
    invitation = invitations.find(
        ctx.session, token, ctx.now(), ctx.settings.secret_key.get_secret_value()
    )
    participant = access.get_participant_any(ctx.session, invitation.participant_id)
    case = ctx.session.get(Case, participant.case_id)
    if case is None:
        raise NotFound("the case is gone")
    return InvitationOut(
        case=case.public_id,
        participant_id=participant.id,
        name=participant.name,
        expires_at=invitation.expires_at,
    )


@router.post(
    "/invitation/claim",
    response_model=ClaimOut,
    status_code=201,
    summary="Turn your invitation into a vendor organisation and account",
)
def claim_invitation(body: ClaimIn, ctx: CtxDep) -> ClaimOut:
    token = _invite_token(ctx)
    done = invitations.claim(
        ctx.session,
        actor=ctx.principal,
        token=token,
        secret=ctx.settings.secret_key.get_secret_value(),
        now=ctx.now(),
        slug=body.organisation_slug,
        org_name=body.organisation_name,
        user_name=body.user_name,
        password=body.password,
        timezone=body.timezone,
    )
    case = ctx.session.get(Case, done.participant.case_id)
    return ClaimOut(
        organisation=done.organisation.slug,
        user=done.user.email,
        case=case.public_id if case else "",
    )
