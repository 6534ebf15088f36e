"""The Log4Shell replay served for the member's pages: the demo's world, and the platform's
clock set on the evening the member's reporting window was open (2021-11-25 03:00 UTC:
due 2021-11-26 02:00 UTC, so 23 hours left).

On SQLite the replay is played once per test process into a file that each test then
starts from as a copy (the replay takes seconds; a copy, milliseconds). On PostgreSQL it
is played into each test's database."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from clearinghouse import demo
from clearinghouse.app import build_runtime, create_app
from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.server import serve

PASSWORD = "replay-password-1"
MEMBER = "psirt@alibaba-cloud.example"
OPERATOR = "admin@nvdb.example"
CASE = "CH-2021-0001"
WINDOW_OPEN = datetime(2021, 11, 25, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Replayed:
    url: str
    clock: FixedClock
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A client on the server, closed when the replay stops."""
        c = httpx.Client(base_url=self.url, timeout=30)
        self.clients.append(c)
        return c


_PLAYED: dict[str, Path] = {}  # the SQLite file the replay was played into, once


def _play(database: Database) -> None:
    runtime = build_runtime(make_settings(database.url), database=database)
    # In a thread of its own: the replay runs its own event loop, and Playwright's sync
    # API keeps one running in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(demo.load, runtime, password=PASSWORD).result()


def _sqlite_file(database: Database) -> Path | None:
    url = make_url(database.url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


@contextmanager
def replayed(database: Database, at: datetime = WINDOW_OPEN) -> Iterator[Replayed]:
    target = _sqlite_file(database)
    if target is None:
        _play(database)
    else:
        if "sqlite" not in _PLAYED:
            played = target.with_name(f"replay-{uuid.uuid4().hex[:8]}.db")
            shutil.copyfile(target, played)
            source = Database(f"sqlite:///{played}")
            try:
                _play(source)
            finally:
                source.dispose()
            _PLAYED["sqlite"] = played
        database.dispose()
        shutil.copyfile(_PLAYED["sqlite"], target)
    settings = make_settings(database.url)
    clock = FixedClock(at)
    with serve(create_app(settings, clock=clock, database=database)) as url:
        running = Replayed(url, clock)
        try:
            yield running
        finally:
            for c in running.clients:
                c.close()
