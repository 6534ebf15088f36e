"""Participants of a case, vendors' statuses, response deadlines.

Adding a vendor notifies it at once (members: notification and webhook; a vendor outside
the platform: an e-mail with its invitation link), sets ``notified_at``, and starts its
response clock: the reminders and the escalation the rules schedule
(:func:`clearinghouse.cases.rules.vendor_status.response_schedule`) are put in the outbox
as jobs with idempotency keys that name the deadline they belong to. Moving the deadline
enqueues a new set; jobs of an old deadline find it changed and do nothing.

A vendor's status is kept per vulnerability with its history (append-only rows, one
``current``); the rules check each change (``validate_change``). A vendor stating *fixed*
also records ``fix_available`` on the timeline, the anchor of clocks such as the CRA's
final report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clearinghouse.accounts.addresses import checked_email
from clearinghouse.accounts.models import Organisation
from clearinghouse.cases import embargo_service, invitations, notices
from clearinghouse.cases.guards import require_open
from clearinghouse.cases.ids import ordered_id
from clearinghouse.cases.models import Case, Participant, VendorStatusRecord, Vulnerability
from clearinghouse.cases.rules import vendor_status as vs
from clearinghouse.cases.rules._text import clean_text
from clearinghouse.cases.timeline import CaseEventType, record_action
from clearinghouse.clocks.model import EventType as ClockEventType
from clearinghouse.errors import Conflict, InvalidInput
from clearinghouse.formats.model import Justification
from clearinghouse.jobs.queue import enqueue
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.service import email_message
from clearinghouse.notify.wording import AddedToCase, VendorInvitation
from clearinghouse.principal import Principal
from clearinghouse.reading import available_zones
from clearinghouse.vocab import Language, ParticipantRole

DEFAULT_RESPONSE_DAYS: Final = 7
KIND_DEADLINE: Final = "case.vendor_deadline"


@dataclass(frozen=True, slots=True)
class Added:
    participant: Participant
    invitation_url: str | None  # only for a vendor invited by e-mail (sent, never shown)


def _existing(
    session: Session, case: Case, org_id: uuid.UUID | None, email: str | None
) -> Participant | None:
    query = select(Participant).where(
        Participant.case_id == case.id, Participant.removed_at.is_(None)
    )
    if org_id is not None:
        query = query.where(Participant.org_id == org_id)
    else:
        query = query.where(Participant.contact_email == email, Participant.org_id.is_(None))
    return session.scalars(query).first()


def add(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    role: ParticipantRole,
    now: datetime,
    base_url: str,
    secret: str,
    org: Organisation | None = None,
    email: str | None = None,
    name: str | None = None,
    response_days: int = DEFAULT_RESPONSE_DAYS,
    platform: str = "Clearinghouse",
    wording: Wording | None = None,
) -> Added:
    """Add an organisation on the platform (``org``) or invite one by ``email``: check the
    party is new, record it, tell it (an invitation link, or a notice to its members),
    and for a vendor start its response clock and its part in the embargo."""
    require_open(case)
    email = _check_new_party(session, case, role, org, email)
    wording = _check_wording(wording or Wording(), email)
    participant = _record(session, actor, case, role, org, email, name, now)
    participant.contact_language = wording.language.value if wording.language else None
    participant.contact_timezone = wording.timezone
    url: str | None = None
    if email is not None:
        url = _invite(session, actor, case, participant, email, now, base_url, secret, platform)
    else:
        _tell_organisation(session, actor, case, participant, now, base_url, platform)
    if role is ParticipantRole.VENDOR:
        if participant.notified_at is not None:
            set_deadline(
                session,
                actor=actor,
                case=case,
                participant=participant,
                days=response_days,
                now=now,
            )
        embargo_service.vendor_joined(
            session, actor=actor, case=case, participant=participant, now=now
        )
    return Added(participant, url)


@dataclass(frozen=True, slots=True)
class Wording:
    """How e-mail to an invited address is worded: it has no saved settings, so the one
    inviting chooses (None: English, UTC)."""

    language: Language | None = None
    timezone: str | None = None


def _check_wording(wording: Wording, email: str | None) -> Wording:
    if email is None and (wording.language is not None or wording.timezone is not None):
        raise InvalidInput(
            "a language and a time zone are chosen for an address invited by e-mail; "
            "an organisation's members read in their own",
            field="language" if wording.language is not None else "timezone",
        )
    if wording.timezone is not None and wording.timezone not in available_zones():
        raise InvalidInput(f"{wording.timezone[:64]!r} is not an IANA time zone", field="timezone")
    return wording


def _check_new_party(
    session: Session,
    case: Case,
    role: ParticipantRole,
    org: Organisation | None,
    email: str | None,
) -> str | None:
    """The normalised address (when inviting by e-mail), once the party may be added."""
    if role in (ParticipantRole.COORDINATOR, ParticipantRole.REPORTER):
        raise InvalidInput(
            "add vendors or members; the coordinator and reporter come with the case", field="role"
        )
    if (org is None) == (email is None):
        raise InvalidInput("give either an organisation or an e-mail address", field="organisation")
    if email is not None:
        email = checked_email(email)
        if role is not ParticipantRole.VENDOR:
            raise InvalidInput(
                "only vendors are invited by e-mail; members join by account", field="role"
            )
    if org is not None and org.id == case.coordinator_org_id:
        raise Conflict("the coordinating organisation already takes part")
    if _existing(session, case, org.id if org else None, email) is not None:
        raise Conflict("this party already takes part in the case")
    return email


def _record(
    session: Session,
    actor: Principal,
    case: Case,
    role: ParticipantRole,
    org: Organisation | None,
    email: str | None,
    name: str | None,
    now: datetime,
) -> Participant:
    label = clean_text(name, field="name", max_len=200, required=False, single_line=True)
    participant = Participant(
        id=ordered_id(),
        case_id=case.id,
        role=role,
        org_id=org.id if org else None,
        name=label or (org.name if org else str(email)),
        contact_email=email if org is None else org.contact_email,
        added_at=now,
        added_by_label=actor.label,
    )
    session.add(participant)
    session.flush()
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.VENDOR_INVITED if email else CaseEventType.PARTICIPANT_ADDED,
        now=now,
        data={
            "participant_id": str(participant.id),
            "role": role.value,
            "organisation": org.slug if org else None,
            "name": participant.name,
        },
        participant_id=participant.id,
        org_id=participant.org_id,
        audit_action="case.vendor_invited" if email else "case.participant_added",
    )
    return participant


def _invite(
    session: Session,
    actor: Principal,
    case: Case,
    participant: Participant,
    email: str,
    now: datetime,
    base_url: str,
    secret: str,
    platform: str,
) -> str:
    """E-mail a signed invitation link to a vendor outside the platform; returns the link.
    In the language and zone the one inviting chose (:class:`Wording`), else English in
    UTC: the address has no saved settings, and the finder's language says nothing of the
    vendor's."""
    issued = invitations.issue(
        session, participant=participant, email=email, now=now, secret=secret
    )
    reader = notices.contact_reader(participant)
    url = issued.url(base_url)
    # asked first, as for every e-mail to a participant's address (notices.tell_participants)
    sent = notices.address_takes_part(session, participant.id, None, now) and email_message(
        session,
        to=email,
        message=VendorInvitation(
            case=case.public_id,
            platform=platform,
            url=url,
            expires_at=issued.invitation.expires_at,
        ),
        now=now,
        reader=reader,
        key=f"{MessageKind.CASE_INVITATION}:{issued.invitation.id}",
        about=notices.about_case_to(session, case, participant),
        platform=platform,
    )
    if sent:  # (one held back by the gate is not recorded as told)
        _notified(session, actor, case, participant, now, channel="email")
    return url


