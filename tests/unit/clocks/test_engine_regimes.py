"""Every other shipped regime, evaluated at least once, with hand-computed deadlines."""

from __future__ import annotations

from clearinghouse.clocks import (
    BasisKind,
    Binding,
    EventType,
    Obligation,
    ObligationStatus,
    OrgProfile,
    Role,
)
from tests.unit.clocks.helpers import CLOUDCO, REGISTRANT, by_stage, ev, run, submitted, t

SEC = "us-sec-8k-105"
NIS2 = "eu-nis2-art23"
MIIT = "cn-miit-2021"
TERMS = "cn-nvdb-partner-terms"
CIRCIA = "us-circia"
CERTIN = "in-certin-2022"
CRA_INC = "eu-cra-art14-incident"

ESSENTIAL = OrgProfile("gridco", "GridCo", {"EU", "NL"}, {Role.ESSENTIAL_ENTITY})
TSP = OrgProfile("signco", "SignCo", {"EU", "BE"}, {Role.TRUST_SERVICE_PROVIDER})
INDIA = OrgProfile("hostin", "HostIn", {"IN"}, {Role.SERVICE_PROVIDER})
COVERED = OrgProfile("pipeco", "PipeCo", {"US"}, {Role.COVERED_ENTITY})
MAKER = OrgProfile("acme", "Acme", {"EU"}, {Role.MANUFACTURER})


# --- SEC 8-K Item 1.05: four US federal business days, 5:30 p.m. New York time -------


def _form_8k(at_determination: str, at: str = "2027-01-01T00:00:00Z") -> Obligation:
    events = [ev("m", EventType.MATERIALITY_DETERMINED, at_determination, org="bigcorp")]
    return by_stage(run(events, at, [REGISTRANT], regimes=[SEC]), SEC)["form_8k"]


def test_sec_independence_day_observed_on_friday_and_the_weekend_are_skipped() -> None:
    # Thursday 2026-07-02, 15:00 EDT. Friday 07-03 is the observed Independence Day
    # (4 July is a Saturday); Sat 4, Sun 5 skipped. Business days: Mon 6 (1), Tue 7 (2),
    # Wed 8 (3), Thu 9 (4). Due Thursday 2026-07-09 17:30 EDT = 21:30Z.
    form = _form_8k("2026-07-02T19:00:00Z")
    assert form.due == t("2026-07-09T21:30:00Z")


def test_sec_late_evening_determination_counts_from_the_new_york_date() -> None:
    # 23:30 EDT Thursday 2026-07-02 is already Friday in UTC; the count uses Thursday.
    form = _form_8k("2026-07-03T03:30:00Z")
    assert form.due == t("2026-07-09T21:30:00Z")


def test_sec_thanksgiving() -> None:
    # Wednesday 2026-11-25 10:00 EST. Thu 26 Thanksgiving; Fri 27 is a federal work day
    # (1), Mon 30 (2), Tue Dec 1 (3), Wed Dec 2 (4). Due 17:30 EST = 22:30Z.
    form = _form_8k("2026-11-25T15:00:00Z")
    assert form.due == t("2026-12-02T22:30:00Z")


def test_sec_determination_on_a_saturday_counts_monday_as_day_one() -> None:
    # Saturday 2026-03-07 -> Mon 9 (1) Tue 10 (2) Wed 11 (3) Thu 12 (4); EDT from 8 March.
    form = _form_8k("2026-03-07T15:00:00Z")
    assert form.due == t("2026-03-12T21:30:00Z")


def test_sec_status_and_flag() -> None:
    form = _form_8k("2026-07-02T19:00:00Z", at="2026-07-10T00:00:00Z")
    assert form.status is ObligationStatus.MISSED
    assert "attorney-general-delay-not-modelled" in {f.id for f in form.flags}


# --- NIS2 Art. 23 ---------------------------------------------------------------------


