"""``clearinghouse.prepared`` runs a few statements on the driver, outside SQLAlchemy's
execution: each must return, and store, exactly what SQLAlchemy's own execution of the
same statement does (types included: UUIDs, instants, JSON lists, enums, booleans,
NULLs), on both backends; driver errors must arrive as SQLAlchemy's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Integer, column, insert, select, table
from sqlalchemy.exc import DBAPIError

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import Organisation
from clearinghouse.db import Database
from clearinghouse.formats.model import Tlp
from clearinghouse.prepared import Prepared
from clearinghouse.principal import SYSTEM, Scope
from clearinghouse.sharing import access_log, blocks, service, store
from clearinghouse.sharing.models import Collection, SharedAccess
from clearinghouse.standing import sanctions
from clearinghouse.vocab import OrgKind, Role

T0 = datetime(2021, 12, 22, 2, tzinfo=UTC)


def _same(prepared: Prepared, database: Database, values: dict[str, Any]) -> list[Any]:
    """The prepared rows, checked against SQLAlchemy's, value by value and type by type."""
    with database.transaction(write=False) as s:
        connection = s.connection()
        ours = prepared.rows(connection, values)
        theirs = connection.execute(prepared.statement, values).all()  # type: ignore[call-overload]
    assert [tuple(r) for r in ours] == [tuple(r) for r in theirs]
    for mine, other in zip(ours, theirs, strict=True):
        assert [type(v) for v in mine] == [type(v) for v in other]
        assert mine._fields == tuple(other._fields)
    return ours


def test_the_token_look_up(database: Database) -> None:
    with database.transaction() as s:
        org = accounts.create_organisation(
            s, actor=SYSTEM, now=T0, slug="cloud", name="Cloud", kind=OrgKind.MEMBER
        )
        user = accounts.create_user(
            s, actor=SYSTEM, now=T0, email="r@cloud.test", name="R", password=None,
            organisation=org, role=Role.ADMIN,
        )  # fmt: skip
        token = accounts.create_token(
            s, actor=SYSTEM, user=user, org_id=org.id, name="feed",
            scopes={Scope.READ, Scope.TAXII}, now=T0, expires_at=T0 + timedelta(days=365),
        )  # fmt: skip
        sanctions.suspend(
            s, actor=SYSTEM, org=org, starts_at=T0 + timedelta(days=1), reason="late",
            now=T0 + timedelta(hours=1), months=6,
        )  # fmt: skip
    lookup = accounts._token_lookup()
    digest = accounts.sha256(token.secret)
    before = _same(lookup, database, {"hash": digest, "now": T0 + timedelta(hours=2)})
    during = _same(lookup, database, {"hash": digest, "now": T0 + timedelta(days=2)})
    assert [r.suspended for r in before + during] == [False, True]
    assert during[0].scopes is not None
    assert during[0].last_used_at is None  # a NULL instant
    assert not _same(lookup, database, {"hash": "0" * 64, "now": T0})


def test_the_collection_view_and_the_blocks(database: Database) -> None:
    with database.transaction() as s:
        org_id = s.scalars(select(Organisation.id)).first() or uuid.uuid4()
        spec = service.CollectionSpec(
            alias="feed", title="Feed", community=True, reader_org_ids=frozenset({org_id}),
            default_tlp=Tlp.AMBER, mark_unmarked=True,
        )  # fmt: skip
        collection = service.create_collection(s, actor=SYSTEM, now=T0, spec=spec)
        objects = [
            {
                "type": "indicator", "spec_version": "2.1",
                "id": f"indicator--{uuid.UUID(int=n, version=4)}",
                "created": "2021-12-10T00:00:00.000Z", "modified": "2021-12-10T00:00:00.000Z",
                "pattern": f"[ipv4-addr:value = '10.0.0.{n}']", "pattern_type": "stix",
                "valid_from": "2021-12-10T00:00:00Z",
            }
            for n in range(blocks.SIZE + 5)
        ]  # fmt: skip
        store.add_objects(s, collection, SYSTEM, objects, now=T0, apply_default=True)
        collection_id = collection.id
    (by_id,) = _same(store._VIEW_BY_ID, database, {"key": collection_id})
    (by_alias,) = _same(store._VIEW_BY_ALIAS, database, {"key": "feed"})
    assert by_id == by_alias
    assert by_id.reader_org_ids == [str(org_id)]
    assert by_id.default_tlp is Tlp.AMBER
    assert by_id.last_added_at == T0
    values = {"collection": collection_id, "start": 0, "blocks": 5}
    (block,) = _same(blocks._SELECT, database, values)
    assert block.count == blocks.SIZE
    assert block.marks == "AMBER"
    assert isinstance(block.body, bytes)
    assert not _same(blocks._SELECT, database, {**values, "start": 1})


