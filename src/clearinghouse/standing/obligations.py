"""Obligations over the database: recorded timeline events and organisation profiles go
into the pure clocks engine (:mod:`clearinghouse.clocks.engine`); obligations come out.

Nothing here is stored: obligations are always re-derived from the append-only events,
so a correction (an event that supersedes another) moves every deadline it touches.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.accounts.profile import regulatory_profile
from clearinghouse.cases.models import Case, TimelineEvent
from clearinghouse.clocks.board import Board, build_board
from clearinghouse.clocks.engine import evaluate
from clearinghouse.clocks.loader import RegimeSet, configured_regimes
from clearinghouse.clocks.model import (
    Binding,
    Event,
    EventType,
    Obligation,
    ObligationStatus,
    OrgProfile,
    Thresholds,
)
from clearinghouse.settings import Settings
from clearinghouse.standing.models import RegimeOverride

CLOCK_TYPES = frozenset(t.value for t in EventType)


def regimes_for(settings: Settings) -> RegimeSet:
    """The shipped regimes plus the operator's own directory (cached per directory)."""
    return configured_regimes(str(settings.regimes_dir) if settings.regimes_dir else None)


def thresholds_for(settings: Settings) -> Thresholds:
    return Thresholds(
        fractions=tuple(settings.alert_fractions),
        before_due=tuple(timedelta(hours=h) for h in settings.alert_before_due_hours),
    )


def subject_of(row: TimelineEvent, case_ids: dict[uuid.UUID, str]) -> str:
    """What an event is about: its case's public id, or the subject it names (an
    incident); a stray event is a subject of its own."""
    if row.case_id is not None:
        return case_ids[row.case_id]
    return row.subject or f"event-{row.id}"


@dataclass
class Facts:
    """What the engine needs, loaded in four queries."""

    events: list[Event] = field(default_factory=list)
    profiles: dict[str, OrgProfile] = field(default_factory=dict)
    overrides: list[Binding] = field(default_factory=list)
    case_ids: dict[uuid.UUID, str] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)


def load_facts(
    session: Session,
    *,
    org_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    subject: str | None = None,
    subjects: Collection[str] | None = None,
    overrides_by: datetime | None = None,
) -> Facts:
    """Events (clock types only) of one case, of one subject outside cases (an
    incident), of some subjects (case public ids or incident ids), of one organisation's
    subjects, or everything; the regime overrides decided by ``overrides_by`` (default:
    all of them)."""
    facts = Facts()
    query = select(TimelineEvent).where(TimelineEvent.type.in_(CLOCK_TYPES))
    if case_id is not None:
        query = query.where(TimelineEvent.case_id == case_id)
    if subject is not None:
        query = query.where(TimelineEvent.case_id.is_(None), TimelineEvent.subject == subject)
    if subjects is not None:
        named = sorted(subjects)
        cases = select(Case.id).where(Case.public_id.in_(named))
        query = query.where(
            or_(
                TimelineEvent.case_id.in_(cases),
                and_(TimelineEvent.case_id.is_(None), TimelineEvent.subject.in_(named)),
            )
        )
    if org_id is not None:
        # Every event on any subject this organisation has an event on (case-wide facts
        # such as fix_available concern it too).
        mine = select(TimelineEvent.case_id).where(
            TimelineEvent.org_id == org_id, TimelineEvent.case_id.is_not(None)
        )
        query = query.where(or_(TimelineEvent.org_id == org_id, TimelineEvent.case_id.in_(mine)))
    rows = list(session.scalars(query.order_by(TimelineEvent.occurred_at, TimelineEvent.id)))
    case_uuids = {r.case_id for r in rows if r.case_id is not None}
    if case_uuids:
        pairs = session.execute(
            select(Case.id, Case.public_id).where(Case.id.in_(case_uuids))
        ).all()
        facts.case_ids = dict(pairs)
    orgs = list(session.scalars(select(Organisation)))
    by_id = {o.id: o for o in orgs}
    facts.orgs = {o.slug: o for o in orgs}
    facts.profiles = {o.slug: regulatory_profile(o) for o in orgs}
    present = {r.id for r in rows}
    for r in rows:
        supersedes = str(r.supersedes_id) if r.supersedes_id in present else None
        facts.events.append(
            Event(
                id=str(r.id),
                type=EventType(r.type),
                occurred_at=r.occurred_at,
                recorded_at=r.recorded_at,
                recorded_by=r.recorded_by_label,
                organisation=by_id[r.org_id].slug if r.org_id in by_id else None,
                subject=subject_of(r, facts.case_ids),
                data=dict(r.data or {}),
                supersedes=supersedes,
            )
        )
    decided = select(RegimeOverride)
    if overrides_by is not None:
        decided = decided.where(RegimeOverride.decided_at <= overrides_by)
    for o in session.scalars(decided):
        if o.org_id in by_id:
            facts.overrides.append(
                Binding(by_id[o.org_id].slug, o.subject, o.regime, o.applies, o.reason)
            )
    return facts


def obligations(
    session: Session,
    settings: Settings,
    at: datetime,
    *,
    org_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    subject: str | None = None,
    subjects: Collection[str] | None = None,
) -> tuple[list[Obligation], Facts]:
    facts = load_facts(
        session,
        org_id=org_id,
        case_id=case_id,
        subject=subject,
        subjects=subjects,
        overrides_by=at,  # as the record stood at ``at``: later overrides not yet decided
    )
    result = evaluate(
        facts.events,
        regimes_for(settings),
        facts.profiles,
        facts.overrides,
        at,
        thresholds_for(settings),
        enabled_regimes=settings.enabled_regimes,
    )
    if org_id is not None:
        slug = next((s for s, o in facts.orgs.items() if o.id == org_id), None)
        result = [o for o in result if o.organisation == slug]
    return result, facts


@dataclass(frozen=True, slots=True)
class RegimeRecord:
    regime: str
    title: str
    met: int = 0
    met_late: int = 0
    missed: int = 0
    open: int = 0


def compliance_record(items: list[Obligation]) -> list[RegimeRecord]:
    """Per regime: obligations met on time, met late, missed (still owed), open."""
    counts: dict[str, Counter[ObligationStatus]] = defaultdict(Counter)
    titles: dict[str, str] = {}
    for o in items:
        counts[o.regime][o.status] += 1
        titles[o.regime] = o.regime_title
    return [
        RegimeRecord(
            regime=r,
            title=titles[r],
            met=c[ObligationStatus.MET],
            met_late=c[ObligationStatus.MET_LATE],
            missed=c[ObligationStatus.MISSED],
            open=c[ObligationStatus.PENDING] + c[ObligationStatus.DUE_SOON],
        )
        for r, c in sorted(counts.items())
    ]


def case_board(
    session: Session, settings: Settings, case: Case, at: datetime, *, org_id: uuid.UUID | None
) -> Board:
    """A case's clock board at ``at``: every party's obligations arising from it and the
    clock events they run from. With ``org_id`` (a member's view) only that
    organisation's obligations and its own or case-wide events."""
    items, loaded = obligations(session, settings, at, case_id=case.id, org_id=org_id)
    events = loaded.events
    if org_id is not None:
        own = {slug for slug, o in loaded.orgs.items() if o.id == org_id}
        events = [e for e in events if e.organisation is None or e.organisation in own]
    return build_board(
        case.public_id,
        obligations=items,
        events=events,
        regimes=regimes_for(settings),
        profiles=loaded.profiles,
        at=at,
        thresholds=thresholds_for(settings),
        title=case.title,
    )
