"""Incidents: open one, change its title, summary and facts, record its clock events and
correct them, and derive its clock board. Every change writes an audit entry in the
caller's transaction (helpers flush, never commit).

Who may do what is decided by :func:`clearinghouse.policy.decide_incident`, asked through
:func:`load_incident` (one incident) by every route; the collection routes ask it too.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.audit import service as audit
from clearinghouse.cases.models import TimelineEvent
from clearinghouse.cases.timeline import after_cursor, check_clock_event, record_action
from clearinghouse.clocks.board import Board, build_board
from clearinghouse.clocks.model import EventType
from clearinghouse.clocks.schema import Regime
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.incidents.models import Incident
from clearinghouse.policy import IncidentAction, IncidentFacts, require_incident
from clearinghouse.principal import Principal
from clearinghouse.settings import Settings
from clearinghouse.standing import obligations as obl
from clearinghouse.standing import submissions
from clearinghouse.standing.models import Submission
from clearinghouse.timeutil import ensure_utc

# Crockford's base32: no I, L, O, U (nothing to misread when spoken over a telephone).
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_CHARS = 8  # 40 bits
MAX_PUBLIC_ID = 32


def new_public_id(now: datetime) -> str:
    """``INC-YYYY-XXXXXXXX``: random, so it reveals nothing about other incidents."""
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_CHARS))
    return f"INC-{ensure_utc(now).year}-{tail}"


def find(session: Session, ref: str) -> Incident | None:
    if len(ref) > MAX_PUBLIC_ID:
        return None
    return session.scalars(select(Incident).where(Incident.public_id == ref)).first()


def load_incident(
    session: Session, principal: Principal, ref: str, action: IncidentAction
) -> Incident:
    """Load an incident and ask the policy. One that does not exist and one the principal
    may not know about give the same 404."""
    incident = find(session, ref)
    require_incident(principal, action, IncidentFacts(incident.org_id if incident else None))
    if incident is None:
        raise NotFound("no such resource")
    return incident


def create(
    session: Session,
    *,
    actor: Principal,
    org: Organisation,
    title: str,
    summary: str,
    facts: Mapping[str, Any],
    now: datetime,
) -> Incident:
    public_id = new_public_id(now)
    while find(session, public_id) is not None:  # 40 random bits: practically never
        public_id = new_public_id(now)
    incident = Incident(
        public_id=public_id,
        org_id=org.id,
        title=title,
        summary=summary,
        facts=dict(facts),
        created_at=now,
        created_by_label=actor.label,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    _audit(session, actor, incident, "incident.created", now, {"title": title})
    return incident


def update(
    session: Session,
    *,
    actor: Principal,
    incident: Incident,
    title: str | None,
    summary: str | None,
    facts: Mapping[str, Any] | None,
    now: datetime,
) -> None:
    """Change what is given; ``facts`` replaces the whole evidence base."""
    change: dict[str, Any] = {}
    if title is not None:
        incident.title = change["title"] = title
    if summary is not None:
        incident.summary = summary
        change["summary"] = True
    if facts is not None:
        incident.facts = dict(facts)
        change["facts"] = sorted(facts)
    if change:
        incident.updated_at = now
        _audit(session, actor, incident, "incident.updated", now, change)


def _audit(
    session: Session,
    actor: Principal,
    incident: Incident,
    action: str,
    now: datetime,
    change: dict[str, Any],
) -> None:
    audit.append(
        session,
        actor=actor,
        action=action,
        object_type="incident",
        object_id=incident.public_id,
        owner_org_id=incident.org_id,
        at=now,
        change=change,
    )


def page(
    session: Session, *, org_id: uuid.UUID | None, after: Sequence[Any] | None, limit: int
) -> list[Incident]:
    """Incidents newest first (of one organisation, or all of them)."""
    query = select(Incident)
    if org_id is not None:
        query = query.where(Incident.org_id == org_id)
    if after:
        created = datetime.fromisoformat(str(after[0]))
        last = uuid.UUID(str(after[1]))
        query = query.where(
            or_(
                Incident.created_at < created,
                and_(Incident.created_at == created, Incident.id < last),
            )
        )
    query = query.order_by(Incident.created_at.desc(), Incident.id.desc()).limit(limit)
    return list(session.scalars(query))


def cursor_key(incident: Incident) -> list[str]:
    return [incident.created_at.isoformat(), str(incident.id)]


def _of_incident(incident: Incident) -> Any:
    return and_(TimelineEvent.case_id.is_(None), TimelineEvent.subject == incident.public_id)


def events_page(
    session: Session, incident: Incident, *, after: Sequence[Any] | None, limit: int
) -> list[TimelineEvent]:
    """The incident's events in the order they happened (as a case's timeline)."""
    query = select(TimelineEvent).where(_of_incident(incident))
    if after:
        query = query.where(after_cursor(after))
    query = query.order_by(
        TimelineEvent.occurred_at, TimelineEvent.recorded_at, TimelineEvent.id
    ).limit(limit)
    return list(session.scalars(query))


def check_classification(regimes: Mapping[str, Regime], data: Mapping[str, Any]) -> None:
    """An ``incident_classified`` event must use a scheme and level some regime declares
    (a typo would silently start no clock)."""
    scheme, level = data.get("scheme"), data.get("level")
    declared = [c for r in regimes.values() for c in r.classifications if c.scheme == scheme]
    if not declared:
        known = sorted({c.scheme for r in regimes.values() for c in r.classifications})
        raise InvalidInput(
            f"unknown classification scheme {scheme!r}; known: {', '.join(known)}",
            field="data.scheme",
        )
    levels = sorted({lv for c in declared for lv in c.level_ids()})
    if level not in levels:
        raise InvalidInput(
            f"{level!r} is not a level of {scheme}; levels: {', '.join(levels)}",
            field="data.level",
        )


def record_event(
    session: Session,
    *,
    actor: Principal,
    incident: Incident,
    owner: Organisation,
    type: str,
    occurred_at: datetime,
    data: dict[str, Any],
    evidence: str | None,
    now: datetime,
    regimes: Mapping[str, Regime],
    supersedes: TimelineEvent | None = None,
) -> TimelineEvent:
    """Record a clock event of the incident; it always concerns the incident's
    organisation (``owner``), whoever records it."""
    kind = check_clock_event(
        type=type,
        occurred_at=occurred_at,
        now=now,
        data=data,
        evidence=evidence,
        recorded_by=actor.label,
        organisation=owner.slug,
        subject=incident.public_id,
        supersedes=str(supersedes.id) if supersedes is not None else None,
    )
    if kind is EventType.INCIDENT_CLASSIFIED:
        check_classification(regimes, data)
    return record_action(
        session,
        actor=actor,
        case=None,
        subject=incident.public_id,
        type=kind,
        now=now,
        data=data,
        audit_action=f"incident.event.{kind.value}",
        object_type="incident",
        object_id=incident.public_id,
        org_id=incident.org_id,
        owner_org_id=incident.org_id,
        occurred_at=occurred_at,
        evidence=evidence,
        supersedes_id=supersedes.id if supersedes is not None else None,
    ).event


def get_event(session: Session, incident: Incident, event_id: uuid.UUID) -> TimelineEvent:
    event = session.get(TimelineEvent, event_id)
    if event is None or event.case_id is not None or event.subject != incident.public_id:
        raise NotFound("no such event in this incident")
    return event


def correct_event(
    session: Session,
    *,
    actor: Principal,
    incident: Incident,
    owner: Organisation,
    old: TimelineEvent,
    now: datetime,
    regimes: Mapping[str, Regime],
    type: str | None = None,
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
    evidence: str | None = None,
    withdraw: bool = False,
) -> TimelineEvent:
    """A correction is a new event that supersedes ``old`` (a reclassification is one);
    what is not given is kept from ``old``. ``withdraw`` retracts ``old`` instead. Only
    the latest version of an event may be corrected (no forks)."""
    later = session.scalars(
        select(TimelineEvent.id).where(TimelineEvent.supersedes_id == old.id).limit(1)
    ).first()
    if later is not None:
        raise Conflict(f"event {old.id} was already corrected by {later}: correct that one")
    if withdraw:
        type, occurred_at, data = EventType.WITHDRAWN.value, now, {}
    return record_event(
        session,
        actor=actor,
        incident=incident,
        owner=owner,
        type=type or old.type,
        occurred_at=occurred_at or old.occurred_at,
        data=data if data is not None else dict(old.data or {}),
        evidence=evidence if evidence is not None else old.evidence,
        now=now,
        regimes=regimes,
        supersedes=old,
    )


def draft_facts(incident: Incident) -> dict[str, Any]:
    """The evidence base drafts are filled from: the title, the summary as the
    description unless the facts give one, and the facts."""
    base: dict[str, Any] = {"title": incident.title}
    if incident.summary:
        base["description"] = incident.summary
    return {**base, **incident.facts}


def board(session: Session, settings: Settings, incident: Incident, at: datetime) -> Board:
    """The incident's clock board at ``at``, with a draft for every obligation that
    applies."""
    items, loaded = obl.obligations(session, settings, at, subject=incident.public_id)
    return build_board(
        incident.public_id,
        obligations=items,
        events=loaded.events,
        regimes=obl.regimes_for(settings),
        profiles=loaded.profiles,
        at=at,
        thresholds=obl.thresholds_for(settings),
        facts=draft_facts(incident),
        title=incident.title,
    )


def draft_report(
    session: Session,
    settings: Settings,
    *,
    actor: Principal,
    incident: Incident,
    owner: Organisation,
    regime: str,
    stage: str,
    now: datetime,
) -> Submission:
    """A stored draft (``/api/v1/submissions``) for one of the incident's obligations,
    pre-filled from the incident's facts."""
    submission, _ = submissions.create_draft(
        session,
        settings,
        actor=actor,
        org=owner,
        subject=incident.public_id,
        regime=regime,
        stage=stage,
        now=now,
        facts=draft_facts(incident),
    )
    return submission
