"""``clearinghouse match`` and ``clearinghouse inventory`` as a user runs them (a real
process): the documented exit codes (1 affected, 0 not, 2 bad input), every output
format, SARIF 2.1.0 against its official schema, the progress bar on a terminal only,
``--server`` against a real platform's OSV API, and an upload from the command line."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.conftest import REPO
from tests.support.advisories import AdvisoryPlatform, advisory_platform, create_draft
from tests.unit.scan.test_reports import sarif_schema  # noqa: F401 (fixture)

FIXTURES = REPO / "tests" / "fixtures" / "exposure"
SBOMS = FIXTURES / "sbom"
OSV = FIXTURES / "osv"
COMMAND = [sys.executable, "-c", "from clearinghouse.cli import main; main()"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def advisories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the four Log4Shell GHSA records, written from the fixture ranges."""
    folder = tmp_path_factory.mktemp("osv")
    java8 = [("2.0-beta9", "2.3.1"), ("2.4", "2.12.2")]
    records = {
        "GHSA-jfh8-c2jp-5v3q": ("CVE-2021-44228", [*java8, ("2.13.0", "2.15.0")]),
        "GHSA-7rjr-3q55-vv33": ("CVE-2021-45046", [*java8, ("2.13.0", "2.16.0")]),
        "GHSA-p6xc-xr62-6r2g": (
            "CVE-2021-45105",
            [("2.0-beta9", "2.3.1"), ("2.4", "2.12.3"), ("2.13.0", "2.17.0")],
        ),
        "GHSA-8489-44mv-ggj8": (
            "CVE-2021-44832",
            [("2.0-beta7", "2.3.2"), ("2.4", "2.12.4"), ("2.13.0", "2.17.1")],
        ),
    }
    for ghsa, (cve, ranges) in records.items():
        record = {
            "schema_version": "1.6.0",
            "id": ghsa,
            "modified": "2022-01-01T00:00:00Z",
            "aliases": [cve],
            "summary": f"{cve} in log4j-core",
            "affected": [
                {
                    "package": {
                        "ecosystem": "Maven",
                        "name": "org.apache.logging.log4j:log4j-core",
                    },
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": a}, {"fixed": b}]}
                        for a, b in ranges
                    ],
                }
            ],
        }
        (folder / f"{ghsa}.json").write_text(json.dumps(record))
    return folder


@pytest.mark.parametrize(
    ("sbom", "code", "cves"),
    [
        ("log4j-core-2.14.1.cdx.json", 1, 4),
        ("log4j-core-2.12.2.cdx.json", 1, 2),
        ("log4j-core-2.17.1.cdx.json", 0, 0),
    ],
)
def test_match_exits_1_when_affected_and_0_when_not(
    advisories: Path, sbom: str, code: int, cves: int
) -> None:
    done = run(
        "match", "--sbom", str(SBOMS / sbom), "--advisories", str(advisories), "--format", "json"
    )
    assert done.returncode == code, done.stderr
    report = json.loads(done.stdout)
    assert len({a for f in report["findings"] for a in f["aliases"]}) == cves


def test_match_exits_2_on_bad_input(advisories: Path, tmp_path: Path) -> None:
    broken = tmp_path / "bom.json"
    broken.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [{}]}')
    done = run("match", "--sbom", str(broken), "--advisories", str(advisories))
    assert done.returncode == 2
    assert "components[0]" in done.stderr
    missing = run("match", "--sbom", str(tmp_path / "none.json"), "--advisories", str(advisories))
    assert missing.returncode == 2
    neither = run("match", "--sbom", str(SBOMS / "log4j-core-2.14.1.cdx.json"))
    assert neither.returncode == 2


def test_sarif_output_is_valid_sarif_2_1_0(
    advisories: Path,
    sarif_schema: dict[str, Any],  # noqa: F811
) -> None:
    done = run(
        "match",
        "--sbom",
        str(SBOMS / "log4j-core-2.12.2.cdx.json"),
        "--advisories",
        str(advisories),
        "--format",
        "sarif",
    )
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert [e.message for e in Draft4Validator(sarif_schema).iter_errors(document)] == []
    (sarif_run,) = document["runs"]
    assert {r["ruleId"] for r in sarif_run["results"]} == {
        "GHSA-p6xc-xr62-6r2g",
        "GHSA-8489-44mv-ggj8",
    }
    location = sarif_run["results"][0]["locations"][0]
    assert location["logicalLocations"][0]["fullyQualifiedName"].startswith(
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.12.2"
    )


