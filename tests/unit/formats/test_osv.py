"""OSV records: faithful parse/dump, loading JSON and YAML, and one typed error per bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.formats.model import EventKind, FormatError, RangeType
from clearinghouse.formats.osv import (
    CreditType,
    OsvAffected,
    OsvCredit,
    OsvError,
    OsvEvent,
    OsvLimits,
    OsvPackage,
    OsvRange,
    OsvRecord,
    OsvReference,
    OsvSeverity,
    ReferenceType,
    SeverityType,
    dump_osv,
    dumps_osv,
    load_osv,
    osv_schema_violations,
    parse_osv,
    validate_osv_schema,
)
from clearinghouse.formats.schemas import load_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "formats" / "osv"
VALID = sorted((FIXTURES / "valid").iterdir())


def _raw(path: Path) -> Any:
    return load_document(path.read_bytes(), filename=path.name, error=OsvError)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixtures_round_trip_and_validate(path: Path) -> None:
    raw = _raw(path)
    record = load_osv(path.read_bytes(), filename=path.name)
    assert record == parse_osv(raw)
    assert dump_osv(record) == raw
    assert parse_osv(dump_osv(record)) == record
    assert orjson.loads(dumps_osv(record)) == raw
    assert osv_schema_violations(raw) == ()
    validate_osv_schema(dump_osv(record))


def test_yaml_timestamps_keep_their_original_text() -> None:
    record = load_osv((FIXTURES / "valid" / "pypi-range.yaml").read_text(), filename="r.yaml")
    assert record.modified == "2024-01-02T03:04:05.123456Z"
    assert record.modified_at == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert record.published_at == datetime(2023, 12, 31, tzinfo=UTC)


def test_absent_and_empty_lists_stay_distinct() -> None:
    record = load_osv((FIXTURES / "valid" / "pypi-range.yaml").read_bytes(), filename="r.yaml")
    assert record.related == ()
    assert record.severity == ()
    assert record.credits is None
    assert record.upstream is None
    dumped = dump_osv(record)
    assert dumped["related"] == []
    assert "credits" not in dumped


def test_typed_fields() -> None:
    record = load_osv((FIXTURES / "valid" / "pypi-range.yaml").read_bytes(), filename="r.yaml")
    (affected,) = record.affected or ()
    assert affected.package == OsvPackage("PyPI", "example", "pkg:pypi/example")
    ecosystem, git = affected.ranges or ()
    assert ecosystem.type is RangeType.ECOSYSTEM
    assert [(e.kind, e.value) for e in ecosystem.events] == [
        (EventKind.INTRODUCED, "0"),
        (EventKind.FIXED, "1.2.4"),
    ]
    assert git.repo == "https://example.org/example.git"
    assert affected.versions == ("1.0.0", "1.2.3")
    assert [r.type for r in record.references or ()] == [ReferenceType.FIX, ReferenceType.WEB]


def test_withdrawn_records_parse_but_are_flagged() -> None:
    record = load_osv((FIXTURES / "valid" / "withdrawn.json").read_bytes(), filename="w.json")
    assert record.is_withdrawn
    assert record.withdrawn_at == datetime(2024, 2, 1, tzinfo=UTC)
    live = load_osv((FIXTURES / "valid" / "minimal.json").read_bytes(), filename="m.json")
    assert not live.is_withdrawn
    assert live.withdrawn_at is None


def test_opaque_and_unknown_fields_are_kept_read_only() -> None:
    record = load_osv((FIXTURES / "valid" / "withdrawn.json").read_bytes(), filename="w.json")
    assert record.database_specific is not None
    assert record.database_specific["nested"] == {"list": (1, 2.5, True, None, "x")}
    with pytest.raises(TypeError):
        record.database_specific["license"] = "MIT"  # type: ignore[index]
    future = load_osv(
        (FIXTURES / "valid" / "git-only-future-fields.json").read_bytes(), filename="f"
    )
    (affected,) = future.affected or ()
    assert affected.package is None
    assert affected.extra == {"x_future_field": {"kept": True}}


def test_records_are_hashable_values() -> None:
    record = load_osv((FIXTURES / "valid" / "withdrawn.json").read_bytes(), filename="w.json")
    again = load_osv((FIXTURES / "valid" / "withdrawn.json").read_bytes(), filename="w.json")
    assert record == again
    assert hash(record) == hash(again)


INVALID = [
    ("missing-id.json", "$", "'id' is required"),
    ("fixed-and-last-affected.json", "$.affected[0].ranges[1]", "both 'fixed' and 'last_affected'"),
    ("unknown-range-type.json", "$.affected[0].ranges[0].type", "unknown value 'CALVER'"),
    ("no-introduced.json", "$.affected[0].ranges[0]", "at least one 'introduced'"),
    ("two-kinds-in-one-event.json", "$.affected[0].ranges[0].events[0]", "exactly one of"),
    ("git-without-repo.json", "$.affected[0].ranges[0]", "needs 'repo'"),
    ("bad-timestamp.yaml", "$.modified", "month must be in 1..12"),
    ("naive-timestamp.json", "$.modified", "not an RFC 3339 timestamp"),
    ("aliases-not-a-list.json", "$.aliases", "expected an array, got a string"),
    ("unknown-reference-type.json", "$.references[1].type", "unknown value 'BLOG'"),
    ("unquoted-version-number.yaml", "$.affected[0].versions[1]", "got a number"),
    ("not-an-object.json", "$", "expected an object, got an array"),
    ("billion-laughs.yaml", "$", "aliases (*name) are not allowed"),
    ("self-reference.yaml", "$", "aliases (*name) are not allowed"),
    ("duplicate-key.yaml", "$", "duplicate key 'id'"),
    ("python-tag.yaml", "$", "not valid YAML"),
    ("binary-value.yaml", "$.database_specific.blob", "a bytes value cannot be represented"),
    ("nan-value.yaml", "$.database_specific.score", "cannot be represented in JSON"),
    ("two-documents.yaml", "$", "not valid YAML"),
    ("latin1.json", "$", "not UTF-8"),
    ("truncated.json", "$", "not valid JSON"),
    ("deeply-nested.json", "$.database_specific", "nested deeper than 32 levels"),
    ("deeply-nested.yaml", "$.database_specific", "nested deeper than 32 levels"),
]


def test_every_invalid_fixture_is_covered() -> None:
    assert {name for name, *_ in INVALID} == {p.name for p in (FIXTURES / "invalid").iterdir()}


@pytest.mark.parametrize(("name", "path", "fragment"), INVALID, ids=[n for n, *_ in INVALID])
def test_invalid_fixtures_raise_one_typed_error(name: str, path: str, fragment: str) -> None:
    data = (FIXTURES / "invalid" / name).read_bytes()
    with pytest.raises(OsvError) as caught:
        load_osv(data, filename=name)
    error = caught.value
    assert fragment in error.detail
    assert error.path.startswith(path)
    assert error.extensions["path"] == error.path
    assert isinstance(error, FormatError)
    assert error.code == "invalid-osv-record"
    assert error.status == 422


def test_document_over_the_size_limit_is_refused_before_parsing() -> None:
    filler = "x" * (5 * 1024 * 1024)
    huge = orjson.dumps({"id": "PYSEC-0000-1", "modified": "2024-01-01T00:00:00Z", "d": filler})
    with pytest.raises(OsvError, match="the limit is 4194304"):
        load_osv(huge, filename="huge.json")
    with pytest.raises(OsvError, match="the limit is 100"):
        load_osv(
            b"id: PYSEC-0000-1\n" + b"#" * 200, filename="r.yaml", limits=OsvLimits(max_bytes=100)
        )


@pytest.mark.parametrize(
    ("limits", "record", "path"),
    [
        (OsvLimits(max_affected=2), {"affected": [{}, {}, {}]}, "$.affected"),
        (OsvLimits(max_items=1), {"aliases": ["a", "b"]}, "$.aliases"),
        (
            OsvLimits(max_events=2),
            {"affected": [{"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}] * 3}]}]},
            "$.affected[0].ranges[0].events",
        ),
        (
            OsvLimits(max_versions=1),
            {"affected": [{"versions": ["1", "2"]}]},
            "$.affected[0].versions",
        ),
        (OsvLimits(max_ranges=0), {"affected": [{"ranges": [{}]}]}, "$.affected[0].ranges"),
    ],
)
def test_collection_limits(limits: OsvLimits, record: dict[str, Any], path: str) -> None:
    data = {"id": "PYSEC-0000-1", "modified": "2024-01-01T00:00:00Z", **record}
    with pytest.raises(OsvError, match="exceed the limit") as caught:
        parse_osv(data, limits=limits)
    assert caught.value.path == path


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        (
            {"database_specific": {"when": datetime(2024, 1, 1, tzinfo=UTC)}},
            "$.database_specific.when",
        ),
        ({"database_specific": {1: "x"}}, "$.database_specific"),
        ({"database_specific": []}, "$.database_specific"),
        ({"summary": 3}, "$.summary"),
        ({"id": ""}, "$.id"),
        ({"affected": [{"package": {"ecosystem": "PyPI"}}]}, "$.affected[0].package"),
        (
            {"affected": [{"ranges": [{"type": "SEMVER", "events": [{"introduced": ""}]}]}]},
            "$.affected[0].ranges[0].events[0].introduced",
        ),
        ({"credits": [{"name": "x", "type": "HERO"}]}, "$.credits[0].type"),
        ({"severity": [{"type": "CVSS_V5", "score": "x"}]}, "$.severity[0].type"),
    ],
)
def test_parse_rejects_values_from_python_callers(extra: dict[Any, Any], path: str) -> None:
    data = {"id": "PYSEC-0000-1", "modified": "2024-01-01T00:00:00Z", **extra}
    with pytest.raises(OsvError) as caught:
        parse_osv(data)
    assert caught.value.path == path


def test_constructors_check_the_same_invariants() -> None:
    introduced = OsvEvent(EventKind.INTRODUCED, "1.0")
    with pytest.raises(OsvError, match="both 'fixed' and 'last_affected'"):
        OsvRange(
            RangeType.SEMVER,
            (introduced, OsvEvent(EventKind.FIXED, "2"), OsvEvent(EventKind.LAST_AFFECTED, "1.9")),
        )
    with pytest.raises(OsvError, match="needs 'repo'"):
        OsvRange(RangeType.GIT, (introduced,))
    with pytest.raises(OsvError, match="non-empty version"):
        OsvEvent(EventKind.FIXED, "")
    with pytest.raises(OsvError, match=r"\$\.modified"):
        OsvRecord(id="PYSEC-0000-1", modified="yesterday")
    with pytest.raises(OsvError, match="non-empty 'id'"):
        OsvRecord(id="", modified="2024-01-01T00:00:00Z")


def test_null_reads_as_absent() -> None:
    record = parse_osv({"id": "PYSEC-0000-1", "modified": "2024-01-01T00:00:00Z", "aliases": None})
    assert record.aliases is None
    assert "aliases" not in dump_osv(record)


def test_schema_flags_what_parsing_leaves_to_it() -> None:
    # An unregistered prefix and a short commit hash parse (they are meaningful), but the
    # OSV schema rejects them.
    record = parse_osv(
        {
            "id": "CH-2021-0001",
            "modified": "2024-01-01T00:00:00Z",
            "affected": [
                {
                    "ranges": [
                        {"type": "GIT", "repo": "https://x", "events": [{"introduced": "abc123"}]}
                    ]
                }
            ],
        }
    )
    paths = {v.path for v in osv_schema_violations(dump_osv(record))}
    assert "$.id" in paths
    assert any(p.startswith("$.affected[0].ranges[0].events[0]") for p in paths)
    with pytest.raises(OsvError, match="not valid against the OSV schema") as caught:
        validate_osv_schema(dump_osv(record))
    assert len(caught.value.extensions["violations"]) >= 2


# --- property: parse(dump(r)) == r for any record the types can hold ---------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_word = st.text("abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=10)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what JSON libraries carry
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_opaque = st.none() | st.dictionaries(_text, _json, max_size=3).map(
    lambda d: (
        parse_osv(
            {"id": "x", "modified": "2024-01-01T00:00:00Z", "database_specific": d}
        ).database_specific
    )
)
_stamp = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S") + (f".{d.microsecond:06d}Z" if d.microsecond else "Z")
)


def _range(kind: RangeType, values: list[tuple[EventKind, str]], repo: str) -> OsvRange:
    events = [OsvEvent(EventKind.INTRODUCED, values[0][1])] + [
        OsvEvent(k, v) for k, v in values[1:] if k is not EventKind.LAST_AFFECTED
    ]
    return OsvRange(kind, tuple(events), repo if kind is RangeType.GIT else None)


_ranges = st.builds(
    _range,
    st.sampled_from(RangeType),
    st.lists(st.tuples(st.sampled_from(EventKind), _word), min_size=1, max_size=4),
    _word,
)
_affected = st.builds(
    OsvAffected,
    package=st.none() | st.builds(OsvPackage, _word, _word, st.none() | _word),
    ranges=st.none() | st.lists(_ranges, max_size=2).map(tuple),
    versions=st.none() | st.lists(_word, max_size=3).map(tuple),
    ecosystem_specific=_opaque,
    database_specific=_opaque,
)
_records = st.builds(
    OsvRecord,
    id=_word,
    modified=_stamp,
    schema_version=st.none() | st.just("1.7.0"),
    published=st.none() | _stamp,
    withdrawn=st.none() | _stamp,
    aliases=st.none() | st.lists(_word, max_size=3).map(tuple),
    related=st.none() | st.lists(_word, max_size=2).map(tuple),
    upstream=st.none() | st.lists(_word, max_size=2).map(tuple),
    summary=st.none() | _text,
    details=st.none() | _text,
    severity=st.none()
    | st.lists(st.builds(OsvSeverity, st.sampled_from(SeverityType), _word), max_size=2).map(tuple),
    affected=st.none() | st.lists(_affected, max_size=2).map(tuple),
    references=st.none()
    | st.lists(st.builds(OsvReference, st.sampled_from(ReferenceType), _word), max_size=2).map(
        tuple
    ),
    credits=st.none()
    | st.lists(
        st.builds(
            OsvCredit,
            _text,
            st.none() | st.lists(_word, max_size=2).map(tuple),
            st.none() | st.sampled_from(CreditType),
        ),
        max_size=2,
    ).map(tuple),
    database_specific=_opaque,
)


@given(_records)
def test_parse_inverts_dump(record: OsvRecord) -> None:
    dumped = dump_osv(record)
    assert parse_osv(dumped) == record
    assert dump_osv(parse_osv(orjson.loads(orjson.dumps(dumped)))) == dumped


@pytest.mark.parametrize("number", [-(2**63) - 1, 2**64])
def test_an_integer_beyond_64_bits_is_refused(number: int) -> None:
    """Hypothesis found ``database_specific: {"": -9223372036854775809}`` (readable from
    YAML) parsed, then failed to serialise: JSON storage cannot keep such integers."""
    with pytest.raises(OsvError, match="beyond 64 bits"):
        parse_osv(
            {"id": "x", "modified": "2024-01-01T00:00:00Z", "database_specific": {"n": number}}
        )