def _tell_organisation(
    session: Session,
    actor: Principal,
    case: Case,
    participant: Participant,
    now: datetime,
    base_url: str,
    platform: str,
) -> None:
    """Notify an organisation on the platform that it was added (when the policy lets the
    notice reach it: a suspended one hears nothing of an embargoed case)."""
    reached = notices.tell_participants(
        session,
        case=case,
        participants=[participant],
        message=AddedToCase(case=case.public_id, role=participant.role.value),
        link=f"/cases/{case.public_id}",
        now=now,
        base_url=base_url,
        key=f"case.participant_added:{participant.id}",
        event={"role": participant.role.value},
        detail=f"Case {case.public_id}: {case.title}",
        platform=platform,
    )
    if reached:
        _notified(session, actor, case, participant, now, channel="platform")


def _notified(
    session: Session,
    actor: Principal,
    case: Case,
    participant: Participant,
    now: datetime,
    *,
    channel: str,
) -> None:
    participant.notified_at = now
    session.flush()
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.PARTICIPANT_NOTIFIED,
        now=now,
        data={"participant_id": str(participant.id), "channel": channel},
        participant_id=participant.id,
        org_id=participant.org_id,
        audit_action="case.participant_notified",
    )


def remove(
    session: Session, *, actor: Principal, case: Case, participant: Participant, now: datetime
) -> Participant:
    if participant.role in (ParticipantRole.COORDINATOR, ParticipantRole.REPORTER):
        raise Conflict(f"the {participant.role.value} cannot be removed from the case")
    if participant.removed_at is not None:
        return participant
    participant.removed_at = now
    invitations.revoke_for(session, participant, now)
    session.flush()
    if participant.role is ParticipantRole.VENDOR:
        embargo_service.vendor_left(
            session, actor=actor, case=case, participant=participant, now=now
        )
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.PARTICIPANT_REMOVED,
        now=now,
        data={"participant_id": str(participant.id), "name": participant.name},
        participant_id=participant.id,
        org_id=participant.org_id,
        audit_action="case.participant_removed",
    )
    return participant


