"""The incident regimes of a multinational (CAC 2025, DORA, GDPR, SOCI, NYDFS, UK NIS),
with due instants worked out by hand from the texts, and the engine rules they need:
the earlier of two anchors, oral-then-written forms, the latest submission of a
repeatable stage, recipients by role, classifications and reclassifications,
``any_of`` triggers and displacement."""

from __future__ import annotations

from typing import Any

from clearinghouse.clocks import (
    Binding,
    Event,
    EventType,
    Obligation,
    ObligationStatus,
    OrgProfile,
    Role,
    draft_submission,
)
from tests.unit.clocks.helpers import REGIMES, by_stage, ev, run, submitted, t

CAC = "cn-cac-2025-incident"
DORA = "eu-dora-art19"
NIS2 = "eu-nis2-art23"
GDPR = "eu-gdpr-art33"
SOCI = "au-soci-part2b"
NYDFS = "us-nydfs-500-17"
UKNIS = "uk-nis-2018"

SHOP = OrgProfile("shop", "Shop (Shanghai)", {"CN"}, {Role.NETWORK_OPERATOR})
GRID = OrgProfile("grid", "Grid (CII)", {"CN"}, {Role.CII_OPERATOR, Role.NETWORK_OPERATOR})
MINISTRY = OrgProfile("unit", "A ministry unit", {"CN"}, {Role.STATE_ORGAN_UNIT})
BANK = OrgProfile(
    "bank", "Bank AG", {"EU", "DE"}, {Role.FINANCIAL_ENTITY, Role.ESSENTIAL_ENTITY, Role.CONTROLLER}
)
UTILITY = OrgProfile("utility", "Utility BV", {"EU", "NL"}, {Role.ESSENTIAL_ENTITY})
PORT = OrgProfile("port", "Port Pty Ltd", {"AU"}, {Role.RESPONSIBLE_ENTITY})
INSURER = OrgProfile("insurer", "Insurer Inc.", {"US"}, {Role.NYDFS_COVERED_ENTITY})
PIPELINE = OrgProfile("pipeline", "Pipeline Co.", {"US"}, {Role.COVERED_ENTITY})
WATER = OrgProfile("water", "Water plc", {"GB"}, {Role.OPERATOR_OF_ESSENTIAL_SERVICE})


def graded(id: str, org: str, scheme: str, level: str, occurred: str, **extra: Any) -> Event:
    return ev(
        id,
        EventType.INCIDENT_CLASSIFIED,
        occurred,
        org,
        data={"scheme": scheme, "level": level},
        **extra,
    )


def oral(id: str, regime: str, stage: str, occurred: str, org: str) -> Event:
    return ev(
        id,
        EventType.REPORT_SUBMITTED,
        occurred,
        org,
        data={"regime": regime, "stage": stage, "reference": id, "form": "oral"},
    )


# --- CAC 2025 Measures, Art. 4 ------------------------------------------------------------


def test_cac_network_operator_four_hours_from_discovery_across_the_month_end() -> None:
    # Discovered 2026-01-31 23:00 Beijing (15:00Z), graded relatively major 01:30 on
    # 1 February (17:30Z). From the grading: 21:30Z; from discovery (the flag's reading,
    # earlier): 19:00Z = 03:00 on 1 February Beijing time. The earlier governs.
    events = [
        ev("n", EventType.INCIDENT_NOTICED, "2026-01-31T15:00:00Z", "shop"),
        graded("g", "shop", "cn-cac-2025", "relatively_major", "2026-01-31T17:30:00Z"),
    ]
    report = by_stage(run(events, "2026-01-31T18:00:00Z", [SHOP], regimes=[CAC]), CAC)["report"]
    assert report.due == t("2026-01-31T19:00:00Z")
    assert report.anchor_event == "n"
    assert [(d.anchor_event, d.due, d.governs) for d in report.deadlines] == [
        ("g", t("2026-01-31T21:30:00Z"), False),
        ("n", t("2026-01-31T19:00:00Z"), True),
    ]
    assert report.recipients == (
        "Provincial cyberspace administration where the operator is located (属地省级网信部门),"
        " or the 12387 reporting channels",
    )
    assert "clock-start-discovery-or-classification-UNVERIFIED" in {f.id for f in report.flags}
    # 30 minutes before the due: the 2 h lead has fired.
    assert report.status is ObligationStatus.DUE_SOON


