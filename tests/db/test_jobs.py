"""The transactional outbox: enqueue in the caller's transaction, idempotency keys, claim,
run exactly once with the job's own transaction, retry with backoff, dead-letter, re-run."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from clearinghouse.audit.models import AuditEntry
from clearinghouse.db import Database
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.jobs import queue
from clearinghouse.jobs.backoff import backoff_delay
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.jobs.registry import JobContext, PermanentJobError
from clearinghouse.jobs.worker import Worker
from clearinghouse.principal import SYSTEM
from clearinghouse.timeutil import FixedClock
from tests.support.jobs import (
    RECORD,
    T0,
    effect_counts,
    effects_table,
    job_settings,
    record_effect,
    registry_with,
)

Payload = dict[str, Any]


@pytest.fixture
def effects(database: Database) -> Iterator[Table]:
    with effects_table(database.engine) as table:
        yield table


def _enqueue(database: Database, kind: str = RECORD, **kwargs: Any) -> uuid.UUID:
    with database.transaction() as s:
        return queue.enqueue(s, kind, kwargs.pop("payload", {}), now=T0, **kwargs).id


def _job(database: Database, job_id: uuid.UUID) -> Job:
    with database.transaction(write=False) as s:
        return queue.get_job(s, job_id)


def _worker(
    database: Database, clock: FixedClock, handlers: dict[str, Any], **settings: Any
) -> Worker:
    config = job_settings(**settings)
    return Worker(database, registry_with(config, handlers), clock, config, "w1")


def _record(ctx: JobContext, payload: Payload) -> None:
    record_effect(ctx)


# ---- enqueue --------------------------------------------------------------------------------


def test_enqueue_belongs_to_the_callers_transaction(database: Database) -> None:
    def failing_request() -> None:
        with database.transaction() as s:
            queue.enqueue(s, RECORD, {"n": 1}, now=T0)
            raise RuntimeError("the causing change failed")

    with pytest.raises(RuntimeError):
        failing_request()
    with database.transaction(write=False) as s:
        assert queue.list_jobs(s) == []
    job_id = _enqueue(database, payload={"n": 2})
    job = _job(database, job_id)
    assert (job.status, job.attempts, job.run_after, job.payload) == (
        JobStatus.PENDING,
        0,
        T0,
        {"n": 2},
    )


def test_same_idempotency_key_returns_the_first_job(database: Database) -> None:
    with database.transaction() as s:
        first = queue.enqueue(s, RECORD, {"n": 1}, now=T0, idempotency_key="k1")
        again = queue.enqueue(s, RECORD, {"n": 2}, now=T0, idempotency_key="k1")
        assert again.id == first.id
    later = _enqueue(database, payload={"n": 3}, idempotency_key="k1")
    other = _enqueue(database, payload={"n": 4}, idempotency_key="k2")
    assert later == first.id
    assert other != first.id
    with database.transaction(write=False) as s:
        jobs = queue.list_jobs(s)
    assert sorted(j.payload["n"] for j in jobs) == [1, 4]


def test_concurrent_enqueues_with_one_key_make_one_job(database: Database) -> None:
    """The second enqueuer waits for the first transaction, then gets its job."""
    inserted = threading.Event()
    results: dict[str, uuid.UUID] = {}

    def second() -> None:
        inserted.wait(5)
        with database.transaction() as s:
            results["second"] = queue.enqueue(
                s, RECORD, {"n": 2}, now=T0, idempotency_key="race"
            ).id

    thread = threading.Thread(target=second)
    thread.start()
    with database.transaction() as s:
        results["first"] = queue.enqueue(s, RECORD, {"n": 1}, now=T0, idempotency_key="race").id
        inserted.set()
        time.sleep(0.3)  # the second transaction is now blocked on ours
    thread.join(10)
    assert results["second"] == results["first"]
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": ""}, "kind"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"max_attempts": 0}, "max_attempts"),
    ],
)
def test_enqueue_refuses_bad_arguments(database: Database, kwargs: Payload, field: str) -> None:
    kwargs = dict(kwargs)
    kind = kwargs.pop("kind", RECORD)
    with pytest.raises(InvalidInput) as caught, database.transaction() as s:
        queue.enqueue(s, kind, {}, now=T0, **kwargs)
    assert caught.value.extensions["field"] == field


# ---- running --------------------------------------------------------------------------------


def test_a_due_job_runs_once_with_its_effect_committed_with_done(
    database: Database, effects: Table
) -> None:
    clock = FixedClock(T0)
    later = _enqueue(database, run_after=T0 + timedelta(minutes=5))
    now = _enqueue(database)
    worker = _worker(database, clock, {RECORD: _record})
    assert worker.run_once() is True
    assert worker.run_once() is False  # the other job is not due yet
    job = _job(database, now)
    assert (job.status, job.attempts, job.locked_by, job.finished_at) == (
        JobStatus.DONE,
        1,
        None,
        T0,
    )
    assert effect_counts(database.engine) == {str(now): 1}
    clock.advance(timedelta(minutes=5))
    assert worker.run_until_idle() == 1
    assert effect_counts(database.engine) == {str(now): 1, str(later): 1}


def test_a_failing_handler_leaves_no_effect_and_is_retried_with_backoff(
    database: Database, effects: Table
) -> None:
    clock = FixedClock(T0)

    def flaky(ctx: JobContext, payload: Payload) -> None:
        record_effect(ctx)  # written, then rolled back with the failure
        if ctx.attempt < 3:
            raise ConnectionError(f"try {ctx.attempt} failed")

    job_id = _enqueue(database)
    worker = _worker(database, clock, {RECORD: flaky}, job_backoff_seconds=5.0)
    expected_delays = []
    for attempt in (1, 2):
        assert worker.run_once() is True
        job = _job(database, job_id)
        delay = backoff_delay(attempt, 5.0, salt=str(job_id))
        expected_delays.append(delay)
        assert job.status is JobStatus.PENDING
        assert job.attempts == attempt
        assert job.run_after == clock.now() + delay
        assert f"ConnectionError: try {attempt} failed" in (job.last_error or "")
        assert effect_counts(database.engine) == {}
        assert worker.run_once() is False  # not due before the backoff has passed
        clock.advance(delay)
    assert worker.run_once() is True
    job = _job(database, job_id)
    assert (job.status, job.attempts) == (JobStatus.DONE, 3)
    assert effect_counts(database.engine) == {str(job_id): 1}
    # doubling, with at most 10 % jitter
    assert timedelta(seconds=5) <= expected_delays[0] <= timedelta(seconds=5.5)
    assert timedelta(seconds=10) <= expected_delays[1] <= timedelta(seconds=11)


def test_dead_letter_after_max_attempts_then_requeue_runs(
    database: Database, effects: Table
) -> None:
    clock = FixedClock(T0)
    broken = {"yes": True}

    def sometimes(ctx: JobContext, payload: Payload) -> None:
        if broken["yes"]:
            raise ValueError("the receiving end is broken")
        record_effect(ctx)

    job_id = _enqueue(database, max_attempts=3)
    worker = _worker(database, clock, {RECORD: sometimes})
    for _ in range(3):
        clock.advance(timedelta(hours=2))
        assert worker.run_once() is True
    clock.advance(timedelta(hours=2))
    assert worker.run_once() is False
    with database.transaction(write=False) as s:
        dead = queue.list_jobs(s, JobStatus.DEAD)
        counts = queue.count_by_status(s)
    assert [j.id for j in dead] == [job_id]
    assert dead[0].attempts == 3
    assert "the receiving end is broken" in (dead[0].last_error or "")
    assert counts[JobStatus.DEAD] == 1
    assert counts[JobStatus.PENDING] == 0

    broken["yes"] = False
    with database.transaction() as s:
        queue.requeue_dead(s, job_id, SYSTEM, clock.now())
    with database.transaction(write=False) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "job.requeued")).one()
    assert entry.object_id == str(job_id)
    assert entry.change["previous"]["attempts"] == 3
    assert worker.run_once() is True
    job = _job(database, job_id)
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)
    assert effect_counts(database.engine) == {str(job_id): 1}


def test_requeue_only_dead_jobs(database: Database) -> None:
    job_id = _enqueue(database)
    with pytest.raises(Conflict), database.transaction() as s:
        queue.requeue_dead(s, job_id, SYSTEM, T0)
    with pytest.raises(NotFound), database.transaction() as s:
        queue.requeue_dead(s, uuid.uuid4(), SYSTEM, T0)


def test_permanent_error_dead_letters_at_once(database: Database) -> None:
    def hopeless(ctx: JobContext, payload: Payload) -> None:
        raise PermanentJobError("no such recipient")

    job_id = _enqueue(database)
    worker = _worker(database, FixedClock(T0), {RECORD: hopeless})
    assert worker.run_once() is True
    job = _job(database, job_id)
    assert (job.status, job.attempts, job.finished_at) == (JobStatus.DEAD, 1, T0)
    assert job.last_error == "PermanentJobError: no such recipient"


def test_unknown_kind_is_retried_not_lost(database: Database) -> None:
    job_id = _enqueue(database, kind="from.a.newer.release")
    worker = _worker(database, FixedClock(T0), {RECORD: _record})
    assert worker.run_once() is True
    job = _job(database, job_id)
    assert job.status is JobStatus.PENDING
    assert "no handler for job kind 'from.a.newer.release'" in (job.last_error or "")


def test_max_attempts_defaults_to_the_setting(database: Database) -> None:
    def failing(ctx: JobContext, payload: Payload) -> None:
        raise ValueError("no")

    clock = FixedClock(T0)
    job_id = _enqueue(database)
    worker = _worker(database, clock, {RECORD: failing}, job_max_attempts=2)
    for _ in range(2):
        assert worker.run_once() is True
        clock.advance(timedelta(hours=1))
    assert _job(database, job_id).status is JobStatus.DEAD


def test_an_expired_lease_is_reclaimed_and_the_old_worker_cannot_finish(
    database: Database, effects: Table
) -> None:
    """A worker stalls past its lease; another takes the job over and finishes it; the
    stalled worker's transaction, effect included, is rolled back when it wakes."""
    clock = FixedClock(T0)
    stalled, resume = threading.Event(), threading.Event()
    job_id = _enqueue(database)

    def slow(ctx: JobContext, payload: Payload) -> None:
        if ctx.worker_id == "slow":
            stalled.set()
            resume.wait(10)
        record_effect(ctx)

    config = job_settings(job_lease_seconds=60)
    registry = registry_with(config, {RECORD: slow})
    slow_worker = Worker(database, registry, clock, config, "slow")
    thread = threading.Thread(target=slow_worker.run_once)
    thread.start()
    assert stalled.wait(10)
    fast = Worker(database, registry, clock, config, "fast")
    assert fast.run_once() is False  # the lease still holds
    clock.advance(timedelta(seconds=61))
    assert fast.run_once() is True
    resume.set()
    thread.join(10)
    job = _job(database, job_id)
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    with database.engine.connect() as conn:
        workers = conn.execute(select(effects.c.worker)).scalars().all()
    assert workers == ["fast"]


