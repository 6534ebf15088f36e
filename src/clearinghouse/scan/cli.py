"""``clearinghouse scan jars|logs``: the scanners' command line (a typer sub-app).

Exit codes: 0 nothing found; 1 a vulnerable component (jars) or an exploitation attempt
(logs) was found; 2 bad arguments. Unreadable or corrupt files never change the exit code:
they are listed in the output with their error. With ``--upload``, a failed upload exits
with its own code (``scan/upload.py``) after the report is written.
"""

from __future__ import annotations

import enum
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from clearinghouse.errors import InvalidInput
from clearinghouse.formats.model import Tlp

if TYPE_CHECKING:
    from clearinghouse.scan.logs import LogScan
    from clearinghouse.scan.model import JarScan

app = typer.Typer(
    help="Agent scanners: vulnerable components in Java archives, Log4Shell attempts in logs.",
    no_args_is_help=True,
)
EXIT_FOUND = 1


class JarFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    CYCLONEDX = "cyclonedx"


class LogFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    STIX = "stix"


Paths = Annotated[
    list[Path],
    typer.Argument(help="files or directories to scan", exists=True, show_default=False),
]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="write the report here (default: stdout)")
]
Token = Annotated[
    str | None,
    typer.Option(
        envvar="CLEARINGHOUSE_TOKEN",
        help="API token for --upload (or CLEARINGHOUSE_TOKEN)",
        show_default=False,
    ),
]


def _needs_token(upload: str | None, token: str | None) -> str | None:
    """Check --upload's arguments before scanning: a URL and a token, or neither."""
    if upload is None:
        return None
    from clearinghouse.scan.upload import check_url

    check_url(upload)
    if not token:
        raise InvalidInput("--upload needs an API token: --token or CLEARINGHOUSE_TOKEN")
    return token


def _say(message: str) -> None:
    """A line on stderr (stdout may be carrying the report)."""
    Console(stderr=True, soft_wrap=True).print(message, highlight=False)


# --- shared edges ------------------------------------------------------------------------------


@contextmanager
def _progress(
    label: str,
) -> Iterator[tuple[Callable[[int], None] | None, Callable[[Path], None] | None]]:
    """A progress bar on stderr when it is a terminal; (on_discovered, on_file_done)."""
    err = Console(stderr=True)
    if not err.is_terminal:
        yield None, None
        return
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield (
            lambda total: bar.update(task, total=total),
            lambda _path: bar.advance(task),
        )


def _write_json(document: Any, output: Path | None) -> None:
    import orjson

    data = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)


@contextmanager
def _table_console(output: Path | None) -> Iterator[Console]:
    if output is None:
        terminal = Console().is_terminal
        yield Console(soft_wrap=False, width=None if terminal else 200)
        return
    with output.open("w", encoding="utf-8") as handle:
        yield Console(file=handle, width=200, soft_wrap=False)


# --- scan jars ---------------------------------------------------------------------------------


def _advise(scan: JarScan, advisories: Path | None, server: str | None) -> str | None:
    """Match the components against the chosen source; its description (None: no source)."""
    if advisories is not None and server is not None:
        raise InvalidInput("give --advisories or --server, not both")
    if advisories is not None:
        from clearinghouse.scan.advisories import load_advisory_dir, match_components

        if not advisories.is_dir():
            raise InvalidInput(f"--advisories {advisories}: not a directory")
        index = load_advisory_dir(advisories)
        for problem in index.unreadable[:20]:
            Console(stderr=True).print(f"warning: advisory not read: {problem}", highlight=False)
        match_components(scan.components, index)
        return f"{advisories} ({index.records} OSV records)"
    if server is not None:
        from clearinghouse.scan.osv_client import match_with_server

        if not server.startswith(("http://", "https://")):
            raise InvalidInput(f"--server {server!r}: an http(s) URL of an OSV API is expected")
        match_with_server(scan.components, server)
        return server
    return None


