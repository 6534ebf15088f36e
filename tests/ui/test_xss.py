"""Payloads in every field a page renders, read in a real browser: nothing runs (no dialog,
no console error) and each payload is shown as the text it is."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import REPO
from tests.functional.conftest import Platform
from tests.support.advisories import log4shell_draft
from tests.support.browser import Watch
from tests.support.factory import PASSWORD

PAYLOAD = "<img src=x onerror=alert(1)><script>alert(2)</script>\"'><svg onload=alert(3)>"
SBOM = REPO / "tests" / "fixtures" / "exposure" / "sbom" / "log4j-core-2.14.1.cdx.json"
REPORT_FIELDS = [
    "title",
    "product",
    "vendor",
    "affected_versions",
    "description",
    "impact",
    "disclosure_plans",
    "credit_as",
]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_payloads_in_every_rendered_field_stay_text(platform: Platform, browser: Any) -> None:
    report = {f: f"{f} {PAYLOAD}"[:200] for f in REPORT_FIELDS} | {"credit_preference": "handle"}
    made = platform.client().post("/api/v1/reports", json=report)
    assert made.status_code == 201, made.text
    token, report_id = made.json()["tracking_token"], made.json()["id"]
    finder_api = platform.client(headers={"X-Report-Token": token})
    assert finder_api.post(
        f"/api/v1/reports/{report_id}/messages", json={"body": f"message {PAYLOAD}"}
    ).is_success
    operator_api = platform.login(platform.world.operator_admin)
    draft = log4shell_draft(title=f"advisory {PAYLOAD}", summary=f"summary {PAYLOAD}")
    advisory = operator_api.post("/api/v1/advisories", json=draft).json()["id"]
    assert operator_api.post(f"/api/v1/advisories/{advisory}/publish", json={}).is_success

    member_api = platform.login(platform.world.member_admin)
    exposure = _exposure(platform, member_api)

    watch = Watch()
    base = platform.url
    finder = watch.attach(browser.new_context().new_page())
    finder.goto(f"{base}/reports/track?token={token}")
    operator = _signed_in(
        watch.attach(browser.new_context().new_page()), base, platform.world.operator_admin
    )
    visitor = watch.attach(browser.new_context().new_page())
    shown = []
    for page, path in [
        (finder, "/reports/track"),
        (operator, "/reports"),
        (operator, f"/reports/{report_id}"),
        (visitor, "/"),
        (visitor, "/advisories"),
        (visitor, f"/advisories/{advisory}"),
        (visitor, f"/advisories?q={advisory}"),
    ]:
        page.goto(base + path)
        shown.append(page.locator("body").inner_text())
        assert page.evaluate("() => document.querySelectorAll('main img, main svg').length") == 0
    member = _signed_in(
        watch.attach(browser.new_context().new_page()), base, platform.world.member_admin
    )
    for page, path in [
        (member, "/exposure/inventories"),
        (member, f"/exposure/inventories/{exposure['inventory']}"),
        (member, "/exposure/findings"),
        (member, f"/exposure/findings/{exposure['finding']}"),
        (member, f"/exposure/vex/{exposure['vex']}"),
        (operator, "/exposure/findings"),
    ]:
        page.goto(base + path)
        shown.append(page.locator("body").inner_text())
        assert page.evaluate("() => document.querySelectorAll('main img, main svg').length") == 0
    text = "\n".join(shown)
    for field in ("inventory", "component", "reason"):
        assert f"{field} <img src=x onerror=alert(1)>" in text, field
    assert "<script>alert(2)</script>" in text
    assert f"message {PAYLOAD}" in text
    for field in REPORT_FIELDS:
        assert f"{field} <img src=x onerror=alert(1)>" in text, field
    watch.check()


def _exposure(platform: Platform, member: httpx.Client) -> dict[str, str]:
    """An inventory, a component and a finding's answer whose words are payloads."""
    sbom = json.loads(SBOM.read_text())
    sbom["components"].append(
        {"type": "library", "bom-ref": "odd", "name": f"component {PAYLOAD}", "version": "1"}
    )
    uploaded = member.post(
        "/api/v1/inventories",
        params={"name": f"inventory {PAYLOAD}"[:200]},
        content=json.dumps(sbom).encode(),
        headers={"content-type": "application/json"},
    )
    assert uploaded.status_code == 201, uploaded.text
    platform.run_jobs()
    (finding,) = member.get("/api/v1/findings").json()["items"]
    answered = member.post(
        f"/api/v1/findings/{finding['id']}/state",
        json={"state": "acknowledged", "reason": f"reason {PAYLOAD}"},
    )
    assert answered.status_code == 200, answered.text
    vex = member.post(f"/api/v1/findings/{finding['id']}/vex", json={"format": "csaf"})
    assert vex.status_code == 201, vex.text
    return {
        "inventory": uploaded.json()["inventory"]["id"],
        "finding": finding["id"],
        "vex": vex.json()["id"],
    }


def _signed_in(page: Any, base: str, email: str) -> Any:
    page.goto(base + "/sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()
    return page
