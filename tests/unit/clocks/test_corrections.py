"""Append-only events: corrections supersede, obligations are re-derived."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clearinghouse.clocks import (
    Event,
    EventError,
    EventType,
    ObligationStatus,
    View,
    effective_events,
    evaluate,
)
from tests.unit.clocks.helpers import ACME, REGIMES, by_stage, ev, run, t

VULN = "eu-cra-art14-vuln"


def test_a_superseding_event_with_a_later_occurrence_moves_the_due() -> None:
    original = ev("e1", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z")
    fixed = ev(
        "e2",
        EventType.EXPLOITATION_KNOWN,
        "2026-10-01T15:00:00Z",
        recorded="2026-10-01T16:00:00Z",
        supersedes="e1",
    )
    before = by_stage(run([original], "2026-10-01T16:30:00Z", regimes=[VULN]), VULN)
    after = by_stage(run([original, fixed], "2026-10-01T16:30:00Z", regimes=[VULN]), VULN)
    assert before["early_warning"].due == t("2026-10-02T10:00:00Z")
    assert after["early_warning"].due == t("2026-10-02T15:00:00Z")
    assert after["early_warning"].anchor_event == "e2"
    assert after["notification"].due == t("2026-10-04T15:00:00Z")


def test_a_chain_of_corrections_uses_only_the_last() -> None:
    events = [
        ev("e1", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z"),
        ev("e2", EventType.EXPLOITATION_KNOWN, "2026-10-01T11:00:00Z", supersedes="e1"),
        ev("e3", EventType.EXPLOITATION_KNOWN, "2026-10-01T12:00:00Z", supersedes="e2"),
    ]
    stage = by_stage(run(events, "2026-10-01T13:00:00Z", regimes=[VULN]), VULN)["early_warning"]
    assert stage.due == t("2026-10-02T12:00:00Z")


def test_a_withdrawn_event_removes_the_obligations_it_caused() -> None:
    events = [
        ev("e1", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z"),
        ev("w", EventType.WITHDRAWN, "2026-10-01T11:00:00Z", supersedes="e1"),
    ]
    assert run(events, "2026-10-01T12:00:00Z", regimes=[VULN]) == []


def test_recorded_view_ignores_corrections_recorded_after_the_instant() -> None:
    original = ev("e1", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z")
    fixed = ev(
        "e2",
        EventType.EXPLOITATION_KNOWN,
        "2026-10-01T15:00:00Z",
        recorded="2026-10-03T00:00:00Z",
        supersedes="e1",
    )
    at = t("2026-10-02T00:00:00Z")
    known_then = evaluate([original, fixed], [REGIMES[VULN]], [ACME], [], at, view=View.RECORDED)
    replay = evaluate([original, fixed], [REGIMES[VULN]], [ACME], [], at)
    assert by_stage(known_then, VULN)["early_warning"].due == t("2026-10-02T10:00:00Z")
    assert by_stage(replay, VULN)["early_warning"].due == t("2026-10-02T15:00:00Z")


def test_events_that_had_not_happened_at_the_instant_do_not_count() -> None:
    events = [
        ev("e1", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z"),
        ev("fix", EventType.FIX_AVAILABLE, "2026-10-20T08:00:00Z", org=None),
    ]
    final = by_stage(run(events, "2026-10-10T00:00:00Z", regimes=[VULN]), VULN)["final_report"]
    assert final.status is ObligationStatus.WAITING


def test_effective_events_are_sorted_by_occurrence() -> None:
    events = [
        ev("b", EventType.AWARE, "2026-10-02T00:00:00Z"),
        ev("a", EventType.AWARE, "2026-10-01T00:00:00Z"),
    ]
    assert [e.id for e in effective_events(events, t("2026-10-03T00:00:00Z"))] == ["a", "b"]


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            [ev("x", EventType.AWARE, "2026-10-01T00:00:00Z")] * 2,
            "duplicate event id",
        ),
        (
            [ev("x", EventType.AWARE, "2026-10-01T00:00:00Z", supersedes="nope")],
            "unknown event",
        ),
        (
            [
                ev("x", EventType.AWARE, "2026-10-01T00:00:00Z"),
                ev("y", EventType.AWARE, "2026-10-01T00:00:00Z", subject="other", supersedes="x"),
            ],
            "another subject",
        ),
        (
            [
                ev("x", EventType.AWARE, "2026-10-01T00:00:00Z", supersedes="y"),
                ev("y", EventType.AWARE, "2026-10-01T00:00:00Z", supersedes="x"),
            ],
            "cycle",
        ),
    ],
)
def test_inconsistent_event_sets_are_refused(events: list[Event], message: str) -> None:
    with pytest.raises(EventError, match=message):
        run(events, "2026-10-02T00:00:00Z")


def test_event_invariants() -> None:
    with pytest.raises(EventError, match="aware instant"):
        Event("x", EventType.AWARE, datetime(2026, 1, 1), t("2026-01-01T00:00:00Z"), "u", None, "s")
    with pytest.raises(EventError, match=r"data\.regime"):
        ev("x", EventType.REPORT_SUBMITTED, "2026-01-01T00:00:00Z", data={"stage": "report"})
    with pytest.raises(EventError, match="must name what it supersedes"):
        ev("x", EventType.WITHDRAWN, "2026-01-01T00:00:00Z")
    with pytest.raises(EventError, match="unknown event type"):
        Event(
            "x",
            "teleported",  # type: ignore[arg-type]  # a string the enum does not know
            t("2026-01-01T00:00:00Z"),
            t("2026-01-01T00:00:00Z"),
            "u",
            None,
            "s",
        )
    with pytest.raises(EventError, match="supersedes itself"):
        ev("x", EventType.AWARE, "2026-01-01T00:00:00Z", supersedes="x")
    local = Event(
        "x",
        EventType.AWARE,
        t("2026-01-01T08:00:00+08:00"),
        t("2026-01-01T08:00:00+08:00"),
        "u",
        None,
        "s",
    )
    assert local.occurred_at.tzinfo is UTC
    assert local.to_json()["occurred_at"] == "2026-01-01T00:00:00.000000Z"


def test_evaluate_refuses_to_guess_the_instant() -> None:
    with pytest.raises(TypeError, match="'at'"):
        evaluate([], [], [], [])
