"""Threads: one case-wide conversation per case, and private ones between the coordinator
and a single participant.

A private thread is visible to the coordinator (and the operator) and to its one
participant only; to anyone else it does not exist (404). Posting notifies the other
people who can read the thread: members through :func:`clearinghouse.notify.service.notify_message`
(in-platform notice, e-mail now or in the digest), invited vendors without an account by
an e-mail to their contact address. Notifications say *that* something was posted,
never *what*: the message stays behind the login or the invitation link.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.cases import attachments as files
from clearinghouse.cases import notices
from clearinghouse.cases.guards import require_open
from clearinghouse.cases.ids import ordered_id
from clearinghouse.cases.models import Attachment, Case, Message, Participant, Thread, ThreadKind
from clearinghouse.cases.rules._text import clean_text
from clearinghouse.cases.timeline import CaseEventType, record_action
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.wording import CaseMessagePosted
from clearinghouse.principal import Principal
from clearinghouse.vocab import ParticipantRole

MAX_MESSAGE = 50_000
GENERAL_TITLE = "Case discussion"


def open_case_thread(
    session: Session, *, actor: Principal, case: Case, title: str, now: datetime
) -> Thread:
    clean = clean_text(title, field="title", max_len=200, required=True, single_line=True)
    thread = Thread(
        id=ordered_id(),
        case_id=case.id,
        kind=ThreadKind.CASE,
        participant_id=None,
        title=clean or GENERAL_TITLE,
        created_at=now,
        created_by_label=actor.label,
    )
    session.add(thread)
    session.flush()
    _opened(session, actor, case, thread, now)
    return thread


def private_thread(
    session: Session, *, actor: Principal, case: Case, participant: Participant, now: datetime
) -> tuple[Thread, bool]:
    """The private thread with ``participant`` (created on first use); ``True`` if new."""
    if participant.role is ParticipantRole.COORDINATOR:
        raise InvalidInput(
            "a private thread is with a participant other than the coordinator",
            field="participant_id",
        )
    found = session.scalars(
        select(Thread).where(
            Thread.case_id == case.id,
            Thread.kind == ThreadKind.PRIVATE,
            Thread.participant_id == participant.id,
        )
    ).first()
    if found is not None:
        return found, False
    thread = Thread(
        id=ordered_id(),
        case_id=case.id,
        kind=ThreadKind.PRIVATE,
        participant_id=participant.id,
        title=f"Coordinator and {participant.name}"[:200],
        created_at=now,
        created_by_label=actor.label,
    )
    session.add(thread)
    session.flush()
    _opened(session, actor, case, thread, now)
    return thread, True


def _opened(session: Session, actor: Principal, case: Case, thread: Thread, now: datetime) -> None:
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.THREAD_OPENED,
        now=now,
        data={"thread_id": str(thread.id), "kind": thread.kind.value},
        participant_id=thread.participant_id,
        audit_action="case.thread_opened",
    )


def get_thread(session: Session, case: Case, thread_id: uuid.UUID) -> Thread:
    thread = session.get(Thread, thread_id)
    if thread is None or thread.case_id != case.id:
        raise NotFound("no such thread in this case")
    return thread


def threads_visible(
    session: Session, case: Case, *, full: bool, participant_id: uuid.UUID | None
) -> list[Thread]:
    query = select(Thread).where(Thread.case_id == case.id)
    if not full:
        query = query.where(
            (Thread.kind == ThreadKind.CASE) | (Thread.participant_id == participant_id)
        )
    return list(session.scalars(query.order_by(Thread.id)))


def post(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    thread: Thread,
    author: Participant | None,
    body: str,
    uploads: Sequence[files.CheckedFile],
    now: datetime,
    base_url: str,
) -> tuple[Message, list[Attachment]]:
    require_open(case)
    text = clean_text(body, field="body", max_len=MAX_MESSAGE, required=True)
    message = Message(
        id=ordered_id(),
        thread_id=thread.id,
        case_id=case.id,
        author_user_id=actor.user_id,
        author_org_id=actor.org_id,
        author_participant_id=author.id if author else None,
        author_label=actor.label,
        body=text or "",
        created_at=now,
    )
    session.add(message)
    session.flush()
    stored = [
        files.store(
            session, f, now=now, by_label=actor.label, case_id=case.id, message_id=message.id
        )
        for f in uploads
    ]
    data: dict[str, Any] = {
        "thread_id": str(thread.id),
        "message_id": str(message.id),
        "author": actor.label,
        "attachments": [files.describe(a) for a in stored],
    }
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.MESSAGE_POSTED,
        now=now,
        data=data,
        participant_id=thread.participant_id,
        audit_action="case.message_posted",
        owner_org_id=case.coordinator_org_id,
    )
    _notify_readers(
        session,
        case=case,
        thread=thread,
        author=author,
        now=now,
        base_url=base_url,
        message_id=message.id,
        detail=f"{actor.label} wrote in case {case.public_id}:\n\n{message.body}",
    )
    return message, stored


def _notify_readers(
    session: Session,
    *,
    case: Case,
    thread: Thread,
    author: Participant | None,
    now: datetime,
    base_url: str,
    message_id: uuid.UUID,
    detail: str,
) -> None:
    readers = [
        p
        for p in session.scalars(
            select(Participant).where(
                Participant.case_id == case.id, Participant.removed_at.is_(None)
            )
        )
        if (author is None or p.id != author.id)
        and (
            thread.kind is ThreadKind.CASE
            or p.role is ParticipantRole.COORDINATOR
            or p.id == thread.participant_id
        )
    ]
    notices.tell_participants(
        session,
        case=case,
        participants=readers,
        message=CaseMessagePosted(case=case.public_id),
        link=f"/cases/{case.public_id}#thread-{thread.id}",
        now=now,
        base_url=base_url,
        key=f"{MessageKind.CASE_MESSAGE}:{message_id}",
        detail=detail,
    )


def messages(
    session: Session, thread: Thread, *, after: uuid.UUID | None, limit: int
) -> list[Message]:
    query = select(Message).where(Message.thread_id == thread.id)
    if after is not None:
        query = query.where(Message.id > after)
    return list(session.scalars(query.order_by(Message.id).limit(limit)))


def attachments_of(
    session: Session, message_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Attachment]]:
    if not message_ids:
        return {}
    out: dict[uuid.UUID, list[Attachment]] = {}
    for attachment in session.scalars(
        select(Attachment)
        .where(Attachment.message_id.in_(list(message_ids)))
        .order_by(Attachment.id)
    ):
        if attachment.message_id is not None:
            out.setdefault(attachment.message_id, []).append(attachment)
    return out
