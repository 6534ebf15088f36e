"""The member's work in Chromium on the Log4Shell replay, by clicking and typing: the
member signs in on 2021-11-25 03:00 UTC, sees its MIIT obligation counting down (due in
23 hours), drafts the regulator's report from it by keyboard alone, completes a field,
opens the print view, marks the report submitted with the regulator's reference, and
creates an API token that is shown once. Then every page of that work again in Chinese.
Each page is screenshot into var/screenshots/{en,zh-Hans}/ and checked with axe-core;
any console error, uncaught exception, dialog or 5xx fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clearinghouse.db import Database
from tests.support.browser import Watch, axe_source, axe_violations, screenshot
from tests.support.replay_web import CASE, MEMBER, OPERATOR, PASSWORD, Replayed, replayed

MIIT = "alibaba-cloud/CH-2021-0001/cn-miit-2021/report"
MAX_TABS = 60


@pytest.fixture
def world(database: Database) -> Iterator[Replayed]:
    with replayed(database) as running:
        yield running


def _sign_in(page: Any, base: str, email: str = MEMBER) -> None:
    page.goto(base + "/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail address").press_sequentially(email)
    page.get_by_label("Password").press_sequentially(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _tab_to(page: Any, tag: str, text: str = "") -> None:
    """Press Tab until an element ``tag`` (with ``text``, for a button) has the focus,
    visibly."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => ({tag: document.activeElement.tagName,"
            " text: (document.activeElement.innerText || '').trim(),"
            " outline: getComputedStyle(document.activeElement).outlineStyle})"
        )
        if focused["tag"] == tag and (not text or focused["text"] == text):
            assert focused["outline"] != "none", "no visible focus"
            return
    raise AssertionError(f"Tab never reached {tag} {text!r}")