# ---- response deadlines ------------------------------------------------------------------


def set_deadline(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    participant: Participant,
    days: int,
    now: datetime,
) -> vs.ResponseSchedule:
    """Start (or restart) a vendor's response clock from now: ``days`` to respond."""
    if participant.role is not ParticipantRole.VENDOR:
        raise InvalidInput("response deadlines apply to vendors", field="participant_id")
    schedule = vs.response_schedule(now, days)
    participant.response_due_at = schedule.due_at
    participant.escalated_at = None
    session.flush()
    due = schedule.due_at.isoformat()
    for action in schedule.actions:
        enqueue(
            session,
            KIND_DEADLINE,
            {
                "participant_id": str(participant.id),
                "action": action.kind.value,
                "due_at": due,
                "notified_at": now.isoformat(),
                "days": days,
            },
            now=now,
            run_after=action.at,
            idempotency_key=f"{KIND_DEADLINE}:{participant.id}:{due}:{action.kind.value}",
        )
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.RESPONSE_DEADLINE_SET,
        now=now,
        data={
            "participant_id": str(participant.id),
            "days": days,
            "due_at": due,
            "reminders": [a.at.isoformat() for a in schedule.actions[:-1]],
        },
        participant_id=participant.id,
        org_id=participant.org_id,
        audit_action="case.response_deadline_set",
    )
    return schedule


# ---- vendor statuses ---------------------------------------------------------------------


def _statement(record: VendorStatusRecord | None) -> vs.VendorStatement | None:
    if record is None:
        return None
    return vs.VendorStatement(
        vs.VendorStatus(record.status),
        Justification(record.justification) if record.justification else None,
        record.fixed_version,
        record.statement,
    )


def current_status(
    session: Session, participant: Participant, vulnerability: Vulnerability
) -> VendorStatusRecord | None:
    return session.scalars(
        select(VendorStatusRecord).where(
            VendorStatusRecord.participant_id == participant.id,
            VendorStatusRecord.vulnerability_id == vulnerability.id,
            VendorStatusRecord.current.is_(True),
        )
    ).first()


