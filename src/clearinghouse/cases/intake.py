"""Reports arriving: from anyone (no account, tracked by a private token) or from members.

A public intake is an open door, so it is guarded: anonymous submissions are counted per
client address (a digest of it, never the address) and refused over the limit, field
sizes are the rules' (``rules.reports.LIMITS``), attachments are checked by
:mod:`.attachments`. The tracking token is random, shown once, and stored as a SHA-256
digest, so the database alone does not let anyone follow a report.

Every report is compared with earlier open reports at intake (``rules.duplicates``);
likely duplicates are flagged (never merged automatically: a person decides).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from packageurl import PackageURL
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clearinghouse import pgp
from clearinghouse.accounts.addresses import checked_email
from clearinghouse.accounts.models import User
from clearinghouse.cases import attachments as files
from clearinghouse.cases.ids import ordered_id
from clearinghouse.cases.models import (
    Answer,
    Attachment,
    IntakeHit,
    Report,
    ReportDuplicate,
    ReportTransition,
)
from clearinghouse.cases.rules import duplicates as dup
from clearinghouse.cases.rules import links
from clearinghouse.cases.rules import reports as rules
from clearinghouse.cases.schemas import ReportIn
from clearinghouse.cases.timeline import CaseEventType, record_report_action
from clearinghouse.db import require_fits
from clearinghouse.errors import InvalidInput, NotFound, RateLimited
from clearinghouse.jobs.queue import enqueue
from clearinghouse.jobs.registry import JobContext
from clearinghouse.notify.reader import Reader, reader_for
from clearinghouse.notify.service import email_message, notify_message
from clearinghouse.notify.wording import ReportStatus
from clearinghouse.policy import MessageFacts, ReportFacts, Sensitivity, report_scope
from clearinghouse.principal import Principal
from clearinghouse.timeutil import ensure_utc

# Anonymous submissions per client address per window (the limit is a setting:
# CLEARINGHOUSE_INTAKE_MAX_PER_HOUR; this is its default).
INTAKE_LIMIT: Final = 10
INTAKE_WINDOW: Final = timedelta(hours=1)
KIND_DUPLICATES: Final = "report.flag_duplicates"
DUPLICATE_POOL: Final = 5000  # how many recent open reports a new one is compared with


@dataclass(frozen=True, slots=True)
class Answers:
    """The finder's yes / no / don't-know answers and an optional package URL."""

    exploited: Answer = Answer.UNKNOWN
    already_public: Answer = Answer.UNKNOWN
    vendor_contacted: Answer = Answer.UNKNOWN
    purl: str | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    report: Report
    tracking_token: str | None  # shown once (finders without an account)
    attachments: list[Attachment]
    duplicates: list[ReportDuplicate]


def check_purl(value: str | None, *, field: str = "purl") -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        canonical = PackageURL.from_string(text).to_string()
    except ValueError as exc:
        raise InvalidInput(f"{text[:100]!r} is not a package URL: {exc}", field=field) from exc
    # percent-encoding can make the canonical form several times longer than the input
    require_fits(
        Report, {"purl": canonical}, field=field, what="the package URL written canonically"
    )
    return str(canonical)


def _client_key(client: str) -> str:
    return hashlib.sha256(f"intake:{client}".encode()).hexdigest()


def check_rate(session: Session, client: str, now: datetime, limit: int = INTAKE_LIMIT) -> None:
    """Count one anonymous submission from ``client``; refuse it over the limit (429)."""
    key = _client_key(client)
    since = now - INTAKE_WINDOW
    session.execute(delete(IntakeHit).where(IntakeHit.key == key, IntakeHit.at < since))
    count = session.scalar(select(func.count()).select_from(IntakeHit).where(IntakeHit.key == key))
    if (count or 0) >= limit:
        raise RateLimited(
            f"at most {limit} reports per hour from one address without an account; "
            "wait, or sign in",
            retry_after=int(INTAKE_WINDOW.total_seconds()),
        )
    session.add(IntakeHit(key=key, at=now))
    session.flush()


def _contact_email(given: str | None) -> str | None:
    """The finder's address as the platform keeps addresses (the rules check its shape)."""
    if given is None:
        return None
    try:
        return checked_email(given, field="contact_email")
    except InvalidInput as exc:
        raise rules.InvalidReport("contact_email", exc.detail) from None


