"""Drafting from a case over real HTTP: the case's vulnerability, the vendor's status as a
VEX statement, the finder credited as they asked, drafts readable by the case's
participants only, and publication scheduled for the embargo's end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock, parse_instant
from tests.support.advisories import AdvisoryPlatform, advisory_platform
from tests.support.cases import VULN, bearer, make_org, report, triage_and_open

VENDOR = "psirt@vendor-a.test"


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


def _case(
    platform: AdvisoryPlatform,
    credit: str,
    references: tuple[str, ...] = ("https://example.org/poc",),
) -> str:
    """A member's report, triaged into a case with one vulnerability and one vendor who
    says it is fixed in 2.15.0, and an active embargo."""
    reporter = platform.login(platform.world.member_admin)
    admin = platform.login(platform.world.operator_admin)
    credit_as = None if credit == "anonymous" else "Chen Zhaojun of Alibaba Cloud Security Team"
    found = report(
        reporter,
        credit_preference=credit,
        credit_as=credit_as,
        references=list(references),
    )
    case = triage_and_open(admin, found["id"])["public_id"]
    base = f"/api/v1/cases/{case}"
    r = admin.post(f"{base}/vulnerabilities", json=VULN)
    assert r.status_code == 201, r.text
    vuln = r.json()["id"]
    make_org(admin, "vendor-a", "vendor", VENDOR)
    r = admin.post(f"{base}/participants", json={"organisation": "vendor-a", "response_days": 7})
    assert r.status_code == 201, r.text
    vendor = bearer(platform, VENDOR)
    r = vendor.post(
        f"{base}/statuses",
        json={"vulnerability_id": vuln, "status": "fixed", "fixed_version": "2.15.0"},
    )
    assert r.status_code in (200, 201), r.text
    r = admin.post(
        f"{base}/embargo/propose", json={"ends_at": "2026-10-20T09:00:00", "timezone": "UTC"}
    )
    assert r.status_code == 200, r.text
    for client in (vendor, reporter):
        client.post(f"{base}/embargo/accept", json={})
    state = admin.get(f"{base}/embargo").json()
    assert state["state"] == "active", state
    return str(case)


def test_draft_from_case(platform: AdvisoryPlatform) -> None:
    case = _case(platform, credit="name")
    op = bearer(platform, platform.world.operator_analyst)  # outlives the clock jump below
    r = op.post(f"/api/v1/advisories/from-case/{case}", json={})
    assert r.status_code == 422  # no TLP, no draft
    r = op.post(f"/api/v1/advisories/from-case/{case}", json={"tlp": "AMBER"})
    assert r.status_code == 201, r.text
    draft = r.json()
    pid = draft["id"]
    assert draft["case_id"]
    doc = draft["document"]
    (vuln,) = doc["vulnerabilities"]
    assert vuln["cve"] == "CVE-2021-44228"
    assert vuln["severity"][0]["base_score"] == 10.0
    assert vuln["cwes"] == ["CWE-502", "CWE-917"]
    (affected,) = vuln["affected"]
    assert affected["package"]["ecosystem"] == "Maven"
    assert affected["package"]["name"] == "org.apache.logging.log4j:log4j-core"
    assert len(affected["ranges"]) == 3
    (statement,) = vuln["statements"]
    assert (statement["status"], statement["fixed_version"], statement["vendor"]) == (
        "fixed",
        "2.15.0",
        "Vendor-A",
    )
    assert vuln["credits"] == [
        {"name": "Chen Zhaojun of Alibaba Cloud Security Team", "kind": "FINDER"}
    ]
    assert doc["references"][0]["url"] == "https://example.org/poc"

    # The case's participants read the draft; other members do not learn it exists.
    assert bearer(platform, VENDOR).get(f"/api/v1/advisories/{pid}").status_code == 200
    assert (
        platform.login(platform.world.member_viewer).get(f"/api/v1/advisories/{pid}").status_code
        == 200
    )
    assert (
        platform.login(platform.world.other_admin).get(f"/api/v1/advisories/{pid}").status_code
        == 404
    )
    # Members cannot draft from a case, and an unknown case is a 404 for the operator.
    member = platform.login(platform.world.member_admin)
    assert (
        member.post(f"/api/v1/advisories/from-case/{case}", json={"tlp": "AMBER"}).status_code
        == 403
    )
    assert (
        op.post("/api/v1/advisories/from-case/CH-1999-0001", json={"tlp": "AMBER"}).status_code
        == 404
    )

    # Scheduling defaults to the embargo's end; the job publishes then.
    r = op.post(f"/api/v1/advisories/{pid}/schedule", json={})
    assert r.status_code == 200, r.text
    at = parse_instant(r.json()["scheduled_at"])
    assert at == parse_instant("2026-10-20T09:00:00Z")
    platform.clock.set(at + timedelta(seconds=1))
    platform.run_jobs()
    assert op.get(f"/api/v1/advisories/{pid}").json()["state"] == "published"
    # Published AMBER: still only the participants (and the operator).
    assert (
        platform.login(platform.world.other_admin).get(f"/api/v1/advisories/{pid}").status_code
        == 404
    )
    assert bearer(platform, VENDOR).get(f"/api/v1/advisories/{pid}").status_code == 200


def test_an_anonymous_finder_is_not_credited(platform: AdvisoryPlatform) -> None:
    case = _case(platform, credit="anonymous")
    op = platform.operator()
    draft = op.post(f"/api/v1/advisories/from-case/{case}", json={"tlp": "CLEAR"}).json()
    assert "credits" not in draft["document"]["vulnerabilities"][0]
    assert draft["tlp"] == "CLEAR"


def test_a_moved_embargo_moves_the_scheduled_publication(platform: AdvisoryPlatform) -> None:
    case = _case(platform, "name")
    op = bearer(platform, platform.world.operator_analyst)  # outlives the clock jumps
    r = op.post(f"/api/v1/advisories/from-case/{case}", json={"tlp": "CLEAR"})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    old_end = parse_instant(
        op.post(f"/api/v1/advisories/{pid}/schedule", json={}).json()["scheduled_at"]
    )
    # The participants agree to move the embargo a week later.
    base = f"/api/v1/cases/{case}"
    r = op.post(
        f"{base}/embargo/propose-move",
        json={
            "ends_at": "2026-10-27T09:00:00",
            "timezone": "UTC",
            "reason": "the fix needs a week more",
        },
    )
    assert r.status_code == 200, r.text
    for who in (VENDOR, platform.world.member_admin):
        bearer(platform, who).post(f"{base}/embargo/accept", json={})
    embargo = op.get(f"{base}/embargo").json()
    assert embargo["ends_at"] == "2026-10-27T09:00:00Z", embargo
    # At the old end the job runs but publishes nothing: it follows the embargo.
    platform.clock.set(old_end)
    platform.run_jobs()
    detail = op.get(f"/api/v1/advisories/{pid}").json()
    assert detail["state"] == "scheduled"
    assert detail["scheduled_at"].startswith("2026-10-27T09:00:00")
    platform.clock.set(old_end + timedelta(days=7))
    platform.run_jobs()
    assert op.get(f"/api/v1/advisories/{pid}").json()["state"] == "published"


def test_a_case_without_references_publishes_a_valid_cve_record(
    platform: AdvisoryPlatform,
) -> None:
    """Issue #9, item 17: the replay's case (a report without references) published four
    failed cve5 renditions ("needs at least one reference"). The draft offers the
    reference the case has: each vulnerability's CVE record."""
    case = _case(platform, credit="name", references=())
    op = bearer(platform, platform.world.operator_analyst)
    draft = op.post(f"/api/v1/advisories/from-case/{case}", json={"tlp": "CLEAR"}).json()
    (vuln,) = draft["document"]["vulnerabilities"]
    assert vuln["references"] == [
        {
            "url": "https://www.cve.org/CVERecord?id=CVE-2021-44228",
            "kind": "WEB",
            "summary": "CVE record",
        }
    ]
    published = op.post(f"/api/v1/advisories/{draft['id']}/publish", json={}).json()
    statuses = {(r["format"], r["key"]): r["status"] for r in published["renditions"]}
    assert statuses[("cve5", "CVE-2021-44228")] == "rendered", published["renditions"]
