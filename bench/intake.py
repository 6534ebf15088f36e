"""Report intake over HTTP under load: latency percentiles, throughput, and no lost report.

A real server: ``clearinghouse serve`` (uvicorn) in a subprocess, on a fresh migrated
SQLite file in a temporary folder (or the PostgreSQL database given with
``--postgres``), the job worker off, logs at WARNING. Then ``--clients`` concurrent
clients (one ``httpx.AsyncClient`` each) POST public reports (no account) to
``/api/v1/reports`` until ``--requests`` have been sent or ``--duration`` has passed, in
``--rounds`` rounds. Each request's latency is recorded on the client. After the last
round the server is stopped and the reports are counted in the database: every report
whose creation was acknowledged (201 with an id) must be there.

The public intake is rate-limited per client address. If the settings offer a way to
raise that limit, the benchmark raises it through its environment variable; otherwise
(the limit is a constant today) the clients spread over loopback source addresses
(127.x.y.z), a new one each time the limit would be reached, as distinct reporters
would, and the output says so. Refusals (429) are counted apart and never taken as
lost.

No peer: BENCHMARKS.md sets an absolute target (p99 < 100 ms at 50 concurrent clients,
zero lost reports). The clients share the machine with the server, so the figures are
pessimistic; each round is reported, and the median of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
import orjson
from rich.table import Table

from bench.common import OUT_DIR, console, fmt_ms, package_version, percentile, write_result

NAME: Final = "intake"
ROUTE: Final = "/api/v1/reports"
TARGET_P99_SECONDS: Final = 0.100
RAISED_LIMIT: Final = 1_000_000
CLI: Final = ("-c", "from clearinghouse.cli import main; main()")
# fmt: off
_WORDS: Final = (
    "buffer", "overflow", "heap", "stack", "parser", "header", "request", "response",
    "token", "session", "cookie", "upload", "archive", "path", "traversal", "injection",
    "template", "expression", "deserialisation", "gadget", "certificate", "signature",
    "replay", "race", "condition", "memory", "leak", "null", "pointer", "integer",
    "authentication", "bypass", "privilege", "escalation", "remote", "code", "execution",
    "denial", "service", "crafted", "malformed", "unauthenticated", "attacker",
    "administrator", "endpoint", "configuration", "plugin", "module", "library", "firmware",
    "router", "camera", "gateway", "controller", "dashboard", "api",
)
_PRODUCTS: Final = (
    "Acme Router", "Globex Gateway", "Initech CMS", "Umbrella Camera", "Hooli Mail",
    "Stark Dashboard", "Wayne Vault", "Tyrell Firmware", "Cyberdyne Agent", "Soylent Portal",
)
# fmt: on


# --- the rate limit ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitPlan:
    """How the benchmark gets past the per-address intake limit, said out loud."""

    environment: dict[str, str]  # variables set for the server
    per_address: int | None  # rotate source addresses after this many requests; None: don't
    note: str


def rate_limit_plan() -> LimitPlan:
    """Raise the intake limit through its setting if there is one; else rotate addresses."""
    from clearinghouse.settings import Settings

    for name, info in Settings.model_fields.items():
        words = set(name.split("_"))
        if ("intake" in words or "report" in words or "reports" in words) and words & {
            "limit", "rate", "max", "hour", "per",
        } and info.annotation is int:  # fmt: skip
            variable = f"CLEARINGHOUSE_{name.upper()}"
            return LimitPlan(
                {variable: str(RAISED_LIMIT)},
                None,
                f"intake rate limit raised for the bench: {variable}={RAISED_LIMIT}",
            )
    from clearinghouse.cases import intake

    limit = int(intake.INTAKE_LIMIT)  # unreachable while the setting exists (found above)
    return LimitPlan(
        {},
        limit,
        f"the intake limit ({limit} reports per hour per client address) has no setting; "
        f"clients rotate loopback source addresses every {limit} requests, as distinct "
        "reporters would",
    )


class Addresses:
    """Loopback source addresses, each used for at most one limit's worth of requests."""

    def __init__(self) -> None:
        self._next = 0

    def take(self) -> str:
        slot = self._next
        self._next += 1
        return f"127.{1 + slot // (254 * 256)}.{slot // 254 % 256}.{1 + slot % 254}"


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(args: Sequence[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, *CLI, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"`clearinghouse {' '.join(args)}` failed:\n{done.stderr[-2000:]}")


@contextlib.contextmanager
def server(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``clearinghouse serve`` until the block ends (then SIGTERM, and SIGKILL if stuck)."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, *CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_ready(process, port, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{tail(log)}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready within 60 s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def route_problem(base: str) -> str | None:
    """Why the report route cannot be benchmarked, or None when it is served."""
    schema = httpx.get(f"{base}/openapi.json", timeout=10).json()
    operation = schema.get("paths", {}).get(ROUTE, {}).get("post")
    if operation is None:
        return (
            f"POST {ROUTE} is not served by this build (the public report route comes with "
            "issue #3's cases API); nothing to measure"
        )
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return f"POST {ROUTE} does not take JSON here (it takes {sorted(content)})"
    return None


# --- the load ------------------------------------------------------------------------------


def report_body(number: int, rng: random.Random) -> bytes:
    """A plausible public report; text varied so that few are flagged as duplicates."""
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(40, 120)))
    body: dict[str, Any] = {
        "title": f"bench report {number}: {' '.join(rng.sample(_WORDS, 5))}",
        "product": rng.choice(_PRODUCTS),
        "affected_versions": f"{rng.randint(1, 9)}.{rng.randint(0, 20)}",
        "description": f"Report {number} ({uuid.uuid4()}). {words}",
        "impact": " ".join(rng.sample(_WORDS, 12)),
        "exploited": rng.choice(("yes", "no", "unknown")),
        "credit_preference": "anonymous",
    }
    if rng.random() < 0.2:
        body["cves"] = [f"CVE-2026-{rng.randint(10_000, 99_999)}"]
    if rng.random() < 0.3:
        body["references"] = [f"https://example.org/advisories/{rng.randint(1, 10**9)}"]
    return orjson.dumps(body)


