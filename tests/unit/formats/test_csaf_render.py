"""CSAF 2.0 rendering: Log4Shell in both profiles, TLP mapping, ids, ranges, errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.formats.csaf import (
    CsafError,
    CsafProfile,
    check_csaf_mandatory,
    model_to_csaf,
    parse_csaf,
    validate_csaf,
    validate_csaf_schema,
)
from clearinghouse.formats.csaf_render import Interval, intervals
from clearinghouse.formats.csaf_vocab import vers_to_range
from clearinghouse.formats.model import (
    EventKind,
    FormatError,
    RangeEvent,
    RangeType,
    Revision,
    Severity,
    Tlp,
    VersionRange,
)
from tests.unit.formats.csaf_cases import LOG4J_CORE, VECTOR, log4shell, not_affected_only

PROFILES = list(CsafProfile)


def _products(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """product_id -> {name, purl, branch category, branch name}."""
    out: dict[str, dict[str, Any]] = {}
    stack = list(doc["product_tree"].get("branches", []))
    while stack:
        branch = stack.pop()
        stack.extend(branch.get("branches", []))
        if "product" in branch:
            product = branch["product"]
            out[product["product_id"]] = {
                "category": branch["category"],
                "branch": branch["name"],
                "purl": product.get("product_identification_helper", {}).get("purl"),
            }
    for product in doc["product_tree"].get("full_product_names", []):
        out[product["product_id"]] = {"category": None, "branch": product["name"], "purl": None}
    return out


@pytest.mark.parametrize("profile", PROFILES)
def test_log4shell_is_schema_valid_and_passes_python_mandatory_tests(profile: CsafProfile) -> None:
    doc = model_to_csaf(log4shell(), profile=profile)
    assert validate_csaf_schema(doc) == ()
    assert check_csaf_mandatory(doc) == ()
    assert doc["document"]["category"] == profile.value
    assert doc["document"]["csaf_version"] == "2.0"


@pytest.mark.parametrize("profile", PROFILES)
def test_log4shell_product_status(profile: CsafProfile) -> None:
    doc = model_to_csaf(log4shell(), profile=profile)
    products = _products(doc)
    vuln = doc["vulnerabilities"][0]
    status = vuln["product_status"]
    affected = {products[p]["branch"] for p in status["known_affected"]}
    assert affected == {
        "vers:maven/>=2.0-beta9|<2.3.1",
        "vers:maven/>=2.4|<2.12.2",
        "vers:maven/>=2.13.0|<2.15.0",
    }
    assert {products[p]["branch"] for p in status["fixed"]} == {"2.15.0", "2.12.2", "2.3.1"}
    assert {products[p]["purl"] for p in status["fixed"]} == {
        f"pkg:maven/org.apache.logging.log4j/log4j-core@{v}" for v in ("2.15.0", "2.12.2", "2.3.1")
    }
    [not_affected] = status["known_not_affected"]
    assert products[not_affected]["purl"] == "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1"
    assert vuln["flags"] == [
        {"label": "vulnerable_code_not_present", "product_ids": [not_affected]}
    ]
    # Every affected range gets its own fix as a vendor_fix action statement.
    fixes = {
        products[p]["branch"]: r["details"]
        for r in vuln["remediations"]
        if r["category"] == "vendor_fix"
        for p in r["product_ids"]
    }
    assert fixes["vers:maven/>=2.0-beta9|<2.3.1"].endswith("to version 2.3.1 or later.")
    assert fixes["vers:maven/>=2.13.0|<2.15.0"].endswith("to version 2.15.0 or later.")


def test_log4shell_vulnerability_fields() -> None:
    doc = model_to_csaf(log4shell())
    vuln = doc["vulnerabilities"][0]
    assert vuln["cve"] == "CVE-2021-44228"
    assert vuln["cwe"] == {"id": "CWE-502", "name": "Deserialization of Untrusted Data"}
    cwe_note = next(n for n in vuln["notes"] if n["category"] == "other")
    assert cwe_note["text"] == "CWE-917, CWE-20"
    [score] = vuln["scores"]
    assert score["cvss_v3"]["vectorString"] == VECTOR
    assert score["cvss_v3"]["baseScore"] == 10.0
    assert score["cvss_v3"]["baseSeverity"] == "CRITICAL"
    assert sorted(score["products"]) == sorted(vuln["product_status"]["known_affected"])
    assert vuln["acknowledgments"] == [
        {"names": ["Chen Zhaojun of Alibaba Cloud Security Team"], "summary": "finder"}
    ]
    assert {i["text"] for i in vuln["ids"]} == {"CH-2021-0001", "GHSA-jfh8-c2jp-5v3q"}
    assert vuln["release_date"] == "2021-12-10T00:00:00Z"
    tracking = doc["document"]["tracking"]
    assert tracking["version"] == "2"
    assert [r["number"] for r in tracking["revision_history"]] == ["1", "2"]
    assert "date" not in tracking["generator"]


def test_scores_are_computed_not_copied() -> None:
    """A wrong stored score is replaced by the one the vector gives (test 6.1.9)."""
    advisory = log4shell()
    vuln = replace(advisory.vulnerabilities[0], severity=(Severity("CVSS_V3", VECTOR, 1.0, "LOW"),))
    doc = model_to_csaf(replace(advisory, vulnerabilities=(vuln,)))
    assert doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] == 10.0


@pytest.mark.parametrize(
    ("tlp", "label", "strict_note"),
    [
        (Tlp.CLEAR, "WHITE", False),
        (Tlp.GREEN, "GREEN", False),
        (Tlp.AMBER, "AMBER", False),
        (Tlp.AMBER_STRICT, "AMBER", True),
        (Tlp.RED, "RED", False),
    ],
)
def test_tlp_2_labels_map_to_csaf_and_back(tlp: Tlp, label: str, strict_note: bool) -> None:
    doc = model_to_csaf(log4shell(tlp))
    distribution = doc["document"]["distribution"]
    assert distribution["tlp"]["label"] == label
    assert ("TLP:AMBER+STRICT" in distribution.get("text", "")) is strict_note
    assert parse_csaf(doc).tlp is tlp


def test_product_ids_are_stable_and_shared_between_vulnerabilities() -> None:
    advisory = log4shell()
    second = replace(
        advisory.vulnerabilities[0],
        id="CH-2021-0002",
        cve="CVE-2021-45046",
        aliases=("CVE-2021-45046",),
    )
    doc = model_to_csaf(replace(advisory, vulnerabilities=(advisory.vulnerabilities[0], second)))
    first_status, second_status = (v["product_status"] for v in doc["vulnerabilities"])
    assert first_status == second_status
    assert model_to_csaf(advisory) == model_to_csaf(log4shell())
    ids = list(_products(doc))
    assert len(ids) == len(set(ids)) == 7


def test_not_affected_only_renders_as_vex_with_impact_statement() -> None:
    doc = model_to_csaf(not_affected_only(), profile="csaf_vex")
    vuln = doc["vulnerabilities"][0]
    [pid] = vuln["product_status"]["known_not_affected"]
    assert vuln["flags"] == [{"label": "component_not_present", "product_ids": [pid]}]
    assert vuln["threats"] == [
        {
            "category": "impact",
            "details": "example-app is written in Python and ships no Java code.",
            "product_ids": [pid],
        }
    ]
    assert "remediations" not in vuln
    assert "scores" not in vuln  # a base score about no affected product says nothing
    assert check_csaf_mandatory(doc) == ()
    assert validate_csaf_schema(doc) == ()


def test_affected_without_fix_gets_none_available_action() -> None:
    advisory = log4shell()
    vuln = replace(
        advisory.vulnerabilities[0],
        affected=(),
        remediations=(),
        statements=(replace(advisory.vulnerabilities[0].statements[0], fixed_version=None),),
    )
    doc = model_to_csaf(replace(advisory, vulnerabilities=(vuln,)), profile="csaf_vex")
    out = doc["vulnerabilities"][0]
    assert out["remediations"] == [
        {
            "category": "none_available",
            "details": "No fix is available yet.",
            "product_ids": out["product_status"]["known_affected"],
        }
    ]
    assert check_csaf_mandatory(doc) == ()


def test_unknown_cwe_goes_to_a_note_not_to_cwe() -> None:
    advisory = log4shell()
    vuln = replace(advisory.vulnerabilities[0], cwes=("CWE-99999",))
    doc = model_to_csaf(replace(advisory, vulnerabilities=(vuln,)))
    out = doc["vulnerabilities"][0]
    assert "cwe" not in out
    assert any(n["text"] == "CWE-99999" for n in out["notes"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a, v: (a, replace(v, severity=(Severity("CVSS_V3", "CVSS:3.1/AV:X"),))), "CVSS"),
        (lambda a, v: (a, replace(v, affected=(), statements=())), "names no product"),
        (
            lambda a, v: (replace(a, revisions=(Revision("1.0", a.initial_release, "x"),)), v),
            "semantic version",
        ),
        (lambda a, v: (replace(a, status="published"), v), "tracking status"),
        (
            lambda a, v: (
                a,
                replace(
                    v,
                    affected=(
                        replace(v.affected[0], package=replace(LOG4J_CORE, purl="not a purl")),
                    ),
                ),
            ),
            "invalid purl",
        ),
    ],
)
def test_unrenderable_advisories_raise_csaf_error(change: Any, message: str) -> None:
    advisory = log4shell()
    new_advisory, vuln = change(advisory, advisory.vulnerabilities[0])
    with pytest.raises(CsafError, match=message):
        model_to_csaf(replace(new_advisory, vulnerabilities=(vuln,)))


@pytest.mark.parametrize("category", ["Csaf_VeX", "Security_Incident_Response", " "])
def test_a_prohibited_category_raises(category: str) -> None:
    with pytest.raises(CsafError, match="category"):
        model_to_csaf(log4shell(), profile=category)


@pytest.mark.parametrize(
    ("category", "message"),
    [
        (CsafProfile.SECURITY_ADVISORY, "needs at least one vulnerability"),
        (CsafProfile.VEX, "needs at least one vulnerability"),
        ("csaf_base", None),
        ("csaf_informational_advisory", None),
        ("csaf_security_incident_response", None),
        ("Example Company Security Notice", None),
    ],
)
def test_an_advisory_without_vulnerabilities_renders_in_the_profiles_that_allow_it(
    category: str, message: str | None
) -> None:
    """Issue #9, item 13: documents without vulnerabilities render back as CSAF."""
    advisory = replace(log4shell(), vulnerabilities=())
    if message is not None:
        with pytest.raises(CsafError, match=message):
            model_to_csaf(advisory, profile=category)
        return
    document = model_to_csaf(advisory, profile=category)
    assert document["document"]["category"] == category
    assert "vulnerabilities" not in document
    assert "product_tree" not in document
    assert validate_csaf(document) == ()


