"""Access control in one place. Every read and write path asks :func:`require` (or
:func:`can`) with the principal, an action and the facts of the resource.

Pure: no web or database imports; the facts are plain values the caller loads. Where a
principal may not even learn that a resource exists, the answer is *hidden* and the edge
returns 404, not 403 (no existence leak).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from clearinghouse.accounts.principal import Principal, Scope, Via
from clearinghouse.errors import Forbidden, NotFound, Unauthenticated


class Action(enum.StrEnum):
    ORG_READ = "org.read"
    ORG_CREATE = "org.create"
    ORG_UPDATE = "org.update"
    USER_CREATE = "user.create"
    USER_READ = "user.read"
    TOKEN_MANAGE = "token.manage"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    JOBS_ADMIN = "jobs.admin"
    WEBHOOKS_MANAGE = "webhooks.manage"


class Decision(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"  # may know it exists, may not do this: 403
    HIDDEN = "hidden"  # may not know it exists: 404
    LOGIN = "login"  # must authenticate first: 401


@dataclass(frozen=True, slots=True)
class OrgFacts:
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class OwnedFacts:
    """Anything owned by one organisation (a token, an audit trail, a subscription)."""

    owner_org_id: uuid.UUID | None
    owner_user_id: uuid.UUID | None = None


Resource = OrgFacts | OwnedFacts | None

_WRITE_SCOPE = {
    Action.ORG_CREATE: Scope.ADMIN,
    Action.ORG_UPDATE: Scope.ADMIN,
    Action.USER_CREATE: Scope.ADMIN,
    Action.AUDIT_VERIFY: Scope.ADMIN,
    Action.JOBS_ADMIN: Scope.ADMIN,
    Action.WEBHOOKS_MANAGE: Scope.ADMIN,
}


def decide(principal: Principal, action: Action, resource: Resource = None) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    needed = _WRITE_SCOPE.get(action, Scope.READ)
    scoped = principal.has_scope(needed)
    operator = principal.is_operator
    admin = principal.role == "admin"
    match action:
        case Action.ORG_READ | Action.USER_READ:
            if operator:
                return _scoped(scoped)
            if isinstance(resource, OrgFacts) and resource.id == principal.org_id:
                return _scoped(scoped)
            return Decision.HIDDEN
        case Action.ORG_CREATE | Action.AUDIT_VERIFY | Action.JOBS_ADMIN:
            return _scoped(scoped) if operator and admin else Decision.DENY
        case Action.ORG_UPDATE | Action.USER_CREATE | Action.WEBHOOKS_MANAGE:
            if operator and admin:
                return _scoped(scoped)
            own = isinstance(resource, OrgFacts) and resource.id == principal.org_id
            own = own or (isinstance(resource, OwnedFacts) and resource.owner_org_id == principal.org_id)
            if own:
                return _scoped(scoped) if admin else Decision.DENY
            return Decision.HIDDEN
        case Action.TOKEN_MANAGE:
            if not isinstance(resource, OwnedFacts):
                return _scoped(scoped)  # creating one's own token
            if resource.owner_user_id == principal.user_id:
                return _scoped(scoped)
            if operator and admin:
                return _scoped(scoped)
            if resource.owner_org_id == principal.org_id and admin:
                return _scoped(scoped)
            return Decision.HIDDEN
        case Action.AUDIT_READ:
            if operator:
                return _scoped(scoped)
            if isinstance(resource, OwnedFacts) and resource.owner_org_id == principal.org_id:
                return _scoped(scoped)
            return Decision.HIDDEN
    return Decision.DENY  # pragma: no cover (match is exhaustive over Action)


def _scoped(scoped: bool) -> Decision:
    return Decision.ALLOW if scoped else Decision.DENY


def can(principal: Principal, action: Action, resource: Resource = None) -> bool:
    return decide(principal, action, resource) is Decision.ALLOW


def require(principal: Principal, action: Action, resource: Resource = None) -> None:
    """Raise the error the edge turns into 401, 403 or 404."""
    decision = decide(principal, action, resource)
    if decision is Decision.ALLOW:
        return
    if decision is Decision.LOGIN:
        raise Unauthenticated("sign in or send a bearer token")
    if decision is Decision.HIDDEN:
        raise NotFound("no such resource")
    raise Forbidden(f"your role or token scope does not allow {action.value}")
