"""Account operations. Helpers flush and audit; the caller's transaction commits."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, bindparam, delete, exists, func, select, update
from sqlalchemy.orm import Session, joinedload

from clearinghouse.accounts.addresses import checked_email
from clearinghouse.accounts.models import (
    ApiToken,
    BrowserSession,
    LoginFailure,
    Membership,
    Organisation,
    User,
)
from clearinghouse.accounts.suspension import in_force
from clearinghouse.audit import service as audit
from clearinghouse.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from clearinghouse.prepared import Prepared
from clearinghouse.principal import Principal, Scope, Via
from clearinghouse.reading import available_zones
from clearinghouse.vocab import Language, OrgKind, Role

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
TOKEN_PREFIX = "chk_"  # noqa: S105 (a public prefix, not a secret)
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}\Z")  # \Z: $ passes a final newline
MIN_PASSWORD = 12

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.ADMIN: frozenset({Scope.READ, Scope.WRITE, Scope.ADMIN, Scope.TAXII}),
    Role.ANALYST: frozenset({Scope.READ, Scope.WRITE, Scope.TAXII}),
    Role.VIEWER: frozenset({Scope.READ, Scope.TAXII}),
}


def configure_password_hashing(time_cost: int, memory_kib: int) -> None:
    """Set the argon2id cost (from settings, at start-up). Existing hashes keep verifying:
    the parameters are stored inside each hash."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters", field="password")
    if len(password) > 1024:
        raise InvalidInput("a password may have at most 1024 characters", field="password")
    return _hasher.hash(password)


def _password_matches(stored: str | None, password: str) -> bool:
    if not stored:
        _hasher.hash("timing-equaliser")  # spend the same time for unknown users
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# ---- organisations and users -------------------------------------------------------------


def create_organisation(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    slug: str,
    name: str,
    kind: OrgKind,
    country: str | None = None,
    jurisdictions: list[str] | None = None,
    regulatory_roles: list[str] | None = None,
    contact_email: str | None = None,
) -> Organisation:
    if not _SLUG.match(slug):
        raise InvalidInput(
            "slug must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit",
            field="slug",
        )
    if session.scalar(select(Organisation.id).where(Organisation.slug == slug)):
        raise Conflict(f"an organisation with slug {slug!r} exists", field="slug")
    org = Organisation(
        slug=slug,
        name=name,
        kind=kind,
        country=country.upper() if country else None,
        jurisdictions=sorted({j.upper() for j in jurisdictions or []}),
        regulatory_roles=sorted(set(regulatory_roles or [])),
        contact_email=checked_email(contact_email, field="contact_email")
        if contact_email
        else None,
        created_at=now,
    )
    session.add(org)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="organisation.created",
        object_type="organisation",
        object_id=org.id,
        owner_org_id=org.id,
        at=now,
        change={
            "slug": slug,
            "name": name,
            "kind": kind.value,
            "country": org.country,
            "jurisdictions": org.jurisdictions,
            "regulatory_roles": org.regulatory_roles,
        },
    )
    return org


