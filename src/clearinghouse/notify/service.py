"""Notifying users: record in-platform notices, e-mail them now or in a daily digest.

``notify_users`` runs in the caller's transaction: the notices and the e-mail jobs
exist exactly when the change that caused them was committed (outbox). E-mails are
composed by the ``notify.email`` and ``notify.digest`` jobs, which enqueue ``email.send``
jobs in turn: every step is a database-only transaction, and only the last one talks
to the SMTP server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import NotifyMode, User
from clearinghouse.audit import service as audit
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.jobs.queue import enqueue
from clearinghouse.notify.compose import absolute_link
from clearinghouse.notify.gate import Gate, kept
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.models import Delivery, Notification
from clearinghouse.notify.reader import Reader, english
from clearinghouse.notify.wording import Message
from clearinghouse.policy import MessageFacts
from clearinghouse.principal import Principal
from clearinghouse.timeutil import ensure_utc

# Digests are sent from this hour of the day, in each user's own time zone.
DIGEST_HOUR = 8
KIND_EMAIL = "notify.email"
KIND_DIGEST = "notify.digest"
KIND_SEND = "email.send"  # one e-mail, composed: the only job that talks to SMTP
MAX_SUBJECT = 300
MAX_BODY = 20_000


def notify_users(
    session: Session,
    users: Iterable[User],
    kind: MessageKind,
    subject: str,
    body: str,
    link: str | None,
    now: datetime,
    *,
    about: MessageFacts,
    organisation_id: uuid.UUID | None = None,
    deliver_by: datetime | None = None,
    params: dict[str, Any] | None = None,
) -> list[Notification]:
    """Record one notification per (active, distinct) user the policy lets the message
    reach (:mod:`clearinghouse.notify.gate`) and, for users who want immediate e-mail,
    enqueue it. ``about``: what the message concerns. ``body`` must be safe to e-mail: no
    embargoed detail. ``deliver_by``: worth nothing later (a deadline alert): e-mailed at
    once whatever the user's digest preference, retried until then (``Job.deliver_by``).
    ``params``: the notice without words, for a kind :mod:`~clearinghouse.notify.wording`
    words (use :func:`notify_message`); ``subject`` and ``body`` are then its English.
    """
    subject = " ".join(subject.split())
    if not subject or len(subject) > MAX_SUBJECT:
        raise InvalidInput(f"a notification subject is 1-{MAX_SUBJECT} characters", field="subject")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"a notification body is at most {MAX_BODY} characters", field="body")
    now = ensure_utc(now)
    created: list[Notification] = []
    seen: set[uuid.UUID] = set()
    gate = Gate(session, now)
    for user in gate.users(users, about, organisation_id):
        if user.id in seen or not user.is_active:
            continue
        seen.add(user.id)
        digest = user.notify_mode is NotifyMode.DIGEST and deliver_by is None
        delivery = Delivery.DIGEST if digest else Delivery.IMMEDIATE
        notification = Notification(
            id=uuid.uuid4(),
            user_id=user.id,
            organisation_id=gate.told_as_member_of(user, organisation_id),
            kind=kind.value,
            subject=subject,
            body=body,
            params=params,
            link=link,
            delivery=delivery,
            **kept(about, ref="about_ref"),
            created_at=now,
        )
        session.add(notification)
        created.append(notification)
    session.flush()
    for notification in created:
        if notification.delivery is Delivery.IMMEDIATE:
            enqueue(
                session,
                KIND_EMAIL,
                {"notification_id": str(notification.id)},
                now=now,
                idempotency_key=f"{KIND_EMAIL}:{notification.id}",
                deliver_by=deliver_by,
            )
    return created


def notify_message(
    session: Session,
    users: Iterable[User],
    message: Message,
    link: str | None,
    now: datetime,
    *,
    about: MessageFacts,
    organisation_id: uuid.UUID | None = None,
    deliver_by: datetime | None = None,
) -> list[Notification]:
    """:func:`notify_users` with a message stored by its kind and parameters, worded for
    each reader when shown or e-mailed; its English wording (in UTC) is stored as the
    subject and body. ``link``: a platform path (``/members/alibaba-cloud``)."""
    stored = message.word(english())
    return notify_users(
        session,
        users,
        message.kind,
        stored.subject[:MAX_SUBJECT],
        stored.body[:MAX_BODY],
        link,
        now,
        about=about,
        organisation_id=organisation_id,
        deliver_by=deliver_by,
        params=message.params(),
    )


def email_address(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    now: datetime,
    key: str,
    about: MessageFacts,
    org_id: uuid.UUID | None = None,
    platform: str = "Clearinghouse",
) -> bool:
    """One plain e-mail to an address (an invited vendor, a finder without an account),
    through the gate like every channel; ``org_id``: the organisation the address speaks
    for, when known. Outbox and idempotent by ``key``. Returns whether it was enqueued."""
    if not Gate(session, ensure_utc(now)).may_reach_org(org_id, about):
        return False
    enqueue(
        session,
        KIND_SEND,
        {
            "to": to,
            "subject": f"[{platform}] {subject}",
            "text": text,
            # for the gate's second look, as the e-mail leaves (``handlers.send_email``)
            "about": kept(about),
            "org_id": str(org_id) if org_id is not None else None,
        },
        now=now,
        idempotency_key=f"{KIND_SEND}:{key}:{to}"[:300],
    )
    return True


def email_message(
    session: Session,
    *,
    to: str,
    message: Message,
    now: datetime,
    key: str,
    about: MessageFacts,
    reader: Reader | None = None,
    link: str | None = None,
    base_url: str = "",
    org_id: uuid.UUID | None = None,
    platform: str = "Clearinghouse",
) -> bool:
    """:func:`email_address` with ``message`` worded for ``reader``, and ``link`` (a
    platform path) under ``base_url`` after it. An address without an account has no
    saved language or zone: ``None`` words it in English in UTC."""
    reader = reader or english()
    text = message.word(reader)
    parts = [text.body.strip()]
    url = absolute_link(link, base_url)
    if url:
        parts.append(reader.gettext("Open: %(link)s", link=url))
    return email_address(
        session,
        to=to,
        subject=" ".join(text.subject.split())[:MAX_SUBJECT],
        text="\n\n".join(parts) + "\n",
        now=now,
        key=key,
        about=about,
        org_id=org_id,
        platform=platform,
    )


def list_notifications(
    session: Session,
    user_id: uuid.UUID,
    *,
    unread_only: bool = False,
    limit: int = 50,
    before: datetime | None = None,
) -> list[Notification]:
    """A user's notifications, newest first."""
    query = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(max(1, min(limit, 500)))
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.created_at < ensure_utc(before))
    return list(session.scalars(query))


