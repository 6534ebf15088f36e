"""The routing benchmark runs, both sides pick the same route for every path (the
benchmark stops otherwise), and the record holds what the docs quote. Speed is not
asserted."""

from __future__ import annotations

import json
from pathlib import Path

from bench import routing


def test_the_routing_bench_runs_and_the_sides_agree(tmp_path: Path) -> None:
    assert routing.main(["--quick", "--out-dir", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "routing.json").read_text())
    assert [p["path"] for p in record["paths"]] == [p for _, _, p in routing.PATHS]
    by_path = {p["path"]: p for p in record["paths"]}
    assert by_path["/osv/v1/query"]["found"][1] == "FULL"
    assert by_path["/no/such/path"]["found"] is None
    for row in record["paths"]:
        assert row["gated_seconds"] > 0
        assert row["fastapi_seconds"] > 0
