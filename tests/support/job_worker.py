"""A worker process that is killed mid-job by the crash-safety test.

Usage: python -m tests.support.job_worker DB_URL MARKER_FILE

It claims one ``test.record`` job, writes the job's effect in the job's transaction,
creates MARKER_FILE (so the test knows the effect is written but not committed), then
sleeps until it is killed with SIGKILL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from clearinghouse.db import Database
from clearinghouse.jobs.registry import JobContext
from clearinghouse.jobs.worker import Worker
from clearinghouse.timeutil import SystemClock
from tests.support.jobs import RECORD, job_settings, record_effect, registry_with


def main() -> None:
    url, marker = sys.argv[1], Path(sys.argv[2])

    def record_then_hang(ctx: JobContext, payload: dict[str, Any]) -> None:
        record_effect(ctx)
        ctx.session.flush()
        marker.write_text(str(ctx.job_id))
        time.sleep(120)  # killed long before this returns

    settings = job_settings(job_lease_seconds=2)
    database = Database(url)
    worker = Worker(
        database,
        registry_with(settings, {RECORD: record_then_hang}),
        SystemClock(),
        settings,
        "doomed",
    )
    worker.run_once()
    sys.exit("the worker was supposed to be killed mid-job")


if __name__ == "__main__":
    main()
