"""Capacity at ten times the demo: per-row costs that ``docs/capacity.md`` builds on.

One PostgreSQL database the bench creates and drops (``--postgres ADMIN_URL``, required:
the capacity question is about one PostgreSQL server), migrated, then:

- **STIX objects**: ``--stix`` (1,000,000) indicator versions in one collection, written
  by one ``INSERT ... SELECT`` over ``generate_series`` (the platform's own ingest, with
  validation and audit, is measured by ``bench/taxii.py``: ~2k objects/s), 70 % TLP:GREEN,
  20 % AMBER, 10 % RED. Timed: one TAXII page of 1,000 objects as a member reads it
  (``sharing.store.page`` with the member's TLP scope, the query the TAXII route runs), at
  the start, the middle and the end of the collection, ``--repeats`` times each; and the
  table's bytes per row (heap, TOAST and indexes).
- **Writes**: ``--commits`` (400) transactions, each one audit entry and a commit, from 1, 4 and 16
  threads, next to the same number writing one row of another table (no audit): every
  state change passes the audit chain's lock, so the first is the ceiling on write
  transactions per second for the whole deployment.
- **Open subjects**: ``--subjects`` (10,000) cases each with an awareness event binding a
  member under two regimes (``bench.alerts.populate``); timed: the full derivation of every
  obligation, and the worker's incremental alert pass with nothing changed and with 10
  changed subjects (``bench.alerts.measure``).

Bounded (about 2-4 minutes at the defaults on a 2-core machine) and not part of
``make test``. Hard check (exit 1): every page holds 1,000 of the objects written (the
member sees the GREEN 70 %: AMBER and RED name no one), and the alert passes derive what
``bench/alerts.py`` checks.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from rich.table import Table
from sqlalchemy import text

from bench import alerts
from bench.common import OUT_DIR, console, fmt_ms, write_result
from bench.load import postgres_database
from clearinghouse.audit import service as audit
from clearinghouse.cases.models import IntakeHit
from clearinghouse.db import Database
from clearinghouse.formats.model import Tlp
from clearinghouse.migrate import upgrade
from clearinghouse.policy.sharing import ObjectScope
from clearinghouse.principal import SYSTEM
from clearinghouse.settings import Settings
from clearinghouse.sharing import store
from clearinghouse.sharing.models import Collection

NAME: Final = "capacity"
PAGE: Final = 1000
T0: Final = datetime(2026, 1, 1, tzinfo=UTC)

_FILL: Final = """
INSERT INTO shared_objects (id, collection_id, stix_id, type, spec_version, version,
    date_added, seq, tlp, marking_applied, body)
