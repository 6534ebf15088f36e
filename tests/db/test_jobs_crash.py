"""Crash safety and concurrency with real processes and threads:

- a worker process killed with SIGKILL in the middle of a job: after another worker
  takes over the expired lease, the job's effect exists exactly once and the job is done;
- several workers draining one queue never run the same job twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from clearinghouse.db import Database
from clearinghouse.jobs import queue
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.jobs.registry import JobContext
from clearinghouse.jobs.worker import Worker
from clearinghouse.timeutil import FixedClock, SystemClock
from tests.support.jobs import (
    RECORD,
    T0,
    Calls,
    effect_counts,
    effects_table,
    job_settings,
    record_effect,
    registry_with,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def effects(database: Database) -> Iterator[Table]:
    with effects_table(database.engine) as table:
        yield table


def _wait_for(path: Path, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return
        if process.poll() is not None:
            _out, err = process.communicate()
            pytest.fail(f"the worker process exited early ({process.returncode}): {err.decode()}")
        time.sleep(0.05)
    process.kill()
    pytest.fail("the worker process never reached the middle of the job")


def test_worker_killed_mid_job_effect_happens_exactly_once(
    database: Database, effects: Table, tmp_path: Path
) -> None:
    started = SystemClock().now()
    with database.transaction() as s:
        job_id = queue.enqueue(s, RECORD, {}, now=started - timedelta(seconds=1)).id
    marker = tmp_path / "in-the-middle"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.job_worker", database.url, str(marker)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for(marker, process)
    assert marker.read_text() == str(job_id)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    process.communicate()
    assert process.returncode == -signal.SIGKILL

    with database.transaction(write=False) as s:
        job = queue.get_job(s, job_id)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.RUNNING, 1, "doomed")
    assert effect_counts(database.engine) == {}  # the killed transaction left nothing

    settings = job_settings()
    survivor = Worker(
        database,
        registry_with(settings, {RECORD: lambda ctx, payload: record_effect(ctx)}),
        FixedClock(SystemClock().now()),
        settings,
        "survivor",
    )
    assert survivor.run_once() is False  # the dead worker's lease (2 s) has not expired yet
    assert job.locked_until is not None
    survivor.clock = FixedClock(job.locked_until + timedelta(milliseconds=1))
    assert survivor.run_once() is True
    assert survivor.run_once() is False
    with database.transaction(write=False) as s:
        job = queue.get_job(s, job_id)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.DONE, 2, None)
    assert effect_counts(database.engine) == {str(job_id): 1}
    with database.engine.connect() as conn:
        assert conn.execute(select(effects.c.worker, effects.c.attempt)).all() == [("survivor", 2)]


@pytest.mark.parametrize("jobs", [200])
def test_concurrent_workers_never_run_the_same_job(
    db_url: str, effects_url: None, jobs: int
) -> None:
    databases = [Database(db_url) for _ in range(3)]
    try:
        with databases[0].transaction() as s:
            ids = [queue.enqueue(s, RECORD, {"n": n}, now=T0).id for n in range(jobs)]
        calls = Calls()

        def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
            calls.hit(ctx.job_id)
            record_effect(ctx)

        settings = job_settings()
        registry = registry_with(settings, {RECORD: handler})
        workers = [
            Worker(db, registry, FixedClock(T0), settings, f"w{i}")
            for i, db in enumerate(databases)
        ]
        done: dict[str, int] = {}
        barrier = threading.Barrier(len(workers))

        def drain(worker: Worker) -> None:
            barrier.wait()
            done[worker.worker_id] = worker.run_until_idle()

        threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert sum(done.values()) == jobs
        assert sorted(calls.by_job.values()) == [1] * jobs
        assert set(calls.by_job) == set(ids)
        assert effect_counts(databases[0].engine) == {str(i): 1 for i in ids}
        with databases[0].transaction(write=False) as s:
            statuses = dict(s.execute(select(Job.status, func.count()).group_by(Job.status)).all())
        assert statuses == {JobStatus.DONE: jobs}
        # the work was shared, not done by one worker while the others idled
        assert sum(1 for n in done.values() if n > 0) >= 2
    finally:
        for db in databases:
            db.dispose()


@pytest.fixture
def effects_url(db_url: str) -> Iterator[None]:
    db = Database(db_url)
    try:
        with effects_table(db.engine):
            yield
    finally:
        db.dispose()


def test_a_long_job_keeps_its_lease_and_runs_once(db_url: str, effects_url: None) -> None:
    """Its worker renews the lease while the handler works (a slow external call first, as
    handlers must, then the database write): a second worker polling all along never takes
    it for abandoned, so the handler runs once, on the first attempt."""
    # Leases of 4 s renewed every 1.3 s: a margin of over two seconds for a beat to get
    # through on a busy two-core machine where SQLite writers queue behind each other.
    settings = job_settings(job_lease_seconds=4)
    calls = Calls()
    started = threading.Event()

    def slow(ctx: JobContext, payload: dict[str, Any]) -> None:
        calls.hit(ctx.job_id)
        started.set()
        time.sleep(9)  # over two leases: a slow SMTP or HTTP peer
        record_effect(ctx)

    first, second = Database(db_url), Database(db_url)
    try:
        with first.transaction() as s:
            job_id = queue.enqueue(s, RECORD, {}, now=SystemClock().now()).id
        registry = registry_with(settings, {RECORD: slow})
        busy = Worker(first, registry, SystemClock(), settings, "busy")
        rival = Worker(second, registry, SystemClock(), settings, "rival")
        runner = threading.Thread(target=busy.run_once)
        runner.start()
        # The rival starts polling once the busy worker holds the job: polling earlier, it
        # could win the pending job itself on a loaded machine (it did, at load average 11).
        assert started.wait(30)
        took_over = []
        while runner.is_alive():
            took_over.append(rival.run_once())
            time.sleep(0.2)
        runner.join()
        assert not any(took_over)
        assert calls.by_job == {job_id: 1}
        with first.transaction(write=False) as s:
            job = queue.get_job(s, job_id)
        assert (job.status, job.attempts) == (JobStatus.DONE, 1)
        assert effect_counts(first.engine) == {str(job_id): 1}
    finally:
        first.dispose()
        second.dispose()