@dataclass(slots=True)
class Load:
    """One round's observations, client side."""

    latencies: list[float] = field(default_factory=list)  # every completed request
    accepted_latencies: list[float] = field(default_factory=list)  # 201s only
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    acknowledged: list[uuid.UUID] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # first few unexpected answers
    seconds: float = 0.0
    sent: int = 0


async def run_load(
    base: str, bodies: Sequence[bytes], clients: int, duration: float,
    plan: LimitPlan, addresses: Addresses,
) -> Load:  # fmt: skip
    load = Load()
    queue = iter(range(len(bodies)))
    deadline = time.monotonic() + duration
    headers = {"content-type": "application/json"}

    async def client() -> None:
        session: httpx.AsyncClient | None = None
        used = 0
        try:
            for number in queue:
                if time.monotonic() > deadline:
                    return
                if session is None or (plan.per_address and used >= plan.per_address):
                    if session is not None:
                        await session.aclose()
                    local = addresses.take() if plan.per_address else None
                    transport = httpx.AsyncHTTPTransport(local_address=local)
                    session = httpx.AsyncClient(base_url=base, transport=transport, timeout=30)
                    used = 0
                used += 1
                load.sent += 1
                started = time.perf_counter()
                try:
                    response = await session.post(ROUTE, content=bodies[number], headers=headers)
                except httpx.HTTPError as exc:
                    load.errors[type(exc).__name__] += 1
                    continue
                took = time.perf_counter() - started
                load.latencies.append(took)
                load.statuses[response.status_code] += 1
                if response.status_code == 201:
                    load.accepted_latencies.append(took)
                    load.acknowledged.append(uuid.UUID(response.json()["id"]))
                elif len(load.problems) < 5:
                    load.problems.append(f"{response.status_code}: {response.text[:300]}")
        finally:
            if session is not None:
                await session.aclose()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    load.seconds = time.perf_counter() - started
    return load


