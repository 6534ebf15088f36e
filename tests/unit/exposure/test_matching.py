"""The issue's "Done when" items that concern matching, on the real shared data and the
fixtures written from public distribution advisories."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from clearinghouse.exposure.engine import AdvisoryIndex, MatchReport
from clearinghouse.formats.osv import OsvRecord, load_osv
from clearinghouse.formats.sbom import read_sbom
from clearinghouse.match_cli import load_records
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "exposure"
LOG4SHELL = {"CVE-2021-44228", "CVE-2021-45046", "CVE-2021-45105", "CVE-2021-44832"}


@pytest.fixture(scope="module")
def shared_records(shared_data: Path) -> list[OsvRecord]:
    records: list[OsvRecord] = load_records(shared_data / "osv")
    return records


def _cves(report: MatchReport, package: str | None = None) -> set[str]:
    return {
        alias
        for finding in report.findings
        if package is None or finding.package == package
        for alias in (finding.advisory.id, *finding.advisory.aliases)
        if alias.startswith("CVE-")
    }


def _sbom(name: str) -> bytes:
    return (FIXTURES / "sbom" / name).read_bytes()


def test_keycloak_log4j_1x_has_no_advisory_in_the_shared_data(
    shared_data: Path, shared_records: list[OsvRecord]
) -> None:
    inventory = read_sbom(
        (shared_data / "sbom/cyclonedx/SBOM/keycloak-10.0.2/bom.json").read_bytes()
    )
    assert any(c.purl == "pkg:maven/log4j/log4j@1.2.17?type=jar" for c in inventory)
    report = AdvisoryIndex.from_osv(shared_records).match(inventory)
    assert [f for f in report.findings if f.package == "log4j:log4j"] == []


def test_keycloak_with_the_jmsappender_record_yields_exactly_that_one(
    shared_data: Path, shared_records: list[OsvRecord]
) -> None:
    fixture = load_osv((FIXTURES / "osv/CVE-2021-4104.json").read_bytes(), filename="x.json")
    inventory = read_sbom(
        (shared_data / "sbom/cyclonedx/SBOM/keycloak-10.0.2/bom.json").read_bytes()
    )
    report = AdvisoryIndex.from_osv([*shared_records, fixture]).match(inventory)
    log4j = [f for f in report.findings if f.package == "log4j:log4j"]
    assert [(f.advisory.id, f.version) for f in log4j] == [("CVE-2021-4104", "1.2.17")]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.14.1", LOG4SHELL),
        ("2.17.1", set()),
        ("2.12.2", {"CVE-2021-45105", "CVE-2021-44832"}),
    ],
)
def test_log4j_core_versions_yield_the_right_log4shell_advisories(
    shared_records: list[OsvRecord], version: str, expected: set[str]
) -> None:
    report = AdvisoryIndex.from_osv(shared_records).match(
        read_sbom(_sbom(f"log4j-core-{version}.cdx.json"))
    )
    assert _cves(report) & LOG4SHELL == expected
    assert report.vulnerable is bool(expected)


def test_distribution_packages_match_debian_and_rpm_records() -> None:
    index = AdvisoryIndex.from_osv(load_records(FIXTURES / "osv"))
    report = index.match(read_sbom(_sbom("os-packages.cdx.json")))
    found = {(f.component.ref, f.advisory.id) for f in report.findings}
    assert found == {
        # binary liblog4j2-java matched through its source package apache-log4j2 (Debian 10)
        ("deb-liblog4j2", "DSA-5020-1"),
        # 2.14.1-3.el8 < 2.15.0-1.el8 under RPM ordering; the fixed build is not reported
        ("rpm-log4j", "RH-LOG4SHELL-RPM-TEST"),
    }


def test_a_debian_fix_for_another_release_is_not_applied() -> None:
    index = AdvisoryIndex.from_osv(load_records(FIXTURES / "osv"))
    bullseye = (
        "pkg:deb/debian/liblog4j2-java@2.15.0-1~deb10u1?distro=debian-11&upstream=apache-log4j2"
    )
    buster = (
        "pkg:deb/debian/liblog4j2-java@2.15.0-1~deb10u1?distro=debian-10&upstream=apache-log4j2"
    )
    # 2.15.0-1~deb10u1 is below bullseye's fix 2.15.0-1~deb11u1, and is buster's fix itself
    assert _entries(index, bullseye) == ["Debian:11"]
    assert _entries(index, buster) == []


def _entries(index: AdvisoryIndex, purl: str) -> list[str]:
    """The ecosystems of the entries that affect the package version ``purl`` names."""
    coordinates = index.coordinates(purl)
    assert coordinates is not None
    assert coordinates.version is not None
    return [
        entry.ecosystem
        for name in coordinates.names
        for entry in index.affecting(
            coordinates.ecosystem, name, coordinates.version, coordinates.release
        )
    ]


def test_withdrawn_records_match_nothing() -> None:
    record = load_osv((FIXTURES / "osv/CVE-2021-4104.json").read_bytes(), filename="x.json")
    withdrawn = load_osv(
        (FIXTURES / "osv/CVE-2021-4104.json")
        .read_text()
        .replace('"modified"', '"withdrawn": "2022-01-01T00:00:00Z", "modified"'),
        filename="x.json",
    )
    component_sbom = {
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [
            {"type": "library", "name": "log4j", "purl": "pkg:maven/log4j/log4j@1.2.17"}
        ],
    }  # fmt: skip
    inventory = read_sbom(orjson.dumps(component_sbom))
    assert AdvisoryIndex.from_osv([record]).match(inventory).vulnerable
    assert not AdvisoryIndex.from_osv([withdrawn]).match(inventory).vulnerable