def test_a_member_drafts_and_submits_its_report_and_creates_a_token(
    world: Replayed, browser: Any
) -> None:
    base = world.url
    watch = Watch()
    axe = axe_source()
    violations: list[str] = []

    def look(page: Any, name: str, language: str = "en") -> None:
        screenshot(page, f"member-{name}", language)
        violations.extend(f"{name}: {v}" for v in axe_violations(page, axe))

    context = browser.new_context(
        timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    page = watch.attach(context.new_page())
    page.clock.install()  # the page's timers and Date, moved on by the test
    _sign_in(page, base)
    page.get_by_role("link", name="My work").click()
    page.wait_for_url("**/work")
    row = page.locator(f'tr[data-obligation="{MIIT}"]')
    countdown = row.locator(".countdown")
    assert countdown.get_attribute("data-due") == "2021-11-26T02:00:00Z"
    # The server said "due in 23 hr"; the script ticks on from the server's instant (the
    # replay's 2021-11-25 03:00 UTC, not the browser's clock), in the same words.
    assert countdown.inner_text() in ("due in 23 hr", "due in 22 hr 59 min")
    page.clock.run_for(2 * 60 * 60 * 1000)  # two hours pass in the page
    page.wait_for_function(
        "() => ['due in 21 hr', 'due in 20 hr 59 min']"
        ".includes(document.querySelector('.countdown').textContent)"
    )
    assert "10:00 CST (UTC+8)" in row.inner_text()  # the due instant in the viewer's zone
    look(page, "dashboard")

    page.get_by_role("link", name="All obligations").click()
    page.wait_for_url("**/obligations")
    look(page, "obligations")
    article = page.locator(f'article[data-obligation="{MIIT}"]')
    assert "product_provider" in article.inner_text() or article.locator("dd").count() > 3

    # Drafting by keyboard alone, from the top of the page: Tab to the obligation's
    # button, Enter; Tab to the first answer, replace it, Tab to "Save the draft", Enter.
    _tab_to(page, "BUTTON", "Draft the report to cn-miit-2021")
    page.keyboard.press("Enter")
    page.wait_for_url("**/submissions/*")
    submission = page.url
    assert page.locator("[data-state]").get_attribute("data-state") == "draft"
    look(page, "submission-draft")
    _tab_to(page, "TEXTAREA")
    page.keyboard.press("Control+A")
    page.keyboard.type("Apache Log4j 2 (log4j-core) 2.0-beta9 to 2.14.1")
    _tab_to(page, "BUTTON", "Save the draft")
    page.keyboard.press("Enter")
    page.wait_for_url("**saved=true")
    typed = page.locator("form#draft textarea").first.input_value()
    assert typed == "Apache Log4j 2 (log4j-core) 2.0-beta9 to 2.14.1"

    page.get_by_role("link", name="Print view").click()
    page.wait_for_url("**/print")
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()  # print CSS hides the chrome
    look(page, "submission-print")
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Back to the draft").click()

    page.get_by_label("The regulator's reference (receipt number)").press_sequentially(
        "MIIT-2021-1125-7"
    )
    page.get_by_label("Sent to").press_sequentially("MIIT CSTIS")
    page.get_by_role("button", name="Mark submitted").click()
    page.wait_for_load_state()
    assert page.locator("[data-state]").get_attribute("data-state") == "submitted"
    assert "MIIT-2021-1125-7" in page.locator("[data-reference]").inner_text()
    look(page, "submission-submitted")

    page.get_by_role("link", name="My work").click()
    assert page.locator(f'tr[data-obligation="{MIIT}"]').count() == 0  # no longer owed

    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url("**/settings/tokens")
    page.get_by_label("Name").press_sequentially("SIEM export")
    page.get_by_role("button", name="Create the token").click()
    secret = page.locator("[data-new-token]").inner_text()
    assert secret.startswith("ch")
    look(page, "token-created")
    page.goto(base + "/settings/tokens")
    assert secret not in page.content()  # shown once
    assert "SIEM export" in page.content()

    page.goto(base + "/settings/webhooks")
    look(page, "webhooks")
    page.goto(base + "/settings/notifications")
    look(page, "notification-settings")

    # The same pages in Chinese.
    page.goto(base + "/work")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.goto(submission)
    look(page, "submission-submitted", "zh-Hans")
    page.goto(submission + "/print")
    look(page, "submission-print", "zh-Hans")
    for path, name in [
        ("/work", "dashboard"),
        ("/obligations", "obligations"),
        ("/settings/tokens", "tokens"),
        ("/settings/webhooks", "webhooks"),
        ("/settings/notifications", "notification-settings"),
    ]:
        page.goto(base + path)
        look(page, name, "zh-Hans")

    # The operator drafts an advisory from the case, revises it, previews it, schedules it.
    operator = watch.attach(browser.new_context(timezone_id="Asia/Shanghai").new_page())
    _sign_in(operator, base, OPERATOR)
    operator.get_by_role("link", name="Advisory drafts").click()
    operator.wait_for_url("**/editor/advisories")
    look(operator, "editor-drafts")
    operator.get_by_role("textbox", name="Case").press_sequentially(CASE)
    operator.get_by_label("Marking").select_option("AMBER")
    operator.get_by_role("button", name="Draft the advisory").click()
    operator.wait_for_url("**/editor/advisories/CHSA-*")
    assert operator.locator("dl[data-state]").get_attribute("data-state") == "draft"
    title = operator.get_by_label("Title", exact=True)
    title.fill("")
    title.press_sequentially("Log4Shell: remote code execution in Apache Log4j 2")
    operator.get_by_label("What changed").press_sequentially("a shorter title")
    operator.get_by_role("button", name="Save a revision").click()
    operator.wait_for_url("**#changes")
    assert operator.locator("table.diff tr[data-op]").count() >= 1  # 1 -> 2 as a diff
    look(operator, "editor")
    for name in ("CSAF 2.0", "OSV", "CVE 5.x", "CSAF 2.0 VEX"):
        operator.get_by_role("link", name=name, exact=True).click()
        operator.wait_for_url("**/preview/*")
        assert operator.locator("pre.rendition, .notice.warn").count() == 1
        look(operator, f"editor-preview-{name}")
        operator.get_by_role("link", name="Back to the editor").click()
    operator.get_by_label("Publish at").fill("2021-12-10T18:00")
    operator.get_by_role("button", name="Schedule", exact=True).click()
    operator.wait_for_load_state()
    assert operator.locator("dl[data-state]").get_attribute("data-state") == "scheduled"
    at = operator.locator("[data-scheduled-at]").get_attribute("data-scheduled-at")
    assert at == "2021-12-10T10:00:00Z"  # 18:00 in Shanghai
    look(operator, "editor-scheduled")

    assert violations == [], "\n".join(violations)
    watch.check()
