"""Backup and restore, on SQLite and PostgreSQL: a snapshot taken while the platform
holds data (attachments in the database included) restores into an empty database with
the same rows and an audit chain that verifies against the backup's head; a non-empty
target, a tampered file and a backup of the other kind are refused; the CLI says so with
its exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from clearinghouse import backup, migrate
from clearinghouse.accounts.models import Organisation
from clearinghouse.audit.models import AuditEntry
from clearinghouse.cases import attachments as files
from clearinghouse.cases.models import Attachment
from clearinghouse.db import Database, make_engine
from clearinghouse.errors import Conflict, InvalidInput
from clearinghouse.timeutil import FixedClock
from tests.support.casework import anonymous_report
from tests.support.db import postgres_url
from tests.support.factory import seed
from tests.support.jobs import T0

POC = b"${jndi:ldap://127.0.0.1/a}\n" * 100


@pytest.fixture
def filled(database: Database) -> Database:
    seed(database, FixedClock(T0))
    with database.transaction() as s:
        anonymous_report(s, 1, T0, [files.check(files.Upload("poc.txt", POC))])
    return database


@pytest.fixture
def empty(database: Database, tmp_path: Path) -> Iterator[Database]:
    """A second, empty database of the same kind (migrated for SQLite; bare for
    PostgreSQL, which pg_restore fills with the schema too)."""
    if database.dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        target = Database(url)
        yield target
        target.dispose()
        return
    admin_url = postgres_url()
    assert admin_url is not None
    name = f"ch_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = Database(make_url(admin_url).set(database=name).render_as_string(False))
    yield target
    target.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _counts(database: Database) -> tuple[int, int, bytes]:
    with database.transaction(write=False) as s:
        orgs = s.scalar(select(func.count()).select_from(Organisation)) or 0
        entries = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
        data = s.scalars(select(Attachment.data)).one()
    return orgs, entries, data


def test_a_backup_restores_into_an_empty_database_and_verifies(
    filled: Database, empty: Database, tmp_path: Path
) -> None:
    manifest = backup.backup(filled, tmp_path / "b", T0)
    assert manifest.audit_entries > 0
    assert json.loads((tmp_path / "b" / backup.MANIFEST).read_text())["sha256"] == manifest.sha256
    restored = backup.restore(empty, tmp_path / "b")
    assert restored.audit_head == manifest.audit_head
    assert _counts(empty) == _counts(filled)
    assert _counts(empty)[2] == POC


def test_a_restore_into_a_database_that_holds_data_is_refused(
    filled: Database, tmp_path: Path
) -> None:
    backup.backup(filled, tmp_path / "b", T0)
    before = _counts(filled)
    with pytest.raises(Conflict, match="not empty"):
        backup.restore(filled, tmp_path / "b")
    assert _counts(filled) == before


def test_a_tampered_backup_is_refused(filled: Database, empty: Database, tmp_path: Path) -> None:
    manifest = backup.backup(filled, tmp_path / "b", T0)
    dump = tmp_path / "b" / manifest.file
    dump.write_bytes(dump.read_bytes() + b"\0")
    with pytest.raises(InvalidInput, match="does not match its digest"):
        backup.restore(empty, tmp_path / "b")


def test_a_backup_never_overwrites(filled: Database, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    with pytest.raises(Conflict, match="not empty"):
        backup.backup(filled, tmp_path / "b", T0)
    assert (tmp_path / "b" / "keep.txt").read_text() == "mine"


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CLEARINGHOUSE_DATABASE_URL=url, CLEARINGHOUSE_LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-c", "from clearinghouse.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_cli_backs_up_and_restores_with_its_exit_codes(
    filled: Database, empty: Database, tmp_path: Path
) -> None:
    folder = str(tmp_path / "b")
    made = _cli(filled.url, "backup", folder)
    assert made.returncode == 0, made.stderr
    assert "audit:" in made.stdout
    refused = _cli(filled.url, "restore", folder)
    assert refused.returncode == 4, refused.stderr  # conflict: the target holds data
    done = _cli(empty.url, "restore", folder)
    assert done.returncode == 0, done.stderr
    assert "audit chain verified" in done.stdout
    assert _cli(empty.url, "restore", str(tmp_path / "nothing")).returncode == 2
