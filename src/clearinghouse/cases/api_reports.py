"""Reports over HTTP: public intake, following a report, lifecycle, triage, opening a case."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from clearinghouse.accounts.models import Organisation
from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.media import answers
from clearinghouse.api.pagination import Page, clamp_limit, issue_cursor, read_cursor
from clearinghouse.cases import attachments as files
from clearinghouse.cases import coordination, intake, report_messages, triage
from clearinghouse.cases.api_common import (
    download,
    max_attachment_bytes,
    multipart_openapi,
    read_body,
)
from clearinghouse.cases.models import Attachment, Case, Report, ReportDuplicate
from clearinghouse.cases.rules import reports as report_rules
from clearinghouse.cases.rules import ssvc
from clearinghouse.cases.schemas import (
    CaseSummaryOut,
    FinderKeyIn,
    FinderKeyOut,
    OpenCaseIn,
    ReportCreatedOut,
    ReportIn,
    ReportMessageIn,
    ReportMessageOut,
    ReportOut,
    ReportSummaryOut,
    TransitionIn,
    TriageHistoryOut,
    TriageIn,
    TriageOut,
    attachment_out,
    case_summary,
    report_message_out,
    report_out,
    triage_out,
)
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.policy import MISSING, CaseAction, can_case, require_case
from clearinghouse.principal import Via
from clearinghouse.vocab import OrgKind

router = admitted_router(prefix="/api/v1", tags=["reports"])


def _load(ctx: Ctx, report_id: uuid.UUID, action: CaseAction) -> Report:
    report = ctx.session.get(Report, report_id)
    if report is None:
        require_case(ctx.principal, action, MISSING)
        raise NotFound("no such report")
    require_case(ctx.principal, action, intake.facts(report))
    return report


def _out(ctx: Ctx, report: Report) -> ReportOut:
    operator = can_case(ctx.principal, CaseAction.REPORT_MANAGE, intake.facts(report))
    case_id = ctx.session.scalar(select(Case.public_id).where(Case.report_id == report.id))
    return report_out(
        report,
        case_public_id=case_id,
        history=intake.history(ctx.session, report),
        attachments=intake.attachments_of(ctx.session, report),
        operator=operator,
        duplicates=intake.duplicates_of(ctx.session, report) if operator else None,
        triage=triage.current(ctx.session, report) if operator else None,
    )


def _submit(ctx: Ctx, body: ReportIn, uploads: list[files.Upload]) -> JSONResponse:
    require_case(ctx.principal, CaseAction.REPORT_SUBMIT)
    done = intake.receive(
        ctx.session,
        actor=ctx.principal,
        body=body,
        uploads=uploads,
        now=ctx.now(),
        client=ctx.client,
        limit=ctx.settings.intake_max_per_hour,
        max_bytes=max_attachment_bytes(ctx.settings),
    )
    token = done.tracking_token
    out = ReportCreatedOut(
        id=done.report.id,
        status=done.report.status,
        received_at=done.report.received_at,
        tracking_token=token,
        tracking_url=f"{ctx.settings.base_url.rstrip('/')}/reports/track#{token}"
        if token
        else None,
        attachments=[
            attachment_out(a, f"/api/v1/reports/{done.report.id}") for a in done.attachments
        ],
    )
    return JSONResponse(
        out.model_dump(mode="json"), status_code=201, headers={"Cache-Control": "no-store"}
    )


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportCreatedOut,
    summary="Report a vulnerability (no account needed)",
    description="JSON, or multipart/form-data with a `report` field (JSON) and up to five "
    "`attachment` files (a proof of concept). Without an account the answer carries a "
    "tracking token, shown once: send it as `X-Report-Token` to follow the report.",
    openapi_extra=multipart_openapi("report", ReportIn),
)
async def submit_report(request: Request, ctx: CtxDep) -> JSONResponse:
    body, uploads = await read_body(
        request, ReportIn, json_field="report", max_bytes=max_attachment_bytes(ctx.settings)
    )
    response: JSONResponse = await run_in_threadpool(_submit, ctx, body, uploads)
    return response


@router.get(
    "/reports",
    response_model=Page[ReportSummaryOut],
    summary="Reports (operator: all; members: their own)",
)
def list_reports(
    ctx: CtxDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[ReportSummaryOut]:
    p = ctx.principal
    require_case(p, CaseAction.REPORT_LIST)
    n = clamp_limit(limit)
    after = read_cursor(ctx, cursor)
    rows = intake.visible_reports(
        ctx.session, p, status=status, after=_uuid(after[0]) if after else None, limit=n + 1
    )
    # Duplicate hints are for whoever triages the report.
    triaged = [r.id for r in rows[:n] if can_case(p, CaseAction.REPORT_MANAGE, intake.facts(r))]
    counts: dict[uuid.UUID, int] = dict.fromkeys(triaged, 0)
    if triaged:
        for rid in ctx.session.scalars(
            select(ReportDuplicate.report_id).where(ReportDuplicate.report_id.in_(triaged))
        ):
            counts[rid] += 1
    items = [
        ReportSummaryOut(
            id=r.id,
            status=r.status,
            title=r.title,
            product=r.product,
            received_at=r.received_at,
            likely_duplicates=counts.get(r.id),
        )
        for r in rows[:n]
    ]
    return Page(
        items=items, next_cursor=issue_cursor(ctx, [str(rows[n - 1].id)]) if len(rows) > n else None
    )


def _uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from None


@router.get(
    "/reports/tracked", response_model=ReportOut, summary="The report your X-Report-Token follows"
)
def tracked_report(ctx: CtxDep) -> ReportOut:
    p = ctx.principal
    if p.via is not Via.REPORT_TOKEN or p.grant is None:  # no token: nothing is followed
        require_case(p, CaseAction.REPORT_READ, MISSING)
        raise NotFound("send your tracking token as the X-Report-Token header")
    return _out(ctx, _load(ctx, uuid.UUID(p.grant), CaseAction.REPORT_READ))


@router.get("/reports/{report_id}", response_model=ReportOut)
def get_report(report_id: uuid.UUID, ctx: CtxDep) -> ReportOut:
    return _out(ctx, _load(ctx, report_id, CaseAction.REPORT_READ))


@router.get(
    "/reports/{report_id}/attachments/{attachment_id}",
    summary="Download an attachment",
    **answers("application/octet-stream"),
)
def report_attachment(report_id: uuid.UUID, attachment_id: uuid.UUID, ctx: CtxDep) -> Response:
    report = _load(ctx, report_id, CaseAction.REPORT_READ)
    attachment = ctx.session.get(Attachment, attachment_id)
    if attachment is None or attachment.report_id != report.id:
        raise NotFound("no such attachment")
    return download(attachment)


@router.get(
    "/reports/{report_id}/messages",
    response_model=list[ReportMessageOut],
    summary="Messages between the coordinator and the finder (before a case)",
)
def list_report_messages(report_id: uuid.UUID, ctx: CtxDep) -> list[ReportMessageOut]:
    report = _load(ctx, report_id, CaseAction.REPORT_READ)
    operator = can_case(ctx.principal, CaseAction.REPORT_MANAGE, intake.facts(report))
    return [
        report_message_out(m, operator=operator)
        for m in report_messages.messages(ctx.session, report)
    ]


@router.post(
    "/reports/{report_id}/messages",
    response_model=ReportMessageOut,
    status_code=201,
    summary="Write to the finder (coordinator) or to the coordinator (finder)",
)
def post_report_message(
    report_id: uuid.UUID, body: ReportMessageIn, ctx: CtxDep
) -> ReportMessageOut:
    report = _load(ctx, report_id, CaseAction.REPORT_MESSAGE)
    message = report_messages.post(
        ctx.session,
        actor=ctx.principal,
        report=report,
        body=body.body,
        now=ctx.now(),
        platform=ctx.settings.platform_name,
    )
    operator = can_case(ctx.principal, CaseAction.REPORT_MANAGE, intake.facts(report))
    return report_message_out(message, operator=operator)


@router.put(
    "/reports/{report_id}/key",
    response_model=FinderKeyOut,
    summary="The finder's OpenPGP key: replies e-mailed to it are encrypted",
)
def put_finder_key(report_id: uuid.UUID, body: FinderKeyIn, ctx: CtxDep) -> FinderKeyOut:
    report = _load(ctx, report_id, CaseAction.REPORT_KEY)
    fingerprint = report_messages.set_finder_key(
        ctx.session, actor=ctx.principal, report=report, armored=body.pgp_public_key, now=ctx.now()
    )
    return FinderKeyOut(fingerprint=fingerprint)


@router.post(
    "/reports/{report_id}/transitions",
    response_model=ReportOut,
    summary="Move a report along its lifecycle (with a reason)",
)
def transition_report(report_id: uuid.UUID, body: TransitionIn, ctx: CtxDep) -> ReportOut:
    report = _load(ctx, report_id, CaseAction.REPORT_MANAGE)
    intake.transition(
        ctx.session,
        actor=ctx.principal,
        report=report,
        to=report_rules.ReportState(body.to),
        reason=body.reason,
        now=ctx.now(),
        platform=ctx.settings.platform_name,
    )
    return _out(ctx, report)


@router.post(
    "/reports/{report_id}/triage",
    response_model=TriageOut,
    status_code=201,
    summary="Record the SSVC coordinator-triage decision (optionally overridden)",
)
def triage_report(report_id: uuid.UUID, body: TriageIn, ctx: CtxDep) -> TriageOut:
    report = _load(ctx, report_id, CaseAction.REPORT_MANAGE)
    override = (
        ssvc.Override(ssvc.TriageOutcome(body.override.outcome), body.override.reason)
        if body.override
        else None
    )
    record = triage.decide(
        ctx.session,
        actor=ctx.principal,
        report=report,
        points=dict(body.points),
        override=override,
        now=ctx.now(),
    )
    return triage_out(record)


@router.get("/reports/{report_id}/triage", response_model=TriageHistoryOut)
def get_triage(report_id: uuid.UUID, ctx: CtxDep) -> TriageHistoryOut:
    report = _load(ctx, report_id, CaseAction.REPORT_MANAGE)
    current = triage.current(ctx.session, report)
    return TriageHistoryOut(
        current=triage_out(current) if current else None,
        history=[triage_out(t) for t in triage.history(ctx.session, report)],
    )


@router.get("/triage/decision-points", summary="The SSVC decision points and their values")
def decision_points(ctx: CtxDep) -> list[dict[str, object]]:
    require_case(ctx.principal, CaseAction.REPORT_LIST)
    return [
        {
            "field": p.field,
            "id": p.ssvc_id,
            "name": p.name,
            "question": p.question,
            "values": [
                {"value": v.value, "key": v.key, "description": v.description} for v in p.values
            ],
        }
        for p in ssvc.describe_points()
    ]


@router.post(
    "/reports/{report_id}/case",
    response_model=CaseSummaryOut,
    status_code=201,
    summary="Open a case from a report triaged to coordinate",
)
def open_case_from_report(report_id: uuid.UUID, body: OpenCaseIn, ctx: CtxDep) -> CaseSummaryOut:
    report = _load(ctx, report_id, CaseAction.REPORT_MANAGE)
    require_case(ctx.principal, CaseAction.CASE_CREATE)
    if body.coordinator:
        org = ctx.session.scalars(
            select(Organisation).where(Organisation.slug == body.coordinator)
        ).first()
        if org is None or org.kind not in (OrgKind.OPERATOR, OrgKind.MEMBER):
            raise InvalidInput(
                f"no member organisation {body.coordinator!r} to coordinate", field="coordinator"
            )
    else:
        org = ctx.session.get(Organisation, ctx.principal.org_id) if ctx.principal.org_id else None
    if org is None:
        raise NotFound("the coordinating organisation is missing")
    case = coordination.start_case(
        ctx.session,
        actor=ctx.principal,
        coordinator=org,
        title=body.title,
        summary=body.summary,
        now=ctx.now(),
        report=report,
    )
    return case_summary(case)
