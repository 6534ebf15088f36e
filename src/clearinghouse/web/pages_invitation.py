"""Where an invited vendor's e-mail link lands, and its part of the case.

``/invitations/open#<token>`` (the link e-mailed to a vendor outside the platform) or
``?token=``: the token is exchanged for a short-lived cookie scoped to ``/invitation``
and the browser lands on ``/invitation``, the vendor's view of what the link opens,
asked of the policy as ``GET /api/v1/invitation`` asks it.

Everything the invited vendor does stays under ``/invitation`` (the cookie's path, left
as narrow as it was): its status per vulnerability (``POST /invitation/statuses``), its
statement (``/invitation/statement``), its answer to the embargo
(``/invitation/embargo``) and a message in a thread it may read
(``/invitation/threads/{id}/messages``). Each read and change goes through the API's own
route functions with the page's request context, so the policy is asked exactly as for
``GET /api/v1/cases/{ref}`` and its writes with the link as the credential.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Final

from fastapi import Query
from starlette.responses import HTMLResponse, Response

from clearinghouse.api.deps import admitted_router
from clearinghouse.api.pagination import MAX_LIMIT
from clearinghouse.cases import access, invitations
from clearinghouse.cases import api_cases as cases_api
from clearinghouse.cases import api_collab as collab_api
from clearinghouse.cases.api_common import authorised_case
from clearinghouse.cases.models import Case, Invitation, Participant
from clearinghouse.cases.schemas import StatementIn
from clearinghouse.errors import NotFound, Unauthenticated
from clearinghouse.policy import CaseAction, can_case, require_case
from clearinghouse.principal import Credentials, Via
from clearinghouse.web import case_forms
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import FieldErrors
from clearinghouse.web.links import LINK_COOKIES, TOKEN_PARAM
from clearinghouse.web.pages_cases import post_from_form, postable_thread, remaining

router = admitted_router(include_in_schema=False)

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


def _opened(page: Page) -> tuple[Case, Invitation, Participant]:
    """The case, invitation and participant the link opens (asked of the policy first)."""
    require_case(page.principal, CaseAction.INVITATION_USE)
    _scheme, _, token = (page.presented.credentials.authorization or "").partition(" ")
    found = invitations.find(
        page.session, token, page.now(), page.settings.secret_key.get_secret_value()
    )
    participant = access.get_participant_any(page.session, found.participant_id)
    case = page.session.get(Case, participant.case_id)
    if case is None:
        raise NotFound("the case is gone")
    return case, found, participant


def _invitation_page(
    page: Page,
    *,
    errors: FieldErrors | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    case, found, participant = _opened(page)
    ref = case.public_id
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_READ)
    # A GET reads as the API's GET does (a first read marks the case seen, in a write
    # transaction of its own); a form shown again after a POST only reads, inside the
    # POST's transaction (which holds the write lock a second transaction would wait for).
    view = (
        cases_api.get_case(ref, page.ctx)
        if page.request.method == "GET"
        else cases_api.case_view(page.ctx, acc)
    )
    mine = {s.vulnerability_id: s for s in view.vendor_statuses}
    own = next((p for p in view.participants if p.id == view.your_participant_id), None)
    listed = collab_api.list_threads(ref, page.ctx)
    thread_rows = [
        (t, collab_api.list_messages(ref, t.id, page.ctx, None, MAX_LIMIT).items) for t in listed
    ]
    now = page.now()
    return page.render(
        "invitation.html",
        status=status,
        case=ref,
        participant=participant,
        invitation=found,
        view=view,
        rows=[(v, mine.get(v.id)) for v in view.vulnerabilities],
        statement=own.statement if own is not None else None,
        my_answer=next(
            (a for a in view.embargo.answers if str(a.get("participant_id")) == str(own.id)),
            None,
        )
        if own is not None
        else None,
        threads=thread_rows,
        may_post=can_case(page.principal, CaseAction.CASE_THREAD_POST, acc.facts),
        may_answer=can_case(page.principal, CaseAction.CASE_EMBARGO_ANSWER, acc.facts),
        may_state=can_case(page.principal, CaseAction.CASE_VENDOR_STATUS, acc.facts),
        remaining=remaining(view.embargo, now),
        statuses=case_forms.STATUSES,
        justifications=case_forms.JUSTIFICATIONS,
        errors=errors or FieldErrors(),
        typed=typed or {},
    )


@router.get(INVITE.path, response_class=HTMLResponse)
def invitation(page: PageDep) -> HTMLResponse:
    return _invitation_page(page)


def _change(
    page: Page,
    anchor: str,
    change: Callable[[str], object],
    fields: dict[str, str] | None = None,
) -> Response:
    """Make one change through the API's route function, or show the form's errors and
    what was typed in it: an error about one of ``fields`` (a form field's name, and its
    id on the page) links to that field, any other to the form's section (``anchor``)."""
    case, _found, _participant = _opened(page)
    named = fields or {}
    refusal = case_forms.refused(page, lambda: change(case.public_id), named, anchor)
    if refusal is None:
        return page.redirect(f"{INVITE.path}#{anchor}")
    errors, status = refusal
    typed = {key: page.field(name) for name, key in named.items() if page.field(name)}
    return _invitation_page(page, errors=errors, status=status, typed=typed)


@router.post(INVITE.path + "/statuses", response_class=HTMLResponse)
def set_status(page: PageDep) -> Response:
    return _change(page, "statuses", lambda ref: case_forms.set_status(page, ref))


@router.post(INVITE.path + "/statement", response_class=HTMLResponse)
def set_statement(page: PageDep) -> Response:
    def change(ref: str) -> object:
        text = page.field("statement").strip()
        body = StatementIn.model_validate({"statement": text or None})
        return cases_api.set_statement(ref, body, page.ctx)

    return _change(page, "your-statement", change, {"statement": "statement"})


@router.post(INVITE.path + "/embargo", response_class=HTMLResponse)
def answer_embargo(page: PageDep) -> Response:
    return _change(
        page, "embargo", lambda ref: case_forms.answer_embargo(page, ref), {"comment": "comment"}
    )


@router.post(INVITE.path + "/threads/{thread_id}/messages", response_class=HTMLResponse)
def post_message(thread_id: str, page: PageDep) -> Response:
    case, _found, _participant = _opened(page)
    acc, thread = postable_thread(page, case.public_id, thread_id)

    def change(_ref: str) -> None:
        post_from_form(page, acc, thread, [])

    # Every thread has a message form: its field has the thread's id in its own.
    return _change(page, f"thread-{thread.id}", change, {"body": f"body-{thread.id}"})
