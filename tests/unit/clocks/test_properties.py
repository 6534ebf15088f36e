"""Engine-level Hypothesis properties over all shipped regimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.clocks import Event, EventType, OrgProfile, Role, evaluate, parse_regime
from tests.unit.clocks.helpers import REGIMES

OMNI = OrgProfile("omni", "Omni", {"EU", "CN", "US", "IN"}, set(Role))
AT = datetime(2029, 1, 1, tzinfo=UTC)
KINDS = [
    EventType.AWARE,
    EventType.EXPLOITATION_KNOWN,
    EventType.FIX_AVAILABLE,
    EventType.SEVERE_INCIDENT_AWARE,
    EventType.SIGNIFICANT_INCIDENT_AWARE,
    EventType.MATERIALITY_DETERMINED,
    EventType.INCIDENT_NOTICED,
    EventType.COVERED_INCIDENT_AWARE,
    EventType.RANSOM_PAID,
    EventType.REPORT_REQUESTED,
]
SUBMISSIONS = [
    ("eu-nis2-art23", "notification"),
    ("eu-cra-art14-incident", "notification"),
    ("eu-cra-art14-vuln", "early_warning"),
]
instants = st.datetimes(
    min_value=datetime(2026, 9, 1), max_value=datetime(2028, 6, 1), timezones=st.just(UTC)
)


@st.composite
def scenarios(draw: st.DrawFn) -> list[Event]:
    events: list[Event] = []
    for i, kind in enumerate(KINDS):
        if draw(st.booleans()):
            when = draw(instants)
            org = None if kind is EventType.FIX_AVAILABLE and draw(st.booleans()) else "omni"
            data: dict[str, Any] = (
                {"regime": "eu-nis2-art23"} if kind is EventType.REPORT_REQUESTED else {}
            )
            events.append(Event(f"e{i}", kind, when, when, "h", org, "case", data))
    for j, (regime, stage) in enumerate(SUBMISSIONS):
        if draw(st.booleans()):
            when = draw(instants)
            data = {"regime": regime, "stage": stage}
            events.append(
                Event(f"s{j}", EventType.REPORT_SUBMITTED, when, when, "h", "omni", "case", data)
            )
    return events


def _dues(events: list[Event]) -> dict[tuple[str, str], datetime | None]:
    obligations = evaluate(events, REGIMES, [OMNI], [], AT, enabled_regimes=["us-circia"])
    return {(o.regime, o.stage): o.due for o in obligations}


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_never_due_before_its_anchor(events: list[Event]) -> None:
    by_id = {e.id: e for e in events}
    for o in evaluate(events, REGIMES, [OMNI], [], AT, enabled_regimes=["us-circia"]):
        if o.due is None:
            continue
        assert o.anchor_at is not None
        assert o.anchor_event is not None
        assert o.due > o.anchor_at
        assert o.anchor_at >= by_id[o.anchor_event].occurred_at


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.data())
def test_moving_an_anchor_later_never_moves_a_deadline_earlier(
    events: list[Event], data: st.DataObject
) -> None:
    if not events:
        return
    index = data.draw(st.integers(min_value=0, max_value=len(events) - 1))
    shift = data.draw(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=60)))
    moved = list(events)
    old = moved[index]
    when = old.occurred_at + shift
    moved[index] = Event(old.id, old.type, when, when, "h", old.organisation, old.subject, old.data)
    before, after = _dues(events), _dues(moved)
    for key, due in before.items():
        later = after.get(key)
        if due is not None and later is not None:
            assert later >= due, key


BERLIN_24H: dict[str, Any] = {
    "id": "berlin-24h",
    "title": "Test regime read in Berlin time",
    "jurisdiction": "DE",
    "sources": [{"citation": "test"}],
    "effective_from": "2020-01-01",
    "status": "in_force",
    "enabled_by_default": True,
    "reference_time_zone": "Europe/Berlin",
    "binds": [{"roles": ["manufacturer"]}],
    "trigger": {"all_of": [{"any_of": ["aware"]}]},
    "stages": [
        {"id": "h24", "name": "24 h", "anchor": {"trigger": True}, "duration": {"hours": 24}},
        {
            "id": "d1",
            "name": "1 day",
            "anchor": {"trigger": True},
            "duration": {"calendar_days": 1},
        },
    ],
}


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2026, 3, 28), max_value=datetime(2026, 3, 29, 3), timezones=st.just(UTC)
    )
    | st.datetimes(
        min_value=datetime(2026, 10, 24),
        max_value=datetime(2026, 10, 25, 3),
        timezones=st.just(UTC),
    )
)
def test_a_24_hour_clock_across_a_berlin_dst_change_is_24_elapsed_hours(start: datetime) -> None:
    regime = parse_regime(BERLIN_24H, "test")
    maker = OrgProfile("m", "M", {"DE"}, {Role.MANUFACTURER})
    events = [Event("a", EventType.AWARE, start, start, "h", "m", "case")]
    stages = {o.stage: o for o in evaluate(events, [regime], [maker], [], start)}
    assert stages["h24"].due is not None
    assert stages["h24"].due - start == timedelta(hours=24)
    # The calendar day is 23, 24 or 25 elapsed hours (DST), and at most 1 hour short
    # beyond that for an anchor in the first pass of the repeated hour.
    day = stages["d1"].due
    assert day is not None
    assert timedelta(hours=22) <= day - start <= timedelta(hours=25)
