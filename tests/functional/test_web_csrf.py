"""Every form carries a CSRF token and nothing changes without it: a session's own token
(masked afresh in every page, also accepted as the X-CSRF-Token header htmx sends), or,
without a session, the visitor's double-submit cookie."""

from __future__ import annotations

from sqlalchemy import func, select

from clearinghouse.accounts.models import User
from clearinghouse.cases.models import Report
from tests.functional.conftest import Platform
from tests.support.factory import PASSWORD
from tests.support.web import HTML, csrf_of, get, sign_in

REPORT = {"title": "XSS in the search box", "product": "Acme CMS", "description": "Try <b>."}


def _zone(platform: Platform, email: str) -> str:
    with platform.database.transaction(write=False) as s:
        return s.scalars(select(User.timezone).where(User.email == email)).one()


def _reports(platform: Platform) -> int:
    with platform.database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(Report)) or 0


def test_a_sessions_form_without_its_token_changes_nothing(platform: Platform) -> None:
    c = platform.client()
    sign_in(c, platform.world.member_admin, PASSWORD)
    form = {"timezone": "Asia/Shanghai", "language": ""}
    for token in (None, "", "forged", csrf_of(get(platform.client(), "/").text)):
        data = form if token is None else {**form, "csrf_token": token}
        refused = c.post("/settings", data=data, headers=HTML)
        assert refused.status_code == 403
        assert "This form has expired or did not come from this site" in refused.text
    assert _zone(platform, platform.world.member_admin) == "UTC"
    page = get(c, "/settings").text
    assert c.post("/settings", data={**form, "csrf_token": csrf_of(page)}).status_code == 303
    assert _zone(platform, platform.world.member_admin) == "Asia/Shanghai"


def test_every_page_masks_the_token_afresh(platform: Platform) -> None:
    c = platform.client()
    sign_in(c, platform.world.member_admin, PASSWORD)
    tokens = {csrf_of(get(c, "/settings").text) for _ in range(3)}
    assert len(tokens) == 3
    for token in tokens:  # each one works
        form = {"timezone": "Europe/Paris", "language": "", "csrf_token": token}
        assert c.post("/settings", data=form).status_code == 303


def test_the_header_htmx_sends_is_accepted(platform: Platform) -> None:
    c = platform.client()
    sign_in(c, platform.world.member_admin, PASSWORD)
    token = csrf_of(get(c, "/settings").text)
    r = c.post(
        "/settings",
        data={"timezone": "Asia/Tokyo", "language": ""},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert r.status_code == 303
    assert _zone(platform, platform.world.member_admin) == "Asia/Tokyo"


def test_a_visitors_form_needs_the_double_submit_cookie(platform: Platform) -> None:
    visitor = platform.client()
    token = csrf_of(get(visitor, "/report").text)  # sets the visitor's ch_csrf cookie
    assert "ch_csrf" in visitor.cookies
    stranger = platform.client()  # a cross-site post: the form's field, not the cookie
    refused = stranger.post("/report", data={**REPORT, "csrf_token": token}, headers=HTML)
    assert refused.status_code == 403
    assert _reports(platform) == 0
    accepted = visitor.post("/report", data={**REPORT, "csrf_token": token}, headers=HTML)
    assert accepted.status_code == 303
    assert _reports(platform) == 1


def test_signing_in_needs_the_visitors_token_too(platform: Platform) -> None:
    c = platform.client()
    form = {"email": platform.world.member_admin, "password": PASSWORD}
    assert c.post("/sign-in", data=form, headers=HTML).status_code == 403
    assert "ch_session" not in c.cookies
