"""The operator's case work (a member or vendor sees its own part of the same pages).

* ``/cases``: the cases one takes part in (the operator: all), filtered by status.
* ``/cases/{ref}``: one case: vulnerabilities with CVSS and affected ranges, participants
  with notified and seen, the vendor status matrix, the embargo with its countdown and
  each party's answer, threads with attachments (post a message), the timeline picture,
  the clock board and the timeline; inviting a vendor by e-mail or adding an
  organisation (``POST /cases/{ref}/participants``), and the forms of
  ``pages_case_actions`` for whoever may use them.
* ``/cases/{ref}/timeline``: the timeline picture on its own, with its text alternative.
* ``/incidents/{ref}/board``: an incident's clock board (issue #15), drawn the same way.

Every read goes through the API's own route functions with the page's request context
(same transaction, same principal), so a page shows exactly what the API answers; ``at``
shows a case as at a past instant: the events that had happened by then and the
obligations evaluated then, with what is known now (the what-if view of
``GET /api/v1/obligations?at=``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, TypeAlias, TypeVar
from urllib.parse import urlencode

from fastapi import Query
from sqlalchemy import select
from starlette.responses import HTMLResponse, Response

from clearinghouse.accounts.models import MemberSanction, Organisation
from clearinghouse.advisories import service as advisory_service
from clearinghouse.advisories.models import Advisory
from clearinghouse.api.deps import admitted_router
from clearinghouse.api.pagination import MAX_LIMIT
from clearinghouse.cases import access, sharing, threads
from clearinghouse.cases import api_cases as cases_api
from clearinghouse.cases import api_collab as collab_api
from clearinghouse.cases import attachments as files
from clearinghouse.cases.access import CaseAccess
from clearinghouse.cases.api_common import authorised_case, max_attachment_bytes
from clearinghouse.cases.models import CaseStatus, Thread
from clearinghouse.cases.rules.embargo import ExitCategory
from clearinghouse.cases.schemas import CaseOut, EmbargoOut, EventOut, ParticipantOut, VendorIn
from clearinghouse.clocks.model import ObligationStatus
from clearinghouse.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from clearinghouse.incidents import api as incidents_api
from clearinghouse.policy import (
    AdvisoryAction,
    CaseAction,
    Decision,
    StandingAction,
    can_advisory,
    can_case,
    decide_standing,
    require_case,
)
from clearinghouse.standing import api as standing_api
from clearinghouse.timeutil import InstantOutOfRange, parse_accepted, parse_instant
from clearinghouse.vocab import EmbargoPhase, Language
from clearinghouse.web import case_forms, case_picture, display
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import FieldErrors
from clearinghouse.web.i18n import ENDONYMS
from clearinghouse.web.pages_report import uploads_of
from clearinghouse.web.words import EXIT_CATEGORIES

router = admitted_router(include_in_schema=False)

AtParam: TypeAlias = Annotated[str | None, Query(max_length=40)]
T = TypeVar("T")


def parse_at(value: str | None) -> datetime | None:
    """The ``at`` query parameter: an RFC 3339 instant in the range the platform takes (a
    malformed one, or one outside that range, is bad input)."""
    if not value:
        return None
    try:
        return parse_accepted(value)
    except InstantOutOfRange as exc:
        raise InvalidInput(f"at: {exc}", field="at") from None
    except ValueError:
        raise InvalidInput("at is not an RFC 3339 instant with a zone", field="at") from None


def _if_allowed(read: Callable[[], T]) -> T | None:
    """A section the principal may not read is left out (the API would refuse it)."""
    try:
        return read()
    except (Forbidden, NotFound, Unauthenticated):
        return None


# ---- the list --------------------------------------------------------------------------------


@router.get("/cases", response_class=HTMLResponse)
def cases(
    page: PageDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> HTMLResponse:
    # asked first, so a visitor is offered the sign-in page whatever the query holds
    require_case(page.principal, CaseAction.CASE_LIST)
    try:
        state = CaseStatus(status) if status else None
    except ValueError:
        raise InvalidInput("not a case status", field="status") from None
    found = cases_api.list_cases(page.ctx, state, cursor, None)
    return page.render(
        "cases.html",
        items=found.items,
        next_cursor=found.next_cursor,
        status_filter=status or "",
        states=list(CaseStatus),
    )


# ---- one case --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Matrix:
    """Vendor statuses: one row per vulnerability, one column per vendor participant."""

    vendors: list[Any]
    rows: list[tuple[Any, list[Any]]]  # (vulnerability, the status per vendor or None)


def _matrix(case: CaseOut) -> Matrix:
    vendors = [p for p in case.participants if p.role == "vendor"]
    current = {(s.vulnerability_id, s.participant_id): s for s in case.vendor_statuses}
    rows = [(v, [current.get((v.id, p.id)) for p in vendors]) for v in case.vulnerabilities]
    return Matrix(vendors, rows)


def _events(page: Page, ref: str, at: datetime | None) -> list[EventOut]:
    return cases_api.get_timeline(ref, page.ctx, None, MAX_LIMIT, at).items


def _board(page: Page, ref: str, at: datetime | None) -> dict[str, Any] | None:
    return _if_allowed(lambda: standing_api.case_board(ref, page.ctx, at))


def _advisories(page: Page, case_id: uuid.UUID, at: datetime) -> list[tuple[str, datetime]]:
    """Advisories published from the case by ``at`` that the principal may read."""
    rows = page.session.scalars(
        select(Advisory).where(Advisory.case_id == case_id, Advisory.published_at.is_not(None))
    )
    out = []
    for a in rows:
        if a.published_at is None or a.published_at > at:
            continue
        if can_advisory(
            page.principal, AdvisoryAction.READ, advisory_service.facts(page.session, a)
        ):
            out.append((a.public_id, a.published_at))
    return out


def _sanctions(page: Page, public_id: str, at: datetime) -> list[tuple[str, datetime, datetime]]:
    """Sanctions decided by ``at`` on this case's basis, of organisations whose standing
    the principal may read."""
    rows = page.session.execute(
        select(MemberSanction, Organisation.slug)
        .join(Organisation, Organisation.id == MemberSanction.org_id)
        .where(MemberSanction.decided_at <= at)
    )
    out = []
    for sanction, slug in rows:
        if (sanction.basis or {}).get("case") != public_id:
            continue
        allowed = decide_standing(page.principal, StandingAction.OBLIGATIONS_READ, sanction.org_id)
        if allowed is Decision.ALLOW:
            out.append((slug, sanction.starts_at, sanction.reassessment_at))
    return out


def _picture(
    page: Page,
    case: CaseOut,
    events: list[EventOut],
    board: dict[str, Any] | None,
    at: datetime,
    *,
    as_at: bool,
) -> tuple[str, list[case_picture.Fact]]:
    viewer = page.viewer
    windows = case_picture.windows(board or {}, viewer)
    marks = case_picture.marks(
        events,
        _advisories(page, case.id, at),
        _sanctions(page, case.public_id, at),
        viewer,
    )
    svg = case_picture.draw(
        windows,
        marks,
        at=at,
        as_at=as_at,
        title=page._("Timeline of %(case)s", case=case.public_id),
        viewer=viewer,
    )
    return svg, case_picture.facts(windows, marks, viewer)


def _threads(page: Page, ref: str) -> list[tuple[Any, list[Any]]]:
    listed = _if_allowed(lambda: collab_api.list_threads(ref, page.ctx))
    out = []
    for t in listed or []:
        messages = collab_api.list_messages(ref, t.id, page.ctx, None, MAX_LIMIT).items
        out.append((t, messages))
    return out


def _obligation_rows(board: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for o in (board or {}).get("obligations", []):
        due = o.get("due")
        rows.append({**o, "due_at": parse_instant(due) if isinstance(due, str) else None})
    return rows


def _acceptances(case: CaseOut, events: list[EventOut]) -> list[tuple[str, str, datetime]]:
    """Each party's answers to the embargo over time (an activated embargo clears the open
    proposal's answers; the timeline keeps them): (name, accepted|rejected, when)."""
    names = {str(p.id): p.name for p in case.participants}
    kinds = {"embargo_accepted": "accept", "embargo_rejected": "reject"}
    out = []
    for e in events:
        who = str(e.data.get("by") or e.participant_id or "")
        if e.type in kinds and who in names:
            out.append((names[who], kinds[e.type], e.occurred_at))
    return out


