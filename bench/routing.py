"""Routing: how long the platform's router takes to find a request's route, with each router
gated (``clearinghouse.api.routing``, what the platform serves) and as FastAPI built it
(every included router asked in turn), in the same run on the same application.

Question: what does finding the route cost a request, by where its route sits among the
platform's ~280? Data: the application ``create_app`` builds (no database is opened), and
one path per kind of client: a TAXII page, the OSV API, the REST API, a page, the health
check, and a path no route serves (a 404, which asks every router). Timed: the router's
own loop, as the framework runs it (each route's ``matches`` until a full match), median
of ``--rounds`` rounds of ``--repeat`` requests each; the ratio is FastAPI's time over
the gated one's. Agreement: both sides must pick the same entry of the app, the same way
(a full match, a method mismatch, none), or the run stops.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from rich.table import Table
from starlette.routing import Match

from bench.common import OUT_DIR, console, write_result

NAME: Final = "routing"
PATHS: Final = (
    ("TAXII page", "GET", "/taxii2/root/collections/bench/objects/"),
    ("OSV query", "POST", "/osv/v1/query"),
    ("REST advisories", "GET", "/api/v1/advisories"),
    ("page (dashboard)", "GET", "/dashboard"),
    ("health check", "GET", "/healthz"),
    ("no such path", "GET", "/no/such/path"),
)


def application(folder: Path) -> FastAPI:
    from clearinghouse.app import create_app
    from clearinghouse.settings import Settings

    settings = Settings(environment="test", database_url=f"sqlite:///{folder / 'ch.db'}")
    return create_app(settings, background=[])


def ungated(app: FastAPI) -> list[Any]:
    """The app's routes as FastAPI built them: each gated router back to a plain one."""
    return [
        _IncludedRouter(original_router=r.original_router, include_context=r.include_context)
        if isinstance(r, _IncludedRouter)
        else r
        for r in app.router.routes
    ]


def _scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def match_seconds(routes: list[Any], method: str, path: str, repeat: int) -> float:
    """Seconds for one request to find its route, as the router's loop does."""
    started = time.perf_counter()
    for _ in range(repeat):
        scope = _scope(method, path)
        for route in routes:
            if route.matches(scope)[0] is Match.FULL:
                break
    return (time.perf_counter() - started) / repeat


def found(routes: list[Any], method: str, path: str) -> tuple[int, str] | None:
    """Which of the app's entries takes the request, and how (the two sides must agree)."""
    scope = _scope(method, path)
    for i, route in enumerate(routes):
        match = route.matches(scope)[0]
        if match is not Match.NONE:
            return i, match.name
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.routing", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (smoke run)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=500)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    rounds, repeat = (2, 50) if args.quick else (args.rounds, args.repeat)
    with tempfile.TemporaryDirectory() as folder:
        app = application(Path(folder))
    sides = {"gated": list(app.router.routes), "fastapi": ungated(app)}
    rows: list[dict[str, Any]] = []
    for label, method, path in PATHS:
        answers = {side: found(routes, method, path) for side, routes in sides.items()}
        if len(set(answers.values())) != 1:
            console.print(f"[red]{path}: the sides disagree: {answers}[/red]")
            return 1
        times: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(rounds):  # the sides alternate, so a slower moment hits both
            for side, routes in sides.items():
                times[side].append(match_seconds(routes, method, path, repeat))
        rows.append(
            {
                "label": label,
                "path": path,
                "found": answers["gated"],
                **{f"{side}_seconds": statistics.median(t) for side, t in times.items()},
            }
        )
    table = Table(title="Finding a request's route (median per request)")
    for column in ("request", "path", "FastAPI's", "gated", "FastAPI's / gated"):
        table.add_column(column, justify="left" if column in ("request", "path") else "right")
    for row in rows:
        table.add_row(
            row["label"],
            row["path"],
            f"{row['fastapi_seconds'] * 1e6:.0f} us",
            f"{row['gated_seconds'] * 1e6:.0f} us",
            f"{row['fastapi_seconds'] / row['gated_seconds']:.1f}x",
        )
    console.print(table)
    write_result(NAME, {"routes": len(app.routes), "paths": rows}, args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
