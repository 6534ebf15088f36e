"""Which code runs each kind of job, and what that code is handed.

A handler is ``(ctx: JobContext, payload: dict) -> None``. It runs inside the job's own
transaction (``ctx.session``), which the worker commits together with marking the job
done: a handler's database effects happen exactly once. Effects outside the database
(an e-mail, an HTTP call) happen at least once, so they carry a stable identifier
(Message-ID, ``webhook-id``) that lets the receiver recognise a repeat.

A handler fails by raising. :class:`PermanentJobError` means "retrying cannot help" and
dead-letters the job at once; anything else is retried with backoff.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from clearinghouse.db import Database
from clearinghouse.errors import ClearinghouseError
from clearinghouse.services import Services
from clearinghouse.settings import Settings
from clearinghouse.timeutil import Clock


class PermanentJobError(ClearinghouseError):
    """Raised by a handler when retrying cannot succeed (bad payload, refused address)."""

    code = "job-permanent-failure"
    title = "The job cannot succeed"


class UnknownJobKindError(ClearinghouseError):
    """No handler is registered for a job's kind (an older worker than the enqueuer?).
    Retried like any failure, so a rolling deploy heals itself."""

    code = "job-unknown-kind"
    title = "No handler for this job kind"


FailureRecorder = Callable[[Session], None]


@dataclass
class JobContext:
    """What a handler gets: the job's transaction and the platform's services."""

    session: Session
    clock: Clock
    settings: Settings
    services: Services
    database: Database
    job_id: uuid.UUID
    kind: str
    attempt: int  # 1 on the first run
    max_attempts: int
    worker_id: str
    # The job's deadline (see ``Job.deliver_by``): a handler that queues the next step of a
    # delivery passes it on.
    deliver_by: datetime | None = None
    failure_records: list[FailureRecorder] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

    def on_failure(self, record: FailureRecorder) -> None:
        """Keep a record even if the handler fails: ``record(session)`` runs in the
        transaction that schedules the retry (the handler's own transaction is rolled back).
        """
        self.failure_records.append(record)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short read-only session outside the job's transaction.

        For loading what a slow external call needs *before* the job's transaction has
        begun: on SQLite the job's transaction holds the database's write lock from its
        first statement, and an HTTP call must not hold it.
        """
        with self.database.transaction(write=False) as session:
            yield session


Handler = Callable[[JobContext, dict[str, Any]], None]
Schedule = Callable[[Session, datetime], int]


class JobRegistry:
    """Job kinds to handlers, plus periodic schedules, plus the services handlers use."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._handlers: dict[str, Handler] = {}
        self._withheld: dict[str, frozenset[str]] = {}
        self._schedules: dict[str, Schedule] = {}

    def register(self, kind: str, handler: Handler, *, withheld: Iterable[str] = ()) -> None:
        """``withheld``: payload fields no one is shown (``/api/v1/jobs``), only the
        handler reads them: an e-mail's text carries invitation links and tracking tokens."""
        if not kind or len(kind) > 100:
            raise ValueError("a job kind is 1-100 characters")
        if kind in self._handlers:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = handler
        if withheld:
            self._withheld[kind] = frozenset(withheld)

    def withheld(self) -> dict[str, frozenset[str]]:
        """Each kind's withheld payload fields (see :meth:`register`)."""
        return dict(self._withheld)

    def handler(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    def add_schedule(self, name: str, schedule: Schedule) -> None:
        """A periodic step ``schedule(session, now) -> jobs enqueued``, run by workers every
        minute or so. It must be idempotent (enqueue with idempotency keys): several
        workers may run it at once."""
        if name in self._schedules:
            raise ValueError(f"a schedule named {name!r} is already registered")
        self._schedules[name] = schedule

    def schedules(self) -> dict[str, Schedule]:
        return dict(self._schedules)
