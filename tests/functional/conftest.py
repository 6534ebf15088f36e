"""Functional fixtures: a real server on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest

from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.settings import Environment, Settings
from clearinghouse.timeutil import FixedClock
from tests.support.factory import PASSWORD, World, seed
from tests.support.server import serve

if TYPE_CHECKING:
    from clearinghouse.jobs.worker import Worker


@dataclass
class Platform:
    url: str
    database: Database
    clock: FixedClock
    settings: Settings
    world: World
    _clients: list[httpx.Client] = field(default_factory=list)

    def client(self, **kwargs: object) -> httpx.Client:
        """A client on the server; closed when the test ends."""
        c = httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]
        self._clients.append(c)
        return c

    def run_jobs(self) -> int:
        """Run every due job (the platform under test has no in-process worker)."""
        from clearinghouse.app import build_registry
        from clearinghouse.jobs.worker import Worker

        worker = Worker(
            self.database, build_registry(self.settings), self.clock, self.settings, "test"
        )
        return worker.run_until_idle()

    def mailing_worker(self, smtp_host: str, smtp_port: int) -> Worker:
        """A job worker that mails through the SMTP server given and links to this
        platform."""
        from clearinghouse.app import build_registry
        from clearinghouse.jobs.worker import Worker

        settings = make_settings(
            self.database.url,
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            base_url=self.url,
            platform_name="Clearinghouse",
        )
        return Worker(self.database, build_registry(settings), self.clock, settings, "t")

    def close(self) -> None:
        for c in self._clients:
            c.close()

    def login(self, email: str, password: str = PASSWORD) -> httpx.Client:
        c = self.client()
        r = c.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c

    def token(self, email: str, scopes: list[str], **extra: object) -> str:
        r = self.login(email).post("/api/v1/tokens", json={"name": "t", "scopes": scopes, **extra})
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


def make_settings(db_url: str, **overrides: object) -> Settings:
    return Settings(
        environment=Environment.TEST,
        database_url=db_url,
        worker_in_process=False,
        log_json=False,
        log_level="WARNING",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        webhook_allow_private=True,  # the tests' receivers listen on 127.0.0.1
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 10, 1, 10, 0, tzinfo=UTC))


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[Platform]:
    settings = make_settings(database.url, max_request_bytes=64 * 1024)
    app = create_app(settings, clock=clock, database=database)
    world = seed(database, clock)
    with serve(app) as url:
        p = Platform(url=url, database=database, clock=clock, settings=settings, world=world)
        yield p
        p.close()
