"""The hash-chained audit log: appends in the caller's transaction; verification names the
first entry that was altered, deleted or reordered (tampering by raw SQL)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from clearinghouse.audit import service as audit
from clearinghouse.audit.models import AuditEntry
from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM

T0 = datetime(2021, 11, 24, 8, 0, tzinfo=UTC)


def _fill(database: Database, n: int = 5) -> None:
    for i in range(n):
        with database.transaction() as s:
            audit.append(
                s,
                actor=SYSTEM,
                action="case.updated",
                object_type="case",
                object_id=f"CH-2021-{i:04d}",
                change={"field": "title", "to": f"title {i}", "n": i, "id": uuid.UUID(int=i)},
                at=T0 + timedelta(minutes=i),
            )


def _verify(database: Database) -> audit.VerifyResult:
    with database.transaction(write=False) as s:
        return audit.verify(s)


def test_intact_chain_verifies(database: Database) -> None:
    _fill(database)
    result = _verify(database)
    assert result.ok
    assert result.entries == 5
    assert len(result.head) == 64


def test_rolled_back_change_leaves_no_entry(database: Database) -> None:
    _fill(database, 2)

    def change_that_fails() -> None:
        with database.transaction() as s:
            audit.append(
                s, actor=SYSTEM, action="x", object_type="case", object_id="1", change={}, at=T0
            )
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert _verify(database).entries == 2


@pytest.mark.parametrize(
    ("sql", "bad_seq", "words"),
    [
        (
            "UPDATE audit_entries SET action = 'case.deleted' WHERE seq = 3",
            3,
            "fields were altered",
        ),
        (
            'UPDATE audit_entries SET change = \'{"field": "title"}\' WHERE seq = 2',
            2,
            "change was altered",
        ),
        ("DELETE FROM audit_entries WHERE seq = 4", 4, "missing"),
        ("UPDATE audit_entries SET at = at WHERE seq = 1", None, None),
    ],
)
def test_tampering_is_found(database: Database, sql: str, bad_seq: int | None, words: str) -> None:
    _fill(database)
    with database.engine.begin() as conn:
        conn.execute(text(sql))
    result = _verify(database)
    if bad_seq is None:
        assert result.ok
        return
    assert not result.ok
    assert result.first_bad_seq == bad_seq
    assert words in (result.problem or "")


def test_reordering_is_found(database: Database) -> None:
    _fill(database)
    # Swap the contents of entries 2 and 3 (keeping their positions): a reorder.
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET seq = 1002 WHERE seq = 2"))
        conn.execute(text("UPDATE audit_entries SET seq = 2 WHERE seq = 3"))
        conn.execute(text("UPDATE audit_entries SET seq = 3 WHERE seq = 1002"))
    result = _verify(database)
    assert not result.ok
    assert result.first_bad_seq == 2


def test_truncation_is_found_against_a_kept_head(database: Database) -> None:
    """Issue #9, item 12: deleting the newest entries leaves a chain that verifies on its
    own; the head an operator kept (or published) is what tells."""
    _fill(database, 3)
    kept = _verify(database).head
    _fill(database, 2)  # the chain grows on: a kept head need not be the current one
    with database.transaction(write=False) as s:
        grown = audit.verify(s, expect_head=kept.upper())
    assert grown.ok
    assert grown.expected_head_seq == 3
    with database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq >= 3"))
    assert _verify(database).ok  # alone, the truncated chain looks whole
    with database.transaction(write=False) as s:
        truncated = audit.verify(s, expect_head=kept)
    assert not truncated.ok
    assert truncated.entries == 2
    assert truncated.first_bad_seq == 3
    assert kept in (truncated.problem or "")
    assert "deleted from its end" in (truncated.problem or "")


def test_an_empty_chain_holds_the_genesis_head_only(database: Database) -> None:
    with database.transaction(write=False) as s:
        assert audit.verify(s, expect_head=audit.GENESIS).ok
        assert not audit.verify(s, expect_head="ab" * 32).ok


def _entry(s: Session, action: str) -> None:
    audit.append(
        s, actor=SYSTEM, action=action, object_type="case", object_id="1", change={}, at=T0
    )


def _actions(database: Database) -> list[str]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def _fail_in_a_savepoint(s: Session) -> None:
    with s.begin_nested():
        _entry(s, "inside a savepoint that fails")
        raise RuntimeError("one document refused")


def test_a_rolled_back_savepoint_takes_its_entries_and_the_rest_are_chained_in_order(
    database: Database,
) -> None:
    with database.transaction() as s:
        _entry(s, "first")
        with pytest.raises(RuntimeError):
            _fail_in_a_savepoint(s)
        with s.begin_nested():
            _entry(s, "inside a savepoint that holds")
        _entry(s, "last")
    assert _actions(database) == ["first", "inside a savepoint that holds", "last"]
    assert _verify(database).ok


def test_a_closed_transaction_leaves_nothing_pending_for_the_next(database: Database) -> None:
    session = database.session()
    session.begin()
    _entry(session, "abandoned")
    session.close()
    with session.begin():  # the same session, used again
        _entry(session, "kept")
    session.close()
    assert _actions(database) == ["kept"]


# PostgreSQL only (SQLite has one writer at a time by design): parametrised, not skipped,
# so that CI, where nothing may be skipped, runs exactly the PostgreSQL case.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_uncommitted_entry_does_not_hold_up_other_writers(database: Database) -> None:
    """The chain is linked when a transaction commits: a writer that has appended and not
    yet committed (a request still finishing its answer) does not block another writer's
    commit. Before, the chain's PostgreSQL lock was taken at the append and held to the
    commit, and under load writers queued on it (docs/benchmarks.md, "Open-loop load")."""
    slow = database.session()
    slow.begin()
    _entry(slow, "slow")
    other = threading.Thread(target=_fill, args=(database, 1))
    other.start()
    other.join(timeout=5)
    blocked = other.is_alive()
    slow.commit()
    slow.close()
    other.join()
    assert not blocked
    assert _actions(database) == ["case.updated", "slow"]
    assert _verify(database).ok
