"""CVE 5.x: version entries from OSV ranges, metrics, errors, and importing real records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.formats.csaf import parse_csaf
from clearinghouse.formats.cve5 import (
    GENERIC_ECOSYSTEM,
    Cve5Error,
    cve5_schema_violations,
    cve_time,
    model_to_cve5,
    parse_cve5,
    validate_cve5,
)
from clearinghouse.formats.cvss import CvssError
from clearinghouse.formats.model import (
    Advisory,
    Affected,
    EventKind,
    Package,
    ProductStatement,
    ProductStatus,
    Publisher,
    RangeEvent,
    RangeType,
    Reference,
    Severity,
    Tlp,
    VersionRange,
    Vulnerability,
)

ORG = "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"
COMMIT_A = "0123456789abcdef0123456789abcdef01234567"
COMMIT_B = "89abcdef0123456789abcdef0123456789abcdef"


def _range(kind: RangeType, *events: tuple[str, str], repo: str | None = None) -> VersionRange:
    return VersionRange(kind, tuple(RangeEvent(EventKind(k), v) for k, v in events), repo)


def _vulnerability(*affected: Affected, **fields: Any) -> Vulnerability:
    defaults: dict[str, Any] = {
        "id": "CH-2024-0001-1",
        "cve": "CVE-2024-12345",
        "summary": "Path traversal in demo",
        "details": "Crafted archives write outside the target directory.",
        "affected": affected,
        "references": (Reference("https://example.org/advisory"),),
    }
    return Vulnerability(**{**defaults, **fields})


def _render(vulnerability: Vulnerability, **advisory_fields: Any) -> dict[str, Any]:
    advisory = Advisory(
        **{
            "id": "CH-2024-0001",
            "title": "Demo advisory",
            "publisher": Publisher("Clearinghouse", "https://clearinghouse.example"),
            "tlp": Tlp.CLEAR,
            "initial_release": datetime(2024, 6, 1, tzinfo=UTC),
            "current_release": datetime(2024, 6, 2, 8, 30, 15, 123456, tzinfo=UTC),
            "vulnerabilities": (vulnerability,),
            **advisory_fields,
        }
    )
    record = model_to_cve5(advisory, vulnerability, cna_org_id=ORG, cna_short_name="demo-cna")
    assert cve5_schema_violations(record) == ()
    return record


def _product(record: dict[str, Any], index: int = 0) -> dict[str, Any]:
    product: dict[str, Any] = record["containers"]["cna"]["affected"][index]
    return product


def test_timestamps_are_utc_milliseconds() -> None:
    assert (
        cve_time(datetime(2024, 6, 2, 8, 30, 15, 123456, tzinfo=UTC)) == "2024-06-02T08:30:15.123Z"
    )
    record = _render(_vulnerability(Affected(Package("PyPI", "demo"))))
    assert record["cveMetadata"]["dateUpdated"] == "2024-06-02T08:30:15.123Z"
    assert record["containers"]["cna"]["datePublic"] == "2024-06-01T00:00:00.000Z"


def test_introduced_zero_and_open_ranges() -> None:
    record = _render(
        _vulnerability(
            Affected(
                Package("PyPI", "demo"),
                (
                    _range(RangeType.ECOSYSTEM, ("introduced", "0"), ("fixed", "1.4.2")),
                    _range(RangeType.ECOSYSTEM, ("introduced", "2.0")),
                ),
            )
        )
    )
    product = _product(record)
    assert product["collectionURL"] == "https://pypi.python.org"
    assert product["versions"] == [
        {"version": "0", "status": "affected", "lessThan": "1.4.2", "versionType": "python"},
        {"version": "2.0", "status": "affected", "lessThan": "*", "versionType": "python"},
    ]
    assert product["defaultStatus"] == "unaffected"


def test_last_affected_becomes_less_than_or_equal() -> None:
    record = _render(
        _vulnerability(
            Affected(
                Package("crates.io", "demo"),
                (_range(RangeType.SEMVER, ("introduced", "0.2.0"), ("last_affected", "0.3.1")),),
            )
        )
    )
    assert _product(record)["versions"] == [
        {
            "version": "0.2.0",
            "status": "affected",
            "lessThanOrEqual": "0.3.1",
            "versionType": "semver",
        }
    ]


def test_git_ranges_only_when_nothing_else_describes_the_package() -> None:
    git = _range(
        RangeType.GIT, ("introduced", COMMIT_A), ("fixed", COMMIT_B), repo="https://x.org/r"
    )
    both = _render(
        _vulnerability(
            Affected(
                Package("npm", "demo"),
                (_range(RangeType.ECOSYSTEM, ("introduced", "1.0.0"), ("fixed", "1.0.1")), git),
            )
        )
    )
    assert [v["versionType"] for v in _product(both)["versions"]] == ["semver"]
    assert _product(both)["repo"] == "https://x.org/r"
    only = _render(_vulnerability(Affected(Package("GIT", "https://x.org/r"), (git,))))
    product = _product(only)
    assert product["versions"] == [
        {"version": COMMIT_A, "status": "affected", "lessThan": COMMIT_B, "versionType": "git"}
    ]
    assert (product["vendor"], product["product"]) == ("n/a", "https://x.org/r")


def test_listed_versions_when_there_are_no_ranges() -> None:
    record = _render(_vulnerability(Affected(Package("RubyGems", "demo"), versions=("1.0", "1.1"))))
    assert _product(record)["versions"] == [
        {"version": "1.0", "status": "affected"},
        {"version": "1.1", "status": "affected"},
    ]
    bare = _render(_vulnerability(Affected(Package("RubyGems", "demo"))))
    assert "versions" not in _product(bare)
    assert _product(bare)["defaultStatus"] == "unknown"


def test_vendor_comes_from_statements_or_generic_purl() -> None:
    package = Package("Maven", "org.example:demo")
    statement = ProductStatement(package, ProductStatus.AFFECTED, vendor="Example Corp")
    record = _render(_vulnerability(Affected(package), statements=(statement,)))
    assert (_product(record)["vendor"], _product(record)["product"]) == (
        "Example Corp",
        "org.example:demo",
    )
    generic = Package(GENERIC_ECOSYSTEM, "Router OS", "pkg:generic/ACME/Router%20OS")
    record = _render(_vulnerability(Affected(generic)))
    assert (_product(record)["vendor"], _product(record)["product"]) == ("ACME", "Router OS")
    assert "collectionURL" not in _product(record)


def test_metrics_recompute_scores_and_skip_non_cvss() -> None:
    stale = Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 1.0, "LOW")
    v4 = Severity("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
    v2 = Severity("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P")
    ubuntu = Severity("Ubuntu", "medium")
    record = _render(
        _vulnerability(Affected(Package("npm", "demo")), severity=(stale, v4, v2, ubuntu))
    )
    metrics = record["containers"]["cna"]["metrics"]
    assert [next(k for k in m if k.startswith("cvss")) for m in metrics] == [
        "cvssV3_1",
        "cvssV4_0",
        "cvssV2_0",
    ]
    assert (metrics[0]["cvssV3_1"]["baseScore"], metrics[0]["cvssV3_1"]["baseSeverity"]) == (
        9.8,
        "CRITICAL",
    )
    assert metrics[1]["cvssV4_0"] == {
        "version": "4.0",
        "vectorString": v4.vector,
        "baseScore": 9.3,
        "baseSeverity": "CRITICAL",
    }
    assert metrics[2]["cvssV2_0"]["baseScore"] == 7.5


@pytest.mark.parametrize(
    ("vector", "scores"),
    [
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/MC:N/MI:N/MA:N",
            {"baseScore": 10.0, "environmentalScore": 0.0},
        ),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P", {"temporalScore": 9.3}),
    ],
)
def test_temporal_and_environmental_scores_are_numbers(
    vector: str, scores: dict[str, float]
) -> None:
    """Issue #9, item 5: every CVSS 3.x field was written as a string, which fails the
    CVE schema (``environmentalScore: "0.0"``); ``_render`` validates the record."""
    record = _render(
        _vulnerability(Affected(Package("npm", "demo")), severity=(Severity("CVSS_V3", vector),))
    )
    [metric] = record["containers"]["cna"]["metrics"]
    body = metric["cvssV3_1" if vector.startswith("CVSS:3.1") else "cvssV3_0"]
    assert {k: body[k] for k in scores} == scores
    assert all(type(body[k]) is float for k in scores)


def test_long_description_keeps_its_full_text_as_supporting_media() -> None:
    details = "word " * 2000
    record = _render(_vulnerability(Affected(Package("npm", "demo")), details=details))
    (description,) = record["containers"]["cna"]["descriptions"]
    assert 4000 < len(description["value"]) <= 4096
    assert description["value"].endswith("…")
    assert description["supportingMedia"][0]["value"] == details.strip()


def test_title_is_clipped_and_references_deduplicated() -> None:
    reference = Reference("https://example.org/advisory")
    record = _render(
        _vulnerability(
            Affected(Package("npm", "demo")), summary="t" * 300, references=(reference, reference)
        ),
        references=(reference,),
    )
    cna = record["containers"]["cna"]
    assert len(cna["title"]) == 256
    assert cna["references"] == [{"url": "https://example.org/advisory"}]


@pytest.mark.parametrize(
    ("fields", "kwargs", "fragment"),
    [
        ({"cve": None}, {}, "has no CVE id"),
        ({"references": ()}, {}, "at least one reference"),
        ({"affected": ()}, {}, "lists no affected package"),
        ({"details": "", "summary": ""}, {"title": " "}, "needs a description"),
        ({}, {"cna_org_id": "not-a-uuid"}, "is not a UUID"),
        ({}, {"cna_short_name": "x"}, "2 to 32 characters"),
    ],
)
def test_unrenderable_vulnerabilities_raise_cve5_error(
    fields: dict[str, Any], kwargs: dict[str, Any], fragment: str
) -> None:
    vulnerability = _vulnerability(Affected(Package("npm", "demo")), **fields)
    advisory = Advisory(
        id="CH-2024-0001",
        title=kwargs.pop("title", "Demo"),
        publisher=Publisher("Clearinghouse", "https://clearinghouse.example"),
        tlp=Tlp.CLEAR,
        initial_release=datetime(2024, 6, 1, tzinfo=UTC),
        current_release=datetime(2024, 6, 1, tzinfo=UTC),
        vulnerabilities=(vulnerability,),
    )
    arguments = {"cna_org_id": ORG, "cna_short_name": "demo-cna", **kwargs}
    with pytest.raises(Cve5Error, match=fragment):
        model_to_cve5(advisory, vulnerability, **arguments)


def test_bad_vector_is_a_cvss_error() -> None:
    vulnerability = _vulnerability(
        Affected(Package("npm", "demo")), severity=(Severity("CVSS_V3", "CVSS:3.1/AV:N"),)
    )
    with pytest.raises(CvssError):
        _render(vulnerability)


def test_cve_id_may_be_the_vulnerability_id() -> None:
    record = _render(
        _vulnerability(Affected(Package("npm", "demo")), id="CVE-2024-55555", cve=None)
    )
    assert record["cveMetadata"]["cveId"] == "CVE-2024-55555"


# --- importing ---------------------------------------------------------------------------


def _minimal(**cna: Any) -> dict[str, Any]:
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {"cveId": "CVE-2024-0002", "assignerOrgId": ORG, "state": "PUBLISHED"},
        "containers": {
            "cna": {
                "providerMetadata": {"orgId": ORG, "dateUpdated": "2024-07-01T10:00:00"},
                "descriptions": [
                    {"lang": "de", "value": "Beschreibung"},
                    {"lang": "en-US", "value": "Description\nsecond line"},
                ],
                "affected": [{"vendor": "ACME", "product": "Widget", "defaultStatus": "affected"}],
                "references": [{"url": "https://example.org/r", "tags": ["related", "patch"]}],
                **cna,
            }
        },
    }


def test_parse_minimal_record() -> None:
    advisory = parse_cve5(_minimal(), tlp=Tlp.AMBER)
    (v,) = advisory.vulnerabilities
    assert advisory.tlp is Tlp.AMBER
    assert advisory.title == "Description"
    assert v.details == "Description\nsecond line"
    assert advisory.initial_release == datetime(2024, 7, 1, 10, tzinfo=UTC)  # no offset: UTC
    (affected,) = v.affected
    assert affected.package == Package(GENERIC_ECOSYSTEM, "Widget", "pkg:generic/ACME/Widget")
    assert affected.ranges == (_range(RangeType.ECOSYSTEM, ("introduced", "0")),)
    assert v.references[0].kind.value == "FIX"


def test_parse_maps_collections_versions_and_changes() -> None:
    record = _minimal(
        affected=[
            {
                "collectionURL": "https://pypi.org/",
                "packageName": "demo",
                "versions": [
                    {
                        "version": "0",
                        "status": "affected",
                        "lessThan": "1.2",
                        "versionType": "python",
                    },
                    {
                        "version": "1.5",
                        "status": "affected",
                        "lessThanOrEqual": "1.7",
                        "versionType": "python",
                    },
                    {
                        "version": "2.0",
                        "status": "affected",
                        "lessThan": "*",
                        "versionType": "python",
                    },
                    {"version": "3.0.1", "status": "affected"},
                    {
                        "version": "4.0",
                        "status": "unaffected",
                        "lessThan": "4.*",
                        "versionType": "python",
                        "changes": [
                            {"at": "4.2", "status": "affected"},
                            {"at": "4.4", "status": "unaffected"},
                        ],
                    },
                    {"version": "5.0", "status": "unaffected"},
                ],
            },
            {
                "vendor": "n/a",
                "product": "thing",
                "versions": [{"version": "1", "status": "unaffected"}],
            },
        ]
    )
    (v,) = parse_cve5(record, tlp=Tlp.CLEAR).vulnerabilities
    (affected,) = v.affected  # the second product affects nothing
    assert affected.package == Package("PyPI", "demo")
    assert affected.versions == ("3.0.1",)
    shared, inclusive = affected.ranges
    assert [(e.kind.value, e.value) for e in shared.events] == [
        ("introduced", "0"),
        ("fixed", "1.2"),
        ("introduced", "2.0"),
        ("introduced", "4.2"),
        ("fixed", "4.4"),
    ]
    assert [(e.kind.value, e.value) for e in inclusive.events] == [
        ("introduced", "1.5"),
        ("last_affected", "1.7"),
    ]


def test_parse_rejected_record_is_withdrawn() -> None:
    record = {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": "CVE-2024-0003",
            "assignerOrgId": ORG,
            "state": "REJECTED",
            "dateRejected": "2024-08-01T00:00:00.000Z",
            "dateUpdated": "2024-08-01T00:00:00.000Z",
        },
        "containers": {
            "cna": {
                "providerMetadata": {"orgId": ORG},
                "rejectedReasons": [{"lang": "en", "value": "Duplicate of CVE-2024-0002."}],
            }
        },
    }
    advisory = parse_cve5(record, tlp=Tlp.CLEAR)
    (v,) = advisory.vulnerabilities
    assert v.withdrawn == datetime(2024, 8, 1, tzinfo=UTC)
    assert v.details == "Duplicate of CVE-2024-0002."
    assert advisory.title == "Rejected: CVE-2024-0003"


def test_parse_validates_first_by_default() -> None:
    broken = _minimal()
    del broken["containers"]["cna"]["references"]
    with pytest.raises(Cve5Error, match="not valid against the CVE5 schema"):
        parse_cve5(broken, tlp=Tlp.CLEAR)
    with pytest.raises(Cve5Error, match="not valid"):
        validate_cve5({"dataType": "CVE_RECORD"})


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (
            lambda r: r["containers"]["cna"].__setitem__("affected", "x"),
            "$.containers.cna.affected",
        ),
        (lambda r: r["cveMetadata"].__setitem__("cveId", 5), "$.cveMetadata.cveId"),
        (
            lambda r: r["containers"]["cna"].__setitem__(
                "metrics", [{"cvssV3_1": {"vectorString": "CVSS:3.1/AV:N"}}]
            ),
            "$.containers.cna.metrics[0].cvssV3_1.vectorString",
        ),
        (
            lambda r: r["containers"]["cna"].__setitem__("datePublic", "someday"),
            "$.containers.cna.datePublic",
        ),
        (
            lambda r: r["containers"]["cna"]["affected"][0].pop("product"),
            "$.containers.cna.affected[0]",
        ),
    ],
)
def test_parse_without_schema_still_checks_what_it_reads(mutate: Any, path: str) -> None:
    record = _minimal()
    mutate(record)
    with pytest.raises(Cve5Error) as caught:
        parse_cve5(record, tlp=Tlp.CLEAR, validate=False)
    assert caught.value.path == path


def test_parse_needs_some_date() -> None:
    record = _minimal()
    del record["containers"]["cna"]["providerMetadata"]["dateUpdated"]
    with pytest.raises(Cve5Error, match="no publication or update date"):
        parse_cve5(record, tlp=Tlp.CLEAR)


@pytest.mark.shared_data
def test_official_advanced_example_imports_and_renders_valid(shared_data: Path) -> None:
    path = shared_data / "schemas" / "cve" / "full-record-advanced-example.json"
    example = json.loads(path.read_text())
    assert cve5_schema_violations(example) == ()
    advisory = parse_cve5(example, tlp=Tlp.CLEAR)
    (v,) = advisory.vulnerabilities
    assert advisory.id == v.cve == "CVE-1900-1234"
    assert advisory.publisher.name == "example"
    assert v.cwes == ("CWE-78",)
    assert [(s.type, s.base_score, s.base_severity) for s in v.severity] == [
        ("CVSS_V4", 7.8, "HIGH"),
        ("CVSS_V3", 9.8, "CRITICAL"),
        ("CVSS_V3", 7.3, "HIGH"),
    ]
    (affected,) = v.affected
    assert affected.package.purl == "pkg:generic/Example.org/Example%20Enterprise"
    (semver,) = affected.ranges
    assert [e.value for e in semver.events] == ["1.0.0", "1.0.6", "2.1.6", "2.1.9"]
    assert [c.kind for c in v.credits] == ["FINDER", "ANALYST", "TOOL"]
    assert [r.category for r in v.remediations] == ["vendor_fix", "workaround"]
    # and the import renders back to a valid record with the same ranges
    again = model_to_cve5(advisory, v, cna_org_id=ORG, cna_short_name="example")
    assert cve5_schema_violations(again) == ()
    assert parse_cve5(again, tlp=Tlp.CLEAR).vulnerabilities[0].affected == v.affected


@pytest.mark.shared_data
@pytest.mark.parametrize("use_case", ["06", "07", "08"])
def test_oasis_vex_examples_with_environmental_scores_render_valid_cve_records(
    shared_data: Path, use_case: str
) -> None:
    """Issue #9, item 5: the OASIS VEX examples 2022-evd-uc-06/07/08 carry CVSS vectors
    with environmental metrics; their CVE renditions failed the schema."""
    path = shared_data / "csaf/examples/csaf/csaf_vex" / f"2022-evd-uc-{use_case}-001.json"
    advisory = parse_csaf(json.loads(path.read_text()))
    for vulnerability in advisory.vulnerabilities:
        record = model_to_cve5(advisory, vulnerability, cna_org_id=ORG, cna_short_name="oasis")
        assert cve5_schema_violations(record) == (), vulnerability.id
