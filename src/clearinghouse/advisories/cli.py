"""``clearinghouse advisory ...``: export an advisory in one format, import records.

Both act as the platform itself (the operator's tool on the server). Exit codes: 0 done;
1 an import left some documents out (each is listed with its reason) or a rendition
failed; 2 invalid input (an unreadable archive, a bad option); 3 no such advisory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from clearinghouse.advisories import imports, publish, service
from clearinghouse.advisories.export import export
from clearinghouse.advisories.models import RenditionFormat
from clearinghouse.db import Database
from clearinghouse.errors import ClearinghouseError
from clearinghouse.formats.csaf import OnFindings
from clearinghouse.formats.model import Tlp
from clearinghouse.principal import SYSTEM
from clearinghouse.settings import Settings
from clearinghouse.timeutil import SystemClock

app = typer.Typer(
    help="Advisories: export in a format, import from other sources.", no_args_is_help=True
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

EXIT_INCOMPLETE = 1


def _fail(exc: ClearinghouseError) -> typer.Exit:
    err.print(f"error: {exc.detail}")
    return typer.Exit(exc.exit_code)


@app.command("export")
def export_command(
    advisory_id: Annotated[
        str, typer.Argument(metavar="ID", help="e.g. CHSA-2026-0001 or GHSA-jfh8-c2jp-5v3q")
    ],
    format: Annotated[
        RenditionFormat,
        typer.Option("--format", "-f", help="csaf, csaf_vex, osv, cve5 or cyclonedx_vex"),
    ],
    key: Annotated[str | None, typer.Option(help="one OSV record id or CVE id")] = None,
    revision: Annotated[
        int | None, typer.Option(min=1, help="default: the published revision")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here, not to stdout")
    ] = None,
) -> None:
    """Print the advisory in one format (JSON): what was published, or a draft's preview."""
    settings = Settings()
    database = Database(settings.database_url)
    try:
        with database.transaction(write=False) as session:
            advisory = service.get(session, advisory_id)
            document = export(
                session,
                advisory,
                format,
                publish.render_context(settings.base_url, settings.platform_name),
                revision=revision,
                key=key,
            )
    except ClearinghouseError as exc:
        raise _fail(exc) from exc
    finally:
        database.dispose()
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    if output is None:
        typer.echo(data.decode(), nl=False)
    else:
        output.write_bytes(data)
        err.print(f"wrote {output}")


@app.command("import")
def import_command(
    path: Annotated[
        Path, typer.Argument(exists=True, help="a JSON/YAML file, a directory or a zip")
    ],
    tlp: Annotated[
        Tlp | None,
        typer.Option(help="marking for records that carry none (OSV); never assumed CLEAR"),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="e.g. osv:PyPA; default: from the record ids")
    ] = None,
    csaf_findings: Annotated[
        OnFindings,
        typer.Option(
            help="CSAF documents failing a mandatory test: refuse them, or record the "
            "findings and import them anyway (listed as warnings)"
        ),
    ] = OnFindings.REFUSE,
) -> None:
    """Import OSV records or CSAF documents; a document already stored is left alone."""
    settings = Settings()
    database = Database(settings.database_url)
    options = imports.ImportOptions(
        actor=SYSTEM,
        now=SystemClock().now(),
        tlp=tlp,
        source=source,
        on_csaf_findings=csaf_findings,
    )
    try:
        with database.transaction() as session:
            report = imports.import_path(session, path, options, imports.limits_for(settings))
    except ClearinghouseError as exc:
        raise _fail(exc) from exc
    finally:
        database.dispose()
    table = Table("outcome", "documents")
    for outcome, count in report.counts().items():
        table.add_row(outcome, str(count))
    out.print(table)
    for item in report.failed[:50]:
        err.print(f"{item.name}: {item.error}")
    for item in report.warned[:50]:
        for warning in item.warnings[:10]:
            err.print(f"{item.name}: warning: {warning}", markup=False)
    if report.failed:
        raise typer.Exit(EXIT_INCOMPLETE)
