"""Credentials that arrive in a URL: an invitation link and a report's tracking token.

A URL is the worst place to keep a secret: it stays in the browser's history, in
bookmarks, in server and proxy logs and in ``Referer`` headers. So a page that receives
one exchanges it at once for a short-lived, ``HttpOnly`` cookie scoped to the pages that
use it, and redirects the browser to the same page without it.

Links in e-mails put the token in the URL's fragment (``/reports/track#chr_...``), which
browsers never send to a server; the page's script posts it and removes it from the
address bar. A query parameter (``?token=``) works too, without JavaScript; so does
pasting the token into the form the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class LinkCookie:
    name: str
    cookie: str
    path: str  # where the cookie is sent, and where an exchange lands
    max_age: int  # seconds
    max_length: int  # longest value accepted


LINK_COOKIES: Final = {
    "report": LinkCookie("report", "ch_report", "/reports/track", 3600, 200),
    "invitation": LinkCookie("invitation", "ch_invite", "/invitation", 3600, 4000),
}
TOKEN_PARAM: Final = "token"  # noqa: S105 (a parameter name)
