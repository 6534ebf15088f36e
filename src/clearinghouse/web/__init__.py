"""Server-rendered pages: Jinja2 templates on the same FastAPI app, behind the same
services and the one policy. docs/web.md is the guide to adding a page.

| module | concern |
| --- | --- |
| ``context`` | the page dependency: transaction, principal, viewer, form, CSRF; rendering |
| ``viewer`` | the reader's language and time zone |
| ``i18n`` | languages, the gettext catalogues (``locale/``), Accept-Language |
| ``display`` | instants (zone named), deadlines (UTC beside), durations, numbers |
| ``templates`` | the Jinja2 environment and its filters |
| ``assets`` | static files under versioned, long-cached URLs |
| ``forms`` | form errors: the summary and the field messages |
| ``words`` | closed sets (report states, answers...) in the viewer's language |
| ``obligation_words`` | an obligation's basis, time allowed and alerts, in the viewer's words |
| ``errors`` | error pages (problem documents shown as HTML) |
| ``links`` | tokens arriving in URLs, exchanged for short-lived cookies |
| ``pages_public`` | home, advisories |
| ``pages_report`` | the report form, its confirmation, the finder's status page, reports, triage |
| ``pages_cases`` | cases, one case, its timeline picture, an incident's clock board |
| ``case_forms`` | what a vendor's status and embargo answer forms post, and a refused change |
| ``pages_case_actions`` | a case's forms: a vendor's status, the embargo's answers and steps |
| ``pages_dashboard`` | the operator's dashboard |
| ``charts`` | the dashboard's charts as inline SVG |
| ``case_picture`` | what a timeline picture shows, in the viewer's words |
| ``pages_exposure`` | inventories, findings, VEX, withdrawals, products, who a case affects |
| ``pages_sharing`` | collections, a collection's shared objects by TLP, sharing groups, sightings |
| ``pages_sharing_manage`` | the sharing forms: collections, groups, adding objects; sync sources |
| ``pages_account`` | sign-in, sign-out, the language switch, settings |
| ``pages_invitation`` | where an invited vendor's link lands |
| ``pages_members`` | members with standing badges, a member's page and decisions, ``/standing`` |
| ``pages_audit`` | the audit trail, the chain's verification, jobs and dead letters |
| ``asat`` | ``?at=``: the instant a historical view shows |
| ``pages_member`` | a member's dashboard, obligations, reports drafted for regulators |
| ``pages_keys`` | API tokens, webhooks, notification preferences |
| ``pages_editor`` | the advisory editor: drafts, revisions and their changes, previews, release |
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from clearinghouse.settings import Settings
from clearinghouse.web import (
    pages_account,
    pages_audit,
    pages_case_actions,
    pages_cases,
    pages_dashboard,
    pages_editor,
    pages_exposure,
    pages_invitation,
    pages_keys,
    pages_member,
    pages_members,
    pages_public,
    pages_report,
    pages_sharing,
    pages_sharing_manage,
)
from clearinghouse.web.assets import PREFIX, Assets, VersionedStatic
from clearinghouse.web.context import Web
from clearinghouse.web.errors import PageErrors, is_page_path
from clearinghouse.web.i18n import Catalogues
from clearinghouse.web.templates import environment


def install(app: FastAPI, settings: Settings) -> PageErrors:
    """Add the pages and their assets to ``app``; returns how errors become pages (for
    :func:`clearinghouse.api.problems.install`)."""
    assets = Assets()
    app.state.web = Web(
        env=environment(assets, settings.platform_name),
        catalogues=Catalogues.load(),
        assets=assets,
    )
    for module in (
        pages_public,
        pages_report,
        pages_cases,
        pages_case_actions,
        pages_dashboard,
        pages_account,
        pages_invitation,
        pages_members,
        pages_audit,
        pages_member,
        pages_keys,
        pages_editor,
        pages_exposure,
        pages_sharing,
        pages_sharing_manage,
    ):
        app.include_router(module.router)
    app.mount(PREFIX, VersionedStatic(assets), name="static")
    return PageErrors()


class PageCompression:
    """gzip for pages and static assets only: API answers are left as they are (a
    response that reflects input beside a secret must not be compressed: BREACH; pages
    mask their CSRF token for the same reason)."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path and (is_page_path(path) or path.startswith(PREFIX + "/")):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
