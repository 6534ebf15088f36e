"""The obligation engine: from recorded events, regimes and who-is-who, derive every
reporting obligation and its status at an instant. Pure: no wall clock, no I/O.

Rules (docs/clocks.md explains each with examples):

* **Effective events.** A correction is a new event that ``supersedes`` an older one;
  superseded events are ignored, and a ``withdrawn`` event retracts the one it
  supersedes. In the default :attr:`View.OCCURRED` every given event is known and only
  those that had *happened* by ``at`` count (replays and what-ifs); in
  :attr:`View.RECORDED` only what had been *recorded* by ``at`` counts, corrections
  included (what the platform knew then).
* **Parties.** The organisations named by a subject's events (plus those an override
  names for it) are its parties. A case-wide event (``organisation=None``) concerns every
  party. An organisation without a profile is bound by nothing.
* **Bound.** An override (:class:`Binding`) for the organisation and subject (or for all
  its subjects) decides; otherwise the regime must be enabled (by default, or listed in
  ``enabled_regimes``) and one of its ``binds`` clauses must match the profile.
* **Trigger.** Each trigger condition takes its earliest matching event; the trigger
  instant is the latest of those. If it falls outside the regime's effective dates, the
  stages are ``not_applicable`` (the effective date gates on the trigger instant).
* **Stages.** A stage's window starts at its anchor (the trigger, the earliest matching
  event, or the organisation's submission of an earlier stage), never before the
  trigger. It is ``met`` by the organisation's own ``report_submitted`` event naming the
  regime and stage (a third party's report settles nothing), ``met_late`` when submitted
  after the due instant, ``waiting`` while its anchor is missing (``not_applicable`` for
  an optional stage), ``missed`` once ``at`` is past due, ``due_soon`` once any alert
  threshold has fired, otherwise ``pending``.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TypeVar

from clearinghouse.clocks.alerts import warning_started
from clearinghouse.clocks.calendar import (
    BusinessCalendar,
    add_business_days_at,
    add_calendar_days,
    add_hours,
    add_months,
    zone,
)
from clearinghouse.clocks.errors import EventError
from clearinghouse.clocks.model import (
    DEFAULT_THRESHOLDS,
    Basis,
    BasisKind,
    Binding,
    Event,
    EventType,
    Obligation,
    ObligationStatus,
    OrgProfile,
    Thresholds,
)
from clearinghouse.clocks.schema import Condition, Duration, Regime, Stage
from clearinghouse.timeutil import ensure_utc, parse_instant

T = TypeVar("T")


class View(enum.StrEnum):
    OCCURRED = "occurred"  # all given events are known; those that happened by `at` count
    RECORDED = "recorded"  # only events recorded by `at` are known


def check_events(events: Iterable[Event]) -> None:
    """Refuse duplicate ids, dangling or cross-subject ``supersedes``, and cycles."""
    by_id: dict[str, Event] = {}
    for event in events:
        if event.id in by_id:
            raise EventError(f"duplicate event id {event.id!r}")
        by_id[event.id] = event
    for event in by_id.values():
        if event.supersedes is None:
            continue
        target = by_id.get(event.supersedes)
        if target is None:
            raise EventError(f"event {event.id} supersedes unknown event {event.supersedes!r}")
        if target.subject != event.subject:
            raise EventError(
                f"event {event.id} (subject {event.subject}) supersedes {target.id} of "
                f"another subject ({target.subject})"
            )
        seen = {event.id}
        cursor: Event | None = target
        while cursor is not None and cursor.supersedes is not None:
            if cursor.id in seen:
                raise EventError(f"events supersede each other in a cycle through {event.id}")
            seen.add(cursor.id)
            cursor = by_id.get(cursor.supersedes)


def effective_events(
    events: Iterable[Event], at: datetime, view: View = View.OCCURRED
) -> list[Event]:
    """The events that count at ``at``: known, not superseded, not withdrawn, happened."""
    at = ensure_utc(at)
    all_events = list(events)
    check_events(all_events)
    known = all_events if view is View.OCCURRED else [e for e in all_events if e.recorded_at <= at]
    superseded = {e.supersedes for e in known if e.supersedes is not None}
    return sorted(
        (
            e
            for e in known
            if e.id not in superseded and e.type is not EventType.WITHDRAWN and e.occurred_at <= at
        ),
        key=lambda e: (e.occurred_at, e.recorded_at, e.id),
    )


def _first(events: Iterable[Event], condition: Condition) -> Event | None:
    # `events` is sorted by occurrence, so the first match is the earliest.
    return next((e for e in events if condition.matches(e.type, e.data, e.organisation)), None)


def _submission(events: Iterable[Event], org: str, regime: str, stage: str) -> Event | None:
    return next(
        (
            e
            for e in events
            if e.type is EventType.REPORT_SUBMITTED
            and e.organisation == org
            and e.data.get("regime") == regime
            and e.data.get("stage") == stage
        ),
        None,
    )


def compute_due(
    start: datetime, duration: Duration, time_zone: str | None, anchor: Event | None = None
) -> tuple[datetime, str]:
    """The due instant of a window starting at ``start``, and a note when the anchor
    event's own deadline (``from_event_field``) was used or could not be read."""
    if duration.from_event_field and anchor is not None:
        raw = anchor.data.get(duration.from_event_field)
        if raw is not None:
            try:
                stated = parse_instant(str(raw))
            except ValueError:
                note = f"data.{duration.from_event_field} of {anchor.id} is not an instant"
            else:
                return max(stated, start), f"deadline stated in event {anchor.id}"
        else:
            note = f"no data.{duration.from_event_field} on {anchor.id}: default period used"
    else:
        note = ""
    tz = zone(time_zone)
    if duration.hours is not None:
        return add_hours(start, duration.hours), note
    if duration.calendar_days is not None:
        return add_calendar_days(start, duration.calendar_days, tz), note
    if duration.months is not None:
        return add_months(start, duration.months, tz), note
    if duration.business_days is not None and duration.calendar is not None:
        calendar = BusinessCalendar(duration.calendar)
        return (
            add_business_days_at(
                start, duration.business_days, calendar, tz, duration.at_local_time
            ),
            note,
        )
    raise EventError("unreachable: a validated duration has exactly one unit")  # pragma: no cover


