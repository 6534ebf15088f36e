"""A sharing collection for functional tests: community-readable, the seeded member a
writer (as a member's TAXII client needs it); random deletes for the property tests."""

from __future__ import annotations

import random
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import service, store
from clearinghouse.sharing.models import SharedObject
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


def delete_some_versions(
    session: Session, collection_id: uuid.UUID, rng: random.Random, most: int
) -> None:
    """Delete 1 to ``most`` stored versions of the collection, chosen by ``rng``."""
    ids = list(
        session.scalars(select(SharedObject.id).where(SharedObject.collection_id == collection_id))
    )
    store.delete_versions(session, rng.sample(ids, k=min(len(ids), rng.randint(1, most))))
