"""Scaled out on one PostgreSQL: two ``clearinghouse serve`` processes and two
``clearinghouse worker`` processes. A browser session and an API token opened on one
process work on the other; reports sent to both at once are each stored once and each of
their jobs runs exactly once; a list paged alternately through both processes matches
the list from one; the audit chain stays one unbroken line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from clearinghouse.accounts import service as accounts
from clearinghouse.audit.models import AuditEntry
from clearinghouse.db import Database
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.timeutil import SystemClock
from tests.support.db import POSTGRES_ENV, PostgresSession, postgres_required
from tests.support.factory import PASSWORD, World, seed
from tests.support.server import free_port

REPO = Path(__file__).resolve().parents[2]
REPORTS = 40


@pytest.fixture
def pg_url(_postgres: PostgresSession | None) -> str:
    if _postgres is None:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required but {POSTGRES_ENV} is not set")
        pytest.skip(f"scale-out runs on PostgreSQL: set {POSTGRES_ENV}")
    _postgres.truncate()
    return _postgres.url


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "CLEARINGHOUSE_ENVIRONMENT": "test",
        "CLEARINGHOUSE_DATABASE_URL": url,
        "CLEARINGHOUSE_WORKER_IN_PROCESS": "false",
        "CLEARINGHOUSE_WORKER_POLL_SECONDS": "0.1",
        "CLEARINGHOUSE_INTAKE_MAX_PER_HOUR": "100000",
        "CLEARINGHOUSE_ARGON2_TIME_COST": "1",
        "CLEARINGHOUSE_ARGON2_MEMORY_KIB": "1024",
        "CLEARINGHOUSE_LOG_LEVEL": "WARNING",
    }


def _process(url: str, log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-c", "from clearinghouse.cli import main; main()", *args],
            cwd=REPO,
            env=_env(url),
            stdout=subprocess.DEVNULL,
            stderr=handle,
        )


@pytest.fixture
def cluster(pg_url: str, tmp_path: Path) -> Iterator[tuple[list[str], World, Database]]:
    database = Database(pg_url)
    accounts.configure_password_hashing(1, 1024)
    world = seed(database, SystemClock())
    ports = [free_port(), free_port()]
    processes = [
        _process(pg_url, tmp_path / f"serve{p}.log", "serve", "--port", str(p)) for p in ports
    ]
    processes += [
        _process(pg_url, tmp_path / f"worker{i}.log", "worker", "--name", f"w{i}") for i in (1, 2)
    ]
    try:
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for url in urls:
            _wait_healthy(url, processes, tmp_path)
        yield urls, world, database
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:  # pragma: no cover
                process.kill()
                process.wait()
        database.dispose()


def _wait_healthy(url: str, processes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            said = "\n".join(log.read_text()[-800:] for log in logs.glob("*.log"))
            pytest.fail(f"a process exited early:\n{said}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not come up")


def _login(url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def test_two_servers_and_two_workers_on_one_postgresql(
    cluster: tuple[list[str], World, Database],
) -> None:
    with ExitStack() as clients:
        _scaled_out(cluster, clients)


def _scaled_out(cluster: tuple[list[str], World, Database], clients: ExitStack) -> None:
    (a, b), world, database = cluster
    # A session opened on A, and a token made with it, work on B.
    on_a = _login(a, world.operator_analyst)
    clients.callback(on_a.close)
    token = on_a.post("/api/v1/tokens", json={"name": "t", "scopes": ["read", "write"]})
    assert token.status_code == 201, token.text
    on_b = clients.enter_context(
        httpx.Client(base_url=b, timeout=30, cookies=on_a.cookies, headers=on_a.headers)
    )
    assert on_b.get("/api/v1/me").json()["email"] == world.operator_analyst
    bearer = {"Authorization": f"Bearer {token.json()['token']}"}
    assert httpx.get(f"{b}/api/v1/me", headers=bearer).status_code == 200

    # Reports sent to both servers at once.
    def send(n: int) -> str:
        url = (a, b)[n % 2]
        r = httpx.post(
            f"{url}/api/v1/reports",
            json={
                "title": f"Report {n}",
                "description": f"Flaw number {n} lets a remote attacker run code.",
                "product": "log4j-core",
            },
            timeout=30,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    with ThreadPoolExecutor(8) as pool:
        sent = set(pool.map(send, range(REPORTS)))
    assert len(sent) == REPORTS

    # Each job runs exactly once, whichever worker takes it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with database.transaction(write=False) as s:
            jobs = list(s.scalars(select(Job)))
        if jobs and all(j.status is JobStatus.DONE for j in jobs):
            break
        time.sleep(0.3)
    assert jobs
    assert all(j.status is JobStatus.DONE for j in jobs), [(j.kind, j.status) for j in jobs]
    assert all(j.attempts == 1 for j in jobs)

    # Paged alternately through A and B: the same list as from one process.
    whole = on_a.get("/api/v1/reports", params={"limit": 500}).json()["items"]
    paged: list[str] = []
    cursor: str | None = None
    for turn in range(100):
        client = (on_a, on_b)[turn % 2]
        params: dict[str, str | int] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/reports", params=params).json()
        paged += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == [item["id"] for item in whole]
    assert sent <= set(paged)

    # One audit chain, unbroken, however many processes appended to it.
    verify = on_b.get("/api/v1/audit/verify")  # an operator analyst may not verify...
    assert verify.status_code == 403
    admin = _login(b, world.operator_admin)
    clients.callback(admin.close)
    result = admin.get("/api/v1/audit/verify").json()
    assert result["ok"] is True
    with database.transaction(write=False) as s:
        seqs = list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
    assert seqs == list(range(1, len(seqs) + 1))
    assert result["entries"] == len(seqs)
