"""``python -m bench`` (``make bench``): every benchmark in turn, at its default sizes.

``--quick`` passes on to each benchmark (tiny sizes, for a smoke run). Each benchmark
prints its own tables and writes ``bench/out/<name>.json``; this runner adds a closing
line per benchmark with its exit status (0 ran, 1 failed or missed a hard check such as
a lost report, 2 could not run: a missing peer library or route).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Final

from bench import alerts, intake, load, matching, pages, routing, scan_jars, scan_logs, taxii
from bench.common import console

BENCHMARKS: Final[dict[str, Callable[[Sequence[str] | None], int]]] = {
    "matching": matching.main,
    "intake": intake.main,
    "scan_jars": scan_jars.main,
    "scan_logs": scan_logs.main,
    "alerts": alerts.main,
    "load": load.main,
    "pages": pages.main,
    "taxii": taxii.main,
    "routing": routing.main,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run every benchmark in turn at its default sizes."
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke run)")
    parser.add_argument(
        "--only", action="append", choices=sorted(BENCHMARKS), help="run only these (repeatable)"
    )
    args = parser.parse_args(argv)
    passed = ["--quick"] if args.quick else []
    statuses: dict[str, int] = {}
    for name, run in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        console.rule(f"bench.{name}")
        statuses[name] = run(passed)
    console.rule("summary")
    meaning = {0: "ran", 1: "failed or missed a hard check", 2: "could not run"}
    for name, status in statuses.items():
        console.print(f"{name}: {meaning.get(status, 'exit ' + str(status))} (exit {status})")
    return max(statuses.values(), default=0)


if __name__ == "__main__":
    sys.exit(main())
