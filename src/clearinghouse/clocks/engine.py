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
* **Trigger.** Each trigger condition takes its earliest matching event; with ``all_of``
  the trigger instant is the latest of those, with ``any_of`` the earliest. If it falls
  outside the regime's effective dates, the stages are ``not_applicable`` (the effective
  date gates on the trigger instant).
* **Displacement.** A regime that binds the organisation and ``displaces`` this one makes
  every stage ``not_applicable`` with ``displaced_by`` (DORA over NIS2).
* **Stages.** A stage's window starts at its anchor (the trigger, the first or latest
  matching event, or the organisation's first or latest submission of an earlier stage,
  possibly in one form), never before the trigger. Each ``no_later_than`` limit whose
  anchor is recorded gives another due instant (its window may start before the
  trigger); the earliest governs. A stage is ``met`` by the organisation's own
  ``report_submitted`` event naming the regime and stage in an accepted form (a third
  party's report settles nothing), ``met_late`` when submitted after the due instant,
  ``waiting`` while its anchor is missing (``not_applicable`` for an optional stage),
  ``missed`` once ``at`` is past due, ``due_soon`` once any alert threshold has fired,
  otherwise ``pending``.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

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
    Deadline,
    Event,
    EventType,
    Obligation,
    ObligationStatus,
    OrgProfile,
    Remark,
    SubmissionForm,
    Thresholds,
)
from clearinghouse.clocks.schema import (
    Anchor,
    Condition,
    Displacement,
    Duration,
    Occurrence,
    Regime,
    Stage,
    Trigger,
)
from clearinghouse.timeutil import (
    ACCEPTED_TEXT,
    EARLIEST,
    LATEST,
    InstantOutOfRange,
    ensure_utc,
    format_instant,
    parse_accepted,
)

T = TypeVar("T")


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "extract, do not translate")
    """Marks a remark's English for extraction (babel.cfg): pages translate it."""
    return message


# The clock's own remarks on an obligation (Obligation.remarks; the note is their English)
WAITING = N_("waiting for %(anchor)s.")
LIMIT_SKIPPED = N_("No %(anchor)s recorded: that limit is not applied.")
EARLIEST_OF = N_("Due at the earliest of: %(candidates)s.")
CANDIDATE = N_("%(duration)s after %(event_type)s (%(event)s)")
ASIDE = N_("(%(remark)s)")
STATED = N_("deadline stated in event %(event)s")
NOT_AN_INSTANT = N_("data.%(field)s of %(event)s is not an instant")
OUT_OF_RANGE = N_(
    "data.%(field)s of %(event)s is outside the instants the platform takes "
    "(%(accepted)s): default period used"
)
NO_FIELD = N_("no data.%(field)s on %(event)s: default period used")
EXCLUDED = N_("Excluded by override.")
NOT_IN_FORCE = N_("Not in force when triggered (%(triggered)s); applies from %(start)s.")
NOT_IN_FORCE_UNTIL = N_(
    "Not in force when triggered (%(triggered)s); applies from %(start)s until %(end)s."
)
DISPLACED = N_("Displaced by %(regime)s: %(citation)s.")


def _regime_sentence(text: str) -> Remark:
    return Remark(text, regime=True)


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


def _order(event: Event) -> tuple[datetime, datetime, str]:
    return (event.occurred_at, event.recorded_at, event.id)


def _matches(events: Iterable[Event], condition: Condition) -> list[Event]:
    # `events` is sorted by occurrence, so the first match is the earliest.
    return [e for e in events if condition.matches(e.type, e.data, e.organisation)]


def _first(events: Iterable[Event], condition: Condition) -> Event | None:
    return next((e for e in events if condition.matches(e.type, e.data, e.organisation)), None)


def _pick(found: list[Event], occurrence: Occurrence) -> Event | None:
    if not found:
        return None
    return found[-1] if occurrence is Occurrence.LATEST else found[0]


def _submissions(
    events: Iterable[Event], org: str, regime: str, stage: str, forms: Iterable[SubmissionForm]
) -> list[Event]:
    """The organisation's own submissions of one stage, in the accepted forms, in order."""
    accepted = frozenset(forms)
    return [
        e
        for e in events
        if e.type is EventType.REPORT_SUBMITTED
        and e.organisation == org
        and e.data.get("regime") == regime
        and e.data.get("stage") == stage
        and e.submission_form in accepted
    ]


