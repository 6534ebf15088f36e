"""Smoke test of the TAXII benchmark: a tiny run against both servers completes, both
return exactly the objects posted (the benchmark raises otherwise), and the record holds
every figure the docs quote. Speed is not asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench import taxii

pytestmark = pytest.mark.slow


def test_a_tiny_run_against_both_servers(tmp_path: Path) -> None:
    assert taxii.main(["--sizes", "120", "--out-dir", str(tmp_path)]) == 0
    (row,) = json.loads((tmp_path / "taxii.json").read_text())["sizes"]
    assert row["n"] == 120
    assert set(row["sides"]) == {"clearinghouse", "medallion"}
    for side in row["sides"].values():
        assert side["pages"] == 1
        assert side["ingest_per_second"] > 0
        assert side["request_seconds"] > 0
    ours, peer = row["sides"]["clearinghouse"], row["sides"]["medallion"]
    assert ours["noop_request_seconds"] > 0
    assert ours["storage_seconds"] > 0
    assert ours["transport_seconds"] > 0
    assert peer["storage_seconds"] is None  # the bounds are our server's
    assert row["floor_seconds"] > 0


def test_the_bounds_follow_the_cursor_across_pages(tmp_path: Path) -> None:
    """Three pages: the storage walk replays the server's statement after each cursor and
    must read the N objects once each (it raises otherwise); the transport walk serves the
    three pages the server sent."""
    assert taxii.main(["--sizes", "2100", "--peer-max", "0", "--out-dir", str(tmp_path)]) == 0
    (row,) = json.loads((tmp_path / "taxii.json").read_text())["sizes"]
    ours = row["sides"]["clearinghouse"]
    assert ours["pages"] == 3
    assert ours["storage_seconds"] > 0
    assert ours["transport_seconds"] > 0


def test_generated_objects_are_valid_and_distinct() -> None:
    from clearinghouse.formats import stix

    objects = taxii.objects(300)
    assert len({o["id"] for o in objects}) == 300
    assert len({o["pattern"] for o in objects}) == 300
    for obj in objects[:20]:
        assert stix.check(obj).fast