def _jar_table(scan: JarScan, source: str | None, console: Console) -> None:
    table = Table("location", "component", "version", "confidence", "mitigations", "advisories")
    for c in scan.components:
        version = c.version if c.version_exact else (c.version_range or "?")
        table.add_row(
            c.location,
            c.name + (f" (shaded: {c.shaded_prefix})" if c.shaded_prefix else ""),
            version or "?",
            c.confidence.value,
            ", ".join(m.value for m in c.mitigations),
            ", ".join(a.id for a in c.advisories),
            style="bold red" if c.vulnerable else None,
        )
    console.print(table)
    if scan.problems:
        problems = Table("archive", "problem", "reason", title="not scanned")
        for p in scan.problems:
            problems.add_row(p.location, p.kind.value, p.reason)
        console.print(problems)
    console.print(
        f"{scan.files} file(s), {scan.archives} archive(s), {len(scan.components)} component(s),"
        f" {len(scan.vulnerable)} vulnerable, {len(scan.problems)} problem(s); advisories: "
        + (source or "none given (--advisories DIR or --server URL)"),
        highlight=False,
    )


@app.command("jars")
def jars(
    paths: Paths,
    output_format: Annotated[
        JarFormat, typer.Option("--format", "-f", help="report format")
    ] = JarFormat.TABLE,
    output: Output = None,
    advisories: Annotated[
        Path | None,
        typer.Option(help="directory of OSV records (JSON/YAML) to match the components against"),
    ] = None,
    server: Annotated[
        str | None,
        typer.Option(help="OSV API base URL to ask instead (e.g. http://127.0.0.1:8000/osv)"),
    ] = None,
    max_depth: Annotated[int, typer.Option(help="nested archives opened at most", min=0)] = 8,
    upload: Annotated[
        str | None,
        typer.Option(
            help="also send the components, as CycloneDX 1.6, to this Clearinghouse's "
            "exposure upload (its base URL, e.g. https://ch.example); needs a write token"
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="the inventory's name for --upload (default: this host's name)"),
    ] = None,
    token: Token = None,
) -> None:
    """Find Maven components (log4j-core included, shaded or pom-less) in JAR, WAR, EAR,
    ZIP, AAR, NAR, SAR, RAR, JPI and HPI files, nested ones too, with the advisories that
    affect them. Exit 1 when a vulnerable component is found."""
    from clearinghouse.scan.archives import JarLimits
    from clearinghouse.scan.jars import scan_jars
    from clearinghouse.scan.render_jars import to_cyclonedx, to_json, to_sarif

    credential = _needs_token(upload, token)
    inventory_name = name or socket.gethostname()
    if upload is not None and not inventory_name.strip():
        raise InvalidInput("--name: the inventory needs a name")

    with _progress("archives") as (on_discovered, on_done):
        scan = scan_jars(
            paths,
            JarLimits(max_depth=max_depth),
            on_discovered=on_discovered,
            on_file_done=on_done,
        )
    source = _advise(scan, advisories, server)
    match output_format:
        case JarFormat.TABLE:
            with _table_console(output) as console:
                _jar_table(scan, source, console)
        case JarFormat.JSON:
            _write_json(to_json(scan, source), output)
        case JarFormat.SARIF:
            _write_json(to_sarif(scan), output)
        case JarFormat.CYCLONEDX:
            _write_json(to_cyclonedx(scan, now=datetime.now(UTC)), output)
    if upload is not None and credential is not None:
        _upload_inventory(scan, upload, inventory_name, credential)
    if scan.vulnerable:
        raise typer.Exit(EXIT_FOUND)


def _upload_inventory(scan: JarScan, server: str, name: str, token: str) -> None:
    from clearinghouse.scan.render_jars import to_cyclonedx
    from clearinghouse.scan.upload import upload_inventory

    done = upload_inventory(
        to_cyclonedx(scan, now=datetime.now(UTC)), server, name=name, token=token
    )
    _say(
        f"uploaded: {'created' if done.created else 'replaced'} inventory {done.name!r} "
        f"(upload {done.number}): {done.components} component(s), {done.added} added, "
        f"{done.removed} removed, {done.changed} changed; id {done.inventory_id}"
    )


