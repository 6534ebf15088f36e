"""Open-loop load: a fixed offered rate of mixed requests, bounded in time, on loopback.

Unlike ``bench/intake.py`` (closed loop: N clients, each waiting for its answer before
sending again), requests here leave on a fixed schedule whatever the server's pace, as
independent users' requests do, and each latency is measured from the instant its
request was **due to leave**: a server that falls behind shows it in the percentiles
instead of slowing the load down (no coordinated omission).

The platform: ``clearinghouse serve`` processes (the worker off) on a fresh database
holding the Log4Shell replay (``demo load``): one process on a SQLite file, and, with
``--postgres ADMIN_URL``, ``--processes`` (2) processes on a PostgreSQL database the
bench creates and drops, the client spreading requests over them in turn as a load
balancer would. The mix (``--mix``):

- ``intake``: an anonymous report, ``POST /api/v1/reports`` (each carries a unique marker);
- ``case``: the replay's case or its timeline, read with the analyst's API token;
- ``osv``: ``POST /osv/v1/query`` for log4j-core at a random 2.x version.

Hard checks (exit 1): no acknowledged report lost, none stored twice, none stored without
an answer, one ``report.received`` audit entry per stored report, and ``audit verify``
passes on the database afterwards. Reported beside the latencies: the ``serve``
processes' CPU per answered request (Linux ``/proc``), and PostgreSQL's ratios to the
SQLite run of the same invocation. Targets (``BENCHMARKS.md``, issue #14): p99 < 250 ms at
50 requests/s on SQLite with one process and at 100 requests/s on PostgreSQL with two.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson
from rich.table import Table

from bench.common import OUT_DIR, console, fmt_ms, package_version, percentile, write_result
from bench.intake import CLI, free_port, rate_limit_plan, report_body, run_cli, server

NAME: Final = "load"
TARGET_P99_SECONDS: Final = 0.250
CASE: Final = "CH-2021-0001"
ANALYST: Final = "analyst@nvdb.example"
LOG4J: Final = {"name": "org.apache.logging.log4j:log4j-core", "ecosystem": "Maven"}
KINDS: Final = ("intake", "case", "osv")


@dataclass(slots=True)
class Observed:
    """What the client saw, per kind of request."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    acknowledged: list[uuid.UUID] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    offered: int = 0
    seconds: float = 0.0
    lag_seconds: float = 0.0  # how late the scheduler itself sent (client overload)


def parse_mix(text: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind not in KINDS:
            raise SystemExit(f"--mix: {kind!r} is not one of {', '.join(KINDS)}")
        weights[kind] = float(weight)
    return weights


async def http(
    base: str, method: str, path: str, body: Any, headers: dict[str, str]
) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a connection of its own (``Connection: close``), as an
    independent user's would be. A minimal client on purpose: httpx's connection pool
    costs the load generator more CPU than the server spends once hundreds of requests
    are in flight, and the generator must never be the bottleneck it measures."""
    host, _, port = base.removeprefix("http://").partition(":")
    payload = orjson.dumps(body) if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    head, _, content = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    if b"transfer-encoding: chunked" in head.lower():
        content = _unchunk(content)
    return status, content


def _unchunk(data: bytes) -> bytes:
    out, rest = bytearray(), data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


async def offer(
    bases: Sequence[str],
    rate: float,
    duration: float,
    mix: dict[str, float],
    token: str,
    marker: str,
    seed: int,
) -> Observed:
    seen = Observed()
    rng = random.Random(seed)
    kinds, weights = list(mix), list(mix.values())
    auth = {"Authorization": f"Bearer {token}"}
    loop = asyncio.get_running_loop()
    count = int(rate * duration)
    start = loop.time() + 0.2

    async def one(number: int, kind: str, due: float) -> None:
        base = bases[number % len(bases)]
        try:
            if kind == "intake":
                body = orjson.loads(report_body(number, rng))
                body["title"] = f"{marker} {number} {body['title']}"[:200]
                call = http(base, "POST", "/api/v1/reports", body, {})
            elif kind == "case":
                path = f"/api/v1/cases/{CASE}" + ("/timeline" if number % 2 else "")
                call = http(base, "GET", path, None, auth)
            else:
                version = f"2.{rng.randint(0, 17)}.{rng.randint(0, 2)}"
                query = {"package": LOG4J, "version": version}
                call = http(base, "POST", "/osv/v1/query", query, {})
            status, content = await asyncio.wait_for(call, timeout=60)
        except (OSError, TimeoutError, ValueError, IndexError) as exc:
            seen.errors[f"{kind}: {type(exc).__name__}"] += 1
            return
        took = loop.time() - due
        seen.latencies[kind].append(took)
        seen.statuses[(kind, status)] += 1
        if kind == "intake" and status == 201:
            seen.acknowledged.append(uuid.UUID(orjson.loads(content)["id"]))
        elif status >= 300 and len(seen.unexpected) < 5:
            seen.unexpected.append(f"{kind} {status}: {content[:200]!r}")

    tasks = []
    for number in range(count):
        due = start + number / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            seen.lag_seconds = max(seen.lag_seconds, -delay)
        kind = rng.choices(kinds, weights)[0]
        tasks.append(asyncio.create_task(one(number, kind, due)))
        seen.offered += 1
    await asyncio.gather(*tasks)
    seen.seconds = loop.time() - start
    return seen


# --- the platform ----------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A database of the bench's own on the server of ``admin_url``, dropped afterwards."""
    import psycopg

    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"bench_load_{os.getpid()}"
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def token_for(env: dict[str, str], email: str) -> str:
    done = subprocess.run(
        [sys.executable, *CLI, "token", "create", "--email", email, "--name", "load",
         "--days", "1"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    words = [w for w in done.stdout.split() if w.startswith("chk_")]
    if not words:
        raise RuntimeError(f"no token in `token create` output: {done.stdout[-500:]}")
    return words[0]


@dataclass(slots=True)
class Stored:
    by_marker: Counter[str]
    ids: set[uuid.UUID]
    received_entries: int
    audit_ok: bool


def stored(url: str, env: dict[str, str], marker: str) -> Stored:
    from sqlalchemy import create_engine, func, select

    from clearinghouse.audit.models import AuditEntry
    from clearinghouse.cases.models import Report

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Report.id, Report.title).where(Report.title.like(f"{marker} %"))
            ).all()
            ids = {row.id for row in rows}
            received = connection.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.action == "report.received",
                    AuditEntry.object_id.in_([str(i) for i in ids] or [""]),
                )
            )
    finally:
        engine.dispose()
    verify = subprocess.run(
        [sys.executable, *CLI, "audit", "verify"], env=env, capture_output=True, check=False
    )
    return Stored(
        by_marker=Counter(row.title.split(" ")[1] for row in rows),
        ids=ids,
        received_entries=int(received or 0),
        audit_ok=verify.returncode == 0,
    )


