"""The invited vendor in real Chromium, by clicking and typing, in both languages: it
opens the e-mailed link (the token in the fragment, which the page's script posts),
sets its status for the vulnerability, accepts the proposed embargo and writes in the
case thread. Screenshots into var/screenshots/{en,zh-Hans}/; axe-core finds no serious
or critical violation; any console error, uncaught exception, dialog or 5xx fails it. On
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from clearinghouse.accounts.models import Organisation
from tests.functional.conftest import Platform
from tests.support.browser import Watch, axe_source, axe_violations, screenshot
from tests.support.casework import invited_to_a_proposal


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_the_invited_vendor_states_accepts_and_writes(
    platform: Platform, browser: Any, language: str
) -> None:
    with platform.database.transaction() as s:
        operator = s.scalars(select(Organisation).where(Organisation.slug == "operator")).one()
        case_id, token, other = invited_to_a_proposal(
            s, operator, platform.settings, platform.clock.now()
        )
    watch = Watch()
    context = browser.new_context(
        timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    page = watch.attach(context.new_page())
    axe = axe_source()
    violations: list[str] = []

    def shot(name: str) -> None:
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == language, name
        screenshot(page, f"vendor-{name}", language)
        violations.extend(f"{name}: {v}" for v in axe_violations(page, axe))

    page.goto(f"{platform.url}/invitations/open#{token}")
    page.wait_for_url("**/invitation")
    if language == "zh-Hans":
        page.locator("form.lang-switch button[value=zh-Hans]").first.click()
        page.wait_for_url("**/invitation")
    assert token not in page.url
    assert case_id in page.locator("h1").inner_text()
    assert other not in page.content()
    shot("invitation")

    vulnerability = page.locator("section.vulnerability").first
    vulnerability.locator("select[name=status]").select_option("fixed")
    vulnerability.locator("input[name=fixed_version]").fill("2.15.0")
    vulnerability.locator("button[type=submit]").click()
    page.wait_for_url("**/invitation#statuses")
    assert page.locator("section.vulnerability [data-vendor-status=fixed]").count() == 1

    page.locator("#embargo ~ form button[name=answer][value=accept]").click()
    page.wait_for_url("**/invitation#embargo")
    assert page.locator("[data-embargo-answer=accept]").count() == 1

    body = f"2.15.0 is released ({language})."
    page.locator("section.thread form textarea[name=body]").first.fill(body)
    page.locator("section.thread form button[type=submit]").first.click()
    page.wait_for_url("**/invitation#thread-*")
    assert page.locator("section.thread .messages .body", has_text=body).count() == 1
    shot("invitation-answered")

    context.close()
    assert violations == [], "\n".join(violations)
    watch.check()
