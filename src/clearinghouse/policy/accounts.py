"""Organisations, users, tokens, the audit trail, jobs, webhooks, and each person's own
notifications and preferences."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from clearinghouse.policy.core import Decision, Missing, missing, noted, raise_for, scoped
from clearinghouse.principal import Principal, Scope, Via
from clearinghouse.vocab import Role


class AccountAction(enum.StrEnum):
    ME_READ = "me.read"
    ORG_LIST = "org.list"  # the organisations one may see (operator: all; members: its own)
    ORG_READ = "org.read"
    ORG_CREATE = "org.create"
    ORG_UPDATE = "org.update"  # contact address and OpenPGP key (its administrators)
    ORG_PROFILE_UPDATE = "org.profile.update"  # country, jurisdictions, regulatory roles
    USER_CREATE = "user.create"
    USER_READ = "user.read"
    # Token actions (names, not secrets): one's own; revoking, also an organisation's by
    # its administrators.
    TOKEN_CREATE = "token.create"  # noqa: S105
    TOKEN_LIST = "token.list"  # noqa: S105
    TOKEN_REVOKE = "token.revoke"  # noqa: S105
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    JOBS_ADMIN = "jobs.admin"
    WEBHOOKS_MANAGE = "webhooks.manage"
    NOTIFICATIONS_READ = "notifications.read"  # one's own notices
    NOTIFICATIONS_UPDATE = "notifications.update"  # mark one's own notices read
    PREFERENCES_READ = "preferences.read"  # how one is notified
    PREFERENCES_UPDATE = "preferences.update"


@dataclass(frozen=True, slots=True)
class OrgFacts:
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class OwnedFacts:
    """Anything owned by one organisation (a token, an audit entry, a subscription)."""

    owner_org_id: uuid.UUID | None
    owner_user_id: uuid.UUID | None = None


AccountFacts = OrgFacts | OwnedFacts | Missing | None

_NEEDS: dict[AccountAction, Scope] = {
    AccountAction.ORG_CREATE: Scope.ADMIN,
    AccountAction.ORG_UPDATE: Scope.ADMIN,
    AccountAction.ORG_PROFILE_UPDATE: Scope.ADMIN,
    AccountAction.USER_CREATE: Scope.ADMIN,
    AccountAction.AUDIT_VERIFY: Scope.ADMIN,
    AccountAction.JOBS_ADMIN: Scope.ADMIN,
    AccountAction.WEBHOOKS_MANAGE: Scope.ADMIN,
    AccountAction.TOKEN_CREATE: Scope.WRITE,
    AccountAction.TOKEN_REVOKE: Scope.WRITE,
    AccountAction.NOTIFICATIONS_UPDATE: Scope.WRITE,
    AccountAction.PREFERENCES_UPDATE: Scope.WRITE,
}
# What a person does for themselves. In a browser session they act as themselves (any
# role); a token must carry the scope, so a read-only token changes nothing.
_SELF_SERVICE = frozenset(
    {
        AccountAction.TOKEN_CREATE,
        AccountAction.TOKEN_LIST,
        AccountAction.NOTIFICATIONS_READ,
        AccountAction.NOTIFICATIONS_UPDATE,
        AccountAction.PREFERENCES_READ,
        AccountAction.PREFERENCES_UPDATE,
    }
)
_OPERATOR_ADMIN_ONLY = frozenset(
    {AccountAction.ORG_CREATE, AccountAction.AUDIT_VERIFY, AccountAction.JOBS_ADMIN}
)
_ORG_ADMINS = frozenset(
    {AccountAction.ORG_UPDATE, AccountAction.USER_CREATE, AccountAction.WEBHOOKS_MANAGE}
)


def decide_account(
    principal: Principal, action: AccountAction, facts: AccountFacts = None
) -> Decision:
    return noted(action.value, _decide(principal, action, facts))


def _decide(principal: Principal, action: AccountAction, facts: AccountFacts) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if action is AccountAction.ME_READ:
        return Decision.LOGIN if principal.via is Via.ANONYMOUS else Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    if isinstance(facts, Missing):
        return missing(principal)
    needed = _NEEDS.get(action, Scope.READ)
    if action in _SELF_SERVICE:
        if principal.user_id is None:
            return Decision.LOGIN
        return scoped(principal.via is Via.SESSION or principal.has_scope(needed))
    allowed = scoped(principal.has_scope(needed))
    operator_admin = principal.is_operator and principal.role is Role.ADMIN
    own = _owned_by_own_org(principal, facts)
    match action:
        case AccountAction.ORG_LIST:
            return allowed
        case AccountAction.ORG_READ | AccountAction.USER_READ | AccountAction.AUDIT_READ:
            if (
                principal.is_operator
                or own
                or (facts is None and action is AccountAction.AUDIT_READ)
            ):
                return allowed
            return Decision.HIDDEN
        case _ if action in _OPERATOR_ADMIN_ONLY:
            return allowed if operator_admin else Decision.DENY
        case _ if action in _ORG_ADMINS:
            if operator_admin:
                return allowed
            if own:
                return allowed if principal.role is Role.ADMIN else Decision.DENY
            # the operator knows every organisation; others may not learn of this one
            return Decision.DENY if principal.is_operator else Decision.HIDDEN
        case AccountAction.ORG_PROFILE_UPDATE:
            if operator_admin:
                return allowed
            return Decision.DENY if own or principal.is_operator else Decision.HIDDEN
        case AccountAction.TOKEN_REVOKE:
            return _token_revoke(principal, facts, operator_admin=operator_admin)
    return Decision.DENY  # pragma: no cover (every action is matched above)


def _owned_by_own_org(principal: Principal, facts: AccountFacts) -> bool:
    if principal.org_id is None:
        return False
    if isinstance(facts, OrgFacts):
        return facts.id == principal.org_id
    return isinstance(facts, OwnedFacts) and facts.owner_org_id == principal.org_id


def _token_revoke(principal: Principal, facts: AccountFacts, *, operator_admin: bool) -> Decision:
    if not isinstance(facts, OwnedFacts):
        return Decision.HIDDEN
    allowed = scoped(principal.via is Via.SESSION or principal.has_scope(Scope.WRITE))
    if facts.owner_user_id is not None and facts.owner_user_id == principal.user_id:
        return allowed
    org_admin = principal.role is Role.ADMIN and facts.owner_org_id == principal.org_id
    if operator_admin or org_admin:
        return scoped(principal.has_scope(Scope.WRITE))
    return Decision.DENY if principal.is_operator else Decision.HIDDEN


def require_account(
    principal: Principal, action: AccountAction, facts: AccountFacts = None
) -> None:
    """Raise the error the edge turns into 401, 403 or 404."""
    raise_for(decide_account(principal, action, facts), action.value)


def can_account(principal: Principal, action: AccountAction, facts: AccountFacts = None) -> bool:
    return decide_account(principal, action, facts) is Decision.ALLOW


# ---- what a principal may list ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrgScope:
    """Whose records a principal may list (organisations, audit entries): every
    organisation's, or one organisation's (``org_id``; ``None``: nobody's)."""

    everything: bool
    org_id: uuid.UUID | None = None


def org_scope(principal: Principal) -> OrgScope:
    if principal.via is Via.SYSTEM or principal.is_operator:
        return OrgScope(everything=True)
    return OrgScope(everything=False, org_id=principal.org_id)
