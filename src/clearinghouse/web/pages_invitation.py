"""Where an invited vendor's e-mail link lands.

``/invitations/open#<token>`` (the link e-mailed to a vendor outside the platform) or
``?token=``: the token is exchanged for a short-lived cookie scoped to ``/invitation``
and the browser lands on ``/invitation``, the vendor's view of what the link opens,
asked of the policy as ``GET /api/v1/invitation`` asks it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Query
from starlette.responses import HTMLResponse, Response

from clearinghouse.cases import access, invitations
from clearinghouse.cases.models import Case
from clearinghouse.errors import NotFound, Unauthenticated
from clearinghouse.policy import CaseAction, require_case
from clearinghouse.principal import Credentials, Via
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.links import LINK_COOKIES, TOKEN_PARAM

router = APIRouter(include_in_schema=False)

INVITE: Final = LINK_COOKIES["invitation"]
OPEN_PATH: Final = invitations.LINK_PATH


def _opens(page: Page, token: str, now: datetime) -> bool:
    try:
        found = page.runtime.authenticate(
            page.session, Credentials(authorization=f"Invite {token}"), now
        )
    except Unauthenticated:
        return False
    return found.via is Via.LINK


def _exchange(page: Page, token: str) -> Response:
    token = token.strip()
    if not token or len(token) > INVITE.max_length or not _opens(page, token, page.now()):
        error = page._(
            "This invitation link does not open anything: it may have expired or been "
            "withdrawn. Ask the coordinator for a new one."
        )
        return page.render("invitation_token.html", status=401, error=error)
    page.keep_link(INVITE, token)
    return page.redirect(INVITE.path)


@router.get(OPEN_PATH, response_class=HTMLResponse)
def open_link(
    page: PageDep,
    token: Annotated[str | None, Query(alias=TOKEN_PARAM, max_length=4000)] = None,
) -> Response:
    if token:
        return _exchange(page, token)
    return page.render("invitation_token.html", error=None)


@router.post(OPEN_PATH, response_class=HTMLResponse)
def open_link_with_token(page: PageDep) -> Response:
    return _exchange(page, page.field(TOKEN_PARAM))


@router.get(INVITE.path, response_class=HTMLResponse)
def invitation(page: PageDep) -> HTMLResponse:
    require_case(page.principal, CaseAction.INVITATION_USE)
    _scheme, _, token = (page.presented.credentials.authorization or "").partition(" ")
    found = invitations.find(
        page.session, token, page.now(), page.settings.secret_key.get_secret_value()
    )
    participant = access.get_participant_any(page.session, found.participant_id)
    case = page.session.get(Case, participant.case_id)
    if case is None:
        raise NotFound("the case is gone")
    return page.render(
        "invitation.html", case=case.public_id, participant=participant, invitation=found
    )
