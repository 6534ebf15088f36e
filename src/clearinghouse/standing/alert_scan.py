"""The incremental alert scan: which subjects' obligations to derive again on this pass.

Deriving every obligation of every subject each pass costs in proportion to all the events
ever recorded, in Python. Instead each pass asks the database one question: which subjects

- have clock events whose count or latest recorded instant differs from those kept in
  ``alert_watches`` (new, corrected, or never seen), or
- have reached the next instant at which one of their obligations could alert
  (``next_at <= now``), or
- were last derived more than a day ago (what changes with time alone, such as a regime
  coming into force, is picked up within a day)?

It derives obligations for those subjects only, enqueues their alerts (idempotent, as
before), and keeps each one's event count, latest instant and next alert instant. A quiet
pass returns no rows and builds no object per subject.

What obligations depend on besides events (organisations' regulatory profiles, regime
overrides, the regimes, the alert thresholds) has one fingerprint of its own; when it
changes, every subject is derived again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import Subquery, delete, func, or_, select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.cases.models import Case, TimelineEvent
from clearinghouse.clocks.alerts import next_alert_at
from clearinghouse.clocks.model import Obligation
from clearinghouse.settings import Settings
from clearinghouse.standing import obligations as obl
from clearinghouse.standing.models import AlertScanState, AlertWatch, RegimeOverride

STATE_ID = 1
RESWEEP = timedelta(days=1)
NAMED_AT_MOST = 2000


@dataclass(frozen=True, slots=True)
class Pass:
    """What one pass did: how many subjects it watches, how many it derived, and the
    obligations it derived (to enqueue their alerts)."""

    subjects: int
    derived: int
    obligations: list[Obligation]
    facts: obl.Facts | None


@dataclass(frozen=True, slots=True)
class Seen:
    """A subject's clock events as the scan compares them: how many, the latest recorded."""

    count: int
    latest: datetime


def subject_events() -> Subquery:
    """Every subject's clock events, aggregated: (subject, count, latest recorded)."""
    name = func.coalesce(Case.public_id, TimelineEvent.subject)
    return (
        select(
            name.label("subject"),
            func.count().label("count"),
            func.max(TimelineEvent.recorded_at).label("latest"),
        )
        .select_from(TimelineEvent)
        .outerjoin(Case, Case.id == TimelineEvent.case_id)
        .where(TimelineEvent.type.in_(obl.CLOCK_TYPES))
        .where(name.is_not(None))
        .group_by(name)
        .subquery("subject_events")
    )


def stale_subjects(session: Session, now: datetime, *, everything: bool) -> dict[str, Seen]:
    """The subjects to derive on this pass (all of them when ``everything``)."""
    events = subject_events()
    query = select(events.c.subject, events.c.count, events.c.latest)
    if not everything:
        query = query.outerjoin(AlertWatch, AlertWatch.subject == events.c.subject).where(
            or_(
                AlertWatch.subject.is_(None),
                AlertWatch.event_count != events.c.count,
                AlertWatch.latest_at != events.c.latest,
                AlertWatch.next_at <= now,
                AlertWatch.derived_at <= now - RESWEEP,
            )
        )
    return {subject: Seen(count, latest) for subject, count, latest in session.execute(query).all()}


def facts_fingerprint(session: Session, settings: Settings) -> str:
    """Everything besides events that obligations depend on, as one digest."""
    profiles = sorted(
        (o.slug, o.country or "", sorted(o.jurisdictions or []), sorted(o.regulatory_roles or []))
        for o in session.scalars(select(Organisation))
    )
    overrides = sorted(
        (str(o.org_id), o.subject or "", o.regime, o.applies)
        for o in session.scalars(select(RegimeOverride))
    )
    regimes = sorted(obl.regimes_for(settings))
    thresholds = obl.thresholds_for(settings)
    document = {
        "profiles": profiles,
        "overrides": overrides,
        "regimes": regimes,
        "enabled": sorted(settings.enabled_regimes),
        "fractions": list(thresholds.fractions),
        "before_due": [d.total_seconds() for d in thresholds.before_due],
    }
    return hashlib.sha256(orjson.dumps(document)).hexdigest()


def scan(session: Session, now: datetime, settings: Settings) -> Pass:
    """Derive the obligations of the subjects that need it (see the module docstring)."""
    state = session.get(AlertScanState, STATE_ID)
    facts_now = facts_fingerprint(session, settings)
    everything = state is None or state.facts_fingerprint != facts_now
    todo = stale_subjects(session, now, everything=everything)
    # A quiet pass counts the watches (an index scan), not the events again.
    total = len(todo) if everything else _count(session) if todo else _watched(session)
    # Past half of all subjects (or NAMED_AT_MOST), one pass over everything is cheaper
    # than naming them, and keeps every query's parameter count bounded.
    whole = everything or len(todo) > min(total // 2, NAMED_AT_MOST)
    if whole and not everything:
        todo = stale_subjects(session, now, everything=True)
    derived: list[Obligation] = []
    facts = None
    if todo:
        derived, facts = obl.obligations(session, settings, now, subjects=None if whole else todo)
        _remember(session, todo, derived, now, settings, whole=whole)
    if whole:
        # Subjects whose events are gone (never in practice: the timeline is append-only)
        # are never selected again; their watches are dropped on the next whole pass.
        events = subject_events()
        session.execute(
            delete(AlertWatch).where(AlertWatch.subject.not_in(select(events.c.subject)))
        )
    if state is None:
        session.add(AlertScanState(id=STATE_ID, facts_fingerprint=facts_now, scanned_at=now))
    else:
        state.facts_fingerprint = facts_now
        state.scanned_at = now
    session.flush()
    return Pass(total, len(todo), derived, facts)


def _watched(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AlertWatch)) or 0


def _count(session: Session) -> int:
    events = subject_events()
    return session.scalar(select(func.count()).select_from(events)) or 0


def _remember(
    session: Session,
    todo: dict[str, Seen],
    derived: list[Obligation],
    now: datetime,
    settings: Settings,
    *,
    whole: bool,
) -> None:
    """Keep each derived subject's events as seen and the next instant an alert could fire."""
    thresholds = obl.thresholds_for(settings)
    by_subject: dict[str, list[Obligation]] = {}
    for o in derived:
        by_subject.setdefault(o.subject, []).append(o)
    query = select(AlertWatch)
    if not whole:
        query = query.where(AlertWatch.subject.in_(sorted(todo)))
    watches = {w.subject: w for w in session.scalars(query)}
    for subject, seen in todo.items():
        watch = watches.get(subject)
        if watch is None:
            watch = AlertWatch(subject=subject)
            session.add(watch)
        watch.event_count = seen.count
        watch.latest_at = seen.latest
        watch.next_at = next_alert_at(by_subject.get(subject, []), thresholds, now)
        watch.derived_at = now