def remaining(embargo: EmbargoOut, now: datetime) -> timedelta | None:
    """The time left before the embargo's end; none once it has ended (an early exit
    keeps the end that had been agreed, which no longer counts down)."""
    end = embargo.ends_at
    if end is None or end <= now or embargo.state == EmbargoPhase.EXITED.value:
        return None
    return end - now


# What a refused form keeps of what was typed: its text fields and choices (each form of
# the case page names its fields apart, so one form's values never fill another's).
TYPED: Final = frozenset(
    {
        "organisation",
        "role",
        "org_response_days",
        "email",
        "name",
        "language",
        "timezone",
        "response_days",
        "statement",
        "comment",
        "embargo_ends_at",
        "embargo_timezone",
        "reason",
        "move_ends_at",
        "move_timezone",
        "move_reason",
        "withdraw_reason",
        "category",
        "evidence_url",
        "evidence",
    }
)


def _typed(page: Page) -> dict[str, str]:
    return {name: page.field(name) for name in TYPED if page.field(name)}


def show_case(
    page: Page,
    ref: str,
    at_text: str | None,
    *,
    errors: FieldErrors | None = None,
    status: int = 200,
    kept: dict[str, str] | None = None,
) -> HTMLResponse:
    """The case page; ``errors`` of a refused form, and what was typed in it (its fields
    in TYPED, and ``kept``, by field id). After adding a participant whose sharing the law
    may restrict, ``?warned=`` names it and the page words the warnings (``_warnings``)."""
    at = parse_at(at_text)
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_READ)
    # A GET reads as the API's GET does (a first read marks the case seen, in a write
    # transaction of its own); a form shown again after a POST only reads, inside the
    # POST's transaction (which holds the write lock a second transaction would wait for).
    if page.request.method == "GET":
        case = cases_api.get_case(ref, page.ctx, None, at)
    else:
        case = cases_api.case_view(page.ctx, acc, None, at)
    events = _events(page, ref, at)
    when = at or page.now()
    board = _board(page, ref, at)
    svg, facts = _picture(page, case, events, board, when, as_at=at is not None)
    # What the viewer may change here (never on a view of the past, never once the case is
    # closed): as a vendor, its status and statement; as a party, its answer to an open
    # proposal and a move of the agreed end; as a coordinator, the embargo's steps and the
    # participants (the forms post to web/pages_case_actions.py).
    changing = at is None and case.status == CaseStatus.OPEN.value
    own = case.your_participant_id
    phase = case.embargo.state
    may = functools.partial(can_case, page.principal, facts=acc.facts)
    mine = {s.vulnerability_id: s for s in case.vendor_statuses if s.participant_id == own}
    may_state = changing and case.your_role == "vendor" and may(CaseAction.CASE_VENDOR_STATUS)
    manages = changing and may(CaseAction.CASE_EMBARGO_MANAGE)
    manages_participants = changing and may(CaseAction.CASE_PARTICIPANTS)
    return page.render(
        "case.html",
        status=status,
        case=case,
        at=at,
        at_text=at_text or "",
        now=when,
        matrix=_matrix(case),
        threads=_threads(page, ref),
        may_post=can_case(page.principal, CaseAction.CASE_THREAD_POST, acc.facts),
        manages_participants=manages_participants,
        zones=display.zone_names(),
        own_rows=[(v, mine.get(v.id)) for v in case.vulnerabilities] if may_state else [],
        statuses=case_forms.STATUSES,
        justifications=case_forms.JUSTIFICATIONS,
        my_answer=next(
            (a for a in case.embargo.answers if a.get("participant_id") == str(own)), None
        ),
        may_answer=changing
        and own is not None
        and phase in ("proposed", "revising")
        and may(CaseAction.CASE_EMBARGO_ANSWER),
        may_propose=manages and phase in ("none", "proposed"),
        may_activate=manages and phase in ("proposed", "revising"),
        may_end_early=manages and phase in ("proposed", "active", "revising"),
        may_move=changing and phase == "active" and may(CaseAction.CASE_EMBARGO_ANSWER),
        may_withdraw_move=manages and phase == "revising",
        exit_choices=[c for c in EXIT_CATEGORIES if c is not ExitCategory.END_REACHED],
        own_statement=next((p.statement for p in case.participants if p.id == own), None),
        viewer_zone=page.viewer.zone.key,
        # each by its own name, in its own language
        invite_languages=[(lang.value, ENDONYMS[lang], lang.value) for lang in Language],
        events=events,
        board=board,
        obligations=_obligation_rows(board),
        picture=svg,
        facts=facts,
        acceptances=_acceptances(case, events),
        party_answers=[
            {**a, "at": parse_instant(a["at"]) if isinstance(a.get("at"), str) else None}
            for a in case.embargo.answers
        ],
        remaining=remaining(case.embargo, when),
        errors=errors or FieldErrors(),
        typed={**_typed(page), **(kept or {})} if errors else {},
        warnings=_warnings(page, acc, manages_participants),
        max_files=files.MAX_FILES_PER_UPLOAD,
        max_file_bytes=max_attachment_bytes(page.settings),
    )


