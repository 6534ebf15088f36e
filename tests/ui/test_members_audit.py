"""The operator's members, audit and jobs pages in a real browser, by clicking, on the
Log4Shell replay: the members list, the suspended member, the member "as at" 2021-12-23
(the suspension as it stood) and before it, the audit chain verified (the head hash the
API gives), a dead letter (an e-mail the SMTP server refused for good) requeued. Then the
same pages in Chinese. Screenshots into var/screenshots/{en,zh-Hans}/; axe-core on each
page; any console error, uncaught exception, dialog or 5xx fails it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clearinghouse.db import Database
from tests.support.browser import Watch, axe_source, axe_violations, screenshot
from tests.support.replayed import ADMIN, MEMBER, PASSWORD, Replayed, replayed


@pytest.fixture
def site(database: Database) -> Iterator[Replayed]:
    with replayed(database) as running:
        yield running


class Visits:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.axe = axe_source()
        self.violations: list[str] = []
        self.shots: list[Path] = []

    def look(self, name: str, language: str) -> None:
        self.page.wait_for_load_state()
        assert self.page.locator("html").get_attribute("lang") == language, name
        self.shots.append(screenshot(self.page, name, language))
        self.violations += [f"{language} {name}: {v}" for v in axe_violations(self.page, self.axe)]


def _head(site: Replayed) -> str:
    with httpx.Client(base_url=site.url) as c:
        c.post("/api/v1/auth/login", json={"email": ADMIN, "password": PASSWORD})
        head: str = c.get("/api/v1/audit/verify").json()["head"]
    return head


def test_operator_members_as_at_audit_and_a_dead_letter(site: Replayed, browser: Any) -> None:
    watch = Watch()
    context = browser.new_context(
        timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    page = watch.attach(context.new_page())
    visits = Visits(page)
    page.goto(site.url + "/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail address").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form.stack").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    page.wait_for_url("**/members")
    row = page.locator(f'tr[data-org="{MEMBER}"]')
    assert row.locator('[data-standing="suspended"]').is_visible()
    visits.look("members", "en")

    row.get_by_role("link").click()
    page.wait_for_url(f"**/members/{MEMBER}")
    assert page.locator('[data-suspended="true"]').is_visible()
    assert page.get_by_role("link", name="Decide the reassessment").is_visible()
    visits.look("member", "en")

    page.get_by_label("View as at").fill("2021-12-23T00:00")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**at=2021-12-23T00*")
    notice = page.locator(".historical")
    assert notice.get_attribute("data-at") == "2021-12-22T16:00:00Z"  # Asia/Shanghai
    assert "Historical view" in notice.inner_text()
    sanction = page.locator("[data-sanction-id]")
    assert sanction.get_attribute("data-sanction-state") == "active"
    assert sanction.locator('time[datetime="2022-06-22T02:00:00Z"]').count() >= 1
    assert page.get_by_role("button", name="Record the decision").count() == 0
    visits.look("member-as-at-2021-12-23", "en")

    page.get_by_label("View as at").fill("2021-12-21T12:00")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**at=2021-12-21T12*")
    assert page.locator('[data-suspended="false"]').is_visible()
    assert page.locator("[data-sanction-id]").count() == 0
    visits.look("member-before-the-suspension", "en")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit trail").click()
    page.wait_for_url("**/audit")
    page.get_by_label("Action", exact=True).fill("member.")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**action=member.*")
    assert page.locator("tr[data-audit-seq]").count() == 1
    visits.look("audit", "en")
    page.get_by_role("link", name="Verify the chain").click()
    page.wait_for_url("**/audit/verify")
    assert page.locator("[data-verified]").get_attribute("data-verified") == "true"
    assert page.locator(".head-hash").inner_text() == _head(site)
    visits.look("audit-verify", "en")

    job_id = site.dead_letter()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    page.wait_for_url("**/jobs")
    page.locator('[data-job-count="dead"]').get_by_role("link").click()
    page.wait_for_url("**status=dead")
    dead = page.locator(f'tr[data-job-id="{job_id}"]')
    assert "550" in dead.inner_text()
    visits.look("jobs-dead-letters", "en")
    dead.get_by_role("button", name="Requeue").click()
    page.wait_for_url("**requeued=*")
    assert page.locator(f'tr[data-job-id="{job_id}"]').count() == 0

    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    for name, path in (
        ("members", "/members"),
        ("member", f"/members/{MEMBER}"),
        ("member-as-at-2021-12-23", f"/members/{MEMBER}?at=2021-12-23T00:00"),
        ("audit", "/audit"),
        ("audit-verify", "/audit/verify"),
        ("jobs", "/jobs"),
    ):
        page.goto(site.url + path)
        visits.look(name, "zh-Hans")
    assert "历史视图" in page.goto(site.url + f"/members/{MEMBER}?at=2021-12-23T00:00").text()

    assert visits.violations == [], "\n".join(visits.violations)
    watch.check()
    assert all(p.stat().st_size > 5000 for p in visits.shots)
    context.close()
