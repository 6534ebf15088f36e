"""The embargo and the threads of a case over HTTP (and attachment downloads)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.media import answers
from clearinghouse.api.pagination import Page, clamp_limit, issue_cursor, read_cursor
from clearinghouse.cases import access, embargo_service, threads
from clearinghouse.cases import attachments as files
from clearinghouse.cases.access import CaseAccess
from clearinghouse.cases.api_cases import viewer_zone
from clearinghouse.cases.api_common import (
    authorised_case,
    download,
    max_attachment_bytes,
    multipart_openapi,
    read_body,
)
from clearinghouse.cases.models import Attachment, Message, Thread, ThreadKind
from clearinghouse.cases.rules import embargo as rules
from clearinghouse.cases.schemas import (
    EmbargoActivateIn,
    EmbargoAnswerIn,
    EmbargoExitIn,
    EmbargoOut,
    EmbargoProposeIn,
    MessageIn,
    MessageOut,
    ThreadIn,
    ThreadOut,
    embargo_out,
    message_out,
    thread_out,
)
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.policy import CaseAction, can_case
from clearinghouse.vocab import ParticipantRole

router = admitted_router(prefix="/api/v1", tags=["cases"])


def _embargo(ctx: Ctx, acc: CaseAccess, tz: str | None = None) -> EmbargoOut:
    value = embargo_service.value_of(ctx.session, acc.case)
    zone = viewer_zone(ctx, value.end.tz_name if value.end else None, tz)
    return embargo_out(
        value, viewer_zone=zone, answers=embargo_service.answers(ctx.session, acc.case, value)
    )


# ---- the embargo -----------------------------------------------------------------------------


@router.get(
    "/cases/{ref}/embargo",
    response_model=EmbargoOut,
    summary="The embargo, its end shown in your own time zone",
)
def get_embargo(
    ref: str,
    ctx: CtxDep,
    tz: Annotated[str | None, Query(max_length=64, description="IANA zone to render in")] = None,
) -> EmbargoOut:
    return _embargo(ctx, authorised_case(ctx, ref, CaseAction.CASE_READ), tz)


@router.post(
    "/cases/{ref}/embargo/propose",
    response_model=EmbargoOut,
    summary="Propose an end (an instant and its IANA zone); vendors accept or reject",
)
def propose_embargo(ref: str, body: EmbargoProposeIn, ctx: CtxDep) -> EmbargoOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_EMBARGO_MANAGE)
    end = embargo_service.parse_end(body.ends_at, body.timezone)
    embargo_service.propose(
        ctx.session, actor=ctx.principal, case=acc.case, by=acc.participant, end=end, now=ctx.now()
    )
    return _embargo(ctx, acc)


def _answer(ctx: Ctx, ref: str, body: EmbargoAnswerIn, accept: bool) -> EmbargoOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_EMBARGO_ANSWER)
    if acc.participant is None:
        raise InvalidInput("only participants of the case answer an embargo proposal")
    embargo_service.respond(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        by=acc.participant,
        accept=accept,
        comment=body.comment,
        now=ctx.now(),
    )
    return _embargo(ctx, acc)


@router.post(
    "/cases/{ref}/embargo/accept",
    response_model=EmbargoOut,
    summary="Accept the proposed end (or the proposed move)",
)
def accept_embargo(ref: str, body: EmbargoAnswerIn, ctx: CtxDep) -> EmbargoOut:
    return _answer(ctx, ref, body, True)


@router.post(
    "/cases/{ref}/embargo/reject",
    response_model=EmbargoOut,
    summary="Reject the proposed end (or move), saying why",
)
def reject_embargo(ref: str, body: EmbargoAnswerIn, ctx: CtxDep) -> EmbargoOut:
    return _answer(ctx, ref, body, False)


@router.post(
    "/cases/{ref}/embargo/activate",
    response_model=EmbargoOut,
    summary="Activate the proposal (or apply the move) without every vendor's answer",
)
def activate_embargo(ref: str, body: EmbargoActivateIn, ctx: CtxDep) -> EmbargoOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_EMBARGO_MANAGE)
    embargo_service.activate(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        by=acc.participant,
        reason=body.reason,
        now=ctx.now(),
    )
    return _embargo(ctx, acc)


@router.post(
    "/cases/{ref}/embargo/propose-move",
    response_model=EmbargoOut,
    summary="Propose moving the agreed end (earlier or later), with a reason",
)
def propose_move(ref: str, body: EmbargoProposeIn, ctx: CtxDep) -> EmbargoOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_EMBARGO_ANSWER)
    if not body.reason:
        raise InvalidInput("say why the end should move", field="reason")
    end = embargo_service.parse_end(body.ends_at, body.timezone)
    embargo_service.propose_move(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        by=acc.participant,
        end=end,
        reason=body.reason,
        now=ctx.now(),
    )
    return _embargo(ctx, acc)


@router.post(
    "/cases/{ref}/embargo/withdraw-move",
    response_model=EmbargoOut,
    summary="Drop a proposed move; the agreed end stays",
)
def withdraw_move(ref: str, body: EmbargoActivateIn, ctx: CtxDep) -> EmbargoOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_EMBARGO_MANAGE)
    embargo_service.withdraw_move(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        by=acc.participant,
        reason=body.reason,
        now=ctx.now(),
    )
    return _embargo(ctx, acc)


@router.post(
    "/cases/{ref}/embargo/exit",
    response_model=EmbargoOut,
    summary="End the embargo early (public disclosure, exploitation...) with evidence",
)
def exit_embargo(ref: str, body: EmbargoExitIn, ctx: CtxDep) -> EmbargoOut:
    acc = authorised_case(ctx, ref, CaseAction.CASE_EMBARGO_MANAGE)
    embargo_service.exit_early(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        by=acc.participant,
        category=rules.ExitCategory(body.category),
        evidence_url=body.evidence_url,
        evidence_text=body.evidence,
        occurred_at=body.occurred_at,
        now=ctx.now(),
    )
    return _embargo(ctx, acc)


# ---- threads ---------------------------------------------------------------------------------


@router.get(
    "/cases/{ref}/threads",
    response_model=list[ThreadOut],
    summary="The case thread, and the private threads you may read",
)
def list_threads(ref: str, ctx: CtxDep) -> list[ThreadOut]:
    acc = authorised_case(ctx, ref, CaseAction.CASE_THREAD_READ)
    full = can_case(ctx.principal, CaseAction.CASE_READ_ALL, acc.facts)
    rows = threads.threads_visible(
        ctx.session,
        acc.case,
        full=full,
        participant_id=acc.participant.id if acc.participant else None,
    )
    return [thread_out(t) for t in rows]


@router.post(
    "/cases/{ref}/threads",
    response_model=ThreadOut,
    status_code=201,
    summary="Open a case-wide thread, or the private thread with one participant",
)
def create_thread(ref: str, body: ThreadIn, ctx: CtxDep) -> ThreadOut:
    now = ctx.now()
    if body.kind == ThreadKind.CASE.value:
        acc = authorised_case(ctx, ref, CaseAction.CASE_THREAD_CREATE)
        thread = threads.open_case_thread(
            ctx.session,
            actor=ctx.principal,
            case=acc.case,
            title=body.title or threads.GENERAL_TITLE,
            now=now,
        )
        return thread_out(thread)
    acc = authorised_case(ctx, ref, CaseAction.CASE_READ)
    target = body.participant_id
    if target is None:
        if acc.participant is None or acc.participant.role is ParticipantRole.COORDINATOR:
            raise InvalidInput("name the participant of the private thread", field="participant_id")
        target = acc.participant.id
    access.with_target(ctx.session, ctx.principal, acc, CaseAction.CASE_THREAD_POST, target)
    participant = access.get_participant(ctx.session, acc.case, target)
    thread, _new = threads.private_thread(
        ctx.session, actor=ctx.principal, case=acc.case, participant=participant, now=now
    )
    return thread_out(thread)


def _thread(
    ctx: Ctx, ref: str, thread_id: uuid.UUID, action: CaseAction
) -> tuple[CaseAccess, Thread]:
    acc = authorised_case(ctx, ref, CaseAction.CASE_THREAD_READ)
    thread = threads.get_thread(ctx.session, acc.case, thread_id)
    access.with_target(ctx.session, ctx.principal, acc, action, thread.participant_id)
    return acc, thread


@router.get("/cases/{ref}/threads/{thread_id}/messages", response_model=Page[MessageOut])
def list_messages(
    ref: str,
    thread_id: uuid.UUID,
    ctx: CtxDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[MessageOut]:
    acc, thread = _thread(ctx, ref, thread_id, CaseAction.CASE_THREAD_READ)
    n = clamp_limit(limit)
    after = read_cursor(ctx, cursor)
    try:
        last = uuid.UUID(str(after[0])) if after else None
    except ValueError:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from None
    rows = threads.messages(ctx.session, thread, after=last, limit=n + 1)
    found = threads.attachments_of(ctx.session, [m.id for m in rows[:n]])
    return Page(
        items=[message_out(m, found.get(m.id, []), acc.case.public_id) for m in rows[:n]],
        next_cursor=issue_cursor(ctx, [str(rows[n - 1].id)]) if len(rows) > n else None,
    )


def _post(
    ctx: Ctx, ref: str, thread_id: uuid.UUID, body: MessageIn, uploads: list[files.Upload]
) -> JSONResponse:
    acc, thread = _thread(ctx, ref, thread_id, CaseAction.CASE_THREAD_POST)
    checked = files.check_all(uploads, max_bytes=max_attachment_bytes(ctx.settings))
    message, stored = threads.post(
        ctx.session,
        actor=ctx.principal,
        case=acc.case,
        thread=thread,
        author=acc.participant,
        body=body.body,
        uploads=checked,
        now=ctx.now(),
        base_url=ctx.settings.base_url,
    )
    out = message_out(message, stored, acc.case.public_id)
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


@router.post(
    "/cases/{ref}/threads/{thread_id}/messages",
    response_model=MessageOut,
    status_code=201,
    summary="Post a message (JSON, or multipart with a `message` field and `attachment` files)",
    openapi_extra=multipart_openapi("message", MessageIn),
)
async def post_message(
    ref: str, thread_id: uuid.UUID, request: Request, ctx: CtxDep
) -> JSONResponse:
    body, uploads = await read_body(
        request, MessageIn, json_field="message", max_bytes=max_attachment_bytes(ctx.settings)
    )
    response: JSONResponse = await run_in_threadpool(_post, ctx, ref, thread_id, body, uploads)
    return response


@router.get(
    "/cases/{ref}/attachments/{attachment_id}",
    summary="Download an attachment",
    **answers("application/octet-stream"),
)
def case_attachment(ref: str, attachment_id: uuid.UUID, ctx: CtxDep) -> Response:
    acc = authorised_case(ctx, ref, CaseAction.CASE_THREAD_READ)
    attachment = ctx.session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != acc.case.id or attachment.message_id is None:
        raise NotFound("no such attachment")
    message = ctx.session.get(Message, attachment.message_id)
    if message is None:
        raise NotFound("no such attachment")
    thread = threads.get_thread(ctx.session, acc.case, message.thread_id)
    access.with_target(
        ctx.session, ctx.principal, acc, CaseAction.CASE_THREAD_READ, thread.participant_id
    )
    return download(attachment)
