"""What a vendor's forms post, as the API's route functions take it: its status for one
vulnerability and its answer to an embargo proposal. The case page (``/cases/{ref}``) and
an invited vendor's page (``/invitation``) post the same fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from pydantic import ValidationError

from clearinghouse.cases import api_cases as cases_api
from clearinghouse.cases import api_collab as collab_api
from clearinghouse.cases.schemas import EmbargoAnswerIn, EmbargoOut, StatusIn
from clearinghouse.errors import ClearinghouseError, InvalidInput
from clearinghouse.formats.model import Justification
from clearinghouse.web.context import Page
from clearinghouse.web.forms import FieldErrors, errors_of, validation_errors

# The statuses a vendor states (``not_yet_assessed`` is what no statement means).
STATUSES: Final = ("unknown", "under_investigation", "affected", "not_affected", "fixed")
JUSTIFICATIONS: Final = tuple(j.value for j in Justification)


def set_status(page: Page, ref: str) -> object:
    """The status form's vulnerability, status, justification and fixed version."""
    body = StatusIn.model_validate(
        {
            "vulnerability_id": page.field("vulnerability_id")[:100],
            "status": page.field("status")[:40],
            "justification": page.field("justification")[:80] or None,
            "fixed_version": page.field("fixed_version").strip()[:200] or None,
        }
    )
    return cases_api.set_status(ref, body, page.ctx)


def answer_embargo(page: Page, ref: str) -> EmbargoOut:
    """The answer form's ``answer`` (accept or reject) with its comment."""
    answer = page.field("answer")
    body = EmbargoAnswerIn.model_validate({"comment": page.field("comment").strip() or None})
    if answer == "accept":
        return collab_api.accept_embargo(ref, body, page.ctx)
    if answer == "reject":
        return collab_api.reject_embargo(ref, body, page.ctx)
    raise InvalidInput("answer accept or reject", field="answer")


def refused(
    page: Page, change: Callable[[], object], fields: dict[str, str], section: str
) -> tuple[FieldErrors, int] | None:
    """Make ``change`` in a savepoint; when it is refused, the form's errors and the
    status to answer with (an error about one of ``fields`` goes to the page's field of
    that name, any other to the form's ``section``). A refusal to the principal itself
    (401, 403, 404) is raised: it is the page's own answer, not the form's."""
    try:
        with page.attempt():
            change()
    except ValidationError as exc:
        errors, status = validation_errors(page._, exc), 422
    except ClearinghouseError as exc:
        if exc.status in (401, 403, 404):
            raise
        errors, status = errors_of(page._, exc), exc.status
    else:
        return None
    placed = FieldErrors()
    for item in errors.items:
        placed.add(fields.get(item.field, section), item.message, item.detail)
    return placed, status
