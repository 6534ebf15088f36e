"""Shared fixtures. Every database test runs on SQLite and on PostgreSQL: the PostgreSQL
run is reported as skipped when CLEARINGHOUSE_TEST_POSTGRES_URL is unset, and fails
instead when CLEARINGHOUSE_REQUIRE_POSTGRES=1 (as in .ci/run)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearinghouse.db import Database
from tests.support.db import (
    POSTGRES_ENV,
    PostgresSession,
    make_sqlite_template,
    postgres_required,
    postgres_url,
    sqlite_copy,
)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _platform_loggers_restored() -> Iterator[None]:
    """Each test leaves the platform's loggers as it found them: building an app
    configures ``clearinghouse`` (its own handler, no propagation) and import-linter's run
    disables every logger there is, which hid later tests' records from ``caplog``."""
    loggers = [logging.getLogger("clearinghouse")] + [
        found
        for name, found in logging.root.manager.loggerDict.items()
        if name.startswith("clearinghouse.") and isinstance(found, logging.Logger)
    ]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate, lg.disabled) for lg in loggers]
    yield
    for lg, handlers, level, propagate, disabled in saved:
        lg.handlers[:], lg.propagate, lg.disabled = handlers, propagate, disabled
        lg.setLevel(level)  # (and forget what the loggers had cached)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data in ../shared/data; tests needing it skip (reported) without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def _postgres(worker_id: str) -> Iterator[PostgresSession | None]:
    url = postgres_url()
    if url is None:
        yield None
        return
    session = PostgresSession(url, worker_id)
    yield session
    session.drop()


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """The pytest-xdist worker ("gw0"...), or "main" without xdist: names the per-worker
    PostgreSQL database."""
    workerinput = getattr(request.config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "main"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _sqlite_template: Path,
    _postgres: PostgresSession | None,
) -> Iterator[str]:
    """A migrated, empty database URL; parametrised over both backends."""
    if request.param == "sqlite":
        yield sqlite_copy(_sqlite_template, tmp_path)
        return
    if _postgres is None:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required but {POSTGRES_ENV} is not set")
        pytest.skip(
            f"PostgreSQL run: set {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    _postgres.truncate()
    yield _postgres.url


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    yield db
    db.dispose()
