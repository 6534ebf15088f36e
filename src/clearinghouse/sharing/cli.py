"""``clearinghouse sharing``: the operator's everyday sharing tasks, on the platform's own
database (``CLEARINGHOUSE_DATABASE_URL``), acting as the platform (audited as ``system``).

Collections and their sync sources: list the collections, configure, show, run and remove
a collection's sync source (``docs/sharing.md``, "Sync"); import MISP event files. A
remote's token or password is read from an environment variable named with
``--secret-env``, never from the command line (where ``ps`` and shell histories would
keep it). Exit codes as everywhere: 1 a MISP import had refusals, 2 bad input, 3 no such
collection or source.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Final

import orjson
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.cli_exit import EXIT_CHECK_FAILED
from clearinghouse.crypto import SecretBox
from clearinghouse.db import Database
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.formats import jsontext, misp_import
from clearinghouse.principal import SYSTEM
from clearinghouse.settings import Settings
from clearinghouse.sharing import store, sync
from clearinghouse.sharing.models import Collection, SyncSource
from clearinghouse.timeutil import SystemClock

app = typer.Typer(help="Collections and sync sources (the operator's tasks).", no_args_is_help=True)
# Piped output keeps whole lines (identifiers and URLs are not cut at 80 columns).
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 240)
Alias = Annotated[str, typer.Argument(help="the collection's alias or id")]
MAX_EVENT_FILE_BYTES: Final = 50 * 1024 * 1024


@contextmanager
def _database() -> Iterator[tuple[Settings, Database]]:
    settings = Settings()
    database = Database(settings.database_url)
    try:
        yield settings, database
    finally:
        database.dispose()


def _collection(session: Session, key: str) -> Collection:
    found = store.find_collection(session, key) if len(key) <= 100 else None
    if found is None:
        raise NotFound(f"no collection {key[:100]!r}")
    return found


@app.command("collections")
def collections() -> None:
    """List the collections: alias, id, who reads them, and their sync source."""
    with _database() as (_settings, database):
        table = Table("alias", "id", "title", "readers", "default TLP", "sync from")
        with database.transaction(write=False) as s:
            sources = {src.collection_id: src for src in s.scalars(select(SyncSource))}
            for c in s.scalars(store.select_collections()):
                readers = (
                    ", ".join(
                        word
                        for word, on in (("public", c.public), ("community", c.community))
                        if on
                    )
                    or f"{len(c.reader_org_ids)} organisations, {len(c.group_ids)} groups"
                )
                source = sources.get(c.id)
                table.add_row(
                    c.alias,
                    str(c.id),
                    c.title,
                    readers,
                    c.default_tlp.value if c.default_tlp else "-",
                    source.url if source else "-",
                )
        out.print(table)


@app.command("sync-set")
def sync_set(
    collection: Alias,
    url: Annotated[str, typer.Option(help="the remote TAXII 2.1 collection's URL")],
    username: Annotated[
        str | None, typer.Option(help="HTTP Basic user (else the secret is a Bearer token)")
    ] = None,
    secret_env: Annotated[
        str | None,
        typer.Option(help="name of the environment variable holding the token or password"),
    ] = None,
    interval: Annotated[int, typer.Option(help="minutes between runs")] = 60,
    disabled: Annotated[bool, typer.Option(help="configure it, but do not run it")] = False,
    apply_default_marking: Annotated[
        bool, typer.Option(help="give unmarked remote objects the collection's default marking")
    ] = False,
) -> None:
    """Configure (or replace) a collection's sync source."""
    secret = None
    if secret_env is not None:
        secret = os.environ.get(secret_env)
        if not secret:
            raise InvalidInput(f"the environment variable {secret_env} is unset or empty")
    with _database() as (settings, database):
        with database.transaction() as s:
            source = sync.configure(
                s,
                _collection(s, collection),
                sync.SyncSpec(
                    url=url,
                    username=username,
                    secret=secret,
                    interval_minutes=interval,
                    enabled=not disabled,
                    apply_default_marking=apply_default_marking,
                ),
                box=SecretBox(settings.secret_key.get_secret_value()),
                actor=SYSTEM,
                now=SystemClock().now(),
            )
            described = sync.describe(source)
        out.print_json(orjson.dumps(described).decode())


@app.command("sync-show")
def sync_show(collection: Alias) -> None:
    """A collection's sync source and its state (cursor, last run, refusals), as JSON."""
    with _database() as (_settings, database):
        with database.transaction(write=False) as s:
            source = sync.source_of(s, _collection(s, collection))
            if source is None:
                raise NotFound(f"collection {collection!r} has no sync source")
            described = sync.describe(source)
        out.print_json(orjson.dumps(described).decode())


@app.command("sync-run")
def sync_run(collection: Alias) -> None:
    """Queue a run of a collection's sync now (the worker runs it); prints the job id."""
    with _database() as (_settings, database):
        with database.transaction() as s:
            source = sync.source_of(s, _collection(s, collection))
            if source is None:
                raise NotFound(f"collection {collection!r} has no sync source")
            job_id = sync.request_run(s, source, now=SystemClock().now())
        out.print(str(job_id))


@app.command("sync-remove")
def sync_remove(collection: Alias) -> None:
    """Remove a collection's sync source (the objects it brought stay)."""
    with _database() as (_settings, database):
        with database.transaction() as s:
            sync.remove(s, _collection(s, collection), actor=SYSTEM, now=SystemClock().now())
        out.print(f"sync source of {collection} removed")


def _event_file(path: Path) -> Any:
    """One MISP event file's JSON, within its size bound."""
    data = path.read_bytes()
    if len(data) > MAX_EVENT_FILE_BYTES:
        raise InvalidInput(f"{path}: over {MAX_EVENT_FILE_BYTES} bytes")
    try:
        return jsontext.loads(data)
    except jsontext.JSONTextError as exc:
        raise InvalidInput(f"{path}: not JSON ({exc})") from exc


@app.command("misp-import")
def misp_import_files(
    collection: Alias,
    files: Annotated[list[Path], typer.Argument(help="MISP event files (JSON), one event each")],
    apply_default_marking: Annotated[
        bool, typer.Option(help="give objects without any TLP the collection's default marking")
    ] = False,
) -> None:
    """Import MISP events as STIX objects, keeping each event's and attribute's TLP (never
    lowered; no TLP at all: refused). Prints what was added, refused and skipped; exit 1
    when anything was refused."""
    converted = misp_import.convert_events(map(_event_file, files), store.MAX_OBJECTS_PER_REQUEST)
    objects = [obj for c in converted for obj in c.objects]
    with _database() as (_settings, database), database.transaction() as s:
        outcome = store.add_objects(
            s,
            _collection(s, collection),
            SYSTEM,
            objects,
            now=SystemClock().now(),
            apply_default=apply_default_marking,
        )
    skipped = [item for c in converted for item in c.skipped]
    out.print(
        f"{len(outcome.added_rows)} new versions, {len(outcome.successes)} accepted, "
        f"{len(outcome.failures)} refused, {len(skipped)} attributes skipped"
    )
    for failure in outcome.failures:
        out.print(f"refused {failure.get('id')}: {failure['message']}")
    for item in skipped:
        out.print(f"skipped attribute {item['uuid']} ({item['type']}): {item['reason']}")
    if outcome.failures:
        raise typer.Exit(EXIT_CHECK_FAILED)
