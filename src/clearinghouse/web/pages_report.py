"""Reporting a vulnerability and following the report.

* ``/report``: the form (attachments, an optional OpenPGP key for replies); it posts to
  the same intake as ``POST /api/v1/reports``.
* ``/report/received``: the confirmation, showing the tracking token once (it travels
  from the post to this page in a cookie that the page deletes).
* ``/reports/track``: the finder's status page (status, messages, reply, key), opened by
  the tracking token exchanged for a short-lived cookie (:mod:`clearinghouse.web.links`).
* ``/reports`` and ``/reports/{id}``: the reports one may list (the operator: all; a
  member: its own) and one report with its messages, where the coordinator replies.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final

from fastapi import Query
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, Response

from clearinghouse.accounts.models import Organisation
from clearinghouse.api.deps import admitted_router
from clearinghouse.cases import attachments as files
from clearinghouse.cases import coordination, intake, report_messages, triage
from clearinghouse.cases.api_common import max_attachment_bytes
from clearinghouse.cases.models import Case, Report
from clearinghouse.cases.rules import reports as report_rules
from clearinghouse.cases.rules import ssvc
from clearinghouse.cases.schemas import ReportIn
from clearinghouse.errors import (
    ClearinghouseError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
)
from clearinghouse.policy import MISSING, CaseAction, can_case, require_case
from clearinghouse.principal import Via
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import N_, FieldErrors, errors_of, validation_errors
from clearinghouse.web.links import LINK_COOKIES, TOKEN_PARAM

router = admitted_router(include_in_schema=False)

ONCE_COOKIE: Final = "ch_once"
ONCE_PATH: Final = "/report/received"
ONCE_SECONDS: Final = 600
TRACK: Final = LINK_COOKIES["report"]
TEXT_FIELDS: Final = (
    "title",
    "product",
    "vendor",
    "affected_versions",
    "purl",
    "description",
    "impact",
    "disclosure_plans",
    "credit_as",
    "contact_email",
    "pgp_public_key",
)
CHOICES: Final = ("exploited", "already_public", "vendor_contacted", "credit_preference")
LIST_FIELDS: Final = ("references", "cves")
REQUIRED: Final = ("title", "product", "description")
MAX_LIST_INPUT: Final = 50_000


def _form_values(page: Page) -> dict[str, str]:
    return {name: page.field(name) for name in (*TEXT_FIELDS, *CHOICES, *LIST_FIELDS)}


def _document(values: dict[str, str]) -> dict[str, Any]:
    """The form's answers as the API's report body."""
    body: dict[str, Any] = {k: values[k] for k in TEXT_FIELDS if values[k].strip()}
    body.update({k: values[k] for k in CHOICES if values[k]})
    body["references"] = values["references"][:MAX_LIST_INPUT].split()
    body["cves"] = values["cves"][:MAX_LIST_INPUT].replace(",", " ").split()
    return body


def uploads_of(page: Page) -> list[files.Upload]:
    """The chosen files (a browser sends an empty part when none was chosen)."""
    form = page.presented.form
    if form is None:
        return []
    limit = max_attachment_bytes(page.settings)
    uploads = []
    for item in form.getlist("attachment"):
        if not isinstance(item, UploadFile) or not item.filename:
            continue
        data = item.file.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(
                f"{item.filename!r} is larger than {limit} bytes", field="attachment"
            )
        uploads.append(files.Upload(item.filename, data))
    return uploads


def _report_form(
    page: Page, values: dict[str, str], errors: FieldErrors | None = None, status: int = 200
) -> HTMLResponse:
    return page.render(
        "report.html",
        status=status,
        values=values,
        errors=errors or FieldErrors(),
        limits=report_rules.LIMITS,
        max_files=files.MAX_FILES_PER_UPLOAD,
        max_file_bytes=max_attachment_bytes(page.settings),
    )


@router.get("/report", response_class=HTMLResponse)
def report_form(page: PageDep) -> HTMLResponse:
    require_case(page.principal, CaseAction.REPORT_SUBMIT)
    empty = dict.fromkeys((*TEXT_FIELDS, *CHOICES, *LIST_FIELDS), "")
    return _report_form(page, empty)


@router.post("/report", response_class=HTMLResponse)
def submit_report(page: PageDep) -> Response:
    require_case(page.principal, CaseAction.REPORT_SUBMIT)
    values = _form_values(page)
    errors = FieldErrors()
    for name in REQUIRED:
        if not values[name].strip():
            errors.add(name, page._(_MISSING[name]))
    if errors:
        return _report_form(page, values, errors, status=422)
    try:
        body = ReportIn.model_validate(_document(values))
        with page.attempt():
            done = intake.receive(
                page.session,
                actor=page.principal,
                body=body,
                uploads=uploads_of(page),
                now=page.now(),
                client=page.ctx.client,
                limit=page.settings.intake_max_per_hour,
                max_bytes=max_attachment_bytes(page.settings),
                reader=intake.FinderReader(page.viewer.language.value, page.viewer.zone.key),
            )
    except ValidationError as exc:
        return _report_form(page, values, validation_errors(page._, exc), status=422)
    except (InvalidInput, PayloadTooLarge) as exc:
        return _report_form(page, values, errors_of(page._, exc), status=exc.status)
    once = done.tracking_token or f"report:{done.report.id}"
    page.keep(ONCE_COOKIE, once, max_age=ONCE_SECONDS, path=ONCE_PATH)
    if done.tracking_token:
        page.keep_link(TRACK, done.tracking_token)
    return page.redirect(ONCE_PATH)


_MISSING: Final = {
    "title": N_("Enter a short title for the vulnerability."),
    "product": N_("Enter the product (and component) that is affected."),
    "description": N_("Describe the vulnerability and how to reproduce it."),
}


@router.get(ONCE_PATH, response_class=HTMLResponse)
def received(page: PageDep) -> HTMLResponse:
    """The tracking token, once: the cookie that carried it here is deleted."""
    require_case(page.principal, CaseAction.REPORT_SUBMIT)
    once = page.request.cookies.get(ONCE_COOKIE, "")
    page.set_cookie(ONCE_COOKIE, "", path=ONCE_PATH)
    token = once if once.startswith("chr_") and len(once) <= TRACK.max_length else None
    report_id = once.removeprefix("report:") if once.startswith("report:") else None
    base = page.settings.base_url.rstrip("/")
    return page.render(
        "received.html",
        token=token,
        report_id=report_id,
        tracking_url=f"{base}{TRACK.path}#{token}" if token else None,
    )


# ---- the finder's status page ----------------------------------------------------------------


def _tracked(page: Page, action: CaseAction) -> Report:
    """The report the finder's tracking cookie opens (else: as for a missing report)."""
    p = page.principal
    report = None
    if p.via is Via.REPORT_TOKEN and p.grant is not None:
        report = page.session.get(Report, uuid.UUID(p.grant))
    if report is None:
        require_case(p, action, MISSING)
        raise NotFound("no such report")
    require_case(p, action, intake.facts(report))
    return report