def test_a_job_whose_workers_keep_vanishing_is_dead_lettered(database: Database) -> None:
    job_id = _enqueue(database, max_attempts=2)
    with database.transaction() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status=JobStatus.RUNNING, attempts=2, locked_by="gone", locked_until=T0)
        )
    worker = _worker(database, FixedClock(T0 + timedelta(seconds=1)), {RECORD: _record})
    assert worker.run_once() is False
    job = _job(database, job_id)
    assert job.status is JobStatus.DEAD
    assert "vanished" in (job.last_error or "")


def test_run_forever_works_until_stopped(database: Database, effects: Table) -> None:
    ids = [_enqueue(database) for _ in range(3)]
    worker = _worker(database, FixedClock(T0), {RECORD: _record})
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(effect_counts(database.engine)) < 3:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert effect_counts(database.engine) == {str(i): 1 for i in ids}


def test_list_jobs_filters_and_pages(database: Database) -> None:
    ids = []
    for minute in range(4):
        with database.transaction() as s:
            ids.append(
                queue.enqueue(
                    s, "a.b" if minute % 2 else RECORD, {}, now=T0 + timedelta(minutes=minute)
                ).id
            )
    with database.transaction(write=False) as s:
        assert [j.id for j in queue.list_jobs(s)] == ids[::-1]
        assert [j.id for j in queue.list_jobs(s, kind="a.b")] == [ids[3], ids[1]]
        assert [j.id for j in queue.list_jobs(s, limit=2, before=T0 + timedelta(minutes=2))] == [
            ids[1],
            ids[0],
        ]
        assert queue.list_jobs(s, JobStatus.DONE) == []


