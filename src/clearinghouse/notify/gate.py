"""The one gate every message channel passes: for each recipient, the policy decides
(:func:`clearinghouse.policy.decide_delivery`) whether a message about ``about`` may reach
it, given the recipient's organisation and whether that organisation is suspended now.
Callers of :func:`~clearinghouse.notify.service.notify_users`,
:func:`~clearinghouse.notify.webhooks.emit_event` and
:func:`~clearinghouse.notify.service.email_address` cannot skip it: they pass ``about``.

The gate is asked twice: when a message is queued, and again when it leaves (a notice's
e-mail composed, a digest gathered, an e-mail to an address sent, a webhook posted), with
the facts kept from the first time (:func:`stored`, :func:`kept_facts`). What changed in
between holds back what is still waiting: a suspension, a user moved to another
organisation, and, for a message about something the recipient takes part in
(``MessageFacts.ref``: a case, an invited participant), that part ended. Whether a part
still holds is the owning domain's rule, handed to the gate as :data:`Parts` by the
application's wiring (``app.build_registry``): this layer knows no case."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Membership, Organisation, User
from clearinghouse.accounts.suspension import active_suspension
from clearinghouse.formats.model import Tlp
from clearinghouse.policy import MessageFacts, RecipientFacts, Sensitivity, may_deliver
from clearinghouse.vocab import OrgKind

# ``takes_part(session, subject id, recipient organisation or None (an address), now)``:
# whether the recipient still takes part in the subject a message is about, by kind.
TakesPart = Callable[[Session, uuid.UUID, uuid.UUID | None, datetime], bool]
Parts = Mapping[str, TakesPart]
MAX_REF = 100


def stored(sensitivity: object, tlp: object, ref: object = None) -> MessageFacts:
    """The facts a queued message kept (a notice's columns, a job's payload), as
    :class:`MessageFacts`; none kept, or none that this version knows: pre-publication,
    the most guarded (as a missing marking is never taken for TLP:CLEAR)."""
    kept_ref = None if ref is None else str(ref)[:MAX_REF]
    try:
        tlp_ = None if tlp is None else Tlp(str(tlp))
        return MessageFacts(Sensitivity(str(sensitivity)), tlp_, kept_ref)
    except ValueError:
        return MessageFacts(Sensitivity.PRE_PUBLICATION, ref=kept_ref)


def kept(about: MessageFacts, *, ref: str = "ref") -> dict[str, str | None]:
    """``about`` as a queued job keeps it in its payload (read back by :func:`kept_facts`),
    or a notice in its columns (``ref``: the name of the reference's)."""
    tlp = about.tlp.value if about.tlp is not None else None
    return {"sensitivity": about.sensitivity.value, "tlp": tlp, ref: about.ref}


def kept_facts(value: object) -> MessageFacts:
    """What :func:`kept` wrote, read back (anything else: as :func:`stored` reads none)."""
    if not isinstance(value, dict):
        return stored(None, None)
    return stored(value.get("sensitivity"), value.get("tlp"), value.get("ref"))


class Gate:
    """Decides per recipient, loading each organisation's facts once."""

    def __init__(self, session: Session, now: datetime, parts: Parts | None = None) -> None:
        self._session = session
        self._now = now
        self._orgs: dict[uuid.UUID, RecipientFacts] = {}
        self._parts: Parts = parts or {}
        # Asked once per gate: a digest asks about many notices of the same few cases.
        self._members: dict[uuid.UUID, list[uuid.UUID]] = {}
        self._taking_part: dict[tuple[str, uuid.UUID | None], bool] = {}

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
        allow it, unless one is the operator (whose people hear what it hears)."""
        chosen = list(users)
        if organisation_id is not None:
            return chosen if self.may_reach_org(organisation_id, about) else []
        orgs = self.memberships(chosen)
        none: list[uuid.UUID | None] = [None]  # a user of no organisation: as an address
        return [
            u
            for u in chosen
            if self._operator_of(orgs[u.id])
            or all(self.may_reach_org(o, about) for o in orgs[u.id] or none)
        ]

    def _operator_of(self, orgs: list[uuid.UUID]) -> uuid.UUID | None:
        return next((o for o in orgs if self.organisation(o).org_kind is OrgKind.OPERATOR), None)

    def memberships(self, users: Iterable[User]) -> dict[uuid.UUID, list[uuid.UUID]]:
        """Each user's organisations, looked up once per gate."""
        wanted = {u.id for u in users}
        missing = wanted - self._members.keys()
        if missing:
            for user_id in missing:
                self._members[user_id] = []
            for user_id, org_id in self._session.execute(
                select(Membership.user_id, Membership.organisation_id).where(
                    Membership.user_id.in_(sorted(missing))
                )
            ):
                self._members[user_id].append(org_id)
        return {u: self._members[u] for u in wanted}

    def told_as_member_of(self, user: User, organisation_id: uuid.UUID | None) -> uuid.UUID | None:
        """The organisation a notice to ``user`` is told to: ``organisation_id`` when the
        sender named one, else the user's organisation if it has only one (so that, once
        it has left it, the gate holds back what waits: an operator's notice no longer
        reaches someone who left the operator); of several, the operator if it is one of
        them, else none."""
        if organisation_id is not None:
            return organisation_id
        orgs = self.memberships([user])[user.id]
        return orgs[0] if len(orgs) == 1 else self._operator_of(orgs)

    def takes_part(self, ref: str | None, org_id: uuid.UUID | None) -> bool:
        """Whether the recipient (``org_id``; ``None``: an address outside the platform)
        still takes part in what ``ref`` names; nothing named: yes. A kind this gate was
        not handed a rule for, or a malformed reference: no."""
        if ref is None:
            return True
        known = self._taking_part.get((ref, org_id))
        if known is None:
            known = self._take_part(ref, org_id)
            self._taking_part[(ref, org_id)] = known
        return known

    def _take_part(self, ref: str, org_id: uuid.UUID | None) -> bool:
        kind, _, ident = ref.partition(":")
        rule = self._parts.get(kind)
        try:
            subject = uuid.UUID(ident)
        except ValueError:
            return False
        return rule is not None and rule(self._session, subject, org_id, self._now)

    def still_reaches(
        self, user: User, about: MessageFacts, organisation_id: uuid.UUID | None
    ) -> bool:
        """At delivery: whether a message queued for ``user`` (told about, or as a member
        of, ``organisation_id`` if given) may still reach them. Told as a member, they must
        still be one; the operator's people are told of members' business as themselves.
        About something one takes part in: one of their organisations (``organisation_id``,
        if given) must still take part."""
        if not user.is_active:
            return False
        orgs = self.memberships([user])[user.id]
        told = organisation_id is None or organisation_id in orgs
        if not told and self._operator_of(orgs) is None:
            return False
        if about.ref is not None:
            taking_part = [organisation_id] if organisation_id is not None else orgs
            if not any(self.takes_part(about.ref, o) for o in taking_part):
                return False
        return bool(self.users([user], about, organisation_id))

    def still_reaches_address(self, org_id: uuid.UUID | None, about: MessageFacts) -> bool:
        """At delivery: whether an e-mail to an address (``org_id``: the organisation it
        speaks for, if known) may still go."""
        return self.may_reach_org(org_id, about) and self.takes_part(about.ref, org_id)