# --- scan logs ---------------------------------------------------------------------------------


def _log_table(scan: LogScan, console: Console) -> None:
    table = Table("file:line", "offset", "protocol", "callback", "payload")
    for f in scan.findings:
        payload = f.payload
        callback = (payload.host or "?") + (f":{payload.port}" if payload.port else "")
        table.add_row(
            f"{f.file}:{f.line}",
            str(f.offset),
            payload.protocol or "?",
            callback,
            payload.decoded[:120],
        )
    console.print(table)
    if scan.problems:
        problems = Table("file", "reason", title="not scanned")
        for p in scan.problems:
            problems.add_row(p.file, p.reason)
        console.print(problems)
    console.print(
        f"{scan.files} file(s), {scan.lines} line(s), {len(scan.findings) + scan.dropped_findings}"
        f" attempt(s), {len(scan.problems)} problem(s)",
        highlight=False,
    )


@app.command("logs")
def logs(
    paths: Paths,
    output_format: Annotated[
        LogFormat, typer.Option("--format", "-f", help="report format")
    ] = LogFormat.TABLE,
    output: Output = None,
    tlp: Annotated[
        Tlp,
        typer.Option(
            case_sensitive=False,
            help="TLP 2.0 marking of the STIX objects (there is no unmarked output)",
        ),
    ] = Tlp.AMBER,
    upload: Annotated[
        str | None,
        typer.Option(
            help="also post the indicators and sightings (marked --tlp) to this TAXII 2.1 "
            "collection, e.g. https://ch.example/taxii2/root/collections/ID/; needs a "
            "taxii token"
        ),
    ] = None,
    token: Token = None,
) -> None:
    """Find Log4Shell-style JNDI lookup injection, however obfuscated or encoded, in log
    files (plain, gzip, bzip2, xz, zstd, zip; UTF-8, Latin-1, UTF-16 or UTF-32). Exit 1
    when an attempt is found."""
    from clearinghouse.scan.logs import scan_logs
    from clearinghouse.scan.render_logs import to_json, to_stix

    credential = _needs_token(upload, token)
    if upload is not None:
        from clearinghouse.scan.upload import collection_objects_url

        collection_objects_url(upload)

    with _progress("logs") as (on_discovered, on_done):
        scan = scan_logs(paths, on_discovered=on_discovered, on_file_done=on_done)
    match output_format:
        case LogFormat.TABLE:
            with _table_console(output) as console:
                _log_table(scan, console)
        case LogFormat.JSON:
            _write_json(to_json(scan), output)
        case LogFormat.STIX:
            _write_json(to_stix(scan, tlp=tlp, now=datetime.now(UTC)), output)
    if upload is not None and credential is not None:
        _upload_sightings(scan, upload, tlp, credential)
    if scan.findings or scan.dropped_findings:
        raise typer.Exit(EXIT_FOUND)


def _upload_sightings(scan: LogScan, collection: str, tlp: Tlp, token: str) -> None:
    from clearinghouse.scan.render_logs import to_stix
    from clearinghouse.scan.upload import UploadRefused, upload_objects

    objects = to_stix(scan, tlp=tlp, now=datetime.now(UTC))["objects"]
    if not objects:
        _say("uploaded: nothing (no attempt found)")
        return
    done = upload_objects(objects, collection, token=token)
    _say(
        f"uploaded: {done.success} of {done.total} STIX object(s) accepted "
        f"(TLP:{tlp.value}), {done.failure} refused, {done.pending} pending; "
        f"status {done.status_id}"
    )
    if done.failures:
        shown = "; ".join(done.failures[:5])
        more = f" (and {len(done.failures) - 5} more)" if len(done.failures) > 5 else ""
        raise UploadRefused(f"the collection refused {done.failure} object(s): {shown}{more}")
