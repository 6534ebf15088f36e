"""Smoke tests of the benchmarks: they run, on tiny synthetic data, and their two
matchers agree with each other and with hand-checked answers (speed is not asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench import matching
from bench import matching_peer as peer
from bench.common import percentile
from bench.matching_data import (
    Component,
    Fleet,
    build_fleet,
    package_key,
    records_from_dicts,
    synthetic_projects,
    synthetic_records,
)

needs_univers = pytest.mark.skipif(
    not peer.univers_available(), reason="univers is not installed (requirements/bench.txt)"
)


def fleet_of(components: list[Component]) -> Fleet:
    return Fleet(
        packages=[package for package, _ in components],
        versions=[version for _, version in components],
        orgs=list(range(len(components))),
        organisations=len(components),
    )


def both_match(
    records: list[dict[str, object]], fleet: Fleet
) -> tuple[list[int], list[int], list[str]]:
    entries = records_from_dicts(records).entries
    advisories = sorted({entry.advisory for entry in entries})
    numbers = {advisory: n for n, advisory in enumerate(advisories)}
    ours = matching.match_ours(matching.build_ours(entries, numbers), fleet, len(advisories))
    theirs = peer.match(peer.PeerIndex(entries, numbers), fleet, len(advisories))
    return ours, theirs, advisories


@needs_univers
def test_quick_synthetic_run_agrees(tmp_path: Path) -> None:
    assert matching.main(["--quick", "--synthetic", "--out-dir", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "matching.json").read_text())
    assert [row["rows"] for row in result["sizes"]] == list(matching.QUICK_SIZES)
    for row in result["sizes"]:
        assert row["disagreements"]["count"] == 0
        assert row["matches_ours"] == row["matches_peer"] > 0
        assert len(row["ours_seconds"]) == len(row["peer_seconds"]) == 3
    lookup = result["new_advisory"]
    assert lookup["affected_organisations"] > 0
    assert lookup["agrees_with_full_matching"]
    assert lookup["agrees_with_peer"]


@needs_univers
def test_both_sides_find_the_hand_checked_matches() -> None:
    components = [c for project in synthetic_projects() for c in project]
    fleet = fleet_of(components)
    ours, theirs, advisories = both_match(synthetic_records(), fleet)
    stride = len(advisories)
    found = {
        (
            fleet.packages[code // stride][1],
            fleet.versions[code // stride],
            advisories[code % stride],
        )
        for code in ours
    }
    assert ours == theirs
    assert found == {
        ("jinja2", "2.10.1", "PYSEC-0000-1"),  # below fixed 2.11.3
        ("django", "3.2.18", "PYSEC-0000-2"),  # inside [3.2, 3.2.19)
        ("django", "4.2.1", "PYSEC-0000-2"),  # last_affected is inclusive
        ("pillow", "8.0.1", "PYSEC-0000-4"),  # GIT-only entry: listed versions count
        ("lodash", "4.17.20", "GHSA-0000-0000-0002"),
        ("org.apache.logging.log4j:log4j-core", "2.14.1", "GHSA-0000-0000-0001"),
        ("smallvec", "1.6.0", "RUSTSEC-0000-0001"),
    }  # not: requests 2.31.0 (fixed), django 4.2.2, smallvec 0.6.2, log4j-core 2.17.1


@needs_univers
def test_univers_maven_qualifier_shows_up_as_a_disagreement() -> None:
    # Spring4Shell's GHSA record fixes the 5.2 line at "5.2.20.RELEASE". Maven (and our
    # comparator) read that as 5.2.20; univers orders it above 5.2.20.
    record: dict[str, object] = {
        "id": "GHSA-0000-0000-0003",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "Maven", "name": "org.springframework:spring-beans"},
                "ranges": [
                    {
                        "type": "ECOSYSTEM",
                        "events": [{"introduced": "0"}, {"fixed": "5.2.20.RELEASE"}],
                    }
                ],
            }
        ],
    }
    key = package_key("Maven", "org.springframework:spring-beans")
    fleet = fleet_of([(key, "5.2.19.RELEASE"), (key, "5.2.20"), (key, "5.2.20.RELEASE")])
    ours, theirs, advisories = both_match([record], fleet)
    assert ours == [0]  # only 5.2.19.RELEASE
    assert theirs == [0, 1]  # univers also flags 5.2.20
    report = matching.disagreements(ours, theirs, fleet, advisories, len(advisories))
    assert (report["count"], report["ours_only"], report["peer_only"]) == (1, 0, 1)
    assert report["examples"][0]["version"] == "5.2.20"


def test_fleet_has_the_asked_rows_and_is_reproducible() -> None:
    projects = synthetic_projects()
    advised = {package_key("PyPI", "django"): ["3.2", "4.1.9"]}
    first = build_fleet(projects, advised, rows=1234, advised_per_org=1, seed=7)
    again = build_fleet(projects, advised, rows=1234, advised_per_org=1, seed=7)
    assert len(first) == 1234
    assert (first.packages, first.versions, first.orgs) == (
        again.packages,
        again.versions,
        again.orgs,
    )
    assert first.orgs[-1] == first.organisations - 1


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (
        50,
        99,
        100,
    )
    assert percentile([3.0], 99) == 3.0


def test_new_inventory_bench_runs_on_synthetic_data(tmp_path: Path) -> None:
    from bench import new_inventory

    argv = ["--synthetic", "--fleet-rows", "200", "--runs", "1", "--out-dir", str(tmp_path)]
    assert new_inventory.main(argv) == 0
    result = json.loads((tmp_path / "new_inventory.json").read_text())
    assert result["components"] == new_inventory.COMPONENTS
    (backend,) = result["backends"]
    assert backend["median"]["pairs"] > 0
    assert backend["median"]["upload_and_match"] > 0
