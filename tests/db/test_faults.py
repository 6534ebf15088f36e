"""What the platform does when the outside world fails it: a mail server or a webhook
receiver that is down is retried with backoff, then dead-lettered where the operator sees
it; a deadline alert is retried until its due instant, however many attempts that takes,
and reaches the member before it once the mail server is back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from clearinghouse.app import build_registry
from clearinghouse.db import Database
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.jobs.queue import enqueue, list_jobs
from clearinghouse.jobs.worker import Worker
from clearinghouse.notify.service import KIND_SEND
from clearinghouse.settings import Settings
from clearinghouse.timeutil import FixedClock
from tests.db.test_clock_alerts import AWARE, _world
from tests.support.server import free_port
from tests.support.smtp import smtp_server

DUE = AWARE + timedelta(days=2)  # cn-miit-2021: 2 days after awareness


def _settings(database: Database, smtp_port: int) -> Settings:
    return Settings(
        environment="test",
        database_url=database.url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_timeout_seconds=2.0,
        job_backoff_seconds=5.0,
        job_max_attempts=3,
    )


def _sends(database: Database) -> list[Job]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(Job).where(Job.kind == KIND_SEND)))


def test_a_mail_that_cannot_be_sent_is_retried_then_dead_lettered(database: Database) -> None:
    settings = _settings(database, free_port())  # nothing listens there
    clock = FixedClock(AWARE)
    with database.transaction() as s:
        mail = {"to": "a@b.test", "subject": "s", "text": "t", "about": {"sensitivity": "public"}}
        enqueue(s, KIND_SEND, mail, now=clock.now())
    worker = Worker(database, build_registry(settings), clock, settings, "w")
    for _ in range(settings.job_max_attempts):
        clock.advance(timedelta(hours=1))
        assert worker.run_until_idle() == 1
    (job,) = _sends(database)
    assert job.status is JobStatus.DEAD
    assert job.attempts == settings.job_max_attempts
    assert "could not talk to SMTP server" in (job.last_error or "")
    with database.transaction(write=False) as s:
        assert [j.id for j in list_jobs(s, JobStatus.DEAD)] == [job.id]


def test_a_deadline_alert_outlives_a_mail_outage_and_arrives_before_its_due(
    database: Database,
) -> None:
    _world(database)
    port = free_port()
    settings = _settings(database, port)
    clock = FixedClock(AWARE + timedelta(hours=25))  # the 50 % alert is due
    worker = Worker(database, build_registry(settings), clock, settings, "w")
    # The mail server is down for the next 22 hours; the worker keeps trying.
    while clock.now() < DUE - timedelta(hours=1):
        worker.run_schedules()
        worker.run_until_idle()
        clock.advance(timedelta(minutes=30))
    pending = [j for j in _sends(database) if j.deliver_by is not None]
    assert pending
    assert all(j.status is JobStatus.PENDING for j in pending)
    assert any(j.attempts > settings.job_max_attempts for j in pending)  # beyond the usual cap
    assert all(j.run_after < DUE for j in pending)  # the next try lands before the due instant
    with smtp_server(port=port) as smtp:
        clock.advance(timedelta(minutes=30))
        worker.run_until_idle()
        delivered_at = clock.now()
        subjects = {m["Subject"] for m in smtp.inbox.messages}
    assert delivered_at < DUE
    assert any("Due soon (50%)" in s for s in subjects)
    assert any("Due soon (80%)" in s for s in subjects)
    assert all(j.status is JobStatus.DONE for j in _sends(database) if j.deliver_by is not None)


def test_a_deadline_alert_still_undelivered_at_its_due_is_dead_lettered_saying_so(
    database: Database,
) -> None:
    _world(database)
    settings = _settings(database, free_port())
    clock = FixedClock(AWARE + timedelta(hours=25))
    worker = Worker(database, build_registry(settings), clock, settings, "w")
    while clock.now() < DUE + timedelta(hours=1):
        worker.run_schedules()
        worker.run_until_idle()
        clock.advance(timedelta(minutes=30))
    dead = [j for j in _sends(database) if j.deliver_by is not None]
    assert dead
    assert all(j.status is JobStatus.DEAD for j in dead)
    assert all("not done before its deadline" in (j.last_error or "") for j in dead)
