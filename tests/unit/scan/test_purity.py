"""The scanners' detectors stay pure: importing them (in a fresh interpreter) loads no web
framework, no ORM, no database driver and no HTTP client."""

from __future__ import annotations

import json
import subprocess
import sys

DETECTORS = (
    "clearinghouse.scan.archives",
    "clearinghouse.scan.identify",
    "clearinghouse.scan.log4j",
    "clearinghouse.scan.jars",
    "clearinghouse.scan.lookups",
    "clearinghouse.scan.logs",
    "clearinghouse.scan.advisories",
    "clearinghouse.scan.render_jars",
    "clearinghouse.scan.render_logs",
)
FORBIDDEN = {"fastapi", "starlette", "sqlalchemy", "psycopg", "alembic", "uvicorn", "httpx"}


def test_detectors_import_no_web_database_or_http_package() -> None:
    probe = (
        f"import importlib, json, sys\nfor m in {list(DETECTORS)!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(json.loads(done.stdout))
    assert loaded & FORBIDDEN == set()