def test_cac_critical_infrastructure_one_hour_to_its_own_recipients() -> None:
    events = [graded("g", "grid", "cn-cac-2025", "major", "2026-05-01T02:00:00Z")]
    report = by_stage(run(events, "2026-05-01T02:10:00Z", [GRID], regimes=[CAC]), CAC)["report"]
    assert report.due == t("2026-05-01T03:00:00Z")
    assert report.duration == "1 h"
    assert report.recipients == (
        "The CII protection department (保护工作部门)",
        "The public security organs (公安机关)",
    )
    # No discovery recorded: only the grading's deadline, and the note says so.
    assert report.deadlines[0].governs
    assert len(report.deadlines) == 1
    assert "No incident_noticed recorded" in report.note
    # and the draft names them, not the recipients of other network operators
    draft = draft_submission(report, REGIMES[CAC], {"title": "Grid outage"})
    assert draft.recipients == report.recipients
    assert "Recipients:** The CII protection department" in draft.render_markdown()


def test_cac_state_organ_unit_two_hours() -> None:
    events = [graded("g", "unit", "cn-cac-2025", "particularly_major", "2026-05-01T02:00:00Z")]
    stages = by_stage(run(events, "2026-05-01T02:10:00Z", [MINISTRY], regimes=[CAC]), CAC)
    assert stages["report"].due == t("2026-05-01T04:00:00Z")
    assert stages["report"].recipients == (
        "The cyberspace affairs body of the unit's own department (本部门网信工作机构)",
    )


def test_cac_summary_thirty_days_after_handling_ends_across_february() -> None:
    # Handling ends 2026-01-31 18:00 Beijing (10:00Z); 30 calendar days later is
    # 2026-03-02 18:00 Beijing (January 31 + 30 days, February having 28 days).
    events = [
        graded("g", "shop", "cn-cac-2025", "relatively_major", "2026-01-20T02:00:00Z"),
        ev("h", EventType.HANDLING_CONCLUDED, "2026-01-31T10:00:00Z", "shop"),
    ]
    before = by_stage(run(events, "2026-01-21T00:00:00Z", [SHOP], regimes=[CAC]), CAC)
    assert before["summary_report"].status is ObligationStatus.WAITING
    after = by_stage(run(events, "2026-02-01T00:00:00Z", [SHOP], regimes=[CAC]), CAC)
    assert after["summary_report"].due == t("2026-03-02T10:00:00Z")


def test_cac_general_incidents_are_not_reported_and_a_regrading_is_a_correction() -> None:
    general = graded("g1", "shop", "cn-cac-2025", "general", "2026-05-01T02:00:00Z")
    assert run([general], "2026-05-01T03:00:00Z", [SHOP], regimes=[CAC]) == []
    upgraded = graded(
        "g2", "shop", "cn-cac-2025", "relatively_major", "2026-05-01T02:30:00Z", supersedes="g1"
    )
    stages = by_stage(run([general, upgraded], "2026-05-01T03:00:00Z", [SHOP], regimes=[CAC]), CAC)
    assert stages["report"].due == t("2026-05-01T06:30:00Z")
    assert stages["report"].trigger_event == "g2"
    downgraded = graded(
        "g3", "shop", "cn-cac-2025", "general", "2026-05-01T02:30:00Z", supersedes="g2"
    )
    assert run([general, upgraded, downgraded], "2026-05-01T03:00:00Z", [SHOP], regimes=[CAC]) == []


