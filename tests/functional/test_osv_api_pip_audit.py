"""pip-audit, a real OSV client, against the platform's OSV API.

The test installs ``pip-audit`` 2.10 into its own virtual environment, serves the PyPA
advisory database (imported from ``../shared/data/osv/pypa``) and audits a requirements
file pinning known-vulnerable versions. pip-audit must report exactly the
vulnerabilities the server holds for them, and the server must hold exactly those the
PyPA records say (evaluated here independently from the YAML files).

Skipped, with the reason, when the shared data is absent or pip-audit cannot be
downloaded (no network); any other failure fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearinghouse.db import Database
from clearinghouse.formats.model import Tlp
from clearinghouse.formats.osv import load_osv, osv_to_model
from clearinghouse.timeutil import FixedClock
from clearinghouse.versions import is_affected
from tests.support.advisories import AdvisoryPlatform, advisory_platform

PIP_AUDIT = "pip-audit==2.10.1"
PINNED = {"jinja2": "2.10", "urllib3": "1.24.1", "django": "3.2"}
NETWORK_HINTS = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No matching distribution found",
    "Could not find a version",
    "ConnectTimeout",
    "ProxyError",
)

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


@pytest.fixture(scope="module")
def pip_audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment holding pip-audit; its executable."""
    venv = tmp_path_factory.mktemp("pip-audit") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    done = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PIP_AUDIT,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        output = done.stdout + done.stderr
        if any(hint in output for hint in NETWORK_HINTS):
            pytest.skip(f"cannot install {PIP_AUDIT} (no network to PyPI?): {output[-300:]}")
        raise AssertionError(f"installing {PIP_AUDIT} failed: {output[-2000:]}")
    return venv / "bin" / "pip-audit"


@pytest.fixture
def served(database: Database, clock: FixedClock, shared_data: Path) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as platform:
        report = platform.import_osv(shared_data / "osv" / "pypa" / "vulns")
        assert not report.failed, report.failed[:3]
        yield platform


def _expected_from_files(shared_data: Path, name: str, version: str) -> set[str]:
    """The PyPA records that affect name==version, read straight from the YAML files."""
    found = set()
    for path in sorted((shared_data / "osv" / "pypa" / "vulns" / name).glob("*.yaml")):
        record = load_osv(path.read_bytes(), filename=path.name)
        if record.is_withdrawn:
            continue
        vuln = osv_to_model(record, tlp=Tlp.CLEAR).vulnerabilities[0]
        for affected in vuln.affected:
            if affected.package.name.lower() == name and is_affected(
                "PyPI", version, affected.ranges, affected.versions
            ):
                found.add(record.id)
    return found


def test_pip_audit_reports_what_the_server_holds(
    served: AdvisoryPlatform, pip_audit: Path, shared_data: Path, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in PINNED.items()))

    # What the server holds, asked through its own OSV API...
    server: dict[str, dict[str, set[str]]] = {}
    with served.client() as c:
        for name, version in PINNED.items():
            body = c.post(
                "/osv/v1/query",
                json={"package": {"name": name, "ecosystem": "PyPI"}, "version": version},
            ).json()
            server[name] = {v["id"]: set(v.get("aliases", [])) for v in body.get("vulns", [])}
            # ...equals what the PyPA files say, evaluated independently.
            assert set(server[name]) == _expected_from_files(shared_data, name, version), name
    assert all(server.values()), "every pinned version should be known-vulnerable"

    env = {**os.environ, "PIP_NO_INPUT": "1"}
    done = subprocess.run(
        [
            str(pip_audit),
            "-s",
            "osv",
            "--osv-url",
            f"{served.url}/osv/v1/query",
            "-r",
            str(requirements),
            "--no-deps",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "--cache-dir",
            str(tmp_path / "cache"),
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert done.returncode == 1, done.stderr  # 1: vulnerabilities found
    report = json.loads(done.stdout)
    reported = {d["name"]: d for d in report["dependencies"]}
    assert set(reported) == set(PINNED)
    for name, version in PINNED.items():
        assert reported[name]["version"] == version
        got = {v["id"] for v in reported[name]["vulns"]}
        # pip-audit merges results that share an alias; the server's records do not overlap.
        expected = set(server[name])
        assert got == expected, (name, sorted(got ^ expected))
        for vuln in reported[name]["vulns"]:
            assert set(vuln["aliases"]) == server[name][vuln["id"]]