def _token_form(page: Page, *, error: str | None = None, status: int = 200) -> HTMLResponse:
    return page.render("track_token.html", status=status, error=error)


def _exchange(page: Page, token: str) -> Response:
    token = token.strip()
    try:
        known = len(token) <= TRACK.max_length and intake.find_by_token(page.session, token)
    except Unauthenticated:  # not even shaped like a token
        known = None
    if not known:
        error = page._("This tracking token is not known. Check that you copied all of it.")
        return _token_form(page, error=error, status=401)
    page.keep_link(TRACK, token)
    return page.redirect(TRACK.path)


def _status_page(
    page: Page, report: Report, *, errors: FieldErrors | None = None, status: int = 200
) -> HTMLResponse:
    return _report_page(page, report, "track.html", errors=errors, status=status)


@router.get(TRACK.path, response_class=HTMLResponse)
def track(
    page: PageDep,
    token: Annotated[str | None, Query(alias=TOKEN_PARAM, max_length=500)] = None,
) -> Response:
    if token:
        return _exchange(page, token)
    if page.principal.via is not Via.REPORT_TOKEN:
        return _token_form(page)
    return _status_page(page, _tracked(page, CaseAction.REPORT_READ))


@router.post(TRACK.path, response_class=HTMLResponse)
def track_with_token(page: PageDep) -> Response:
    return _exchange(page, page.field(TOKEN_PARAM))