# The case page after adding a participant whose sharing the law may restrict: which one
# (``?warned=<participant id>``); the page words the warnings again, for who may add.
WARNED: Final = "warned"


@router.get("/cases/{ref}", response_class=HTMLResponse)
def case_page(ref: str, page: PageDep, at: AtParam = None) -> HTMLResponse:
    return show_case(page, ref, at)


def _warnings(page: Page, acc: CaseAccess, managing: bool) -> list[dict[str, Any]]:
    """The legal warnings about the participant ``?warned=`` names, worded again (not
    recorded again: adding it did), for a viewer who may manage the participants."""
    named = page.request.query_params.get(WARNED)
    if not named or not managing or page.request.method != "GET":
        return []
    found = next(
        (p for p in access.participants_of(page.ctx.session, acc.case) if str(p.id) == named),
        None,
    )
    if found is None:
        return []
    return sharing.warnings_for(
        page.ctx.session,
        page.settings,
        actor=page.principal,
        case=acc.case,
        participant=found,
        now=page.now(),
        record=False,
    )


@router.get("/cases/{ref}/timeline", response_class=HTMLResponse)
def case_timeline(ref: str, page: PageDep, at: AtParam = None) -> HTMLResponse:
    when_at = parse_at(at)
    case = cases_api.get_case(ref, page.ctx)
    events = _events(page, ref, when_at)
    when = when_at or page.now()
    board = _board(page, ref, when_at)
    svg, facts = _picture(page, case, events, board, when, as_at=when_at is not None)
    return page.render(
        "case_timeline.html",
        case=case,
        at=when_at,
        at_text=at or "",
        picture=svg,
        facts=facts,
        events=events,
    )


