"""CSAF 2.0 mandatory tests about CVSS scores and package URLs (section 6.1): 6.1.9
(invalid CVSS computation), 6.1.10 (inconsistent CVSS) and 6.1.13 (PURL).

Scores are recomputed with the pinned ``cvss`` library, package URLs parsed with
``packageurl-python``. A vector the library cannot read is left to the schema test (6.1.8).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cvss import CVSS2, CVSS3
from cvss.exceptions import CVSSError
from packageurl import PackageURL

from clearinghouse.formats.csaf_checks_tree import dicts, products_with_paths
from clearinghouse.formats.csaf_vocab import CsafFinding

Json = dict[str, Any]

# Vector abbreviation -> FIRST JSON property (CVSS 3.x, then 2.0).
_V3_NAMES = {
    "AV": "attackVector",
    "AC": "attackComplexity",
    "PR": "privilegesRequired",
    "UI": "userInteraction",
    "S": "scope",
    "C": "confidentialityImpact",
    "I": "integrityImpact",
    "A": "availabilityImpact",
    "E": "exploitCodeMaturity",
    "RL": "remediationLevel",
    "RC": "reportConfidence",
    "CR": "confidentialityRequirement",
    "IR": "integrityRequirement",
    "AR": "availabilityRequirement",
    "MAV": "modifiedAttackVector",
    "MAC": "modifiedAttackComplexity",
    "MPR": "modifiedPrivilegesRequired",
    "MUI": "modifiedUserInteraction",
    "MS": "modifiedScope",
    "MC": "modifiedConfidentialityImpact",
    "MI": "modifiedIntegrityImpact",
    "MA": "modifiedAvailabilityImpact",
}
_V2_NAMES = {
    "AV": "accessVector",
    "AC": "accessComplexity",
    "Au": "authentication",
    "C": "confidentialityImpact",
    "I": "integrityImpact",
    "A": "availabilityImpact",
    "E": "exploitability",
    "RL": "remediationLevel",
    "RC": "reportConfidence",
    "CDP": "collateralDamagePotential",
    "TD": "targetDistribution",
    "CR": "confidentialityRequirement",
    "IR": "integrityRequirement",
    "AR": "availabilityRequirement",
}
_SCORES = ("baseScore", "temporalScore", "environmentalScore")
_SEVERITIES = ("baseSeverity", "temporalSeverity", "environmentalSeverity")


def _scores(doc: Json) -> Iterator[tuple[str, str, Json, CVSS2 | CVSS3]]:
    """(path, key, the score object, the parsed vector) of every readable CVSS score."""
    for v, vuln in dicts(doc.get("vulnerabilities")):
        for s, score in dicts(vuln.get("scores")):
            for key in ("cvss_v2", "cvss_v3"):
                cvss = score.get(key)
                if not isinstance(cvss, dict) or not isinstance(cvss.get("vectorString"), str):
                    continue
                if key == "cvss_v3" and cvss.get("version") not in ("3.0", "3.1"):
                    continue
                try:
                    parsed = (
                        CVSS2(cvss["vectorString"])
                        if key == "cvss_v2"
                        else CVSS3(cvss["vectorString"])
                    )
                except CVSSError:
                    continue
                yield f"/vulnerabilities/{v}/scores/{s}/{key}", key, cvss, parsed


def test_6_1_9(doc: Json) -> Iterator[CsafFinding]:
    """Invalid CVSS computation: a score or severity the vector does not give."""
    for path, key, cvss, parsed in _scores(doc):
        expected: dict[str, object] = dict(zip(_SCORES, parsed.scores(), strict=True))
        if key == "cvss_v3":
            severities = (str(s).upper() for s in parsed.severities())
            expected.update(zip(_SEVERITIES, severities, strict=True))
        for name, value in expected.items():
            given = cvss.get(name)
            if value is None or given is None or isinstance(given, bool):
                continue
            wanted: object = float(value) if name.endswith("Score") else value  # type: ignore[arg-type]
            if given != wanted:
                message = f"{name} is {given!r}; the vector gives {wanted!r}"
                yield CsafFinding("6.1.9", f"{path}/{name}", message)


def test_6_1_10(doc: Json) -> Iterator[CsafFinding]:
    """Inconsistent CVSS: a property that says otherwise than the vector."""
    for path, key, cvss, parsed in _scores(doc):
        names = _V2_NAMES if key == "cvss_v2" else _V3_NAMES
        computed = parsed.as_json()
        parts = cvss["vectorString"].split("/")
        for part in parts if key == "cvss_v2" else parts[1:]:
            abbreviation, _, letter = part.partition(":")
            name = names.get(abbreviation)
            given = cvss.get(name) if name else None
            if name is None or not isinstance(given, str):
                continue
            wanted = "NOT_DEFINED" if letter in ("X", "ND") else computed.get(name)
            if isinstance(wanted, str) and given != wanted:
                message = f"{name} is {given!r}; the vector says {wanted!r}"
                yield CsafFinding("6.1.10", f"{path}/{name}", message)


def test_6_1_13(doc: Json) -> Iterator[CsafFinding]:
    """PURL: every package URL of the product tree parses."""
    for product, path in products_with_paths(doc):
        helper = product.get("product_identification_helper")
        purl = helper.get("purl") if isinstance(helper, dict) else None
        if not isinstance(purl, str):
            continue
        try:
            PackageURL.from_string(purl)
        except ValueError as exc:
            where = f"{path}/product_identification_helper/purl"
            yield CsafFinding("6.1.13", where, f"invalid package URL: {exc}")


SCORE_TESTS = {
    "6.1.9": test_6_1_9,
    "6.1.10": test_6_1_10,
    "6.1.13": test_6_1_13,
}
