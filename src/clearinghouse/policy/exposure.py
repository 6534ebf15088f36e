"""Exposure: an organisation's inventories (SBOMs), the findings matched against them,
the VEX statements it publishes, the "aware" events a match records, its declared
products, and the operator's view of which members a case affects."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from clearinghouse.policy.advisories import AdvisoryAction, AdvisoryFacts, decide_advisory
from clearinghouse.policy.core import Decision, Missing, missing, noted, raise_for, scoped
from clearinghouse.principal import Principal, Scope, Via
from clearinghouse.vocab import OrgKind, Role


class ExposureAction(enum.StrEnum):
    INVENTORY_READ = "inventory.read"  # an organisation's inventories, their history
    INVENTORY_UPLOAD = "inventory.upload"  # upload (or replace) one of its own inventories
    FINDING_READ = "finding.read"  # a finding: a component an advisory affects
    FINDING_UPDATE = "finding.update"  # acknowledge, mark fixed or not affected
    VEX_PUBLISH = "vex.publish"  # publish a VEX statement about one's own finding
    VEX_READ = "vex.read"  # a published VEX statement
    AWARENESS_WITHDRAW = "awareness.withdraw"  # retract an "aware" event a match recorded
    PRODUCTS_READ = "products.read"  # the package URLs an organisation declares it makes
    PRODUCTS_WRITE = "products.write"
    CASE_EXPOSURE_READ = "case.exposure.read"  # which members a case affects (operator)
    CASE_EXPOSURE_INVITE = "case.exposure.invite"  # invite them to the case (operator)


@dataclass(frozen=True, slots=True)
class OwnerFacts:
    """The organisation a resource (an inventory, its declared products, an awareness
    event) belongs to; for ``INVENTORY_UPLOAD`` and lists, the one asked about."""

    owner_org_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class FindingFacts:
    """A finding: whose inventory it is in, and the advisory that matched (as the
    advisory policy reads it). ``advisory.published`` is False for drafts and advisories
    still under embargo: such matches are the operator's alone."""

    owner_org_id: uuid.UUID
    advisory: AdvisoryFacts


@dataclass(frozen=True, slots=True)
class VexFacts:
    """A VEX statement: the organisation it speaks for, and the advisory it answers."""

    owner_org_id: uuid.UUID
    advisory: AdvisoryFacts


@dataclass(frozen=True, slots=True)
class CaseExposureFacts:
    """A case asked about: whether the principal may know it exists (a participant)."""

    may_know_case: bool


Facts = OwnerFacts | FindingFacts | VexFacts | CaseExposureFacts | Missing | None

_WRITERS = frozenset({Role.ADMIN, Role.ANALYST})
_READS = frozenset(
    {
        ExposureAction.INVENTORY_READ,
        ExposureAction.FINDING_READ,
        ExposureAction.VEX_READ,
        ExposureAction.PRODUCTS_READ,
        ExposureAction.CASE_EXPOSURE_READ,
    }
)


def decide_exposure(principal: Principal, action: ExposureAction, facts: Facts = None) -> Decision:
    """Exposure decisions.

    * Inventories and declared products are their organisation's (read with a
      read-scoped credential, written by its admins and analysts with a write-scoped one)
      and the operator's to read; the operator does not upload in a member's name.
    * A finding is shown to its organisation only when the advisory is **published** and
      the advisory policy lets the principal read it (TLP, named recipients, standing);
      a match against a draft or an embargoed advisory is the operator's alone. Whoever
      may not see a finding is told it does not exist.
    * A VEX statement is published by the organisation whose inventory the finding is in
      (admins and analysts, write scope), under its own name, about a finding it may see;
      never by the operator on its behalf. Once published, whoever may read the advisory
      may read the statement.
    * An "aware" event a match recorded may be withdrawn by its organisation (write
      scope) or by the operator's analysts and admins.
    * Which members a case affects, and inviting them, is the operator's (read scope to
      look; analysts and admins with write scope to invite). A participant who may know
      the case is refused (403); anyone else is told it does not exist.
    """
    return noted(action.value, _decide(principal, action, facts))


