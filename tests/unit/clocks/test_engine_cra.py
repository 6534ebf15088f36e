"""CRA Art. 14: the worked examples of the brief, computed by hand."""

from __future__ import annotations

from clearinghouse.clocks import EventType, ObligationStatus, OrgProfile, Role
from tests.unit.clocks.helpers import ACME, by_stage, ev, run, submitted, t

VULN = "eu-cra-art14-vuln"
AWARE = "2026-10-01T10:00:00Z"


def test_actively_exploited_vulnerability_deadlines_before_fix() -> None:
    events = [ev("e1", EventType.EXPLOITATION_KNOWN, AWARE)]
    stages = by_stage(run(events, "2026-10-01T12:00:00Z", regimes=[VULN]), VULN)

    assert stages["early_warning"].due == t("2026-10-02T10:00:00Z")
    assert stages["notification"].due == t("2026-10-04T10:00:00Z")
    final = stages["final_report"]
    assert final.status is ObligationStatus.WAITING
    assert final.due is None
    assert "fix_available" in final.note
    assert stages["early_warning"].anchor_event == "e1"
    assert stages["early_warning"].basis.role is not None
    assert stages["early_warning"].basis.jurisdiction == "EU"


def test_final_report_due_fourteen_days_after_fix_available() -> None:
    events = [
        ev("e1", EventType.EXPLOITATION_KNOWN, AWARE),
        ev("fix", EventType.FIX_AVAILABLE, "2026-10-20T08:00:00Z", org=None),
    ]
    final = by_stage(run(events, "2026-10-21T00:00:00Z", regimes=[VULN]), VULN)["final_report"]

    # 14 days across the 25 October DST change: the CRA is read in UTC, so 08:00Z stays.
    assert final.due == t("2026-11-03T08:00:00Z")
    assert final.anchor_event == "fix"
    assert final.status is ObligationStatus.PENDING


def test_awareness_then_later_exploitation_starts_at_the_later_event() -> None:
    events = [
        ev("aware", EventType.AWARE, "2026-10-01T10:00:00Z"),
        ev("kev", EventType.EXPLOITATION_KNOWN, "2026-10-03T09:00:00Z", org=None),
    ]
    stages = by_stage(run(events, "2026-10-03T10:00:00Z", regimes=[VULN]), VULN)
    assert stages["early_warning"].due == t("2026-10-04T09:00:00Z")
    assert stages["early_warning"].trigger_event == "kev"


def test_awareness_without_exploitation_does_not_start_the_cra_clock() -> None:
    events = [ev("aware", EventType.AWARE, AWARE)]
    assert run(events, "2026-10-05T00:00:00Z", regimes=[VULN]) == []


def test_cra_does_not_apply_to_awareness_before_its_effective_date() -> None:
    events = [ev("e1", EventType.EXPLOITATION_KNOWN, "2026-09-10T23:59:59Z")]
    stages = by_stage(run(events, "2026-09-20T00:00:00Z", regimes=[VULN]), VULN)
    assert {o.status for o in stages.values()} == {ObligationStatus.NOT_APPLICABLE}
    assert "2026-09-11" in stages["early_warning"].note
    assert all(o.due is None for o in stages.values())


def test_cra_applies_from_midnight_utc_of_the_effective_date() -> None:
    events = [ev("e1", EventType.EXPLOITATION_KNOWN, "2026-09-11T00:00:00Z")]
    stages = by_stage(run(events, "2026-09-11T01:00:00Z", regimes=[VULN]), VULN)
    assert stages["early_warning"].status is ObligationStatus.PENDING
    assert stages["early_warning"].due == t("2026-09-12T00:00:00Z")


def test_effective_date_gates_on_the_trigger_instant_not_on_earlier_awareness() -> None:
    # Aware before 2026-09-11, exploitation learned after: the trigger is the later event.
    events = [
        ev("aware", EventType.AWARE, "2026-09-01T10:00:00Z"),
        ev("kev", EventType.EXPLOITATION_KNOWN, "2026-09-12T10:00:00Z"),
    ]
    stages = by_stage(run(events, "2026-09-12T11:00:00Z", regimes=[VULN]), VULN)
    assert stages["early_warning"].due == t("2026-09-13T10:00:00Z")


def test_submissions_settle_stages_on_time_or_late() -> None:
    events = [
        ev("e1", EventType.EXPLOITATION_KNOWN, AWARE),
        submitted("s1", VULN, "early_warning", "2026-10-02T09:00:00Z"),
        submitted("s2", VULN, "notification", "2026-10-04T10:00:01Z"),
    ]
    stages = by_stage(run(events, "2026-10-10T00:00:00Z", regimes=[VULN]), VULN)
    assert stages["early_warning"].status is ObligationStatus.MET
    assert stages["early_warning"].met_by == "s1"
    assert stages["notification"].status is ObligationStatus.MET_LATE
    assert stages["notification"].submitted_at == t("2026-10-04T10:00:01Z")


def test_submission_exactly_at_the_due_instant_is_on_time() -> None:
    events = [
        ev("e1", EventType.EXPLOITATION_KNOWN, AWARE),
        submitted("s1", VULN, "early_warning", "2026-10-02T10:00:00Z"),
    ]
    stage = by_stage(run(events, "2026-10-03T00:00:00Z", regimes=[VULN]), VULN)["early_warning"]
    assert stage.status is ObligationStatus.MET


def test_status_moves_from_pending_to_due_soon_to_missed() -> None:
    events = [ev("e1", EventType.EXPLOITATION_KNOWN, AWARE)]

    def status(at: str) -> ObligationStatus:
        return by_stage(run(events, at, regimes=[VULN]), VULN)["early_warning"].status

    assert status("2026-10-01T21:59:59Z") is ObligationStatus.PENDING  # < 50 % of 24 h
    assert status("2026-10-01T22:00:00Z") is ObligationStatus.DUE_SOON  # 50 %
    assert status("2026-10-02T10:00:00Z") is ObligationStatus.DUE_SOON  # at the due instant
    assert status("2026-10-02T10:00:01Z") is ObligationStatus.MISSED


def test_other_manufacturers_on_the_case_are_not_settled_by_acme() -> None:
    other = OrgProfile("beta", "Beta SA", {"EU", "FR"}, {Role.MANUFACTURER})
    events = [
        ev("kev", EventType.EXPLOITATION_KNOWN, AWARE, org=None),
        ev("a1", EventType.AWARE, AWARE, org="acme"),
        ev("b1", EventType.AWARE, "2026-10-01T12:00:00Z", org="beta"),
        submitted("s1", VULN, "early_warning", "2026-10-01T11:00:00Z", org="acme"),
    ]
    obligations = run(events, "2026-10-01T13:00:00Z", [other, ACME], regimes=[VULN])
    early = {o.organisation: o for o in obligations if o.stage == "early_warning"}
    assert early["acme"].status is ObligationStatus.MET
    assert early["beta"].status is ObligationStatus.PENDING
    assert early["beta"].due == t("2026-10-02T12:00:00Z")