def test_an_informational_advisory_has_no_vulnerabilities() -> None:
    with pytest.raises(CsafError, match=r"6\.1\.27\.3"):
        model_to_csaf(log4shell(), profile="csaf_informational_advisory")


def test_a_vulnerability_naming_no_product_renders_in_csaf_base() -> None:
    advisory = log4shell()
    vuln = replace(advisory.vulnerabilities[0], affected=(), statements=(), remediations=())
    document = model_to_csaf(replace(advisory, vulnerabilities=(vuln,)), profile="csaf_base")
    [rendered] = document["vulnerabilities"]
    assert "product_status" not in rendered
    assert validate_csaf(document) == ()


# ----------------------------------------------------------------------------- vers ranges

_versions = st.lists(
    st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}(-[a-z]{1,5}[0-9]?)?", fullmatch=True),
    min_size=1,
    max_size=8,
    unique=True,
)


@given(_versions, st.lists(st.booleans(), min_size=8, max_size=8), st.booleans())
def test_each_interval_reads_back_from_its_vers_string(
    versions: list[str], inclusive: list[bool], open_end: bool
) -> None:
    """vers_to_range(Interval.vers()) gives the interval's own events again."""
    events: list[RangeEvent] = []
    for i, version in enumerate(versions):
        events.append(RangeEvent(EventKind.INTRODUCED, version))
        if i < len(versions) - 1 or not open_end:
            kind = EventKind.LAST_AFFECTED if inclusive[i] else EventKind.FIXED
            events.append(RangeEvent(kind, version + ".9"))
    try:
        rng = VersionRange(RangeType.ECOSYSTEM, tuple(events))
    except FormatError:
        return  # both fixed and last_affected in one range: the model refuses it
    for interval in intervals(rng):
        parsed = vers_to_range(interval.vers("maven"))
        assert parsed is not None
        back, exact = parsed
        assert exact == ()
        assert intervals(VersionRange(RangeType.ECOSYSTEM, back)) == [
            Interval(interval.lower, interval.upper, interval.upper_inclusive)
        ]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ((("introduced", "0"), ("fixed", "1.2")), ["vers:pypi/<1.2"]),
        ((("introduced", "0"),), ["vers:pypi/*"]),
        ((("introduced", "1.0"), ("last_affected", "1.4")), ["vers:pypi/>=1.0|<=1.4"]),
        (
            (("introduced", "1.0"), ("fixed", "1.1"), ("introduced", "2.0")),
            ["vers:pypi/>=1.0|<1.1", "vers:pypi/>=2.0"],
        ),
    ],
)
def test_intervals_to_vers(events: tuple[tuple[str, str], ...], expected: list[str]) -> None:
    rng = VersionRange(RangeType.ECOSYSTEM, tuple(RangeEvent(EventKind(k), v) for k, v in events))
    assert [i.vers("pypi") for i in intervals(rng)] == expected


@pytest.mark.parametrize(
    "vers", ["vers:maven/>1.0", "vers:maven/!=1.0", "vers:maven/", "1.0", "vers:maven/>=1|>=2"]
)
def test_unreadable_vers_ranges(vers: str) -> None:
    assert vers_to_range(vers) is None
