"""The worker's alert scan at scale: incremental passes against deriving everything.

A fresh migrated SQLite file (or the PostgreSQL database given with ``--postgres``)
holds ``--subjects`` cases, each with an awareness event of a member bound by China's
2-day rule and the CRA, spread over the last day. Then, interleaved ``--runs`` times:

- **full**: what the scan did before it was incremental, deriving every subject's
  obligations (``standing.obligations.obligations`` over everything);
- **quiet**: an incremental pass where nothing changed and no alert instant came;
- **busy**: an incremental pass after ``--changed`` subjects got a new event.

The peer is the full derivation, the same work each worker poll used to do; the ratios
say how much cheaper a pass is now. Hard check: the quiet pass derives nothing and the
busy pass exactly the changed subjects.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from rich.table import Table
from sqlalchemy import insert, select

from bench.common import OUT_DIR, console, fmt_ms, write_result
from clearinghouse.accounts.models import Organisation
from clearinghouse.cases.models import Case, TimelineEvent
from clearinghouse.db import Database
from clearinghouse.migrate import upgrade
from clearinghouse.settings import Settings
from clearinghouse.standing import alert_scan
from clearinghouse.standing import obligations as obl
from clearinghouse.vocab import OrgKind

NAME: Final = "alerts"
NOW: Final = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.alerts", description=__doc__)
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL to use instead of SQLite")
    parser.add_argument("--quick", action="store_true", help="1,000 subjects, 2 runs")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    if args.quick:
        args.subjects, args.runs = 1_000, 2
    return args


def populate(database: Database, subjects: int) -> list[str]:
    """The organisations and ``subjects`` cases with one awareness event each (bulk)."""
    operator, member = uuid.uuid4(), uuid.uuid4()
    with database.transaction() as s:
        for org_id, slug, kind, roles in (
            (operator, "op", OrgKind.OPERATOR, []),
            (member, "cloud", OrgKind.MEMBER, ["product_provider", "manufacturer"]),
        ):
            s.add(
                Organisation(
                    id=org_id,
                    slug=slug,
                    name=slug,
                    kind=kind,
                    country="CN",
                    jurisdictions=["CN", "EU"],
                    regulatory_roles=roles,
                    created_at=NOW - timedelta(days=30),
                )
            )
        s.flush()
        refs, cases, events = [], [], []
        for n in range(subjects):
            case_id = uuid.uuid4()
            aware = NOW - timedelta(seconds=(n * 86_400) // subjects)
            ref = f"CH-2026-{n:06d}"
            refs.append(ref)
            cases.append(
                {
                    "id": case_id,
                    "public_id": ref,
                    "title": f"case {n}",
                    "summary": "",
                    "coordinator_org_id": operator,
                    "created_at": aware,
                    "created_by_label": "bench",
                    "updated_at": aware,
                }
            )
            events.append(_event(case_id, member, "aware", aware))
        s.execute(insert(Case), cases)
        s.execute(insert(TimelineEvent), events)
    return refs


def _event(case_id: object, org_id: object, type_: str, at: datetime) -> dict[str, object]:
    return {
        "case_id": case_id,
        "org_id": org_id,
        "type": type_,
        "occurred_at": at,
        "recorded_at": at,
        "recorded_by_label": "bench",
        "data": {},
    }


def touch(database: Database, refs: Sequence[str], at: datetime) -> None:
    """A new event (a fix) on each of these subjects."""
    with database.transaction() as s:
        rows = s.execute(select(Case.id, Case.public_id).where(Case.public_id.in_(refs))).all()
        member = s.scalars(select(Organisation.id).where(Organisation.slug == "cloud")).one()
        s.execute(
            insert(TimelineEvent),
            [_event(case_id, member, "fix_available", at) for case_id, _ref in rows],
        )


def measure(database: Database, settings: Settings, refs: list[str], args: argparse.Namespace):  # type: ignore[no-untyped-def]
    with database.transaction() as s:  # the first pass: every subject watched
        alert_scan.scan(s, NOW, settings)
    full, quiet, busy = [], [], []
    derived = {"quiet": set(), "busy": set()}  # type: ignore[var-annotated]
    for run in range(args.runs):
        at = NOW + timedelta(seconds=run + 1)
        started = time.perf_counter()
        with database.transaction() as s:
            items, _facts = obl.obligations(s, settings, at)
        full.append(time.perf_counter() - started)
        started = time.perf_counter()
        with database.transaction() as s:
            done = alert_scan.scan(s, at, settings)
        quiet.append(time.perf_counter() - started)
        derived["quiet"].add(done.derived)
        changed = refs[run * args.changed : (run + 1) * args.changed]
        touch(database, changed, at)
        started = time.perf_counter()
        with database.transaction() as s:
            done = alert_scan.scan(s, at + timedelta(milliseconds=500), settings)
        busy.append(time.perf_counter() - started)
        derived["busy"].add(done.derived)
    return {"full": full, "quiet": quiet, "busy": busy, "obligations": len(items)}, derived


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as scratch:
        url = args.postgres or f"sqlite:///{Path(scratch) / 'bench.db'}"
        settings = Settings(environment="test", database_url=url)
        database = Database(url)
        try:
            upgrade(database.engine)
            started = time.perf_counter()
            refs = populate(database, args.subjects)
            loaded = time.perf_counter() - started
            timings, derived = measure(database, settings, refs, args)
        finally:
            database.dispose()
    medians = {k: statistics.median(v) for k, v in timings.items() if k != "obligations"}
    result = {
        "database": "postgresql" if args.postgres else "sqlite",
        "subjects": args.subjects,
        "changed_per_busy_pass": args.changed,
        "runs": args.runs,
        "load_seconds": loaded,
        "obligations": timings["obligations"],
        "seconds": {k: v for k, v in timings.items() if k != "obligations"},
        "median_seconds": medians,
        "full_over_quiet": medians["full"] / medians["quiet"],
        "full_over_busy": medians["full"] / medians["busy"],
        "derived": {k: sorted(v) for k, v in derived.items()},
    }
    table = Table(title=f"alert scan, {args.subjects:,} subjects ({result['database']})")
    for column in ("pass", "median", "full / this", "subjects derived"):
        table.add_column(column)
    table.add_row("full derivation (peer)", fmt_ms(medians["full"]), "1.0", f"{args.subjects:,}")
    table.add_row(
        "incremental, nothing changed",
        fmt_ms(medians["quiet"]),
        f"{result['full_over_quiet']:.1f}",
        ", ".join(map(str, result["derived"]["quiet"])),
    )
    table.add_row(
        f"incremental, {args.changed} changed",
        fmt_ms(medians["busy"]),
        f"{result['full_over_busy']:.1f}",
        ", ".join(map(str, result["derived"]["busy"])),
    )
    console.print(table)
    write_result(NAME, result, args.out_dir)
    return 0 if derived == {"quiet": {0}, "busy": {args.changed}} else 1


if __name__ == "__main__":
    raise SystemExit(main())
