"""A Log4Shell-like advisory built from model types renders to schema-valid OSV and CVE 5.x.

The renditions are wire formats other systems consume: both are snapshotted in full under
tests/fixtures/formats/snapshots/. After an intended change, regenerate them with
CLEARINGHOUSE_UPDATE_SNAPSHOTS=1 and review the diff.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from clearinghouse.formats import cvss
from clearinghouse.formats.cve5 import cve5_schema_violations, model_to_cve5, parse_cve5
from clearinghouse.formats.model import (
    Advisory,
    Affected,
    Credit,
    EventKind,
    Package,
    Publisher,
    RangeEvent,
    RangeType,
    Reference,
    ReferenceKind,
    Remediation,
    Tlp,
    VersionRange,
    Vulnerability,
)
from clearinghouse.formats.osv import dump_osv, model_to_osv, osv_schema_violations, osv_to_model

SNAPSHOTS = Path(__file__).resolve().parents[2] / "fixtures" / "formats" / "snapshots"
CNA_ORG = "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
LOG4J_CORE = Package(
    "Maven", "org.apache.logging.log4j:log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core"
)


def _events(*pairs: tuple[str, str]) -> tuple[RangeEvent, ...]:
    return tuple(RangeEvent(EventKind(kind), value) for kind, value in pairs)


def log4shell() -> Advisory:
    """The platform's Log4Shell advisory, as a coordinator would have published it."""
    ranges = VersionRange(
        RangeType.ECOSYSTEM,
        _events(
            ("introduced", "2.0-beta9"),
            ("fixed", "2.3.1"),
            ("introduced", "2.4"),
            ("fixed", "2.12.2"),
            ("introduced", "2.13.0"),
            ("fixed", "2.15.0"),
        ),
    )
    vulnerability = Vulnerability(
        id="GHSA-jfh8-c2jp-5v3q",
        summary="Remote code injection in Log4j",
        details=(
            "JNDI features used in configuration, log messages and parameters of Apache "
            "Log4j2 do not protect against attacker-controlled LDAP and other JNDI endpoints: "
            "an attacker who controls a logged string can load and run remote code."
        ),
        aliases=("CVE-2021-44228",),
        cve="CVE-2021-44228",
        cwes=("CWE-502", "CWE-917"),
        severity=(cvss.score(VECTOR),),
        affected=(Affected(LOG4J_CORE, (ranges,)),),
        references=(
            Reference("https://logging.apache.org/log4j/2.x/security.html", ReferenceKind.ADVISORY),
            Reference("https://github.com/apache/logging-log4j2/pull/608", ReferenceKind.FIX),
        ),
        credits=(Credit("Chen Zhaojun of Alibaba Cloud Security Team", "FINDER"),),
        remediations=(
            Remediation("vendor_fix", "Upgrade to 2.15.0, 2.12.2 (Java 7) or 2.3.1 (Java 6)."),
            Remediation("mitigation", "Remove the JndiLookup class from the class path."),
        ),
        published=datetime(2021, 12, 10, 0, 0, tzinfo=UTC),
        modified=datetime(2021, 12, 14, 18, 1, 28, tzinfo=UTC),
    )
    return Advisory(
        id="CH-2021-0001",
        title="Apache Log4j2 remote code execution (Log4Shell)",
        publisher=Publisher("Clearinghouse", "https://clearinghouse.example"),
        tlp=Tlp.CLEAR,
        initial_release=datetime(2021, 12, 10, 0, 0, tzinfo=UTC),
        current_release=datetime(2021, 12, 14, 18, 1, 28, tzinfo=UTC),
        vulnerabilities=(vulnerability,),
    )


