"""Telling participants that something happened, through the foundation's outbox.

* A participant organisation on the platform: each of its active users gets a
  notification (:func:`clearinghouse.notify.service.notify_message`: an in-platform notice
  stored by kind and parameters, worded in each reader's language and zone, and an e-mail
  now or in the daily digest), and its webhooks get a ``case.*`` event.
* A participant without an account (an invited vendor): one ``email.send`` job to its
  contact address, worded in English in UTC (an address has no saved language).

What is sent says *what happened and where to look*, never embargoed detail: the
message callers pass (:mod:`clearinghouse.notify.wording`) must be safe to e-mail. When
an organisation registered an OpenPGP key and the caller has detail worth sending, the
detail travels encrypted to that key (:mod:`clearinghouse.pgp`), last in the body
(:class:`~clearinghouse.notify.wording.Sealed`).

Everything is enqueued in the caller's transaction with idempotency keys, so a notice
exists exactly when the change that caused it was committed, and only once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearinghouse import pgp
from clearinghouse.accounts.models import Membership, Organisation, User
from clearinghouse.accounts.suspension import active_suspension
from clearinghouse.cases.models import Case, Embargo, Invitation, Participant
from clearinghouse.notify.gate import TakesPart
from clearinghouse.notify.reader import Reader, reader_for
from clearinghouse.notify.service import email_message, notify_message
from clearinghouse.notify.webhooks import emit_event
from clearinghouse.notify.wording import Message, Sealed
from clearinghouse.policy import MessageFacts, Sensitivity
from clearinghouse.vocab import EmbargoPhase, OrgKind, ParticipantRole

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
    try:
        return pgp.encrypt(org.pgp_public_key, detail, at=now)
    except pgp.PgpError:
        log.warning(
            "organisation key unusable; notice sent without detail",
            extra={"organisation": org.slug},
        )
        return None


CASE: Final = "case"  # MessageFacts.ref: "case:<id>", told to organisations
ADDRESS: Final = "participant"  # "participant:<id>", e-mailed to its contact address


def about_case(session: Session, case: Case) -> MessageFacts:
    """What a message about ``case`` carries: pre-publication information until the
    case's embargo has ended (even its identifier and title are not public before)."""
    embargo = session.get(Embargo, case.id)
    ended = embargo is not None and embargo.state == EmbargoPhase.EXITED.value
    sensitivity = Sensitivity.PUBLIC if ended else Sensitivity.PRE_PUBLICATION
    return MessageFacts(sensitivity, ref=f"{CASE}:{case.id}")


def about_case_to(session: Session, case: Case, participant: Participant) -> MessageFacts:
    """:func:`about_case`, e-mailed to ``participant``'s contact address (a vendor invited
    by e-mail): it reaches it while the participant takes part through that address
    (:func:`address_takes_part`)."""
    return replace(about_case(session, case), ref=f"{ADDRESS}:{participant.id}")


def about_case_for(session: Session, case: Case, org_id: uuid.UUID | None) -> MessageFacts:
    """:func:`about_case`, told to ``org_id``: a suspended coordinator reads nothing of
    its cases, embargo ended or not (``policy.cases``), so what it is told about one is held
    back from it as pre-publication information is."""
    if org_id is not None and org_id == case.coordinator_org_id:
        return MessageFacts(Sensitivity.PRE_PUBLICATION, ref=f"{CASE}:{case.id}")
    return about_case(session, case)


def takes_part_in_case(
    session: Session, case_id: uuid.UUID, org_id: uuid.UUID | None, now: datetime
) -> bool:
    """The gate's rule, when a message about a case leaves: the organisation still takes
    part in it (coordinates it, and is not suspended: a suspended coordinator reads
    nothing of its cases, :func:`about_case_for`; is a participant not removed; or is the
    operator). An address outside the platform takes part only as an invited participant
    (:func:`address_takes_part`)."""
    case = session.get(Case, case_id)
    if case is None or org_id is None:
        return False
    if org_id == case.coordinator_org_id:
        return active_suspension(session, org_id, now) is None
    org = session.get(Organisation, org_id)
    if org is not None and org.kind is OrgKind.OPERATOR:
        return True
    return (
        session.scalar(
            select(Participant.id).where(
                Participant.case_id == case.id,
                Participant.org_id == org_id,
                Participant.removed_at.is_(None),
            )
        )
        is not None
    )


