"""The one command line: ``clearinghouse --help``.

Exit codes (README, "Exit codes"): 0 success; 1 a check failed (e.g. the audit chain is
broken); 2 invalid input; 3 not found; 4 conflict; 5 not allowed; 6 rate limited;
7 misconfigured; 70 unexpected internal error.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from clearinghouse.cli_exit import EXIT_CHECK_FAILED, run
from clearinghouse.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from clearinghouse.runtime import Runtime
    from clearinghouse.settings import Settings

MAX_TOKEN_DAYS = 3650  # as POST /api/v1/tokens' expires_in_days

app = typer.Typer(
    name="clearinghouse",
    help="Clearinghouse: coordinated vulnerability disclosure, regulatory clocks and sharing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
admin_app = typer.Typer(help="Organisations and administrators.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
demo_app = typer.Typer(help="Demonstration data.", no_args_is_help=True)
jobs_app = typer.Typer(help="The job queue (outbox).", no_args_is_help=True)
clocks_app = typer.Typer(
    help="Regulatory clocks: regimes and what-if evaluation.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(demo_app, name="demo")
app.add_typer(jobs_app, name="jobs")
app.add_typer(clocks_app, name="clocks")
csaf_key_app = typer.Typer(
    help="The OpenPGP key that signs the CSAF documents (csaf_trusted_provider).",
    no_args_is_help=True,
)
app.add_typer(csaf_key_app, name="csaf-key")


def _mount_domain_apps() -> None:
    from clearinghouse.advisories.cli import app as advisory_app
    from clearinghouse.cases.cli import app as case_app
    from clearinghouse.exposure.cli import app as inventory_app
    from clearinghouse.match_cli import match
    from clearinghouse.scan.cli import app as scan_app
    from clearinghouse.sharing.cli import app as sharing_app

    app.add_typer(case_app, name="case")
    app.add_typer(advisory_app, name="advisory")
    app.add_typer(scan_app, name="scan")
    app.add_typer(inventory_app, name="inventory")
    app.add_typer(sharing_app, name="sharing")
    app.command("match")(match)


_mount_domain_apps()

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    from clearinghouse.settings import Settings

    return Settings()


def _runtime() -> Runtime:
    from clearinghouse.accounts import service as accounts
    from clearinghouse.app import build_runtime

    settings = _settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db_path = settings.database_url.removeprefix("sqlite:///")
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    accounts.configure_password_hashing(settings.argon2_time_cost, settings.argon2_memory_kib)
    return build_runtime(settings)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Apply the migrations (creates the SQLite file when needed)."""
    from clearinghouse import migrate

    rt = _runtime()
    migrate.upgrade(rt.database.engine, revision)
    out.print(
        f"database at {revision}: {rt.database.engine.url.render_as_string(hide_password=True)}"
    )