def _write(page: Page, report: Report) -> ClearinghouseError | None:
    """Post the form's message on ``report``; the error to show, if it was refused."""
    try:
        with page.attempt():
            report_messages.post(
                page.session,
                actor=page.principal,
                report=report,
                body=page.field("body"),
                now=page.now(),
                platform=page.settings.platform_name,
            )
    except ClearinghouseError as exc:
        return exc
    return None


@router.post(f"{TRACK.path}/messages", response_class=HTMLResponse)
def finder_writes(page: PageDep) -> Response:
    report = _tracked(page, CaseAction.REPORT_MESSAGE)
    refused = _write(page, report)
    if refused is not None:
        return _status_page(page, report, errors=errors_of(page._, refused), status=refused.status)
    return page.redirect(f"{TRACK.path}#messages")


@router.post(f"{TRACK.path}/key", response_class=HTMLResponse)
def finder_key(page: PageDep) -> Response:
    report = _tracked(page, CaseAction.REPORT_KEY)
    try:
        with page.attempt():
            report_messages.set_finder_key(
                page.session,
                actor=page.principal,
                report=report,
                armored=page.field("pgp_public_key"),
                now=page.now(),
            )
    except ClearinghouseError as exc:
        return _status_page(page, report, errors=errors_of(page._, exc), status=exc.status)
    return page.redirect(f"{TRACK.path}#key")


# ---- reports for those who may list them (the operator, a reporting member) -------------------

PAGE_SIZE: Final = 50


