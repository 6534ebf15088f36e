"""Advisories: who may read them (TLP 2.0 and the embargo), write and publish them."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace

from clearinghouse.formats.model import Tlp
from clearinghouse.policy.core import Decision, Missing, missing, noted, raise_for, scoped
from clearinghouse.policy.tlp import in_good_standing, tlp_allows
from clearinghouse.principal import Principal, Scope, Via
from clearinghouse.vocab import Role


class AdvisoryAction(enum.StrEnum):
    READ = "advisory.read"  # one advisory, its revisions, renditions, feeds and OSV records
    WRITE = "advisory.write"  # create and revise drafts, import records (operator)
    PUBLISH = "advisory.publish"  # schedule, publish, withdraw (operator)


@dataclass(frozen=True, slots=True)
class AdvisoryFacts:
    """What the policy needs to know about an advisory.

    ``published``: the advisory has been published (withdrawn ones stay public records).
    ``tlp``: its marking; ``None`` means no marking, which is never read as CLEAR: only
    the operator sees such an advisory. ``participant_org_ids``: organisations taking part
    in the case it was drafted from (they may read the draft while the embargo holds).
    ``recipient_org_ids`` / ``recipient_user_ids``: who is named to receive TLP:AMBER
    (organisations) and TLP:RED (people) material.

    These are the facts of the revision the advisory serves; another revision is read on
    :class:`RevisionFacts`.
    """

    published: bool
    tlp: Tlp | None
    participant_org_ids: frozenset[uuid.UUID] = frozenset()
    recipient_org_ids: frozenset[uuid.UUID] = frozenset()
    recipient_user_ids: frozenset[uuid.UUID] = frozenset()


AdvisoryOrMissing = AdvisoryFacts | Missing | None

_EDITORS = frozenset({Role.ADMIN, Role.ANALYST})


def decide_advisory(
    principal: Principal, action: AdvisoryAction, facts: AdvisoryOrMissing = None
) -> Decision:
    """Advisories. Reading follows TLP 2.0 and the embargo:

    * published TLP:CLEAR: anyone, signed in or not;
    * published TLP:GREEN: every organisation on the platform in good standing;
    * TLP:AMBER / AMBER+STRICT: the named recipient organisations and the case's
      participants; TLP:RED: the named people only;
    * not yet published: the operator and the case's participants (within the TLP rules);
    * a revision other than the one served: also by its own marking (:func:`decide_revision`),
      and drafts newer than the served revision in order (:func:`drafts_shown`);
    * a suspended organisation receives nothing pre-publication and nothing beyond CLEAR;
    * no marking: the operator only.

    Writing (drafts, imports) and publishing are the operator's (analysts and admins with
    a write-scoped credential). Whoever may not read an advisory is told it does not exist,
    and one that does not exist (:data:`MISSING`) gets that same answer.
    """
    return noted(action.value, _decide(principal, action, facts))


def _decide(principal: Principal, action: AdvisoryAction, facts: AdvisoryOrMissing) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if action is AdvisoryAction.READ:
        if isinstance(facts, Missing):
            return missing(principal, anyone_may_read=True)
        return _read(principal, facts)
    if not principal.is_authenticated:
        return Decision.LOGIN  # writing is for accounts: an invitation or report token too
    if isinstance(facts, Missing):
        return missing(principal)
    if not principal.is_operator:
        # Whoever may not know the advisory is told it does not exist; whoever may, that
        # writing is not theirs.
        if facts is not None and _read(principal, facts) is Decision.HIDDEN:
            return Decision.HIDDEN
        return Decision.DENY
    if principal.role not in _EDITORS:
        return Decision.DENY
    return scoped(principal.has_scope(Scope.WRITE))


def _read(principal: Principal, facts: AdvisoryFacts | None) -> Decision:
    allowed = scoped(principal.has_scope(Scope.READ) or not principal.is_authenticated)
    if facts is not None and facts.published and facts.tlp is Tlp.CLEAR:
        return Decision.ALLOW  # public: whatever the credential's scopes
    if principal.is_operator:
        return allowed
    if facts is None:  # the collection: anyone may list what they may see
        return Decision.ALLOW
    if facts.tlp is None:
        return Decision.HIDDEN
    if not in_good_standing(principal):
        return Decision.HIDDEN
    participant = principal.org_id in facts.participant_org_ids
    if not facts.published and not participant:
        return Decision.HIDDEN
    # The case's participants and the named recipient organisations are its AMBER audience.
    named = participant or principal.org_id in facts.recipient_org_ids
    entitled = tlp_allows(
        principal,
        facts.tlp,
        audience=named,
        named_org=named,
        named_user=principal.user_id is not None and principal.user_id in facts.recipient_user_ids,
    )
    return allowed if entitled else Decision.HIDDEN


@dataclass(frozen=True, slots=True)
class RevisionFacts:
    """One stored revision of an advisory, for reading it.

    ``advisory``: the advisory's facts (those of the revision it serves); ``tlp``: the
    revision's own marking; ``draft``: it is newer than the published revision, or the
    advisory is not yet published; ``recipient_org_ids`` / ``recipient_user_ids``: whom
    the revision itself names (a draft's recipients reach nobody before it is served).
    """

    advisory: AdvisoryFacts
    tlp: Tlp | None
    draft: bool
    recipient_org_ids: frozenset[uuid.UUID] = frozenset()
    recipient_user_ids: frozenset[uuid.UUID] = frozenset()


def decide_revision(principal: Principal, facts: RevisionFacts) -> Decision:
    """Reading one revision: a draft as an advisory not yet published, and under the
    stricter of its own marking and recipients and the advisory's (each must allow the
    reader). So a draft re-marked TLP:RED after a TLP:CLEAR publication reaches its named
    people only, a person a draft names reads nothing more until it is served, and an
    earlier revision marked beyond a reader stays hidden from it once a later one is not."""
    advisory = replace(facts.advisory, published=facts.advisory.published and not facts.draft)
    decision = _decide(principal, AdvisoryAction.READ, advisory)
    if decision is Decision.ALLOW:
        own = replace(
            advisory,
            tlp=facts.tlp,
            recipient_org_ids=facts.recipient_org_ids,
            recipient_user_ids=facts.recipient_user_ids,
        )
        decision = _decide(principal, AdvisoryAction.READ, own)
    return noted(AdvisoryAction.READ.value, decision)


def can_revision(principal: Principal, facts: RevisionFacts) -> bool:
    return decide_revision(principal, facts) is Decision.ALLOW


def drafts_shown(principal: Principal, drafts: Sequence[RevisionFacts]) -> int:
    """How many of the drafts newer than the served revision (oldest first) ``principal``
    is shown: those up to the first it may not read, so that no newer draft, and no diff
    to one, reveals the one withheld."""
    shown = 0
    for facts in drafts:
        if not can_revision(principal, facts):
            break
        shown += 1
    return shown


def require_advisory(
    principal: Principal, action: AdvisoryAction, facts: AdvisoryOrMissing = None
) -> None:
    """Raise the error the edge turns into 401, 403 or 404."""
    raise_for(decide_advisory(principal, action, facts), action.value)


def can_advisory(
    principal: Principal, action: AdvisoryAction, facts: AdvisoryOrMissing = None
) -> bool:
    return decide_advisory(principal, action, facts) is Decision.ALLOW


# ---- what a principal may list ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdvisoryScope:
    """Which advisories a principal may read, as a plain value for queries: all of them
    (``everything``); else every published advisory marked with one of ``published_tlps``,
    whoever it concerns, and, when ``per_advisory``, others that must be decided one by
    one on their facts (named recipients, case participants)."""

    published_tlps: frozenset[Tlp]
    everything: bool = False
    per_advisory: bool = False

    def surely_reads(self, *, published: bool, tlp: Tlp | None) -> bool:
        """Readable without looking further; when False, :attr:`per_advisory` says
        whether the advisory's own facts could still allow it."""
        return self.everything or (published and tlp is not None and tlp in self.published_tlps)


def advisory_scope(principal: Principal) -> AdvisoryScope:
    if principal.via is Via.SYSTEM or (principal.is_operator and principal.has_scope(Scope.READ)):
        return AdvisoryScope(published_tlps=frozenset(Tlp), everything=True)
    community = (
        principal.is_authenticated
        and principal.org_id is not None
        and not principal.suspended
        and principal.has_scope(Scope.READ)
    )
    if not community:
        return AdvisoryScope(published_tlps=frozenset({Tlp.CLEAR}))
    return AdvisoryScope(published_tlps=frozenset({Tlp.CLEAR, Tlp.GREEN}), per_advisory=True)
