"""The stored form of an advisory: from_json(to_json(a)) == a, and bad input is typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from clearinghouse.formats.model import (
    Advisory,
    Affected,
    Credit,
    EventKind,
    FormatError,
    Justification,
    Package,
    ProductStatement,
    ProductStatus,
    Publisher,
    RangeEvent,
    RangeType,
    Severity,
    Tlp,
    VersionRange,
    Vulnerability,
)
from clearinghouse.formats.neutral import from_json, to_json

LOG4J = Package(
    "Maven", "org.apache.logging.log4j:log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core"
)


def _advisory() -> Advisory:
    when = datetime(2021, 12, 10, 10, 15, tzinfo=UTC)
    ranges = (
        VersionRange(
            RangeType.ECOSYSTEM,
            (RangeEvent(EventKind.INTRODUCED, "2.0-beta9"), RangeEvent(EventKind.FIXED, "2.3.1")),
        ),
        VersionRange(
            RangeType.ECOSYSTEM,
            (RangeEvent(EventKind.INTRODUCED, "2.13.0"), RangeEvent(EventKind.FIXED, "2.15.0")),
        ),
    )
    vuln = Vulnerability(
        id="CH-2021-0001-1",
        cve="CVE-2021-44228",
        aliases=("GHSA-jfh8-c2jp-5v3q",),
        cwes=("CWE-502", "CWE-917"),
        severity=(
            Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "CRITICAL"),
        ),
        affected=(Affected(LOG4J, ranges=ranges, versions=("2.14.1",)),),
        statements=(
            ProductStatement(LOG4J, ProductStatus.FIXED, version="2.15.0", fixed_version="2.15.0"),
            ProductStatement(
                Package("Maven", "org.apache.logging.log4j:log4j-api"),
                ProductStatus.NOT_AFFECTED,
                justification=Justification.VULNERABLE_CODE_NOT_PRESENT,
            ),
        ),
        credits=(Credit("Chen Zhaojun of Alibaba Cloud Security Team"),),
        published=when,
    )
    return Advisory(
        id="CH-2021-0001",
        title="Apache Log4j2 JNDI remote code execution",
        publisher=Publisher("Clearinghouse", "https://clearinghouse.example"),
        tlp=Tlp.CLEAR,
        initial_release=when,
        current_release=when,
        vulnerabilities=(vuln,),
    )


def test_round_trip() -> None:
    advisory = _advisory()
    assert from_json(to_json(advisory)) == advisory


def test_an_advisory_without_vulnerabilities_round_trips() -> None:
    """Issue #9, item 13: CSAF base documents, informational advisories and incident
    responses have no vulnerabilities; the neutral model carries them."""
    advisory = replace(_advisory(), vulnerabilities=())
    assert from_json(to_json(advisory)) == advisory


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d.update(tlp="PURPLE"), "is not one of"),
        (lambda d: d.update(surprise=1), "unknown field"),
        (lambda d: d.update(initial_release="yesterday"), "RFC 3339"),
        (
            lambda d: d.update(vulnerabilities=d["vulnerabilities"] * 2),
            "vulnerability ids must be unique",
        ),
        (
            lambda d: d["vulnerabilities"][0]["affected"][0]["ranges"][0].update(events=[]),
            "introduced",
        ),
    ],
)
def test_bad_documents_raise_format_error(mutate: object, words: str) -> None:
    data = to_json(_advisory())
    mutate(data)  # type: ignore[operator]
    with pytest.raises(FormatError, match=words):
        from_json(data)
