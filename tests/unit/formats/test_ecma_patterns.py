"""JSON Schema patterns are ECMA-262 regular expressions: ``$`` is the end of the text and
``\\d`` is 0-9. Python's ``re`` (which jsonschema uses) lets ``$`` match before a final
newline and ``\\d`` match any script's digits, so ``"CVE-2021-44228\\n"`` passed the CSAF
schema's ``^CVE-[0-9]{4}-[0-9]{4,}$``. The validators built here read every pattern as
ECMA-262 does, checked against ``jsonschema_rs`` (which does too) over every pattern of
every bundled schema."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.formats import csaf, cve5, osv
from clearinghouse.formats.cyclonedx import cyclonedx_schema_violations
from clearinghouse.formats.schemas import ecma_pattern
from tests.support.advisories import FIXTURES
from tests.unit.formats.csaf_cases import log4shell

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "src" / "clearinghouse" / "formats" / "schemas"
OSV_RECORD = FIXTURES / "osv" / "PYSEC-2099-2.json"


def _patterns(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, sub in value.items():
            if key == "pattern" and isinstance(sub, str):
                yield sub
            elif key == "patternProperties" and isinstance(sub, dict):
                yield from sub
                for nested in sub.values():
                    yield from _patterns(nested)
            else:
                yield from _patterns(sub)
    elif isinstance(value, list):
        for item in value:
            yield from _patterns(item)


PATTERNS = sorted(
    {p for path in SCHEMA_DIR.rglob("*.json") for p in _patterns(json.loads(path.read_text()))}
)


def test_the_bundled_schemas_have_patterns_ending_in_dollar() -> None:
    # the property below is about something: most patterns are anchored with $
    assert len(PATTERNS) >= 30
    assert sum(p.endswith("$") for p in PATTERNS) >= 25


def _ecma(pattern: str, text: str) -> bool:
    return bool(jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(text))


@pytest.mark.parametrize("pattern", PATTERNS, ids=range(len(PATTERNS)))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_schema_pattern_matches_what_ecma_262_matches(pattern: str, data: Any) -> None:
    """Strings Python's reading accepts, and each with a final newline or an Arabic-Indic
    digit added: ours and jsonschema_rs (ECMA-262) agree on every one."""
    text = data.draw(st.from_regex(re.compile(pattern, re.ASCII)), label="text")
    for candidate in (text, text + "\n", text + "\u0663", "\n" + text):
        ours = bool(ecma_pattern(pattern).search(candidate))
        assert ours == _ecma(pattern, candidate), (pattern, candidate)


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("^CVE-[0-9]{4}-[0-9]{4,}$", "CVE-2021-44228", True),
        ("^CVE-[0-9]{4}-[0-9]{4,}$", "CVE-2021-44228\n", False),
        ("^CWE-[1-9]\\d{0,5}$", "CWE-79", True),
        ("^CWE-[1-9]\\d{0,5}$", "CWE-7\u0669", False),  # ARABIC-INDIC DIGIT NINE
        ("^[\\$]x$", "$x", True),  # a $ in a class or escaped is a dollar sign
        ("^[\\S]+$", "a\x1f", True),  # U+001F: not ECMA-262 white space, but Python's
        ("^[^\\S]$", "\ufeff", True),
        ("^a\\$$", "a$", True),
        ("^x_.*$", "x_a\nb", False),  # . does not cross a line in either reading
    ],
)
def test_dollar_is_the_end_of_the_text_and_digits_are_ascii(
    pattern: str, text: str, matches: bool
) -> None:
    assert bool(ecma_pattern(pattern).search(text)) is matches
    assert _ecma(pattern, text) is matches


def test_a_csaf_cve_with_a_final_newline_fails_the_schema() -> None:
    document = csaf.model_to_csaf(log4shell())
    assert csaf.validate_csaf_schema(document) == ()
    document["vulnerabilities"][0]["cve"] = "CVE-2021-44228\n"
    findings = csaf.validate_csaf_schema(document)
    assert [f.path for f in findings] == ["/vulnerabilities/0/cve"]


def test_an_osv_ecosystem_with_a_final_newline_fails_the_schema() -> None:
    data = json.loads((OSV_RECORD).read_text())
    osv.validate_osv_schema(data)
    data["affected"][0]["package"]["ecosystem"] = "PyPI\n"
    with pytest.raises(osv.OsvError, match="ecosystem"):
        osv.validate_osv_schema(data)


def test_a_cve_record_id_with_a_final_newline_fails_the_schema() -> None:
    advisory = log4shell()
    record = cve5.model_to_cve5(
        advisory, advisory.vulnerabilities[0], cna_org_id=_CNA, cna_short_name="example"
    )
    cve5.validate_cve5(record)
    record["cveMetadata"]["cveId"] = "CVE-2021-44228\n"
    (violation,) = cve5.cve5_schema_violations(record)  # neither of the record's kinds
    assert violation.keyword == "oneOf"


_CNA = "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"
_SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"


def test_both_cyclonedx_validators_refuse_a_serial_number_with_a_final_newline() -> None:
    document: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": _SERIAL,
        "version": 1,
    }
    assert cyclonedx_schema_violations(document) == ()
    broken = copy.deepcopy(document)
    broken["serialNumber"] = _SERIAL + "\n"
    (violation, *_) = cyclonedx_schema_violations(broken)
    assert violation.path == "$.serialNumber"
