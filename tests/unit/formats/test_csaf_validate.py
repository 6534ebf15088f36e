"""The Python CSAF checks on hand-broken documents (no shared data or Node needed)."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.formats.csaf import (
    CsafFinding,
    check_csaf_mandatory,
    model_to_csaf,
    validate_csaf,
    validate_csaf_schema,
)
from tests.unit.formats.csaf_cases import log4shell


def _vex() -> dict[str, Any]:
    return model_to_csaf(log4shell(), profile="csaf_vex")


def _tests(doc: Any) -> set[str]:
    return {f.test for f in check_csaf_mandatory(doc)}


def test_missing_product_definition_6_1_1() -> None:
    doc = _vex()
    doc["vulnerabilities"][0]["product_status"]["fixed"].append("CSAFPID-missing")
    [finding] = [f for f in check_csaf_mandatory(doc) if f.test == "6.1.1"]
    assert finding == CsafFinding(
        "6.1.1",
        "/vulnerabilities/0/product_status/fixed/3",
        "product id 'CSAFPID-missing' is not defined",
    )


def test_multiple_definitions_6_1_2() -> None:
    doc = _vex()
    product = doc["product_tree"]["branches"][0]["branches"][0]["branches"][0]["product"]
    doc["product_tree"]["full_product_names"] = [dict(product)]
    assert _tests(doc) == {"6.1.2"}


def test_contradicting_status_6_1_6() -> None:
    doc = _vex()
    status = doc["vulnerabilities"][0]["product_status"]
    status["known_not_affected"].append(status["known_affected"][0])
    assert "6.1.6" in _tests(doc)


@pytest.mark.parametrize(
    ("remove", "test"),
    [
        ("threats", None),  # flags still give the not-affected product its impact statement
        ("flags", None),  # and so does the threat
        ("remediations", "6.1.27.10"),
        ("notes", "6.1.27.5"),
        ("product_status", "6.1.27.7"),
    ],
)
def test_vex_profile_tests(remove: str, test: str | None) -> None:
    doc = _vex()
    del doc["vulnerabilities"][0][remove]
    found = _tests(doc)
    assert (found == set()) if test is None else (test in found)


def test_vex_impact_statement_6_1_27_9() -> None:
    doc = _vex()
    vuln = doc["vulnerabilities"][0]
    del vuln["flags"]
    vuln["threats"] = [t for t in vuln["threats"] if "log4j-core only" not in t["details"]]
    assert _tests(doc) == {"6.1.27.9"}


def test_vex_needs_cve_or_ids_6_1_27_8() -> None:
    doc = _vex()
    del doc["vulnerabilities"][0]["cve"], doc["vulnerabilities"][0]["ids"]
    assert _tests(doc) == {"6.1.27.8"}


def test_security_advisory_needs_product_status_6_1_27_6() -> None:
    doc = model_to_csaf(log4shell())
    del doc["vulnerabilities"][0]["product_status"]
    assert "6.1.27.6" in _tests(doc)


def test_group_ids_count_as_product_references() -> None:
    doc = _vex()
    vuln = doc["vulnerabilities"][0]
    affected = vuln["product_status"]["known_affected"]
    doc["product_tree"]["product_groups"] = [{"group_id": "G1", "product_ids": affected[:2]}]
    vuln["remediations"] = [
        {"category": "workaround", "details": "x", "group_ids": ["G1"]},
        {"category": "workaround", "details": "y", "product_ids": affected[2:]},
    ]
    assert check_csaf_mandatory(doc) == ()


def test_schema_findings_name_the_path() -> None:
    doc = _vex()
    doc["document"]["tracking"]["status"] = "published"
    [finding] = validate_csaf_schema(doc)
    assert (finding.test, finding.path) == ("schema", "/document/tracking/status")
    doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = 11
    assert any(f.path.startswith("/vulnerabilities/0/scores/0/cvss_v3") for f in validate_csaf(doc))


def test_non_object_input() -> None:
    assert [f.test for f in check_csaf_mandatory([])] == ["schema"]
    assert validate_csaf_schema([])
