"""What every page route gets: the request's transaction and principal (the API's own,
:func:`clearinghouse.api.deps.transaction`), the viewer, the form, and CSRF protection.

Credentials a page accepts beyond the API's headers:

* the browser session cookie, with the CSRF token in the form's ``csrf_token`` field
  (or the ``X-CSRF-Token`` header, as htmx sends it);
* the short-lived cookies an invitation link or a report's tracking token is exchanged
  for (:mod:`clearinghouse.web.links`).

Every form carries a CSRF token. For a session it is the session's own token, masked
afresh in every page (BREACH). Without a session (a visitor, a finder by tracking
cookie, a vendor by invitation cookie) it is a double-submit token: a random
``ch_csrf`` cookie (``SameSite=Lax``, so a cross-site form post does not carry it) that
the form's field must match.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from jinja2 import Environment
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.authn import mask_csrf, unmask_csrf
from clearinghouse.accounts.models import User
from clearinghouse.api.deps import (
    CSRF_HEADER,
    REPORT_TOKEN_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    Ctx,
    transaction,
)
from clearinghouse.cases.attachments import MAX_FILES_PER_UPLOAD
from clearinghouse.errors import Forbidden, NotFound, Unauthenticated
from clearinghouse.policy import AccountAction, can_account
from clearinghouse.principal import Credentials, Principal, Via
from clearinghouse.runtime import Runtime
from clearinghouse.settings import Settings
from clearinghouse.web.assets import Assets
from clearinghouse.web.i18n import Catalogues
from clearinghouse.web.links import LINK_COOKIES, LinkCookie
from clearinghouse.web.templates import i18n_callables
from clearinghouse.web.viewer import Viewer, viewer
from clearinghouse.web.words import words

CSRF_FIELD: Final = "csrf_token"
CSRF_COOKIE: Final = "ch_csrf"
MAX_FORM_FIELDS: Final = 60
FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Web:
    """The pages' machinery, built once by :func:`clearinghouse.web.install`."""

    env: Environment
    catalogues: Catalogues
    assets: Assets


