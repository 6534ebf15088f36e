"""Test-only job kinds and their effect table (no production model).

``test.record`` inserts one row per run into ``test_job_effects``. The table has no
unique constraint on ``job_id`` on purpose: a job whose effect happened twice shows up
as two rows instead of being masked by a constraint error.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.engine import Engine

from clearinghouse.app import build_services
from clearinghouse.cases import notices
from clearinghouse.jobs.registry import JobContext, JobRegistry
from clearinghouse.notify import handlers as notify_handlers
from clearinghouse.services import Services
from clearinghouse.settings import Settings

T0 = datetime(2021, 12, 9, 12, 0, tzinfo=UTC)
RECORD = "test.record"

_metadata = MetaData()
EFFECTS = Table(
    "test_job_effects",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(36), nullable=False, index=True),
    Column("worker", String(100), nullable=False),
    Column("attempt", Integer, nullable=False),
)


@contextmanager
def effects_table(engine: Engine) -> Iterator[Table]:
    EFFECTS.drop(engine, checkfirst=True)
    EFFECTS.create(engine)
    try:
        yield EFFECTS
    finally:
        EFFECTS.drop(engine, checkfirst=True)


def record_effect(ctx: JobContext) -> None:
    ctx.session.execute(
        insert(EFFECTS).values(job_id=str(ctx.job_id), worker=ctx.worker_id, attempt=ctx.attempt)
    )


def effect_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(EFFECTS.c.job_id, func.count()).group_by(EFFECTS.c.job_id)).all()
    return {str(job_id): int(count) for job_id, count in rows}


def job_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "job_backoff_seconds": 5.0,
        "job_max_attempts": 8,
        "job_lease_seconds": 300,
        "worker_poll_seconds": 0.05,
        "webhook_allow_private": True,  # the receivers listen on 127.0.0.1
    }
    values.update(overrides)
    return Settings(**values)


def registry_with(
    settings: Settings, handlers: dict[str, Callable[[JobContext, dict[str, Any]], None]]
) -> JobRegistry:
    registry = JobRegistry(build_services(settings))
    for kind, handler in handlers.items():
        registry.register(kind, handler)
    return registry


class Calls:
    """Counts handler invocations per job across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_job: dict[uuid.UUID, int] = {}

    def hit(self, job_id: uuid.UUID) -> None:
        with self._lock:
            self.by_job[job_id] = self.by_job.get(job_id, 0) + 1


def notify_registry(services: Services) -> JobRegistry:
    """A registry with the notify handlers only (e-mail, digests, webhooks), and the case
    domain's rules for the gate (as ``app.build_registry`` wires them)."""
    registry = JobRegistry(services)
    notify_handlers.register(registry, notices.PARTS)
    return registry