def in_force(regime: Regime, instant: datetime) -> bool:
    """Whether ``instant`` is within the regime's effective dates (read at 00:00 in its
    reference time zone, UTC when it names none)."""
    tz = zone(regime.reference_time_zone)
    start = datetime.combine(regime.effective_from, time(0), tzinfo=tz).astimezone(UTC)
    if instant < start:
        return False
    if regime.effective_until is None:
        return True
    end = datetime.combine(regime.effective_until, time(0), tzinfo=tz).astimezone(UTC)
    return instant < end


@dataclass(frozen=True, slots=True)
class _Overrides:
    specific: dict[tuple[str, str, str], Binding]
    general: dict[tuple[str, str], Binding]

    @classmethod
    def build(cls, overrides: Iterable[Binding]) -> _Overrides:
        specific: dict[tuple[str, str, str], Binding] = {}
        general: dict[tuple[str, str], Binding] = {}
        for b in overrides:  # later entries win
            if b.subject is None:
                general[(b.org, b.regime)] = b
            else:
                specific[(b.org, b.subject, b.regime)] = b
        return cls(specific, general)

    def find(self, org: str, subject: str, regime: str) -> Binding | None:
        return self.specific.get((org, subject, regime)) or self.general.get((org, regime))


def _basis(
    regime: Regime,
    profile: OrgProfile,
    override: Binding | None,
    enabled: frozenset[str],
) -> tuple[Basis, bool] | None:
    if override is not None:
        verdict = "applies" if override.applies else "does not apply"
        return Basis(
            BasisKind.OVERRIDE, f"override: {verdict}: {override.reason}"
        ), override.applies
    if not (regime.enabled_by_default or regime.id in enabled):
        return None
    for clause in regime.binds:
        found = clause.match(profile)
        if found is not None:
            role, where = found
            text = f"role {role.value}" + (f" in {where}" if where else "")
            return Basis(BasisKind.ROLE_JURISDICTION, text, role, where), True
    return None


@dataclass(frozen=True, slots=True)
class _Context:
    regime: Regime
    profile: OrgProfile
    subject: str
    basis: Basis
    trigger: Event
    events: list[Event]  # effective events of this subject concerning this organisation
    at: datetime
    thresholds: Thresholds


def _obligation(
    ctx: _Context,
    stage: Stage,
    status: ObligationStatus,
    *,
    due: datetime | None = None,
    anchor: Event | None = None,
    anchor_at: datetime | None = None,
    submission: Event | None = None,
    duration: str = "",
    note: str = "",
) -> Obligation:
    notes = " ".join(n for n in (note, stage.note) if n)
    return Obligation(
        organisation=ctx.profile.id,
        subject=ctx.subject,
        regime=ctx.regime.id,
        regime_title=ctx.regime.title,
        stage=stage.id,
        stage_name=stage.name,
        status=status,
        due=due,
        anchor_event=anchor.id if anchor else None,
        anchor_at=anchor_at,
        trigger_event=ctx.trigger.id,
        basis=ctx.basis,
        flags=ctx.regime.flag_notes(),
        met_by=submission.id if submission else None,
        submitted_at=submission.occurred_at if submission else None,
        recipients=stage.recipients,
        optional=stage.optional,
        duration=duration or stage.duration.describe(),
        note=notes,
    )