def _decide(principal: Principal, action: ExposureAction, facts: Facts) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if action is ExposureAction.VEX_READ and isinstance(facts, VexFacts | Missing):
        if isinstance(facts, Missing):  # statements can be public: "not found", not "sign in"
            return missing(principal, anyone_may_read=True)
        return _vex_read(principal, facts)
    if not principal.is_authenticated:
        return Decision.LOGIN
    if isinstance(facts, Missing):
        return missing(principal)
    scope = Scope.READ if action in _READS else Scope.WRITE
    if action in (ExposureAction.CASE_EXPOSURE_READ, ExposureAction.CASE_EXPOSURE_INVITE):
        return _case(principal, action, facts)
    owner = _owner(facts)
    own = owner is not None and owner == principal.org_id
    if principal.is_operator:
        return _operator(principal, action, scope)
    if facts is None:  # one's own collection
        own = principal.org_id is not None and principal.org_kind is not OrgKind.FINDER
    if not own:
        return Decision.HIDDEN
    if isinstance(facts, FindingFacts) and not _member_sees(principal, facts.advisory):
        return Decision.HIDDEN
    if scope is Scope.WRITE and principal.role not in _WRITERS:
        return Decision.DENY
    return scoped(principal.has_scope(scope))


def _owner(facts: Facts) -> uuid.UUID | None:
    if isinstance(facts, OwnerFacts):
        return facts.owner_org_id
    if isinstance(facts, FindingFacts | VexFacts):
        return facts.owner_org_id
    return None


def _operator(principal: Principal, action: ExposureAction, scope: Scope) -> Decision:
    match action:
        case ExposureAction.INVENTORY_UPLOAD | ExposureAction.PRODUCTS_WRITE:
            return Decision.DENY  # the organisation's own statement about itself
        case ExposureAction.VEX_PUBLISH | ExposureAction.FINDING_UPDATE:
            return Decision.DENY  # a member's answer, in its own name
        case ExposureAction.AWARENESS_WITHDRAW:
            if principal.role not in _WRITERS:
                return Decision.DENY
            return scoped(principal.has_scope(scope))
        case _:
            return scoped(principal.has_scope(scope))


def _member_sees(principal: Principal, advisory: AdvisoryFacts) -> bool:
    """A member sees a match only against a published advisory it may read."""
    if not advisory.published:
        return False
    return decide_advisory(principal, AdvisoryAction.READ, advisory) is Decision.ALLOW


def _vex_read(principal: Principal, facts: VexFacts) -> Decision:
    if principal.is_operator or (
        principal.is_authenticated and principal.org_id == facts.owner_org_id
    ):
        return scoped(principal.has_scope(Scope.READ))
    if not facts.advisory.published:
        return missing(principal, anyone_may_read=True)
    return decide_advisory(principal, AdvisoryAction.READ, facts.advisory)


def _case(principal: Principal, action: ExposureAction, facts: Facts) -> Decision:
    may_know = isinstance(facts, CaseExposureFacts) and facts.may_know_case
    if not principal.is_operator:
        return Decision.DENY if may_know else Decision.HIDDEN
    if action is ExposureAction.CASE_EXPOSURE_INVITE:
        if principal.role not in _WRITERS:
            return Decision.DENY
        return scoped(principal.has_scope(Scope.WRITE))
    return scoped(principal.has_scope(Scope.READ))


def require_exposure(principal: Principal, action: ExposureAction, facts: Facts = None) -> None:
    """Raise the error the edge turns into 401, 403 or 404."""
    raise_for(decide_exposure(principal, action, facts), action.value)


def can_exposure(principal: Principal, action: ExposureAction, facts: Facts = None) -> bool:
    return decide_exposure(principal, action, facts) is Decision.ALLOW


def may_be_told(principal: Principal, advisory: AdvisoryFacts) -> bool:
    """Whether a user (as ``principal``) may be told that an advisory affects its
    organisation's inventory: the advisory is published and the user may read it. The
    matching jobs ask this before any notice leaves, and before recording "aware"."""
    if principal.org_id is None:
        return False
    facts = FindingFacts(principal.org_id, advisory)
    return decide_exposure(principal, ExposureAction.FINDING_READ, facts) is Decision.ALLOW
