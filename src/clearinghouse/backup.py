"""Backup and restore of a whole platform: one consistent snapshot of the database (which
holds everything, report and message attachments included), a manifest with its digest and
the audit chain's head, and a restore that refuses a non-empty target and proves itself by
verifying the audit chain against that head.

SQLite: an online snapshot through SQLite's backup API (consistent while writers work).
PostgreSQL: ``pg_dump`` in custom format, run on a snapshot exported by a repeatable-read
transaction in which the audit head is read, so the head and the dump describe the same
instant; restored with ``pg_restore``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from clearinghouse import __version__
from clearinghouse.audit import service as audit
from clearinghouse.db import Database
from clearinghouse.errors import ClearinghouseError, Conflict, InvalidInput
from clearinghouse.models import Base
from clearinghouse.timeutil import format_instant

FORMAT: Final = "clearinghouse-backup/1"
MANIFEST: Final = "manifest.json"
SQLITE_FILE: Final = "database.sqlite"
PG_FILE: Final = "database.pgdump"


class BackupError(ClearinghouseError):
    code = "backup-failed"
    status = 500
    title = "The backup or restore failed"
    exit_code = 1


@dataclass(frozen=True, slots=True)
class Manifest:
    format: str
    created_at: str
    platform_version: str
    dialect: str
    file: str
    sha256: str
    size: int
    audit_entries: int
    audit_head: str

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            data = json.loads((folder / MANIFEST).read_text())
            manifest = cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise InvalidInput(f"{folder} holds no readable {MANIFEST}: {exc}") from exc
        if manifest.format != FORMAT:
            raise InvalidInput(f"{folder} is a {manifest.format!r} backup, not {FORMAT!r}")
        return manifest


@dataclass(frozen=True, slots=True)
class Restored:
    manifest: Manifest
    audit_entries: int
    audit_head: str


def backup(database: Database, folder: Path, now: datetime) -> Manifest:
    """Write a snapshot of ``database`` into the new (or empty) folder ``folder``."""
    if folder.exists() and any(folder.iterdir()):
        raise Conflict(f"{folder} is not empty: back up into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    if database.dialect == "sqlite":
        name, head = SQLITE_FILE, _sqlite_snapshot(database, folder / SQLITE_FILE)
    elif database.dialect == "postgresql":
        name, head = PG_FILE, _postgres_snapshot(database, folder / PG_FILE)
    else:  # pragma: no cover (the platform runs on these two)
        raise InvalidInput(f"cannot back up a {database.dialect} database")
    path = folder / name
    manifest = Manifest(
        format=FORMAT,
        created_at=format_instant(now),
        platform_version=__version__,
        dialect=database.dialect,
        file=name,
        sha256=_sha256(path),
        size=path.stat().st_size,
        audit_entries=head.entries,
        audit_head=head.head,
    )
    (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest


def restore(database: Database, folder: Path) -> Restored:
    """Restore the backup in ``folder`` into ``database``, which must hold no data, then
    verify the restored audit chain against the head the backup recorded."""
    manifest = Manifest.read(folder)
    path = folder / manifest.file
    if not path.is_file() or _sha256(path) != manifest.sha256:
        raise InvalidInput(f"{path} is missing or does not match its digest in {MANIFEST}")
    if manifest.dialect != database.dialect:
        raise InvalidInput(
            f"a {manifest.dialect} backup cannot be restored into a {database.dialect} database"
        )
    _refuse_non_empty(database)
    if database.dialect == "sqlite":
        _sqlite_restore(path, database)
    else:
        _postgres_restore(path, database)
    with database.transaction(write=False) as session:
        result = audit.verify(session)
    if not result.ok or result.head != manifest.audit_head:
        raise BackupError(
            "the restored audit chain does not verify against the backup's head "
            f"({result.problem or f'head {result.head} != {manifest.audit_head}'})"
        )
    return Restored(manifest, result.entries, result.head)


# ---- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(database: Database) -> str:
    path = make_url(database.url).database
    if not path or path == ":memory:":
        raise InvalidInput("an in-memory SQLite database cannot be backed up or restored")
    return path


def _sqlite_snapshot(database: Database, target: Path) -> audit.VerifyResult:
    source = sqlite3.connect(_sqlite_path(database))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # consistent even while other connections write
    finally:
        copy.close()
        source.close()
    snapshot = Database(f"sqlite:///{target}")
    try:
        with snapshot.transaction(write=False) as session:
            return audit.verify(session)
    finally:
        snapshot.dispose()


def _sqlite_restore(path: Path, database: Database) -> None:
    database.dispose()  # no pooled connection may hold the old file's pages
    source = sqlite3.connect(path)
    target = sqlite3.connect(_sqlite_path(database))
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


# ---- PostgreSQL -----------------------------------------------------------------------------


def _libpq(database: Database) -> tuple[str, dict[str, str]]:
    """The URL for libpq's tools, and the environment carrying its password (never argv)."""
    url = make_url(database.url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)")
    return found


def _postgres_snapshot(database: Database, target: Path) -> audit.VerifyResult:
    url, env = _libpq(database)
    with database.engine.connect() as conn:
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        head = audit.verify(Session(bind=conn))
        done = subprocess.run(  # noqa: S603 (a fixed tool, arguments we build)
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                url,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        conn.rollback()
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")
    return head


def _postgres_restore(path: Path, database: Database) -> None:
    url, env = _libpq(database)
    database.dispose()
    done = subprocess.run(  # noqa: S603 (a fixed tool, arguments we build)
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--clean",
            "--if-exists",
            "--exit-on-error",
            f"--dbname={url}",
            str(path),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}")


# ---- shared ---------------------------------------------------------------------------------


def _refuse_non_empty(database: Database) -> None:
    """A restore replaces nothing: the target may have the schema, but no row at all."""
    present = set(inspect(database.engine).get_table_names())
    with database.transaction(write=False) as session:
        for table in Base.metadata.sorted_tables:
            if table.name in present and session.execute(select(table).limit(1)).first():
                raise Conflict(
                    f"the target database is not empty (table {table.name} has rows): "
                    "restore into a new, empty database"
                )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
