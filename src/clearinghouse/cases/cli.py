"""``clearinghouse case ...``: the operator's common case look-ups from a shell.

Reads only, as the platform itself (the operator sees every case). Typed errors become a
message on standard error and the documented exit code (3: no such case).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import orjson
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.cases import access, coordination, embargo_service, export, participants
from clearinghouse.cases.models import Case, CaseStatus
from clearinghouse.db import Database
from clearinghouse.errors import ClearinghouseError, NotFound
from clearinghouse.settings import Settings

app = typer.Typer(help="Coordinated-disclosure cases.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

T = TypeVar("T")


@contextmanager
def _session() -> Iterator[Session]:
    database = Database(Settings().database_url)
    try:
        with database.transaction(write=False) as session:
            yield session
    finally:
        database.dispose()


def _run(action: Callable[[Session], T]) -> T:
    try:
        with _session() as session:
            return action(session)
    except ClearinghouseError as exc:
        err.print(f"error: {exc.detail}")
        raise typer.Exit(exc.exit_code) from exc


def _case(session: Session, ref: str) -> Case:
    case = coordination.find_case(session, ref)
    if case is None:
        raise NotFound(f"no case {ref!r}")
    return case


@app.command("list")
def list_cases(
    status: Annotated[CaseStatus | None, typer.Option(help="open or closed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="newest first")] = 100,
) -> None:
    """Cases, newest first, with their embargo state."""

    def run(session: Session) -> None:
        query = select(Case).order_by(Case.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Case.status == status)
        table = Table("case", "status", "embargo", "coordinator", "opened", "title")
        for case in session.scalars(query):
            org = session.get(Organisation, case.coordinator_org_id)
            embargo = embargo_service.row_of(session, case)
            table.add_row(
                case.public_id,
                case.status.value,
                embargo.state,
                org.slug if org else "?",
                case.created_at.date().isoformat(),
                case.title,
            )
        out.print(table)

    _run(run)


@app.command("show")
def show_case(ref: Annotated[str, typer.Argument(help="CH-YYYY-NNNN")]) -> None:
    """A case: embargo, vulnerabilities, participants and vendor statuses."""

    def run(session: Session) -> None:
        case = _case(session, ref)
        org = session.get(Organisation, case.coordinator_org_id)
        value = embargo_service.value_of(session, case)
        out.print(f"[bold]{case.public_id}[/bold]  {case.title}")
        out.print(
            f"status: {case.status.value}   coordinator: {org.slug if org else '?'}   "
            f"opened: {case.created_at.isoformat()}"
        )
        end = f"{value.end.at.isoformat()} ({value.end.tz_name})" if value.end else "-"
        out.print(f"embargo: {value.phase.value}   end: {end}")
        vulns = Table("vulnerability", "CVE", "CVSS", "CWE")
        for v in coordination.vulnerabilities_of(session, case):
            score = f"{v.cvss_score} {v.cvss_severity}" if v.cvss_vector else "-"
            vulns.add_row(v.title, v.cve_id or "-", score, ", ".join(v.cwes) or "-")
        out.print(vulns)
        people = Table("participant", "role", "notified", "seen", "due", "responded")
        everyone = access.participants_of(session, case)
        for p in everyone:
            people.add_row(
                p.name,
                p.role.value,
                _day(p.notified_at),
                _day(p.seen_at),
                _day(p.response_due_at),
                _day(p.responded_at),
            )
        out.print(people)
        names = {p.id: p.name for p in everyone}
        titles = {v.id: v.cve_id or v.title for v in coordination.vulnerabilities_of(session, case)}
        statuses = Table("vendor", "vulnerability", "status", "fixed in", "since")
        for s in participants.statuses(session, case):
            statuses.add_row(
                names.get(s.participant_id, "?"),
                titles.get(s.vulnerability_id, "?"),
                s.status,
                s.fixed_version or "-",
                _day(s.recorded_at),
            )
        out.print(statuses)

    _run(run)


def _day(value: object) -> str:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else "-"


@app.command("export")
def export_case(
    ref: Annotated[str, typer.Argument(help="CH-YYYY-NNNN")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file (default: stdout)")
    ] = None,
) -> None:
    """The machine-readable case data as JSON."""

    def run(session: Session) -> bytes:
        return orjson.dumps(
            export.export_case(session, _case(session, ref)), option=orjson.OPT_INDENT_2
        )

    document = _run(run)
    if output is None:
        typer.echo(document.decode())
    else:
        output.write_bytes(document + b"\n")
        err.print(f"wrote {output}")
