"""What every benchmark shares: where data and results live, statistics, the JSON record.

Why medians and ratios: the machines are shared and noisy, so one timing says little.
Each benchmark repeats its measurement, quotes the median, and where a peer exists
measures it in the same process, interleaved run by run, so a busy neighbour slows
both sides alike and the ratio survives.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import orjson
from rich.console import Console

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
OUT_DIR = REPO / "bench" / "out"

# Wide enough for the tables when the output goes to a file or a pipe (rich assumes 80).
console = Console(highlight=False, width=None if sys.stdout.isatty() else 132)
_T = TypeVar("_T")


@dataclass(slots=True)
class Timings:
    """Wall-clock seconds of repeated runs of one workload."""

    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def rate(self, items: int) -> float:
        """Items per second at the median run."""
        return items / self.median if self.median > 0 else math.inf


def time_once(work: Callable[[], _T]) -> tuple[float, _T]:
    """Run ``work`` once; its duration in seconds and its result."""
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..100) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    """Enough about the machine to read the figures in context (load included)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": load,
    }


def utc_stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def write_result(name: str, payload: dict[str, Any], out_dir: Path = OUT_DIR) -> Path:
    """Write ``<out_dir>/<name>.json`` (default ``bench/out/``, git-ignored); its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    record = {"benchmark": name, "finished_at": utc_stamp(), "machine": machine(), **payload}
    path.write_bytes(
        orjson.dumps(record, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    )
    return path


def fmt_rate(value: float) -> str:
    """Rows per second, readable: 1.23M, 187k, 950."""
    if math.isnan(value):
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e3:
        return f"{value / 1e3:.0f}k"
    return f"{value:.0f}"


def fmt_ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