def update_organisation(
    session: Session,
    *,
    actor: Principal,
    org: Organisation,
    now: datetime,
    values: dict[str, Any],
) -> dict[str, Any]:
    """Apply a validated patch (the API decides who may change what); audited."""
    from clearinghouse import pgp
    from clearinghouse.clocks.model import Role as RegulatoryRole

    change: dict[str, Any] = {}
    if values.get("name"):
        org.name = str(values["name"])
        change["name"] = org.name
    if "country" in values:
        org.country = str(values["country"]).upper() if values["country"] else None
        change["country"] = org.country
    if "jurisdictions" in values and values["jurisdictions"] is not None:
        org.jurisdictions = sorted({str(j).upper() for j in values["jurisdictions"]})
        change["jurisdictions"] = org.jurisdictions
    if "regulatory_roles" in values and values["regulatory_roles"] is not None:
        roles = sorted({str(r) for r in values["regulatory_roles"]})
        known = {r.value for r in RegulatoryRole}
        unknown = [r for r in roles if r not in known]
        if unknown:
            raise InvalidInput(
                f"unknown regulatory role(s) {unknown}; known: {sorted(known)}",
                field="regulatory_roles",
            )
        org.regulatory_roles = roles
        change["regulatory_roles"] = roles
    if "contact_email" in values:
        given = str(values["contact_email"] or "")
        org.contact_email = checked_email(given, field="contact_email") if given else None
        change["contact_email"] = org.contact_email
    if "pgp_public_key" in values:
        armored = str(values["pgp_public_key"] or "")
        if armored.strip():
            info = pgp.parse_public_key(armored, at=now)
            org.pgp_public_key = armored
            change["pgp_fingerprint"] = info.fingerprint
        else:
            org.pgp_public_key = None
            change["pgp_fingerprint"] = None
    if change:
        audit.append(
            session,
            actor=actor,
            action="organisation.updated",
            object_type="organisation",
            object_id=org.id,
            owner_org_id=org.id,
            at=now,
            change=change,
        )
    return change


def set_display(
    session: Session,
    *,
    actor: Principal,
    user: User,
    timezone: str,
    language: Language | None,
    now: datetime,
) -> dict[str, Any]:
    """A user's time zone (an IANA name) and language for the pages (``None``: the
    browser's); audited when something changed."""
    if timezone not in available_zones():
        raise InvalidInput(f"{timezone[:64]!r} is not an IANA time zone", field="timezone")
    change: dict[str, Any] = {}
    if user.timezone != timezone:
        change["timezone"] = {"from": user.timezone, "to": timezone}
        user.timezone = timezone
    wanted = language.value if language is not None else None
    if user.language != wanted:
        change["language"] = {"from": user.language, "to": wanted}
        user.language = wanted
    if change:
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="user.display_changed",
            object_type="user",
            object_id=user.id,
            at=now,
            change=change,
        )
    return change


def pgp_fingerprint(org: Organisation, now: datetime) -> str | None:
    from clearinghouse import pgp

    if not org.pgp_public_key:
        return None
    try:
        return pgp.parse_public_key(
            org.pgp_public_key, at=now, require_encryption=False
        ).fingerprint
    except InvalidInput:
        return None


def create_user(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    email: str,
    name: str,
    password: str | None,
    organisation: Organisation,
    role: Role,
    timezone: str = "UTC",
) -> User:
    email = checked_email(email)
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("a user with this e-mail exists", field="email")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password) if password else None,
        timezone=timezone,
        created_at=now,
    )
    session.add(user)
    session.flush()
    session.add(
        Membership(user_id=user.id, organisation_id=organisation.id, role=role, created_at=now)
    )
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="user.created",
        object_type="user",
        object_id=user.id,
        owner_org_id=organisation.id,
        at=now,
        change={
            "email": email,
            "name": name,
            "organisation": organisation.slug,
            "role": role.value,
        },
    )
    return user


def membership_of(
    session: Session, user_id: uuid.UUID, org_id: uuid.UUID | None = None
) -> Membership:
    # The user and organisation in the same query: every authenticated request reads both
    # (is the user active, which kind of organisation), two lazy loads otherwise.
    query = (
        select(Membership)
        .where(Membership.user_id == user_id)
        .options(joinedload(Membership.user), joinedload(Membership.organisation))
    )
    if org_id is not None:
        query = query.where(Membership.organisation_id == org_id)
    membership = session.scalars(query.order_by(Membership.created_at)).first()
    if membership is None:
        raise NotFound("the user belongs to no such organisation")
    return membership


def principal_for(
    membership: Membership,
    via: Via,
    scopes: frozenset[Scope] | None = None,
    token_id: uuid.UUID | None = None,
) -> Principal:
    return _principal(
        via,
        membership.user.email,
        membership.user_id,
        membership.organisation_id,
        membership.organisation.kind,
        membership.role,
        scopes,
        token_id,
    )


