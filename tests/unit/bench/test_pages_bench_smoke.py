"""The pages benchmark runs on the demo and times every page it lists (speed is not
asserted: benchmarks report it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench import pages


@pytest.mark.slow
def test_the_pages_benchmark_times_every_page(tmp_path: Path) -> None:
    assert pages.main(["--requests", "2", "--warmup", "1", "--out-dir", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "pages.json").read_text())
    assert result["requests"] == 2
    visitors = {row["visitor"] for row in result["pages"]}
    assert visitors == {"anonymous", "finder", "vendor", "operator"}
    for row in result["pages"]:
        assert len(row["server_seconds"]) == 2
        assert 0 < row["median_seconds"] <= max(row["client_seconds"])
