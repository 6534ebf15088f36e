"""Errors as pages: what a browser asking for a page sees instead of a problem document.

The API's error handlers (:mod:`clearinghouse.api.problems`) build the problem; this
module shows it as HTML when the request is a page's (not under the machine prefixes)
and the client asks for HTML. The page says no more than the problem: a resource one
may not know of and one that does not exist give the same page. A 401 is the sign-in
form, which comes back to the page after signing in.

The page is in its reader's language and time zone, as every page: a signed-in user's
settings first (:func:`look_up_session` reads the session cookie as pages do), then the
cookies and ``Accept-Language``. That look-up never fails the error page: a session that
is unknown, expired or revoked, a database that cannot answer, or too many error pages
at once (a flood of missing pages must not queue for connections outside the requests'
admission) all leave the reader as a visitor.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Final

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.authn import mask_csrf
from clearinghouse.accounts.models import User
from clearinghouse.api.deps import SESSION_COOKIE
from clearinghouse.db import DatabaseBusy
from clearinghouse.errors import ClearinghouseError
from clearinghouse.principal import Principal
from clearinghouse.runtime import Runtime
from clearinghouse.web.context import (
    CSRF_COOKIE,
    Chrome,
    anonymous_csrf,
    chrome_for,
    finish,
    here_of,
    render_page,
    web_of,
)
from clearinghouse.web.forms import N_
from clearinghouse.web.viewer import viewer

log = logging.getLogger("clearinghouse.web")

# Where the platform speaks to machines: errors stay problem documents (or the
# protocol's own bodies) there, whatever the client accepts.
MACHINE_PREFIXES: Final = (
    "/api/",
    "/osv/",
    "/taxii2",
    "/.well-known/",
    "/feeds/",
    "/static/",
    "/openapi.json",
    "/healthz",
    "/readyz",
)

TITLES: Final = {
    400: N_("The request could not be understood"),
    401: N_("Sign in to see this page"),
    403: N_("You may not do this"),
    404: N_("Page not found"),
    405: N_("This page cannot be used that way"),
    409: N_("This cannot be done now"),
    413: N_("What you sent is too large"),
    422: N_("Something you entered is not valid"),
    429: N_("Too many requests"),
    500: N_("Something went wrong on our side"),
    503: N_("The platform is briefly unavailable"),
}
EXPLANATIONS: Final = {
    401: N_("You need to sign in first."),
    403: N_("Your account does not allow this."),
    404: N_("There is nothing here, or nothing you may see. Check the address."),
    409: N_("The current state does not allow this. Reload the page and try again."),
    429: N_("Wait a while, then try again."),
    500: N_("Nothing you sent was half-applied. Quote the request id if you report this."),
    503: N_("Nothing you sent was applied. Try again in a few seconds."),
}
CSRF_EXPLANATION: Final = N_(
    "This form has expired or did not come from this site. Go back, reload the page and "
    "send it again."
)


# Errors that say the database is unavailable (503), overloaded (503 busy) or full (507):
# their pages ask it nothing.
DATABASE_DOWN: Final = frozenset({503, 507})
MAX_SESSION_COOKIE: Final = 256  # longer than any session token we issue
LOOKUPS_AT_ONCE: Final = 4


@dataclass(frozen=True)
class SignedIn:
    """The reader of an error page whose session cookie opened a session: who, their
    saved language and time zone, and the session's CSRF token (the page's forms, the
    language switch among them, are posted with it as on every page)."""

    principal: Principal
    language: str | None
    zone: str | None
    csrf_token: str


def look_up_session(request: Request, runtime: Runtime) -> SignedIn | None:
    """The session cookie's user, read as pages read it (``accounts.session_principal``
    and the user's settings), in a read-only transaction of its own; ``None`` for no
    session or one that no longer opens (unknown, expired, revoked, inactive user).
    Only the session cookie: a header's credentials are for machines, and an error page
    checks no password."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or len(cookie) > MAX_SESSION_COOKIE:
        return None
    with runtime.database.transaction(write=False) as session:
        found = accounts.session_principal(session, cookie, runtime.clock.now())
        if found is None:
            return None
        principal, record = found
        user = session.get(User, principal.user_id) if principal.user_id else None
        return SignedIn(
            principal=principal,
            language=user.language if user else None,
            zone=user.timezone if user else None,
            csrf_token=record.csrf_token,
        )


def is_page_path(path: str) -> bool:
    return not path.startswith(MACHINE_PREFIXES)


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept or request.headers.get("hx-request") == "true"


class PageErrors:
    """Plugged into :func:`clearinghouse.api.problems.install` by the wiring."""

    def __init__(self, lookups_at_once: int = LOOKUPS_AT_ONCE) -> None:
        # Error pages looking a session up at once; past that, the reader is a visitor.
        self._lookups = threading.BoundedSemaphore(lookups_at_once)

    def signed_in(self, request: Request, status: int) -> SignedIn | None:
        """:func:`look_up_session`, unless the error says the database is down or busy, or
        enough error pages are already asking it. A failing database (or a session whose
        membership is gone) is logged and leaves the reader a visitor: the error page is
        shown all the same."""
        if status in DATABASE_DOWN or SESSION_COOKIE not in request.cookies:
            return None
        if not self._lookups.acquire(blocking=False):
            return None
        try:
            return look_up_session(request, request.app.state.runtime)
        except (SQLAlchemyError, DatabaseBusy, ClearinghouseError) as exc:
            log.warning(
                "error page shown without the reader's settings",
                extra={"path": request.url.path, "error": type(exc).__name__},
            )
            return None
        finally:
            self._lookups.release()

    def __call__(self, request: Request, problem: Response) -> Response | None:
        if not is_page_path(request.url.path) or not wants_html(request):
            return None
        try:
            body = json.loads(bytes(problem.body))
        except ValueError:
            body = {}
        status = problem.status_code
        web = web_of(request)
        user = self.signed_in(request, status)
        reader = viewer(
            web.catalogues,
            cookies=dict(request.cookies),
            accept_language=request.headers.get("accept-language"),
            user_language=user.language if user else None,
            user_zone=user.zone if user else None,
        )
        cookies: list[tuple[str, str, dict[str, object]]] = []
        settings = request.app.state.runtime.settings
        title = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
        explanation = EXPLANATIONS.get(status)
        if body.get("code_detail") == "csrf":
            explanation = CSRF_EXPLANATION
        if user is None:
            csrf = anonymous_csrf(request.cookies.get(CSRF_COOKIE), cookies, settings)
            chrome = Chrome(csrf_token=mask_csrf(csrf), here=here_of(request))
        else:
            chrome = chrome_for(user.principal, mask_csrf(user.csrf_token), request)
        html = render_page(
            web,
            reader,
            "error.html",
            chrome=chrome,
            status=status,
            title=reader.gettext(title),
            explanation=reader.gettext(explanation) if explanation else None,
            request_id=body.get("request_id"),
        )
        response = HTMLResponse(html, status_code=status)
        for name in ("retry-after", "www-authenticate"):
            if name in problem.headers:
                response.headers[name] = problem.headers[name]
        finish(response, reader, cookies)
        return response
