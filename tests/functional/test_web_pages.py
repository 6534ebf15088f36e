"""The pages over real HTTP: HTML with the API's security headers and no inline script,
assets under versioned long-cached URLs, error pages for browsers (problem documents for
the API), a hidden resource's page identical to a missing one's, sessions, settings and
the language switch."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from clearinghouse.api.middleware import SECURITY_HEADERS
from clearinghouse.audit.models import AuditEntry
from tests.functional.conftest import Platform
from tests.support.advisories import log4shell_draft
from tests.support.factory import PASSWORD
from tests.support.web import HTML, csrf_of, get, sign_in, submit, title_of

PUBLIC_PAGES = ["/", "/advisories", "/report", "/sign-in", "/reports/track", "/invitations/open"]
CSP = dict(SECURITY_HEADERS)[b"content-security-policy"].decode()


def _scrubbed(page: str) -> str:
    """A page without what differs on every answer (request id, CSRF token)."""
    page = re.sub(r'name="csrf_token" value="[^"]+"', "", page)
    return re.sub(r"<code>[0-9a-f]{32}</code>", "", page)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_page_is_html_with_the_security_headers_and_no_inline_script(
    platform: Platform, path: str
) -> None:
    r = get(platform.client(), path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == CSP
    assert "unsafe-inline" not in CSP
    assert "unsafe-eval" not in CSP
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "private, no-store"
    scripts = re.findall(r"<script\b([^>]*)>", r.text)
    assert scripts
    assert all('src="/static/' in attributes for attributes in scripts)
    assert not re.search(r"\sstyle=|\son[a-z]+=", r.text)
    assert '<html lang="en">' in r.text
    assert "csrf_token" in r.text  # the language switch is a form on every page


def test_assets_are_cached_for_a_year_under_their_version_only(platform: Platform) -> None:
    home = get(platform.client(), "/").text
    css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', home)
    assert css is not None
    with platform.client() as c:
        fresh = c.get(css.group(1))
        assert fresh.status_code == 200
        assert fresh.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert fresh.headers["content-type"].startswith("text/css")
        assert c.get("/static/app.css").headers["cache-control"] == "no-cache"
        assert c.get("/static/app.css?v=0000").headers["cache-control"] == "no-cache"
        htmx = c.get("/static/vendor/htmx/htmx.min.js")
        assert htmx.status_code == 200
        assert c.get("/static/vendor/htmx/LICENSE").status_code == 200


def test_pages_are_compressed_and_the_api_is_not(platform: Platform) -> None:
    with platform.client() as c:
        page = c.get("/report", headers={**HTML, "Accept-Encoding": "gzip"})
        assert page.headers.get("content-encoding") == "gzip"
        api = c.get("/api/v1/advisories", headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in api.headers


def test_errors_are_pages_for_browsers_and_problems_for_machines(platform: Platform) -> None:
    with platform.client() as c:
        page = c.get("/no/such/page", headers={**HTML, "Accept-Language": "zh-CN"})
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert title_of(page.text).startswith("页面不存在")
        assert page.headers["x-request-id"] in page.text
        assert page.headers["content-security-policy"] == CSP
        api = c.get("/api/v1/no-such-thing", headers=HTML)
        assert api.status_code == 404
        assert api.headers["content-type"].startswith("application/problem+json")
        machine = c.get("/no/such/page")  # no HTML asked for: the problem document
        assert machine.headers["content-type"].startswith("application/problem+json")


def test_a_page_that_needs_an_account_offers_to_sign_in_and_comes_back(
    platform: Platform,
) -> None:
    c = platform.client()
    r = get(c, "/settings")
    assert r.status_code == 401
    assert 'action="/sign-in"' in r.text
    assert 'name="next" value="/settings"' in r.text
    back = c.post(
        "/sign-in",
        data={
            "csrf_token": csrf_of(r.text),
            "next": "/settings",
            "email": platform.world.member_admin,
            "password": PASSWORD,
        },
        headers=HTML,
    )
    assert back.status_code == 303
    assert back.headers["location"] == "/settings"
    assert get(c, "/settings").status_code == 200


def test_the_sign_in_offer_comes_back_to_the_page_with_its_query(platform: Platform) -> None:
    c = platform.client()
    wanted = "/cases?status=closed&view=all"
    r = get(c, wanted)
    assert r.status_code == 401
    assert 'name="next" value="/cases?status=closed&amp;view=all"' in r.text
    assert 'href="/sign-in?next=/cases%3Fstatus%3Dclosed%26view%3Dall"' in r.text
    back = c.post(
        "/sign-in",
        data={
            "csrf_token": csrf_of(r.text),
            "next": wanted,
            "email": platform.world.member_admin,
            "password": PASSWORD,
        },
        headers=HTML,
    )
    assert back.status_code == 303
    assert back.headers["location"] == wanted


def test_a_visitor_is_offered_sign_in_whatever_the_query_holds(platform: Platform) -> None:
    c = platform.client()
    for path in ("/cases", "/jobs"):
        for query in ("status=no-such-status", "cursor=forged", "status=open&after=x"):
            r = get(c, f"{path}?{query}")
            assert r.status_code == 401, (path, query, r.status_code)
            assert 'name="next"' in r.text
    # signed in, the same query is the page's 422
    assert get(platform.login(platform.world.operator_admin), "/jobs?status=zz").status_code == 422


def test_a_hidden_advisory_page_is_exactly_the_missing_one(platform: Platform) -> None:
    operator = platform.login(platform.world.operator_admin)
    draft = operator.post("/api/v1/advisories", json=log4shell_draft(title="Embargoed <b>x</b>"))
    assert draft.status_code == 201, draft.text
    public_id = draft.json()["id"]
    for who in (platform.client(), platform.login(platform.world.other_admin)):
        hidden = get(who, f"/advisories/{public_id}")
        missing = get(who, "/advisories/CHSA-2099-9999")
        assert hidden.status_code == missing.status_code == 404
        # the same page, but for the address asked (which the asker knows anyway)
        same = _scrubbed(missing.text).replace("CHSA-2099-9999", public_id)
        assert _scrubbed(hidden.text) == same
        assert "Embargoed" not in hidden.text
    shown = get(operator, f"/advisories/{public_id}")
    assert shown.status_code == 200
    assert title_of(shown.text).startswith(f"{public_id} · Embargoed <b>x</b>")
    assert "Embargoed &lt;b&gt;x&lt;/b&gt;" in shown.text


def test_signing_in_and_out(platform: Platform) -> None:
    c = platform.client()
    r = sign_in(c, platform.world.member_admin, PASSWORD)
    assert r.status_code == 303
    assert r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "ch_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    settings = get(c, "/settings")
    assert settings.status_code == 200
    assert platform.world.member_admin in settings.text
    out = submit(c, "/settings", "/sign-out", {})
    assert out.status_code == 303
    assert get(c, "/settings").status_code == 401


def test_wrong_passwords_are_counted_and_then_refused(platform: Platform) -> None:
    c = platform.client()
    statuses = []
    for _ in range(platform.settings.login_max_failures + 1):
        r = sign_in(c, platform.world.member_admin, "wrong")
        statuses.append(r.status_code)
    assert statuses[:-1] == [401] * platform.settings.login_max_failures
    assert statuses[-1] == 429
    assert "Too many failed attempts" in r.text
    assert sign_in(c, platform.world.member_admin, PASSWORD).status_code == 429


def test_settings_set_the_zone_and_language_of_every_page(platform: Platform) -> None:
    c = platform.client()
    sign_in(c, platform.world.member_admin, PASSWORD)
    saved = submit(
        c, "/settings", "/settings", {"timezone": "Asia/Shanghai", "language": "zh-Hans"}
    )
    assert saved.status_code == 303
    page = get(c, "/settings?saved=true").text
    assert '<html lang="zh-Hans">' in page
    assert "您的设置已保存" in page
    assert "时间均以 Asia/Shanghai 时区显示" in page
    refused = submit(c, "/settings", "/settings", {"timezone": "Mars/Olympus", "language": ""})
    assert refused.status_code == 422
    with platform.database.transaction(write=False) as s:
        actions = list(s.scalars(select(AuditEntry.action)))
    assert actions.count("user.display_changed") == 1


def test_the_language_switch_for_a_visitor(platform: Platform) -> None:
    c = platform.client()
    r = submit(c, "/advisories", "/language", {"language": "zh-Hans", "next": "/advisories"})
    assert r.status_code == 303
    assert r.headers["location"] == "/advisories"
    assert '<html lang="zh-Hans">' in get(c, "/advisories").text
    away = submit(c, "/", "/language", {"language": "en", "next": "https://evil.example/"})
    assert away.headers["location"] == "/"


def test_the_browsers_zone_cookie_names_the_zone_for_a_visitor(platform: Platform) -> None:
    c = platform.client()
    c.cookies.set("ch_tz", "Europe/Berlin")
    assert "Times are shown in the time zone Europe/Berlin." in get(c, "/").text
