"""Case numbers (``CH-YYYY-NNNN``) are issued exactly once, even when many transactions
open cases at the same moment, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

from clearinghouse.cases.coordination import next_public_id
from clearinghouse.db import Database


def test_concurrent_openings_get_distinct_consecutive_numbers(database: Database) -> None:
    issued: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def open_some() -> None:
        try:
            start.wait()
            for _ in range(5):
                with database.transaction() as session:
                    public_id = next_public_id(session, 2021)
                with lock:
                    issued.append(public_id)
        except BaseException as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)

    workers = [threading.Thread(target=open_some) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert sorted(issued) == [f"CH-2021-{n:04d}" for n in range(1, 41)]
    with database.transaction() as session:
        assert next_public_id(session, 2022) == "CH-2022-0001"
        assert next_public_id(session, 2021) == "CH-2021-0041"


def test_a_rolled_back_opening_does_not_burn_a_number_twice(database: Database) -> None:
    session = database.session()
    session.begin()
    assert next_public_id(session, 2021) == "CH-2021-0001"
    session.rollback()
    session.close()
    with database.transaction() as session:
        assert next_public_id(session, 2021) == "CH-2021-0001"