@csaf_key_app.command("generate")
def csaf_key_generate(
    path: Annotated[Path, typer.Argument(help="where to write the secret key (must not exist)")],
    user_id: Annotated[
        str | None, typer.Option(help="the key's user id; default: the platform's name and From:")
    ] = None,
) -> None:
    """Write a new signing key (Ed25519, no expiry, no passphrase; mode 0600) and print its
    fingerprint; then set CLEARINGHOUSE_CSAF_SIGNING_KEY_FILE to it."""
    import os

    from clearinghouse.errors import Conflict
    from clearinghouse.pgp import generate_signing_key, load_signing_key

    settings = _settings()
    armored = generate_signing_key(
        user_id or f"{settings.platform_name} CSAF <{settings.mail_from}>"
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise Conflict(f"{path} exists; a signing key is never overwritten") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(armored)
    out.print(load_signing_key(armored).fingerprint)


@csaf_key_app.command("show")
def csaf_key_show() -> None:
    """Print the fingerprint and the public key of CLEARINGHOUSE_CSAF_SIGNING_KEY_FILE."""
    from clearinghouse.advisories.feeds import read_signing_key

    key = read_signing_key(_settings())
    if key is None:
        err.print("no CSAF signing key: CLEARINGHOUSE_CSAF_SIGNING_KEY_FILE is unset")
        raise typer.Exit(EXIT_CHECK_FAILED)
    out.print(key.fingerprint)
    out.print(key.public_armored, end="")


@admin_app.command("create")
def admin_create(
    email: Annotated[str, typer.Option(help="the administrator's e-mail")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, help="at least 12 characters")
    ],
    name: Annotated[str, typer.Option(help="display name")] = "Administrator",
    org_slug: Annotated[str, typer.Option("--org", help="operator organisation slug")] = "operator",
    org_name: Annotated[
        str, typer.Option(help="operator organisation name")
    ] = "Clearinghouse operator",
) -> None:
    """Create the operator organisation (if missing) and an administrator in it."""
    from sqlalchemy import select

    from clearinghouse.accounts import service as accounts
    from clearinghouse.accounts.models import Organisation
    from clearinghouse.principal import SYSTEM
    from clearinghouse.vocab import OrgKind, Role

    rt = _runtime()
    now = rt.clock.now()
    with rt.database.transaction() as s:
        org = s.scalars(select(Organisation).where(Organisation.slug == org_slug)).first()
        if org is None:
            org = accounts.create_organisation(
                s, actor=SYSTEM, now=now, slug=org_slug, name=org_name, kind=OrgKind.OPERATOR
            )
        elif org.kind is not OrgKind.OPERATOR:
            raise InvalidInput(f"organisation {org_slug!r} is not the operator")
        accounts.create_user(
            s,
            actor=SYSTEM,
            now=now,
            email=email,
            name=name,
            password=password,
            organisation=org,
            role=Role.ADMIN,
        )
    out.print(f"administrator {email} created in {org_slug}")


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="the token's user")],
    name: Annotated[str, typer.Option(help="a label for the token")] = "cli",
    scope: Annotated[
        list[str] | None, typer.Option(help="read, write, admin, taxii (repeatable; default read)")
    ] = None,
    days: Annotated[
        int, typer.Option(help=f"days until it expires, at most {MAX_TOKEN_DAYS} (0: never)")
    ] = 90,
    org_slug: Annotated[
        str | None, typer.Option("--org", help="organisation, when several")
    ] = None,
) -> None:
    """Create an API token for a user and print it (shown once)."""
    from sqlalchemy import select

    from clearinghouse.accounts import service as accounts
    from clearinghouse.accounts.models import Organisation, User
    from clearinghouse.principal import SYSTEM, Scope

    try:
        scopes = {Scope(s) for s in scope or ["read"]}
    except ValueError as exc:
        raise InvalidInput(f"unknown scope: {exc}") from exc
    if not 0 <= days <= MAX_TOKEN_DAYS:  # as the API's expires_in_days (a bigger one overflowed)
        raise InvalidInput(f"--days must be between 0 (never expires) and {MAX_TOKEN_DAYS}")
    rt = _runtime()
    now = rt.clock.now()
    with rt.database.transaction() as s:
        user = s.scalars(select(User).where(User.email == email.lower())).first()
        if user is None:
            raise NotFound(f"no user {email}")
        org_id = None
        if org_slug:
            org_id = s.scalars(select(Organisation.id).where(Organisation.slug == org_slug)).first()
        membership = accounts.membership_of(s, user.id, org_id)
        new = accounts.create_token(
            s,
            actor=SYSTEM,
            user=user,
            org_id=membership.organisation_id,
            name=name,
            scopes=scopes,
            now=now,
            expires_at=now + timedelta(days=days) if days else None,
        )
    out.print(new.secret, highlight=False, soft_wrap=True)


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[
        str | None,
        typer.Option(
            help="a head hash printed earlier (kept or published): fail (exit 1) unless the "
            "chain still holds it, which catches the deletion of the newest entries"
        ),
    ] = None,
) -> None:
    """Check the whole chain; name the first entry that was altered, deleted or reordered."""
    from clearinghouse.audit import service as audit

    if expect_head is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", expect_head.strip()):
        raise InvalidInput("--expect-head takes a head hash: 64 hexadecimal digits")
    rt = _runtime()
    with rt.database.transaction(write=False) as s:
        result = audit.verify(s, expect_head=expect_head)
    if result.ok:
        out.print(f"ok: {result.entries} entries; head {result.head}")
        if result.expected_head_seq is not None:
            later = result.entries - result.expected_head_seq
            out.print(f"the head you kept is entry {result.expected_head_seq}; {later} since")
        return
    err.print(f"BROKEN at entry {result.first_bad_seq}: {result.problem}")
    err.print(f"({result.entries} entries verified before it; last good head {result.head})")
    raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("backup")
