"""What every decision shares: the four answers, how they become errors, the answer for a
resource that does not exist, and a record of the decisions asked during one request."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

from clearinghouse.errors import Forbidden, NotFound, Unauthenticated
from clearinghouse.principal import Principal, Via


class Decision(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"  # may know it exists, may not do this: 403
    HIDDEN = "hidden"  # may not know it exists: 404
    LOGIN = "login"  # must authenticate first: 401


class Missing:
    """The facts of a resource that does not exist. Deciding on it gives exactly the
    answer a principal gets for a resource it may not know of, so that no identifier can
    be probed: 401 where signing in could change the answer, else 404."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = Missing()


def missing(principal: Principal, *, anyone_may_read: bool = False) -> Decision:
    """The answer for a resource that does not exist (see :class:`Missing`).

    ``anyone_may_read``: resources of this kind can be public (advisories), so an
    anonymous caller is told "not found" rather than "sign in"."""
    if principal.via is Via.SYSTEM:
        return Decision.HIDDEN
    signed_in = principal.is_authenticated or principal.via in (Via.LINK, Via.REPORT_TOKEN)
    if not signed_in and not anyone_may_read:
        return Decision.LOGIN
    return Decision.HIDDEN


def scoped(allowed_by_scope: bool) -> Decision:
    return Decision.ALLOW if allowed_by_scope else Decision.DENY


def raise_for(decision: Decision, what: str) -> None:
    """Raise the error the edges turn into 401, 403 or 404 (nothing when allowed)."""
    if decision is Decision.ALLOW:
        return
    if decision is Decision.LOGIN:
        raise Unauthenticated("sign in or send a bearer token")
    if decision is Decision.HIDDEN:
        raise NotFound("no such resource")
    raise Forbidden(f"your role or token scope does not allow {what}")


# ---- what was asked ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Asked:
    action: str
    decision: Decision


_asked: ContextVar[list[Asked] | None] = ContextVar("policy_asked", default=None)


@contextmanager
def recording() -> Iterator[list[Asked]]:
    """Collect every decision taken inside the block (and in the threads it hands work to
    with a copy of its context, as the web framework does): the route-table test uses it
    to prove that each route asks the policy the action it is listed with."""
    asked: list[Asked] = []
    token = _asked.set(asked)
    try:
        yield asked
    finally:
        _asked.reset(token)


def noted(action: str, decision: Decision) -> Decision:
    """Every ``decide_*`` function returns through here."""
    asked = _asked.get()
    if asked is not None:
        asked.append(Asked(action, decision))
    return decision