def run_config(args: argparse.Namespace, url: str, processes: int, rate: float) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="clearinghouse-bench-load-"))
    ports = [free_port() for _ in range(processes)]
    plan = rate_limit_plan()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARINGHOUSE_")}
    env.update(
        CLEARINGHOUSE_DATABASE_URL=url,
        CLEARINGHOUSE_DATA_DIR=str(workdir / "data"),
        CLEARINGHOUSE_WORKER_IN_PROCESS="false",
        CLEARINGHOUSE_LOG_LEVEL="WARNING",
        CLEARINGHOUSE_BASE_URL=f"http://127.0.0.1:{ports[0]}",
        **plan.environment,
    )
    run_cli(["db", "upgrade"], env)
    with console.status("loading the Log4Shell replay"):
        run_cli(["demo", "load"], env)
    token = token_for(env, ANALYST)
    marker = f"load-{uuid.uuid4().hex[:8]}"
    with contextlib.ExitStack() as stack:
        pids = [
            stack.enter_context(server(env, port, workdir / f"server-{n}.log")).pid
            for n, port in enumerate(ports)
        ]
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        if args.warmup:
            asyncio.run(offer(bases, rate, args.warmup, args.mix, token, marker + "w", args.seed))
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        with console.status(f"{rate:g} requests/s for {args.duration:g} s"):
            seen = asyncio.run(
                offer(bases, rate, args.duration, args.mix, token, marker, args.seed)
            )
        cpu_used = sum(cpu_seconds(pid) for pid in pids) - cpu_before
    after = stored(url, env, marker)
    acknowledged = set(seen.acknowledged)
    every = [t for values in seen.latencies.values() for t in values]
    answered = sum(len(v) for v in seen.latencies.values())
    server_errors = sum(n for (_, status), n in seen.statuses.items() if status >= 500)
    return {
        "database": "PostgreSQL" if url.startswith("postgresql") else "SQLite",
        "processes": processes,
        "offered_per_second": rate,
        "offered": seen.offered,
        "achieved_per_second": answered / seen.seconds if seen.seconds else 0.0,
        "seconds": seen.seconds,
        "scheduler_lag_max_seconds": seen.lag_seconds,
        "p50_seconds": percentile(every, 50),
        "p99_seconds": percentile(every, 99),
        "max_seconds": max(every, default=float("nan")),
        "server_cpu_ms_per_request": 1000 * cpu_used / answered if answered else float("nan"),
        "by_kind": {
            kind: {
                "answered": len(values),
                "p50_seconds": percentile(values, 50),
                "p99_seconds": percentile(values, 99),
            }
            for kind, values in seen.latencies.items()
            if values
        },
        "statuses": {f"{k} {s}": n for (k, s), n in sorted(seen.statuses.items())},
        "transport_errors": dict(seen.errors),
        "server_errors": server_errors,
        "unexpected": seen.unexpected,
        "reports_acknowledged": len(acknowledged),
        "reports_stored": len(after.ids),
        "reports_lost": len(acknowledged - after.ids),
        "reports_stored_unanswered": len(after.ids - acknowledged),
        "reports_stored_twice": sum(1 for n in after.by_marker.values() if n > 1),
        "report_received_audit_entries": after.received_entries,
        "audit_verifies": after.audit_ok,
        "target_p99_seconds": TARGET_P99_SECONDS,
    }


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hard_failures(result: dict[str, Any]) -> list[str]:
    failures = []
    for key in ("reports_lost", "reports_stored_twice", "reports_stored_unanswered"):
        if result[key]:
            failures.append(f"{key}: {result[key]}")
    if result["report_received_audit_entries"] != result["reports_stored"]:
        failures.append("a stored report without its audit entry (or the other way)")
    if not result["audit_verifies"]:
        failures.append("audit verify failed")
    return failures