def test_cyclonedx_vex_and_table_outputs(advisories: Path) -> None:
    sbom = str(SBOMS / "log4j-core-2.14.1.cdx.json")
    vex = run("match", "--sbom", sbom, "--advisories", str(advisories), "--format", "cyclonedx-vex")
    document = json.loads(vex.stdout)
    assert {v["id"] for v in document["vulnerabilities"]} >= {"GHSA-jfh8-c2jp-5v3q"}
    assert {v["analysis"]["state"] for v in document["vulnerabilities"]} == {"in_triage"}
    table = run("match", "--sbom", sbom, "--advisories", str(advisories), env={"COLUMNS": "200"})
    assert "GHSA-jfh8-c2jp-5v3q" in table.stdout
    assert "4 finding(s)" in table.stdout


def _big_sbom(path: Path, count: int) -> None:
    components = [
        {
            "type": "library",
            "bom-ref": f"c{n}",
            "group": "org.example",
            "name": f"lib{n}",
            "version": "1.0.0",
            "purl": f"pkg:maven/org.example/lib{n}@1.0.0",
        }
        for n in range(count)
    ]
    path.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": components})
    )


def _on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal (stdout a pipe); what the terminal showed."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [*COMMAND, *args],
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        env={**os.environ, "COLUMNS": "120"},
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    return process.wait(timeout=300), shown.decode(errors="replace")


def test_a_progress_bar_is_drawn_on_a_terminal_for_large_inputs_only(
    advisories: Path, tmp_path: Path
) -> None:
    big, small = tmp_path / "big.json", tmp_path / "small.json"
    _big_sbom(big, 5_000)
    _big_sbom(small, 10)
    code, shown = _on_a_terminal(["match", "--sbom", str(big), "--advisories", str(advisories)])
    assert code == 0
    assert "matching" in shown
    code, shown = _on_a_terminal(["match", "--sbom", str(small), "--advisories", str(advisories)])
    assert code == 0
    assert "matching" not in shown
    piped = run("match", "--sbom", str(big), "--advisories", str(advisories))
    assert "matching" not in piped.stderr  # not a terminal: no bar


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


def test_upload_from_the_command_line_and_match_against_the_server(
    platform: AdvisoryPlatform,
) -> None:
    op = platform.operator()
    public_id = create_draft(op)["id"]
    assert op.post(f"/api/v1/advisories/{public_id}/publish", json={}).status_code == 200
    token = platform.token(platform.world.member_admin, ["write"])
    sbom = str(SBOMS / "log4j-core-2.14.1.cdx.json")
    done = run(
        "inventory",
        "upload",
        sbom,
        "--name",
        "web shop",
        "--server",
        platform.url,
        env={"CLEARINGHOUSE_TOKEN": token},
    )
    assert done.returncode == 0, done.stderr
    assert "created inventory 'web shop' (upload 1): 1 components" in done.stdout
    platform.run_jobs()
    listed = run(
        "inventory",
        "findings",
        "--server",
        platform.url,
        "--fail-on-new",
        env={"CLEARINGHOUSE_TOKEN": token, "COLUMNS": "200"},
    )
    assert listed.returncode == 1, listed.stderr
    assert public_id in listed.stdout
    bad = run(
        "inventory",
        "upload",
        str(FIXTURES / "osv" / "DSA-5020-1.json"),
        "--name",
        "x",
        "--server",
        platform.url,
        env={"CLEARINGHOUSE_TOKEN": token},
    )
    assert bad.returncode == 2
    assert "error:" in bad.stderr
    refused = run(
        "inventory",
        "upload",
        sbom,
        "--name",
        "x",
        "--server",
        platform.url,
        env={"CLEARINGHOUSE_TOKEN": "chk_wrong"},
    )
    assert refused.returncode == 5
    online = run("match", "--sbom", sbom, "--server", platform.url, "--format", "json")
    assert online.returncode == 1, online.stderr
    assert {f["advisory"] for f in json.loads(online.stdout)["findings"]} != set()
