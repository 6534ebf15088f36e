"""Who is acting: the authenticated identity every policy decision and audit entry uses."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

from clearinghouse.vocab import OrgKind, Role


class Via(enum.StrEnum):
    SESSION = "session"
    TOKEN = "token"  # noqa: S105 (a name, not a secret)
    LINK = "link"  # a signed, expiring invitation link (no account)
    REPORT_TOKEN = "report-token"  # noqa: S105 (a name, not a secret)
    ANONYMOUS = "anonymous"
    SYSTEM = "system"  # jobs, the CLI acting as the platform


class Scope(enum.StrEnum):
    """API token scopes. A session carries every scope its role allows."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    TAXII = "taxii"


@dataclass(frozen=True, slots=True)
class Principal:
    via: Via
    label: str
    user_id: uuid.UUID | None = None
    org_id: uuid.UUID | None = None
    org_kind: OrgKind | None = None
    role: Role | None = None  # the user's role in its organisation
    scopes: frozenset[Scope] = field(default_factory=frozenset)
    # For LINK / REPORT_TOKEN principals: what the credential opens (e.g. a case participant id).
    grant: str | None = None
    token_id: uuid.UUID | None = None
    # The principal's organisation is under an active suspension (standing): it keeps its
    # obligations and its own data but receives TLP:CLEAR material only (policy.tlp).
    suspended: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.via in (Via.SESSION, Via.TOKEN, Via.SYSTEM)

    @property
    def is_operator(self) -> bool:
        return self.org_kind is OrgKind.OPERATOR and self.via in (
            Via.SESSION,
            Via.TOKEN,
            Via.SYSTEM,
        )

    def has_scope(self, scope: Scope) -> bool:
        """Scopes nest: admin includes write, write includes read (a token that may
        change something may read what it changes); taxii stands alone."""
        if self.via is Via.SYSTEM:
            return True
        return any(held is scope or scope in _INCLUDED[held] for held in self.scopes)


_INCLUDED: dict[Scope, frozenset[Scope]] = {
    Scope.READ: frozenset(),
    Scope.WRITE: frozenset({Scope.READ}),
    Scope.ADMIN: frozenset({Scope.WRITE, Scope.READ}),
    Scope.TAXII: frozenset(),
}

ANONYMOUS = Principal(via=Via.ANONYMOUS, label="anonymous")
SYSTEM = Principal(
    via=Via.SYSTEM, label="system", org_kind=OrgKind.OPERATOR, scopes=frozenset(Scope)
)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presented, read off it by the HTTP edge (no framework types here).

    ``unsafe``: the method changes state (not GET/HEAD/OPTIONS), so a session needs its
    CSRF token. ``csrf``: the token sent in the ``X-CSRF-Token`` header, or by a page's
    form in its hidden field.
    """

    authorization: str | None = None
    report_token: str | None = None
    session_cookie: str | None = None
    csrf: str | None = None
    unsafe: bool = False
    client: str = "unknown"
