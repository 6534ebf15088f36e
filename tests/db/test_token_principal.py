"""A bearer token's principal, read in one query: the same answers as the suspension's own
look-up at every instant of a suspension's life, the role's cap on the token's scopes, and
each way a token stops speaking for anyone (unknown, revoked, expired, membership gone,
user deactivated). On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import ApiToken, Membership, Organisation, User
from clearinghouse.accounts.suspension import active_suspension
from clearinghouse.db import Database
from clearinghouse.errors import NotFound, Unauthenticated
from clearinghouse.principal import SYSTEM, Principal, Scope
from clearinghouse.standing import sanctions
from clearinghouse.standing.models import ReassessmentOutcome
from clearinghouse.vocab import OrgKind, Role

T0 = datetime(2021, 12, 22, 2, tzinfo=UTC)


def _member(database: Database, role: Role = Role.ADMIN) -> tuple[uuid.UUID, uuid.UUID, str]:
    """An organisation, one user of it, and a taxii+read token: (org id, user id, secret)."""
    with database.transaction() as s:
        org = accounts.create_organisation(
            s, actor=SYSTEM, now=T0, slug="cloud", name="Cloud", kind=OrgKind.MEMBER
        )
        user = accounts.create_user(
            s,
            actor=SYSTEM,
            now=T0,
            email="reader@cloud.test",
            name="Reader",
            password=None,
            organisation=org,
            role=role,
        )
        secret = accounts.create_token(
            s,
            actor=SYSTEM,
            user=user,
            org_id=org.id,
            name="feed",
            scopes={Scope.READ, Scope.WRITE, Scope.TAXII},
            now=T0,
            expires_at=T0 + timedelta(days=365),
        ).secret
        return org.id, user.id, secret


def _principal(database: Database, secret: str, at: datetime, *, write: bool = False) -> Principal:
    with database.transaction(write=write) as s:
        return accounts.token_principal(s, secret, at)


def test_a_token_is_suspended_exactly_when_its_organisation_is(database: Database) -> None:
    org_id, _user, secret = _member(database)
    with database.transaction() as s:
        found = s.get(Organisation, org_id)
        assert found is not None
        sanction = sanctions.suspend(
            s,
            actor=SYSTEM,
            org=found,
            starts_at=T0 + timedelta(days=1),
            reason="did not report",
            now=T0 + timedelta(hours=1),
            months=6,
        )
        sanction_id = sanction.id
    reinstated = T0 + timedelta(days=60)
    with database.transaction() as s:
        sanctions.reassess(
            s,
            actor=SYSTEM,
            sanction=sanctions.get_sanction(s, sanction_id),
            outcome=ReassessmentOutcome.REINSTATE,
            now=reinstated,
            reason="reforms made",
        )
    instants = {
        T0: False,  # not decided yet
        T0 + timedelta(hours=2): False,  # decided, not started
        T0 + timedelta(days=1): True,  # starts
        reinstated - timedelta(seconds=1): True,
        reinstated: False,  # reinstated early
        T0 + timedelta(days=200): False,  # and long after it would have ended
    }
    for at, expected in instants.items():
        principal = _principal(database, secret, at)
        with database.transaction(write=False) as s:
            separately = active_suspension(s, org_id, at) is not None
        assert (principal.suspended, separately) == (expected, expected), at


def test_the_role_caps_what_a_token_may_do(database: Database) -> None:
    _org, user_id, secret = _member(database)
    principal = _principal(database, secret, T0)
    assert principal.scopes == {Scope.READ, Scope.WRITE, Scope.TAXII}
    assert (principal.role, principal.label, principal.user_id) == (
        Role.ADMIN,
        "reader@cloud.test",
        user_id,
    )
    with database.transaction() as s:
        s.execute(update(Membership).where(Membership.user_id == user_id).values(role=Role.VIEWER))
    principal = _principal(database, secret, T0)
    assert (principal.role, principal.scopes) == (Role.VIEWER, frozenset({Scope.READ, Scope.TAXII}))


@pytest.mark.parametrize(
    ("change", "error", "detail"),
    [
        ("unknown", Unauthenticated, "unknown token"),
        ("revoked", Unauthenticated, "revoked"),
        ("expired", Unauthenticated, "expired"),
        ("membership", NotFound, "no such organisation"),
        ("deactivated", Unauthenticated, "deactivated"),
    ],
)
def test_a_token_stops_speaking_for_anyone(
    database: Database, change: str, error: type[Exception], detail: str
) -> None:
    _org, user_id, secret = _member(database)
    at = T0 + timedelta(days=1)
    assert _principal(database, secret, at).user_id == user_id  # until the change
    with database.transaction() as s:
        if change == "unknown":
            secret = f"{accounts.TOKEN_PREFIX}00000000_never-issued"
        elif change == "revoked":
            s.execute(update(ApiToken).values(revoked_at=T0))
        elif change == "expired":
            at = T0 + timedelta(days=365)
        elif change == "membership":
            s.execute(delete(Membership).where(Membership.user_id == user_id))
        else:
            s.execute(update(User).where(User.id == user_id).values(is_active=False))
    with pytest.raises(error, match=detail):
        _principal(database, secret, at)


def test_last_use_is_recorded_by_writes_at_most_once_a_minute(database: Database) -> None:
    _org, _user, secret = _member(database)

    def last_used() -> datetime | None:
        with database.transaction(write=False) as s:
            value = s.scalars(select(ApiToken.last_used_at)).one()
        return None if value is None else value.replace(tzinfo=UTC)

    _principal(database, secret, T0 + timedelta(minutes=1))  # a read: nothing recorded
    assert last_used() is None
    _principal(database, secret, T0 + timedelta(minutes=1), write=True)
    assert last_used() == T0 + timedelta(minutes=1)
    _principal(database, secret, T0 + timedelta(minutes=1, seconds=30), write=True)
    assert last_used() == T0 + timedelta(minutes=1)  # within the minute: left as it was
    _principal(database, secret, T0 + timedelta(minutes=2, seconds=1), write=True)
    assert last_used() == T0 + timedelta(minutes=2, seconds=1)
