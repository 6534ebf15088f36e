"""Log scan: lines per second on a large benign access log, recall on generated
obfuscations, false positives, against ``grep -E`` with the pattern published widely in
December 2021 and a naive Python regex, in the same run.

Data (``bench/scan_logs_corpus.py``, seeded): ``--benign`` access-log lines (about 2 % of
them carry a ``${`` that is no attack, some carry UTF-8 or percent-encoded bytes) and
``--attempts`` obfuscated payloads (nested lookups, percent-encoding once and twice,
``\\u``/``\\x`` escapes, HTML references), each in a random field of a log line, written
to files in a temporary folder. Each side reads the same file: ours
(:func:`clearinghouse.scan.logs.scan_logs`, in-process), ``grep -E -i -c`` (a process),
and a Python loop over the lines with one case-insensitive ``${jndi:`` regex. Runs are
interleaved; the table quotes medians. Recall counts attempt lines flagged; ours is also
checked to decode each attempt's callback host.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from rich.table import Table

from bench.common import OUT_DIR, console, fmt_ms, fmt_rate, write_result
from bench.scan_logs_corpus import attempts, benign_lines
from clearinghouse.scan.logs import scan_logs

NAME: Final = "scan_logs"
# The pattern most advisories and blog posts of December 2021 told operators to grep for.
GREP_PATTERN: Final = r"\$(\{|%7B)jndi:(ldap[s]?|rmi|dns|nis|iiop|corba|nds|http):/[^\n]+"
NAIVE: Final = re.compile(rb"\$\{jndi:", re.IGNORECASE)
TARGET_LINES_PER_SECOND: Final = 1_000_000

Counter = Callable[[Path], tuple[int, set[int]]]  # (lines flagged, line numbers if known)


def ours(path: Path) -> tuple[int, set[int]]:
    scan = scan_logs([path])
    lines = {f.line for f in scan.findings}
    return len(lines), lines


def grep(path: Path) -> tuple[int, set[int]]:
    done = subprocess.run(
        ["grep", "-E", "-i", "-c", GREP_PATTERN, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return int(done.stdout.strip() or 0), set()


def naive(path: Path) -> tuple[int, set[int]]:
    flagged = set()
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if NAIVE.search(line):
                flagged.add(number)
    return len(flagged), flagged


SIDES: Final[dict[str, Counter]] = {"ours": ours, "grep -E": grep, "naive regex": naive}


def measure(path: Path, runs: int) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {name: {"seconds": []} for name in SIDES}
    names = list(SIDES)
    for run in range(runs):
        for name in names if run % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            flagged, lines = SIDES[name](path)
            results[name]["seconds"].append(time.perf_counter() - started)
            results[name]["flagged"] = flagged
            results[name]["lines"] = sorted(lines)
    return results


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scan_logs", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small corpora, 3 runs (smoke)")
    parser.add_argument("--benign", type=int, default=1_000_000, help="benign lines")
    parser.add_argument("--attempts", type=int, default=10_000, help="obfuscated attempts")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (>= 3)")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="where the JSON goes")
    args = parser.parse_args(argv)
    if args.quick:
        args.benign, args.attempts, args.runs = 20_000, 1_000, 3
    args.runs = max(args.runs, 3)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("grep") is None:
        console.print("grep is not installed")
        return 2
    with tempfile.TemporaryDirectory(prefix="scan-logs-") as scratch:
        benign_path = Path(scratch) / "benign.log"
        benign_path.write_text("\n".join(benign_lines(args.benign)) + "\n", encoding="utf-8")
        generated = list(attempts(args.attempts))
        attempts_path = Path(scratch) / "attempts.log"
        attempts_path.write_text("\n".join(a.line for a in generated) + "\n", encoding="utf-8")
        benign = measure(benign_path, args.runs)
        attacked = measure(attempts_path, 1)
        host_check = _hosts_decoded(attempts_path, [a.host for a in generated])
    result = {
        "benign_lines": args.benign,
        "attempts": args.attempts,
        "runs": args.runs,
        "grep_pattern": GREP_PATTERN,
        "sides": {
            name: {
                "benign_seconds": benign[name]["seconds"],
                "benign_median_seconds": statistics.median(benign[name]["seconds"]),
                "lines_per_second": args.benign / statistics.median(benign[name]["seconds"]),
                "false_positives": benign[name]["flagged"],
                "attempts_flagged": attacked[name]["flagged"],
                "recall": attacked[name]["flagged"] / args.attempts,
            }
            for name in SIDES
        },
        "ours_hosts_decoded": host_check,
    }
    _print(result)
    write_result(NAME, result, args.out_dir)
    ours_side = result["sides"]["ours"]
    hard_checks = ours_side["recall"] == 1.0 and ours_side["false_positives"] == 0
    return 0 if hard_checks else 1


def _hosts_decoded(path: Path, hosts: list[str]) -> int:
    """Attempt lines whose callback host ours decoded exactly."""
    scan = scan_logs([path])
    by_line: dict[int, set[str | None]] = {}
    for finding in scan.findings:
        by_line.setdefault(finding.line, set()).add(finding.payload.host)
    return sum(1 for n, host in enumerate(hosts, 1) if host in by_line.get(n, set()))


def _print(result: dict[str, Any]) -> None:
    ours_side = result["sides"]["ours"]
    table = Table(
        title=f"scan logs: {result['benign_lines']:,} benign lines, {result['attempts']:,} "
        f"obfuscated attempts (medians of {result['runs']} runs)"
    )
    for column in ("side", "benign time", "lines/s", "ours / side", "false positives", "recall"):
        table.add_column(column)
    for name, side in result["sides"].items():
        table.add_row(
            name,
            fmt_ms(side["benign_median_seconds"]),
            fmt_rate(side["lines_per_second"]),
            "-"
            if name == "ours"
            else f"{ours_side['lines_per_second'] / side['lines_per_second']:.2f}x",
            str(side["false_positives"]),
            f"{side['attempts_flagged']:,} / {result['attempts']:,} ({side['recall']:.1%})",
        )
    console.print(table)
    console.print(
        f"ours decoded the exact callback host of {result['ours_hosts_decoded']:,} of "
        f"{result['attempts']:,} attempts; target >= {TARGET_LINES_PER_SECOND:,} lines/s: "
        + ("met" if ours_side["lines_per_second"] >= TARGET_LINES_PER_SECOND else "NOT met")
    )


if __name__ == "__main__":
    sys.exit(main())
