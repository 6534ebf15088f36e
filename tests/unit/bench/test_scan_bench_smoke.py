"""Smoke tests of the scanner benchmarks: they run at tiny sizes and record what the docs
quote (speed is not asserted; recall, false positives and accuracy are)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from bench import scan_jars, scan_logs


def test_scan_logs_quick_run_records_full_recall_and_no_false_positive(tmp_path: Path) -> None:
    assert scan_logs.main(["--quick", "--out-dir", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "scan_logs.json").read_text())
    ours = result["sides"]["ours"]
    assert (ours["recall"], ours["false_positives"]) == (1.0, 0)
    assert result["ours_hosts_decoded"] == result["attempts"] == 1_000
    assert set(result["sides"]) == {"ours", "grep -E", "naive regex"}
    assert all(len(side["benign_seconds"]) == 3 for side in result["sides"].values())


@pytest.mark.slow
@pytest.mark.shared_data
def test_scan_jars_quick_run_compares_with_syft(tmp_path: Path, shared_data: Path) -> None:
    syft = shutil.which("syft") or str(Path(sys.executable).parent / "syft")
    if not Path(syft).exists():
        pytest.skip("syft is not installed (requirements/bench.txt)")
    args = [
        "--quick",
        "--no-usr-share-java",
        "--data",
        str(shared_data),
        "--out-dir",
        str(tmp_path),
    ]
    assert scan_jars.main(args) == 0
    result = json.loads((tmp_path / "scan_jars.json").read_text())
    sides = result["trees"]["generated corpus"]
    ours = sides["ours (python -m clearinghouse.scan)"]["accuracy"]
    assert ours["wrong"] == ours["missed"] == 0
    assert sides["syft"]["accuracy"]["exact"] <= ours["exact"]