def _principal(
    via: Via,
    label: str,
    user_id: uuid.UUID,
    org_id: uuid.UUID,
    org_kind: OrgKind,
    role: Role,
    scopes: frozenset[Scope] | None,
    token_id: uuid.UUID | None,
    suspended: bool = False,
) -> Principal:
    """A member's principal: what ``scopes`` ask (all by default) within what ``role`` allows."""
    allowed = ROLE_SCOPES[role]
    return Principal(
        via=via,
        label=label,
        user_id=user_id,
        org_id=org_id,
        org_kind=org_kind,
        role=role,
        scopes=allowed if scopes is None else scopes & allowed,
        token_id=token_id,
        suspended=suspended,
    )


# ---- login, rate limiting, browser sessions ------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginLimits:
    max_failures: int
    window: timedelta


def _failures(session: Session, key: str, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at >= since)
        )
        or 0
    )


def authenticate(
    session: Session, *, email: str, password: str, client: str, now: datetime, limits: LoginLimits
) -> User:
    """Check a password, counting failures per account and per client address.

    Over the limit, even a correct password is refused with 429 until the window passes,
    so that guessing cannot continue at full speed."""
    email = email.strip().lower()
    keys = [f"email:{email}", f"client:{client}"]
    since = now - limits.window
    for key in keys:
        if _failures(session, key, since) >= limits.max_failures:
            raise RateLimited(
                "too many failed logins; wait and try again",
                retry_after=int(limits.window.total_seconds()),
            )
    user = session.scalars(select(User).where(User.email == email)).first()
    if user is None or not user.is_active or not _password_matches(user.password_hash, password):
        for key in keys:
            session.add(LoginFailure(key=key, at=now))
        session.flush()
        raise Unauthenticated("wrong e-mail or password")
    session.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
    return user


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    csrf_token: str
    record: BrowserSession


def start_session(
    session: Session, *, user: User, org_id: uuid.UUID, now: datetime, hours: int
) -> NewSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    record = BrowserSession(
        user_id=user.id,
        organisation_id=org_id,
        token_hash=sha256(token),
        csrf_token=csrf,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(record)
    session.flush()
    return NewSession(token, csrf, record)


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    membership: Membership
    new: NewSession


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    organisation: str | None,
    client: str,
    now: datetime,
    limits: LoginLimits,
    hours: int,
) -> SignedIn:
    """Check the password (counting failures: the caller commits them even when this
    raises ``Unauthenticated``) and start a browser session in the user's organisation
    (``organisation``: a slug, when the user belongs to several)."""
    user = authenticate(
        session, email=email, password=password, client=client, now=now, limits=limits
    )
    org_id = None
    if organisation:
        org = session.scalars(select(Organisation).where(Organisation.slug == organisation)).first()
        if org is None:
            raise InvalidInput("no such organisation", field="organisation")
        org_id = org.id
    membership = membership_of(session, user.id, org_id)
    new = start_session(session, user=user, org_id=membership.organisation_id, now=now, hours=hours)
    return SignedIn(user, membership, new)


def session_principal(
    session: Session, token: str, now: datetime
) -> tuple[Principal, BrowserSession] | None:
    record = session.scalars(
        select(BrowserSession).where(BrowserSession.token_hash == sha256(token))
    ).first()
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    membership = membership_of(session, record.user_id, record.organisation_id)
    if not membership.user.is_active:
        return None
    return principal_for(membership, Via.SESSION), record


def end_session(session: Session, token: str, now: datetime) -> None:
    record = session.scalars(
        select(BrowserSession).where(BrowserSession.token_hash == sha256(token))
    ).first()
    if record is not None and record.revoked_at is None:
        record.revoked_at = now


# ---- API tokens ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewToken:
    secret: str  # shown once
    record: ApiToken


