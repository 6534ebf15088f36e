"""Builds a platform with an operator, a member and users, for functional tests."""

from __future__ import annotations

from dataclasses import dataclass

from clearinghouse.accounts import service as accounts
from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM
from clearinghouse.timeutil import Clock
from clearinghouse.vocab import OrgKind, Role

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    operator_admin: str = "admin@operator.test"
    operator_analyst: str = "analyst@operator.test"
    member_admin: str = "admin@member.test"
    member_viewer: str = "viewer@member.test"
    other_admin: str = "admin@other.test"


def seed(database: Database, clock: Clock) -> World:
    now = clock.now()
    world = World()
    with database.transaction() as s:
        op = accounts.create_organisation(
            s,
            actor=SYSTEM,
            now=now,
            slug="operator",
            name="Operator",
            kind=OrgKind.OPERATOR,
            country="CN",
        )
        member = accounts.create_organisation(
            s,
            actor=SYSTEM,
            now=now,
            slug="member",
            name="Member",
            kind=OrgKind.MEMBER,
            country="CN",
        )
        other = accounts.create_organisation(
            s, actor=SYSTEM, now=now, slug="other", name="Other", kind=OrgKind.MEMBER, country="DE"
        )
        for email, org, role in [
            (world.operator_admin, op, Role.ADMIN),
            (world.operator_analyst, op, Role.ANALYST),
            (world.member_admin, member, Role.ADMIN),
            (world.member_viewer, member, Role.VIEWER),
            (world.other_admin, other, Role.ADMIN),
        ]:
            accounts.create_user(
                s,
                actor=SYSTEM,
                now=now,
                email=email,
                name=email.split("@")[0],
                password=PASSWORD,
                organisation=org,
                role=role,
            )
    return world
