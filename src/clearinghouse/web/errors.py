"""Errors as pages: what a browser asking for a page sees instead of a problem document.

The API's error handlers (:mod:`clearinghouse.api.problems`) build the problem; this
module shows it as HTML when the request is a page's (not under the machine prefixes)
and the client asks for HTML. The page says no more than the problem: a resource one
may not know of and one that does not exist give the same page. A 401 is the sign-in
form, which comes back to the page after signing in.
"""

from __future__ import annotations

import json
import logging
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from clearinghouse.accounts.authn import mask_csrf
from clearinghouse.web.context import (
    CSRF_COOKIE,
    Chrome,
    anonymous_csrf,
    finish,
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


def is_page_path(path: str) -> bool:
    return not path.startswith(MACHINE_PREFIXES)


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept or request.headers.get("hx-request") == "true"


class PageErrors:
    """Plugged into :func:`clearinghouse.api.problems.install` by the wiring."""

    def __call__(self, request: Request, problem: Response) -> Response | None:
        if not is_page_path(request.url.path) or not wants_html(request):
            return None
        try:
            body = json.loads(bytes(problem.body))
        except ValueError:
            body = {}
        status = problem.status_code
        web = web_of(request)
        reader = viewer(
            web.catalogues,
            cookies=dict(request.cookies),
            accept_language=request.headers.get("accept-language"),
        )
        cookies: list[tuple[str, str, dict[str, object]]] = []
        settings = request.app.state.runtime.settings
        csrf = anonymous_csrf(request.cookies.get(CSRF_COOKIE), cookies, settings)
        title = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
        explanation = EXPLANATIONS.get(status)
        if body.get("code_detail") == "csrf":
            explanation = CSRF_EXPLANATION
        html = render_page(
            web,
            reader,
            "error.html",
            chrome=Chrome(csrf_token=mask_csrf(csrf), here=request.url.path),
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
