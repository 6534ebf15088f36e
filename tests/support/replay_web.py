"""The Log4Shell replay served for the member's pages: the demo's world loaded once, and
the platform's clock set on the evening the member's reporting window was open
(2021-11-25 03:00 UTC: due 2021-11-26 02:00 UTC, so 23 hours left)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

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
    result: demo.DemoResult
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A client on the server, closed when the replay stops."""
        c = httpx.Client(base_url=self.url, timeout=30)
        self.clients.append(c)
        return c


@contextmanager
def replayed(database: Database, at: datetime = WINDOW_OPEN) -> Iterator[Replayed]:
    settings = make_settings(database.url)
    runtime = build_runtime(settings, database=database)
    # In a thread of its own: the replay runs its own event loop, and Playwright's sync
    # API keeps one running in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(demo.load, runtime, password=PASSWORD).result()
    clock = FixedClock(at)
    with serve(create_app(settings, clock=clock, database=database)) as url:
        running = Replayed(url, clock, result)
        try:
            yield running
        finally:
            for c in running.clients:
                c.close()
