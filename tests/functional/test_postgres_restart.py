"""PostgreSQL restarted while the platform is under load, on a server of the test's own:
requests fail cleanly (503 with Retry-After, never a 500), nothing is half-written (every
report answered 201 is stored, no other is), the audit chain stays whole, and the
in-process job worker resumes and drains the queue once the database is back."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from clearinghouse import migrate
from clearinghouse.app import create_app, start_worker
from clearinghouse.audit import service as audit
from clearinghouse.cases.models import Report
from clearinghouse.db import Database, make_engine
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.timeutil import SystemClock
from tests.functional.conftest import make_settings
from tests.support.private_postgres import PrivatePostgres, available, private_postgres
from tests.support.server import serve

REPORT = {
    "title": "Remote code execution in a logging library",
    "description": "A crafted string in a log message makes the library load remote code.",
    "product": "log4j-core",
}


@pytest.fixture(scope="module")
def server() -> Iterator[PrivatePostgres]:
    reason = available()
    if reason is not None:
        pytest.skip(reason)
    with private_postgres() as running:
        yield running


def _post(client: httpx.Client, n: int) -> tuple[int, str | None, str | None]:
    try:
        r = client.post(
            "/api/v1/reports", json={**REPORT, "description": f"{n} {REPORT['description']}"}
        )
    except httpx.TransportError:  # pragma: no cover (the server itself stays up)
        return 0, None, None
    rid = r.json().get("id") if r.status_code == 201 else None
    return r.status_code, rid, r.headers.get("retry-after")


def test_a_postgresql_restart_under_load_loses_nothing_and_the_worker_resumes(
    server: PrivatePostgres,
) -> None:
    engine = make_engine(server.url)
    migrate.upgrade(engine)
    engine.dispose()
    database = Database(server.url)
    # A job cut off by the outage cannot record its failure: it is re-claimed one lease
    # later (2 s here, 300 s by default), like the job of a worker that died.
    settings = make_settings(
        server.url, intake_max_per_hour=1_000_000, worker_poll_seconds=0.1, job_lease_seconds=2
    )
    app = create_app(settings, clock=SystemClock(), database=database, background=[start_worker])
    answers: list[tuple[int, str | None, str | None]] = []
    stop = threading.Event()
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:

        def load(worker: int) -> None:
            n = 0
            while not stop.is_set():
                answers.append(_post(client, worker * 100_000 + n))
                n += 1

        with ThreadPoolExecutor(4) as pool:
            for w in range(4):
                pool.submit(load, w)
            time.sleep(2)
            server.stop()  # the database goes away under load...
            time.sleep(1.5)
            server.start()  # ...and comes back
            time.sleep(3)
            stop.set()
        after = _post(client, 999_999)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with database.transaction(write=False) as s:
                waiting = s.scalar(
                    select(func.count()).select_from(Job).where(Job.status != JobStatus.DONE)
                )
            if waiting == 0:
                break
            time.sleep(0.2)
    statuses = {status for status, _, _ in answers}
    assert statuses <= {201, 503}, statuses
    assert 503 in statuses, "the restart was not felt: the test proves nothing"
    assert all(retry == "5" for status, _, retry in answers if status == 503)
    assert after[0] == 201
    stored_ids = {rid for status, rid, _ in [*answers, after] if status == 201}
    with database.transaction(write=False) as s:
        in_db = {str(rid) for rid in s.scalars(select(Report.id))}
        assert audit.verify(s).ok
    assert in_db == stored_ids
    with database.transaction(write=False) as s:
        left = [
            (j.kind, j.status.value, j.attempts, (j.last_error or "")[:200])
            for j in s.scalars(select(Job).where(Job.status != JobStatus.DONE))
        ]
    assert left == [], "the worker did not resume"
    database.dispose()
