"""Exposure over real HTTP on SQLite and PostgreSQL: an SBOM uploaded and replaced, a bad
one refused naming the component and field, findings matched the moment an advisory is
published, the member's answer and its VEX statement (valid CycloneDX 1.6 and CSAF 2.0
VEX, in its own name), withdrawing the aware event a match recorded, and the operator's
view of a case: who it affects, inviting them, vendors from their declared products."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from clearinghouse.db import Database
from clearinghouse.formats.csaf_validate import validate_csaf
from clearinghouse.timeutil import FixedClock
from tests.conftest import REPO
from tests.support.advisories import (
    PROBLEM,
    AdvisoryPlatform,
    advisory_platform,
    create_draft,
    log4j_case,
)
from tests.unit.formats.test_vex_cyclonedx import cyclonedx_schema  # noqa: F401 (fixture)

SBOMS = REPO / "tests" / "fixtures" / "exposure" / "sbom"


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


def _upload(client: httpx.Client, name: str, path: Path, **params: str) -> httpx.Response:
    return client.post(
        "/api/v1/inventories",
        params={"name": name, **params},
        content=path.read_bytes(),
        headers={"content-type": "application/json"},
    )


def _published_log4shell(platform: AdvisoryPlatform) -> str:
    op = platform.operator()
    public_id = str(create_draft(op)["id"])
    r = op.post(f"/api/v1/advisories/{public_id}/publish", json={"summary": "now"})
    assert r.status_code == 200, r.text
    return public_id


def test_upload_match_answer_and_vex(platform: AdvisoryPlatform, cyclonedx_schema: Any) -> None:  # noqa: F811
    member = platform.login(platform.world.member_admin)
    first = _upload(member, "web shop", SBOMS / "log4j-core-2.14.1.cdx.json")
    assert first.status_code == 201, first.text
    inventory = first.json()["inventory"]["id"]
    assert first.json()["upload"]["components"] == 1
    platform.run_jobs()
    assert member.get("/api/v1/findings").json()["items"] == []

    advisory = _published_log4shell(platform)
    platform.run_jobs()
    (finding,) = member.get("/api/v1/findings").json()["items"]
    assert (finding["advisory"], finding["state"], finding["version"]) == (
        advisory,
        "new",
        "2.14.1",
    )
    assert finding["told_at"] is not None
    assert finding["aware_event"] is not None
    notices = member.get("/api/v1/notifications").json()["items"]
    assert any(n["kind"] == "exposure.match" for n in notices)

    refused = member.post(f"/api/v1/findings/{finding['id']}/state", json={"state": "not_affected"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "justification"
    answered = member.post(
        f"/api/v1/findings/{finding['id']}/state",
        json={
            "state": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "reason": "message lookups are disabled (log4j2.formatMsgNoLookups=true)",
        },
    )
    assert answered.status_code == 200, answered.text
    assert [h["to_state"] for h in answered.json()["history"]] == ["new", "not_affected"]

    cdx = member.post(f"/api/v1/findings/{finding['id']}/vex", json={"format": "cyclonedx"})
    assert cdx.status_code == 201, cdx.text
    document = cdx.json()["document"]
    errors = [e.message for e in cyclonedx_schema.iter_errors(document)]
    assert errors == []
    (vulnerability,) = document["vulnerabilities"]
    assert vulnerability["analysis"]["state"] == "not_affected"
    assert vulnerability["analysis"]["justification"] == "code_not_reachable"
    csaf = member.post(f"/api/v1/findings/{finding['id']}/vex", json={"format": "csaf"})
    assert csaf.status_code == 201, csaf.text
    doc = csaf.json()["document"]
    assert [f.message for f in validate_csaf(doc)] == []
    assert doc["document"]["category"] == "csaf_vex"
    assert doc["document"]["publisher"]["name"] == "Member"  # its own name, not the platform's
    # published: whoever may read the (CLEAR) advisory may read the statement
    anonymous = platform.client().get(f"/api/v1/vex/{csaf.json()['id']}")
    assert anonymous.status_code == 200

    # the upgrade closes the finding; history keeps every upload
    platform.clock.set(platform.clock.now() + timedelta(hours=1))
    second = _upload(member, "web shop", SBOMS / "log4j-core-2.17.1.cdx.json")
    assert second.status_code == 201
    assert second.json()["upload"]["changed"] == 1
    platform.run_jobs()
    assert member.get("/api/v1/findings").json()["items"] == []
    closed = member.get("/api/v1/findings", params={"matching": "false"}).json()["items"]
    assert [f["state"] for f in closed] == ["not_affected"]
    history = member.get(f"/api/v1/inventories/{inventory}/history").json()["items"]
    assert [u["number"] for u in history] == [2, 1]


def test_a_bad_sbom_is_a_problem_naming_the_component_and_field(
    platform: AdvisoryPlatform,
) -> None:
    member = platform.login(platform.world.member_admin)
    text = (SBOMS / "log4j-core-2.14.1.cdx.json").read_text()
    broken = text.replace('"version": "2.14.1"', '"version": 2141')
    r = member.post(
        "/api/v1/inventories",
        params={"name": "web shop"},
        content=broken.encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == "invalid-sbom"
    assert body["component"] == "log4j-core-2.14.1"
    assert body["field"].endswith(".version")
    assert member.get("/api/v1/inventories").json()["items"] == []


def test_withdrawing_the_aware_event_a_match_recorded(platform: AdvisoryPlatform) -> None:
    member = platform.login(platform.world.member_admin)
    assert _upload(member, "web shop", SBOMS / "log4j-core-2.14.1.cdx.json").status_code == 201
    _published_log4shell(platform)
    platform.run_jobs()
    (finding,) = member.get("/api/v1/findings").json()["items"]
    url = f"/api/v1/exposure/aware-events/{finding['aware_event']}/withdrawal"
    assert member.post(url, json={"reason": ""}).status_code == 422
    done = member.post(url, json={"reason": "the jar is a test fixture, never deployed"})
    assert done.status_code == 201, done.text
    assert done.json()["type"] == "withdrawn"
    assert done.json()["supersedes_id"] == finding["aware_event"]
    assert member.post(url, json={"reason": "again"}).status_code == 409
    other = platform.login(platform.world.other_admin)
    assert other.post(url, json={"reason": "not mine"}).status_code == 404


def test_the_operator_sees_who_a_case_affects_and_invites_them(
    platform: AdvisoryPlatform,
) -> None:
    member = platform.login(platform.world.member_admin)
    assert _upload(member, "web shop", SBOMS / "log4j-core-2.14.1.cdx.json").status_code == 201
    other = platform.login(platform.world.other_admin)
    assert _upload(other, "billing", SBOMS / "log4j-core-2.17.1.cdx.json").status_code == 201
    declared = other.put(
        "/api/v1/organisations/other/products",
        json={"purls": ["pkg:maven/org.apache.logging.log4j/log4j-core"]},
    )
    assert declared.status_code == 200, declared.text
    op = platform.operator()
    case = log4j_case(op)
    affected = op.get(f"/api/v1/cases/{case}/exposure").json()
    assert [(a["organisation"], a["packages"], a["participant"]) for a in affected] == [
        ("member", ["org.apache.logging.log4j:log4j-core 2.14.1"], False)
    ]
    vendors = op.get(f"/api/v1/cases/{case}/exposure/vendors").json()
    assert [v["organisation"] for v in vendors] == ["other"]
    assert member.get(f"/api/v1/cases/{case}/exposure").status_code == 404  # not taking part
    invited = op.post(f"/api/v1/cases/{case}/exposure/invitations", json={})
    assert invited.status_code == 201
    assert invited.json() == {"invited": ["member"]}
    assert member.get(f"/api/v1/cases/{case}").status_code == 200
    assert member.get(f"/api/v1/cases/{case}/exposure").status_code == 403  # now knows it
    again = op.post(
        f"/api/v1/cases/{case}/exposure/invitations", json={"organisations": ["member"]}
    )
    assert again.status_code == 409