def backup_command(
    folder: Annotated[Path, typer.Argument(help="a new folder to write the backup into")],
) -> None:
    """Back up the whole platform (a consistent online snapshot; attachments included)."""
    from clearinghouse import backup

    rt = _runtime()
    manifest = backup.backup(rt.database, folder, rt.clock.now())
    out.print(
        f"backed up {manifest.dialect} to {folder / manifest.file} ({manifest.size} bytes, "
        f"sha256 {manifest.sha256}); audit: {manifest.audit_entries} entries, "
        f"head {manifest.audit_head}"
    )


@app.command("restore")
def restore_command(
    folder: Annotated[Path, typer.Argument(help="a folder written by `clearinghouse backup`")],
) -> None:
    """Restore a backup into an empty database, then verify its audit chain against the
    backup's head (exit 4 if the database holds any data, 1 if the chain does not verify)."""
    from clearinghouse import backup

    rt = _runtime()
    restored = backup.restore(rt.database, folder)
    out.print(
        f"restored {folder}: audit chain verified, {restored.audit_entries} entries, "
        f"head {restored.audit_head}"
    )


@demo_app.command("load")
def demo_load(
    password: Annotated[
        str,
        typer.Option(help="password for every demo account", envvar="CLEARINGHOUSE_DEMO_PASSWORD"),
    ] = "clearinghouse-demo",  # noqa: S107 (the documented password of local demo accounts)
) -> None:
    """Load the Log4Shell replay (idempotent: an existing demo is left as it is)."""
    from clearinghouse import demo

    rt = _runtime()
    result = demo.load(rt, password=password)
    out.print(result.summary())


def _what_if_document(path: Path) -> object:
    """Read a what-if event document (docs/clocks.md), refusing what cannot be one."""
    import orjson

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    if len(raw) > 20 * 1024 * 1024:
        raise InvalidInput(f"{path} is larger than 20 MiB")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}") from exc


def _instant_option(at: str | None) -> datetime | None:
    from clearinghouse.timeutil import parse_rfc3339

    try:
        return parse_rfc3339(at) if at else None
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def _print_json(value: object) -> None:
    import orjson

    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


AtOption = Annotated[
    str | None,
    typer.Option(help="RFC 3339 instant with Z or an offset (default: the latest recorded_at)"),
]


@clocks_app.command("evaluate")
def clocks_evaluate(
    events: Annotated[Path, typer.Option(help="event document (docs/clocks.md)", exists=False)],
    at: AtOption = None,
    board: Annotated[
        bool, typer.Option("--board", help="one clock board per subject instead of a flat list")
    ] = False,
) -> None:
    """Print the obligations derived from an event file as JSON (the server's engine);
    with --board, one clock board per subject."""
    from clearinghouse.clocks.whatif import evaluate_document

    result = evaluate_document(_what_if_document(events), _instant_option(at), board=board)
    _print_json(result)


@clocks_app.command("board")
def clocks_board(
    events: Annotated[Path, typer.Option(help="event document (docs/clocks.md)", exists=False)],
    at: AtOption = None,
    subject: Annotated[
        str | None, typer.Option(help="the subject to show (needed when there are several)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the board as JSON (as the API)")] = False,
) -> None:
    """Show one subject's clock board: every party's obligations, sorted by due instant."""
    from clearinghouse.clocks.whatif import board_document

    board = board_document(_what_if_document(events), _instant_option(at), subject=subject)
    if as_json:
        _print_json(board)
        return
    _print_board(board)


def _print_board(board: dict[str, Any]) -> None:
    """The board as plain lines (readable at any terminal width): one block per
    obligation in due order, then the events."""
    from rich.markup import escape

    title = board["subject"] + (f": {board['title']}" if board.get("title") else "")
    out.print(f"[bold]{escape(title)}[/bold]\nat {board['at']}\n")
    for o in board["obligations"]:
        status = o["status"].replace("_", " ").upper()
        out.print(
            f"{o['due'] or 'no due yet':<22}[bold]{status}[/bold]  {o['organisation']}  "
            f"{o['regime']} / {o['stage']}"
        )
        lines = [f"to: {'; '.join(o['recipients'])}", f"why: {o['basis']['reason']}"]
        if o["displaced_by"]:
            lines.append(f"displaced by: {o['displaced_by']}")
        if o["flags"]:
            lines.append("flags: " + ", ".join(f["id"] for f in o["flags"]))
        if o["draft"] and o["draft"]["missing"]:
            lines.append("draft missing: " + ", ".join(o["draft"]["missing"]))
        for line in lines:
            out.print("    " + escape(line))
    out.print("\n[bold]Events[/bold]")
    for e in board["events"]:
        counted = "" if e["counts"] else "  (does not count"
        if e["superseded_by"]:
            counted += f": superseded by {e['superseded_by']}"
        counted += ")" if counted else ""
        who = e["organisation"] or "every party"
        out.print(escape(f"{e['occurred_at']:<30}{e['type']}  {who}  [{e['id']}]{counted}"))


