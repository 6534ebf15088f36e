"""The pages benchmark runs on the demo and times every page it lists (speed is not
asserted: benchmarks report it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BENCH = [sys.executable, "-m", "bench.pages"]


@pytest.mark.slow
def test_the_pages_benchmark_times_every_page(tmp_path: Path) -> None:
    # A process of its own: the demo replay runs its own event loop, which cannot start
    # where one already runs (the browser suite's Playwright keeps one in this process).
    done = subprocess.run(
        [*BENCH, "--requests", "2", "--warmup", "1", "--out-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads((tmp_path / "pages.json").read_text())
    assert result["requests"] == 2
    visitors = {row["visitor"] for row in result["pages"]}
    assert visitors == {"anonymous", "finder", "vendor", "operator", "member", "admin", "exposed"}
    for row in result["pages"]:
        assert len(row["server_seconds"]) == 2
        assert 0 < row["median_seconds"] <= max(row["client_seconds"])