def _snapshot(name: str, value: dict[str, Any]) -> None:
    path = SNAPSHOTS / name
    rendered = orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"
    if os.environ.get("CLEARINGHOUSE_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered)
    assert orjson.loads(path.read_bytes()) == value, f"{name} drifted (see module docstring)"


def test_score_is_ten_critical() -> None:
    (severity,) = log4shell().vulnerabilities[0].severity
    assert (severity.base_score, severity.base_severity) == (10.0, "CRITICAL")


def test_osv_rendition_is_schema_valid_and_stable() -> None:
    (record,) = model_to_osv(log4shell())
    dumped = dump_osv(record)
    assert osv_schema_violations(dumped) == ()
    assert dumped["id"] == "GHSA-jfh8-c2jp-5v3q"
    assert dumped["aliases"] == ["CVE-2021-44228"]
    assert dumped["severity"] == [{"type": "CVSS_V3", "score": VECTOR}]
    (affected,) = dumped["affected"]
    assert affected["package"]["name"] == "org.apache.logging.log4j:log4j-core"
    assert affected["ranges"][0]["events"][0] == {"introduced": "2.0-beta9"}
    assert affected["ranges"][0]["events"][-1] == {"fixed": "2.15.0"}
    assert dumped["credits"] == [
        {"name": "Chen Zhaojun of Alibaba Cloud Security Team", "type": "FINDER"}
    ]
    assert dumped["database_specific"] == {
        "clearinghouse": {"advisory_id": "CH-2021-0001", "tlp": "CLEAR"},
        "cwe_ids": ["CWE-502", "CWE-917"],
    }
    _snapshot("log4shell.osv.json", dumped)


def test_cve5_rendition_is_schema_valid_and_stable() -> None:
    advisory = log4shell()
    record = model_to_cve5(
        advisory, advisory.vulnerabilities[0], cna_org_id=CNA_ORG, cna_short_name="clearinghouse"
    )
    assert cve5_schema_violations(record) == ()
    assert record["cveMetadata"]["cveId"] == "CVE-2021-44228"
    cna = record["containers"]["cna"]
    (product,) = cna["affected"]
    assert product["collectionURL"] == "https://repo.maven.apache.org/maven2"
    assert product["packageName"] == "org.apache.logging.log4j:log4j-core"
    assert product["defaultStatus"] == "unaffected"
    assert [(v["version"], v["lessThan"], v["versionType"]) for v in product["versions"]] == [
        ("2.0-beta9", "2.3.1", "maven"),
        ("2.4", "2.12.2", "maven"),
        ("2.13.0", "2.15.0", "maven"),
    ]
    (metric,) = cna["metrics"]
    assert metric["cvssV3_1"]["baseScore"] == 10.0
    assert metric["cvssV3_1"]["baseSeverity"] == "CRITICAL"
    assert [d["cweId"] for d in cna["problemTypes"][0]["descriptions"]] == ["CWE-502", "CWE-917"]
    assert cna["credits"] == [
        {"lang": "en", "value": "Chen Zhaojun of Alibaba Cloud Security Team", "type": "finder"}
    ]
    assert [r["tags"] for r in cna["references"]] == [["vendor-advisory"], ["patch"]]
    assert len(cna["solutions"]) == len(cna["workarounds"]) == 1
    assert cna["datePublic"] == "2021-12-10T00:00:00.000Z"
    assert cna["source"] == {"advisory": "CH-2021-0001", "discovery": "UNKNOWN"}
    _snapshot("log4shell.cve5.json", record)


def test_both_renditions_import_back_to_the_same_ranges_and_scores() -> None:
    advisory = log4shell()
    original = advisory.vulnerabilities[0]
    (record,) = model_to_osv(advisory)
    from_osv = osv_to_model(record).vulnerabilities[0]  # the TLP travels with the record
    cve = model_to_cve5(advisory, original, cna_org_id=CNA_ORG, cna_short_name="clearinghouse")
    from_cve = parse_cve5(cve, tlp=Tlp.CLEAR).vulnerabilities[0]
    for imported in (from_osv, from_cve):
        assert [a.ranges for a in imported.affected] == [a.ranges for a in original.affected]
        assert imported.severity == original.severity
        assert imported.cwes == original.cwes
        assert imported.credits[0].name == original.credits[0].name
    assert from_osv == dataclasses.replace(original, remediations=())  # OSV has none


@pytest.mark.parametrize("tlp", [Tlp.AMBER, Tlp.RED])
def test_marking_travels_in_osv(tlp: Tlp) -> None:
    advisory = log4shell()
    (record,) = model_to_osv(dataclasses.replace(advisory, tlp=tlp))
    imported = osv_to_model(record, tlp=Tlp.CLEAR)  # the carried marking wins
    assert imported.tlp is tlp
    assert imported.id == "CH-2021-0001"