def test_nis2_final_report_anchors_to_the_notification_submission() -> None:
    aware = ev("i", EventType.SIGNIFICANT_INCIDENT_AWARE, "2026-03-02T09:00:00Z", org="gridco")
    before = by_stage(run([aware], "2026-03-03T00:00:00Z", [ESSENTIAL], regimes=[NIS2]), NIS2)
    assert before["early_warning"].due == t("2026-03-03T09:00:00Z")
    assert before["notification"].due == t("2026-03-05T09:00:00Z")
    assert before["final_report"].status is ObligationStatus.WAITING
    assert before["intermediate_report"].status is ObligationStatus.NOT_APPLICABLE

    late = submitted("n", NIS2, "notification", "2026-03-06T09:00:00Z", org="gridco")
    after = by_stage(run([aware, late], "2026-03-07T00:00:00Z", [ESSENTIAL], regimes=[NIS2]), NIS2)
    assert after["notification"].status is ObligationStatus.MET_LATE
    # One month after the (late) submission, not after awareness (which gives 04-02).
    assert after["final_report"].due == t("2026-04-06T09:00:00Z")
    assert after["final_report"].anchor_event == "n"


def test_nis2_trust_service_provider_notifies_within_24_hours() -> None:
    aware = ev("i", EventType.SIGNIFICANT_INCIDENT_AWARE, "2026-03-02T09:00:00Z", org="signco")
    stages = by_stage(run([aware], "2026-03-02T10:00:00Z", [TSP], regimes=[NIS2]), NIS2)
    assert stages["notification"].due == t("2026-03-03T09:00:00Z")
    assert stages["notification"].duration == "24 h"
    assert "trust service" in stages["notification"].note


def test_nis2_intermediate_report_on_request_uses_the_stated_deadline() -> None:
    events = [
        ev("i", EventType.SIGNIFICANT_INCIDENT_AWARE, "2026-03-02T09:00:00Z", org="gridco"),
        ev(
            "rq",
            EventType.REPORT_REQUESTED,
            "2026-03-10T09:00:00Z",
            org="gridco",
            data={"regime": NIS2, "due_at": "2026-03-13T17:00:00Z"},
        ),
        ev(
            "other",
            EventType.REPORT_REQUESTED,
            "2026-03-09T09:00:00Z",
            org="gridco",
            data={"regime": "some-other-regime"},
        ),
    ]
    stage = by_stage(run(events, "2026-03-11T00:00:00Z", [ESSENTIAL], regimes=[NIS2]), NIS2)[
        "intermediate_report"
    ]
    assert stage.anchor_event == "rq"
    assert stage.due == t("2026-03-13T17:00:00Z")


def test_nis2_intermediate_report_without_stated_deadline_defaults_to_14_days() -> None:
    events = [
        ev("i", EventType.SIGNIFICANT_INCIDENT_AWARE, "2026-03-02T09:00:00Z", org="gridco"),
        ev(
            "rq",
            EventType.REPORT_REQUESTED,
            "2026-03-10T09:00:00Z",
            "gridco",
            data={"regime": NIS2},
        ),
    ]
    stage = by_stage(run(events, "2026-03-11T00:00:00Z", [ESSENTIAL], regimes=[NIS2]), NIS2)[
        "intermediate_report"
    ]
    assert stage.due == t("2026-03-24T09:00:00Z")
    assert "default period" in stage.note


# --- China ------------------------------------------------------------------------------