def trigger_event(trigger: Trigger, events: list[Event]) -> Event | None:
    """The event that starts a regime: with ``all_of`` the latest of each condition's
    earliest match (all must match), with ``any_of`` the earliest match of any."""
    matches = [_first(events, c) for c in trigger.conditions]
    found = [m for m in matches if m is not None]
    if trigger.all_of:
        return max(found, key=_order) if len(found) == len(matches) else None
    return min(found, key=_order) if found else None


def compute_due(
    start: datetime, duration: Duration, time_zone: str | None, anchor: Event | None = None
) -> tuple[datetime, str]:
    """The due instant of a window starting at ``start``, and a note when the anchor
    event's own deadline (``from_event_field``) was used or could not be read."""
    due, remark = _due(start, duration, time_zone, anchor)
    return due, remark.english() if remark is not None else ""


def _due(
    start: datetime, duration: Duration, time_zone: str | None, anchor: Event | None = None
) -> tuple[datetime, Remark | None]:
    """:func:`compute_due`, its note as a :class:`Remark`."""
    note: Remark | None = None
    if duration.from_event_field and anchor is not None:
        where = {"field": duration.from_event_field, "event": anchor.id}
        raw = anchor.data.get(duration.from_event_field)
        if raw is not None:
            try:
                stated = parse_accepted(str(raw))
            except InstantOutOfRange:
                note = Remark(OUT_OF_RANGE, {**where, "accepted": ACCEPTED_TEXT})
            except ValueError:
                note = Remark(NOT_AN_INSTANT, where)
            else:
                return max(stated, start), Remark(STATED, {"event": anchor.id})
        else:
            note = Remark(NO_FIELD, where)
    tz = zone(time_zone)
    calendar = BusinessCalendar(duration.calendar) if duration.calendar is not None else None
    try:
        if duration.hours is not None:
            return add_hours(start, duration.hours), note
        if duration.calendar_days is not None:
            return add_calendar_days(start, duration.calendar_days, tz), note
        if duration.months is not None:
            return add_months(start, duration.months, tz), note
        if duration.business_days is not None and calendar is not None:
            return (
                add_business_days_at(
                    start, duration.business_days, calendar, tz, duration.at_local_time
                ),
                note,
            )
    # OverflowError: past datetime's range in UTC or in the zone; ValueError: a date in
    # year 10000 (months, business days)
    except (OverflowError, ValueError):
        raise EventError(
            f"the due of {duration.describe()} from {format_instant(start)} (time zone "
            f"{tz.key}) falls outside the years 0001 to 9999, which the platform cannot hold"
        ) from None
    raise EventError("unreachable: a validated duration has exactly one unit")  # pragma: no cover


def in_force(regime: Regime, instant: datetime) -> bool:
    """Whether ``instant`` is within the regime's effective dates (read at 00:00 in its
    reference time zone, UTC when it names none)."""
    tz = zone(regime.reference_time_zone)
    if instant < _day_start(regime.effective_from, tz):
        return False
    if regime.effective_until is None:
        return True
    return instant < _day_start(regime.effective_until, tz)


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    """00:00 of ``day`` in ``tz``: the first or the last instant datetime holds when that
    is before year 1 or after year 9999 in UTC (0001-01-01 east of UTC, 9999-12-31 west)."""
    try:
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    except OverflowError:
        return EARLIEST if day.year == 1 else LATEST


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
            BasisKind.OVERRIDE,
            f"override: {verdict}: {override.reason}",
            applies=override.applies,
            override_reason=override.reason,
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
    duration: Duration | None = None,
    remarks: Iterable[Remark] = (),
    deadlines: tuple[Deadline, ...] = (),
    displaced_by: str | None = None,
) -> Obligation:
    said = (*remarks, *(_regime_sentence(n) for n in stage.notes_for(ctx.profile)))
    period = duration or stage.duration
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
        anchor_source=_source(anchor),
        trigger_event=ctx.trigger.id,
        basis=ctx.basis,
        flags=ctx.regime.flag_notes(),
        met_by=submission.id if submission else None,
        submitted_at=submission.occurred_at if submission else None,
        recipients=stage.recipients_for(ctx.profile),
        optional=stage.optional,
        duration=period.describe(),
        note=" ".join(r.english() for r in said),
        remarks=said,
        forms=stage.forms,
        deadlines=deadlines,
        displaced_by=displaced_by,
        time_limit=period.limit(ctx.regime.reference_time_zone),
    )


