"""Invitation links: how a vendor outside the platform opens its part of a case.

The link carries a token signed with the platform's secret key that names the
participant and a random nonce, and expires. The database keeps only the nonce's
digest, the expiry and whether the invitation was revoked or claimed: a stolen database
opens nothing, and a link can be withdrawn. The token resolves to a ``Via.LINK``
principal whose grant is that one participant (see :mod:`.access`).

A vendor may turn its invitation into an account (:func:`claim`): the platform creates
an organisation of kind *vendor* with the vendor's first user, and the participant
becomes that organisation's. The link stops working then; the account takes over.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import Organisation, User
from clearinghouse.cases.models import Case, Invitation, Participant
from clearinghouse.cases.rules import links
from clearinghouse.cases.rules.embargo import zone
from clearinghouse.cases.timeline import CaseEventType, record_action
from clearinghouse.errors import Conflict, Unauthenticated
from clearinghouse.principal import Principal, Via
from clearinghouse.vocab import OrgKind, Role

INVITATION_TTL: Final = timedelta(days=30)
LINK_PATH: Final = "/invitations/open"


@dataclass(frozen=True, slots=True)
class Issued:
    invitation: Invitation
    token: str  # goes into the e-mail only

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}{LINK_PATH}#{self.token}"


def _key(secret: str) -> bytes:
    return links.derive_key(secret, links.LinkPurpose.VENDOR_INVITATION)


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue(
    session: Session,
    *,
    participant: Participant,
    email: str,
    now: datetime,
    secret: str,
    ttl: timedelta = INVITATION_TTL,
) -> Issued:
    nonce = secrets.token_urlsafe(24)
    expires_at = now + ttl
    token = links.sign(
        {"case": str(participant.case_id), "participant": str(participant.id), "nonce": nonce},
        _key(secret),
        expires_at,
    )
    invitation = Invitation(
        participant_id=participant.id,
        email=email,
        nonce_hash=_digest(nonce),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(invitation)
    session.flush()
    return Issued(invitation, token)


def find(session: Session, token: str, now: datetime, secret: str) -> Invitation:
    """The live invitation ``token`` names, or :class:`Unauthenticated` saying why not."""
    payload = links.verify(token, _key(secret), now)
    nonce, participant = payload.get("nonce"), payload.get("participant")
    if not isinstance(nonce, str) or not isinstance(participant, str):
        raise links.MalformedLinkError("the invitation link does not name a participant")
    invitation = session.scalars(
        select(Invitation).where(Invitation.nonce_hash == _digest(nonce))
    ).first()
    if invitation is None or str(invitation.participant_id) != participant:
        raise Unauthenticated("this invitation link is not known here")
    if invitation.revoked_at is not None:
        raise Unauthenticated("this invitation link was withdrawn; ask the coordinator")
    if invitation.claimed_at is not None:
        raise Unauthenticated("this invitation was turned into an account; sign in instead")
    if invitation.expires_at <= now:
        raise Unauthenticated("this invitation link expired; ask the coordinator for a new one")
    return invitation


def invitation_principal(session: Session, token: str, now: datetime, secret: str) -> Principal:
    invitation = find(session, token, now, secret)
    participant = session.get(Participant, invitation.participant_id)
    if participant is None or participant.removed_at is not None:
        raise Unauthenticated("this invitation no longer opens a case")
    if session.info.get("write") and (
        invitation.last_used_at is None or now - invitation.last_used_at > timedelta(minutes=1)
    ):
        invitation.last_used_at = now
    return Principal(
        via=Via.LINK,
        label=f"{invitation.email} (invitation)",
        grant=str(participant.id),
        token_id=invitation.id,
    )


def revoke_for(session: Session, participant: Participant, now: datetime) -> int:
    count = 0
    for invitation in session.scalars(
        select(Invitation).where(
            Invitation.participant_id == participant.id, Invitation.revoked_at.is_(None)
        )
    ):
        invitation.revoked_at = now
        count += 1
    session.flush()
    return count


@dataclass(frozen=True, slots=True)
class Claimed:
    organisation: Organisation
    user: User
    participant: Participant


def claim(
    session: Session,
    *,
    actor: Principal,
    token: str,
    secret: str,
    now: datetime,
    slug: str,
    org_name: str,
    user_name: str,
    password: str,
    timezone: str,
) -> Claimed:
    """Turn a live invitation into a vendor organisation and its first (admin) user."""
    zone(timezone)  # an unknown IANA name is refused before anything is created
    invitation = find(session, token, now, secret)
    participant = session.get(Participant, invitation.participant_id)
    if participant is None or participant.removed_at is not None:
        raise Unauthenticated("this invitation no longer opens a case")
    if participant.org_id is not None:
        raise Conflict("this participant already belongs to an organisation")
    org = accounts.create_organisation(
        session,
        actor=actor,
        now=now,
        slug=slug,
        name=org_name,
        kind=OrgKind.VENDOR,
        contact_email=invitation.email,
    )
    user = accounts.create_user(
        session,
        actor=actor,
        now=now,
        email=invitation.email,
        name=user_name,
        password=password,
        organisation=org,
        role=Role.ADMIN,
        timezone=timezone,
    )
    participant.org_id = org.id
    invitation.claimed_at = now
    invitation.claimed_org_id = org.id
    session.flush()
    case = session.get(Case, participant.case_id)
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.INVITATION_CLAIMED,
        now=now,
        data={
            "participant_id": str(participant.id),
            "organisation": org.slug,
            "user": user.email,
        },
        participant_id=participant.id,
        org_id=org.id,
        audit_action="case.invitation_claimed",
    )
    return Claimed(org, user, participant)


def participant_id_of(token_principal: Principal) -> uuid.UUID | None:
    try:
        return uuid.UUID(token_principal.grant or "")
    except ValueError:
        return None
