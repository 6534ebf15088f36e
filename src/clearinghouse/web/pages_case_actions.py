"""The case page's forms for the parties' own part of a case, each through the API's
route function (so the policy is asked exactly as for the API):

* ``POST /cases/{ref}/statuses``: a vendor states its status for one vulnerability
  (``POST /api/v1/cases/{ref}/statuses``);
* ``POST /cases/{ref}/embargo/answer``: a party accepts or declines the proposed end or
  move (``/embargo/accept``, ``/embargo/reject``);
* ``POST /cases/{ref}/embargo/proposal``: a coordinator proposes an end, a local date and
  time in a zone (``/embargo/propose``);
* ``POST /cases/{ref}/embargo/activation``: a coordinator activates the proposal (or
  applies the move) without every answer, saying why (``/embargo/activate``);
* ``POST /cases/{ref}/embargo/move``: a party proposes moving the agreed end, saying
  why (``/embargo/propose-move``); the parties answer it as a proposal;
* ``POST /cases/{ref}/embargo/move-withdrawal``: a coordinator drops a proposed move,
  saying why; the agreed end stays (``/embargo/withdraw-move``);
* ``POST /cases/{ref}/embargo/exit``: a coordinator ends the embargo early, saying why
  and, for a disclosure or exploitation seen, with evidence (``/embargo/exit``);
* ``POST /cases/{ref}/statement``: a vendor's statement on the case
  (``PUT /api/v1/cases/{ref}/statement``);
* ``POST /cases/{ref}/participants/{id}/deadline``: a coordinator restarts a vendor's
  response clock, ``days`` from now (``/participants/{id}/deadline``);
* ``POST /cases/{ref}/participants/{id}/removal``: a coordinator removes a participant
  (``DELETE /api/v1/cases/{ref}/participants/{id}``).

A refusal shows the case page again with the form's errors and changes nothing (each
change is made in a savepoint); success goes back to the form's section.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Final

from starlette.responses import HTMLResponse, Response

from clearinghouse.api.deps import admitted_router
from clearinghouse.cases import access
from clearinghouse.cases import api_cases as cases_api
from clearinghouse.cases import api_collab as collab_api
from clearinghouse.cases.access import CaseAccess
from clearinghouse.cases.api_common import authorised_case
from clearinghouse.cases.schemas import (
    DeadlineIn,
    EmbargoActivateIn,
    EmbargoExitIn,
    EmbargoProposeIn,
    StatementIn,
)
from clearinghouse.errors import NotFound
from clearinghouse.policy import CaseAction
from clearinghouse.web import case_forms
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.pages_cases import show_case

router = admitted_router(include_in_schema=False)

# The proposal's fields have names of their own on the case page (its invitation form
# has a ``timezone`` too); the API's errors name its own fields.
PROPOSAL_FIELDS: Final = {"ends_at": "embargo_ends_at", "timezone": "embargo_timezone"}


def _change(
    page: Page,
    acc: CaseAccess,
    anchor: str,
    change: Callable[[], object],
    fields: dict[str, str] | None = None,
) -> Response:
    """Make the change on the case the route authorised (``acc``), then back to
    ``anchor``; or the page again with the errors, an error about one of ``fields`` on
    its field, any other on the form's section."""
    ref = acc.case.public_id
    refusal = case_forms.refused(page, change, fields or {}, anchor)
    if refusal is None:
        return page.redirect(f"/cases/{ref}#{anchor}")
    errors, status = refusal
    return show_case(page, ref, None, errors=errors, status=status)


def _end(page: Page, form: str) -> dict[str, str]:
    """An end as a form gives it: ``{form}_ends_at``, a local date and time, and the zone
    it is read in, ``{form}_timezone``."""
    return {
        "ends_at": page.field(f"{form}_ends_at").strip()[:64],
        "timezone": page.field(f"{form}_timezone").strip()[:64],
    }


# Each route asks the policy what the API's route asks before it reads the form, so that
# whoever may not make the change is refused (403 or 404) whatever the form holds.


@router.post("/cases/{ref}/statuses", response_class=HTMLResponse)
def set_status(ref: str, page: PageDep) -> Response:
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_READ)
    own = acc.participant.id if acc.participant is not None else None
    access.with_target(page.session, page.principal, acc, CaseAction.CASE_VENDOR_STATUS, own)
    return _change(page, acc, "your-statuses", lambda: case_forms.set_status(page, ref))


@router.post("/cases/{ref}/embargo/answer", response_class=HTMLResponse)
def answer_embargo(ref: str, page: PageDep) -> Response:
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_EMBARGO_ANSWER)
    return _change(
        page,
        acc,
        "your-answer",
        lambda: case_forms.answer_embargo(page, ref),
        {"comment": "comment"},
    )


