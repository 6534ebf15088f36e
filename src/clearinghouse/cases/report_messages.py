"""Messages between the coordinator and a report's finder, before any case exists, and the
finder's OpenPGP key for replies.

The finder may be anonymous (a tracking token) or a member that reported; the coordinator
is the operator. Each message is recorded on the report's timeline and audited in the
caller's transaction, and the other side is told through the gated channels:

* the coordinator wrote: a member finder's users get a notification (and its e-mail); an
  anonymous finder who left an address gets one e-mail, carrying the reply encrypted to
  the finder's OpenPGP key when one was given, else only the news and the tracking page
  (the reply itself is read there, behind the token);
* the finder wrote: the operator's users get a notification, never the text itself.

Once a case is opened from the report, its threads take over: a message here is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearinghouse import pgp
from clearinghouse.accounts.models import User
from clearinghouse.cases import intake
from clearinghouse.cases.models import Case, Report, ReportAuthor, ReportMessage
from clearinghouse.cases.notices import operator_users
from clearinghouse.cases.rules._text import clean_text
from clearinghouse.cases.timeline import CaseEventType, record_report_action
from clearinghouse.errors import Conflict
from clearinghouse.notify.service import email_message, notify_message
from clearinghouse.notify.wording import COORDINATOR, FINDER, ReportMessagePosted, Sealed
from clearinghouse.policy import MessageFacts, Sensitivity
from clearinghouse.principal import Principal
from clearinghouse.timeutil import ensure_utc

MESSAGE_MAX: Final = 20_000
MESSAGES_MAX: Final = 500  # per report: a conversation, not a mailbox
_OWN: Final = MessageFacts(Sensitivity.OWN_RECORD)


def messages(session: Session, report: Report) -> list[ReportMessage]:
    return list(
        session.scalars(
            select(ReportMessage)
            .where(ReportMessage.report_id == report.id)
            .order_by(ReportMessage.created_at, ReportMessage.id)
        )
    )


def _check_body(body: str) -> str:
    return clean_text(body, field="body", max_len=MESSAGE_MAX, required=True) or ""


def post(
    session: Session,
    *,
    actor: Principal,
    report: Report,
    body: str,
    now: datetime,
    platform: str = "Clearinghouse",
) -> ReportMessage:
    """Record a message on ``report`` from ``actor`` (the operator writes as the
    coordinator, anyone else the policy let through as the finder); tell the other side.
    Flushes; the caller commits."""
    now = ensure_utc(now)
    text = _check_body(body)
    case = session.scalar(select(Case.public_id).where(Case.report_id == report.id))
    if case is not None:
        raise Conflict(f"case {case} was opened from this report: write in the case's thread")
    count = session.scalar(
        select(func.count()).select_from(ReportMessage).where(ReportMessage.report_id == report.id)
    )
    if (count or 0) >= MESSAGES_MAX:
        raise Conflict(f"a report holds at most {MESSAGES_MAX} messages")
    author = ReportAuthor.COORDINATOR if actor.is_operator else ReportAuthor.FINDER
    message = ReportMessage(
        report_id=report.id,
        author=author,
        author_user_id=actor.user_id,
        author_label=actor.label,
        body=text,
        created_at=now,
    )
    session.add(message)
    session.flush()
    record_report_action(
        session,
        actor=actor,
        report=report,
        type=CaseEventType.REPORT_MESSAGE_POSTED,
        now=now,
        data={"message_id": str(message.id), "author": author.value},
        audit_action="report.message",
    )
    if author is ReportAuthor.COORDINATOR:
        _tell_finder(session, report, message, now, platform)
    else:
        _tell_coordinator(session, report, now)
    return message


def _tell_finder(
    session: Session, report: Report, message: ReportMessage, now: datetime, platform: str
) -> None:
    """A member finder: a notice in its users' saved language. A finder without an
    account: an e-mail in English (the report does not record the language of the page it
    was sent from), with the reply encrypted to its OpenPGP key when it gave one."""
    if report.reporter_user_id is not None:
        user = session.get(User, report.reporter_user_id)
        if user is not None:
            notify_message(
                session,
                [user],
                ReportMessagePosted(report=str(report.id), author=COORDINATOR),
                f"/reports/{report.id}",
                now,
                about=_OWN,
                organisation_id=report.reporter_org_id,
            )
        return
    if not report.contact_email:
        return
    told = ReportMessagePosted(report=str(report.id), author=COORDINATOR, tracked=True)
    sealed = _sealed(report, message.body, now)
    email_message(
        session,
        to=report.contact_email,
        message=told if sealed is None else Sealed(told, sealed),
        now=now,
        key=f"report.message:{message.id}",
        about=_OWN,
        reader=intake.finder_reader(report),
        platform=platform,
    )


def _sealed(report: Report, body: str, now: datetime) -> str | None:
    """The reply encrypted to the finder's key; ``None`` without one or when it can no
    longer be used (expired, revoked): then the e-mail says only that there is a reply."""
    if not report.finder_pgp_key:
        return None
    try:
        return pgp.encrypt(report.finder_pgp_key, body, at=now)
    except pgp.PgpError:
        return None


def _tell_coordinator(session: Session, report: Report, now: datetime) -> None:
    notify_message(
        session,
        operator_users(session),
        ReportMessagePosted(report=str(report.id), author=FINDER),
        f"/reports/{report.id}",
        now,
        about=_OWN,
    )


def set_finder_key(
    session: Session, *, actor: Principal, report: Report, armored: str | None, now: datetime
) -> str | None:
    """Register (or, with ``None`` or blank, remove) the finder's OpenPGP public key; it
    must be usable for encryption now. Returns the key's fingerprint."""
    now = ensure_utc(now)
    if armored is None or not armored.strip():
        report.finder_pgp_key = None
        report.finder_pgp_fingerprint = None
    else:
        try:
            info = pgp.parse_public_key(armored, at=now)
        except pgp.PgpError as exc:
            exc.extensions.setdefault("field", "pgp_public_key")
            raise
        report.finder_pgp_key = armored.strip()
        report.finder_pgp_fingerprint = info.fingerprint
    report.updated_at = now
    session.flush()
    record_report_action(
        session,
        actor=actor,
        report=report,
        type=CaseEventType.REPORT_KEY_CHANGED,
        now=now,
        data={"fingerprint": report.finder_pgp_fingerprint},
        audit_action="report.key",
    )
    return report.finder_pgp_fingerprint
