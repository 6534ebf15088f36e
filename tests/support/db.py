"""Test databases: one migrated SQLite template copied per test; one PostgreSQL database
per test session (per xdist worker), migrated once and truncated between tests."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clearinghouse import migrate
from clearinghouse.db import Database, make_engine
from clearinghouse.models import Base

POSTGRES_ENV = "CLEARINGHOUSE_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "CLEARINGHOUSE_REQUIRE_POSTGRES"


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def postgres_required() -> bool:
    return os.environ.get(REQUIRE_POSTGRES_ENV, "") not in ("", "0", "false")


def make_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / f"t-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


class PostgresSession:
    """A throw-away database for this pytest process, created from the admin URL."""

    def __init__(self, admin_url: str, worker: str) -> None:
        self.admin_url = admin_url
        url = make_url(admin_url)
        self.name = f"ch_test_{worker}_{os.getpid()}"
        self.url = url.set(database=self.name).render_as_string(hide_password=False)
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        engine = make_engine(self.url)
        migrate.upgrade(engine)
        engine.dispose()
        self.tables = [t.name for t in Base.metadata.sorted_tables]

    def truncate(self) -> None:
        engine = create_engine(self.url)
        with engine.begin() as conn:
            names = ", ".join(f'"{t}"' for t in self.tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()

    def drop(self) -> None:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def open_database(url: str) -> Database:
    return Database(url)
