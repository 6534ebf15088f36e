"""Alerts: thresholds, idempotency keys, what fires when."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clearinghouse.clocks import (
    AlertKind,
    EventError,
    EventType,
    Obligation,
    Thresholds,
    alerts_due,
    next_alert_at,
    upcoming_alerts,
)
from tests.unit.clocks.helpers import by_stage, ev, run, submitted, t

VULN = "eu-cra-art14-vuln"
EVENTS = [ev("e1", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z")]


def _early(at: str, events: list = EVENTS) -> Obligation:  # type: ignore[type-arg]
    return by_stage(run(events, at, regimes=[VULN]), VULN)["early_warning"]


def test_default_thresholds_fire_in_order_with_stable_keys() -> None:
    at = "2026-10-02T10:00:01Z"
    alerts = alerts_due(_early(at), Thresholds(), t(at))
    assert [a.threshold for a in alerts] == ["50%", "80%", "2h", "missed"]
    assert [a.fires_at for a in alerts] == [
        t("2026-10-01T22:00:00Z"),
        t("2026-10-02T05:12:00Z"),
        t("2026-10-02T08:00:00Z"),
        t("2026-10-02T10:00:01Z"),
    ]
    assert alerts[0].key == "acme|case-1|eu-cra-art14-vuln|early_warning|50%"
    assert alerts[-1].kind is AlertKind.MISSED
    assert len({a.key for a in alerts}) == 4


def test_only_passed_thresholds_fire() -> None:
    at = "2026-10-02T06:00:00Z"
    assert [a.threshold for a in alerts_due(_early(at), Thresholds(), t(at))] == ["50%", "80%"]
    assert [a.threshold for a in upcoming_alerts(_early(at), Thresholds(), t(at))] == [
        "2h",
        "missed",
    ]


def test_no_alert_at_the_due_instant_for_missed() -> None:
    at = "2026-10-02T10:00:00Z"
    assert "missed" not in [a.threshold for a in alerts_due(_early(at), Thresholds(), t(at))]


def test_keys_survive_a_correction_that_moves_the_due() -> None:
    moved = [
        *EVENTS,
        ev("e2", EventType.EXPLOITATION_KNOWN, "2026-10-01T11:00:00Z", supersedes="e1"),
    ]
    at = "2026-10-02T12:00:00Z"
    before = {a.key for a in alerts_due(_early(at), Thresholds(), t(at))}
    after = {a.key for a in alerts_due(_early(at, moved), Thresholds(), t(at))}
    assert before == after


def test_met_and_waiting_obligations_do_not_alert() -> None:
    at = "2026-10-05T00:00:00Z"
    met = _early(at, [*EVENTS, submitted("s", VULN, "early_warning", "2026-10-01T12:00:00Z")])
    assert alerts_due(met, Thresholds(), t(at)) == []
    final = by_stage(run(EVENTS, at, regimes=[VULN]), VULN)["final_report"]
    assert alerts_due(final, Thresholds(), t(at)) == []


def test_custom_thresholds_and_a_lead_longer_than_the_window() -> None:
    thresholds = Thresholds(
        fractions=(0.25,), before_due=(timedelta(hours=48), timedelta(minutes=30))
    )
    at = "2026-10-01T10:00:00Z"
    alerts = alerts_due(_early(at), thresholds, t(at))
    # 48 h before a 24 h window fires at its start.
    assert [(a.threshold, a.fires_at) for a in alerts] == [("48h", t("2026-10-01T10:00:00Z"))]
    assert [a.threshold for a in upcoming_alerts(_early(at), thresholds, t(at))] == [
        "25%",
        "30m",
        "missed",
    ]


def test_due_soon_follows_the_configured_thresholds() -> None:
    from clearinghouse.clocks import ObligationStatus

    only_lead = Thresholds(fractions=(), before_due=(timedelta(hours=2),))
    at = "2026-10-02T07:59:59Z"
    [o] = [
        x
        for x in run(EVENTS, at, regimes=[VULN], thresholds=only_lead)
        if x.stage == "early_warning"
    ]
    assert o.status is ObligationStatus.PENDING
    at = "2026-10-02T08:00:00Z"
    [o] = [
        x
        for x in run(EVENTS, at, regimes=[VULN], thresholds=only_lead)
        if x.stage == "early_warning"
    ]
    assert o.status is ObligationStatus.DUE_SOON


def test_next_alert_at() -> None:
    at = "2026-10-01T23:00:00Z"
    obligations = run(EVENTS, at, regimes=[VULN])
    assert next_alert_at(obligations, Thresholds(), t(at)) == t("2026-10-02T05:12:00Z")


def test_alerts_need_an_instant_and_valid_thresholds() -> None:
    with pytest.raises(TypeError):
        alerts_due(_early("2026-10-01T11:00:00Z"))
    with pytest.raises(EventError):
        Thresholds(fractions=(1.5,))
    with pytest.raises(EventError):
        Thresholds(before_due=(timedelta(0),))


def test_alert_json() -> None:
    at = "2026-10-01T23:00:00Z"
    [alert] = alerts_due(_early(at), Thresholds(), t(at))
    assert alert.to_json()["fires_at"] == "2026-10-01T22:00:00Z"
    assert alert.to_json()["due"] == "2026-10-02T10:00:00Z"
