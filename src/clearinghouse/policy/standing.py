"""Obligations, the compliance record, sanctions and submissions of an organisation."""

from __future__ import annotations

import enum
import uuid

from clearinghouse.policy.core import Decision, Missing, missing, noted, raise_for, scoped
from clearinghouse.principal import Principal, Scope, Via
from clearinghouse.vocab import Role


class StandingAction(enum.StrEnum):
    OBLIGATIONS_READ = "obligations.read"  # an organisation's obligations and record
    SUBMISSION_WRITE = "submission.write"  # draft and mark submitted its own reports
    SANCTION_MANAGE = "sanction.manage"  # suspend, reassess (operator administrators)
    OVERRIDE_MANAGE = "override.manage"  # decide that a regime binds or not (operator)


def decide_standing(
    principal: Principal, action: StandingAction, org_id: uuid.UUID | Missing | None
) -> Decision:
    """Obligations and standing of organisation ``org_id`` (None: every organisation;
    :data:`MISSING`: an organisation or submission that does not exist)."""
    return noted(action.value, _decide(principal, action, org_id))


def _decide(
    principal: Principal, action: StandingAction, org_id: uuid.UUID | Missing | None
) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    if isinstance(org_id, Missing):
        return missing(principal)
    operator = principal.is_operator
    own = org_id is not None and org_id == principal.org_id
    match action:
        case StandingAction.OBLIGATIONS_READ:
            if operator or own:
                return scoped(principal.has_scope(Scope.READ))
            return Decision.HIDDEN
        case StandingAction.SUBMISSION_WRITE:
            if operator or own:
                return scoped(principal.has_scope(Scope.WRITE))
            return Decision.HIDDEN
        case StandingAction.SANCTION_MANAGE | StandingAction.OVERRIDE_MANAGE:
            if operator:
                return scoped(principal.role is Role.ADMIN and principal.has_scope(Scope.ADMIN))
            return Decision.DENY if own else Decision.HIDDEN
    return Decision.DENY  # pragma: no cover (match is exhaustive over StandingAction)


def require_standing(
    principal: Principal, action: StandingAction, org_id: uuid.UUID | Missing | None
) -> None:
    raise_for(decide_standing(principal, action, org_id), action.value)


def can_standing(
    principal: Principal, action: StandingAction, org_id: uuid.UUID | Missing | None
) -> bool:
    return decide_standing(principal, action, org_id) is Decision.ALLOW