def submit(
    session: Session,
    *,
    actor: Principal,
    fields: rules.ReportFields,
    answers: Answers,
    uploads: list[files.CheckedFile],
    now: datetime,
    client: str,
    limit: int = INTAKE_LIMIT,
    finder_key: str | None = None,
    reader: FinderReader | None = None,
) -> Submitted:
    """Record a report as ``received`` (flushes; the caller commits). ``finder_key``: an
    OpenPGP public key for replies, refused unless it can be encrypted to now. ``reader``:
    the language and zone of the page it came from, for the finder's e-mails.

    Likely duplicates are flagged by a job enqueued here (:func:`flag_duplicates`), not in
    the intake transaction: comparing with thousands of open reports must not hold the
    database's write lock while finders wait."""
    now = ensure_utc(now)
    contact_email = _contact_email(fields.contact_email)
    member = actor.is_authenticated and actor.org_id is not None
    if not member:
        check_rate(session, client, now, limit)
    key = _finder_key(finder_key, now)
    token = None if member else links.new_tracking_token()
    signature = dup.signature(
        fields.product,
        "\n".join(p for p in (fields.title, fields.description, fields.impact or "") if p),
        cves=fields.cves,
        urls=fields.references,
    )
    report = Report(
        id=ordered_id(),
        status=rules.ReportState.RECEIVED.value,
        title=fields.title,
        product=fields.product,
        vendor=fields.vendor,
        affected_versions=fields.affected_versions,
        purl=check_purl(answers.purl),
        description=fields.description,
        impact=fields.impact,
        exploited=answers.exploited,
        already_public=answers.already_public,
        vendor_contacted=answers.vendor_contacted,
        disclosure_plans=fields.disclosure_plans,
        credit_preference=fields.credit_preference.value,
        credit_as=fields.credit_as,
        contact_email=contact_email,
        finder_language=reader.language if reader else None,
        finder_timezone=reader.zone if reader else None,
        references=list(fields.references),
        cves=list(fields.cves),
        signature=signature.to_dict(),
        reporter_user_id=actor.user_id if member else None,
        reporter_org_id=actor.org_id if member else None,
        tracking_token_hash=links.hash_token(token) if token else None,
        finder_pgp_key=finder_key.strip() if key is not None and finder_key else None,
        finder_pgp_fingerprint=key.fingerprint if key is not None else None,
        received_at=now,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    session.add(
        ReportTransition(
            report_id=report.id,
            from_status=None,
            to_status=report.status,
            reason="received",
            at=now,
            actor_user_id=actor.user_id,
            actor_label=actor.label,
        )
    )
    stored = [
        files.store(session, f, now=now, by_label=actor.label, report_id=report.id) for f in uploads
    ]
    enqueue(
        session,
        KIND_DUPLICATES,
        {"report_id": str(report.id)},
        now=now,
        idempotency_key=f"{KIND_DUPLICATES}:{report.id}",
    )
    record_report_action(
        session,
        actor=actor,
        report=report,
        type=CaseEventType.REPORT_RECEIVED,
        now=now,
        data={
            "title": report.title,
            "product": report.product,
            "exploited": report.exploited.value,
            "already_public": report.already_public.value,
            "attachments": [files.describe(a) for a in stored],
        },
        audit_action="report.received",
    )
    return Submitted(report, token, stored, [])


_REPORT_FIELDS: Final = frozenset(
    {
        "title",
        "product",
        "vendor",
        "affected_versions",
        "description",
        "impact",
        "disclosure_plans",
        "credit_preference",
        "credit_as",
        "contact_email",
        "references",
        "cves",
    }
)


def receive(
    session: Session,
    *,
    actor: Principal,
    body: ReportIn,
    uploads: list[files.Upload],
    now: datetime,
    client: str,
    limit: int,
    max_bytes: int,
    reader: FinderReader | None = None,
) -> Submitted:
    """A report as the API and the report form send it: the rules check the fields, the
    attachments are checked, then :func:`submit` records it."""
    fields = rules.parse_report(body.model_dump(include=set(_REPORT_FIELDS), exclude_none=True))
    checked = files.check_all(uploads, max_bytes=max_bytes)
    answers = Answers(body.exploited, body.already_public, body.vendor_contacted, body.purl)
    return submit(
        session,
        actor=actor,
        fields=fields,
        answers=answers,
        uploads=checked,
        now=now,
        client=client,
        limit=limit,
        finder_key=body.pgp_public_key,
        reader=reader,
    )


@dataclass(frozen=True, slots=True)
class FinderReader:
    """The language (``en``, ``zh-Hans``) and IANA zone a finder read the report form in."""

    language: str
    zone: str


def finder_reader(report: Report) -> Reader | None:
    """The reader a finder without an account is written to as: the page's language and
    zone it reported from (``None``, English in UTC, for a report sent through the API)."""
    if report.finder_language is None:
        return None
    return reader_for(report.finder_language, report.finder_timezone)


def _finder_key(armored: str | None, now: datetime) -> pgp.KeyInfo | None:
    if armored is None or not armored.strip():
        return None
    try:
        return pgp.parse_public_key(armored, at=now)
    except pgp.PgpError as exc:
        exc.extensions.setdefault("field", "pgp_public_key")
        raise


def duplicate_candidates(session: Session, report_id: uuid.UUID) -> list[dup.Candidate[uuid.UUID]]:
    """Compare one report with the most recent open ones (read-only)."""
    report = session.get(Report, report_id)
    if report is None or not report.signature:
        return []
    rows = session.execute(
        select(Report.id, Report.signature)
        .where(
            Report.id != report.id,
            Report.status != rules.ReportState.CLOSED.value,
            Report.received_at <= report.received_at,
        )
        .order_by(Report.received_at.desc(), Report.id)
        .limit(DUPLICATE_POOL)
    ).all()
    pool: list[tuple[uuid.UUID, dup.Signature]] = []
    for rid, stored in reversed(rows):  # oldest first: prefer the original
        if stored:
            pool.append((rid, dup.Signature.from_dict(stored)))
    return list(dup.find_duplicates(dup.Signature.from_dict(report.signature), pool))


def flag_duplicates(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The ``report.flag_duplicates`` job: compare outside the write transaction, then
    record the flags (once: a repeated run finds them and adds nothing)."""
    report_id = uuid.UUID(str(payload["report_id"]))
    with ctx.read() as read:
        candidates = duplicate_candidates(read, report_id)
    session = ctx.session
    known = set(
        session.scalars(
            select(ReportDuplicate.candidate_id).where(ReportDuplicate.report_id == report_id)
        )
    )
    now = ctx.now()
    for candidate in candidates:
        if candidate.key in known:
            continue
        session.add(
            ReportDuplicate(
                report_id=report_id,
                candidate_id=candidate.key,
                score=candidate.score,
                reasons=[f"{e.reason.value}: {e.detail}" for e in candidate.evidence],
                flagged_at=now,
            )
        )
    session.flush()


def visible_reports(
    session: Session,
    principal: Principal,
    *,
    status: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Report]:
    """Reports ``principal`` may list (the policy's :func:`report_scope`), newest first,
    after report ``after``; ``status``: one state only."""
    query = select(Report).order_by(Report.id.desc())
    visible = report_scope(principal)
    if not visible.everything:
        query = query.where(Report.reporter_org_id == visible.org_id)
    if status:
        if status not in set(rules.ReportState):
            raise InvalidInput(
                f"status must be one of {', '.join(rules.ReportState)}", field="status"
            )
        query = query.where(Report.status == status)
    if after is not None:
        query = query.where(Report.id < after)
    return list(session.scalars(query.limit(limit)))


def get_report(session: Session, report_id: uuid.UUID) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound("no such report")
    return report


def facts(report: Report) -> ReportFacts:
    return ReportFacts(report.id, report.reporter_org_id, report.reporter_user_id)


def find_by_token(session: Session, token: str) -> Report | None:
    """The report a finder's tracking token follows (a malformed token: 401)."""
    return session.scalars(
        select(Report).where(Report.tracking_token_hash == links.hash_token(token))
    ).first()


def transition(
    session: Session,
    *,
    actor: Principal,
    report: Report,
    to: rules.ReportState,
    reason: str,
    now: datetime,
    platform: str = "Clearinghouse",
) -> Report:
    """Move a report along its lifecycle (the rules decide what is legal) and tell the
    finder: its account's notifications, or an e-mail to the address it left. The notice
    names the new state only; the reason is read behind the login or the tracking link."""
    before = rules.ReportState(report.status)
    after = rules.transition(before, to, reason)
    report.status = after.value
    report.status_reason = reason.strip()
    report.updated_at = now
    session.add(
        ReportTransition(
            report_id=report.id,
            from_status=before.value,
            to_status=after.value,
            reason=report.status_reason,
            at=now,
            actor_user_id=actor.user_id,
            actor_label=actor.label,
        )
    )
    session.flush()
    record_report_action(
        session,
        actor=actor,
        report=report,
        type=CaseEventType.REPORT_STATUS_CHANGED,
        now=now,
        data={
            "from": before.value,
            "to": after.value,
            "reason": report.status_reason,
        },
        audit_action="report.transition",
    )
    _tell_finder(session, report, after, now, platform)
    return report


def _tell_finder(
    session: Session, report: Report, state: rules.ReportState, now: datetime, platform: str
) -> None:
    """A member finder: a notice in its users' saved language. A finder without an
    account: an e-mail to the address it left, in the language and zone of the page it
    reported from (:func:`finder_reader`)."""
    if report.reporter_user_id is not None:
        user = session.get(User, report.reporter_user_id)
        if user is not None:
            notify_message(
                session,
                [user],
                ReportStatus(report=str(report.id), state=state.value),
                f"/reports/{report.id}",
                now,
                about=MessageFacts(Sensitivity.OWN_RECORD),
                organisation_id=report.reporter_org_id,
            )
    elif report.contact_email:
        email_message(
            session,
            to=report.contact_email,
            message=ReportStatus(report=str(report.id), state=state.value, tracked=True),
            now=now,
            key=f"report.status:{report.id}:{state.value}",
            about=MessageFacts(Sensitivity.OWN_RECORD),
            reader=finder_reader(report),
            platform=platform,
        )


def history(session: Session, report: Report) -> list[ReportTransition]:
    return list(
        session.scalars(
            select(ReportTransition)
            .where(ReportTransition.report_id == report.id)
            .order_by(ReportTransition.id)
        )
    )


def duplicates_of(session: Session, report: Report) -> list[ReportDuplicate]:
    return list(
        session.scalars(
            select(ReportDuplicate)
            .where(ReportDuplicate.report_id == report.id)
            .order_by(ReportDuplicate.score.desc(), ReportDuplicate.candidate_id)
        )
    )


def attachments_of(session: Session, report: Report) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.report_id == report.id)
            .order_by(Attachment.uploaded_at, Attachment.id)
        )
    )
