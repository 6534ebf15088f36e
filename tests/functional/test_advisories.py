"""Advisories over real HTTP on SQLite and PostgreSQL: drafting, revisions and diffs,
publication of every rendition, scheduling at the embargo's end, withdrawal, failed
renditions alerting the operator, and who may read what (TLP, drafts, suspension)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from clearinghouse.accounts.models import MemberSanction, SanctionKind, SanctionState
from clearinghouse.advisories.models import Advisory
from clearinghouse.audit.models import AuditEntry
from clearinghouse.db import Database
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.notify.models import Notification
from clearinghouse.timeutil import FixedClock, format_instant
from tests.support.advisories import (
    PROBLEM,
    AdvisoryPlatform,
    advisory_platform,
    create_draft,
    log4shell_draft,
)

ALL_FORMATS = {"csaf", "csaf_vex", "osv", "cve5", "cyclonedx_vex"}


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


def _audit_actions(platform: AdvisoryPlatform, public_id: str) -> list[str]:
    with platform.database.transaction(write=False) as s:
        return list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "advisory", AuditEntry.object_id == public_id)
                .order_by(AuditEntry.seq)
            )
        )


def test_draft_revisions_and_diff(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    created = create_draft(op)
    pid = created["id"]
    assert pid.startswith("CHSA-2026-")
    assert created["state"] == "draft"
    assert created["current_revision"] == 1
    vuln = created["document"]["vulnerabilities"][0]
    assert vuln["id"] == pid
    assert vuln["severity"][0]["base_score"] == 10.0  # scored on save

    # Revising one field adds a revision; the diff names that field only.
    r = op.patch(
        f"/api/v1/advisories/{pid}", json={"title": "Log4Shell", "revision_summary": "shorter"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["revision_created"] is True
    assert r.json()["current_revision"] == 2
    # Saving identical content is a no-op.
    r = op.patch(f"/api/v1/advisories/{pid}", json={"title": "Log4Shell"})
    assert r.json()["revision_created"] is False
    assert r.json()["current_revision"] == 2

    diff = op.get(f"/api/v1/advisories/{pid}/diff", params={"from": 1, "to": 2}).json()
    paths = {c["path"] for c in diff["changes"]}
    assert "title" in paths
    assert next(c for c in diff["changes"] if c["path"] == "title")["after"] == "Log4Shell"
    assert not any(p.startswith("vulnerabilities") for p in paths)

    # Changing a range shows up under the vulnerability and package it belongs to.
    inputs = op.get(f"/api/v1/advisories/{pid}/input").json()
    inputs[0]["affected"][0]["ranges"][2]["events"][1] = {"fixed": "2.16.0"}
    r = op.patch(f"/api/v1/advisories/{pid}", json={"vulnerabilities": inputs})
    assert r.json()["current_revision"] == 3
    changes = op.get(f"/api/v1/advisories/{pid}/diff").json()["changes"]
    assert [c["path"] for c in changes] == [
        f"vulnerabilities[{pid}].affected[Maven/org.apache.logging.log4j:log4j-core].ranges[2].events[1].value"
    ]
    assert (changes[0]["before"], changes[0]["after"]) == ("2.15.0", "2.16.0")

    revisions = op.get(f"/api/v1/advisories/{pid}/revisions").json()
    assert [r["number"] for r in revisions] == [1, 2, 3]
    assert revisions[1]["summary"] == "shorter"
    assert _audit_actions(platform, pid) == [
        "advisory.created",
        "advisory.revised",
        "advisory.revised",
    ]


def test_tlp_is_required_and_drafts_are_hidden(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    body = log4shell_draft()
    del body["tlp"]
    r = op.post("/api/v1/advisories", json=body)
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    assert "tlp" in r.json()["detail"]

    pid = create_draft(op)["id"]
    member = platform.login(platform.world.member_admin)
    assert member.get(f"/api/v1/advisories/{pid}").status_code == 404
    with platform.client() as anonymous:
        assert anonymous.get(f"/api/v1/advisories/{pid}").status_code == 404
        assert anonymous.get("/api/v1/advisories/CHSA-1999-0001").status_code == 404
        # A member cannot write, and learns nothing about drafts it cannot see.
    r = member.post("/api/v1/advisories", json=log4shell_draft())
    assert r.status_code == 403
    assert member.patch(f"/api/v1/advisories/{pid}", json={"title": "x"}).status_code == 404
    viewer = platform.login(platform.world.operator_admin)
    assert viewer.get(f"/api/v1/advisories/{pid}").status_code == 200


def test_publish_every_rendition_at_once_and_idempotently(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    pid = create_draft(op)["id"]
    r = op.post(f"/api/v1/advisories/{pid}/publish", json={})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["already"] is False
    assert body["advisory"]["state"] == "published"
    assert {x["format"] for x in body["renditions"]} == ALL_FORMATS
    assert all(x["status"] == "rendered" for x in body["renditions"]), body["renditions"]
    keys = {(x["format"], x["key"]) for x in body["renditions"]}
    assert ("osv", f"x_{pid}") in keys
    assert ("cve5", "CVE-2021-44228") in keys
    revision = body["revision"]

    again = op.post(f"/api/v1/advisories/{pid}/publish", json={}).json()
    assert again["already"] is True
    assert again["revision"] == revision
    assert _audit_actions(platform, pid).count("advisory.published") == 1

    # Published and CLEAR: anyone reads it and its renditions.
    with platform.client() as anonymous:
        detail = anonymous.get(f"/api/v1/advisories/{pid}").json()
        assert detail["state"] == "published"
        assert detail["document"]["status"] == "final"
        assert detail["document"]["revisions"][0]["number"] == "1"
        csaf = anonymous.get(f"/api/v1/advisories/{pid}/export", params={"format": "csaf"}).json()
        assert csaf["document"]["tracking"]["id"] == pid
        assert csaf["document"]["tracking"]["status"] == "final"
        osv = anonymous.get(f"/osv/v1/vulns/x_{pid}").json()
        assert osv["aliases"] == ["GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"]
        assert anonymous.get(f"/osv/v1/vulns/{pid}").json()["id"] == f"x_{pid}"
        cve = anonymous.get(
            f"/api/v1/advisories/{pid}/export", params={"format": "cve5", "key": "CVE-2021-44228"}
        ).json()
        assert cve["cveMetadata"]["cveId"] == "CVE-2021-44228"

    # A later revision is a draft until published again; readers keep the published one.
    op.patch(f"/api/v1/advisories/{pid}", json={"summary": "Updated summary"})
    with platform.client() as anonymous:
        assert (
            anonymous.get(f"/api/v1/advisories/{pid}").json()["document"]["summary"]
            != "Updated summary"
        )
        assert len(anonymous.get(f"/api/v1/advisories/{pid}/revisions").json()) == revision
    update = op.post(
        f"/api/v1/advisories/{pid}/publish", json={"summary": "Summary clarified"}
    ).json()
    assert update["already"] is False
    doc = op.get(f"/api/v1/advisories/{pid}").json()["document"]
    assert [r["number"] for r in doc["revisions"]] == ["1", "2"]
    assert doc["revisions"][1]["summary"] == "Summary clarified"


def test_scheduled_publication_runs_at_the_embargo_end(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    pid = create_draft(op)["id"]
    at = platform.clock.now() + timedelta(hours=6)
    r = op.post(f"/api/v1/advisories/{pid}/schedule", json={"at": format_instant(at)})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "scheduled"
    # Scheduling twice for the same instant is one job.
    op.post(f"/api/v1/advisories/{pid}/schedule", json={"at": format_instant(at)})
    with platform.database.transaction(write=False) as s:
        jobs = list(s.scalars(select(Job).where(Job.kind == "advisory.publish")))
    assert len(jobs) == 1
    assert jobs[0].run_after == at

    # Nothing happens before the instant...
    platform.run_jobs()
    assert op.get(f"/api/v1/advisories/{pid}").json()["state"] == "scheduled"
    with platform.client() as anonymous:
        assert anonymous.get(f"/api/v1/advisories/{pid}").status_code == 404
    # ...and at the instant, everything is published by the job.
    platform.clock.set(at)
    assert platform.run_jobs() >= 1
    detail = op.get(f"/api/v1/advisories/{pid}").json()
    assert detail["state"] == "published"
    assert detail["published_at"].startswith(at.strftime("%Y-%m-%dT%H:%M"))
    with platform.database.transaction(write=False) as s:
        job = s.scalars(select(Job).where(Job.kind == "advisory.publish")).one()
        assert job.status is JobStatus.DONE
    assert _audit_actions(platform, pid).count("advisory.published") == 1


def test_rescheduled_job_for_the_old_instant_does_nothing(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    pid = create_draft(op)["id"]
    first = platform.clock.now() + timedelta(hours=1)
    later = platform.clock.now() + timedelta(hours=5)
    op.post(f"/api/v1/advisories/{pid}/schedule", json={"at": format_instant(first)})
    op.post(f"/api/v1/advisories/{pid}/schedule", json={"at": format_instant(later)})
    platform.clock.set(first + timedelta(minutes=1))
    platform.run_jobs()
    assert op.get(f"/api/v1/advisories/{pid}").json()["state"] == "scheduled"
    # Unscheduling turns it back into a draft; the remaining job then does nothing either.
    assert op.delete(f"/api/v1/advisories/{pid}/schedule").json()["state"] == "draft"
    platform.clock.set(later + timedelta(minutes=1))
    platform.run_jobs()
    assert op.get(f"/api/v1/advisories/{pid}").json()["state"] == "draft"
    r = op.post(f"/api/v1/advisories/{pid}/schedule", json={"at": format_instant(first)})
    assert r.status_code == 422  # in the past
    r = op.post(f"/api/v1/advisories/{pid}/schedule", json={})
    assert r.status_code == 422  # no case embargo to default to
    assert r.headers["content-type"] == PROBLEM


def test_withdrawal_is_an_audited_correction(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    pid = create_draft(op)["id"]
    op.post(f"/api/v1/advisories/{pid}/publish", json={})
    assert op.post(f"/api/v1/advisories/{pid}/withdraw", json={"reason": ""}).status_code == 422
    r = op.post(
        f"/api/v1/advisories/{pid}/withdraw", json={"reason": "Duplicate of GHSA-jfh8-c2jp-5v3q"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["advisory"]["state"] == "withdrawn"
    assert all(x["status"] == "rendered" for x in r.json()["renditions"])
    with platform.client() as anonymous:
        record = anonymous.get(f"/osv/v1/vulns/x_{pid}").json()
        assert record["withdrawn"] == format_instant(platform.clock.now())
        # Queries skip withdrawn records.
        q = {
            "package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
            "version": "2.14.1",
        }
        assert anonymous.post("/osv/v1/query", json=q).json() == {}
        detail = anonymous.get(f"/api/v1/advisories/{pid}").json()
        assert detail["withdrawn_reason"] == "Duplicate of GHSA-jfh8-c2jp-5v3q"
    assert op.post(f"/api/v1/advisories/{pid}/publish", json={}).status_code == 409
    with platform.database.transaction(write=False) as s:
        assert s.scalars(select(Advisory).where(Advisory.public_id == pid)).one() is not None
    assert _audit_actions(platform, pid)[-1] == "advisory.withdrawn"


def test_a_failed_rendition_alerts_and_blocks_nothing_else(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    body = log4shell_draft()
    vuln = body["vulnerabilities"][0]
    # No product at all: CSAF cannot carry it; OSV, CVE 5.x still can.
    vuln["affected"], vuln["statements"] = [], []
    pid = create_draft(op, vulnerabilities=[vuln])["id"]
    r = op.post(f"/api/v1/advisories/{pid}/publish", json={}).json()
    by_format = {x["format"]: x for x in r["renditions"]}
    failing = {f for f, x in by_format.items() if x["status"] == "failed"}
    # CSAF needs a product and CVE 5.x an affected entry; OSV carries the record anyway.
    assert {"csaf", "csaf_vex", "cve5"} <= failing
    assert "product" in by_format["csaf"]["detail"]
    assert by_format["osv"]["status"] == "rendered"
    assert r["advisory"]["state"] == "published"
    with platform.database.transaction(write=False) as s:
        notices = list(
            s.scalars(select(Notification).where(Notification.kind == "advisory.rendition_failed"))
        )
        mails = list(s.scalars(select(Job).where(Job.kind == "notify.email")))
    assert len(notices) == 1  # the operator's one administrator
    assert pid in notices[0].subject
    assert all(f"- {f}" in notices[0].body for f in failing)
    assert len(mails) >= 1
    renditions = op.get(f"/api/v1/advisories/{pid}/renditions").json()
    assert {x["format"] for x in renditions if x["status"] == "failed"} == failing
    with platform.client() as anonymous:
        assert anonymous.get(f"/osv/v1/vulns/x_{pid}").status_code == 200
    r = op.get(f"/api/v1/advisories/{pid}/export", params={"format": "csaf"})
    assert r.status_code == 422
    assert r.json()["code"] == "rendition-failed"


def _org_id(platform: AdvisoryPlatform, email: str) -> str:
    return str(platform.login(email).get("/api/v1/me").json()["organisation_id"])


def test_tlp_decides_who_reads_published_advisories(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    member_org = _org_id(platform, platform.world.member_admin)
    green = create_draft(op, tlp="GREEN")["id"]
    amber = create_draft(op, tlp="AMBER", recipient_org_ids=[member_org])["id"]
    red = create_draft(op, tlp="RED")["id"]
    for pid in (green, amber, red):
        op.post(f"/api/v1/advisories/{pid}/publish", json={})
    member = platform.login(platform.world.member_viewer)
    other = platform.login(platform.world.other_admin)
    with platform.client() as anonymous:
        for pid in (green, amber, red):
            assert anonymous.get(f"/api/v1/advisories/{pid}").status_code == 404
    assert member.get(f"/api/v1/advisories/{green}").status_code == 200
    assert member.get(f"/api/v1/advisories/{amber}").status_code == 200
    assert member.get(f"/api/v1/advisories/{red}").status_code == 404
    assert other.get(f"/api/v1/advisories/{green}").status_code == 200
    assert other.get(f"/api/v1/advisories/{amber}").status_code == 404

    # The list only names what the caller may read.
    listed = {a["id"] for a in other.get("/api/v1/advisories").json()["items"]}
    assert green in listed
    assert amber not in listed
    assert red not in listed

    # A suspended member receives nothing beyond CLEAR.
    with platform.database.transaction() as s:
        s.add(
            MemberSanction(
                id=uuid.uuid4(),
                org_id=uuid.UUID(member_org),
                kind=SanctionKind.SUSPENSION,
                state=SanctionState.ACTIVE,
                starts_at=platform.clock.now() - timedelta(days=1),
                ends_at=platform.clock.now() + timedelta(days=180),
                reassessment_at=platform.clock.now() + timedelta(days=170),
                reason="missed a deadline",
                basis={},
                decided_by_user_id=None,
                decided_by_label="test",
                decided_at=platform.clock.now(),
            )
        )
    assert member.get(f"/api/v1/advisories/{green}").status_code == 404
    assert member.get(f"/api/v1/advisories/{amber}").status_code == 404


def test_list_pages_with_a_cursor(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    made = []
    for _ in range(5):
        made.append(create_draft(op)["id"])
        platform.clock.advance(timedelta(seconds=1))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = op.get("/api/v1/advisories", params=params).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(made))
    assert op.get("/api/v1/advisories", params={"cursor": "nonsense!"}).status_code == 422