def _source(event: Event | None) -> Mapping[str, Any] | None:
    """What the anchor event says about how it came to be recorded (``data.source``: an
    exposure match that told the organisation, for instance), shown on the obligation."""
    if event is None:
        return None
    source = event.data.get("source")
    return dict(source) if isinstance(source, Mapping) else None


def _anchor(ctx: _Context, anchor: Anchor) -> Event | None:
    """The event an anchor points at for this organisation, or None while it is missing."""
    if anchor.trigger:
        return ctx.trigger
    if anchor.event is not None:
        return _pick(_matches(ctx.events, anchor.event), anchor.occurrence)
    stage = ctx.regime.stage(anchor.stage_submitted or "")
    forms = (anchor.form,) if anchor.form is not None else stage.forms
    found = _submissions(ctx.events, ctx.profile.id, ctx.regime.id, stage.id, forms)
    return _pick(found, anchor.occurrence)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """One way the stage's due is computed: an anchor, the instant its window starts, a
    duration; the earliest candidate governs."""

    anchor: Event
    start: datetime
    duration: Duration
    label: Remark
    due: datetime
    note: Remark | None


def _candidate(ctx: _Context, anchor: Event, start: datetime, duration: Duration) -> _Candidate:
    due, note = _due(start, duration, ctx.regime.reference_time_zone, anchor)
    label = Remark(
        CANDIDATE, {"duration": duration, "event_type": anchor.type.value, "event": anchor.id}
    )
    return _Candidate(anchor, start, duration, label, due, note)


def _candidates(
    ctx: _Context, stage: Stage, anchor: Event
) -> tuple[list[_Candidate], list[Remark]]:
    """The stage's own deadline (its window never starts before the trigger) and each
    ``no_later_than`` limit whose anchor has been recorded (a limit may start earlier)."""
    duration, variant_note = stage.duration_for(ctx.profile)
    own_start = max(anchor.occurred_at, ctx.trigger.occurred_at)
    found = [_candidate(ctx, anchor, own_start, duration)]
    notes = [_regime_sentence(variant_note)] if variant_note else []
    for limit in stage.no_later_than:
        limit_anchor = _anchor(ctx, limit.anchor)
        if limit_anchor is None:
            notes.append(Remark(LIMIT_SKIPPED, {"anchor": limit.anchor}))
            continue
        found.append(
            _candidate(ctx, limit_anchor, limit_anchor.occurred_at, limit.duration or duration)
        )
    return found, notes


def _status(ctx: _Context, governing: _Candidate, submission: Event | None) -> ObligationStatus:
    if submission is not None:
        return (
            ObligationStatus.MET
            if submission.occurred_at <= governing.due
            else ObligationStatus.MET_LATE
        )
    if ctx.at > governing.due:
        return ObligationStatus.MISSED
    if warning_started(governing.start, governing.due, ctx.thresholds, ctx.at):
        return ObligationStatus.DUE_SOON
    return ObligationStatus.PENDING


def _stage(ctx: _Context, stage: Stage) -> Obligation:
    org, regime = ctx.profile.id, ctx.regime
    submissions = _submissions(ctx.events, org, regime.id, stage.id, stage.forms)
    submission = submissions[0] if submissions else None
    anchor = _anchor(ctx, stage.anchor)
    if anchor is None:
        if submission is not None:
            return _obligation(ctx, stage, ObligationStatus.MET, submission=submission)
        status = ObligationStatus.NOT_APPLICABLE if stage.optional else ObligationStatus.WAITING
        return _obligation(ctx, stage, status, remarks=[Remark(WAITING, {"anchor": stage.anchor})])
    candidates, notes = _candidates(ctx, stage, anchor)
    governing = min(candidates, key=lambda c: c.due)
    deadlines: tuple[Deadline, ...] = ()
    if stage.no_later_than:
        deadlines = tuple(
            Deadline(
                c.label.english(),
                c.anchor.id,
                c.start,
                c.duration.describe(),
                c.due,
                c is governing,
            )
            for c in candidates
        )
        notes.append(Remark(EARLIEST_OF, {"candidates": tuple(c.label for c in candidates)}))
    if governing.note is not None:
        notes.append(Remark(ASIDE, {"remark": governing.note}))
    return _obligation(
        ctx,
        stage,
        _status(ctx, governing, submission),
        due=governing.due,
        anchor=governing.anchor,
        anchor_at=governing.start,
        submission=submission,
        duration=governing.duration,
        remarks=notes,
        deadlines=deadlines,
    )


def _as_list(items: Iterable[T] | Mapping[str, T]) -> list[T]:
    return list(items.values()) if isinstance(items, Mapping) else list(items)