def test_cac_in_force_from_midnight_beijing_on_1_november_2025() -> None:
    before = graded("g", "shop", "cn-cac-2025", "major", "2025-10-31T15:59:00Z")
    stages = by_stage(run([before], "2025-11-01T00:00:00Z", [SHOP], regimes=[CAC]), CAC)
    assert stages["report"].status is ObligationStatus.NOT_APPLICABLE
    on = graded("g", "shop", "cn-cac-2025", "major", "2025-10-31T16:00:00Z")
    stages = by_stage(run([on], "2025-11-01T00:00:00Z", [SHOP], regimes=[CAC]), CAC)
    assert stages["report"].due == t("2025-10-31T20:00:00Z")


# --- DORA Art. 19 ------------------------------------------------------------------------


def test_dora_initial_notification_at_the_earlier_of_two_anchors_across_dst() -> None:
    # Aware Saturday 2026-03-28 21:00 CET (20:00Z); classified major on Sunday 29 March at
    # 20:30 CEST (18:30Z), after the clocks went forward. Four hours after the
    # classification is 22:30Z; 24 elapsed hours after awareness is 2026-03-29 20:00Z
    # (22:00 CEST): the earlier one governs.
    events = [
        ev("aware", EventType.INCIDENT_NOTICED, "2026-03-28T20:00:00Z", "bank"),
        graded("major", "bank", "eu-dora", "major", "2026-03-29T18:30:00Z"),
    ]
    initial = by_stage(run(events, "2026-03-29T19:00:00Z", [BANK], regimes=[DORA]), DORA)[
        "initial_notification"
    ]
    assert initial.due == t("2026-03-29T20:00:00Z")
    assert initial.anchor_event == "aware"
    assert initial.duration == "24 h"
    assert [(d.label, d.governs) for d in initial.deadlines] == [
        ("4 h after incident_classified (major)", False),
        ("24 h after incident_noticed (aware)", True),
    ]
    assert "weekend-holiday-relief-UNVERIFIED" in {f.id for f in initial.flags}


def test_dora_four_hours_govern_when_classified_early() -> None:
    events = [
        ev("aware", EventType.INCIDENT_NOTICED, "2026-06-01T09:00:00Z", "bank"),
        graded("major", "bank", "eu-dora", "major", "2026-06-01T10:00:00Z"),
    ]
    initial = by_stage(run(events, "2026-06-01T10:00:00Z", [BANK], regimes=[DORA]), DORA)[
        "initial_notification"
    ]
    assert initial.due == t("2026-06-01T14:00:00Z")
    assert initial.anchor_event == "major"
    assert initial.status is ObligationStatus.PENDING


def test_dora_classified_after_a_day_is_already_late() -> None:
    events = [
        ev("aware", EventType.INCIDENT_NOTICED, "2026-06-01T09:00:00Z", "bank"),
        graded("major", "bank", "eu-dora", "major", "2026-06-02T12:00:00Z"),
    ]
    initial = by_stage(run(events, "2026-06-02T12:00:00Z", [BANK], regimes=[DORA]), DORA)[
        "initial_notification"
    ]
    assert initial.due == t("2026-06-02T09:00:00Z")
    assert initial.status is ObligationStatus.MISSED


def test_dora_final_report_runs_from_the_latest_intermediate_report() -> None:
    events = [
        graded("major", "bank", "eu-dora", "major", "2026-01-05T10:00:00Z"),
        submitted("initial", DORA, "initial_notification", "2026-01-05T13:00:00Z", org="bank"),
        submitted("inter-1", DORA, "intermediate_report", "2026-01-08T09:00:00Z", org="bank"),
    ]
    first = by_stage(run(events, "2026-01-09T00:00:00Z", [BANK], regimes=[DORA]), DORA)
    # 72 h after the initial notification was submitted (13:00Z on the 5th).
    assert first["intermediate_report"].due == t("2026-01-08T13:00:00Z")
    assert first["intermediate_report"].status is ObligationStatus.MET
    assert first["final_report"].due == t("2026-02-08T09:00:00Z")
    # An updated intermediate report on 31 January: the final report moves to one month
    # after it, which ends on the last day of February.
    events.append(
        submitted("inter-2", DORA, "intermediate_report", "2026-01-31T12:00:00Z", org="bank")
    )
    latest = by_stage(run(events, "2026-02-01T00:00:00Z", [BANK], regimes=[DORA]), DORA)
    assert latest["final_report"].due == t("2026-02-28T12:00:00Z")
    assert latest["final_report"].anchor_event == "inter-2"
    assert latest["intermediate_report"].met_by == "inter-1"