def print_table(results: Sequence[dict[str, Any]]) -> None:
    table = Table(title="Open-loop load (latency from each request's scheduled instant)")
    for column in (
        "database", "processes", "offered/s", "achieved/s", "p50", "p99", "max",
        "5xx", "errors", "lost / twice", "CPU/request", "p99 < 250 ms",
    ):  # fmt: skip
        table.add_column(column)
    for r in results:
        table.add_row(
            r["database"],
            str(r["processes"]),
            f"{r['offered_per_second']:g}",
            f"{r['achieved_per_second']:.1f}",
            fmt_ms(r["p50_seconds"]),
            fmt_ms(r["p99_seconds"]),
            fmt_ms(r["max_seconds"]),
            str(r["server_errors"]),
            str(sum(r["transport_errors"].values())),
            f"{r['reports_lost']} / {r['reports_stored_twice']}",
            f"{r['server_cpu_ms_per_request']:.1f} ms",
            "yes" if r["p99_seconds"] < TARGET_P99_SECONDS else "no",
        )
    console.print(table)
    for r in results:
        kinds = ", ".join(
            f"{k} p99 {fmt_ms(v['p99_seconds'])} ({v['answered']})" for k, v in r["by_kind"].items()
        )
        console.print(f"{r['database']} x{r['processes']}: {kinds}")
    for r in results[1:]:
        first = results[0]
        console.print(
            f"{r['database']} x{r['processes']} against {first['database']} "
            f"x{first['processes']} in this run: p99 x{ratio(r, first, 'p99_seconds'):.2f}, "
            f"p50 x{ratio(r, first, 'p50_seconds'):.2f}, CPU per request "
            f"x{ratio(r, first, 'server_cpu_ms_per_request'):.2f}"
        )


def ratio(result: dict[str, Any], peer: dict[str, Any], key: str) -> float:
    """``result``'s figure over its peer's, measured in the same run (the machine is shared:
    a ratio says more than an absolute time)."""
    return float(result[key]) / float(peer[key]) if peer[key] else float("nan")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="10 requests/s for 5 s, SQLite")
    parser.add_argument("--sqlite-rate", type=float, default=50.0, help="offered requests/s")
    parser.add_argument("--postgres-rate", type=float, default=100.0, help="offered requests/s")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--processes", type=int, default=2, help="serve processes on PostgreSQL")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also run on PostgreSQL")
    parser.add_argument("--mix", type=parse_mix, default=parse_mix("intake=4,case=3,osv=3"))
    parser.add_argument("--seed", type=int, default=20211209)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    if args.quick:
        args.sqlite_rate, args.duration, args.warmup = 10.0, 5.0, 0.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="clearinghouse-bench-load-") as scratch:
        results.append(
            run_config(args, f"sqlite:///{Path(scratch) / 'load.db'}", 1, args.sqlite_rate)
        )
    if args.postgres:
        with postgres_database(args.postgres) as url:
            results.append(run_config(args, url, args.processes, args.postgres_rate))
    print_table(results)
    failures = [f"{r['database']}: {f}" for r in results for f in hard_failures(r)]
    for failure in failures:
        console.print(f"[red]hard check failed[/]: {failure}")
    write_result(
        NAME,
        {
            "results": results,
            "hard_failures": failures,
            "versions": {p: package_version(p) for p in ("clearinghouse", "uvicorn", "httpx")},
        },
        args.out_dir,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
