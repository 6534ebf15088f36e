"""The worker: claims due jobs, runs their handlers, retries or dead-letters failures.

Three transactions per attempt, each short:

1. **claim**: pick one due job (pending and ``run_after <= now``, or running with an
   expired lease: its worker died) and mark it running, ``attempts + 1``, leased to this
   worker until ``now + job_lease_seconds``. On PostgreSQL the pick is
   ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent workers pick different jobs; on
   SQLite the transaction is ``BEGIN IMMEDIATE``, which serialises claimers. Either way
   the UPDATE is conditional on the job still being due.
2. **run**: the handler's work and "mark done" commit together. Marking done is fenced
   on ``(locked_by, attempts)``: if the lease expired and another worker re-claimed the
   job meanwhile, this worker's whole transaction is rolled back, so the handler's
   database effects still happen exactly once.
3. **on failure**: record ``last_error`` (and whatever the handler asked to keep), then
   either schedule a retry after an exponential backoff or dead-letter the job.
"""

from __future__ import annotations

import logging
import threading
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from clearinghouse.db import Database
from clearinghouse.jobs.backoff import backoff_delay
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.jobs.registry import (
    JobContext,
    JobRegistry,
    PermanentJobError,
    UnknownJobKindError,
)
from clearinghouse.settings import Settings
from clearinghouse.timeutil import Clock

log = logging.getLogger("clearinghouse.jobs")

MAX_ERROR_CHARS = 4000
MIN_DEADLINE_RETRY = timedelta(seconds=5)  # the shortest delay before a deadline
SCHEDULE_INTERVAL = timedelta(seconds=60)


class LeaseLostError(Exception):
    """The job was re-claimed by another worker before this one could finish it."""


@dataclass(frozen=True, slots=True)
class Claim:
    """A job this worker holds: ``attempt`` is the fencing token."""

    job_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    deliver_by: datetime | None = None


