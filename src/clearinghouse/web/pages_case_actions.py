"""The case page's forms for the parties' own part of a case, each through the API's
route function (so the policy is asked exactly as for the API):

* ``POST /cases/{ref}/statuses``: a vendor states its status for one vulnerability
  (``POST /api/v1/cases/{ref}/statuses``);
* ``POST /cases/{ref}/embargo/answer``: a party accepts or declines the proposed end or
  move (``/embargo/accept``, ``/embargo/reject``);
* ``POST /cases/{ref}/embargo/proposal``: a coordinator proposes an end, a local date and
  time in a zone (``/embargo/propose``);
* ``POST /cases/{ref}/embargo/activation``: a coordinator activates the proposal (or
  applies the move) without every answer, saying why (``/embargo/activate``).

A refusal shows the case page again with the form's errors and changes nothing (each
change is made in a savepoint); success goes back to the form's section.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from starlette.responses import HTMLResponse, Response

from clearinghouse.api.deps import admitted_router
from clearinghouse.cases import access
from clearinghouse.cases import api_collab as collab_api
from clearinghouse.cases.api_common import authorised_case
from clearinghouse.cases.schemas import EmbargoActivateIn, EmbargoProposeIn
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
    ref: str,
    anchor: str,
    change: Callable[[], object],
    fields: dict[str, str] | None = None,
) -> Response:
    """Make the change, then back to ``anchor``; or the page again with the errors, an
    error about one of ``fields`` on its field, any other on the form's section."""
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_READ)
    refusal = case_forms.refused(page, change, fields or {}, anchor)
    if refusal is None:
        return page.redirect(f"/cases/{acc.case.public_id}#{anchor}")
    errors, status = refusal
    return show_case(page, ref, None, errors=errors, status=status)


# Each route asks the policy what the API's route asks before it reads the form, so that
# whoever may not make the change is refused (403 or 404) whatever the form holds.


@router.post("/cases/{ref}/statuses", response_class=HTMLResponse)
def set_status(ref: str, page: PageDep) -> Response:
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_READ)
    own = acc.participant.id if acc.participant is not None else None
    access.with_target(page.session, page.principal, acc, CaseAction.CASE_VENDOR_STATUS, own)
    return _change(page, ref, "your-statuses", lambda: case_forms.set_status(page, ref))


@router.post("/cases/{ref}/embargo/answer", response_class=HTMLResponse)
def answer_embargo(ref: str, page: PageDep) -> Response:
    authorised_case(page.ctx, ref, CaseAction.CASE_EMBARGO_ANSWER)
    return _change(
        page,
        ref,
        "your-answer",
        lambda: case_forms.answer_embargo(page, ref),
        {"comment": "comment"},
    )


@router.post("/cases/{ref}/embargo/proposal", response_class=HTMLResponse)
def propose_embargo(ref: str, page: PageDep) -> Response:
    authorised_case(page.ctx, ref, CaseAction.CASE_EMBARGO_MANAGE)

    def change() -> object:
        body = EmbargoProposeIn.model_validate(
            {
                "ends_at": page.field("embargo_ends_at").strip()[:64],
                "timezone": page.field("embargo_timezone").strip()[:64],
            }
        )
        return collab_api.propose_embargo(ref, body, page.ctx)

    return _change(page, ref, "embargo", change, PROPOSAL_FIELDS)


@router.post("/cases/{ref}/embargo/activation", response_class=HTMLResponse)
def activate_embargo(ref: str, page: PageDep) -> Response:
    authorised_case(page.ctx, ref, CaseAction.CASE_EMBARGO_MANAGE)

    def change() -> object:
        body = EmbargoActivateIn.model_validate({"reason": page.field("reason").strip()[:2000]})
        return collab_api.activate_embargo(ref, body, page.ctx)

    return _change(page, ref, "embargo", change, {"reason": "reason"})
