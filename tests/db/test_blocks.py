"""Blocks (``sharing/blocks.py``) serve a TAXII page pre-joined; they must serve exactly
what the page read row by row serves, to every kind of reader, after any sequence of
adds (new objects, newer and older versions, markings raised) and deletes, whatever the
limit, cursor and ``added_after``, on both backends. Blocks of 4 here, so that a few
dozen objects make many blocks and every page crosses some."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearinghouse.db import Database
from clearinghouse.formats.model import Tlp
from clearinghouse.policy.sharing import ObjectScope
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import blocks, service, store
from clearinghouse.sharing.models import Collection, SharedBlock, SharedObject
from tests.support.collections import delete_some_versions

NOW = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
MARKINGS = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
RANK = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.RED]
READERS = {
    "anonymous or suspended": ObjectScope(tlps=frozenset({Tlp.CLEAR})),
    "member": ObjectScope(tlps=frozenset({Tlp.CLEAR, Tlp.GREEN})),
    "audience": ObjectScope(tlps=frozenset({Tlp.CLEAR, Tlp.GREEN}), audience_org_id=uuid.uuid4()),
    "sees AMBER whole": ObjectScope(tlps=frozenset({Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER})),
    "operator": ObjectScope(everything=True),
    "closed": ObjectScope(nothing=True),
}
LIMITS = (3, 4, 5, 8, 13, 1000)


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blocks, "SIZE", 4)


def _indicator(n: int, minute: int, tlp: Tlp) -> dict[str, object]:
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
        "object_marking_refs": [MARKINGS[tlp]],
    }


def _feed(session: Session) -> uuid.UUID:
    spec = service.CollectionSpec(alias="feed", title="Feed", community=True)
    return service.create_collection(session, actor=SYSTEM, now=NOW, spec=spec).id


def _rule(s: Session, collection_id: uuid.UUID, scope: ObjectScope, since: Any) -> list[Any]:
    """The page rule, read row by row (``bodies_only=False`` never reads blocks)."""
    filters = store.Filters(added_after=since)
    return store.page(s, collection_id, store.Reader(scope), filters, limit=100_000).rows


def _expected(s: Session, collection_id: uuid.UUID, scope: ObjectScope, since: Any) -> list[Any]:
    return [orjson.loads(r.body) for r in _rule(s, collection_id, scope, since)]


def _walk(
    s: Session, collection_id: uuid.UUID, scope: ObjectScope, limit: int, since: Any
) -> Iterator[store.Page]:
    after = None
    for _ in range(10_000):
        page = store.page(
            s,
            collection_id,
            store.Reader(scope),
            store.Filters(added_after=since),
            limit=limit,
            after=after,
            bodies_only=True,
        )
        yield page
        if not page.more:
            return
        after = page.next
    raise AssertionError("the walk did not end")


def _objects(page: store.Page) -> list[Any]:
    if page.pieces:
        assert not page.bodies
        return list(orjson.loads(b"[" + b",".join(page.pieces) + b"]"))
    return [orjson.loads(b) for b in page.bodies]


def _compare(database: Database, collection_id: uuid.UUID, since: Any = None) -> int:
    """Every reader's walk, at every limit, against the rule; the pages served from
    blocks (at least partly) are counted."""
    from_blocks = 0
    with database.transaction() as s:
        for name, scope in READERS.items():
            rows = _rule(s, collection_id, scope, since)
            expected = [orjson.loads(r.body) for r in rows]
            for limit in LIMITS:
                served: list[Any] = []
                for page in _walk(s, collection_id, scope, limit, since):
                    got = _objects(page)
                    assert page.count == len(got) <= limit, (name, limit)
                    assert (page.next is not None) is page.more
                    if got:  # the bounds the access log and the headers report
                        first, last = rows[len(served)], rows[len(served) + len(got) - 1]
                        assert page.first is not None
                        assert page.last is not None
                        assert (page.first.seq, page.last.seq) == (first.seq, last.seq)
                        assert page.first.date_added == first.date_added
                        assert page.last.date_added == last.date_added
                    from_blocks += bool(page.pieces)
                    served.extend(got)
                assert served == expected, (name, limit, since)
    return from_blocks


def _block_count(database: Database, collection_id: uuid.UUID) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).where(SharedBlock.collection_id == collection_id)) or 0


def test_blocks_serve_what_rows_serve_through_adds_and_deletes(database: Database) -> None:
    rng = random.Random(20261207)
    with database.transaction() as s:
        collection_id = _feed(s)
    marks: dict[int, int] = {}  # the highest rank given to each object so far
    from_blocks = 0
    for step in range(30):
        with database.transaction() as s:
            found = s.get(Collection, collection_id)
            assert found is not None
            if step % 6 == 5:
                delete_some_versions(s, collection_id, rng, 5)
            else:
                batch = []
                for _ in range(rng.randint(2, 9)):
                    n = rng.randint(1, 25)
                    rank = rng.randint(marks.get(n, 0), min(marks.get(n, 0) + 1, 3))
                    marks[n] = rank
                    batch.append(_indicator(n, rng.randint(0, 90), RANK[rank]))
                outcome = store.add_objects(
                    s, found, SYSTEM, batch, now=NOW + timedelta(seconds=step // 2)
                )
                assert not [f for f in outcome.failures if "lower" not in f["message"]]
        from_blocks += _compare(database, collection_id)
        if step % 5 == 0:
            since = NOW + timedelta(seconds=rng.randint(0, step // 2 + 1))
            from_blocks += _compare(database, collection_id, since)
    assert _block_count(database, collection_id) > 10
    assert from_blocks > 100  # the blocks were read, not only built


def test_a_block_is_rebuilt_when_a_version_in_it_is_superseded(database: Database) -> None:
    """A newer version of an object in a complete block leaves the block's copy out, and
    a RED newer version keeps the block from readers who cannot see RED (they are served
    the older GREEN version, row by row)."""
    with database.transaction() as s:
        collection_id = _feed(s)
        found = s.get(Collection, collection_id)
        assert found is not None
        store.add_objects(
            s, found, SYSTEM, [_indicator(n, 0, Tlp.GREEN) for n in range(1, 9)], now=NOW
        )
    assert _block_count(database, collection_id) == 2
    with database.transaction() as s:
        found = s.get(Collection, collection_id)
        assert found is not None
        store.add_objects(s, found, SYSTEM, [_indicator(2, 5, Tlp.RED)], now=NOW)
        (marks,) = s.scalars(
            select(SharedBlock.marks).where(
                SharedBlock.collection_id == collection_id, SharedBlock.lo == 0
            )
        )
    assert marks.split() == ["GREEN", "RED"]
    _compare(database, collection_id)
    with database.transaction() as s:
        member = [o["modified"] for o in _expected(s, collection_id, READERS["member"], None)]
        operator = [o["modified"] for o in _expected(s, collection_id, READERS["operator"], None)]
    assert len(member) == 8
    assert len(operator) == 8
    assert "2026-10-01T10:05:00.000Z" in operator
    assert "2026-10-01T10:05:00.000Z" not in member


def test_a_block_with_a_marking_this_version_does_not_know_is_never_served_whole() -> None:
    everything = ObjectScope(everything=True)
    assert blocks._whole(everything, "GREEN")
    assert not blocks._whole(everything, "GREEN ?")
    assert not blocks._whole(everything, "GREEN PURPLE")
    assert not blocks._whole(ObjectScope(nothing=True), "")
    assert blocks._whole(READERS["member"], "CLEAR GREEN")
    assert not blocks._whole(READERS["member"], "AMBER GREEN")


def test_a_cursor_at_a_block_start_with_a_later_instant_skips_what_it_names(
    database: Database,
) -> None:
    """A cursor is (date_added, seq): one at a block's start but past the instant of the
    block's versions (not one this server issues for that position, but well-formed)
    must be honoured as rows honour it, not served the block."""
    with database.transaction() as s:
        collection_id = _feed(s)
        found = s.get(Collection, collection_id)
        assert found is not None
        for minute in range(3):
            objects = [_indicator(10 * minute + n, 0, Tlp.GREEN) for n in range(1, 5)]
            store.add_objects(s, found, SYSTEM, objects, now=NOW + timedelta(minutes=minute))
    assert _block_count(database, collection_id) == 3
    with database.transaction() as s:
        member = store.Reader(READERS["member"])
        for at, lo, expected in (
            (NOW + timedelta(minutes=1, seconds=1), 4, 4),  # the third block only
            (NOW + timedelta(minutes=1), 4, 8),  # at its own instant: both
            (NOW + timedelta(days=1), 0, 0),
        ):
            page = store.page(
                s, collection_id, member, store.Filters(), limit=100, after=(at, lo),
                bodies_only=True,
            )  # fmt: skip
            assert page.count == len(_objects(page)) == expected


def _add(database: Database, collection_id: uuid.UUID, objects: list[Any], at: datetime) -> None:
    with database.transaction() as s:
        found = s.get(Collection, collection_id)
        assert found is not None
        outcome = store.add_objects(s, found, SYSTEM, objects, now=at)
        assert not outcome.failures


def _page(database: Database, collection_id: uuid.UUID, limit: int, after: Any) -> store.Page:
    with database.transaction(write=False) as s:
        return store.page(
            s, collection_id, store.Reader(READERS["member"]), store.Filters(), limit=limit,
            after=after, bodies_only=True,
        )  # fmt: skip


def test_blocks_that_serve_nothing_before_one_too_big_are_not_an_empty_page(
    database: Database,
) -> None:
    """A block whose versions were all superseded serves nothing; the next is bigger than
    the page: the page is read row by row, not served empty with ``more`` (a client, this
    platform's sync among them, would stop or loop on it)."""
    with database.transaction() as s:
        collection_id = _feed(s)
    _add(database, collection_id, [_indicator(n, 0, Tlp.GREEN) for n in range(1, 5)], NOW)
    later = NOW + timedelta(minutes=1)
    _add(database, collection_id, [_indicator(n, 1, Tlp.GREEN) for n in range(1, 5)], later)
    for limit in (1, 2, 3):
        page = _page(database, collection_id, limit, None)
        assert page.count == len(_objects(page)) == limit
        assert page.more


def test_a_cursor_at_a_block_start_names_the_same_versions_read_either_way(
    database: Database,
) -> None:
    """A page read row by row and cut at a block's start names the versions past that
    start, read row by row or from blocks, even when a version before the start becomes
    the newest again (its newer version deleted) between the two pages."""
    with database.transaction() as s:
        collection_id = _feed(s)
    y = 90
    t = [NOW + timedelta(minutes=m) for m in range(4)]
    _add(database, collection_id, [_indicator(1, 0, Tlp.GREEN)], t[0])
    amber = [_indicator(n, 0, Tlp.AMBER) for n in (2, 3)]
    _add(database, collection_id, [_indicator(y, 1, Tlp.GREEN), *amber], t[1])
    _add(database, collection_id, [_indicator(n, 0, Tlp.GREEN) for n in range(5, 9)], t[2])
    newer = [_indicator(y, 2, Tlp.GREEN)] + [_indicator(n, 0, Tlp.GREEN) for n in (10, 11, 12)]
    _add(database, collection_id, newer, t[3])
    first = _page(database, collection_id, 4, None)
    assert first.more
    assert first.next is not None
    assert first.next[1] == 4  # cut at the second block's start
    with database.transaction() as s:
        (newest_y,) = s.scalars(
            select(SharedObject.id).where(
                SharedObject.collection_id == collection_id, SharedObject.seq == 9
            )
        )
        store.delete_versions(s, [newest_y])
    second = _page(database, collection_id, 4, first.next)
    with database.transaction(write=False) as s:
        rows = store.page(
            s, collection_id, store.Reader(READERS["member"]), store.Filters(), limit=4,
            after=first.next,
        ).rows  # fmt: skip
    assert [o["id"] for o in _objects(second)] == [orjson.loads(r.body)["id"] for r in rows]
    assert f"indicator--{uuid.UUID(int=y, version=4)}" not in [o["id"] for o in _objects(second)]