def postable_thread(page: Page, ref: str, thread_id: str) -> tuple[CaseAccess, Thread]:
    """The thread a form posts to, asked of the policy as the API's route asks it."""
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_THREAD_READ)
    try:
        tid = uuid.UUID(thread_id)
    except ValueError:
        raise NotFound("no such thread in this case") from None
    thread = threads.get_thread(page.session, acc.case, tid)
    access.with_target(
        page.session, page.principal, acc, CaseAction.CASE_THREAD_POST, thread.participant_id
    )
    return acc, thread


def post_from_form(
    page: Page, acc: CaseAccess, thread: Thread, uploads: list[files.CheckedFile]
) -> None:
    """The form's ``body`` as a message in ``thread``, by the principal's participant."""
    body = page.field("body")
    if not body.strip():
        raise InvalidInput("write a message", field="body")
    threads.post(
        page.session,
        actor=page.principal,
        case=acc.case,
        thread=thread,
        author=acc.participant,
        body=body,
        uploads=uploads,
        now=page.now(),
        base_url=page.settings.base_url,
    )


@router.post("/cases/{ref}/threads/{thread_id}/messages", response_class=HTMLResponse)
def post_message(ref: str, thread_id: str, page: PageDep) -> Response:
    acc, thread = postable_thread(page, ref, thread_id)

    def change() -> None:
        checked = files.check_all(uploads_of(page), max_bytes=max_attachment_bytes(page.settings))
        post_from_form(page, acc, thread, checked)

    # Every thread has a message form: its fields have the thread's id in theirs.
    body, attachment = f"body-{thread.id}", f"attachment-{thread.id}"
    named = {"body": body, "attachment": attachment}
    refusal = case_forms.refused(page, change, named, f"thread-{thread.id}")
    if refusal is not None:
        errors, status = refusal
        kept = {body: page.field("body")}
        return show_case(page, ref, None, errors=errors, status=status, kept=kept)
    return page.redirect(f"/cases/{acc.case.public_id}#thread-{thread.id}")