def test_dora_reclassified_not_major_ends_the_obligations() -> None:
    major = graded("major", "bank", "eu-dora", "major", "2026-06-01T10:00:00Z")
    minor = graded(
        "minor", "bank", "eu-dora", "not_major", "2026-06-01T10:00:00Z", supersedes="major"
    )
    assert by_stage(run([major], "2026-06-01T11:00:00Z", [BANK], regimes=[DORA]), DORA)
    assert run([major, minor], "2026-06-01T11:00:00Z", [BANK], regimes=[DORA]) == []


def test_dora_displaces_nis2_for_a_financial_entity_only() -> None:
    def nis2(profile: OrgProfile, overrides: list[Binding] | None = None) -> dict[str, Obligation]:
        events = [ev("s", EventType.SIGNIFICANT_INCIDENT_AWARE, "2026-06-01T10:00:00Z", profile.id)]
        obligations = run(
            events,
            "2026-06-01T11:00:00Z",
            [profile],
            overrides=overrides or [],
            regimes=[NIS2, DORA],
        )
        return by_stage(obligations, NIS2)

    displaced = nis2(BANK)
    assert {o.status for o in displaced.values()} == {ObligationStatus.NOT_APPLICABLE}
    assert {o.displaced_by for o in displaced.values()} == {DORA}
    assert "NIS2 Art. 4(1)" in displaced["notification"].note
    assert nis2(UTILITY)["notification"].due == t("2026-06-04T10:00:00Z")
    # DORA excluded for this entity by the operator: NIS2 applies again.
    excluded = [Binding("bank", None, DORA, applies=False, reason="not in DORA's scope")]
    assert nis2(BANK, excluded)["notification"].displaced_by is None


# --- GDPR Art. 33 ------------------------------------------------------------------------


def test_gdpr_seventy_two_elapsed_hours_across_the_spring_change() -> None:
    # Breach established Friday 2026-03-27 12:00 CET (11:00Z); 72 elapsed hours later is
    # Monday 2026-03-30 13:00 CEST (11:00Z), one wall-clock hour "later" than 12:00.
    events = [graded("b", "bank", "eu-gdpr", "personal_data_breach", "2026-03-27T11:00:00Z")]
    note = by_stage(run(events, "2026-03-27T12:00:00Z", [BANK], regimes=[GDPR]), GDPR)
    assert note["notification"].due == t("2026-03-30T11:00:00Z")
    assert "later-with-reasons-not-modelled" in {f.id for f in note["notification"].flags}
    late = [*events, submitted("s", GDPR, "notification", "2026-03-31T09:00:00Z", org="bank")]
    after = by_stage(run(late, "2026-04-01T00:00:00Z", [BANK], regimes=[GDPR]), GDPR)
    assert after["notification"].status is ObligationStatus.MET_LATE


def test_gdpr_breach_unlikely_to_result_in_a_risk_is_not_notified() -> None:
    events = [graded("b", "bank", "eu-gdpr", "unlikely_to_result_in_risk", "2026-03-27T11:00:00Z")]
    assert run(events, "2026-03-28T00:00:00Z", [BANK], regimes=[GDPR]) == []


# --- SOCI Act ss. 30BC, 30BD -------------------------------------------------------------