def stored_reports(url: str) -> set[uuid.UUID]:
    """Every report id in the database (read after the server has stopped)."""
    from sqlalchemy import create_engine, select

    from clearinghouse.cases.models import Report

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(select(Report.id)))
    finally:
        engine.dispose()


def summarise(load: Load, before: int) -> dict[str, Any]:
    accepted = load.accepted_latencies
    return {
        "reports_in_database_before": before,
        "sent": load.sent,
        "statuses": {str(k): v for k, v in sorted(load.statuses.items())},
        "errors": dict(load.errors),
        "accepted": len(accepted),
        "seconds": load.seconds,
        "throughput_per_second": len(accepted) / load.seconds if load.seconds else 0.0,
        "p50_seconds": percentile(accepted, 50),
        "p95_seconds": percentile(accepted, 95),
        "p99_seconds": percentile(accepted, 99),
        "max_seconds": max(accepted, default=float("nan")),
        "p99_all_answers_seconds": percentile(load.latencies, 99),
        "unexpected_answers": load.problems,
    }


# --- the run -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.intake", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="5 clients, 40 requests, 1 round")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 50)")
    parser.add_argument("--requests", type=int, help="requests per round (default 2000)")
    parser.add_argument("--rounds", type=int, help="rounds, reported apart and as median (3)")
    parser.add_argument("--duration", type=float, default=120.0, help="max seconds per round")
    parser.add_argument("--warmup", type=int, help="unmeasured requests first (default 100)")
    parser.add_argument("--postgres", metavar="URL", help="postgresql+psycopg://... (else SQLite)")
    parser.add_argument("--seed", type=int, default=20211209)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="where the JSON goes")
    args = parser.parse_args(argv)
    quick = args.quick
    args.clients = args.clients or (5 if quick else 50)
    args.requests = args.requests or (40 if quick else 2000)
    args.rounds = args.rounds or (1 if quick else 3)
    args.warmup = args.warmup if args.warmup is not None else (5 if quick else 100)
    return args


def print_tables(payload: dict[str, Any]) -> None:
    table = Table(
        title=f"Report intake, {payload['clients']} concurrent clients, {payload['database']}"
    )
    columns = ("round", "in DB before", "sent", "201", "429", "other", "errors",
               "reports/s", "p50", "p95", "p99", "max")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    for number, row in enumerate(payload["rounds"], 1):
        statuses = row["statuses"]
        other = sum(v for k, v in statuses.items() if k not in {"201", "429"})
        table.add_row(
            str(number), f"{row['reports_in_database_before']:,}", f"{row['sent']:,}",
            f"{statuses.get('201', 0):,}", f"{statuses.get('429', 0):,}", str(other),
            str(sum(row["errors"].values())), f"{row['throughput_per_second']:.0f}",
            fmt_ms(row["p50_seconds"]), fmt_ms(row["p95_seconds"]),
            fmt_ms(row["p99_seconds"]), fmt_ms(row["max_seconds"]),
        )  # fmt: skip
    median = payload["median_of_rounds"]
    table.add_row(
        "median", "", "", "", "", "", "", f"{median['throughput_per_second']:.0f}",
        fmt_ms(median["p50_seconds"]), fmt_ms(median["p95_seconds"]),
        fmt_ms(median["p99_seconds"]), "",
    )  # fmt: skip
    console.print(table)
    lost = payload["lost"]
    p99 = median["p99_seconds"]
    verdict = "met" if p99 < TARGET_P99_SECONDS else "missed"
    unanswered = payload["stored_unacknowledged"]
    console.print(
        f"target p99 < {fmt_ms(TARGET_P99_SECONDS)}: {verdict} ({fmt_ms(p99)}); "
        f"target zero lost: {'met' if lost == 0 else 'missed'} ({lost} lost; "
        f"{payload['acknowledged']:,} acknowledged, {payload['stored_new']:,} stored"
        + (f", {unanswered} stored without an answer)" if unanswered else ")")
    )
    for row in payload["rounds"]:
        for problem in row["unexpected_answers"][:2]:
            console.print(f"[yellow]unexpected answer: {problem}[/]")


