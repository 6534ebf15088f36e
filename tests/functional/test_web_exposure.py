"""The exposure pages over HTTP (SQLite and PostgreSQL): a member uploads an SBOM by the
form, sees its history and components, the finding once the advisory is published,
answers it (not affected needs a justification) and publishes a VEX statement; a bad SBOM
is shown on the form naming the component and field; the operator sees which members a
case affects; another member sees none of it; what a member typed is shown escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

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
from tests.support.factory import PASSWORD
from tests.support.web import get, sign_in, submit, title_of

SBOMS = REPO / "tests" / "fixtures" / "exposure" / "sbom"
XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


def _browser(platform: AdvisoryPlatform, email: str) -> httpx.Client:
    c = platform.client()
    assert sign_in(c, email, PASSWORD).status_code == 303
    return c


def _upload(c: httpx.Client, name: str, sbom: bytes) -> httpx.Response:
    files = [("sbom", ("bom.json", sbom, "application/json"))]
    return submit(c, "/exposure/inventories", "/exposure/inventories", {"name": name}, files)


def _finding_ids(page: str) -> list[str]:
    return re.findall(r'data-finding-id="([^"]+)"', page)


def test_a_member_uploads_sees_the_finding_answers_it_and_publishes_vex(
    platform: AdvisoryPlatform,
) -> None:
    member = _browser(platform, platform.world.member_admin)
    sent = _upload(member, XSS, (SBOMS / "log4j-core-2.14.1.cdx.json").read_bytes())
    assert sent.status_code == 303, sent.text[:2000]
    inventory_url = sent.headers["location"]
    inventory = get(member, inventory_url)
    assert inventory.status_code == 200
    assert XSS not in inventory.text  # escaped
    assert "&lt;script&gt;" in inventory.text
    assert "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" in inventory.text
    assert "1 added, 0 removed, 0 changed" in inventory.text

    op = platform.operator()
    public_id = str(create_draft(op)["id"])
    assert op.post(f"/api/v1/advisories/{public_id}/publish", json={"summary": "now"}).is_success
    platform.run_jobs()
    listed = get(member, "/exposure/findings")
    (finding_id,) = _finding_ids(listed.text)
    url = f"/exposure/findings/{finding_id}"
    page = get(member, url)
    assert title_of(page.text).startswith(f"{public_id} · org.apache.logging.log4j:log4j-core")

    refused = submit(member, url, f"{url}/state", {"state": "not_affected", "justification": ""})
    assert refused.status_code == 422
    assert 'href="#justification"' in refused.text
    answered = submit(
        member,
        url,
        f"{url}/state",
        {
            "state": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "reason": XSS,
        },
    )
    assert answered.status_code == 303, answered.text[:2000]
    page = get(member, url)
    assert 'data-state="not_affected"' in page.text
    assert XSS not in page.text
    published = submit(member, url, f"{url}/vex", {"format": "csaf"})
    assert published.status_code == 303, published.text[:2000]
    statement = get(member, published.headers["location"])
    assert statement.status_code == 200
    assert "csaf_vex" in statement.text
    assert "data-vex-id" in get(member, url).text

    # the next upload replaces it; its history says what changed
    platform.clock.set(platform.clock.now() + timedelta(hours=1))
    again = _upload(member, XSS, (SBOMS / "log4j-core-2.17.1.cdx.json").read_bytes())
    assert again.status_code == 303
    assert "0 added, 0 removed, 1 changed" in get(member, inventory_url).text

    # another member sees none of it; the page answers as for a missing one
    other = _browser(platform, platform.world.other_admin)
    assert get(other, url).status_code == 404
    assert get(other, inventory_url).status_code == 404
    assert _finding_ids(get(other, "/exposure/findings").text) == []


def test_a_bad_sbom_is_shown_on_the_form(platform: AdvisoryPlatform) -> None:
    member = _browser(platform, platform.world.member_admin)
    bad = b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "x"}]}'
    refused = _upload(member, "shop", bad)
    assert refused.status_code == 422
    assert 'href="#sbom"' in refused.text
    assert "This file is not an SBOM the platform can read." in refused.text
    missing = submit(member, "/exposure/inventories", "/exposure/inventories", {"name": ""})
    assert missing.status_code == 422
    assert 'href="#name"' in missing.text


def test_the_operator_sees_which_members_a_case_affects(platform: AdvisoryPlatform) -> None:
    member = _browser(platform, platform.world.member_admin)
    assert _upload(
        member, "portal", (SBOMS / "log4j-core-2.14.1.cdx.json").read_bytes()
    ).is_redirect
    op = platform.operator()
    ref = log4j_case(op)
    analyst = _browser(platform, platform.world.operator_analyst)
    page = get(analyst, f"/cases/{ref}/exposure")
    assert page.status_code == 200, page.text[:2000]
    assert 'data-organisation="member"' in page.text
    assert get(member, f"/cases/{ref}/exposure").status_code in (403, 404)