def test_soci_significant_impact_oral_report_then_written_record_84_hours_later() -> None:
    # Aware of a significant impact Sunday 2026-04-05 08:00 AEST (22:00Z on the 4th), a
    # few hours after Sydney left daylight saving: 12 elapsed hours give 10:00Z.
    aware = graded("g", "port", "au-soci", "significant_impact", "2026-04-04T22:00:00Z")
    before = by_stage(run([aware], "2026-04-05T00:00:00Z", [PORT], regimes=[SOCI]), SOCI)
    assert before["significant_impact_report"].due == t("2026-04-05T10:00:00Z")
    assert [f.value for f in before["significant_impact_report"].forms] == ["oral", "written"]
    written = before["significant_impact_written_record"]
    assert written.status is ObligationStatus.NOT_APPLICABLE
    assert "(oral)" in written.note
    assert before["relevant_impact_report"].status is ObligationStatus.NOT_APPLICABLE
    # An oral report at 06:00Z meets the 12 hours; the written record is due 84 h later.
    phoned = oral("call", SOCI, "significant_impact_report", "2026-04-05T06:00:00Z", "port")
    after = by_stage(run([aware, phoned], "2026-04-05T07:00:00Z", [PORT], regimes=[SOCI]), SOCI)
    assert after["significant_impact_report"].status is ObligationStatus.MET
    assert after["significant_impact_written_record"].due == t("2026-04-08T18:00:00Z")
    assert after["significant_impact_written_record"].anchor_event == "call"
    # The written record is met only in writing: an oral "record" settles nothing.
    again = oral(
        "call-2", SOCI, "significant_impact_written_record", "2026-04-06T00:00:00Z", "port"
    )
    still = by_stage(
        run([aware, phoned, again], "2026-04-06T01:00:00Z", [PORT], regimes=[SOCI]), SOCI
    )
    assert still["significant_impact_written_record"].status is ObligationStatus.PENDING
    record = submitted(
        "rec", SOCI, "significant_impact_written_record", "2026-04-07T00:00:00Z", org="port"
    )
    done = by_stage(
        run([aware, phoned, again, record], "2026-04-07T01:00:00Z", [PORT], regimes=[SOCI]), SOCI
    )
    assert done["significant_impact_written_record"].status is ObligationStatus.MET


def test_soci_written_report_needs_no_written_record() -> None:
    aware = graded("g", "port", "au-soci", "significant_impact", "2026-04-04T22:00:00Z")
    report = ev(
        "w",
        EventType.REPORT_SUBMITTED,
        "2026-04-05T06:00:00Z",
        "port",
        data={"regime": SOCI, "stage": "significant_impact_report", "reference": "w"},
    )
    stages = by_stage(run([aware, report], "2026-04-06T00:00:00Z", [PORT], regimes=[SOCI]), SOCI)
    assert stages["significant_impact_report"].status is ObligationStatus.MET
    assert stages["significant_impact_written_record"].status is ObligationStatus.NOT_APPLICABLE


def test_soci_relevant_impact_72_hours_then_written_record_48_hours_after_an_oral_one() -> None:
    aware = graded("g", "port", "au-soci", "relevant_impact", "2026-09-01T00:00:00Z")
    phoned = oral("call", SOCI, "relevant_impact_report", "2026-09-03T12:00:00Z", "port")
    stages = by_stage(run([aware, phoned], "2026-09-03T13:00:00Z", [PORT], regimes=[SOCI]), SOCI)
    assert stages["relevant_impact_report"].due == t("2026-09-04T00:00:00Z")
    assert stages["relevant_impact_report"].status is ObligationStatus.MET
    assert stages["relevant_impact_written_record"].due == t("2026-09-05T12:00:00Z")
    assert stages["significant_impact_report"].status is ObligationStatus.NOT_APPLICABLE


def test_soci_an_impact_that_grows_significant_adds_the_12_hour_report() -> None:
    relevant = graded("r", "port", "au-soci", "relevant_impact", "2026-09-01T00:00:00Z")
    significant = graded("s", "port", "au-soci", "significant_impact", "2026-09-02T06:00:00Z")
    stages = by_stage(
        run([relevant, significant], "2026-09-02T07:00:00Z", [PORT], regimes=[SOCI]), SOCI
    )
    assert stages["relevant_impact_report"].due == t("2026-09-04T00:00:00Z")
    assert stages["significant_impact_report"].due == t("2026-09-02T18:00:00Z")


# --- NYDFS 23 NYCRR 500.17 ---------------------------------------------------------------


