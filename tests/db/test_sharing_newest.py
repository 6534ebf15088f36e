"""``shared_objects.newest`` (no newer version of the object stored in its collection) is
what lets a page skip its "is there a newer visible version" subquery on nearly every
row, so it must hold after any sequence of adds (new objects, newer and older versions,
re-sent duplicates, several versions in one request) and deletes, on both backends; and
the pages must give the same objects as the rule itself (newest visible version)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.db import Database
from clearinghouse.formats.model import Tlp
from clearinghouse.policy.sharing import ObjectScope
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import service, store
from clearinghouse.sharing.models import Collection, SharedObject
from tests.support.collections import delete_some_versions

NOW = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


def _indicator(n: int, minute: int, marking: str) -> dict[str, object]:
    moment = (NOW + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=n, version=4)}",
        "created": "2026-10-01T09:00:00.000Z",
        "modified": moment,
        "pattern": f"[ipv4-addr:value = '10.0.0.{n}']",
        "pattern_type": "stix",
        "valid_from": "2026-10-01T09:00:00Z",
        "object_marking_refs": [marking],
    }


def _feed(session: Session) -> Collection:
    spec = service.CollectionSpec(alias="feed", title="Feed", community=True)
    return service.create_collection(session, actor=SYSTEM, now=NOW, spec=spec)


def _check(database: Database, collection_id: uuid.UUID) -> None:
    with database.transaction() as s:
        rows = s.execute(
            select(SharedObject.stix_id, SharedObject.version, SharedObject.newest).where(
                SharedObject.collection_id == collection_id
            )
        ).all()
        newest: dict[str, datetime] = {}
        for stix_id, version, _ in rows:
            newest[stix_id] = max(version, newest.get(stix_id, version))
        wrong = [(i, v, flag) for i, v, flag in rows if flag != (newest[i] == v)]
        assert not wrong
        # The page (GREEN reader: AMBER versions hidden) against the rule computed here.
        reader = store.Reader(ObjectScope(tlps=frozenset({Tlp.CLEAR, Tlp.GREEN})))
        page = store.page(s, collection_id, reader, store.Filters(), limit=10_000)
        visible: dict[str, datetime] = {}
        for stix_id, version in s.execute(
            select(SharedObject.stix_id, SharedObject.version).where(
                SharedObject.collection_id == collection_id, SharedObject.tlp == Tlp.GREEN
            )
        ):
            visible[stix_id] = max(version, visible.get(stix_id, version))
        assert sorted((r.stix_id, r.version) for r in page.rows) == sorted(visible.items())


def test_newest_flag_holds_through_adds_and_deletes(database: Database) -> None:
    rng = random.Random(20261205)
    with database.transaction() as s:
        collection = _feed(s)
        collection_id = collection.id
    for step in range(40):
        with database.transaction() as s:
            found = s.get(Collection, collection_id)
            assert found is not None
            if step % 5 == 4:
                delete_some_versions(s, collection_id, rng, 4)
            else:
                batch = [
                    # GREEN then AMBER for later minutes: a marking is never lowered.
                    _indicator(n, minute, AMBER if minute > 40 else GREEN)
                    for n, minute in (
                        (rng.randint(1, 6), rng.randint(0, 60)) for _ in range(rng.randint(1, 5))
                    )
                ]
                outcome = store.add_objects(
                    s, found, SYSTEM, batch, now=NOW + timedelta(seconds=step)
                )
                refused = [f for f in outcome.failures if "lower" not in f["message"]]
                assert not refused
        _check(database, collection_id)
    with database.transaction() as s:
        flags = list(
            s.scalars(
                select(SharedObject.newest).where(SharedObject.collection_id == collection_id)
            )
        )
    # Older versions were stored, and kept apart from the newest.
    assert True in flags
    assert False in flags


def test_concurrent_writers_of_one_object_leave_one_newest(database: Database) -> None:
    """A writer that read the stored versions before another committed a newer one (on
    PostgreSQL both run at once; SQLite's writers queue at BEGIN) must not take the flag
    from it: the flag is decided under the collection's lock."""
    with database.transaction() as s:
        collection = _feed(s)
        collection_id = collection.id
        store.add_objects(s, collection, SYSTEM, [_indicator(1, 1, GREEN)], now=NOW)
    first = database.session(write=True)
    first.begin()
    found = first.get(Collection, collection_id)
    assert found is not None
    store.add_objects(first, found, SYSTEM, [_indicator(1, 30, GREEN)], now=NOW)
    errors: list[BaseException] = []

    def older() -> None:
        try:
            with database.transaction() as s:
                other = s.get(Collection, collection_id)
                assert other is not None
                store.add_objects(s, other, SYSTEM, [_indicator(1, 20, GREEN)], now=NOW)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    worker = threading.Thread(target=older)
    if database.engine.dialect.name == "postgresql":
        worker.start()  # it reads the stored versions, then waits for the lock
        time.sleep(0.5)
        first.commit()
    else:
        first.commit()
        worker.start()
    first.close()
    worker.join(30)
    assert not errors
    with database.transaction() as s:
        flags = {
            v.minute: f
            for v, f in s.execute(
                select(SharedObject.version, SharedObject.newest).where(
                    SharedObject.collection_id == collection_id
                )
            )
        }
    assert flags == {1: False, 20: False, 30: True}
