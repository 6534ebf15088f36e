"""Error pages are in their reader's language and time zone, as every page: a signed-in
user's saved settings win over the cookies and the browser's Accept-Language (docs/web.md,
"Language and time"). A session that no longer opens (unknown, ended, expired) leaves the
reader a visitor, and the page still says no more than before: a hidden resource's page is
the missing one's."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from tests.functional.conftest import Platform
from tests.support.advisories import log4shell_draft
from tests.support.factory import PASSWORD
from tests.support.web import HTML, csrf_of, get, sign_in, submit, title_of

ENGLISH = {**HTML, "Accept-Language": "en"}
SHANGHAI_FOOTER = "时间均以 Asia/Shanghai 时区显示"


def _saved_in_chinese(platform: Platform, email: str) -> httpx.Client:
    """A browser signed in as ``email``, whose settings say Chinese and Shanghai, without
    the language cookie and asking for English."""
    c = platform.client(headers=ENGLISH)
    assert sign_in(c, email, PASSWORD).status_code == 303
    saved = submit(
        c, "/settings", "/settings", {"timezone": "Asia/Shanghai", "language": "zh-Hans"}
    )
    assert saved.status_code == 303
    c.cookies.delete("ch_lang")
    c.cookies.delete("ch_tz")
    return c


def _scrubbed(page: str) -> str:
    page = re.sub(r'name="csrf_token" value="[^"]+"', "", page)
    return re.sub(r"<code>[0-9a-f]{32}</code>", "", page)


def test_an_error_page_speaks_the_saved_language_and_zone_without_the_cookie(
    platform: Platform,
) -> None:
    c = _saved_in_chinese(platform, platform.world.member_admin)
    assert "ch_lang" not in c.cookies
    assert '<html lang="zh-Hans">' in get(c, "/settings").text  # a page, as before

    missing = get(c, "/nope")
    assert missing.status_code == 404
    assert missing.headers["content-language"] == "zh-Hans"
    assert '<html lang="zh-Hans">' in missing.text
    assert title_of(missing.text).startswith("页面不存在")
    assert SHANGHAI_FOOTER in missing.text
    assert "Times are shown in the time zone UTC" not in missing.text
    assert 'href="/settings"' in missing.text  # signed in: the zone can be changed from here

    # The error page's forms carry the session's token: its language switch works.
    switched = c.post(
        "/language",
        data={"csrf_token": csrf_of(missing.text), "language": "en", "next": "/nope"},
        headers=HTML,
    )
    assert switched.status_code == 303, switched.text[:300]
    assert '<html lang="en">' in get(c, "/nope").text


def test_a_refusal_page_is_in_the_saved_language_too(platform: Platform) -> None:
    c = _saved_in_chinese(platform, platform.world.member_admin)
    refused = get(c, "/jobs")  # operator administrators only
    assert refused.status_code in (403, 404)
    assert '<html lang="zh-Hans">' in refused.text
    assert SHANGHAI_FOOTER in refused.text


def test_a_session_that_no_longer_opens_gives_a_visitors_error_page(
    platform: Platform,
) -> None:
    c = _saved_in_chinese(platform, platform.world.member_admin)
    for value in ("not-a-session", "x" * 5000, ""):
        stranger = platform.client(headers=ENGLISH)
        stranger.cookies.set("ch_session", value)
        page = get(stranger, "/nope")
        assert page.status_code == 404
        assert '<html lang="en">' in page.text
        assert "Times are shown in the time zone UTC." in page.text
        assert 'href="/sign-in?next=' in page.text

    platform.clock.set(platform.clock.now() + timedelta(hours=platform.settings.session_hours + 1))
    expired = get(c, "/nope")
    assert expired.status_code == 404
    assert '<html lang="en">' in expired.text

    ended = _saved_in_chinese(platform, platform.world.member_admin)
    kept = ended.cookies["ch_session"]
    assert submit(ended, "/settings", "/sign-out", {}).status_code == 303
    ended.cookies.set("ch_session", kept)
    page = get(ended, "/nope")
    assert page.status_code == 404
    assert '<html lang="en">' in page.text


def test_a_hidden_page_is_still_the_missing_one_for_a_signed_in_reader(
    platform: Platform,
) -> None:
    operator = platform.login(platform.world.operator_admin)
    draft = operator.post("/api/v1/advisories", json=log4shell_draft(title="Embargoed <b>x</b>"))
    assert draft.status_code == 201, draft.text
    public_id = draft.json()["id"]
    reader = _saved_in_chinese(platform, platform.world.other_admin)
    hidden = get(reader, f"/advisories/{public_id}")
    missing = get(reader, "/advisories/CHSA-2099-9999")
    assert hidden.status_code == missing.status_code == 404
    assert '<html lang="zh-Hans">' in hidden.text
    same = _scrubbed(missing.text).replace("CHSA-2099-9999", public_id)
    assert _scrubbed(hidden.text) == same
    assert "Embargoed" not in hidden.text