def test_cn_miit_48_hours_missed_and_third_party_report_does_not_count() -> None:
    events = [
        ev("a", EventType.AWARE, "2021-11-24T00:00:00+08:00", org="cloudco", subject="log4shell"),
        ev(
            "third",
            EventType.REPORT_SUBMITTED,
            "2021-12-09T12:00:00+08:00",
            org="someone-else",
            subject="log4shell",
            data={"regime": MIIT, "stage": "report"},
        ),
        ev(
            "casewide",
            EventType.REPORT_SUBMITTED,
            "2021-12-09T12:00:00+08:00",
            org=None,
            subject="log4shell",
            data={"regime": MIIT, "stage": "report"},
        ),
    ]
    report = by_stage(run(events, "2021-12-22T00:00:00Z", [CLOUDCO], regimes=[MIIT]), MIIT)[
        "report"
    ]
    assert report.due == t("2021-11-25T16:00:00Z")  # 2021-11-26 00:00 in Beijing
    assert report.status is ObligationStatus.MISSED
    assert report.met_by is None
    assert "calendar-vs-working-days-UNVERIFIED" in {f.id for f in report.flags}


def test_cn_miit_own_late_report_is_met_late() -> None:
    events = [
        ev("a", EventType.AWARE, "2021-11-24T00:00:00+08:00", org="cloudco"),
        submitted("s", MIIT, "report", "2021-11-27T00:00:00+08:00", org="cloudco"),
    ]
    report = by_stage(run(events, "2021-12-22T00:00:00Z", [CLOUDCO], regimes=[MIIT]), MIIT)[
        "report"
    ]
    assert report.status is ObligationStatus.MET_LATE


def test_cn_miit_does_not_bind_a_provider_outside_china() -> None:
    apache = OrgProfile("asf", "ASF", {"US"}, {Role.PRODUCT_PROVIDER})
    events = [ev("a", EventType.AWARE, "2021-11-24T00:00:00+08:00", org="asf")]
    assert run(events, "2021-12-22T00:00:00Z", [apache], regimes=[MIIT]) == []


def test_partner_terms_bind_platform_partners_beside_the_regulation() -> None:
    events = [ev("a", EventType.AWARE, "2021-11-24T00:00:00+08:00", org="cloudco")]
    obligations = run(events, "2021-12-22T00:00:00Z", [CLOUDCO], regimes=[MIIT, TERMS])
    terms = by_stage(obligations, TERMS)["report"]
    assert terms.due == t("2021-11-25T16:00:00Z")
    assert terms.status is ObligationStatus.MISSED
    assert "membership-term-EXAMPLE" in {f.id for f in terms.flags}
    assert {o.regime for o in obligations} == {MIIT, TERMS}


def test_override_excludes_a_regime_for_one_subject_with_its_reason() -> None:
    events = [ev("a", EventType.AWARE, "2021-11-24T00:00:00+08:00", org="cloudco")]
    override = Binding("cloudco", "case-1", MIIT, applies=False, reason="not our product")
    report = by_stage(
        run(events, "2021-12-22T00:00:00Z", [CLOUDCO], regimes=[MIIT], overrides=[override]), MIIT
    )["report"]
    assert report.status is ObligationStatus.NOT_APPLICABLE
    assert report.basis.kind is BasisKind.OVERRIDE
    assert "not our product" in report.basis.reason


# --- India, CIRCIA, CRA incidents --------------------------------------------------------


def test_certin_six_hours_from_noticing() -> None:
    events = [ev("n", EventType.INCIDENT_NOTICED, "2026-05-01T10:00:00+05:30", org="hostin")]

    # Noticed 10:00 IST = 04:30Z; due 6 h later = 10:30Z; half the window gone at 07:30Z.
    def report_at(at: str) -> Obligation:
        return by_stage(run(events, at, [INDIA], regimes=[CERTIN]), CERTIN)["report"]

    assert report_at("2026-05-01T07:29:59Z").due == t("2026-05-01T10:30:00Z")
    assert report_at("2026-05-01T07:29:59Z").status is ObligationStatus.PENDING
    assert report_at("2026-05-01T07:30:00Z").status is ObligationStatus.DUE_SOON