def _days(page: Page, name: str) -> int:
    days_text = page.field(name).strip() or "7"
    if not days_text.isdigit() or not 1 <= int(days_text) <= 365:
        raise InvalidInput(page._("Give a number of days from 1 to 365."), field=name)
    return int(days_text)


# Each form's fields: an error about one of them is shown on it, any other on the form.
ORGANISATION_FORM: Final = ("organisation", "role", "org_response_days")
INVITE_FORM: Final = ("email", "name", "language", "timezone", "response_days")


def _organisation(page: Page) -> VendorIn:
    """The form adding an organisation on the platform (its short name, its role)."""
    days = _days(page, "org_response_days")
    slug = page.field("organisation").strip()
    if not slug:
        raise InvalidInput(page._("Give the organisation's short name."), field="organisation")
    role = page.field("role")
    if role not in ("vendor", "member"):
        raise InvalidInput(page._("Choose a role."), field="role")
    return VendorIn(organisation=slug[:64], role=role, response_days=days)


def _invitation(page: Page) -> VendorIn:
    """The invitation form's fields as the API takes them (each error names its field)."""
    days = _days(page, "response_days")
    email = page.field("email").strip()
    if not email:
        raise InvalidInput(page._("Give the address to invite."), field="email")
    language = page.field("language")
    if language not in {lang.value for lang in Language}:
        raise InvalidInput(page._("Choose a language."), field="language")
    return VendorIn(
        email=email[:320],
        name=page.field("name").strip()[:200] or None,
        role="vendor",
        response_days=days,
        language=Language(language),
        timezone=page.field("timezone").strip()[:64] or "UTC",
    )


@router.post("/cases/{ref}/participants", response_class=HTMLResponse)
def invite_vendor(ref: str, page: PageDep) -> Response:
    """A coordinator invites a vendor outside the platform by e-mail, choosing the
    language and zone its e-mail is written in, or (with ``organisation``) adds an
    organisation on the platform as a vendor or member
    (``POST /api/v1/cases/{ref}/participants``)."""
    acc = authorised_case(page.ctx, ref, CaseAction.CASE_PARTICIPANTS)
    on_platform = page.presented.form is not None and "organisation" in page.presented.form
    form, section = (
        (ORGANISATION_FORM, "add-organisation") if on_platform else (INVITE_FORM, "invite")
    )
    added: list[ParticipantOut] = []

    def change() -> None:
        party = _organisation(page) if on_platform else _invitation(page)
        added.append(cases_api.add_participant(ref, party, page.ctx))

    refusal = case_forms.refused(page, change, {name: name for name in form}, section)
    if refusal is not None:
        errors, status = refusal
        return show_case(page, ref, None, errors=errors, status=status)
    if added[0].warnings:  # added, and the law of a party may restrict it (audited): the
        # page says so (a redirect, so that a reload does not post again)
        where = f"/cases/{acc.case.public_id}?{urlencode({WARNED: str(added[0].id)})}"
        return page.redirect(f"{where}#sharing-warnings")
    return page.redirect(f"/cases/{acc.case.public_id}#participants")


# ---- an incident's clock board (issue #15) ----------------------------------------------------


@router.get("/incidents/{ref}/board", response_class=HTMLResponse)
def incident_board(ref: str, page: PageDep, at: AtParam = None) -> HTMLResponse:
    when_at = parse_at(at)
    board = incidents_api.incident_board(ref, page.ctx, when_at)
    incident = incidents_api.get_incident(ref, page.ctx)
    when = parse_instant(board["at"])
    viewer = page.viewer
    windows = case_picture.windows(board, viewer)
    marks = case_picture.incident_marks(board, viewer)
    svg = case_picture.draw(
        windows,
        marks,
        at=when,
        as_at=when_at is not None,
        title=page._("Clock board of %(incident)s", incident=incident.ref),
        viewer=viewer,
    )
    return page.render(
        "incident_board.html",
        incident=incident,
        board=board,
        obligations=_obligation_rows(board),
        at=when_at,
        at_text=at or "",
        picture=svg,
        facts=case_picture.facts(windows, marks, viewer),
        statuses=[s.value for s in ObligationStatus],
    )