def median_of(rounds: Sequence[dict[str, Any]], key: str) -> float:
    return float(statistics.median(float(row[key]) for row in rounds))


def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any] | str:
    url = args.postgres or f"sqlite:///{workdir / 'bench.db'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    plan = rate_limit_plan()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARINGHOUSE_")}
    env.update(
        CLEARINGHOUSE_DATABASE_URL=url,
        CLEARINGHOUSE_DATA_DIR=str(workdir / "data"),
        CLEARINGHOUSE_WORKER_IN_PROCESS="false",
        CLEARINGHOUSE_LOG_LEVEL="WARNING",
        CLEARINGHOUSE_BASE_URL=base,
        **plan.environment,
    )
    console.print(plan.note)
    if args.postgres:
        console.print("[yellow]PostgreSQL: the bench adds its reports to that database[/]")
    run_cli(["db", "upgrade"], env)
    baseline = stored_reports(url)
    rng = random.Random(args.seed)
    addresses = Addresses()
    rounds: list[dict[str, Any]] = []
    acknowledged: set[uuid.UUID] = set()
    log = workdir / "server.log"
    with server(env, port, log):
        problem = route_problem(base)
        if problem:
            return problem
        if args.warmup:
            bodies = [report_body(-1 - n, rng) for n in range(args.warmup)]
            warm = asyncio.run(run_load(base, bodies, args.clients, 120, plan, addresses))
            acknowledged.update(warm.acknowledged)
            if not warm.acknowledged:
                return f"no report was accepted during the warm-up: {warm.problems[:2]}"
        for number in range(args.rounds):
            bodies = [report_body(number * args.requests + n, rng) for n in range(args.requests)]
            before = len(baseline) + len(acknowledged)
            with console.status(f"round {number + 1}/{args.rounds}: {args.requests:,} reports"):
                load = asyncio.run(
                    run_load(base, bodies, args.clients, args.duration, plan, addresses)
                )
            acknowledged.update(load.acknowledged)
            rounds.append(summarise(load, before))
            console.print(
                f"round {number + 1}: {len(load.acknowledged):,} accepted, "
                f"p99 {fmt_ms(rounds[-1]['p99_seconds'])}"
            )
    stored = stored_reports(url) - baseline
    keys = ("throughput_per_second", "p50_seconds", "p95_seconds", "p99_seconds")
    return {
        "database": "PostgreSQL" if args.postgres else "SQLite",
        "clients": args.clients,
        "requests_per_round": args.requests,
        "warmup": args.warmup,
        "rate_limit": plan.note,
        "rounds": rounds,
        "median_of_rounds": {key: median_of(rounds, key) for key in keys},
        "acknowledged": len(acknowledged),
        "stored_new": len(stored),
        "lost": len(acknowledged - stored),
        "stored_unacknowledged": len(stored - acknowledged),
        "target_p99_seconds": TARGET_P99_SECONDS,
        "versions": {p: package_version(p) for p in ("clearinghouse", "uvicorn", "httpx")},
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clearinghouse-bench-intake-") as temporary:
        try:
            result = measure(args, Path(temporary))
        except RuntimeError as exc:
            console.print(f"[red]intake benchmark failed: {exc}[/]")
            return 1
    if isinstance(result, str):
        console.print(f"[red]intake benchmark cannot run: {result}[/]")
        write_result(NAME, {"not_run": result}, args.out_dir)
        return 2
    print_tables(result)
    path = write_result(NAME, result, args.out_dir)
    console.print(f"results: {path}")
    return 0 if result["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
