"""A sharing collection for functional tests: community-readable, the seeded member a
writer (as a member's TAXII client needs it)."""

from __future__ import annotations

from clearinghouse.accounts.models import Organisation
from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import service
from clearinghouse.timeutil import Clock


def member_writable_collection(database: Database, clock: Clock, alias: str, title: str) -> str:
    """Create it; its id."""
    with database.transaction() as s:
        member = s.query(Organisation).filter_by(slug="member").one()
        found = service.create_collection(
            s,
            service.CollectionSpec(
                alias=alias,
                title=title,
                community=True,
                writer_org_ids=frozenset({member.id}),
            ),
            actor=SYSTEM,
            now=clock.now(),
        )
        return str(found.id)
