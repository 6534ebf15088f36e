"""The Log4Shell replay served over HTTP for page tests, with a real SMTP server that the
test can make refuse mail (to dead-letter an e-mail job the way production would)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from clearinghouse import demo
from clearinghouse.app import build_registry, build_runtime, create_app
from clearinghouse.db import Database
from clearinghouse.jobs.worker import Worker
from clearinghouse.settings import Settings
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.server import serve
from tests.support.smtp import Inbox, smtp_server

PASSWORD = "replay-password-1"
ADMIN = "admin@nvdb.example"
ANALYST = "analyst@nvdb.example"
MEMBER_ADMIN = "psirt@alibaba-cloud.example"
MEMBER = "alibaba-cloud"
NOW = datetime(2022, 1, 10, tzinfo=UTC)


@dataclass
class Replayed:
    url: str
    database: Database
    settings: Settings
    clock: FixedClock
    inbox: Inbox
    case: str

    def run_jobs(self) -> int:
        registry = build_registry(self.settings)
        worker = Worker(self.database, registry, self.clock, self.settings, "t")
        return worker.run_until_idle()

    def dead_letter(self) -> str:
        """A finder's report by the API, the coordinator's reply e-mailed to the finder, the
        SMTP server refusing it for good (550): the e-mail job is dead-lettered. Its id."""
        self.inbox.refuse.append("550 5.1.1 mailbox unavailable")
        with httpx.Client(base_url=self.url) as visitor, httpx.Client(base_url=self.url) as op:
            sent = visitor.post(
                "/api/v1/reports",
                json={
                    "title": "Stored XSS in the status page",
                    "product": "status-page 1.0",
                    "description": "A title with markup runs in the operator's browser.",
                    "contact_email": "finder@example.org",
                },
            )
            assert sent.status_code == 201, sent.text
            login = op.post("/api/v1/auth/login", json={"email": ADMIN, "password": PASSWORD})
            op.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            reply = op.post(
                f"/api/v1/reports/{sent.json()['id']}/messages", json={"body": "Reproduced."}
            )
            assert reply.status_code == 201, reply.text
            self.run_jobs()
            dead = op.get("/api/v1/jobs", params={"status": "dead"}).json()["items"]
        assert dead, "the refused e-mail was not dead-lettered"
        return str(dead[0]["id"])


@contextmanager
def replayed(database: Database) -> Iterator[Replayed]:
    with smtp_server() as smtp:
        settings = make_settings(database.url, smtp_host=smtp.host, smtp_port=smtp.port)
        rt = build_runtime(settings, database=database)
        # In a thread of its own: the replay runs an event loop, and a browser test's
        # Playwright already runs one in this thread.
        with ThreadPoolExecutor(1) as pool:
            result = pool.submit(demo.load, rt, password=PASSWORD).result()
        clock = FixedClock(NOW)
        with serve(create_app(settings, clock=clock, database=database)) as url:
            yield Replayed(url, database, settings, clock, smtp.inbox, str(result.replay.case))