@router.get("/reports", response_class=HTMLResponse)
def reports(
    page: PageDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    require_case(page.principal, CaseAction.REPORT_LIST)
    rows = intake.visible_reports(
        page.session,
        page.principal,
        status=status or None,
        after=_uuid_or_none(after),
        limit=PAGE_SIZE + 1,
    )
    return page.render(
        "reports.html",
        items=rows[:PAGE_SIZE],
        next_after=str(rows[PAGE_SIZE - 1].id) if len(rows) > PAGE_SIZE else None,
        status_filter=status or "",
        states=list(report_rules.ReportState),
    )


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput("not a report id", field="after") from None


def _report(page: Page, report_id: str, action: CaseAction) -> Report:
    try:
        found = page.session.get(Report, uuid.UUID(report_id))
    except ValueError:
        found = None
    if found is None:
        require_case(page.principal, action, MISSING)
        raise NotFound("no such report")
    require_case(page.principal, action, intake.facts(found))
    return found


def _report_page(
    page: Page,
    report: Report,
    template: str = "report_view.html",
    *,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    """One report with its messages: the finder's status page or the report page."""
    facts = intake.facts(report)
    case = page.session.scalar(select(Case.public_id).where(Case.report_id == report.id))
    coordinator = can_case(page.principal, CaseAction.REPORT_MANAGE, facts)
    return page.render(
        template,
        status=status,
        report=report,
        case=case,
        history=intake.history(page.session, report),
        messages=report_messages.messages(page.session, report),
        attachments=intake.attachments_of(page.session, report),
        errors=errors or FieldErrors(),
        may_write=can_case(page.principal, CaseAction.REPORT_MESSAGE, facts),
        coordinator=coordinator,
        **(_coordinator_view(page, report) if coordinator else {}),
    )


def _coordinator_view(page: Page, report: Report) -> dict[str, Any]:
    """What only the coordinator sees (as ``GET /api/v1/reports/{id}`` answers it): the
    SSVC triage, the transitions, the likely duplicates."""
    current = triage.current(page.session, report)
    chosen = {p.field: page.field(p.field) for p in ssvc.describe_points()}
    return {
        "triage_current": current,
        "triage_points": ssvc.describe_points(),
        "triage_chosen": chosen,
        "targets": sorted(
            report_rules.allowed_targets(report_rules.ReportState(report.status)), key=str
        ),
        "duplicates": intake.duplicates_of(page.session, report),
    }


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_view(report_id: str, page: PageDep) -> HTMLResponse:
    return _report_page(page, _report(page, report_id, CaseAction.REPORT_READ))


@router.post("/reports/{report_id}/messages", response_class=HTMLResponse)
def write_on_report(report_id: str, page: PageDep) -> Response:
    report = _report(page, report_id, CaseAction.REPORT_MESSAGE)
    refused = _write(page, report)
    if refused is not None:
        return _report_page(page, report, errors=errors_of(page._, refused), status=refused.status)
    return page.redirect(f"/reports/{report.id}#messages")


# ---- the coordinator's triage ----------------------------------------------------------------


@router.post("/reports/{report_id}/triage", response_class=HTMLResponse)
def triage_report(report_id: str, page: PageDep) -> Response:
    report = _report(page, report_id, CaseAction.REPORT_MANAGE)
    points: dict[str, object] = {p.field: page.field(p.field) for p in ssvc.describe_points()}
    outcome = page.field("override_outcome")
    try:
        with page.attempt():
            override = None
            if outcome:
                try:
                    chosen = ssvc.TriageOutcome(outcome)
                except ValueError:
                    raise InvalidInput("not a triage outcome", field="override_outcome") from None
                override = ssvc.Override(chosen, page.field("override_reason")[:2000])
            triage.decide(
                page.session,
                actor=page.principal,
                report=report,
                points=points,
                override=override,
                now=page.now(),
            )
    except ClearinghouseError as exc:
        return _report_page(page, report, errors=errors_of(page._, exc), status=exc.status)
    return page.redirect(f"/reports/{report.id}#triage")


@router.post("/reports/{report_id}/transitions", response_class=HTMLResponse)
def transition_report(report_id: str, page: PageDep) -> Response:
    report = _report(page, report_id, CaseAction.REPORT_MANAGE)
    try:
        with page.attempt():
            try:
                to = report_rules.ReportState(page.field("to"))
            except ValueError:
                raise InvalidInput("choose the report's new status", field="to") from None
            intake.transition(
                page.session,
                actor=page.principal,
                report=report,
                to=to,
                reason=page.field("reason")[:2000],
                now=page.now(),
                platform=page.settings.platform_name,
            )
    except ClearinghouseError as exc:
        return _report_page(page, report, errors=errors_of(page._, exc), status=exc.status)
    return page.redirect(f"/reports/{report.id}#triage")


@router.post("/reports/{report_id}/case", response_class=HTMLResponse)
def open_case(report_id: str, page: PageDep) -> Response:
    report = _report(page, report_id, CaseAction.REPORT_MANAGE)
    require_case(page.principal, CaseAction.CASE_CREATE)
    org = page.session.get(Organisation, page.principal.org_id) if page.principal.org_id else None
    if org is None:
        raise NotFound("the coordinating organisation is missing")
    try:
        with page.attempt():
            case = coordination.start_case(
                page.session,
                actor=page.principal,
                coordinator=org,
                title=(page.field("title") or report.title)[:200],
                summary=page.field("summary")[:20_000],
                now=page.now(),
                report=report,
            )
    except ClearinghouseError as exc:
        return _report_page(page, report, errors=errors_of(page._, exc), status=exc.status)
    return page.redirect(f"/cases/{case.public_id}")
