"""The case page's forms in real Chromium, by clicking and typing, in both languages: the
coordinator proposes an embargo end (a date and time picked in a zone), the vendor on the
platform accepts it and states its status, the coordinator activates the embargo without
the answer of the vendor invited by e-mail, restarts the vendor's response clock and ends
the embargo early. Screenshots into var/screenshots/{en,zh-Hans}/;
axe-core finds no serious or critical violation; any console error, uncaught exception,
dialog or 5xx fails it. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import Platform
from tests.support.browser import Watch, axe_source, axe_violations, screenshot
from tests.support.cases import coordinate
from tests.support.factory import PASSWORD

T0 = datetime(2021, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


class _Visit:
    def __init__(self, platform: Platform, browser: Any, watch: Watch, language: str) -> None:
        self.base = platform.url
        self.language = language
        self.context = browser.new_context(
            timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
        )
        self.page = watch.attach(self.context.new_page())
        self.axe = axe_source()
        self.violations: list[str] = []

    def sign_in(self, email: str) -> None:
        page = self.page
        page.goto(self.base + "/")
        if self.language == "zh-Hans":
            page.locator("form.lang-switch button[value=zh-Hans]").first.click()
            page.wait_for_load_state()
        page.goto(self.base + "/sign-in")
        page.locator("#email").fill(email)
        page.locator("#password").fill(PASSWORD)
        page.locator("form.stack button[type=submit]").first.click()
        page.wait_for_load_state()

    def shot(self, name: str) -> None:
        self.page.wait_for_load_state()
        assert self.page.locator("html").get_attribute("lang") == self.language, name
        screenshot(self.page, f"case-forms-{name}", self.language)
        self.violations += [f"{name}: {v}" for v in axe_violations(self.page, self.axe)]


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_the_parties_agree_an_embargo_and_a_status_on_the_case_page(
    platform: Platform, browser: Any, language: str
) -> None:
    c = coordinate(platform)
    watch = Watch()
    coordinator = _Visit(platform, browser, watch, language)
    coordinator.sign_in(platform.world.member_admin)
    page = coordinator.page
    page.goto(f"{platform.url}/cases/{c.case}#embargo")
    page.locator("#embargo_ends_at").fill("2021-12-10T10:00")
    page.locator("#embargo_timezone").select_option("Asia/Shanghai")
    coordinator.shot("propose")
    page.locator("form[action$='/embargo/proposal'] button[type=submit]").click()
    page.wait_for_url(f"**/cases/{c.case}#embargo")
    assert page.locator("[data-embargo=proposed]").count() == 1
    # the proposed end, shown in the viewer's zone (Shanghai: the browser's and the end's)
    assert page.locator('time[datetime="2021-12-10T02:00:00Z"]').count() >= 1

    vendor = _Visit(platform, browser, watch, language)
    vendor.sign_in("psirt@vendor-a.test")
    page = vendor.page
    page.goto(f"{platform.url}/cases/{c.case}")
    own = page.locator(f"section[data-own-status='{c.vuln}']")
    own.locator("select[name=status]").select_option("fixed")
    own.locator("input[name=fixed_version]").fill("2.15.0")
    own.locator("button[type=submit]").click()
    page.wait_for_url(f"**/cases/{c.case}#your-statuses")
    assert own.locator("[data-vendor-status=fixed]").count() == 1
    page.locator("form[action$='/embargo/answer'] button[name=answer][value=accept]").click()
    page.wait_for_url(f"**/cases/{c.case}#your-answer")
    assert page.locator("[data-your-answer=accept]").count() == 1
    vendor.shot("vendor")

    page = coordinator.page
    page.goto(f"{platform.url}/cases/{c.case}#activate")
    page.locator("#reason").fill("The Apache Logging PMC agreed by e-mail.")
    page.locator("form[action$='/embargo/activation'] button[type=submit]").click()
    page.wait_for_url(f"**/cases/{c.case}#embargo")
    assert page.locator("[data-embargo=active]").count() == 1
    assert page.locator("[data-vendor-status=fixed]").count() == 1  # the matrix
    coordinator.shot("active")

    # Give the vendor two more weeks, then end the embargo: the fix is public.
    row = page.locator(f"tr[data-participant-id='{c.vendor_participant}']")
    row.locator("input[name=days]").fill("14")
    row.locator("form[action$='/deadline'] button[type=submit]").click()
    page.wait_for_url(f"**/cases/{c.case}#participants")
    assert row.locator('time[datetime="2021-12-08T02:00:00Z"]').count() >= 1
    page.locator("#category").select_option("fix_released_early")
    page.locator("#evidence_url").fill("https://logging.apache.org/log4j/2.x/security.html")
    page.locator("form[action$='/embargo/exit'] button[type=submit]").click()
    page.wait_for_url(f"**/cases/{c.case}#end-early")
    assert page.locator("[data-embargo=exited]").count() == 1
    coordinator.shot("ended")

    for visit in (coordinator, vendor):
        visit.context.close()
    violations = coordinator.violations + vendor.violations
    assert violations == [], "\n".join(violations)
    watch.check()