@router.post("/cases/{ref}/embargo/proposal", response_class=HTMLResponse)
def propose_embargo(ref: str, page: PageDep) -> Response:
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_EMBARGO_MANAGE)

    def change() -> object:
        body = EmbargoProposeIn.model_validate(_end(page, "embargo"))
        return collab_api.propose_embargo(ref, body, page.ctx)

    return _change(page, acc, "embargo", change, PROPOSAL_FIELDS)


@router.post("/cases/{ref}/embargo/activation", response_class=HTMLResponse)
def activate_embargo(ref: str, page: PageDep) -> Response:
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_EMBARGO_MANAGE)

    def change() -> object:
        body = EmbargoActivateIn.model_validate({"reason": page.field("reason").strip()[:2000]})
        return collab_api.activate_embargo(ref, body, page.ctx)

    return _change(page, acc, "embargo", change, {"reason": "reason"})


# The move's fields, named apart from the proposal's and the activation's on the page.
MOVE_FIELDS: Final = {
    "ends_at": "move_ends_at",
    "timezone": "move_timezone",
    "reason": "move_reason",
}


@router.post("/cases/{ref}/embargo/move", response_class=HTMLResponse)
def propose_move(ref: str, page: PageDep) -> Response:
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_EMBARGO_ANSWER)

    def change() -> object:
        reason = page.field("move_reason").strip()[:2000] or None
        body = EmbargoProposeIn.model_validate({**_end(page, "move"), "reason": reason})
        return collab_api.propose_move(ref, body, page.ctx)

    return _change(page, acc, "move-end", change, MOVE_FIELDS)


@router.post("/cases/{ref}/embargo/move-withdrawal", response_class=HTMLResponse)
def withdraw_move(ref: str, page: PageDep) -> Response:
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_EMBARGO_MANAGE)

    def change() -> object:
        reason = page.field("withdraw_reason").strip()[:2000]
        return collab_api.withdraw_move(
            ref, EmbargoActivateIn.model_validate({"reason": reason}), page.ctx
        )

    return _change(page, acc, "embargo", change, {"reason": "withdraw_reason"})


@router.post("/cases/{ref}/embargo/exit", response_class=HTMLResponse)
def exit_embargo(ref: str, page: PageDep) -> Response:
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_EMBARGO_MANAGE)

    def change() -> object:
        body = EmbargoExitIn.model_validate(
            {
                "category": page.field("category")[:40],
                "evidence_url": page.field("evidence_url").strip()[:2000] or None,
                "evidence": page.field("evidence").strip()[:2000] or None,
            }
        )
        return collab_api.exit_embargo(ref, body, page.ctx)

    fields = {"category": "category", "evidence_url": "evidence_url", "evidence": "evidence"}
    return _change(page, acc, "end-early", change, fields)


@router.post("/cases/{ref}/statement", response_class=HTMLResponse)
def set_statement(ref: str, page: PageDep) -> Response:
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_READ)
    own = acc.participant.id if acc.participant is not None else None
    access.with_target(page.session, page.principal, acc, CaseAction.CASE_VENDOR_STATUS, own)

    def change() -> object:
        text = page.field("statement").strip()
        body = StatementIn.model_validate({"statement": text or None})
        return cases_api.set_statement(ref, body, page.ctx)

    return _change(page, acc, "your-statement", change, {"statement": "statement"})


def _participant(page: Page, ref: str, participant_id: str) -> tuple[CaseAccess, uuid.UUID]:
    """The case, asked for ``case.participants``, and the participant the form's path
    names (an id that is not one is no participant of the case: 404, as the API's path
    says)."""
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_PARTICIPANTS)
    try:
        return acc, uuid.UUID(participant_id)
    except ValueError:
        raise NotFound("no such participant in this case") from None


@router.post("/cases/{ref}/participants/{participant_id}/deadline", response_class=HTMLResponse)
def restart_clock(ref: str, participant_id: str, page: PageDep) -> Response:
    acc, target = _participant(page, ref, participant_id)

    def change() -> object:
        days = page.field("days").strip()[:6]
        body = DeadlineIn.model_validate({"days": days})
        return cases_api.set_deadline(ref, target, body, page.ctx)

    return _change(page, acc, "participants", change, {"days": f"days-{target}"})


@router.post("/cases/{ref}/participants/{participant_id}/removal", response_class=HTMLResponse)
def remove_participant(ref: str, participant_id: str, page: PageDep) -> Response:
    acc, target = _participant(page, ref, participant_id)
    return _change(
        page, acc, "participants", lambda: cases_api.remove_participant(ref, target, page.ctx)
    )
