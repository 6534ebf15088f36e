"""The obligations page over HTTP on the Log4Shell replay words an obligation's basis,
period and alerts from the clocks' fields, in the reader's language, while the API keeps
its English sentences unchanged; an operator's override reason is shown as written,
escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest

from clearinghouse.db import Database
from tests.support.replay_web import CASE, MEMBER, OPERATOR, PASSWORD, Replayed, replayed
from tests.support.web import get, sign_in

MIIT = "alibaba-cloud/CH-2021-0001/cn-miit-2021/report"
PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture
def world(database: Database) -> Iterator[Replayed]:
    with replayed(database) as running:
        yield running


def _member(world: Replayed, language: str) -> httpx.Client:
    c = world.client()
    c.cookies.set("ch_lang", language)
    assert sign_in(c, MEMBER, PASSWORD).status_code == 303
    return c


def _article(page: str, key: str = MIIT) -> str:
    found = re.search(
        rf'<article class="obligation"[^>]*data-obligation="{key}".*?</article>', page, re.S
    )
    assert found is not None, page[:2000]
    return found.group(0)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_page_words_the_fields_and_the_api_keeps_its_sentences(world: Replayed) -> None:
    en = _member(world, "en")
    api = en.get("/api/v1/obligations").json()["obligations"]
    miit = next(o for o in api if o["regime"] == "cn-miit-2021" and o["stage"] == "report")
    assert miit["basis"]["reason"] == "role product_provider in CN"
    assert miit["duration"] == "48 h"
    assert [a["threshold"] for a in miit["alerts_fired"]] == ["50%"]

    english = _text(_article(get(en, "/obligations").text))
    assert "Basis network product provider in China" in english
    assert "(time allowed: 48 hours)" in english
    assert "Alerts sent 50% of the time allowed had passed" in english
    chinese = _text(_article(get(_member(world, "zh-Hans"), "/obligations").text))
    assert "依据 中国的网络产品提供者" in chinese
    assert "(时限 48 小时)" in chinese
    assert "已发送的提醒 时限已过去 50%" in chinese
    for sentence in ("role product_provider in CN", "48 h)", "a 48 h window"):
        assert sentence not in english
        assert sentence not in chinese
    article = _article(get(en, "/obligations").text)
    assert 'data-duration="48 h"' in article
    assert 'data-role="product_provider" data-jurisdiction="CN"' in article
    assert 'data-threshold="50%"' in article


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_override_basis_shows_the_operators_reason_escaped(world: Replayed) -> None:
    operator = world.client()
    r = operator.post("/api/v1/auth/login", json={"email": OPERATOR, "password": PASSWORD})
    assert r.status_code == 200, r.text
    operator.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    made = operator.post(
        "/api/v1/organisations/alibaba-cloud/regime-overrides",
        json={"regime": "cn-miit-2021", "subject": CASE, "applies": True, "reason": PAYLOAD},
    )
    assert made.is_success, made.text
    for language, words in (
        ("en", f"regime override: applies ({PAYLOAD})"),
        ("zh-Hans", f"监管制度适用调整：适用（{PAYLOAD}）"),
    ):
        article = _article(get(_member(world, language), "/obligations").text)
        assert 'data-basis="override"' in article
        assert PAYLOAD not in article  # escaped
        assert words in _text(article)
