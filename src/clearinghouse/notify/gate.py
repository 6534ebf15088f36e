"""The one gate every message channel passes: for each recipient, the policy decides
(:func:`clearinghouse.policy.decide_delivery`) whether a message about ``about`` may reach
it, given the recipient's organisation and whether that organisation is suspended now.
Callers of :func:`~clearinghouse.notify.service.notify_users`,
:func:`~clearinghouse.notify.webhooks.emit_event` and
:func:`~clearinghouse.notify.service.email_address` cannot skip it: they pass ``about``.

The gate is asked twice: when a message is queued, and again when it leaves (a notice's
e-mail composed, a digest gathered, a webhook posted), with the facts kept from the first
time (:func:`stored`). What changed in between (a suspension, a user moved to another
organisation) then holds back what is still waiting."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Membership, Organisation, User
from clearinghouse.accounts.suspension import active_suspension
from clearinghouse.formats.model import Tlp
from clearinghouse.policy import MessageFacts, RecipientFacts, Sensitivity, may_deliver
from clearinghouse.vocab import OrgKind


def stored(sensitivity: object, tlp: object) -> MessageFacts:
    """The facts a queued message kept (a notice's columns, a webhook job's payload), as
    :class:`MessageFacts`; none kept, or none that this version knows: pre-publication,
    the most guarded (as a missing marking is never taken for TLP:CLEAR)."""
    try:
        return MessageFacts(Sensitivity(str(sensitivity)), None if tlp is None else Tlp(str(tlp)))
    except ValueError:
        return MessageFacts(Sensitivity.PRE_PUBLICATION)


def kept(about: MessageFacts) -> dict[str, str | None]:
    """``about`` as a queued job keeps it in its payload (read back by :func:`kept_facts`)."""
    tlp = about.tlp.value if about.tlp is not None else None
    return {"sensitivity": about.sensitivity.value, "tlp": tlp}


def kept_facts(value: object) -> MessageFacts:
    """What :func:`kept` wrote, read back (anything else: as :func:`stored` reads none)."""
    if not isinstance(value, dict):
        return stored(None, None)
    return stored(value.get("sensitivity"), value.get("tlp"))


class Gate:
    """Decides per recipient, loading each organisation's facts once."""

    def __init__(self, session: Session, now: datetime) -> None:
        self._session = session
        self._now = now
        self._orgs: dict[uuid.UUID, RecipientFacts] = {}

    def organisation(self, org_id: uuid.UUID | None) -> RecipientFacts:
        if org_id is None:
            return RecipientFacts(org_id=None)
        found = self._orgs.get(org_id)
        if found is None:
            org = self._session.get(Organisation, org_id)
            suspended = active_suspension(self._session, org_id, self._now) is not None
            found = RecipientFacts(org_id, org.kind if org else None, suspended)
            self._orgs[org_id] = found
        return found

    def may_reach_org(self, org_id: uuid.UUID | None, about: MessageFacts) -> bool:
        return may_deliver(self.organisation(org_id), about)

    def users(
        self, users: Iterable[User], about: MessageFacts, organisation_id: uuid.UUID | None
    ) -> list[User]:
        """The users the message may reach. ``organisation_id``: the organisation they are
        told as members of; otherwise each user's own organisation(s), all of which must
        allow it."""
        chosen = list(users)
        if organisation_id is not None:
            return chosen if self.may_reach_org(organisation_id, about) else []
        orgs: dict[uuid.UUID, list[uuid.UUID | None]] = {u.id: [] for u in chosen}
        for user_id, org_id in self._session.execute(
            select(Membership.user_id, Membership.organisation_id).where(
                Membership.user_id.in_(list(orgs))
            )
        ):
            orgs[user_id].append(org_id)
        return [
            u for u in chosen if all(self.may_reach_org(o, about) for o in orgs[u.id] or [None])
        ]

    def still_reaches(
        self, user: User, about: MessageFacts, organisation_id: uuid.UUID | None
    ) -> bool:
        """At delivery: whether a message queued for ``user`` (told about, or as a member
        of, ``organisation_id`` if given) may still reach them. Told as a member, they must
        still be one; the operator's people are told of members' business as themselves."""
        if not user.is_active:
            return False
        if organisation_id is not None:
            orgs = self._session.scalars(
                select(Membership.organisation_id).where(Membership.user_id == user.id)
            ).all()
            operator = any(self.organisation(o).org_kind is OrgKind.OPERATOR for o in orgs)
            if organisation_id not in orgs and not operator:
                return False
        return bool(self.users([user], about, organisation_id))
