"""What the pages word in the reader's language comes out of the clocks as fields: the
basis (role, jurisdiction, an override's verdict and reason), the period (amount, unit,
calendar, cut-off and its zone) and each alert's threshold (share, lead time). The JSON
keeps its English sentences and gains no key."""

from __future__ import annotations

from datetime import time, timedelta

from clearinghouse.clocks import (
    AlertKind,
    BasisKind,
    Binding,
    EventType,
    Obligation,
    ObligationStatus,
    Role,
    Thresholds,
    TimeLimit,
    TimeUnit,
    alerts_due,
)
from tests.unit.clocks.helpers import ACME, CLOUDCO, REGISTRANT, by_stage, ev, run, t

MIIT = "cn-miit-2021"
TERMS = "cn-nvdb-partner-terms"
SEC = "us-sec-8k-105"
CRA = "eu-cra-art14-vuln"
OBLIGATION_KEYS = {
    "organisation", "subject", "regime", "regime_title", "stage", "stage_name", "status",
    "due", "duration", "anchor_event", "anchor_at", "trigger_event", "basis", "flags",
    "met_by", "submitted_at", "recipients", "optional", "note", "forms", "deadlines",
    "displaced_by",
}  # fmt: skip
ALERT_KEYS = {"key", "organisation", "subject", "regime", "stage", "threshold", "kind"}
ALERT_KEYS |= {"fires_at", "due"}


def _miit(at: str = "2021-11-25T03:00:00Z", **kwargs: object) -> dict[str, Obligation]:
    events = [ev("a", EventType.AWARE, "2021-11-24T10:00:00+08:00", org="cloudco")]
    return by_stage(run(events, at, [CLOUDCO], regimes=[MIIT, TERMS], **kwargs), MIIT)  # type: ignore[arg-type]


def test_a_role_and_jurisdiction_basis_carries_both_and_keeps_its_english_reason() -> None:
    report = _miit()["report"]
    assert report.basis.kind is BasisKind.ROLE_JURISDICTION
    assert (report.basis.role, report.basis.jurisdiction) == (Role.PRODUCT_PROVIDER, "CN")
    assert report.basis.applies is None
    assert report.to_json()["basis"] == {
        "kind": "role_jurisdiction",
        "reason": "role product_provider in CN",
        "role": "product_provider",
        "jurisdiction": "CN",
    }


def test_an_override_basis_carries_its_verdict_and_the_operators_reason() -> None:
    override = Binding("cloudco", "case-1", MIIT, applies=False, reason="not our product")
    report = _miit("2021-12-22T00:00:00Z", overrides=[override])["report"]
    assert report.basis.kind is BasisKind.OVERRIDE
    assert report.basis.applies is False
    assert report.basis.override_reason == "not our product"
    assert report.to_json()["basis"]["reason"] == "override: does not apply: not our product"


def test_hours_are_a_time_limit_beside_the_english_duration() -> None:
    report = _miit()["report"]
    assert report.duration == "48 h"
    assert report.time_limit == TimeLimit(48, TimeUnit.HOURS)
    assert set(report.to_json()) == OBLIGATION_KEYS


def test_business_days_name_their_calendar_cutoff_and_the_regimes_zone() -> None:
    events = [ev("m", EventType.MATERIALITY_DETERMINED, "2026-07-02T19:00:00Z", org="bigcorp")]
    form = by_stage(run(events, "2026-07-03T00:00:00Z", [REGISTRANT], regimes=[SEC]), SEC)[
        "form_8k"
    ]
    assert form.duration == "4 business days (US-federal) by 17:30 local"
    assert form.time_limit == TimeLimit(
        4, TimeUnit.BUSINESS_DAYS, "US-federal", time(17, 30), "America/New_York"
    )


def test_a_waiting_obligation_has_its_stages_time_limit_too() -> None:
    events = [ev("e1", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z")]
    stages = by_stage(run(events, "2026-10-02T00:00:00Z", [ACME], regimes=[CRA]), CRA)
    waiting = [o for o in stages.values() if o.status is ObligationStatus.WAITING]
    assert waiting  # the final report waits for a fix
    for o in waiting:
        assert o.time_limit is not None
        assert f"{o.time_limit.amount} calendar days" == o.duration


def test_alerts_carry_their_share_or_lead_time_and_the_json_is_unchanged() -> None:
    events = [ev("e1", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z")]
    at = "2026-10-02T10:00:01Z"
    early = by_stage(run(events, at, regimes=[CRA]), CRA)["early_warning"]
    alerts = alerts_due(early, Thresholds(), t(at))
    assert [(a.kind, a.fraction, a.lead) for a in alerts] == [
        (AlertKind.FRACTION, 0.5, None),
        (AlertKind.FRACTION, 0.8, None),
        (AlertKind.BEFORE_DUE, None, timedelta(hours=2)),
        (AlertKind.MISSED, None, None),
    ]
    assert [a.threshold for a in alerts] == ["50%", "80%", "2h", "missed"]
    assert all(set(a.to_json()) == ALERT_KEYS for a in alerts)