def mark_read(
    session: Session, user_id: uuid.UUID, notification_ids: Iterable[uuid.UUID], now: datetime
) -> int:
    """Mark some of the user's notifications read; returns how many changed."""
    ids = list(notification_ids)
    if not ids:
        return 0
    result = session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.id.in_(ids),
            Notification.read_at.is_(None),
        )
        .values(read_at=ensure_utc(now))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_notify_mode(
    session: Session, *, actor: Principal, user_id: uuid.UUID, mode: NotifyMode, now: datetime
) -> User:
    """Change a user's preference. Notices already recorded keep their delivery: those
    waiting for a digest still go out in the next one."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    if user.notify_mode is mode:
        return user
    previous = user.notify_mode
    user.notify_mode = mode
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="user.notify_mode_changed",
        object_type="user",
        object_id=user.id,
        at=now,
        change={"from": previous.value, "to": mode.value},
    )
    return user


# ---- digests ---------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def digest_day_and_time(now: datetime, timezone: str) -> tuple[date, datetime]:
    """The user's local day at ``now``, and when that day's digest is due (UTC)."""
    zone = _zone(timezone)
    local = ensure_utc(now).astimezone(zone)
    due = datetime.combine(local.date(), time(DIGEST_HOUR), tzinfo=zone).astimezone(UTC)
    return local.date(), max(due, ensure_utc(now))


def schedule_digests(session: Session, now: datetime) -> int:
    """Enqueue today's digest job for every user with notices waiting for one.

    Idempotent (one key per user per local day), so every worker may run it every
    minute. Returns how many users have a digest job for today.
    """
    rows = session.execute(
        select(User.id, User.timezone)
        .join(Notification, Notification.user_id == User.id)
        .where(Notification.delivery == Delivery.DIGEST, Notification.digest_sent_at.is_(None))
        .distinct()
    ).all()
    for user_id, timezone in rows:
        day, due = digest_day_and_time(now, timezone)
        enqueue(
            session,
            KIND_DIGEST,
            {"user_id": str(user_id), "day": day.isoformat()},
            now=now,
            run_after=due,
            idempotency_key=f"{KIND_DIGEST}:{user_id}:{day.isoformat()}",
        )
    return len(rows)


def pending_digest(session: Session, user_id: uuid.UUID) -> list[Notification]:
    """The notices that the user's next digest will list, oldest first, locked on
    PostgreSQL so that two digest jobs cannot both take them."""
    return list(
        session.scalars(
            select(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.delivery == Delivery.DIGEST,
                Notification.digest_sent_at.is_(None),
            )
            .order_by(Notification.created_at, Notification.id)
            .with_for_update()
        )
    )
