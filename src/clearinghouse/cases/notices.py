"""Telling participants that something happened, through the foundation's outbox.

* A participant organisation on the platform: each of its active users gets a
  notification (:func:`clearinghouse.notify.service.notify_users`: an in-platform notice
  and an e-mail now or in the daily digest), and its webhooks get a ``case.*`` event.
* A participant without an account (an invited vendor, a finder who left an address):
  one ``email.send`` job to its contact address.

What is sent says *what happened and where to look*, never embargoed detail: the
subject and body callers pass must be safe to e-mail. When an organisation registered
an OpenPGP key and the caller has detail worth sending, the detail travels encrypted to
that key (:mod:`clearinghouse.pgp`), appended to the body.

Everything is enqueued in the caller's transaction with idempotency keys, so a notice
exists exactly when the change that caused it was committed, and only once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Membership, Organisation, User
from clearinghouse.cases.models import Case, Participant
from clearinghouse.jobs.queue import enqueue
from clearinghouse.notify import compose
from clearinghouse.notify.handlers import KIND_SEND
from clearinghouse.notify.service import notify_users
from clearinghouse.notify.webhooks import emit_event

log = logging.getLogger("clearinghouse.cases")


def org_users(session: Session, org_id: uuid.UUID) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == org_id, User.is_active.is_(True))
            .order_by(User.email)
        )
    )


def operator_users(session: Session) -> list[User]:
    from clearinghouse.vocab import OrgKind

    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Organisation.kind == OrgKind.OPERATOR, User.is_active.is_(True))
            .order_by(User.email)
        )
    )


def encrypted_detail(org: Organisation, detail: str | None, now: datetime) -> str | None:
    """``detail`` encrypted to ``org``'s registered OpenPGP key; ``None`` without a key, or
    when the key cannot be used (expired, revoked): then the notice goes without detail."""
    if not detail or not org.pgp_public_key:
        return None
    from clearinghouse import pgp

    try:
        return pgp.encrypt(org.pgp_public_key, detail, at=now)
    except pgp.PgpError:
        log.warning(
            "organisation key unusable; notice sent without detail",
            extra={"organisation": org.slug},
        )
        return None


def email(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    now: datetime,
    key: str,
    platform: str = "Clearinghouse",
) -> None:
    """One plain e-mail to an address outside the platform (outbox, idempotent)."""
    enqueue(
        session,
        KIND_SEND,
        {"to": to, "subject": f"[{platform}] {subject}", "text": text},
        now=now,
        idempotency_key=f"{KIND_SEND}:{key}:{to}"[:300],
    )


def tell_participants(
    session: Session,
    *,
    case: Case,
    participants: Iterable[Participant],
    kind: str,
    subject: str,
    body: str,
    link: str,
    now: datetime,
    base_url: str,
    key: str,
    detail: str | None = None,
    event: dict[str, Any] | None = None,
    platform: str = "Clearinghouse",
) -> list[Participant]:
    """Notify each participant; returns those that were reached somehow."""
    reached: list[Participant] = []
    for participant in participants:
        if participant.org_id is not None:
            org = session.get(Organisation, participant.org_id)
            users = org_users(session, participant.org_id)
            if org is None:
                continue
            sealed = encrypted_detail(org, detail, now)
            text = (
                body if sealed is None else f"{body}\n\nDetail, encrypted to your key:\n\n{sealed}"
            )
            if users:
                notify_users(session, users, kind, subject, text, link, now, organisation_id=org.id)
                reached.append(participant)
            emit_event(
                session,
                org.id,
                kind,
                {"case": case.public_id, **(event or {})},
                now,
                event_id=f"msg_{uuid.uuid5(uuid.NAMESPACE_URL, key + str(org.id)).hex}",
            )
        elif participant.contact_email:
            url = compose.absolute_link(link, base_url)
            email(
                session,
                to=participant.contact_email,
                subject=subject,
                text=f"{body}\n\n{url or ''}".strip() + "\n",
                now=now,
                key=f"{key}:{participant.id}",
                platform=platform,
            )
            reached.append(participant)
    return reached
