"""Payloads in every field a page renders, read in a real browser: nothing runs (no dialog,
no console error) and each payload is shown as the text it is."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from clearinghouse.accounts.models import Organisation, User
from clearinghouse.formats.model import Tlp
from clearinghouse.notify.models import Delivery, Notification
from clearinghouse.notify.wording import (
    Basis,
    ClockAlert,
    ExposureMatch,
    MatchedAdvisory,
    Message,
    VendorEscalated,
)
from tests.conftest import REPO
from tests.functional.conftest import Platform
from tests.support.advisories import log4shell_draft
from tests.support.browser import Watch
from tests.support.casework import invited_to_a_proposal
from tests.support.factory import PASSWORD
from tests.support.stix_objects import indicator

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

    org = operator_api.post(
        "/api/v1/organisations",
        json={
            "slug": "payload-org",
            "name": f"org {PAYLOAD}",
            "kind": "member",
            "jurisdictions": [f"j {PAYLOAD}"[:60]],
            "contact_email": "psirt@payload.example",
        },
    )
    assert org.status_code == 201, org.text
    sanction = operator_api.post(
        "/api/v1/organisations/payload-org/sanctions",
        json={"months": 6, "reason": f"sanction {PAYLOAD}"},
    )
    assert sanction.status_code == 201, sanction.text
    assert operator_api.post(
        f"/api/v1/sanctions/{sanction.json()['id']}/reassessment",
        json={"outcome": "extend", "extend_months": 1, "reason": f"reassessed {PAYLOAD}"},
    ).is_success
    assert operator_api.post(
        "/api/v1/organisations/payload-org/regime-overrides",
        json={
            "regime": "cn-miit-2021",
            "subject": PAYLOAD[:90],
            "applies": False,
            "reason": f"override {PAYLOAD}",
        },
    ).is_success
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
        (operator, "/members"),
        (operator, "/members/payload-org"),
        (operator, "/audit"),
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
    for shown_as in ("org", "sanction", "reassessed", "override"):
        assert f"{shown_as} <img src=x onerror=alert(1)>" in text, shown_as
    watch.check()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_payloads_in_the_case_pages_stay_text(platform: Platform, browser: Any) -> None:
    operator_api = platform.login(platform.world.operator_admin)
    made = operator_api.post(
        "/api/v1/cases",
        json={
            "title": f"case {PAYLOAD}",
            "summary": f"summary {PAYLOAD}",
            "vulnerabilities": [
                {"title": f"vulnerability {PAYLOAD}", "description": f"details {PAYLOAD}"}
            ],
            "participants": [{"email": "psirt@vendor.test", "name": f"vendor {PAYLOAD}"[:200]}],
        },
    )
    assert made.status_code == 201, made.text
    case = made.json()["public_id"]
    thread = operator_api.post(
        f"/api/v1/cases/{case}/threads", json={"kind": "case", "title": f"thread {PAYLOAD}"}
    ).json()
    assert operator_api.post(
        f"/api/v1/cases/{case}/threads/{thread['id']}/messages", json={"body": f"post {PAYLOAD}"}
    ).is_success
    event = {"type": "aware", "occurred_at": "2021-11-24T02:00:00Z", "evidence": f"ev {PAYLOAD}"}
    assert operator_api.post(
        f"/api/v1/cases/{case}/events", json={**event, "organisation": "member"}
    ).is_success

    watch = Watch()
    operator = watch.attach(browser.new_context().new_page())
    operator.goto(platform.url + "/sign-in")
    operator.locator("#email").fill(platform.world.operator_admin)
    operator.locator("#password").fill(PASSWORD)
    operator.locator("form.stack button[type=submit]").click()
    operator.wait_for_load_state()
    shown = []
    for path in ("/cases", f"/cases/{case}", f"/cases/{case}/timeline", "/dashboard"):
        operator.goto(platform.url + path)
        shown.append(operator.locator("body").inner_text())
        assert operator.evaluate("() => document.querySelectorAll('main img').length") == 0
        ours = "main svg.timeline, main figure.chart svg"
        assert (
            operator.evaluate(
                f"() => document.querySelectorAll('main svg').length"
                f" - document.querySelectorAll('{ours}').length"
            )
            == 0
        )
    text = "\n".join(shown)
    for prefix in ("case", "summary", "vulnerability", "details", "vendor", "thread", "post", "ev"):
        assert f"{prefix} <img src=x onerror=alert(1)>" in text, prefix
    watch.check()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_payloads_in_the_invited_vendors_page_stay_text(platform: Platform, browser: Any) -> None:
    with platform.database.transaction() as s:
        operator = s.scalars(select(Organisation).where(Organisation.slug == "operator")).one()
        case, token, _ = invited_to_a_proposal(s, operator, platform.settings, platform.clock.now())
    link = platform.client()
    link.headers["Authorization"] = f"Invite {token}"
    vulnerability = link.get(f"/api/v1/cases/{case}").json()["vulnerabilities"][0]["id"]
    status = {"vulnerability_id": vulnerability, "status": "fixed", "fixed_version": f"v {PAYLOAD}"}
    written = [
        link.post(f"/api/v1/cases/{case}/statuses", json=status),
        link.put(f"/api/v1/cases/{case}/statement", json={"statement": f"stated {PAYLOAD}"}),
        link.post(f"/api/v1/cases/{case}/embargo/reject", json={"comment": f"no {PAYLOAD}"}),
    ]
    thread = link.get(f"/api/v1/cases/{case}/threads").json()[0]["id"]
    written.append(
        link.post(
            f"/api/v1/cases/{case}/threads/{thread}/messages", json={"body": f"post {PAYLOAD}"}
        )
    )
    assert all(r.is_success for r in written), [r.text for r in written]

    watch = Watch()
    vendor = watch.attach(browser.new_context().new_page())
    vendor.goto(f"{platform.url}/invitations/open?token={token}")
    vendor.wait_for_url("**/invitation")
    assert vendor.evaluate("() => document.querySelectorAll('main img, main svg').length") == 0
    text = vendor.locator("body").inner_text()
    for prefix in ("stated", "post", "no", "v"):
        assert f"{prefix} <img src=x onerror=alert(1)>" in text, prefix
    watch.check()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_payloads_in_the_members_and_editors_fields_stay_text(
    platform: Platform, browser: Any
) -> None:
    member_api = platform.login(platform.world.member_admin)
    assert member_api.post(
        "/api/v1/tokens", json={"name": f"token {PAYLOAD}"[:100], "scopes": ["read"]}
    ).is_success
    hook = {
        "url": "https://hooks.member.test/in",
        "event_types": ["*"],
        "description": f"hook {PAYLOAD}"[:200],
    }
    assert member_api.post("/api/v1/organisations/member/webhooks", json=hook).is_success
    with platform.database.transaction() as s:
        user = s.scalars(select(User).where(User.email == platform.world.member_admin)).one()
        s.add(
            Notification(
                user_id=user.id,
                organisation_id=None,
                kind="case.message",
                subject=f"subject {PAYLOAD}",
                body=f"body {PAYLOAD}",
                link=None,
                delivery=Delivery.IMMEDIATE,
                created_at=platform.clock.now(),
            )
        )
        # A notice worded from its parameters: every word a payload, and a link that is
        # not a path of the platform (shown as text, never as a link).
        alert = ClockAlert(
            missed=True,
            threshold="missed",
            organisation=f"organisation {PAYLOAD}",
            organisation_slug="member",
            regime="cn-miit-2021",
            regime_title=f"regime {PAYLOAD}",
            stage="report",
            stage_name=f"stage {PAYLOAD}",
            subject=f"case {PAYLOAD}",
            due=platform.clock.now(),
            basis=Basis("override", f"override: applies: basis {PAYLOAD}"),
            flags=(f"flag {PAYLOAD}",),
        )
        # The case's and exposure's notices words too: names, titles, packages.
        match = ExposureMatch(
            advisories=(MatchedAdvisory("CHSA-2026-0001", f"title {PAYLOAD}"),),
            advisory_count=1,
            inventories=(f"inventory {PAYLOAD}",),
            inventory_count=1,
            packages=(f"package {PAYLOAD}",),
            package_count=1,
            findings=1,
            aware_at=platform.clock.now(),
        )
        late = VendorEscalated("CH-2026-0001", f"vendor {PAYLOAD}", platform.clock.now())
        worded: list[Message] = [alert, match, late]
        for message in worded:
            s.add(
                Notification(
                    user_id=user.id,
                    organisation_id=None,
                    kind=message.kind.value,
                    subject="stored",
                    body="stored",
                    params=message.params(),
                    link="javascript:alert(4)",
                    delivery=Delivery.IMMEDIATE,
                    created_at=platform.clock.now(),
                )
            )
    operator_api = platform.login(platform.world.operator_admin)
    draft = log4shell_draft(title=f"editor {PAYLOAD}", summary=f"editor summary {PAYLOAD}")
    advisory = operator_api.post("/api/v1/advisories", json=draft).json()["id"]
    revised = operator_api.patch(
        f"/api/v1/advisories/{advisory}", json={"summary": f"revised {PAYLOAD}"}
    )
    assert revised.is_success

    watch = Watch()
    base = platform.url
    shown = []
    for email, paths in [
        (
            platform.world.member_admin,
            ["/work", "/settings/tokens", "/settings/webhooks"],
        ),
        (
            platform.world.operator_admin,
            [
                "/editor/advisories",
                f"/editor/advisories/{advisory}",
                f"/editor/advisories/{advisory}/preview/csaf",
            ],
        ),
    ]:
        page = watch.attach(browser.new_context().new_page())
        page.goto(base + "/sign-in")
        page.locator("#email").fill(email)
        page.locator("#password").fill(PASSWORD)
        page.locator("form.stack button[type=submit]").click()
        page.wait_for_load_state()
        for path in paths:
            page.goto(base + path)
            shown.append(page.locator("body").inner_text())
            assert page.locator('a[href^="javascript:"]').count() == 0
            assert (
                page.evaluate("() => document.querySelectorAll('main img, main svg').length") == 0
            )
    text = "\n".join(shown)
    labels = ["token", "hook", "subject", "body", "editor", "revised"]
    labels += ["organisation", "regime", "stage", "case", "basis", "flag"]  # a worded notice
    labels += ["title", "inventory", "package", "vendor"]
    for label in labels:
        assert f"{label} <img src=x onerror=alert(1)>" in text, label
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


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_payloads_in_the_sharing_pages_stay_text(platform: Platform, browser: Any) -> None:
    operator_api = platform.login(platform.world.operator_admin)
    member_api = platform.login(platform.world.member_admin)
    group = {"slug": "payload-ring", "name": f"group {PAYLOAD}", "members": []}
    assert member_api.post("/api/v1/sharing/groups", json=group).status_code == 201
    collection = {
        "alias": "payloads",
        "title": f"collection {PAYLOAD}",
        "description": f"description {PAYLOAD}",
        "community": True,
        "members_write": True,
    }
    made = operator_api.post("/api/v1/sharing/collections", json=collection)
    assert made.status_code == 201, made.text
    shared = indicator("payload", Tlp.GREEN, name=f"object {PAYLOAD}")
    added = member_api.post(
        "/api/v1/sharing/collections/payloads/objects", json={"objects": [shared]}
    )
    assert added.status_code == 201, added.text
    assert added.json()["failures"] == []
    watch = Watch()
    member = _signed_in(
        watch.attach(browser.new_context().new_page()), platform.url, platform.world.member_admin
    )
    shown = []
    for path in ("/sharing/collections", "/sharing/collections/payloads", "/sharing/groups"):
        member.goto(platform.url + path)
        shown.append(member.locator("body").inner_text())
        assert member.evaluate("() => document.querySelectorAll('main img, main svg').length") == 0
    text = "\n".join(shown)
    for field in ("collection", "description", "object", "group"):
        assert f"{field} <img src=x onerror=alert(1)>" in text, field
    watch.check()
