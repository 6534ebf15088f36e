"""The exposure pages' actions over HTTP (SQLite and PostgreSQL): the operator invites the
affected members it ticks and adds a proposed vendor on ``/cases/{ref}/exposure``; a
member declares its products line by line (each bad line named, nothing stored); a member
withdraws the aware event a match recorded, with a reason, on the finding. Each answers
as the API does, refuses whoever the policy refuses, and shows what was typed as text."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.conftest import REPO
from tests.support.advisories import (
    AdvisoryPlatform,
    advisory_platform,
    create_draft,
    log4j_case,
)
from tests.support.web import HTML, csrf_of, get, submit

SBOM = REPO / "tests" / "fixtures" / "exposure" / "sbom" / "log4j-core-2.14.1.cdx.json"
XSS = '"><script>alert(1)</script>'
LOG4J_CORE = "pkg:maven/org.apache.logging.log4j/log4j-core"


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


def _upload(c: httpx.Client, name: str) -> None:
    files = [("sbom", ("bom.json", SBOM.read_bytes(), "application/json"))]
    sent = submit(c, "/exposure/inventories", "/exposure/inventories", {"name": name}, files)
    assert sent.status_code == 303, sent.text[:2000]


def _tick(c: httpx.Client, url: str, action: str, slugs: list[str]) -> httpx.Response:
    """Post the invitation form with these boxes ticked (a field repeated per box)."""
    token = csrf_of(get(c, url).text)
    fields = [("csrf_token", token), *(("organisation", s) for s in slugs)]
    body = "&".join(f"{k}={v}" for k, v in fields)
    headers = {**HTML, "Content-Type": "application/x-www-form-urlencoded"}
    return c.post(action, content=body, headers=headers)


def test_the_operator_invites_the_members_it_ticks_and_adds_a_proposed_vendor(
    platform: AdvisoryPlatform,
) -> None:
    member = platform.login(platform.world.member_admin)
    other = platform.login(platform.world.other_admin)
    _upload(member, "portal")
    _upload(other, "intranet")
    declared = submit(
        other, "/members/other/products", "/members/other/products", {"purls": LOG4J_CORE}
    )
    assert declared.status_code == 303, declared.text[:2000]
    op = platform.operator()
    ref = log4j_case(op)
    url = f"/cases/{ref}/exposure"
    analyst = platform.login(platform.world.operator_analyst)
    page = get(analyst, url)
    assert page.status_code == 200
    assert 'name="organisation" value="member"' in page.text
    assert 'name="organisation" value="other"' in page.text
    assert 'name="vendor" value="other"' in page.text

    # nothing ticked: the form says so; an affected member cannot invite anyone
    empty = _tick(analyst, url, f"{url}/invitations", [])
    assert empty.status_code == 422
    assert 'href="#organisation"' in empty.text
    assert _tick(member, "/exposure/findings", f"{url}/invitations", ["member"]).status_code == 404

    invited = _tick(analyst, url, f"{url}/invitations", ["member"])
    assert invited.status_code == 303, invited.text[:2000]
    affected = {a["organisation"]: a for a in op.get(f"/api/v1{url}").json()}
    assert affected["member"]["participant"] is True
    assert affected["other"]["participant"] is False
    page = get(analyst, url)
    assert 'name="organisation" value="member"' not in page.text  # taking part now
    assert 'name="organisation" value="other"' in page.text
    again = _tick(analyst, url, f"{url}/invitations", ["member"])
    assert again.status_code == 409  # already taking part: nothing added

    # a member taking part in the case is refused the operator's view and its forms
    assert get(member, url).status_code == 403
    assert _tick(member, "/exposure/findings", f"{url}/invitations", ["other"]).status_code == 403

    added = submit(analyst, url, f"{url}/vendors", {"vendor": "other"})
    assert added.status_code == 303, added.text[:2000]
    people = op.get(f"/api/v1/cases/{ref}/participants").json()
    roles = {p["name"]: p["role"] for p in people}
    assert roles["Other"] == "vendor"
    assert roles["Member"] == "member"
    page = get(analyst, url)
    assert 'name="vendor" value="other"' not in page.text
    assert "Other · vendor" in page.text
    refused = submit(analyst, url, f"{url}/vendors", {"vendor": "member"})  # not proposed
    assert refused.status_code == 422
    assert 'href="#vendor"' in refused.text


def test_a_member_declares_its_products_and_each_bad_line_is_named(
    platform: AdvisoryPlatform,
) -> None:
    member = platform.login(platform.world.member_admin)
    own = get(member, "/exposure/products")
    assert own.status_code == 303
    assert own.headers["location"].endswith("/members/member/products")
    url = "/members/member/products"
    text = f"{LOG4J_CORE}\n\nnot-a-purl {XSS}\n{LOG4J_CORE}@2.14.1\npkg:maven/org.example/shop"
    refused = submit(member, url, url, {"purls": text})
    assert refused.status_code == 422
    summary = refused.text[refused.text.index("error-summary") :]
    assert "Line 3:" in summary
    assert "Line 4:" in summary
    assert "Line 1:" not in summary
    assert "Line 5:" not in summary
    assert "declare the package without a version" in summary
    assert XSS not in refused.text
    assert "&lt;script&gt;" in refused.text
    assert "pkg:maven/org.example/shop</textarea>" in refused.text  # the text is kept
    assert member.get("/api/v1/organisations/member/products").json()["purls"] == []

    saved = submit(member, url, url, {"purls": f"{LOG4J_CORE}\npkg:maven/org.example/shop\n"})
    assert saved.status_code == 303
    page = get(member, url)
    shown = re.findall(r'data-purl="([^"]+)"', page.text)
    api = member.get("/api/v1/organisations/member/products").json()["purls"]
    assert sorted(shown) == sorted(api) == sorted([LOG4J_CORE, "pkg:maven/org.example/shop"])

    # another member neither sees nor declares them; the operator reads, never declares
    other = platform.login(platform.world.other_admin)
    assert get(other, url).status_code == 404
    assert submit(other, "/members/other/products", url, {"purls": ""}).status_code == 404
    op = platform.login(platform.world.operator_admin)
    assert get(op, url).status_code == 200
    assert 'action="/members/member/products"' not in get(op, url).text
    assert submit(op, url, url, {"purls": ""}).status_code == 403
    viewer = platform.login(platform.world.member_viewer)
    assert submit(viewer, url, url, {"purls": ""}).status_code == 403
    assert member.get("/api/v1/organisations/member/products").json()["purls"] == api


def test_a_member_withdraws_the_aware_event_its_match_recorded(
    platform: AdvisoryPlatform,
) -> None:
    member = platform.login(platform.world.member_admin)
    _upload(member, "portal")
    op = platform.operator()
    public_id = str(create_draft(op)["id"])
    assert op.post(f"/api/v1/advisories/{public_id}/publish", json={"summary": "now"}).is_success
    platform.run_jobs()
    (finding_id,) = re.findall(
        r'data-finding-id="([^"]+)"', get(member, f"/exposure/findings?advisory={public_id}").text
    )
    url = f"/exposure/findings/{finding_id}"
    finding = member.get(f"/api/v1/findings/{finding_id}").json()
    event_id = finding["aware_event"]
    assert event_id
    page = get(member, url)
    assert f'data-aware-event="{event_id}"' in page.text
    assert 'data-withdrawn="false"' in page.text
    assert f'action="{url}/withdrawal"' in page.text

    # another member is told the finding does not exist; a viewer may not withdraw
    other = platform.login(platform.world.other_admin)
    assert (
        submit(
            other, "/exposure/findings", f"{url}/withdrawal", {"withdraw_reason": "x"}
        ).status_code
        == 404
    )
    viewer = platform.login(platform.world.member_viewer)
    assert f'action="{url}/withdrawal"' not in get(viewer, url).text
    assert submit(viewer, url, f"{url}/withdrawal", {"withdraw_reason": "x"}).status_code == 403

    empty = submit(member, url, f"{url}/withdrawal", {"withdraw_reason": "  "})
    assert empty.status_code == 422
    assert 'href="#withdraw_reason"' in empty.text
    done = submit(member, url, f"{url}/withdrawal", {"withdraw_reason": f"a test fixture {XSS}"})
    assert done.status_code == 303, done.text[:2000]
    assert done.headers["location"].endswith("#awareness")
    page = get(member, url)
    assert 'data-withdrawn="true"' in page.text
    assert "by admin" in page.text  # who withdrew it
    assert XSS not in page.text
    assert "a test fixture &#34;&gt;&lt;script&gt;" in page.text
    assert f'action="{url}/withdrawal"' not in page.text  # once only
    again = submit(member, "/exposure/findings", f"{url}/withdrawal", {"withdraw_reason": "again"})
    assert again.status_code == 409

    trail = op.get("/api/v1/audit", params={"action": "exposure.aware_withdrawn"}).json()
    (entry,) = trail["items"]
    assert entry["object_id"]
    obligations = member.get("/api/v1/obligations").json()["obligations"]
    assert all(o.get("anchor_event") != event_id for o in obligations)