SELECT gen_random_uuid(), :collection, 'indicator--' || u, 'indicator', '2.1',
    :t0 + i * interval '1 millisecond', :t0 + i * interval '1 millisecond', i,
    CASE WHEN i % 10 < 7 THEN 'GREEN' WHEN i % 10 < 9 THEN 'AMBER' ELSE 'RED' END, false,
    '{"type":"indicator","spec_version":"2.1","id":"indicator--' || u || '",'
    || '"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",'
    || '"name":"capacity ' || i || '","pattern_type":"stix",'
    || '"pattern":"[ipv4-addr:value = ''10.' || (i / 65536) % 256 || '.' || (i / 256) % 256
    || '.' || i % 256 || ''']","valid_from":"2026-01-01T00:00:00Z",'
    || '"indicator_types":["malicious-activity"]}'
FROM (SELECT i, md5(i::text)::uuid::text AS u
      FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i) AS g
"""


def fill_stix(database: Database, count: int) -> tuple[uuid.UUID, float]:
    collection_id = uuid.uuid4()
    started = time.perf_counter()
    with database.transaction() as s:
        s.add(
            Collection(
                id=collection_id,
                alias="capacity",
                title="capacity",
                community=True,
                created_at=T0,
                last_seq=count,
            )
        )
        s.flush()
        for first in range(1, count + 1, 100_000):
            last = min(first + 99_999, count)
            s.execute(
                text(_FILL),
                {"collection": collection_id, "t0": T0, "first": first, "last": last},
            )
    with database.engine.connect() as c:
        c.execute(text("ANALYZE shared_objects"))
        c.commit()
    return collection_id, time.perf_counter() - started


def bytes_per_row(database: Database, table: str, rows: int) -> float:
    with database.engine.connect() as c:
        size = c.scalar(text("SELECT pg_total_relation_size(:t)"), {"t": table})
    return float(size or 0) / max(rows, 1)


def page_costs(
    database: Database, collection_id: uuid.UUID, count: int, repeats: int
) -> tuple[dict[str, list[float]], list[str]]:
    """Milliseconds per page of 1,000 at the start, middle and end, as a member reads."""
    reader = store.Reader(ObjectScope(tlps=frozenset({Tlp.CLEAR, Tlp.GREEN})))
    positions = {
        "first": None,
        "middle": (T0 + timedelta(milliseconds=count // 2), count // 2),
        "last": (T0 + timedelta(milliseconds=count - 3000), count - 3000),
    }
    costs: dict[str, list[float]] = {k: [] for k in positions}
    problems: list[str] = []
    for _ in range(repeats):
        for where, after in positions.items():
            with database.transaction(write=False) as s:
                started = time.perf_counter()
                got = store.page(s, collection_id, reader, store.Filters(), limit=PAGE, after=after)
                envelope = b",".join(r.body.encode() for r in got.rows)
                costs[where].append(time.perf_counter() - started)
            if len(got.rows) != PAGE:
                problems.append(f"{where}: {len(got.rows)} objects, not {PAGE}")
            if b'"name":"capacity' not in envelope[:200]:
                problems.append(f"{where}: not the objects written")
    return costs, problems


def commits(database: Database, count: int, threads: int, *, audited: bool) -> float:
    """Transactions per second from ``threads`` writers at once, each writing one row and
    committing; ``audited``: one audit entry as well (every write of the platform passes
    the chain's lock), else a row of a table of its own (the same commit, no lock)."""

    def writer(n: int) -> None:
        for i in range(n):
            with database.transaction() as s:
                if not audited:
                    s.add(IntakeHit(key=f"capacity-{i}", at=T0))
                    continue
                audit.append(
                    s,
                    actor=SYSTEM,
                    action="capacity.write",
                    object_type="bench",
                    object_id=str(i),
                    change={"i": i},
                    at=T0,
                )

    per_thread = count // threads
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(writer, [per_thread] * threads))
    return per_thread * threads / (time.perf_counter() - started)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.capacity", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--postgres", metavar="ADMIN_URL", required=True)
    parser.add_argument("--stix", type=int, default=1_000_000, help="STIX object versions")
    parser.add_argument("--subjects", type=int, default=10_000, help="open subjects (cases)")
    parser.add_argument("--repeats", type=int, default=5, help="page reads per position")
    parser.add_argument("--commits", type=int, default=400, help="transactions per writers count")
    parser.add_argument("--quick", action="store_true", help="100k objects, 1,000 subjects")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    if args.quick:
        args.stix, args.subjects, args.repeats = 100_000, 1_000, 3
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with postgres_database(args.postgres) as url:
        database = Database(url)
        try:
            upgrade(database.engine)
            with console.status(f"writing {args.stix:,} STIX objects"):
                collection_id, fill_seconds = fill_stix(database, args.stix)
            stix_bytes = bytes_per_row(database, "shared_objects", args.stix)
            with console.status("paging"):
                costs, problems = page_costs(database, collection_id, args.stix, args.repeats)
            with console.status(f"{args.subjects:,} open subjects"):
                started = time.perf_counter()
                refs = alerts.populate(database, args.subjects)
                subjects_seconds = time.perf_counter() - started
                settings = Settings(environment="test", database_url=url)
                passes, derived = alerts.measure(
                    database, settings, refs, argparse.Namespace(runs=3, changed=10)
                )
            with console.status("audited commits"):
                chain = {n: commits(database, args.commits, n, audited=True) for n in (1, 4, 16)}
                plain = {n: commits(database, args.commits, n, audited=False) for n in (1, 4, 16)}
            with database.engine.connect() as c:
                events = int(c.scalar(text("SELECT count(*) FROM timeline_events")) or 0)
            event_bytes = bytes_per_row(database, "timeline_events", events)
        finally:
            database.dispose()
    if derived != {"quiet": {0}, "busy": {10}}:
        problems.append(f"alert passes derived {derived}, not quiet 0 / busy 10")
    page_ms = {k: 1000 * statistics.median(v) for k, v in costs.items()}
    pass_ms = {k: 1000 * statistics.median(v) for k, v in passes.items() if k != "obligations"}
    result: dict[str, Any] = {
        "stix_objects": args.stix,
        "stix_fill_seconds": fill_seconds,
        "stix_bytes_per_row": stix_bytes,
        "page_size": PAGE,
        "page_ms_median": page_ms,
        "page_ms_all": {k: [1000 * x for x in v] for k, v in costs.items()},
        "subjects": args.subjects,
        "subjects_fill_seconds": subjects_seconds,
        "obligations": passes["obligations"],
        "timeline_events": events,
        "timeline_event_bytes_per_row": event_bytes,
        "alert_pass_ms_median": pass_ms,
        "audited_commits_per_second_by_writers": chain,
        "plain_commits_per_second_by_writers": plain,
        "problems": problems,
    }
    table = Table(title=f"capacity: {args.stix:,} STIX objects, {args.subjects:,} open subjects")
    for column in ("what", "median", "note"):
        table.add_column(column)
    for where, ms in page_ms.items():
        table.add_row(f"TAXII page of {PAGE:,}, {where}", f"{ms:.1f} ms", "member scope")
    table.add_row("STIX object, stored", f"{stix_bytes:,.0f} B", "heap + TOAST + indexes")
    table.add_row("STIX objects written (SQL)", f"{args.stix / fill_seconds:,.0f}/s", "")
    table.add_row("alert pass, full derivation", fmt_ms(pass_ms["full"] / 1000), "the peer")
    table.add_row("alert pass, nothing changed", fmt_ms(pass_ms["quiet"] / 1000), "")
    table.add_row("alert pass, 10 changed", fmt_ms(pass_ms["busy"] / 1000), "")
    table.add_row(f"obligations at {args.subjects:,} subjects", f"{passes['obligations']:,}", "")
    for writers, rate in chain.items():
        table.add_row(
            f"commits, {writers} writers: audited / not",
            f"{rate:,.0f}/s / {plain[writers]:,.0f}/s",
            "the chain's lock / none",
        )
    table.add_row("timeline event, stored", f"{event_bytes:,.0f} B", f"{events:,} rows")
    console.print(table)
    for problem in problems:
        console.print(f"[red]hard check failed[/]: {problem}")
    write_result(NAME, result, args.out_dir)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
