"""Signing in and out, the language switch, and a user's display settings.

Signing in starts the same browser session as ``POST /api/v1/auth/login`` (one
``accounts.sign_in``), with the same failure counting and rate limit; the form is
protected against login CSRF by the visitor's double-submit token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Final

from fastapi import Query
from starlette.responses import HTMLResponse, Response

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import User
from clearinghouse.api.deps import SESSION_COOKIE, admitted_router
from clearinghouse.errors import NotFound, RateLimited, Unauthenticated
from clearinghouse.policy import AccountAction, can_account, require_account
from clearinghouse.web import display
from clearinghouse.web.context import Page, PageDep, local_url
from clearinghouse.web.i18n import LANGUAGE_COOKIE, parse_language

router = admitted_router(include_in_schema=False)

YEAR: Final = 365 * 24 * 3600
EMAIL_MAX: Final = 320
PASSWORD_MAX: Final = 1024


def _language_cookie(page: Page, value: str) -> None:
    page.keep(LANGUAGE_COOKIE, value, max_age=YEAR)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(page: PageDep, next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    if page.principal.is_authenticated:
        return page.redirect(next)
    return page.render("sign_in.html", next=local_url(next), email="", error=None)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(page: PageDep) -> Response:
    email = page.field("email")[:EMAIL_MAX]
    target = local_url(page.field("next") or "/")
    settings = page.settings
    limits = accounts.LoginLimits(
        settings.login_max_failures, timedelta(seconds=settings.login_window_seconds)
    )
    try:
        done = accounts.sign_in(
            page.session,
            email=email,
            password=page.field("password")[:PASSWORD_MAX],
            organisation=None,
            client=page.ctx.client,
            now=page.now(),
            limits=limits,
            hours=settings.session_hours,
        )
    except Unauthenticated:  # the failure is counted: the transaction commits it
        error = page._("Wrong e-mail address or password.")
        return page.render("sign_in.html", status=401, next=target, email=email, error=error)
    except RateLimited:
        error = page._("Too many failed attempts. Wait a while, then try again.")
        return page.render("sign_in.html", status=429, next=target, email=email, error=error)
    page.keep(SESSION_COOKIE, done.new.token, max_age=settings.session_hours * 3600)
    if done.user.language:
        _language_cookie(page, done.user.language)
    return page.redirect(target)


@router.post("/sign-out")
def sign_out(page: PageDep) -> Response:
    cookie = page.request.cookies.get(SESSION_COOKIE)
    if cookie:
        accounts.end_session(page.session, cookie, page.now())
    page.set_cookie(SESSION_COOKIE, "", path="/")
    return page.redirect("/")


@router.post("/language")
def change_language(page: PageDep) -> Response:
    """The switch on every page: the visitor's cookie and, when the person may change
    their own settings, their setting too."""
    language = parse_language(page.field("language"))
    target = local_url(page.field("next") or "/")
    if language is None:
        return page.redirect(target)
    _language_cookie(page, language.value)
    p = page.principal
    if p.user_id is not None and can_account(p, AccountAction.PREFERENCES_UPDATE):
        user = page.session.get(User, p.user_id)
        if user is not None:
            accounts.set_display(
                page.session,
                actor=p,
                user=user,
                timezone=user.timezone,
                language=language,
                now=page.now(),
            )
    return page.redirect(target)


def own_user(page: Page, action: AccountAction) -> User:
    """The signed-in person, when the policy lets them do ``action`` on their settings."""
    require_account(page.principal, action)
    user_id = page.principal.user_id
    user = page.session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise NotFound("no such user")
    return user


@router.get("/settings", response_class=HTMLResponse)
def settings_form(page: PageDep, saved: Annotated[bool, Query()] = False) -> HTMLResponse:
    user = own_user(page, AccountAction.PREFERENCES_READ)
    return page.render(
        "settings.html", user=user, zones=display.zone_names(), saved=saved, error=None
    )


@router.post("/settings", response_class=HTMLResponse)
def save_settings(page: PageDep) -> Response:
    user = own_user(page, AccountAction.PREFERENCES_UPDATE)
    language = parse_language(page.field("language"))
    zone = page.field("timezone").strip()
    if not display.is_zone(zone):
        error = page._("Choose a time zone from the list.")
        return page.render(
            "settings.html",
            status=422,
            user=user,
            zones=display.zone_names(),
            saved=False,
            error=error,
        )
    accounts.set_display(
        page.session,
        actor=page.principal,
        user=user,
        timezone=zone,
        language=language,
        now=page.now(),
    )
    _language_cookie(page, language.value if language is not None else "")
    return page.redirect("/settings?saved=true")
