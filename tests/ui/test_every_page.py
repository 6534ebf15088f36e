"""Every page, in English and in Chinese, as each kind of visitor sees it: a screenshot of
each into var/screenshots/{en,zh-Hans}/ (git-ignored), and axe-core run on each: no
serious or critical accessibility violation. One database (SQLite): the pages do not
differ by backend, the story test runs on both."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from clearinghouse.accounts.models import Organisation
from clearinghouse.formats.model import Tlp
from tests.conftest import REPO
from tests.functional.conftest import Platform
from tests.support.advisories import log4shell_draft
from tests.support.browser import Watch, axe_source, axe_violations, screenshot
from tests.support.casework import anonymous_report, invited_vendor
from tests.support.factory import PASSWORD
from tests.support.stix_objects import indicator

SBOMS = REPO / "tests" / "fixtures" / "exposure" / "sbom"
ZONES = {"en": "Europe/London", "zh-Hans": "Asia/Shanghai"}
SWITCH = {"en": None, "zh-Hans": "简体中文"}


@dataclass
class World:
    advisory: str
    report_token: str
    report_id: str
    invitation_token: str
    case: str
    incident: str
    inventory: str
    finding: str
    vex: str


def _world(platform: Platform) -> World:
    operator = platform.login(platform.world.operator_admin)
    made = operator.post("/api/v1/advisories", json=log4shell_draft())
    assert made.status_code == 201, made.text
    advisory = made.json()["id"]
    assert operator.post(f"/api/v1/advisories/{advisory}/publish", json={}).status_code == 200
    now = platform.clock.now()
    with platform.database.transaction() as s:
        report, token, _ = anonymous_report(s, 1, now)
        report_id = str(report.id)
        coordinator = s.scalars(select(Organisation).where(Organisation.slug == "operator")).one()
        case, invitation_url = invited_vendor(s, coordinator, platform.settings, now, n=2)
        case_ref = case.public_id
    finder = platform.client(headers={"X-Report-Token": token})
    assert finder.post(
        f"/api/v1/reports/{report_id}/messages", json={"body": "Any news?"}
    ).is_success
    reply = operator.post(f"/api/v1/reports/{report_id}/messages", json={"body": "Reproduced."})
    assert reply.status_code == 201, reply.text
    member = platform.login(platform.world.member_admin)
    incident = member.post("/api/v1/incidents", json={"title": "Ransomware on the billing hosts"})
    assert incident.status_code == 201, incident.text
    noticed = {"type": "incident_noticed", "occurred_at": "2021-11-24T02:00:00Z"}
    ref = incident.json()["ref"]
    assert member.post(f"/api/v1/incidents/{ref}/events", json=noticed).status_code == 201
    uploaded = member.post(
        "/api/v1/inventories",
        params={"name": "customer portal"},
        content=(SBOMS / "log4j-core-2.14.1.cdx.json").read_bytes(),
        headers={"content-type": "application/json"},
    )
    assert uploaded.status_code == 201, uploaded.text
    platform.run_jobs()
    (finding,) = member.get("/api/v1/findings").json()["items"]
    vex = member.post(f"/api/v1/findings/{finding['id']}/vex", json={"format": "cyclonedx"})
    assert vex.status_code == 201, vex.text
    return World(
        advisory,
        token,
        report_id,
        urlsplit(invitation_url).fragment,
        case_ref,
        ref,
        uploaded.json()["inventory"]["id"],
        finding["id"],
        vex.json()["id"],
    )


class Tour:
    def __init__(self, platform: Platform, browser: Any, language: str) -> None:
        self.base = platform.url
        self.browser = browser
        self.language = language
        self.watch = Watch(expected={401, 404, 422})
        self.violations: list[str] = []
        self.axe = axe_source()
        self.seen: list[Path] = []

    def context(self) -> Any:
        context = self.browser.new_context(
            timezone_id=ZONES[self.language], viewport={"width": 1280, "height": 900}
        )
        page = self.watch.attach(context.new_page())
        page.goto(self.base + "/")  # sets the browser's zone cookie
        switch = SWITCH[self.language]
        if switch is not None:
            page.get_by_role("button", name=switch).click()
            page.wait_for_load_state()
        return page

    def signed_in(self, email: str) -> Any:
        page = self.context()
        page.goto(self.base + "/sign-in")
        page.locator("#email").fill(email)
        page.locator("#password").fill(PASSWORD)
        page.locator("form.stack button[type=submit]").click()
        page.wait_for_load_state()
        return page

    def visit(self, page: Any, path: str | None, name: str, status: int = 200) -> None:
        if path is not None:
            response = page.goto(self.base + path)
            assert response is not None
            assert response.status == status, f"{name}: {response.status}"
        assert page.locator("html").get_attribute("lang") == self.language, name
        self.seen.append(screenshot(page, name, self.language))
        self.violations += [f"{name}: {v}" for v in axe_violations(page, self.axe)]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_every_page_screenshot_and_accessibility(
    platform: Platform, browser: Any, language: str
) -> None:
    world = _world(platform)
    tour = Tour(platform, browser, language)

    visitor = tour.context()
    tour.visit(visitor, "/", "home")
    tour.visit(visitor, "/advisories", "advisories")
    tour.visit(visitor, "/advisories?q=log4j-core", "advisories-search")
    tour.visit(visitor, f"/advisories/{world.advisory}", "advisory")
    tour.visit(visitor, "/report", "report-form")
    visitor.locator("form.stack button[type=submit]").click()
    visitor.wait_for_load_state()
    tour.visit(visitor, None, "report-form-errors")
    visitor.locator("#title").fill("SQL injection in the search box")
    visitor.locator("#product").fill("Acme CMS 4")
    visitor.locator("#description").fill("A quote in q= ends the SQL string.")
    visitor.locator("form.stack button[type=submit]").click()
    visitor.wait_for_url("**/report/received")
    tour.visit(visitor, None, "report-received")
    tour.visit(visitor, "/sign-in", "sign-in")
    tour.visit(visitor, "/invitations/open", "invitation-token-form")
    tour.visit(visitor, "/no/such/page", "error-404", status=404)
    tour.visit(visitor, "/settings", "error-401-sign-in", status=401)

    finder = tour.context()
    tour.visit(finder, "/reports/track", "track-token-form")
    finder.goto(f"{tour.base}/reports/track?token={world.report_token}")
    tour.visit(finder, None, "track-status")

    vendor = tour.context()
    vendor.goto(f"{tour.base}/invitations/open?token={world.invitation_token}")
    tour.visit(vendor, None, "invitation")

    operator = tour.signed_in(platform.world.operator_admin)
    tour.visit(operator, "/reports", "reports")
    tour.visit(operator, f"/reports/{world.report_id}", "report-view")
    tour.visit(operator, "/settings", "settings")
    tour.visit(operator, "/dashboard", "dashboard")
    tour.visit(operator, "/cases", "cases")
    tour.visit(operator, f"/cases/{world.case}", "case")
    tour.visit(operator, f"/cases/{world.case}/timeline", "case-timeline")
    tour.visit(operator, f"/incidents/{world.incident}/board", "incident-board")
    tour.visit(operator, "/members", "members-list")
    tour.visit(operator, "/members/member", "member-page")
    tour.visit(operator, "/members/member?at=2026-09-01T00:00", "member-page-as-at")
    tour.visit(operator, "/audit?action=org.", "audit-trail")
    tour.visit(operator, "/audit/verify", "audit-chain")
    tour.visit(operator, "/jobs", "jobs-list")
    tour.visit(operator, "/obligations", "obligations-operator")
    tour.visit(operator, "/editor/advisories", "editor-drafts")
    tour.visit(operator, f"/editor/advisories/{world.advisory}", "editor-published")
    tour.visit(operator, f"/editor/advisories/{world.advisory}/preview/osv", "editor-preview-osv")

    member = tour.context()
    member.goto(tour.base + "/sign-in")
    member.locator("#email").fill(platform.world.member_admin)
    member.locator("#password").fill(PASSWORD)
    member.locator("form.stack button[type=submit]").click()
    member.wait_for_load_state()
    tour.visit(member, "/work", "work-empty")
    tour.visit(member, "/obligations", "obligations-empty")
    tour.visit(member, "/settings/tokens", "tokens")
    member.locator("form.stack button[type=submit]").last.click()  # no name: the errors
    member.wait_for_load_state()
    tour.visit(member, None, "tokens-errors")
    tour.visit(member, "/settings/webhooks", "webhooks")
    tour.visit(member, "/settings/notifications", "notification-settings")
    tour.visit(operator, f"/cases/{world.case}/exposure", "case-exposure")

    tour.visit(member, "/exposure/inventories", "exposure-inventories")
    tour.visit(member, f"/exposure/inventories/{world.inventory}", "exposure-inventory")
    tour.visit(member, "/exposure/findings", "exposure-findings")
    tour.visit(member, f"/exposure/findings/{world.finding}", "exposure-finding")
    tour.visit(member, f"/exposure/vex/{world.vex}", "exposure-vex")
    tour.visit(member, "/members/member/products", "exposure-products")
    member.locator("#purls").fill("not a package URL")
    member.locator("form.stack button[type=submit]").click()
    member.wait_for_load_state()
    tour.visit(member, None, "exposure-products-errors")

    shared = platform.login(platform.world.operator_admin).post(
        "/api/v1/sharing/collections",
        json={"alias": f"tour-{language.lower()}", "title": "Indicators", "community": True},
    )
    assert shared.status_code == 201, shared.text
    tlps = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.RED]
    objects = {"objects": [indicator(f"{language}-{t.name}", t) for t in tlps]}
    assert (
        platform.login(platform.world.operator_admin)
        .post(f"/api/v1/sharing/collections/tour-{language.lower()}/objects", json=objects)
        .status_code
        == 201
    )
    tour.visit(member, "/sharing/collections", "sharing-collections")
    tour.visit(member, f"/sharing/collections/tour-{language.lower()}", "sharing-objects")
    tour.visit(member, "/sharing/groups", "sharing-groups")
    tour.visit(member, "/sharing/sightings", "sharing-sightings")

    assert tour.violations == [], "\n".join(tour.violations)
    tour.watch.check()
    assert all(p.stat().st_size > 5000 for p in tour.seen)
