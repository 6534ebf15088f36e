"""The obligations page in Chromium, in Chinese, on the Log4Shell replay: an obligation's
basis, the time it allows and the alerts sent are worded in Chinese from the clocks'
fields, never the English sentences the API keeps ("role product_provider in CN",
"48 h", "missed"); those stay in the page only as data attributes for machines. Then
the clock moves past the due instant and the missed alert is worded too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from clearinghouse.db import Database
from tests.support.browser import Watch, axe_source, axe_violations
from tests.support.replay_web import MEMBER, PASSWORD, Replayed, replayed

MIIT = "alibaba-cloud/CH-2021-0001/cn-miit-2021/report"
TERMS = "alibaba-cloud/CH-2021-0001/cn-nvdb-partner-terms/report"
ZONE_NAMES = re.compile(r"\b(?:CST|UTC)\b")  # the zone named beside every instant


@pytest.fixture
def world(database: Database) -> Iterator[Replayed]:
    with replayed(database) as running:
        yield running


def _latin(text: str) -> list[str]:
    """Words in Latin letters, once the zone names are set aside."""
    return re.findall(r"[A-Za-z_]+", ZONE_NAMES.sub("", text))


def _sign_in(page: Any, button: str, email: str, password: str) -> None:
    """Through the sign-in form on the page (the 401 page is one)."""
    page.get_by_label(email).fill(MEMBER)
    page.get_by_label(password).fill(PASSWORD)
    page.locator("main").get_by_role("button", name=button).click()
    page.wait_for_load_state()


def _fields(page: Any, key: str) -> dict[str, str]:
    article = page.locator(f'article[data-obligation="{key}"]')
    return {
        "basis": article.locator("dd[data-basis]").inner_text(),
        "due": article.locator("dd:has([data-duration])").inner_text(),
        "duration": article.locator("[data-duration]").inner_text(),
        "alerts": article.locator("dd:has(li[data-alert])").inner_text(),
    }


def test_the_obligations_basis_period_and_alerts_are_in_chinese(
    world: Replayed, browser: Any
) -> None:
    watch = Watch(expected={401})  # the sign-in page once the session has ended
    context = browser.new_context(timezone_id="Asia/Shanghai")
    page = watch.attach(context.new_page())
    page.goto(world.url + "/sign-in")
    _sign_in(page, "Sign in", "E-mail address", "Password")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    page.goto(world.url + "/obligations")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"

    miit = _fields(page, MIIT)
    assert miit["basis"] == "中国的网络产品提供者"
    assert miit["duration"] == "(时限 48 小时)"
    assert miit["alerts"].startswith("时限已过去 50% · 2021年11月25日 10:00 CST")
    for name, text in miit.items():
        assert _latin(text) == [], (name, text)
    assert _fields(page, TERMS)["basis"] == "平台合作单位"

    # The machine-readable values stay as the API gives them, in attributes.
    article = page.locator(f'article[data-obligation="{MIIT}"]')
    assert article.locator("[data-duration]").get_attribute("data-duration") == "48 h"
    basis = article.locator("dd[data-basis]")
    assert basis.get_attribute("data-role") == "product_provider"
    assert basis.get_attribute("data-jurisdiction") == "CN"
    assert article.locator("li[data-alert]").first.get_attribute("data-threshold") == "50%"
    shown = article.inner_text()
    for fragment in ("role product_provider", "in CN", "48 h)", "window"):
        assert fragment not in shown
    assert axe_violations(page, axe_source()) == []

    # A day later the report is missed (and the session has ended: signing in again, in
    # Chinese): every alert so far, in Chinese.
    world.clock.set(datetime(2021, 11, 26, 3, 0, tzinfo=UTC))
    page.goto(world.url + "/obligations?status=missed")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"  # the 401 page
    _sign_in(page, "登录", "电子邮件地址", "密码")
    page.goto(world.url + "/obligations?status=missed")
    alerts = page.locator(f'article[data-obligation="{MIIT}"] li[data-alert]')
    assert [alerts.nth(i).get_attribute("data-alert") for i in range(alerts.count())] == [
        "fraction",
        "fraction",
        "before_due",
        "missed",
    ]
    assert alerts.nth(1).inner_text().startswith("时限已过去 80%")
    assert alerts.nth(2).inner_text().startswith("距截止时间 2小时")
    assert alerts.nth(3).inner_text().startswith("已过截止时间 · 2021年11月26日 10:00 CST")
    missed = _fields(page, MIIT)["alerts"]
    assert _latin(missed) == [], missed
    assert "missed" not in page.locator(f'article[data-obligation="{MIIT}"]').inner_text()

    # The same fields in English, for the reader who switches back.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    english = _fields(page, MIIT)
    assert english["basis"] == "network product provider in China"
    assert english["duration"] == "(time allowed: 48 hours)"
    assert "the deadline passed · Nov 26, 2021, 10:00 CST" in english["alerts"]
    watch.check()
