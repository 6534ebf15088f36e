"""Advisories and helpers shared by the CSAF and VEX tests (not a test module).

``log4shell()`` is built from the neutral model types with the facts of CVE-2021-44228;
``bsi`` is a fixture that runs the BSI csaf-validator-lib through Node.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.formats.model import (
    Advisory,
    Affected,
    Credit,
    EventKind,
    Justification,
    Package,
    ProductStatement,
    ProductStatus,
    Publisher,
    RangeEvent,
    RangeType,
    Reference,
    ReferenceKind,
    Remediation,
    Revision,
    Severity,
    Tlp,
    VersionRange,
    Vulnerability,
)

REPO = Path(__file__).resolve().parents[3]
SHARED_DATA = REPO.parent / "shared" / "data"
CSAF_DATA = SHARED_DATA / "csaf"
VALIDATOR_DIR = REPO / "tools" / "csaf-validator"

LOG4J_CORE = Package(
    "Maven",
    "org.apache.logging.log4j:log4j-core",
    "pkg:maven/org.apache.logging.log4j/log4j-core",
)
LOG4J_API = Package(
    "Maven",
    "org.apache.logging.log4j:log4j-api",
    "pkg:maven/org.apache.logging.log4j/log4j-api",
)
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
PMC = "Apache Logging PMC"


def _range(introduced: str, fixed: str) -> VersionRange:
    return VersionRange(
        RangeType.ECOSYSTEM,
        (RangeEvent(EventKind.INTRODUCED, introduced), RangeEvent(EventKind.FIXED, fixed)),
    )


def log4shell(tlp: Tlp = Tlp.CLEAR) -> Advisory:
    """CVE-2021-44228 as Clearinghouse would publish it."""
    t0 = datetime(2021, 12, 10, 0, 0, tzinfo=UTC)
    t1 = datetime(2021, 12, 14, 12, 0, tzinfo=UTC)
    vuln = Vulnerability(
        id="CH-2021-0001",
        summary="Remote code execution in Apache Log4j 2 through JNDI lookups",
        details=(
            "Apache Log4j2 2.0-beta9 through 2.15.0 (excluding security releases 2.12.2 "
            "and 2.3.1) JNDI features used in configuration, log messages, and parameters "
            "do not protect against attacker controlled LDAP and other JNDI related "
            "endpoints."
        ),
        aliases=("CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q"),
        cve="CVE-2021-44228",
        cwes=("CWE-502", "CWE-917", "CWE-20"),
        severity=(Severity("CVSS_V3", VECTOR, 10.0, "CRITICAL"),),
        affected=(
            Affected(
                LOG4J_CORE,
                ranges=(
                    _range("2.0-beta9", "2.3.1"),
                    _range("2.4", "2.12.2"),
                    _range("2.13.0", "2.15.0"),
                ),
            ),
        ),
        statements=(
            ProductStatement(
                LOG4J_CORE,
                ProductStatus.AFFECTED,
                statement="Message lookup substitution lets an attacker load and run code.",
                fixed_version="2.15.0",
                vendor=PMC,
            ),
            ProductStatement(LOG4J_CORE, ProductStatus.FIXED, version="2.15.0", vendor=PMC),
            ProductStatement(LOG4J_CORE, ProductStatus.FIXED, version="2.12.2", vendor=PMC),
            ProductStatement(LOG4J_CORE, ProductStatus.FIXED, version="2.3.1", vendor=PMC),
            ProductStatement(
                LOG4J_API,
                ProductStatus.NOT_AFFECTED,
                version="2.14.1",
                justification=Justification.VULNERABLE_CODE_NOT_PRESENT,
                statement="The JNDI lookup code lives in log4j-core only.",
                vendor=PMC,
            ),
        ),
        references=(
            Reference("https://logging.apache.org/log4j/2.x/security.html", ReferenceKind.ADVISORY),
            Reference("https://nvd.nist.gov/vuln/detail/CVE-2021-44228", ReferenceKind.WEB),
        ),
        credits=(Credit("Chen Zhaojun of Alibaba Cloud Security Team", "FINDER"),),
        remediations=(
            Remediation(
                "mitigation",
                "Remove the JndiLookup class from the classpath: "
                "zip -q -d log4j-core-*.jar org/apache/logging/log4j/core/lookup/JndiLookup.class",
            ),
        ),
        published=t0,
        modified=t1,
    )
    return Advisory(
        id="CH-2021-0001",
        title="Apache Log4j 2 remote code execution (Log4Shell)",
        publisher=Publisher("Clearinghouse", "https://clearinghouse.example"),
        tlp=tlp,
        initial_release=t0,
        current_release=t1,
        vulnerabilities=(vuln,),
        summary="Log4j 2 lets remote attackers run code through JNDI lookups in logged data.",
        revisions=(
            Revision("1", t0, "Initial version."),
            Revision("2", t1, "Added the fixed releases for Java 7 and Java 6."),
        ),
        references=(
            Reference("https://www.cve.org/CVERecord?id=CVE-2021-44228", ReferenceKind.ADVISORY),
        ),
    )


def not_affected_only() -> Advisory:
    """A pure VEX statement: one product is not affected, with a justification."""
    base = log4shell()
    product = Package("PyPI", "example-app", "pkg:pypi/example-app")
    statement = ProductStatement(
        product,
        ProductStatus.NOT_AFFECTED,
        version="3.2.0",
        justification=Justification.COMPONENT_NOT_PRESENT,
        statement="example-app is written in Python and ships no Java code.",
        vendor="Example Vendor",
    )
    vuln = replace(base.vulnerabilities[0], affected=(), statements=(statement,), remediations=())
    return replace(
        base, id="CH-VEX-2021-0002", title="example-app and Log4Shell", vulnerabilities=(vuln,)
    )


# ----------------------------------------------------------------------------- BSI

BsiRunner = Callable[[Sequence[Any]], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def bsi() -> BsiRunner:
    """Run the BSI validator (strict schema + all mandatory tests) on many documents."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm not installed: the BSI csaf-validator-lib cannot run")
    if not (VALIDATOR_DIR / "node_modules" / "@secvisogram" / "csaf-validator-lib").is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=VALIDATOR_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"npm ci in tools/csaf-validator failed (offline?): {done.stderr[-500:]}")

    def run(docs: Sequence[Any]) -> list[dict[str, Any]]:
        done = subprocess.run(
            [node, str(VALIDATOR_DIR / "validate.mjs")],
            input=json.dumps(list(docs)),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode not in (0, 1):
            raise AssertionError(f"validate.mjs failed ({done.returncode}): {done.stderr}")
        results: list[dict[str, Any]] = json.loads(done.stdout)
        return results

    return run


def failed_tests(result: dict[str, Any]) -> dict[str, list[str]]:
    """Test name -> error messages, for the tests a BSI result says failed."""
    return {
        t["name"]: [f"{e['instancePath']}: {e['message']}" for e in t["errors"]]
        for t in result["tests"]
        if not t["isValid"]
    }
