"""The database's storage full while a report with an attachment comes in: a clean 507
`storage-full` problem (not a 500, not a 503 inviting a retry in seconds), nothing of the
report stored, the audit chain whole, and the same request stored once space is freed.

SQLite reports a full disk and a database at its page limit with the same error,
``SQLITE_FULL``: the test fills the database by lowering ``max_page_count`` on every
connection, so the platform meets a real full-storage error through its whole write path.
PostgreSQL's ``disk_full`` is recognised by its SQLSTATE (checked below against psycopg's
own exception class)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from clearinghouse.app import create_app
from clearinghouse.audit.service import verify
from clearinghouse.db import Database, storage_full
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.cases import LOG4SHELL_REPORT
from tests.support.db import sqlite_copy
from tests.support.factory import seed
from tests.support.server import serve

PROBLEM = "application/problem+json"
UNCAPPED = 2_147_483_646


@pytest.fixture
def small_database(
    _sqlite_template: Path, tmp_path: Path, clock: FixedClock
) -> Iterator[tuple[Database, dict[str, int]]]:
    database = Database(sqlite_copy(_sqlite_template, tmp_path))
    seed(database, clock)
    limit: dict[str, int] = {}

    @event.listens_for(database.engine, "begin")
    def _cap(conn: Any) -> None:
        # Every transaction sets the cap: pooled connections keep a pragma's value.
        conn.exec_driver_sql(f"PRAGMA max_page_count={limit.get('pages', UNCAPPED)}")

    yield database, limit
    database.dispose()


def _counts(database: Database) -> tuple[int, int]:
    with database.engine.connect() as conn:
        reports = conn.execute(text("SELECT count(*) FROM reports")).scalar_one()
        attachments = conn.execute(text("SELECT count(*) FROM attachments")).scalar_one()
    return reports, attachments


def test_a_full_database_refuses_cleanly_and_loses_nothing(
    small_database: tuple[Database, dict[str, int]], clock: FixedClock
) -> None:
    database, limit = small_database
    settings = make_settings(database.url, max_request_bytes=4 * 1024 * 1024)
    app = create_app(settings, clock=clock, database=database)
    # 2 MiB of a log that does not compress much (hex digests, one per line).
    poc = b"".join(hashlib.sha256(b"%d" % n).hexdigest().encode() + b"\n" for n in range(32_000))

    def upload(client: httpx.Client) -> httpx.Response:
        return client.post(
            "/api/v1/reports",
            data={"report": json.dumps(LOG4SHELL_REPORT)},
            files=[("attachment", ("trace.log", poc, "text/plain"))],
        )

    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as anon:
        first = anon.post("/api/v1/reports", json=LOG4SHELL_REPORT)
        assert first.status_code == 201, first.text
        before = _counts(database)
        with database.engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        limit["pages"] = pages + 16  # 64 KiB of room at 4 KiB pages: the 2 MiB cannot fit
        full = upload(anon)
        assert full.status_code == 507, full.text
        assert full.headers["content-type"] == PROBLEM
        assert full.json()["code"] == "storage-full"
        assert "Retry-After" not in full.headers
        # The connection is still good, and the server still reads.
        assert anon.get("/healthz").status_code == 200
        limit.clear()  # the operator freed space
        assert _counts(database) == before  # nothing of the refused report
        again = upload(anon)
        assert again.status_code == 201, again.text
    assert _counts(database) == (before[0] + 1, before[1] + 1)
    with database.transaction(write=False) as s:
        assert verify(s).ok


def test_storage_full_is_told_from_other_database_errors() -> None:
    sqlite_full = sqlite3.OperationalError("database or disk is full")
    sqlite_full.sqlite_errorcode = sqlite3.SQLITE_FULL
    assert storage_full(OperationalError("INSERT", {}, sqlite_full))
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = sqlite3.SQLITE_BUSY
    assert not storage_full(OperationalError("INSERT", {}, locked))
    assert storage_full(OperationalError("INSERT", {}, psycopg.errors.DiskFull()))
    assert not storage_full(OperationalError("INSERT", {}, psycopg.errors.AdminShutdown()))