def set_status(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    participant: Participant,
    vulnerability: Vulnerability,
    statement: vs.VendorStatement,
    now: datetime,
) -> VendorStatusRecord | None:
    """Record a vendor's status for one vulnerability; ``None`` when nothing changed."""
    require_open(case)
    if participant.role is not ParticipantRole.VENDOR:
        raise InvalidInput("statuses are stated by vendors", field="participant_id")
    if vulnerability.case_id != case.id:
        raise InvalidInput("the vulnerability belongs to another case", field="vulnerability_id")
    old = current_status(session, participant, vulnerability)
    change = vs.validate_change(_statement(old), statement)
    if change is None:
        return None
    session.execute(
        update(VendorStatusRecord)
        .where(
            VendorStatusRecord.participant_id == participant.id,
            VendorStatusRecord.vulnerability_id == vulnerability.id,
            VendorStatusRecord.current.is_(True),
        )
        .values(current=False)
    )
    record = VendorStatusRecord(
        id=ordered_id(),
        case_id=case.id,
        participant_id=participant.id,
        vulnerability_id=vulnerability.id,
        status=statement.status.value,
        justification=statement.justification.value if statement.justification else None,
        statement=statement.statement,
        fixed_version=statement.fixed_version,
        current=True,
        recorded_at=now,
        recorded_by_user_id=actor.user_id,
        recorded_by_label=actor.label,
    )
    session.add(record)
    if participant.responded_at is None and vs.has_responded(statement.status):
        participant.responded_at = now
    session.flush()
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.VENDOR_STATUS_CHANGED,
        now=now,
        data={
            "participant_id": str(participant.id),
            "vendor": participant.name,
            "vulnerability_id": str(vulnerability.id),
            "cve_id": vulnerability.cve_id,
            "from": change.old.status.value,
            "to": statement.status.value,
            "kind": change.kind.value,
            "justification": record.justification,
            "fixed_version": record.fixed_version,
        },
        participant_id=participant.id,
        org_id=participant.org_id,
        audit_action="case.vendor_status",
    )
    if statement.status is vs.VendorStatus.FIXED and change.old.status is not vs.VendorStatus.FIXED:
        record_action(
            session,
            actor=actor,
            case=case,
            type=ClockEventType.FIX_AVAILABLE,
            now=now,
            data={
                "vulnerability_id": str(vulnerability.id),
                "cve_id": vulnerability.cve_id,
                "vendor": participant.name,
                "fixed_version": record.fixed_version,
            },
            org_id=participant.org_id,
            audit_action="case.event.fix_available",
        )
    return record


def set_statement(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    participant: Participant,
    text: str | None,
    now: datetime,
) -> Participant:
    """A vendor's overall statement on the case (published with the advisory)."""
    require_open(case)
    clean = clean_text(text, field="statement", max_len=vs.STATEMENT_MAX, required=False)
    participant.statement = clean
    participant.statement_at = now
    session.flush()
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.VENDOR_STATEMENT,
        now=now,
        data={"participant_id": str(participant.id), "length": len(clean or "")},
        participant_id=participant.id,
        org_id=participant.org_id,
        audit_action="case.vendor_statement",
    )
    return participant


def statuses(
    session: Session,
    case: Case,
    *,
    participant_id: uuid.UUID | None = None,
    history: bool = False,
) -> list[VendorStatusRecord]:
    query = select(VendorStatusRecord).where(VendorStatusRecord.case_id == case.id)
    if participant_id is not None:
        query = query.where(VendorStatusRecord.participant_id == participant_id)
    if not history:
        query = query.where(VendorStatusRecord.current.is_(True))
    return list(session.scalars(query.order_by(VendorStatusRecord.id)))


def mark_seen(
    session: Session, *, actor: Principal, participant_id: uuid.UUID, now: datetime
) -> Participant | None:
    """A participant's first read: ``seen_at`` and a ``participant_seen`` event, once
    however many reads race. A conditional UPDATE only the transaction that finds
    ``seen_at`` unset gets to make (on PostgreSQL a rival waits for the winner's commit,
    then matches nothing); ``None`` for the others."""
    done = session.execute(
        update(Participant)
        .where(Participant.id == participant_id, Participant.seen_at.is_(None))
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(done, "rowcount", 0) or 0) != 1:
        return None
    marked = session.get_one(Participant, participant_id, populate_existing=True)
    record_action(
        session,
        actor=actor,
        case=session.get(Case, marked.case_id),
        type=CaseEventType.PARTICIPANT_SEEN,
        now=now,
        data={"participant_id": str(marked.id), "name": marked.name},
        participant_id=marked.id,
        org_id=marked.org_id,
        audit_action="case.participant_seen",
    )
    return marked