def test_purge_finished_keeps_dead_and_recent(database: Database, effects: Table) -> None:
    clock = FixedClock(T0)
    done = _enqueue(database)
    _worker(database, clock, {RECORD: _record}).run_until_idle()
    with database.transaction() as s:
        assert (
            queue.purge_finished(s, older_than=timedelta(days=7), now=T0 + timedelta(days=1)) == 0
        )
        assert (
            queue.purge_finished(s, older_than=timedelta(days=7), now=T0 + timedelta(days=8)) == 1
        )
    with database.transaction(write=False) as s:
        assert s.get(Job, done) is None


def test_a_failing_schedule_does_not_stop_the_others(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(session: Session, now: datetime) -> int:
        raise KeyError("a bug in some domain's schedule")

    def daily(session: Session, now: datetime) -> int:
        queue.enqueue(session, RECORD, {}, now=now, idempotency_key=f"daily:{now.date()}")
        return 1

    config = job_settings()
    registry = registry_with(config, {RECORD: _record})
    registry.add_schedule("broken", broken)
    registry.add_schedule("daily", daily)
    worker = Worker(database, registry, FixedClock(T0), config, "w1")
    assert worker.run_schedules() == 1
    assert worker.run_schedules() == 1  # idempotent: still one job
    assert "schedule failed" in caplog.text
    with database.transaction(write=False) as s:
        assert [j.idempotency_key for j in queue.list_jobs(s)] == ["daily:2021-12-09"]
