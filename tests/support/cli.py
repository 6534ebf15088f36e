"""The real ``clearinghouse`` command, as a process of its own, on a test database."""

from __future__ import annotations

import os
import subprocess
import sys

from clearinghouse.db import Database


def run_cli(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    """``clearinghouse ARGS`` against ``database``; its exit code, stdout and stderr."""
    env = {
        **os.environ,
        "CLEARINGHOUSE_DATABASE_URL": database.url,
        "CLEARINGHOUSE_LOG_JSON": "false",
        "CLEARINGHOUSE_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-c", "from clearinghouse.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
