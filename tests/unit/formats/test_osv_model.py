"""OSV record <-> neutral advisory: markings, dates, severities, packages, and a round trip."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    Severity,
    Tlp,
    VersionRange,
    Vulnerability,
)
from clearinghouse.formats.osv import (
    CLEARINGHOUSE_KEY,
    OsvError,
    dump_osv,
    model_to_osv,
    osv_schema_violations,
    osv_to_model,
    parse_osv,
)

V31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N"
V40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


def _record(**fields: Any) -> dict[str, Any]:
    return {"id": "PYSEC-2024-1", "modified": "2024-03-01T00:00:00Z", **fields}


def test_missing_marking_is_never_clear() -> None:
    with pytest.raises(OsvError, match="carries no TLP marking"):
        osv_to_model(parse_osv(_record()))
    assert osv_to_model(parse_osv(_record()), tlp=Tlp.GREEN).tlp is Tlp.GREEN


def test_carried_marking_wins_and_bad_marking_is_typed() -> None:
    carried = _record(database_specific={CLEARINGHOUSE_KEY: {"tlp": "AMBER+STRICT"}})
    assert osv_to_model(parse_osv(carried), tlp=Tlp.CLEAR).tlp is Tlp.AMBER_STRICT
    bad = _record(database_specific={CLEARINGHOUSE_KEY: {"tlp": "WHITE"}})
    with pytest.raises(OsvError) as caught:
        osv_to_model(parse_osv(bad), tlp=Tlp.CLEAR)
    assert caught.value.path == "$.database_specific.clearinghouse.tlp"


def test_fields_map_to_the_model() -> None:
    record = parse_osv(
        _record(
            published="2024-02-01T00:00:00Z",
            aliases=["GHSA-aaaa-bbbb-cccc", "CVE-2024-0001"],
            summary="Short",
            details="Long text",
            severity=[{"type": "CVSS_V3", "score": V31}],
            affected=[
                {
                    "package": {"ecosystem": "PyPI", "name": "demo", "purl": "pkg:pypi/demo"},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}
                    ],
                    "versions": ["1.0", "1.1"],
                }
            ],
            references=[
                {"type": "ADVISORY", "url": "https://example.org/a"},
                {"type": "GIT", "url": "https://example.org/repo.git"},
            ],
            credits=[{"name": "Reporter", "type": "REPORTER"}, {"name": "Someone"}],
            database_specific={"cwe_ids": ["CWE-79", "not-a-cwe"]},
        )
    )
    advisory = osv_to_model(record, tlp=Tlp.CLEAR)
    (v,) = advisory.vulnerabilities
    assert advisory.id == "PYSEC-2024-1"
    assert advisory.title == "Short"
    assert advisory.publisher.name == "PyPA Advisory Database"
    assert advisory.initial_release == datetime(2024, 2, 1, tzinfo=UTC)
    assert advisory.current_release == datetime(2024, 3, 1, tzinfo=UTC)
    assert v.cve == "CVE-2024-0001"
    assert v.cwes == ("CWE-79",)
    assert v.severity == (Severity("CVSS_V3", V31, 6.5, "MEDIUM"),)
    (affected,) = v.affected
    assert affected.package == Package("PyPI", "demo", "pkg:pypi/demo")
    assert affected.versions == ("1.0", "1.1")
    assert [r.kind for r in v.references] == [ReferenceKind.ADVISORY, ReferenceKind.WEB]
    assert [(c.name, c.kind) for c in v.credits] == [("Reporter", "REPORTER"), ("Someone", "OTHER")]


def test_title_falls_back_to_details_then_id() -> None:
    details = osv_to_model(parse_osv(_record(details="\n First line\nmore")), tlp=Tlp.CLEAR)
    assert details.title == "First line"
    bare = osv_to_model(parse_osv(_record()), tlp=Tlp.CLEAR)
    assert bare.title == "PYSEC-2024-1"
    assert bare.publisher.namespace == "https://github.com/pypa/advisory-database"
    other = osv_to_model(parse_osv(_record(id="OSV-2024-9")), tlp=Tlp.CLEAR)
    assert other.publisher.namespace == "https://osv.dev"


def test_published_after_modified_does_not_break_the_advisory() -> None:
    record = parse_osv(_record(published="2024-04-01T00:00:00Z"))
    advisory = osv_to_model(record, tlp=Tlp.CLEAR)
    assert advisory.initial_release == advisory.current_release == datetime(2024, 3, 1, tzinfo=UTC)
    assert advisory.vulnerabilities[0].published == datetime(2024, 4, 1, tzinfo=UTC)


def test_withdrawn_is_carried_into_the_model() -> None:
    record = parse_osv(_record(withdrawn="2024-03-01T00:00:00Z"))
    assert osv_to_model(record, tlp=Tlp.CLEAR).vulnerabilities[0].withdrawn == datetime(
        2024, 3, 1, tzinfo=UTC
    )


def test_package_severity_is_used_when_the_record_has_none() -> None:
    record = parse_osv(
        _record(
            affected=[
                {
                    "package": {"ecosystem": "npm", "name": "a"},
                    "severity": [{"type": "CVSS_V4", "score": V40}],
                },
                {
                    "package": {"ecosystem": "npm", "name": "b"},
                    "severity": [{"type": "CVSS_V4", "score": V40}],
                },
            ]
        )
    )
    (severity,) = osv_to_model(record, tlp=Tlp.CLEAR).vulnerabilities[0].severity
    assert (severity.type, severity.base_score) == ("CVSS_V4", 9.3)


def test_ubuntu_priority_has_no_score() -> None:
    record = parse_osv(_record(severity=[{"type": "Ubuntu", "score": "medium"}]))
    (severity,) = osv_to_model(record, tlp=Tlp.CLEAR).vulnerabilities[0].severity
    assert severity == Severity("Ubuntu", "medium")
    (back,) = model_to_osv(osv_to_model(record, tlp=Tlp.CLEAR))
    assert dump_osv(back)["severity"] == [{"type": "Ubuntu", "score": "medium"}]


@pytest.mark.parametrize(
    ("severity", "fragment"),
    [
        ({"type": "CVSS_V3", "score": "CVSS:3.1/AV:N"}, "Missing mandatory"),
        ({"type": "CVSS_V3", "score": V40}, "cannot be of type CVSS_V3"),
        ({"type": "CVSS_V2", "score": V31}, "cannot be of type CVSS_V2"),
    ],
)
def test_bad_vectors_are_located(severity: dict[str, str], fragment: str) -> None:
    record = parse_osv(_record(severity=[{"type": "CVSS_V3", "score": V31}, severity]))
    with pytest.raises(OsvError, match=fragment) as caught:
        osv_to_model(record, tlp=Tlp.CLEAR)
    assert caught.value.path == "$.severity[1].score"


def test_repository_only_entries_become_git_packages() -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    record = parse_osv(
        _record(
            id="OSV-2024-2",
            affected=[
                {
                    "ranges": [
                        {
                            "type": "GIT",
                            "repo": "https://x.org/r.git",
                            "events": [{"introduced": commit}],
                        }
                    ]
                },
                {"versions": ["1.0"]},  # neither package nor repository: nothing to match
            ],
        )
    )
    advisory = osv_to_model(record, tlp=Tlp.CLEAR)
    (affected,) = advisory.vulnerabilities[0].affected
    assert affected.package == Package("GIT", "https://x.org/r.git")
    (back,) = model_to_osv(advisory)
    assert osv_schema_violations(dump_osv(back)) == ()


def test_empty_package_name_is_located() -> None:
    record = parse_osv(_record(affected=[{}, {"package": {"ecosystem": "PyPI", "name": ""}}]))
    with pytest.raises(OsvError) as caught:
        osv_to_model(record, tlp=Tlp.CLEAR)
    assert caught.value.path == "$.affected[1]"


def _advisory(*vulnerabilities: Vulnerability) -> Advisory:
    return Advisory(
        id="CH-2024-0007",
        title="Advisory title",
        publisher=Publisher("Clearinghouse", "https://clearinghouse.example"),
        tlp=Tlp.GREEN,
        initial_release=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        current_release=datetime(2024, 5, 2, 12, 0, 0, 250000, tzinfo=UTC),
        vulnerabilities=vulnerabilities,
        summary="Advisory summary",
        references=(
            Reference("https://clearinghouse.example/CH-2024-0007", ReferenceKind.ADVISORY),
        ),
    )


def test_model_to_osv_one_record_per_vulnerability_with_advisory_defaults() -> None:
    first = Vulnerability(id="GHSA-aaaa-bbbb-cccc", cve="CVE-2024-1111")
    second = Vulnerability(id="PYSEC-2024-2", aliases=("PYSEC-2024-2", "GHSA-dddd-eeee-ffff"))
    records = model_to_osv(_advisory(first, second))
    one, two = (dump_osv(r) for r in records)
    assert one["aliases"] == ["CVE-2024-1111"]
    assert two["aliases"] == ["GHSA-dddd-eeee-ffff"]  # never its own id
    assert one["modified"] == "2024-05-02T12:00:00.250000Z"
    assert one["published"] == "2024-05-01T12:00:00Z"
    assert one["summary"] == "Advisory title"
    assert one["details"] == "Advisory summary"
    assert one["references"] == [
        {"type": "ADVISORY", "url": "https://clearinghouse.example/CH-2024-0007"}
    ]
    assert one["database_specific"][CLEARINGHOUSE_KEY] == {
        "advisory_id": "CH-2024-0007",
        "tlp": "GREEN",
    }
    assert all(osv_schema_violations(d) == () for d in (one, two))


def test_model_credit_kinds_outside_osv_become_other() -> None:
    v = Vulnerability(
        id="GHSA-aaaa-bbbb-cccc",
        credits=(Credit("Bot", "scanner"), Credit("Ana", "remediation developer")),
    )
    (record,) = model_to_osv(_advisory(v))
    assert dump_osv(record)["credits"] == [
        {"name": "Bot", "type": "OTHER"},
        {"name": "Ana", "type": "REMEDIATION_DEVELOPER"},
    ]


def test_model_severity_without_osv_type_is_refused() -> None:
    v = Vulnerability(id="GHSA-aaaa-bbbb-cccc", severity=(Severity("SSVC", "x"),))
    with pytest.raises(OsvError, match="no OSV equivalent"):
        model_to_osv(_advisory(v))


def test_platform_ids_need_a_registered_prefix() -> None:
    # Documented limitation: CH- is not (yet) an OSV-registered prefix.
    (record,) = model_to_osv(_advisory(Vulnerability(id="CH-2024-0007-1")))
    assert [v.path for v in osv_schema_violations(dump_osv(record))] == ["$.id"]


# --- property: model -> OSV -> model keeps what OSV can carry ---------------------------

_word = st.text("abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=8)
_event_values = st.lists(_word, min_size=1, max_size=4)


def _range(kind: RangeType, values: list[str], last: bool) -> VersionRange:
    ends = EventKind.LAST_AFFECTED if last else EventKind.FIXED
    events = [
        RangeEvent(EventKind.INTRODUCED if i % 2 == 0 else ends, v) for i, v in enumerate(values)
    ]
    return VersionRange(
        kind, tuple(events), "https://example.org/r.git" if kind is RangeType.GIT else None
    )


_affected = st.builds(
    Affected,
    st.builds(
        Package, st.sampled_from(["PyPI", "npm", "Maven", "crates.io"]), _word, st.none() | _word
    ),
    st.lists(
        st.builds(_range, st.sampled_from(RangeType), _event_values, st.booleans()), max_size=2
    ).map(tuple),
    st.lists(_word, max_size=3).map(tuple),
)
_vulnerabilities = st.builds(
    Vulnerability,
    id=st.just("GHSA-aaaa-bbbb-cccc"),
    summary=_word,
    details=_word,
    aliases=st.lists(
        st.sampled_from(["CVE-2024-0001", "PYSEC-2024-1", "GHSA-xxxx-yyyy-zzzz"]), unique=True
    ).map(tuple),
    cwes=st.lists(st.sampled_from(["CWE-79", "CWE-89", "CWE-502"]), unique=True).map(tuple),
    severity=st.lists(st.sampled_from([V31, V40]), unique=True, max_size=2).map(
        lambda vs: tuple(
            __import__("clearinghouse.formats.cvss", fromlist=["score"]).score(v) for v in vs
        )
    ),
    affected=st.lists(_affected, max_size=3).map(tuple),
    references=st.lists(
        st.builds(
            Reference,
            _word.map(lambda w: f"https://example.org/{w}"),
            st.sampled_from(ReferenceKind),
        ),
        max_size=3,
        unique_by=lambda r: r.url,
    ).map(tuple),
    credits=st.lists(
        st.builds(
            Credit,
            _word,
            st.sampled_from(["FINDER", "TOOL", "SPONSOR"]),
            st.lists(_word, max_size=2).map(tuple),
        ),
        max_size=2,
    ).map(tuple),
    published=st.just(datetime(2024, 1, 1, tzinfo=UTC)),
    modified=st.just(datetime(2024, 1, 2, tzinfo=UTC)),
)


@given(_vulnerabilities)
def test_model_round_trips_through_osv(vulnerability: Vulnerability) -> None:
    advisory = dataclasses.replace(_advisory(vulnerability), references=())
    (record,) = model_to_osv(advisory)
    (back,) = osv_to_model(parse_osv(dump_osv(record))).vulnerabilities
    expected_cve = next((a for a in vulnerability.aliases if a.startswith("CVE-")), None)
    assert back == dataclasses.replace(vulnerability, cve=expected_cve)