@clocks_app.command("regimes")
def clocks_regimes(
    extra: Annotated[
        list[Path] | None, typer.Option("--dir", help="extra directory of regime files")
    ] = None,
) -> None:
    """List the regimes (shipped and from extra directories) with their flags."""
    from rich.table import Table

    from clearinghouse.clocks.loader import load_regimes

    regimes = load_regimes(extra or [])
    table = Table("id", "title", "status", "enabled", "stages", "flags")
    for r in regimes.values():
        table.add_row(
            r.id,
            r.title,
            r.status.value,
            "yes" if r.enabled_by_default else "no",
            ", ".join(s.id for s in r.stages),
            ", ".join(f.id for f in r.flags),
        )
    out.print(table)


@app.command("worker")
def worker(
    once: Annotated[bool, typer.Option(help="run the due jobs, then exit")] = False,
    name: Annotated[str | None, typer.Option(help="worker id (default: host-pid)")] = None,
) -> None:
    """Run the job worker (e-mail, webhooks, alerts, scheduled publication...)."""
    import os
    import signal
    import socket
    import threading

    from clearinghouse.app import build_registry
    from clearinghouse.jobs.worker import Worker

    rt = _runtime()
    w = Worker(
        rt.database,
        build_registry(rt.settings),
        rt.clock,
        rt.settings,
        name or f"{socket.gethostname()}-{os.getpid()}",
    )
    if once:
        w.run_schedules()
        out.print(f"ran {w.run_until_idle()} job(s)")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    out.print(f"worker {w.worker_id} running (Ctrl-C to stop)")
    w.run_forever(stop)


@jobs_app.command("list")
def jobs_list(
    status: Annotated[str | None, typer.Option(help="pending, running, done or dead")] = None,
    limit: Annotated[int, typer.Option(help="how many (newest first)")] = 50,
) -> None:
    """List jobs, newest first (dead-lettered ones with their last error)."""
    from rich.table import Table

    from clearinghouse.jobs.models import JobStatus
    from clearinghouse.jobs.queue import list_jobs

    try:
        wanted = JobStatus(status) if status else None
    except ValueError as exc:
        raise InvalidInput(f"unknown status {status!r}") from exc
    rt = _runtime()
    table = Table("id", "kind", "status", "attempts", "run after", "last error")
    with rt.database.transaction(write=False) as s:
        for j in list_jobs(s, wanted, limit=limit):
            table.add_row(
                str(j.id),
                j.kind,
                j.status.value,
                str(j.attempts),
                f"{j.run_after:%Y-%m-%d %H:%M:%S}",
                (j.last_error or "")[:80],
            )
    out.print(table)


@jobs_app.command("requeue")
def jobs_requeue(job_id: Annotated[str, typer.Argument(help="a dead job's id")]) -> None:
    """Run a dead-lettered job again (audited)."""
    import uuid

    from clearinghouse.jobs.queue import requeue_dead
    from clearinghouse.principal import SYSTEM

    try:
        ident = uuid.UUID(job_id)
    except ValueError as exc:
        raise InvalidInput(f"not a job id: {job_id!r}") from exc
    rt = _runtime()
    with rt.database.transaction() as s:
        requeue_dead(s, ident, SYSTEM, rt.clock.now())
    out.print(f"job {job_id} re-queued")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Serve the web application and API (and, by default, the job worker in-process)."""
    import uvicorn

    from clearinghouse.api.server import config
    from clearinghouse.app import create_app, default_background

    settings = _settings()
    application = create_app(settings, background=default_background(settings))
    out.print(f"Clearinghouse on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    uvicorn.Server(config(application, host, port)).run()


def main() -> None:
    """Entry point: run the app, turning typed errors into messages and exit codes."""
    run(app)