def test_nydfs_incident_notice_72_hours_after_the_determination() -> None:
    events = [graded("d", "insurer", "us-nydfs", "cybersecurity_incident", "2026-05-01T14:00:00Z")]
    stages = by_stage(run(events, "2026-05-01T15:00:00Z", [INSURER], regimes=[NYDFS]), NYDFS)
    assert stages["incident_notice"].due == t("2026-05-04T14:00:00Z")
    assert stages["extortion_payment_notice"].status is ObligationStatus.NOT_APPLICABLE


def test_nydfs_extortion_payment_alone_triggers_its_notices_across_the_dst_end() -> None:
    # Paid Monday 2026-10-26 12:00 EDT (16:00Z). Notice: 24 elapsed hours, 16:00Z on the
    # 27th. Explanation: 30 calendar days, 2026-11-25 12:00 New York time, which is EST
    # after 1 November: 17:00Z.
    events = [ev("p", EventType.RANSOM_PAID, "2026-10-26T16:00:00Z", "insurer")]
    stages = by_stage(run(events, "2026-10-26T17:00:00Z", [INSURER], regimes=[NYDFS]), NYDFS)
    assert stages["extortion_payment_notice"].due == t("2026-10-27T16:00:00Z")
    assert stages["extortion_payment_explanation"].due == t("2026-11-25T17:00:00Z")
    assert stages["incident_notice"].status is ObligationStatus.NOT_APPLICABLE
    assert stages["incident_notice"].trigger_event == "p"


def test_nydfs_binds_its_own_covered_entities_not_circias() -> None:
    events = [ev("p", EventType.RANSOM_PAID, "2026-10-26T16:00:00Z", "pipeline")]
    assert by_stage(run(events, "2026-10-27T00:00:00Z", [PIPELINE], regimes=[NYDFS]), NYDFS) == {}


def test_nydfs_amended_rule_applies_from_1_december_2023_new_york_time() -> None:
    events = [ev("p", EventType.RANSOM_PAID, "2023-12-01T04:59:00Z", "insurer")]
    stages = by_stage(run(events, "2023-12-02T00:00:00Z", [INSURER], regimes=[NYDFS]), NYDFS)
    assert stages["extortion_payment_notice"].status is ObligationStatus.NOT_APPLICABLE
    events = [ev("p", EventType.RANSOM_PAID, "2023-12-01T05:00:00Z", "insurer")]
    stages = by_stage(run(events, "2023-12-02T00:00:00Z", [INSURER], regimes=[NYDFS]), NYDFS)
    assert stages["extortion_payment_notice"].due == t("2023-12-02T05:00:00Z")


# --- UK NIS Regulations 2018, reg. 11 ----------------------------------------------------


def test_uk_nis_72_hours_from_awareness_of_the_incident() -> None:
    # Aware Saturday 2026-10-24 10:00 BST (09:00Z); significant impact assessed on Sunday
    # after the clocks went back. 72 elapsed hours from awareness: 2026-10-27 09:00Z.
    events = [
        ev("n", EventType.INCIDENT_NOTICED, "2026-10-24T09:00:00Z", "water"),
        graded("g", "water", "uk-nis", "significant_impact", "2026-10-25T12:00:00Z"),
    ]
    stages = by_stage(run(events, "2026-10-25T13:00:00Z", [WATER], regimes=[UKNIS]), UKNIS)
    assert stages["notification"].due == t("2026-10-27T09:00:00Z")
    alone = [graded("g", "water", "uk-nis", "significant_impact", "2026-10-25T12:00:00Z")]
    stages = by_stage(run(alone, "2026-10-25T13:00:00Z", [WATER], regimes=[UKNIS]), UKNIS)
    assert stages["notification"].due == t("2026-10-28T12:00:00Z")


def test_uk_nis_in_force_from_midnight_london_on_10_may_2018() -> None:
    events = [graded("g", "water", "uk-nis", "significant_impact", "2018-05-09T23:00:00Z")]
    stages = by_stage(run(events, "2018-05-10T00:00:00Z", [WATER], regimes=[UKNIS]), UKNIS)
    assert stages["notification"].due == t("2018-05-12T23:00:00Z")