def address_takes_part(
    session: Session, participant_id: uuid.UUID, _org_id: uuid.UUID | None, now: datetime
) -> bool:
    """The gate's rule for an e-mail to a participant's contact address: the participant is
    not removed and still takes part through that address: the finder, by its report's
    tracking token; an invited vendor, by an invitation neither withdrawn nor claimed (once
    claimed, its new organisation is told instead). An invitation's link expires after 30
    days, but that bounds the link, not the part: the vendor is still a participant, and
    its response deadline may be months away. An address that is the account of a member
    now suspended is told nothing of the case (stricter than for the organisation itself,
    which hears of it again once the embargo ends: the address may speak for a coordinator
    of the case, which may read nothing of it)."""
    participant = session.get(Participant, participant_id)
    if participant is None or participant.removed_at is not None:
        return False
    if participant.contact_email and _suspended_account(session, participant.contact_email, now):
        return False
    if participant.role is ParticipantRole.REPORTER and participant.report_id is not None:
        return True
    standing = session.scalar(
        select(Invitation.id).where(
            Invitation.participant_id == participant.id,
            Invitation.revoked_at.is_(None),
            Invitation.claimed_at.is_(None),
        )
    )
    return standing is not None


def _suspended_account(session: Session, email: str, now: datetime) -> bool:
    """Whether ``email`` is the address of an active account in a suspended organisation:
    such an address speaks for it, so that inviting a suspended member's people by e-mail
    does not tell them what its suspension withholds."""
    orgs = session.scalars(
        select(Membership.organisation_id)
        .join(User, User.id == Membership.user_id)
        .where(func.lower(User.email) == email.strip().lower(), User.is_active.is_(True))
    )
    return any(active_suspension(session, o, now) is not None for o in set(orgs))


# What the gate asks, by kind of MessageFacts.ref (wired in by ``app.build_registry``).
PARTS: Final[Mapping[str, TakesPart]] = {CASE: takes_part_in_case, ADDRESS: address_takes_part}


def tell_participants(
    session: Session,
    *,
    case: Case,
    participants: Iterable[Participant],
    link: str,
    now: datetime,
    base_url: str,
    key: str,
    message: Message,
    detail: str | None = None,
    event: dict[str, Any] | None = None,
    platform: str = "Clearinghouse",
) -> list[Participant]:
    """Tell each participant the policy lets a message about the case reach (a suspended
    organisation hears nothing before the embargo ends) ``message``, linking ``link`` (a
    page of the platform); returns those that were reached somehow."""
    reached: list[Participant] = []
    for participant in participants:
        about = about_case_for(session, case, participant.org_id)
        if participant.org_id is not None:
            org = session.get(Organisation, participant.org_id)
            users = org_users(session, participant.org_id)
            if org is None:
                continue
            sealed = encrypted_detail(org, detail, now)
            told = notify_message(
                session,
                users,
                message if sealed is None else Sealed(message, sealed),
                link,
                now,
                about=about,
                organisation_id=org.id,
            )
            if told:
                reached.append(participant)
            emit_event(
                session,
                org.id,
                message.kind,
                {"case": case.public_id, **(event or {})},
                now,
                about=about,
                event_id=f"msg_{uuid.uuid5(uuid.NAMESPACE_URL, key + str(org.id)).hex}",
            )
        elif (
            participant.contact_email
            and address_takes_part(session, participant.id, None, now)
            and email_message(
                session,
                to=participant.contact_email,
                message=message,
                reader=contact_reader(participant),
                link=link,
                base_url=base_url,
                now=now,
                key=f"{key}:{participant.id}",
                about=about_case_to(session, case, participant),
                platform=platform,
            )
        ):
            reached.append(participant)
    return reached


# A thread's messages are read on the case's page (there is no page per thread).


def contact_reader(participant: Participant) -> Reader | None:
    """How e-mail to a participant's address (a vendor invited by e-mail, without an
    account) is worded: the language and zone chosen when it was invited; None (English,
    UTC) when none was."""
    if participant.contact_language is None and participant.contact_timezone is None:
        return None
    return reader_for(participant.contact_language, participant.contact_timezone)
