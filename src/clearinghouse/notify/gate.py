"""The one gate every message channel passes: for each recipient, the policy decides
(:func:`clearinghouse.policy.decide_delivery`) whether a message about ``about`` may reach
it, given the recipient's organisation and whether that organisation is suspended now.
Callers of :func:`~clearinghouse.notify.service.notify_users`,
:func:`~clearinghouse.notify.webhooks.emit_event` and
:func:`~clearinghouse.notify.service.email_address` cannot skip it: they pass ``about``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Membership, Organisation, User
from clearinghouse.accounts.suspension import active_suspension
from clearinghouse.policy import MessageFacts, RecipientFacts, may_deliver


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
