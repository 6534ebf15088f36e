"""The open-loop load benchmark runs (a real server on the Log4Shell replay, two seconds at
five requests per second) and its hard checks hold: every acknowledged report stored
once, one audit entry each, the chain verifying. Speed is not asserted here."""

from __future__ import annotations

import json
from pathlib import Path

from bench import load


def test_load_bench_runs_and_loses_nothing(tmp_path: Path) -> None:
    status = load.main(
        ["--duration", "2", "--warmup", "0", "--sqlite-rate", "5", "--out-dir", str(tmp_path)]
    )
    result = json.loads((tmp_path / "load.json").read_text())
    assert result["hard_failures"] == []
    assert status == 0
    (sqlite,) = result["results"]
    assert sqlite["offered"] == 10
    assert sqlite["server_errors"] == 0
    assert sqlite["reports_lost"] == 0
    assert sqlite["reports_stored"] == sqlite["reports_acknowledged"]
    assert sqlite["report_received_audit_entries"] == sqlite["reports_stored"]
    assert sqlite["audit_verifies"] is True