@dataclass(frozen=True, slots=True)
class _Evaluation:
    """What every (organisation, subject, regime) evaluation of one run shares."""

    regimes: list[Regime]
    index: _Overrides
    enabled: frozenset[str]
    at: datetime
    thresholds: Thresholds
    # regime id -> the regimes that may displace it, with their rule
    displacers: dict[str, list[tuple[Regime, Displacement]]]

    @classmethod
    def build(
        cls,
        regimes: list[Regime],
        overrides: Iterable[Binding],
        enabled: Iterable[str],
        at: datetime,
        thresholds: Thresholds,
    ) -> _Evaluation:
        displacers: dict[str, list[tuple[Regime, Displacement]]] = defaultdict(list)
        for regime in regimes:
            for rule in regime.displaces:
                displacers[rule.regime].append((regime, rule))
        return cls(
            regimes, _Overrides.build(overrides), frozenset(enabled), at, thresholds, displacers
        )


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
    run = _Evaluation.build(
        sorted(_as_list(regimes), key=lambda r: r.id), overrides, enabled_regimes, at, thresholds
    )
    by_org = {p.id: p for p in _as_list(profiles)}
    by_subject: dict[str, list[Event]] = defaultdict(list)
    for event in effective_events(events, at, view):
        by_subject[event.subject].append(event)

    out: list[Obligation] = []
    for subject in sorted(by_subject):
        subject_events = by_subject[subject]
        for org in _parties(subject, subject_events, run.index):
            profile = by_org.get(org)
            if profile is None:
                continue
            mine = [e for e in subject_events if e.concerns(org)]
            for regime in run.regimes:
                out.extend(_regime(regime, profile, subject, mine, run))
    return out


def _parties(subject: str, events: list[Event], index: _Overrides) -> list[str]:
    """Organisations named by the subject's events, and those an override binds to it."""
    parties = {e.organisation for e in events if e.organisation is not None}
    parties |= {o for (o, s, _r), b in index.specific.items() if s == subject and b.applies}
    return sorted(parties)


def _displacement(
    regime: Regime, profile: OrgProfile, subject: str, when: datetime, run: _Evaluation
) -> tuple[Regime, Displacement] | None:
    """A regime that binds this organisation, is in force at ``when`` and displaces
    ``regime`` for it (through one of the rule's roles, when the rule names roles)."""
    for other, rule in run.displacers.get(regime.id, []):
        bound = _basis(other, profile, run.index.find(profile.id, subject, other.id), run.enabled)
        if bound is None or not bound[1]:
            continue
        if rule.roles and not any(r in profile.roles for r in rule.roles):
            continue
        if in_force(other, when):
            return other, rule
    return None


def _regime(
    regime: Regime,
    profile: OrgProfile,
    subject: str,
    events: list[Event],
    run: _Evaluation,
) -> list[Obligation]:
    bound = _basis(regime, profile, run.index.find(profile.id, subject, regime.id), run.enabled)
    if bound is None:
        return []
    basis, applies = bound
    trigger = trigger_event(regime.trigger, events)
    if trigger is None:
        return []
    ctx = _Context(regime, profile, subject, basis, trigger, events, run.at, run.thresholds)
    if not applies:
        return _every_stage(ctx, [Remark(EXCLUDED)])
    if not in_force(regime, trigger.occurred_at):
        when = {"triggered": trigger.occurred_at, "start": regime.effective_from}
        if regime.effective_until:
            said = Remark(NOT_IN_FORCE_UNTIL, {**when, "end": regime.effective_until})
        else:
            said = Remark(NOT_IN_FORCE, when)
        return _every_stage(ctx, [said])
    displaced = _displacement(regime, profile, subject, trigger.occurred_at, run)
    if displaced is not None:
        other, rule = displaced
        remarks = [
            Remark(DISPLACED, {"regime": other.id, "citation": _regime_sentence(rule.citation)})
        ]
        if rule.note:
            remarks.append(_regime_sentence(rule.note))
        return _every_stage(ctx, remarks, displaced_by=other.id)
    return [_stage(ctx, s) for s in regime.stages]


def _every_stage(
    ctx: _Context, remarks: list[Remark], *, displaced_by: str | None = None
) -> list[Obligation]:
    """Every stage ``not_applicable``, with the reason."""
    return [
        _obligation(
            ctx, s, ObligationStatus.NOT_APPLICABLE, remarks=remarks, displaced_by=displaced_by
        )
        for s in ctx.regime.stages
    ]