def test_the_access_log_row(database: Database) -> None:
    """The same entry stored both ways reads back the same (an absent user stored NULL)."""
    entry = {
        "at": T0, "collection_id": uuid.uuid4(), "channel": "taxii", "route": "objects",
        "principal": "token:feed", "user_id": None, "org_id": uuid.uuid4(), "count": 1000,
        "first_seq": 1, "last_seq": 1000, "query": "limit=1000&next=abc",
    }  # fmt: skip
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    with database.transaction() as s:
        access_log._INSERT.run(s.connection(), {**entry, "id": ours})
        s.connection().execute(insert(SharedAccess), {**entry, "id": theirs})
    with database.transaction() as s:
        stored = {r.id: r for r in s.scalars(select(SharedAccess))}
        columns = [c.key for c in SharedAccess.__table__.columns if c.key != "id"]
        assert [getattr(stored[ours], c) for c in columns] == [
            getattr(stored[theirs], c) for c in columns
        ]
        assert stored[ours].at == T0


def test_driver_errors_arrive_as_sqlalchemy_raises_them(database: Database) -> None:
    missing = Prepared(select(column("x", Integer)).select_from(table("no_such_table")))
    with database.transaction(write=False) as s, pytest.raises(DBAPIError) as ours:
        missing.rows(s.connection(), {})
    with database.transaction(write=False) as s, pytest.raises(DBAPIError) as theirs:
        s.connection().execute(missing.statement)  # type: ignore[call-overload]
    assert type(ours.value) is type(theirs.value)


def test_a_list_expanded_per_execution_is_refused(database: Database) -> None:
    expanding = Prepared(select(Collection.id).where(Collection.alias.in_(["a", "b"])))
    with database.transaction(write=False) as s, pytest.raises(ValueError, match="IN lists"):
        expanding.rows(s.connection(), {})


def test_the_access_log_row_waits_for_the_process_writers_on_sqlite(database: Database) -> None:
    """On SQLite the row is written outside SQLAlchemy's transactions, in autocommit: it
    must still queue behind this process's writers, as a transaction of theirs would."""
    import threading

    from clearinghouse.db import write_lock

    lock = write_lock(database.engine)
    if database.engine.dialect.name != "sqlite":
        assert lock is None
        return
    assert lock is not None
    entry = {
        "id": uuid.uuid4(), "at": T0, "collection_id": uuid.uuid4(), "channel": "taxii",
        "route": "objects", "principal": "token:feed", "user_id": None, "org_id": None,
        "count": 0, "first_seq": None, "last_seq": None, "query": "",
    }  # fmt: skip
    with lock:
        writer = threading.Thread(target=access_log._write, args=(database.engine, entry))
        writer.start()
        writer.join(0.3)
        assert writer.is_alive()  # waiting for the lock
        with database.transaction(write=False) as s:
            assert s.get(SharedAccess, entry["id"]) is None
    writer.join(10)
    assert not writer.is_alive()
    with database.transaction(write=False) as s:
        assert s.get(SharedAccess, entry["id"]) is not None
