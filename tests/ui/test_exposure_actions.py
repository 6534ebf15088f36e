"""The exposure actions on the Log4Shell replay, in a real browser, by clicking and
typing (SQLite and PostgreSQL): the illustrative member declares its products (each bad
line named first, nothing stored), is refused the operator's view of the case, follows
its obligation's "why the window opened" to the finding and withdraws the aware event the
match recorded, with its reason; the operator's analyst ticks the member on the case's
exposure page and invites it. Screenshots in English and Chinese, axe-core at each step;
any console error, uncaught exception, dialog or 5xx fails it."""

from __future__ import annotations

from typing import Any

from tests.support.browser import Watch
from tests.ui.test_exposure_pages import (  # noqa: F401 (the replay fixture)
    ADVISORY,
    MEMBER,
    PASSWORD,
    Replay,
    Steps,
    in_chinese,
    replay,
)

CASE = "CH-2021-0001"
ANALYST = "analyst@nvdb.example"
LOG4J_CORE = "pkg:maven/org.apache.logging.log4j/log4j-core"
HOSTING = "example-hosting"


def _signed_in(browser: Any, watch: Watch, url: str, email: str) -> Any:
    page = watch.attach(browser.new_context(timezone_id="Asia/Shanghai").new_page())
    page.goto(url + "/sign-in")
    page.get_by_label("E-mail address").press_sequentially(email)
    page.get_by_label("Password").press_sequentially(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def test_a_member_declares_products_and_withdraws_an_aware_event_the_operator_invites_it(
    replay: Replay,  # noqa: F811 (the fixture imported above)
    browser: Any,
) -> None:
    watch = Watch(expected={404, 422})
    step = Steps()
    page = _signed_in(browser, watch, replay.url, MEMBER)

    # its products, one package URL a line: the bad lines are named, nothing is kept
    page.get_by_role("link", name="Exposure").click()
    page.get_by_role("link", name="Declared products").click()
    page.wait_for_url(f"**/members/{HOSTING}/products")
    box = page.get_by_label("Package URLs, one a line")
    box.fill(f"{LOG4J_CORE}@2.14.1\nnot a package URL\n{LOG4J_CORE}")
    page.get_by_role("button", name="Save the products").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Line 1:" in summary.inner_text()
    assert "Line 2:" in summary.inner_text()
    assert "Line 3:" not in summary.inner_text()
    assert page.locator("[data-purl]").count() == 0
    step(page, "actions-products-error")
    page.get_by_label("Package URLs, one a line").fill(LOG4J_CORE)
    page.get_by_role("button", name="Save the products").click()
    page.wait_for_url(f"**/members/{HOSTING}/products")
    assert page.locator("[data-purl]").get_attribute("data-purl") == LOG4J_CORE
    step(page, "actions-products")

    # the operator's view of the case is not the member's
    answer = page.goto(f"{replay.url}/cases/{CASE}/exposure")
    assert answer is not None
    assert answer.status == 404

    # the clock the match started, and the way to the finding
    page.goto(replay.url + "/obligations")
    started = page.locator('[data-anchor-source="exposure_match"]')
    assert started.count() >= 1
    assert ADVISORY in started.first.inner_text()
    step(page, "actions-obligations")
    started.first.get_by_role("link").click()
    page.wait_for_url("**/exposure/findings?advisory=*")
    page.locator("tr[data-finding-id] a").first.click()
    page.wait_for_url("**/exposure/findings/*")
    awareness = page.locator("[data-aware-event]")
    assert awareness.get_attribute("data-withdrawn") == "false"
    step(page, "actions-aware")
    page.get_by_label("Why the match is wrong").press_sequentially(
        "The customer portal was decommissioned in November."
    )
    page.get_by_role("button", name="Withdraw the aware event").click()
    page.wait_for_url("**#awareness")
    awareness = page.locator("[data-aware-event]")
    assert awareness.get_attribute("data-withdrawn") == "true"
    assert f"by {MEMBER}" in awareness.inner_text()
    assert "The customer portal was decommissioned in November." in awareness.inner_text()
    assert page.get_by_role("button", name="Withdraw the aware event").count() == 0
    step(page, "actions-withdrawn")
    in_chinese(page)
    step(page, "actions-withdrawn", "zh-Hans")
    page.goto(replay.url + "/obligations")
    assert page.locator('[data-anchor-source="exposure_match"]').count() == 0
    step(page, "actions-obligations", "zh-Hans")

    # the operator's analyst ticks the member and invites it to the case
    op = _signed_in(browser, watch, replay.url, ANALYST)
    op.goto(f"{replay.url}/cases/{CASE}/exposure")
    row = op.locator(f'tr[data-organisation="{HOSTING}"]')
    assert "no" in row.inner_text()
    assert op.locator(f'li[data-vendor="{HOSTING}"]').is_visible()  # declared log4j-core
    step(op, "actions-case-exposure")
    op.get_by_label("Invite Example Hosting (illustrative member)").check()
    op.get_by_role("button", name="Invite the members ticked").click()
    op.wait_for_url("**#participants")
    assert "yes" in op.locator(f'tr[data-organisation="{HOSTING}"]').inner_text()
    taking_part = op.locator("#participants + ul").inner_text()
    assert "Example Hosting (illustrative member) · member" in taking_part
    step(op, "actions-invited")
    in_chinese(op)
    step(op, "actions-invited", "zh-Hans")

    assert step.violations == [], "\n".join(step.violations)
    watch.check()