def _stage(ctx: _Context, stage: Stage) -> Obligation:
    org, regime = ctx.profile.id, ctx.regime
    submission = _submission(ctx.events, org, regime.id, stage.id)
    anchor: Event | None
    if stage.anchor.trigger:
        anchor = ctx.trigger
    elif stage.anchor.event is not None:
        anchor = _first(ctx.events, stage.anchor.event)
    else:
        anchor = _submission(ctx.events, org, regime.id, stage.anchor.stage_submitted or "")
    if anchor is None:
        if submission is not None:
            return _obligation(ctx, stage, ObligationStatus.MET, submission=submission)
        status = ObligationStatus.NOT_APPLICABLE if stage.optional else ObligationStatus.WAITING
        return _obligation(ctx, stage, status, note=f"waiting for {stage.anchor.describe()}.")
    anchor_at = max(anchor.occurred_at, ctx.trigger.occurred_at)
    duration, variant_note = stage.duration_for(ctx.profile)
    due, due_note = compute_due(anchor_at, duration, regime.reference_time_zone, anchor)
    if submission is not None:
        status = (
            ObligationStatus.MET if submission.occurred_at <= due else ObligationStatus.MET_LATE
        )
    elif ctx.at > due:
        status = ObligationStatus.MISSED
    elif warning_started(anchor_at, due, ctx.thresholds, ctx.at):
        status = ObligationStatus.DUE_SOON
    else:
        status = ObligationStatus.PENDING
    note = " ".join(n for n in (variant_note, due_note and f"({due_note})") if n)
    return _obligation(
        ctx,
        stage,
        status,
        due=due,
        anchor=anchor,
        anchor_at=anchor_at,
        submission=submission,
        duration=duration.describe(),
        note=note,
    )


def _as_list(items: Iterable[T] | Mapping[str, T]) -> list[T]:
    return list(items.values()) if isinstance(items, Mapping) else list(items)


def evaluate(
    events: Iterable[Event],
    regimes: Iterable[Regime] | Mapping[str, Regime],
    profiles: Iterable[OrgProfile] | Mapping[str, OrgProfile],
    overrides: Iterable[Binding] = (),
    at: datetime | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    enabled_regimes: Iterable[str] = (),
    view: View = View.OCCURRED,
) -> list[Obligation]:
    """Every obligation (organisation, subject, regime, stage) and its status at ``at``.

    Sorted by subject, organisation, regime id and stage order. Raises
    :class:`EventError` for an inconsistent event set.
    """
    if at is None:
        raise TypeError("evaluate needs the instant 'at' (the clocks never read the wall clock)")
    at = ensure_utc(at)
    regime_list = sorted(_as_list(regimes), key=lambda r: r.id)
    by_org = {p.id: p for p in _as_list(profiles)}
    index = _Overrides.build(overrides)
    enabled = frozenset(enabled_regimes)

    by_subject: dict[str, list[Event]] = defaultdict(list)
    for event in effective_events(events, at, view):
        by_subject[event.subject].append(event)

    out: list[Obligation] = []
    for subject in sorted(by_subject):
        subject_events = by_subject[subject]
        parties = {e.organisation for e in subject_events if e.organisation is not None}
        parties |= {o for (o, s, _r), b in index.specific.items() if s == subject and b.applies}
        for org in sorted(parties):
            profile = by_org.get(org)
            if profile is None:
                continue
            mine = [e for e in subject_events if e.concerns(org)]
            for regime in regime_list:
                out.extend(_regime(regime, profile, subject, mine, index, enabled, at, thresholds))
    return out


def _regime(
    regime: Regime,
    profile: OrgProfile,
    subject: str,
    events: list[Event],
    index: _Overrides,
    enabled: frozenset[str],
    at: datetime,
    thresholds: Thresholds,
) -> list[Obligation]:
    bound = _basis(regime, profile, index.find(profile.id, subject, regime.id), enabled)
    if bound is None:
        return []
    basis, applies = bound
    matches = [_first(events, c) for c in regime.trigger.all_of]
    if any(m is None for m in matches):
        return []
    trigger = max(
        (m for m in matches if m is not None), key=lambda e: (e.occurred_at, e.recorded_at, e.id)
    )
    ctx = _Context(regime, profile, subject, basis, trigger, events, at, thresholds)
    if not applies:
        return [
            _obligation(ctx, s, ObligationStatus.NOT_APPLICABLE, note="Excluded by override.")
            for s in regime.stages
        ]
    if not in_force(regime, trigger.occurred_at):
        until = f" until {regime.effective_until}" if regime.effective_until else ""
        note = (
            f"Not in force when triggered ({trigger.occurred_at:%Y-%m-%d %H:%M} UTC); "
            f"applies from {regime.effective_from}{until}."
        )
        return [
            _obligation(ctx, s, ObligationStatus.NOT_APPLICABLE, note=note) for s in regime.stages
        ]
    return [_stage(ctx, s) for s in regime.stages]
