"""The advisory editor: draft from a case, revise, read each revision's changes, preview
every rendition, schedule, publish, withdraw.

* ``/editor/advisories``: the drafts one may read (``GET /api/v1/advisories?state=draft``)
  and, for whoever may write advisories, "Draft from a case".
* ``/editor/advisories/{id}``: one advisory as its editor works on it: the revisions, the
  changes between two of them (``?from=&to=``, as ``/diff`` answers), the renditions to
  preview, and the forms the policy allows (revise; schedule or cancel; publish; withdraw).
* ``/editor/advisories/{id}/preview/{format}``: the rendition of the newest revision the
  caller may see, as the export answers it.

Reading asks ``advisory.read`` exactly as the API's reads do (the revisions, diffs and
exports a caller may see); each form asks ``advisory.write`` or ``advisory.publish``
through :mod:`clearinghouse.advisories.service` and :mod:`~clearinghouse.advisories.publish`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Final

from fastapi import Query
from pydantic import ValidationError
from starlette.responses import HTMLResponse, Response

from clearinghouse.advisories import drafting, publish, search, service
from clearinghouse.advisories.export import export
from clearinghouse.advisories.models import Advisory, AdvisoryState, RenditionFormat
from clearinghouse.advisories.render import RenderContext
from clearinghouse.advisories.schemas import DraftIn
from clearinghouse.api.deps import admitted_router
from clearinghouse.errors import ClearinghouseError, NotFound
from clearinghouse.formats.model import Tlp
from clearinghouse.policy import AdvisoryAction, can_advisory, require_advisory
from clearinghouse.timeutil import accepted
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import N_, FieldErrors, errors_of, validation_errors

router = admitted_router(include_in_schema=False)

BASE: Final = "/editor/advisories"
LIST_SIZE: Final = 50
PREVIEW_MAX: Final = 400_000  # characters of a rendition shown in the page
CASE_REF_MAX: Final = 40
NEED_CASE: Final = N_("Give the case's id, e.g. CH-2021-0001.")
NEED_TLP: Final = N_("Choose the marking: there is no default.")
NEED_REASON: Final = N_("Say why it is withdrawn.")
CHECK: Final = N_("Check this answer.")


def _can(page: Page, action: AdvisoryAction, advisory: Advisory | None = None) -> bool:
    facts = service.facts(page.session, advisory) if advisory is not None else None
    return can_advisory(page.principal, action, facts)


@router.get(BASE, response_class=HTMLResponse)
def drafts(page: PageDep) -> HTMLResponse:
    require_advisory(page.principal, AdvisoryAction.READ)
    return _drafts_page(page)


def _drafts_page(
    page: Page,
    *,
    errors: FieldErrors | None = None,
    case_ref: str = "",
    tlp: str = "",
    status: int = 200,
) -> HTMLResponse:
    found = search.readable_page(
        page.session,
        page.principal,
        search.Filters(state=AdvisoryState.DRAFT),
        size=LIST_SIZE,
    )
    return page.render(
        "editor_drafts.html",
        status=status,
        items=found.items,
        can_write=_can(page, AdvisoryAction.WRITE),
        errors=errors or FieldErrors(),
        case_ref=case_ref,
        tlp=tlp,
        tlps=list(Tlp),
    )


@router.post(BASE, response_class=HTMLResponse)
def draft_from_case(page: PageDep) -> Response:
    require_advisory(page.principal, AdvisoryAction.WRITE)  # before saying a case exists
    case_ref = page.field("case").strip()[:CASE_REF_MAX]
    tlp = next((t for t in Tlp if t.value == page.field("tlp")), None)
    errors = FieldErrors()
    if not case_ref:
        errors.add("case", page._(NEED_CASE))
    if tlp is None:
        errors.add("tlp", page._(NEED_TLP))
    if errors or tlp is None:
        return _drafts_page(page, errors=errors, case_ref=case_ref, tlp="", status=422)
    try:
        with page.attempt():
            case = drafting.case_of(page.session, case_ref)
            saved = drafting.draft_from_case(
                page.session,
                case,
                actor=page.principal,
                now=page.now(),
                publisher=service.platform_publisher(page.settings),
                tlp=tlp,
            )
    except NotFound:
        errors.add("case", page._(NEED_CASE))
        return _drafts_page(page, errors=errors, case_ref=case_ref, tlp=tlp.value, status=404)
    return page.redirect(f"{BASE}/{saved.advisory.public_id}")


def _pair(shown: list[int], before: int | None, after: int | None) -> tuple[int, int]:
    """The revisions to compare, both among those ``shown`` to the reader (ascending): the
    newest at or below ``after`` (else the newest), and the newest at or below ``before``
    (else the one before it). A hidden revision is never an end of the diff."""
    to = max((n for n in shown if n <= (after or shown[-1])), default=shown[0])
    below = [n for n in shown if n <= min(before, to)] if before else [n for n in shown if n < to]
    return (below[-1] if below else to), to


def _editor_page(
    page: Page,
    advisory: Advisory,
    *,
    before: int | None = None,
    after: int | None = None,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    newest = service.visible_revision(page.session, page.principal, advisory)
    doc = service.document(page.session, advisory, newest)
    shown = service.visible_revisions(page.session, page.principal, advisory)
    start, end = _pair([r.number for r in shown] or [newest], before, after)
    changes = service.diff(page.session, advisory, start, end) if start != end else []
    return page.render(
        "editor.html",
        status=status,
        advisory=advisory,
        document=doc,
        newest=newest,
        revisions=shown,
        changes=changes,
        diff_from=start,
        diff_to=end,
        formats=list(RenditionFormat),
        can_write=_can(page, AdvisoryAction.WRITE, advisory)
        and advisory.state is not AdvisoryState.WITHDRAWN,
        can_publish=_can(page, AdvisoryAction.PUBLISH, advisory),
        embargo_end=publish.embargo_end(page.session, advisory.case_id),
        errors=errors or FieldErrors(),
        tlps=list(Tlp),
        pretty=_pretty,
    )


def _pretty(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)


@router.get(BASE + "/{advisory_id}", response_class=HTMLResponse)
def editor(
    advisory_id: str,
    page: PageDep,
    from_: Annotated[int | None, Query(alias="from", ge=1, le=100_000)] = None,
    to: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> HTMLResponse:
    found = service.readable(page.session, page.principal, advisory_id[:100])
    return _editor_page(page, found, before=from_, after=to)


@router.post(BASE + "/{advisory_id}", response_class=HTMLResponse)
def revise(advisory_id: str, page: PageDep) -> Response:
    found = service.writable(page.session, page.principal, advisory_id[:100], AdvisoryAction.WRITE)
    values = {
        "title": page.field("title").strip() or None,
        "summary": page.field("summary").strip() or None,
        "tlp": page.field("tlp") or None,
        "revision_summary": page.field("revision_summary").strip()[:1000],
    }
    try:
        body = DraftIn.model_validate(values)
        with page.attempt():
            service.revise(page.session, found, body, actor=page.principal, now=page.now())
    except ValidationError as exc:
        return _editor_page(page, found, errors=validation_errors(page._, exc), status=422)
    except ClearinghouseError as exc:
        return _editor_page(page, found, errors=errors_of(page._, exc), status=exc.status)
    return page.redirect(f"{BASE}/{found.public_id}#changes")


@router.get(BASE + "/{advisory_id}/preview/{fmt}", response_class=HTMLResponse)
def preview(advisory_id: str, fmt: str, page: PageDep) -> HTMLResponse:
    found = service.readable(page.session, page.principal, advisory_id[:100])
    chosen = next((f for f in RenditionFormat if f.value == fmt), None)
    if chosen is None:
        raise NotFound("no such format")
    newest = service.visible_revision(page.session, page.principal, found)
    context = _render_context(page)
    problem = None
    text = ""
    try:
        text = _pretty(export(page.session, found, chosen, context, revision=newest))
    except ClearinghouseError as exc:
        problem = exc.detail
    return page.render(
        "editor_preview.html",
        advisory=found,
        fmt=chosen,
        revision=newest,
        text=text[:PREVIEW_MAX],
        cut=len(text) > PREVIEW_MAX,
        problem=problem,
    )


def _act(page: Page, advisory_id: str) -> Advisory:
    return service.writable(page.session, page.principal, advisory_id[:100], AdvisoryAction.PUBLISH)


def _local_instant(page: Page, text: str) -> datetime | None:
    """A browser's datetime-local value, read in the viewer's zone (None when empty);
    ``ValueError`` when it is not one, or not an instant the platform takes."""
    if not text.strip():
        return None
    local = datetime.fromisoformat(text.strip()[:40])
    return accepted(local if local.tzinfo else local.replace(tzinfo=page.viewer.zone))


def _release(page: Page, found: Advisory, change: Callable[[], object]) -> Response:
    """Make one release change in a savepoint; a refusal shows the editor with its reason."""
    try:
        with page.attempt():
            change()
    except ClearinghouseError as exc:
        return _editor_page(page, found, errors=errors_of(page._, exc), status=exc.status)
    return page.redirect(f"{BASE}/{found.public_id}")


def _refused(page: Page, found: Advisory, name: str, message: str) -> HTMLResponse:
    errors = FieldErrors()
    errors.add(name, page._(message))
    return _editor_page(page, found, errors=errors, status=422)


@router.post(BASE + "/{advisory_id}/schedule", response_class=HTMLResponse)
def schedule(advisory_id: str, page: PageDep) -> Response:
    found = _act(page, advisory_id)
    try:
        at = _local_instant(page, page.field("at"))
    except ValueError:
        return _refused(page, found, "at", CHECK)
    return _release(
        page,
        found,
        lambda: publish.schedule(page.session, found, actor=page.principal, now=page.now(), at=at),
    )


@router.post(BASE + "/{advisory_id}/unschedule", response_class=HTMLResponse)
def unschedule(advisory_id: str, page: PageDep) -> Response:
    found = _act(page, advisory_id)
    return _release(
        page,
        found,
        lambda: publish.unschedule(page.session, found, actor=page.principal, now=page.now()),
    )


@router.post(BASE + "/{advisory_id}/publish", response_class=HTMLResponse)
def publish_now(advisory_id: str, page: PageDep) -> Response:
    found = _act(page, advisory_id)
    summary = page.field("summary").strip()[:500]
    return _release(
        page,
        found,
        lambda: publish.publish(
            page.session,
            found,
            actor=page.principal,
            now=page.now(),
            render=_render_context(page),
            summary=summary,
        ),
    )


@router.post(BASE + "/{advisory_id}/withdraw", response_class=HTMLResponse)
def withdraw(advisory_id: str, page: PageDep) -> Response:
    found = _act(page, advisory_id)
    reason = page.field("reason").strip()[:1000]
    if not reason:
        return _refused(page, found, "reason", NEED_REASON)
    return _release(
        page,
        found,
        lambda: publish.withdraw(
            page.session,
            found,
            actor=page.principal,
            now=page.now(),
            reason=reason,
            render=_render_context(page),
        ),
    )


def _render_context(page: Page) -> RenderContext:
    return publish.render_context(page.settings.base_url, page.settings.platform_name)
