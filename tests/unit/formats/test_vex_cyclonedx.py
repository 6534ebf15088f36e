"""CycloneDX 1.6 VEX rendering: schema validity, state and justification mapping."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from clearinghouse.formats.csaf import model_to_csaf
from clearinghouse.formats.model import Justification, ProductStatus, Severity
from clearinghouse.formats.vex import (
    JUSTIFICATION,
    STATE,
    VexError,
    model_to_cyclonedx_vex,
    serial_number,
)
from tests.unit.formats.csaf_cases import VECTOR, log4shell, not_affected_only


@pytest.fixture(scope="module")
def cyclonedx_schema() -> Draft7Validator:
    """The CycloneDX 1.6 JSON schema shipped in cyclonedx-python-lib (a dev dependency)."""
    res = pytest.importorskip(
        "cyclonedx.schema._res", reason="cyclonedx-python-lib (dev dependency) not installed"
    )
    schema_path = Path(res.BOM_JSON[pytest.importorskip("cyclonedx.schema").SchemaVersion.V1_6])
    pairs = []
    for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"):
        resource: Resource[Any] = Resource.from_contents(
            json.loads((schema_path.parent / name).read_text())
        )
        pairs += [(name, resource), (resource.id() or name, resource)]
    schema = json.loads(schema_path.read_text())
    return Draft7Validator(schema, registry=Registry().with_resources(pairs))


def _errors(validator: Draft7Validator, doc: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("make", [log4shell, not_affected_only])
def test_vex_is_valid_cyclonedx_1_6(cyclonedx_schema: Draft7Validator, make: Any) -> None:
    assert _errors(cyclonedx_schema, model_to_cyclonedx_vex(make())) == []


def test_log4shell_vex_content() -> None:
    doc = model_to_cyclonedx_vex(log4shell())
    assert (doc["bomFormat"], doc["specVersion"], doc["version"]) == ("CycloneDX", "1.6", 2)
    assert doc["metadata"]["timestamp"] == "2021-12-14T12:00:00Z"
    by_state = {v["analysis"]["state"]: v for v in doc["vulnerabilities"]}
    assert set(by_state) == {"exploitable", "not_affected", "resolved"}
    exploitable = by_state["exploitable"]
    assert exploitable["id"] == "CVE-2021-44228"
    assert exploitable["cwes"] == [502, 917, 20]
    assert exploitable["ratings"] == [
        {"score": 10.0, "severity": "critical", "method": "CVSSv31", "vector": VECTOR}
    ]
    assert exploitable["analysis"]["response"] == ["update", "workaround_available"]
    assert exploitable["credits"] == {
        "individuals": [{"name": "Chen Zhaojun of Alibaba Cloud Security Team"}]
    }
    [affects] = exploitable["affects"]
    assert affects["ref"] == "pkg:maven/org.apache.logging.log4j/log4j-core"
    assert sorted(v["range"] for v in affects["versions"]) == [
        "vers:maven/>=2.0-beta9|<2.3.1",
        "vers:maven/>=2.13.0|<2.15.0",
        "vers:maven/>=2.4|<2.12.2",
    ]
    assert {v["status"] for v in affects["versions"]} == {"affected"}
    resolved = by_state["resolved"]["affects"][0]["versions"]
    assert {(v["version"], v["status"]) for v in resolved} == {
        ("2.15.0", "unaffected"),
        ("2.12.2", "unaffected"),
        ("2.3.1", "unaffected"),
    }
    components = {c["bom-ref"]: c for c in doc["components"]}
    core = components["pkg:maven/org.apache.logging.log4j/log4j-core"]
    assert (core["group"], core["name"]) == ("org.apache.logging.log4j", "log4j-core")


def test_not_affected_statement_in_both_vex_forms() -> None:
    """The same not_affected statement, in CSAF VEX and CycloneDX VEX."""
    advisory = not_affected_only()
    cdx = model_to_cyclonedx_vex(advisory)
    [vuln] = cdx["vulnerabilities"]
    assert vuln["analysis"] == {
        "state": "not_affected",
        "justification": "code_not_present",
        "detail": "example-app is written in Python and ships no Java code.",
        "firstIssued": "2021-12-10T00:00:00Z",
        "lastUpdated": "2021-12-14T12:00:00Z",
    }
    assert vuln["affects"] == [
        {"ref": "pkg:pypi/example-app", "versions": [{"version": "3.2.0", "status": "unaffected"}]}
    ]
    csaf = model_to_csaf(advisory, profile="csaf_vex")["vulnerabilities"][0]
    [pid] = csaf["product_status"]["known_not_affected"]
    assert csaf["flags"] == [{"label": "component_not_present", "product_ids": [pid]}]
    assert csaf["threats"][0]["details"] == vuln["analysis"]["detail"]


@pytest.mark.parametrize("justification", list(Justification))
def test_every_justification_is_mapped(
    cyclonedx_schema: Draft7Validator, justification: Justification
) -> None:
    advisory = not_affected_only()
    vuln = advisory.vulnerabilities[0]
    statement = replace(vuln.statements[0], justification=justification)
    doc = model_to_cyclonedx_vex(
        replace(advisory, vulnerabilities=(replace(vuln, statements=(statement,)),))
    )
    assert doc["vulnerabilities"][0]["analysis"]["justification"] == JUSTIFICATION[justification]
    assert _errors(cyclonedx_schema, doc) == []


def test_state_mapping_covers_every_status() -> None:
    assert set(STATE) == set(ProductStatus)
    assert STATE[ProductStatus.UNDER_INVESTIGATION] == "in_triage"


def test_serial_number_is_deterministic_per_advisory() -> None:
    first, again = model_to_cyclonedx_vex(log4shell()), model_to_cyclonedx_vex(log4shell())
    assert first == again
    assert first["serialNumber"].startswith("urn:uuid:")
    other = replace(log4shell(), id="CH-2021-0002")
    assert serial_number(other) != first["serialNumber"]
    assert serial_number(replace(log4shell(), revisions=())) == first["serialNumber"]


def test_bad_vector_raises_vex_error() -> None:
    advisory = log4shell()
    vuln = replace(advisory.vulnerabilities[0], severity=(Severity("CVSS_V3", "CVSS:3.1/X"),))
    with pytest.raises(VexError, match="CVSS"):
        model_to_cyclonedx_vex(replace(advisory, vulnerabilities=(vuln,)))


def test_cvss_v4_rating_is_computed() -> None:
    advisory = log4shell()
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    vuln = replace(advisory.vulnerabilities[0], severity=(Severity("CVSS_V4", v4),))
    doc = model_to_cyclonedx_vex(replace(advisory, vulnerabilities=(vuln,)))
    assert doc["vulnerabilities"][0]["ratings"] == [
        {"score": 9.3, "severity": "critical", "method": "CVSSv4", "vector": v4}
    ]
