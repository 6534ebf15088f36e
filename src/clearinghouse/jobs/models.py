"""The jobs table (a transactional outbox).

A row is written in the transaction that causes the work; a worker claims it (status
``running`` with a lease), runs its handler in a second transaction that also marks it
``done``, and on failure schedules a retry or dead-letters it. ``attempts`` counts claims
and doubles as a fencing token: a worker whose lease was taken over cannot finish the job.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.db import Base, enum_column, new_id


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"  # dead-lettered after max attempts: visible and re-runnable


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_after"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    # Enqueueing twice with the same key is a no-op (the first job stands).
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    # None: the worker's ``job_max_attempts`` setting decides.
    max_attempts: Mapped[int | None]
    run_after: Mapped[datetime]
    # Until this instant a failing job is retried however many attempts it takes, each
    # delay shortened so that a retry lands before it; then it is dead-lettered. For what
    # is worth nothing late (a deadline alert). None: ``max_attempts`` decides.
    deliver_by: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
