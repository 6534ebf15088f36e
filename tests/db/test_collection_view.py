"""``store.view_collection`` (the reads' Core lookup of a collection) decides exactly as
``store.load_collection`` (the ORM's, which writes use): the same collection and facts, or
the same error with the same words, for every kind of reader, by id, by alias, for a
collection that does not exist and for a key too long to look up. On both backends."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from clearinghouse.accounts import service as accounts
from clearinghouse.db import Database
from clearinghouse.errors import ClearinghouseError
from clearinghouse.policy import Channel, CollectionFacts, SharingAction
from clearinghouse.principal import ANONYMOUS, SYSTEM, Principal, Scope, Via
from clearinghouse.sharing import service, store
from clearinghouse.vocab import OrgKind, Role

NOW = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)


def _member(org_id: uuid.UUID, *, suspended: bool = False) -> Principal:
    return Principal(
        via=Via.TOKEN,
        label="member",
        user_id=uuid.uuid4(),
        org_id=org_id,
        org_kind=OrgKind.MEMBER,
        role=Role.ADMIN,
        scopes=frozenset({Scope.TAXII, Scope.READ}),
        suspended=suspended,
    )


Loader = Callable[..., tuple[Any, CollectionFacts]]


def _answer(load: Loader, *args: object) -> tuple[str, object]:
    try:
        found, facts = load(*args)
    except ClearinghouseError as exc:
        return type(exc).__name__, str(exc)
    return "found", (found.id, found.alias, found.title, found.description, facts)


@pytest.mark.parametrize("channel", [Channel.TAXII, Channel.API])
def test_the_view_decides_as_the_orm_load(database: Database, channel: Channel) -> None:
    with database.transaction() as s:
        reader = accounts.create_organisation(
            s, actor=SYSTEM, now=NOW, slug="reader", name="Reader", kind=OrgKind.MEMBER
        )
        outsider = accounts.create_organisation(
            s, actor=SYSTEM, now=NOW, slug="outsider", name="Outsider", kind=OrgKind.MEMBER
        )
        kinds = {
            "public": service.CollectionSpec(alias="open", title="Open", public=True),
            "community": service.CollectionSpec(alias="all", title="All", community=True),
            "named": service.CollectionSpec(
                alias="named",
                title="Named",
                description="for one organisation",
                reader_org_ids=frozenset({reader.id}),
            ),
        }
        ids = {
            name: service.create_collection(s, spec, actor=SYSTEM, now=NOW).id
            for name, spec in kinds.items()
        }
    principals = {
        "anonymous": ANONYMOUS,
        "reader": _member(reader.id),
        "suspended reader": _member(reader.id, suspended=True),
        "outsider": _member(outsider.id),
        "operator": Principal(
            via=Via.TOKEN,
            label="operator",
            user_id=uuid.uuid4(),
            org_id=uuid.uuid4(),
            org_kind=OrgKind.OPERATOR,
            role=Role.ANALYST,
            scopes=frozenset({Scope.TAXII, Scope.READ}),
        ),
    }
    keys = [str(i) for i in ids.values()] + [spec.alias for spec in kinds.values()]
    keys += [str(uuid.UUID(int=7)), "no-such-alias", "x" * 101]
    outcomes = set()
    for who, principal in principals.items():
        for key in keys:
            for action in (SharingAction.COLLECTION_READ, SharingAction.OBJECT_WRITE):
                with database.transaction(write=False) as s:
                    asked = (s, principal, key, action, channel)
                    old = _answer(store.load_collection, *asked)
                    new = _answer(store.view_collection, *asked)
                assert new == old, (who, key, action)
                outcomes.add(old[0])
    # The matrix reaches every kind of answer (a found collection and refusals).
    assert "found" in outcomes, outcomes
    assert len(outcomes) >= 3, outcomes