def test_circia_is_disabled_unless_explicitly_enabled() -> None:
    events = [ev("r", EventType.RANSOM_PAID, "2026-05-01T10:00:00Z", org="pipeco")]
    assert run(events, "2026-05-01T11:00:00Z", [COVERED], regimes=[CIRCIA]) == []

    enabled = by_stage(
        run(events, "2026-05-01T11:00:00Z", [COVERED], regimes=[CIRCIA], enabled=[CIRCIA]), CIRCIA
    )
    assert enabled["ransom_payment_report"].due == t("2026-05-02T10:00:00Z")
    assert enabled["covered_incident_report"].status is ObligationStatus.NOT_APPLICABLE
    assert enabled["ransom_payment_report"].flags[0].id == "PROPOSED"


def test_circia_enabled_for_one_organisation_by_override() -> None:
    events = [ev("c", EventType.COVERED_INCIDENT_AWARE, "2026-05-01T10:00:00Z", org="pipeco")]
    override = Binding("pipeco", None, CIRCIA, applies=True, reason="planning exercise")
    stages = by_stage(
        run(events, "2026-05-01T11:00:00Z", [COVERED], regimes=[CIRCIA], overrides=[override]),
        CIRCIA,
    )
    assert stages["covered_incident_report"].due == t("2026-05-04T10:00:00Z")
    assert stages["covered_incident_report"].basis.kind is BasisKind.OVERRIDE


def test_cra_severe_incident_final_report_one_month_after_notification_clamped() -> None:
    events = [
        ev("i", EventType.SEVERE_INCIDENT_AWARE, "2027-01-29T12:00:00Z"),
        submitted("n", CRA_INC, "notification", "2027-01-31T12:00:00Z"),
    ]
    stages = by_stage(run(events, "2027-02-01T00:00:00Z", [MAKER], regimes=[CRA_INC]), CRA_INC)
    assert stages["early_warning"].due == t("2027-01-30T12:00:00Z")
    assert stages["notification"].due == t("2027-02-01T12:00:00Z")
    assert stages["notification"].status is ObligationStatus.MET
    # 31 January + one month = 28 February (2027 is not a leap year).
    assert stages["final_report"].due == t("2027-02-28T12:00:00Z")


def test_every_shipped_regime_and_stage_is_evaluated_somewhere() -> None:
    # A smoke run that exercises each regime at once with one organisation per role.
    everyone = OrgProfile("omni", "Omni", {"EU", "CN", "US", "IN", "AU", "GB"}, set(Role))
    events = [
        ev(str(i), kind, "2026-10-01T10:00:00Z", org="omni")
        for i, kind in enumerate(
            [
                EventType.AWARE,
                EventType.EXPLOITATION_KNOWN,
                EventType.SEVERE_INCIDENT_AWARE,
                EventType.SIGNIFICANT_INCIDENT_AWARE,
                EventType.MATERIALITY_DETERMINED,
                EventType.INCIDENT_NOTICED,
                EventType.COVERED_INCIDENT_AWARE,
                EventType.RANSOM_PAID,
            ]
        )
    ]
    classifications = [
        ("cn-cac-2025", "major"),
        ("eu-dora", "major"),
        ("eu-gdpr", "personal_data_breach"),
        ("au-soci", "significant_impact"),
        ("au-soci", "relevant_impact"),
        ("us-nydfs", "cybersecurity_incident"),
        ("uk-nis", "significant_impact"),
    ]
    events += [
        ev(
            f"c{i}",
            EventType.INCIDENT_CLASSIFIED,
            "2026-10-01T10:00:00Z",
            org="omni",
            data={"scheme": scheme, "level": level},
        )
        for i, (scheme, level) in enumerate(classifications)
    ]
    obligations = run(events, "2026-10-01T11:00:00Z", [everyone], enabled=[CIRCIA])
    from tests.unit.clocks.helpers import REGIMES

    expected = {(r.id, s.id) for r in REGIMES.values() for s in r.stages}
    assert {(o.regime, o.stage) for o in obligations} == expected
