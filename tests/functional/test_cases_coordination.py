"""Cases over real HTTP: a member starts coordination itself, vulnerabilities are validated
and scored, vendors are added on the platform or invited by a signed link, each vendor
states its status per vulnerability (with history), sees only its part, and is reminded
then escalated when it does not answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from clearinghouse.app import build_registry
from clearinghouse.jobs.worker import Worker
from clearinghouse.notify.models import Notification
from tests.functional.conftest import Platform
from tests.support.cases import LOG4J, VULN, Coordinated, coordinate, sent_emails


@pytest.fixture
def coordinated(platform: Platform) -> Coordinated:
    return coordinate(platform)


def test_member_started_case_with_scored_vulnerability(
    platform: Platform, coordinated: Coordinated
) -> None:
    case = coordinated.coordinator.get(f"/api/v1/cases/{coordinated.case}").json()
    assert case["your_role"] == "coordinator"
    (v,) = case["vulnerabilities"]
    assert (v["cve_id"], v["cwes"]) == ("CVE-2021-44228", ["CWE-502", "CWE-917"])
    assert (v["cvss_version"], v["cvss_score"], v["cvss_severity"]) == ("3.1", 10.0, "CRITICAL")
    (product,) = v["products"]
    assert product["ecosystem"] == "Maven"
    assert product["name"] == "org.apache.logging.log4j:log4j-core"
    assert product["ranges"][2]["events"] == [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]
    roles = sorted(p["role"] for p in case["participants"])
    assert roles == ["coordinator", "vendor", "vendor"]
    # the members' vendor was notified in the platform, the outside one by e-mail
    assert all(p["notified_at"] for p in case["participants"])
    assert all(p["response_due_at"] for p in case["participants"] if p["role"] == "vendor")


INVALID_VULNERABILITIES: list[tuple[str, Any]] = [
    ("cve_id", "CVE-21-1"),
    ("cwes", ["XSS"]),
    ("cvss_vector", "CVSS:3.1/AV:N/AC:L"),
    ("cvss_vector", "AV:N/AC:L/Au:N/C:P/I:P/A:P"),  # CVSS 2.0: refused for new cases
    ("products", [{"purl": "log4j-core"}]),
    ("products", [{"purl": LOG4J, "ranges": [{"events": [{"fixed": "2.15.0"}]}]}]),
    (
        "products",
        [
            {
                "purl": LOG4J,
                "ranges": [
                    {"events": [{"introduced": "0"}, {"fixed": "1"}, {"last_affected": "2"}]}
                ],
            }
        ],
    ),
    ("products", [{"purl": LOG4J, "ranges": [{"events": [{"introduced": "0", "fixed": "1"}]}]}]),
    ("products", [{"purl": LOG4J, "ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}]),
]


def test_vulnerability_validation(coordinated: Coordinated) -> None:
    url = f"/api/v1/cases/{coordinated.case}/vulnerabilities"
    for field, value in INVALID_VULNERABILITIES:
        r = coordinated.coordinator.post(url, json={**VULN, "cve_id": None, field: value})
        assert r.status_code == 422, (field, value, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"
    r = coordinated.coordinator.post(
        url, json={**VULN, "cve_id": "CVE-2021-45046", "cvss_vector": v4}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["cvss_version"], r.json()["cvss_severity"]) == ("4.0", "CRITICAL")


def test_duplicate_cve_in_a_case_conflicts(coordinated: Coordinated) -> None:
    r = coordinated.coordinator.post(f"/api/v1/cases/{coordinated.case}/vulnerabilities", json=VULN)
    assert r.status_code == 409


def test_vendor_sees_only_its_part_and_seen_is_recorded(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    before = coordinated.coordinator.get(base).json()
    vendor_row = next(
        p for p in before["participants"] if p["id"] == coordinated.vendor_participant
    )
    assert vendor_row["seen_at"] is None
    view = coordinated.vendor.get(base).json()
    assert view["your_role"] == "vendor"
    assert {p["role"] for p in view["participants"]} == {"coordinator", "vendor"}
    assert [p["id"] for p in view["participants"] if p["role"] == "vendor"] == [
        coordinated.vendor_participant
    ]
    assert all(p["contact_email"] is None for p in view["participants"])
    after = coordinated.coordinator.get(base).json()
    seen = next(p for p in after["participants"] if p["id"] == coordinated.vendor_participant)
    assert seen["seen_at"] is not None
    types = [e["type"] for e in coordinated.coordinator.get(f"{base}/timeline").json()["items"]]
    assert types.count("participant_seen") == 1
    # the vendor's timeline holds case-wide events and its own, not the other vendor's
    own = coordinated.vendor.get(f"{base}/timeline?limit=500").json()["items"]
    assert all(e["participant_id"] in (None, coordinated.vendor_participant) for e in own)
    assert (
        coordinated.vendor.post(f"{base}/participants", json={"organisation": "other"}).status_code
        == 403
    )
    assert coordinated.vendor.get(f"{base}/export").status_code == 403


def test_vendor_status_rules_and_history(coordinated: Coordinated) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    post = coordinated.vendor.post
    v = coordinated.vuln
    r = post(f"{base}/statuses", json={"vulnerability_id": v, "status": "not_affected"})
    assert r.status_code == 422  # needs a VEX justification
    r = post(f"{base}/statuses", json={"vulnerability_id": v, "status": "fixed"})
    assert r.status_code == 422  # needs the fixed version
    assert (
        post(f"{base}/statuses", json={"vulnerability_id": v, "status": "affected"}).status_code
        == 201
    )
    assert (
        post(f"{base}/statuses", json={"vulnerability_id": v, "status": "affected"}).status_code
        == 200
    )  # unchanged
    r = post(
        f"{base}/statuses",
        json={"vulnerability_id": v, "status": "fixed", "fixed_version": "2.15.0"},
    )
    assert r.status_code == 201
    r = post(f"{base}/statuses", json={"vulnerability_id": v, "status": "affected"})
    assert r.status_code == 422  # leaving fixed needs a statement
    r = post(
        f"{base}/statuses",
        json={
            "vulnerability_id": v,
            "status": "affected",
            "statement": "2.15.0 is incomplete (CVE-2021-45046)",
        },
    )
    assert r.status_code == 201
    # a vendor may not state another vendor's status
    r = post(
        f"{base}/statuses",
        json={
            "vulnerability_id": v,
            "status": "unknown",
            "participant_id": coordinated.outside_participant,
        },
    )
    assert r.status_code == 403
    history = coordinated.coordinator.get(f"{base}/statuses?history=true").json()
    mine = [h for h in history if h["participant_id"] == coordinated.vendor_participant]
    assert [(h["status"], h["current"]) for h in mine] == [
        ("affected", False),
        ("fixed", False),
        ("affected", True),
    ]
    timeline = coordinated.coordinator.get(f"{base}/timeline?limit=500").json()["items"]
    fixes = [e for e in timeline if e["type"] == "fix_available"]
    assert [e["data"]["fixed_version"] for e in fixes] == ["2.15.0"]
    case = coordinated.coordinator.get(base).json()
    row = next(p for p in case["participants"] if p["id"] == coordinated.vendor_participant)
    assert row["responded_at"] is not None


def test_invited_vendor_opens_its_part_by_link_and_claims_an_account(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    with platform.client(headers={"Authorization": f"Invite {coordinated.outside_token}"}) as link:
        what = link.get("/api/v1/invitation").json()
        assert what["case"] == coordinated.case
        view = link.get(base).json()
        assert view["your_participant_id"] == coordinated.outside_participant
        assert [p["role"] for p in view["participants"]] == ["coordinator", "vendor"]
        r = link.post(
            f"{base}/statuses",
            json={"vulnerability_id": coordinated.vuln, "status": "under_investigation"},
        )
        assert r.status_code == 201
        assert link.get("/api/v1/cases").status_code == 403
        assert link.get("/api/v1/organisations").status_code == 401
        tampered = coordinated.outside_token[:-2] + (
            "AA" if not coordinated.outside_token.endswith("AA") else "BB"
        )
        assert (
            platform.client(headers={"Authorization": f"Invite {tampered}"}).get(base).status_code
            == 401
        )
        r = link.post(
            "/api/v1/invitation/claim",
            json={
                "organisation_slug": "apache-logging",
                "organisation_name": "Apache Logging PMC",
                "user_name": "PMC",
                "password": "a long enough password",
                "timezone": "UTC",
            },
        )
        assert r.status_code == 201, r.text
        assert r.json() == {
            "organisation": "apache-logging",
            "user": "security@logging.apache.test",
            "case": coordinated.case,
        }
        assert link.get(base).status_code == 401  # the account takes over
    account = platform.login("security@logging.apache.test", "a long enough password")
    view = account.get(base).json()
    assert view["your_role"] == "vendor"
    assert account.get("/api/v1/me").json()["organisation_kind"] == "vendor"


def test_expired_invitation_link(platform: Platform, coordinated: Coordinated) -> None:
    platform.clock.advance(timedelta(days=31))
    with platform.client(headers={"Authorization": f"Invite {coordinated.outside_token}"}) as link:
        r = link.get(f"/api/v1/cases/{coordinated.case}")
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


def test_removed_participant_loses_access(platform: Platform, coordinated: Coordinated) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    r = coordinated.coordinator.delete(f"{base}/participants/{coordinated.outside_participant}")
    assert r.status_code == 204
    with platform.client(headers={"Authorization": f"Invite {coordinated.outside_token}"}) as link:
        assert link.get(base).status_code == 401
    r = coordinated.coordinator.delete(f"{base}/participants/{coordinated.vendor_participant}")
    assert r.status_code == 204
    assert coordinated.vendor.get(base).status_code == 404


def _worker(platform: Platform) -> Worker:
    registry = build_registry(platform.settings)
    return Worker(platform.database, registry, platform.clock, platform.settings, "test")


def test_reminders_then_escalation_for_a_silent_vendor(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    worker = _worker(platform)
    # the platform vendor answers at once: it is never reminded
    coordinated.vendor.post(
        f"{base}/statuses",
        json={"vulnerability_id": coordinated.vuln, "status": "under_investigation"},
    )
    worker.run_until_idle()
    platform.clock.advance(timedelta(days=3, hours=12, seconds=1))  # half of 7 days
    worker.run_until_idle()
    platform.clock.advance(timedelta(days=2, hours=12))  # one day before the deadline
    worker.run_until_idle()
    platform.clock.advance(timedelta(days=1))  # the deadline
    worker.run_until_idle()
    worker.run_until_idle()  # idempotent: nothing more happens
    events = coordinated.coordinator.get(f"{base}/timeline?limit=500").json()["items"]
    reminded = [
        (e["participant_id"], e["data"]["action"]) for e in events if e["type"] == "vendor_reminded"
    ]
    assert reminded == [
        (coordinated.outside_participant, "remind_halfway"),
        (coordinated.outside_participant, "remind_last_day"),
    ]
    escalated = [e for e in events if e["type"] == "vendor_escalated"]
    assert [e["participant_id"] for e in escalated] == [coordinated.outside_participant]
    reminder_mails = [
        m
        for m in sent_emails(platform.database)
        if m["to"] == "security@logging.apache.test" and "Reminder" in m["subject"]
    ]
    assert len(reminder_mails) == 2
    with platform.database.transaction(write=False) as s:
        kinds = set(s.scalars(select(Notification.kind)).all())
    assert "case.vendor_escalated" in kinds
    case = coordinated.coordinator.get(base).json()
    outside = next(p for p in case["participants"] if p["id"] == coordinated.outside_participant)
    assert outside["escalated_at"] is not None


def test_moving_a_deadline_retires_the_old_schedule(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    r = coordinated.coordinator.post(
        f"{base}/participants/{coordinated.outside_participant}/deadline", json={"days": 30}
    )
    assert r.status_code == 200
    worker = _worker(platform)
    platform.clock.advance(timedelta(days=8))  # past the first deadline, not the new one
    worker.run_until_idle()
    events = coordinated.coordinator.get(f"{base}/timeline?limit=500").json()["items"]
    assert not [
        e
        for e in events
        if e["type"] == "vendor_escalated"
        and e["participant_id"] == coordinated.outside_participant
    ]


def test_sharing_abroad_before_publication_warns_under_cn_miit_art_9_7(
    platform: Platform, coordinated: Coordinated
) -> None:
    # The member (CN) is a product provider: bound by cn-miit-2021.
    admin = platform.login(platform.world.operator_admin)
    r = admin.patch("/api/v1/organisations/member", json={"regulatory_roles": ["product_provider"]})
    assert r.status_code == 200, r.text
    coordinator = coordinated.coordinator
    base = f"/api/v1/cases/{coordinated.case}"
    # Another member in Germany, not the product's provider: a warning, not a block.
    r = coordinator.post(f"{base}/participants", json={"organisation": "other", "role": "member"})
    assert r.status_code == 201, r.text
    (warning,) = r.json()["warnings"]
    assert warning["citation"] == "cn-miit-2021 Art. 9(7)"
    assert warning["recipient"] == "other"
    # A vendor (the product's provider) is exempt.
    admin_vendor = platform.login(platform.world.operator_admin)
    make = admin_vendor.post(
        "/api/v1/organisations",
        json={"slug": "vendor-b", "name": "Vendor B", "kind": "vendor", "country": "US"},
    )
    assert make.status_code == 201, make.text
    r = coordinator.post(f"{base}/participants", json={"organisation": "vendor-b"})
    assert r.status_code == 201, r.text
    assert r.json()["warnings"] == []
    trail = admin.get(
        "/api/v1/audit", params={"object_type": "case", "object_id": coordinated.case, "limit": 500}
    ).json()
    assert [e for e in trail["items"] if e["action"] == "case.sharing_warning"]
