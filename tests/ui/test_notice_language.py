"""A notice in the reader's language and time zone, in Chromium on the Log4Shell replay:
the member (its saved zone: Asia/Shanghai) switches to Chinese and reads, on /work, the
alert of its missed MIIT report in Chinese, the due instant in Shanghai time with the zone
named and UTC beside it, then follows the notice to the obligation it is about. Both
languages are screenshot and checked with axe-core; any console error, uncaught
exception, dialog or 5xx fails the test. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clearinghouse.db import Database
from tests.support.browser import Watch, axe_source, axe_violations, screenshot
from tests.support.replay_web import MEMBER, PASSWORD, Replayed, replayed

MIIT = "alibaba-cloud/CH-2021-0001/cn-miit-2021/report"


@pytest.fixture
def world(database: Database) -> Iterator[Replayed]:
    with replayed(database) as running:
        yield running


def _sign_in(page: Any, base: str) -> None:
    page.goto(base + "/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail address").press_sequentially(MEMBER)
    page.get_by_label("Password").press_sequentially(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_work_shows_a_notice_in_chinese_in_the_readers_zone(world: Replayed, browser: Any) -> None:
    watch = Watch()
    axe = axe_source()
    violations: list[str] = []
    context = browser.new_context(
        timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    page = watch.attach(context.new_page())
    _sign_in(page, world.url)
    page.goto(world.url + "/work")
    english = page.locator("ol.notices li", has_text="MISSED").filter(has_text="MIIT").first
    assert "Why you are bound: network product provider in China" in english.inner_text()
    assert "Nov 26, 2021, 10:00 CST (UTC+8)" in english.inner_text()
    screenshot(page, "member-notices", "en")
    violations.extend(f"en: {v}" for v in axe_violations(page, axe))

    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    notices = page.locator("ol.notices li")
    assert "MISSED" not in page.locator("ol.notices").inner_text()
    # every notice the member has on the replay (its clock alerts, being added to the case)
    # is worded in Chinese: none is left in English
    assert notices.count() > 1
    assert page.locator('ol.notices [lang="en"]').count() == 0
    # Due 2021-11-26 02:00 UTC: 10:00 in Shanghai, the zone named.
    # the stage's name from the regime file is in Chinese too
    miit = notices.filter(has_text="已逾期：CH-2021-0001").filter(has_text="工业和信息化部")
    notice = miit.first
    subject = notice.locator(".subject").inner_text()
    body = notice.locator(".body").inner_text()
    assert subject.startswith("已逾期：CH-2021-0001 的 ")
    assert "MIIT" not in subject
    assert subject.endswith("截止时间为 2021年11月26日 10:00 CST (UTC+8)")
    assert "截止时间：2021年11月26日 10:00 CST (UTC+8) · 2021年11月26日 02:00 UTC" in body
    assert "适用依据：中国的网络产品提供者" in body
    assert "请在该报告义务的页面起草报告" in body
    assert notice.locator(".subject").get_attribute("lang") is None  # the page's language
    screenshot(page, "member-notices", "zh-Hans")
    violations.extend(f"zh-Hans: {v}" for v in axe_violations(page, axe))

    # The notice leads to the obligation it is about.
    notice.locator(".subject a").click()
    page.wait_for_url("**/obligations#*")
    assert page.url.endswith("#" + MIIT.replace("/", "-"))
    assert page.locator(f'article[data-obligation="{MIIT}"]').is_visible()

    assert violations == [], "\n".join(violations)
    watch.check()
