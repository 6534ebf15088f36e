"""Overload: when every database connection of a process stays taken for the whole wait,
a request answers 503 `busy` with Retry-After (it changed nothing), not a 500; once
connections free up, the same request succeeds. (Found by ``bench/load.py``: at an
offered rate the machine could not keep up with, the pool's timeout surfaced as 500s.)"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime

import httpx
from sqlalchemy.pool import QueuePool

from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.cases import LOG4SHELL_REPORT
from tests.support.factory import seed
from tests.support.server import serve


def test_an_exhausted_pool_answers_busy_then_recovers(database: Database) -> None:
    clock = FixedClock(datetime(2026, 10, 1, 10, 0, tzinfo=UTC))
    seed(database, clock)
    pool = database.engine.pool
    assert isinstance(pool, QueuePool)
    pool._timeout = 0.5  # the wait, shortened from 30 s for the test
    app = create_app(make_settings(database.url), clock=clock, database=database)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as anon:
        with ExitStack() as held:
            for _ in range(pool.size() + pool._max_overflow):
                held.enter_context(database.engine.connect())
            busy = anon.post("/api/v1/reports", json=LOG4SHELL_REPORT)
            assert busy.status_code == 503, busy.text
            assert busy.headers["content-type"] == "application/problem+json"
            assert busy.json()["code"] == "busy"
            assert busy.headers["retry-after"] == "5"
        again = anon.post("/api/v1/reports", json=LOG4SHELL_REPORT)
        assert again.status_code == 201, again.text
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM reports").scalar_one() == 1
