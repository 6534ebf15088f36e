"""The alert-scan benchmark runs on a tiny population and its hard check holds: a quiet
incremental pass derives nothing, a busy one exactly the subjects that changed."""

from __future__ import annotations

import json
from pathlib import Path

from bench import alerts


def test_alert_bench_runs_and_checks(tmp_path: Path) -> None:
    status = alerts.main(
        ["--subjects", "60", "--changed", "4", "--runs", "2", "--out-dir", str(tmp_path)]
    )
    assert status == 0
    result = json.loads((tmp_path / "alerts.json").read_text())
    assert result["derived"] == {"quiet": [0], "busy": [4]}
    assert result["obligations"] > 0