def create_token(
    session: Session,
    *,
    actor: Principal,
    user: User,
    org_id: uuid.UUID,
    name: str,
    scopes: set[Scope],
    now: datetime,
    expires_at: datetime | None,
) -> NewToken:
    if not scopes:
        raise InvalidInput("a token needs at least one scope", field="scopes")
    membership = membership_of(session, user.id, org_id)
    allowed = ROLE_SCOPES[membership.role]
    if not scopes <= allowed:
        extra = ", ".join(sorted(s.value for s in scopes - allowed))
        raise InvalidInput(
            f"the role {membership.role.value!r} cannot grant: {extra}", field="scopes"
        )
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("expires_at must be in the future", field="expires_at")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiToken(
        user_id=user.id,
        organisation_id=org_id,
        name=name,
        prefix=prefix,
        token_hash=sha256(secret),
        scopes=sorted(s.value for s in scopes),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(record)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="token.created",
        object_type="api_token",
        object_id=record.id,
        owner_org_id=org_id,
        at=now,
        change={
            "name": name,
            "user": user.email,
            "scopes": record.scopes,
            "prefix": prefix,
            "expires_at": expires_at,
        },
    )
    return NewToken(secret, record)


@cache
@cache
def _token_lookup() -> Prepared:
    """The token, its membership, user and organisation, and whether a suspension of the
    organisation is in force: one query for every request a token makes (four ORM loads
    before: ~0.8 ms of a TAXII page's budget)."""
    tokens, members = ApiToken.__table__, Membership.__table__
    users, orgs = User.__table__, Organisation.__table__
    t, m, u, o = tokens.c, members.c, users.c, orgs.c
    at = bindparam("now", type_=t.created_at.type)
    suspended = exists().where(in_force(t.organisation_id, at)).label("suspended")
    columns = [t.id, t.user_id, t.organisation_id, t.scopes, t.expires_at, t.revoked_at]
    return Prepared(
        select(*columns, t.last_used_at, u.email, u.is_active, m.role, o.kind, suspended)
        .select_from(tokens)
        .outerjoin(members, and_(m.user_id == t.user_id, m.organisation_id == t.organisation_id))
        .outerjoin(users, u.id == t.user_id)
        .outerjoin(orgs, o.id == t.organisation_id)
        .where(t.token_hash == bindparam("hash"))
    )


def token_principal(session: Session, secret: str, now: datetime) -> Principal:
    """Who a bearer token speaks for, with ``suspended`` already decided (the
    authenticator asks the suspension itself for every other kind of credential)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise Unauthenticated("the bearer token is not one of ours")
    found = _token_lookup().first(session.connection(), {"hash": sha256(secret), "now": now})
    if found is None:
        raise Unauthenticated("unknown token")
    if found.revoked_at is not None:
        raise Unauthenticated("this token was revoked")
    if found.expires_at is not None and found.expires_at <= now:
        raise Unauthenticated("this token expired")
    if found.role is None:
        raise NotFound("the user belongs to no such organisation")
    if not found.is_active:
        raise Unauthenticated("this token's user is deactivated")
    if session.info.get("write") and (
        found.last_used_at is None or now - found.last_used_at > timedelta(minutes=1)
    ):
        session.execute(update(ApiToken).where(ApiToken.id == found.id).values(last_used_at=now))
    return _principal(
        Via.TOKEN,
        found.email,
        found.user_id,
        found.organisation_id,
        OrgKind(found.kind),
        Role(found.role),
        frozenset(Scope(s) for s in found.scopes),
        found.id,
        suspended=bool(found.suspended),
    )


def revoke_token(session: Session, *, actor: Principal, token: ApiToken, now: datetime) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = now
    audit.append(
        session,
        actor=actor,
        action="token.revoked",
        object_type="api_token",
        object_id=token.id,
        owner_org_id=token.organisation_id,
        at=now,
        change={"prefix": token.prefix},
    )