def web_of(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


@dataclass(frozen=True)
class Presented:
    """What a page request presented: credentials, the parsed form, the CSRF values."""

    credentials: Credentials
    form: FormData | None
    form_csrf: str | None
    csrf_cookie: str | None
    by_header: bool  # an Authorization or X-Report-Token header: nothing ambient


def _link(request: Request, link: LinkCookie) -> str | None:
    value = request.cookies.get(link.cookie)
    return value if value and len(value) <= link.max_length else None


async def _presented(request: Request) -> Presented:
    headers = request.headers
    form: FormData | None = None
    unsafe = request.method not in SAFE_METHODS
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if unsafe and kind in FORM_TYPES:
        form = await request.form(max_files=MAX_FILES_PER_UPLOAD, max_fields=MAX_FORM_FIELDS)
    sent = form.get(CSRF_FIELD) if form is not None else None
    form_csrf = headers.get(CSRF_HEADER) or (sent if isinstance(sent, str) else None)
    authorization = headers.get("authorization")
    report_token = headers.get(REPORT_TOKEN_HEADER)
    by_header = bool(authorization or report_token)
    invite = _link(request, LINK_COOKIES["invitation"])
    if authorization is None and invite:
        authorization = f"Invite {invite}"
    report_token = report_token or _link(request, LINK_COOKIES["report"])
    return Presented(
        credentials=Credentials(
            authorization=authorization,
            report_token=report_token,
            session_cookie=request.cookies.get(SESSION_COOKIE),
            csrf=form_csrf,
            unsafe=unsafe,
            client=request.client.host if request.client else "unknown",
        ),
        form=form,
        form_csrf=form_csrf,
        csrf_cookie=request.cookies.get(CSRF_COOKIE),
        by_header=by_header,
    )


@dataclass(frozen=True)
class Chrome:
    """What the layout around every page needs: the forms' CSRF token, where we are (the
    language switch comes back here), and who is signed in (the navigation)."""

    csrf_token: str
    here: str
    signed_in: bool = False
    operator: bool = False
    member: bool = False
    jobs: bool = False  # may see the jobs (the operator's administrators)
    who: str = ""


def here_of(request: Request) -> str:
    """Where the request is, path and query: the language switch and the sign-in form
    come back here."""
    url = request.url
    return url.path + (f"?{url.query}" if url.query else "")


def chrome_for(p: Principal, csrf_token: str, request: Request) -> Chrome:
    """The layout for ``p`` reading ``request``: the one builder for pages and error
    pages."""
    return Chrome(
        csrf_token=csrf_token,
        here=here_of(request),
        signed_in=p.via is Via.SESSION,
        operator=p.is_operator,
        member=p.is_authenticated and p.org_id is not None,
        jobs=p.is_operator and can_account(p, AccountAction.JOBS_ADMIN),
        who=p.label if p.is_authenticated else "",
    )


@dataclass
class Page:
    """A page request: the transaction and principal (:attr:`ctx`), who reads it
    (:attr:`viewer`), what it presented, and the cookies the answer sets."""

    ctx: Ctx
    viewer: Viewer
    presented: Presented
    web: Web
    cookies: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    _csrf: str | None = None

    @property
    def session(self) -> Session:
        return self.ctx.session

    @property
    def principal(self) -> Principal:
        return self.ctx.principal

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def runtime(self) -> Runtime:
        return self.ctx.runtime

    @property
    def request(self) -> Request:
        return self.ctx.request

    def now(self) -> datetime:
        return self.ctx.now()

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """A change a form may be refused for (its errors are shown on the page, which
        commits): made in a savepoint, so that a refusal leaves nothing behind (not even
        the rate limit's count of a report that was not received)."""
        with self.session.begin_nested():
            yield

    def _(self, message: str, **values: Any) -> str:
        return self.viewer.gettext(message, **values)

    def field(self, name: str) -> str:
        """A text field of the posted form ('' when absent)."""
        form = self.presented.form
        value = form.get(name) if form is not None else None
        return value if isinstance(value, str) else ""

    def csrf_token(self) -> str:
        """The value of every form's ``csrf_token`` field in this page (masked afresh)."""
        if self._csrf is None:
            self._csrf = mask_csrf(self._csrf_secret())
        return self._csrf

    def _csrf_secret(self) -> str:
        cookie = self.presented.credentials.session_cookie
        if self.principal.via is Via.SESSION and cookie:
            found = accounts.session_principal(self.session, cookie, self.now())
            if found is not None:
                return found[1].csrf_token
        return anonymous_csrf(self.presented.csrf_cookie, self.cookies, self.settings)

    def set_cookie(self, name: str, value: str, **options: Any) -> None:
        self.cookies.append((name, value, options))

    def keep(self, name: str, value: str, *, max_age: int, path: str = "/") -> None:
        """A cookie of ours: never readable by scripts, sent on same-site navigation only
        (``Lax``), ``Secure`` on https; ``""`` deletes it."""
        self.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=self.settings.cookies_secure,
            path=path,
        )

    def keep_link(self, link: LinkCookie, token: str) -> None:
        """The short-lived cookie a link's token is exchanged for."""
        self.keep(link.cookie, token, max_age=link.max_age, path=link.path)

    def chrome(self) -> Chrome:
        return chrome_for(self.principal, self.csrf_token(), self.request)

    def render(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        body = render_page(self.web, self.viewer, template, chrome=self.chrome(), **values)
        response = HTMLResponse(body, status_code=status)
        finish(response, self.viewer, self.cookies)
        return response

    def redirect(self, url: str) -> RedirectResponse:
        """303 See Other to a local URL (after a form post)."""
        response = RedirectResponse(local_url(url), status_code=303)
        finish(response, self.viewer, self.cookies)
        return response


def anonymous_csrf(
    current: str | None, cookies: list[tuple[str, str, dict[str, Any]]], settings: Settings
) -> str:
    """The double-submit secret: the visitor's ``ch_csrf`` cookie, or a new one set."""
    if current and 20 <= len(current) <= 64:
        return current
    for name, value, _options in cookies:
        if name == CSRF_COOKIE:
            return value
    fresh = secrets.token_urlsafe(24)
    cookies.append(
        (
            CSRF_COOKIE,
            fresh,
            {"httponly": True, "samesite": "lax", "secure": settings.cookies_secure, "path": "/"},
        )
    )
    return fresh


def render_page(web: Web, reader: Viewer, template: str, **values: Any) -> str:
    return web.env.get_template(template).render(
        viewer=reader, **i18n_callables(reader), **words(reader), **values
    )


def finish(
    response: Response, reader: Viewer, cookies: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """Headers every page answer carries: pages depend on who asks, and are never cached
    by anyone (a tracking token or an embargoed title must not linger in a cache)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Cookie, Accept-Language"
    response.headers["Content-Language"] = reader.language.value
    for name, value, options in cookies:
        if value:
            response.set_cookie(name, value, **options)
        else:
            response.delete_cookie(name, path=options.get("path", "/"))


def local_url(url: str) -> str:
    """``url`` when it is a path on this site, else ``/`` (no open redirects)."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url or "\n" in url:
        return "/"
    return url


def _check_form_csrf(page: Page) -> None:
    """An unsafe request carried by a cookie (not a header) proves it came from our own
    form. A session was checked by the authenticator; the rest is the double-submit."""
    presented = page.presented
    if presented.by_header or page.principal.via is Via.SESSION:
        return
    sent = unmask_csrf(presented.form_csrf or "")
    cookie = presented.csrf_cookie or ""
    if not sent or not cookie or not secrets.compare_digest(sent, cookie):
        raise Forbidden(
            "missing or wrong CSRF token: reload the page and send the form again",
            code_detail="csrf",
        )


def _without_stale_links(request: Request, presented: Presented) -> tuple[Presented, list[str]]:
    """A link cookie that no longer opens anything (expired, withdrawn, claimed) is
    dropped, and deleted from the browser: the page then answers as for a visitor (the
    token form) instead of refusing every page under the cookie's path."""
    held = [link for link in LINK_COOKIES.values() if _link(request, link)]
    if presented.by_header or not held:
        return presented, []
    rt: Runtime = request.app.state.runtime
    stale: list[str] = []
    credentials = presented.credentials
    with rt.database.session(write=False) as session, session.begin():
        try:
            rt.authenticate(
                session, replace(credentials, session_cookie=None, unsafe=False), rt.clock.now()
            )
        except (Unauthenticated, Forbidden, NotFound):
            stale = [link.cookie for link in held]
            credentials = replace(credentials, authorization=None, report_token=None)
    return replace(presented, credentials=credentials), stale


def _page(request: Request, presented: Annotated[Presented, Depends(_presented)]) -> Iterator[Page]:
    web = web_of(request)
    presented, stale = _without_stale_links(request, presented)
    with contextmanager(transaction)(request, presented.credentials) as ctx:
        user = _user(ctx)
        reader = viewer(
            web.catalogues,
            cookies=dict(request.cookies),
            accept_language=request.headers.get("accept-language"),
            user_language=user.language if user else None,
            user_zone=user.timezone if user else None,
        )
        page = Page(ctx=ctx, viewer=reader, presented=presented, web=web)
        for cookie in stale:
            link = next(x for x in LINK_COOKIES.values() if x.cookie == cookie)
            page.set_cookie(cookie, "", path=link.path)
        try:
            if presented.credentials.unsafe:
                _check_form_csrf(page)
            yield page
        finally:
            _close_uploads(presented.form)


def _close_uploads(form: FormData | None) -> None:
    """Uploaded files are spooled to temporary files: closed when the request is done."""
    for _name, value in form.multi_items() if form is not None else []:
        if isinstance(value, UploadFile):
            value.file.close()


def _user(ctx: Ctx) -> User | None:
    if ctx.principal.user_id is None or not ctx.principal.is_authenticated:
        return None
    return ctx.session.get(User, ctx.principal.user_id)


PageDep = Annotated[Page, Depends(_page, scope="function")]