class Worker:
    def __init__(
        self,
        database: Database,
        registry: JobRegistry,
        clock: Clock,
        settings: Settings,
        worker_id: str,
    ) -> None:
        if not worker_id or len(worker_id) > 100:
            raise ValueError("a worker id is 1-100 characters")
        self.database = database
        self.registry = registry
        self.clock = clock
        self.settings = settings
        self.worker_id = worker_id
        self._schedules_ran_at: datetime | None = None

    # ---- the loop -----------------------------------------------------------------------

    def run_once(self) -> bool:
        """Claim and run one due job; ``False`` when none was due."""
        claim = self.claim()
        if claim is None:
            return False
        self._run(claim)
        return True

    def run_until_idle(self, limit: int = 10_000) -> int:
        """Run due jobs until none is left (tests, ``worker --once``); returns how many."""
        count = 0
        while count < limit and self.run_once():
            count += 1
        return count

    def run_forever(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set; idle polls every ``worker_poll_seconds``.

        A database outage does not end the loop: it is logged and retried after a poll.
        """
        log.info("worker started", extra={"worker": self.worker_id})
        while not stop.is_set():
            try:
                self.maybe_run_schedules()
                worked = self.run_once()
            except SQLAlchemyError:
                log.exception(
                    "worker could not reach the database", extra={"worker": self.worker_id}
                )
                worked = False
            if not worked:
                stop.wait(self.settings.worker_poll_seconds)
        log.info("worker stopped", extra={"worker": self.worker_id})

    # ---- schedules ----------------------------------------------------------------------

    def maybe_run_schedules(self) -> int:
        now = self.clock.now()
        if self._schedules_ran_at is not None and now - self._schedules_ran_at < SCHEDULE_INTERVAL:
            return 0
        self._schedules_ran_at = now
        return self.run_schedules()

    def run_schedules(self) -> int:
        """Run every registered schedule once, each in its own transaction."""
        enqueued = 0
        for name, schedule in self.registry.schedules().items():
            try:
                with self.database.transaction() as session:
                    enqueued += schedule(session, self.clock.now())
            except SQLAlchemyError:
                raise  # the database is unreachable: let run_forever wait and retry
            # Like a handler, a schedule is arbitrary domain code: a bug in one must not
            # stop the others (digests, deadline alerts) or kill the worker.
            except Exception:
                log.exception("schedule failed", extra={"schedule": name})
                continue
            log.debug("schedule ran", extra={"schedule": name})
        return enqueued

    # ---- claiming -----------------------------------------------------------------------

    def _max_attempts(self, job_max: int | None) -> int:
        return job_max if job_max is not None else self.settings.job_max_attempts

    def claim(self) -> Claim | None:
        """Transaction 1: take one due job (see the module docstring)."""
        with self.database.transaction() as session:
            for _ in range(100):  # bounded: each turn skips an abandoned job or a lost race
                now = self.clock.now()
                due = or_(
                    and_(Job.status == JobStatus.PENDING, Job.run_after <= now),
                    and_(Job.status == JobStatus.RUNNING, Job.locked_until <= now),
                )
                job = session.scalars(
                    select(Job)
                    .where(due)
                    .order_by(Job.run_after, Job.created_at)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if job is None:
                    return None
                limit = self._max_attempts(job.max_attempts)
                out_of_time = job.deliver_by is None or job.deliver_by <= now
                if job.status is JobStatus.RUNNING and job.attempts >= limit and out_of_time:
                    # Its workers keep vanishing mid-job (a crash, an OOM kill): stop here.
                    self._dead_letter_abandoned(session, job, now)
                    continue
                taken = session.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.attempts == job.attempts, due)
                    .values(
                        status=JobStatus.RUNNING,
                        attempts=job.attempts + 1,
                        locked_by=self.worker_id,
                        locked_until=now + timedelta(seconds=self.settings.job_lease_seconds),
                    )
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(taken) != 1:  # somebody else was faster; look again
                    session.expire_all()
                    continue
                return Claim(
                    job.id, job.kind, dict(job.payload), job.attempts + 1, limit, job.deliver_by
                )
        return None

    def _dead_letter_abandoned(self, session: Session, job: Job, now: datetime) -> None:
        message = (
            f"abandoned: the worker running attempt {job.attempts} ({job.locked_by}) vanished "
            "and the lease expired; no attempts left"
        )
        session.execute(
            update(Job)
            .where(Job.id == job.id, Job.attempts == job.attempts)
            .values(
                status=JobStatus.DEAD,
                locked_by=None,
                locked_until=None,
                finished_at=now,
                last_error=message,
            )
            .execution_options(synchronize_session=False)
        )
        session.expire_all()
        log.error(
            "job dead-lettered", extra={"job_id": str(job.id), "kind": job.kind, "error": message}
        )

    # ---- running ------------------------------------------------------------------------

    def _fence(self, claim: Claim) -> Any:
        return and_(
            Job.id == claim.job_id,
            Job.status == JobStatus.RUNNING,
            Job.locked_by == self.worker_id,
            Job.attempts == claim.attempt,
        )

    @contextmanager
    def _heartbeat(self, claim: Claim) -> Iterator[None]:
        """While the handler runs, renew the job's lease every third of it, so that a long
        job (a slow mail server, a big import) is not taken for abandoned and run again by
        another worker. Fenced like everything else: once the job is finished or re-claimed,
        a beat changes nothing."""
        lease = timedelta(seconds=self.settings.job_lease_seconds)
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(lease.total_seconds() / 3):
                try:
                    with self.database.transaction() as session:
                        session.execute(
                            update(Job)
                            .where(self._fence(claim))
                            .values(locked_until=self.clock.now() + lease)
                            .execution_options(synchronize_session=False)
                        )
                except SQLAlchemyError:  # the database is busy or away: try next beat
                    log.warning(
                        "could not renew a job's lease", extra={"job_id": str(claim.job_id)}
                    )

        thread = threading.Thread(target=beat, name=f"lease-{claim.job_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _run(self, claim: Claim) -> None:
        with self._heartbeat(claim):
            self._run_handler(claim)

    def _run_handler(self, claim: Claim) -> None:
        session = self.database.session()
        ctx = JobContext(
            session=session,
            clock=self.clock,
            settings=self.settings,
            services=self.registry.services,
            database=self.database,
            job_id=claim.job_id,
            kind=claim.kind,
            attempt=claim.attempt,
            max_attempts=claim.max_attempts,
            worker_id=self.worker_id,
            deliver_by=claim.deliver_by,
        )
        extra = {"job_id": str(claim.job_id), "kind": claim.kind, "attempt": claim.attempt}
        try:
            with session.begin():
                handler = self.registry.handler(claim.kind)
                if handler is None:
                    raise UnknownJobKindError(f"no handler for job kind {claim.kind!r}")
                handler(ctx, claim.payload)
                finished = session.execute(
                    update(Job)
                    .where(self._fence(claim))
                    .values(
                        status=JobStatus.DONE,
                        locked_by=None,
                        locked_until=None,
                        finished_at=self.clock.now(),
                    )
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(finished) != 1:
                    raise LeaseLostError(str(claim.job_id))
        except LeaseLostError:
            log.warning("job lease lost; another worker owns it now; rolled back", extra=extra)
            return
        # The boundary between the platform and arbitrary handler code: whatever a handler
        # raises must become a recorded failure (and a retry), never a dead worker.
        except Exception as exc:  # noqa: BLE001
            self._failed(claim, ctx, exc)
            return
        finally:
            session.close()
        log.info("job done", extra=extra)

    def _failed(self, claim: Claim, ctx: JobContext, exc: Exception) -> None:
        permanent = isinstance(exc, PermanentJobError)
        error = _describe(exc)
        now = self.clock.now()
        delay = backoff_delay(
            claim.attempt, self.settings.job_backoff_seconds, salt=str(claim.job_id)
        )
        if claim.deliver_by is None:
            dead = permanent or claim.attempt >= claim.max_attempts
        else:  # retried until its deadline, each delay short enough to land before it
            left = claim.deliver_by - now
            dead = permanent or left <= timedelta(0)
            delay = min(delay, max(left / 3, MIN_DEADLINE_RETRY))
            if delay >= left:
                delay = left / 2
            if dead and not permanent:
                error = f"not done before its deadline {claim.deliver_by.isoformat()}: {error}"
        values: dict[str, Any] = {"last_error": error, "locked_by": None, "locked_until": None}
        if dead:
            values.update(status=JobStatus.DEAD, finished_at=now)
        else:
            values.update(status=JobStatus.PENDING, run_after=now + delay)
        with self.database.transaction() as session:
            recorded = session.execute(
                update(Job)
                .where(self._fence(claim))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(recorded) != 1:  # nothing was written; the empty commit is harmless
                log.warning(
                    "job failed after its lease was lost; not recorded",
                    extra={"job_id": str(claim.job_id)},
                )
                return
            for record in ctx.failure_records:
                record(session)
        extra = {
            "job_id": str(claim.job_id),
            "kind": claim.kind,
            "attempt": claim.attempt,
            "error": error,
        }
        if dead:
            log.error("job dead-lettered", extra=extra)
        else:
            log.warning(
                "job failed; will retry", extra={**extra, "run_after": str(values["run_after"])}
            )


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, PermanentJobError):
        tb = "".join(traceback.format_exception(exc)[-3:])
        text = f"{text}\n{tb}"
    return text[:MAX_ERROR_CHARS]


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
