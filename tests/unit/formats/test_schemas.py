"""Bundled schemas, cached validators without format checks, and bounded document loading."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pytest

from clearinghouse.formats.model import FormatError
from clearinghouse.formats.schemas import (
    BundledSchema,
    DocumentFormat,
    DocumentLimits,
    check_json_value,
    document_format,
    freeze_json,
    json_path,
    load_document,
    load_schema,
    require_valid,
    schema_violations,
    thaw_json,
    validator,
)

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "src" / "clearinghouse" / "formats" / "schemas"


class _TestError(FormatError):
    def __init__(self, detail: str, *, path: str = "$") -> None:
        super().__init__(detail, path=path)
        self.path = path


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((), "$"),
        (("affected", 0, "package"), "$.affected[0].package"),
        (("database_specific", "odd key", 2), '$.database_specific["odd key"][2]'),
        (("a.b",), '$["a.b"]'),
    ],
)
def test_json_path(parts: tuple[str | int, ...], expected: str) -> None:
    assert json_path(parts) == expected


def test_validators_are_built_once_and_check_no_formats() -> None:
    assert validator(BundledSchema.OSV) is validator(BundledSchema.OSV)
    # 'format' stays an annotation: no checker (rfc3987-syntax would cost seconds per document)
    assert validator(BundledSchema.OSV).format_checker is None
    assert validator(BundledSchema.CVE5).format_checker is None
    record = {
        "id": "PYSEC-0000-1",
        "modified": "2024-01-01T00:00:00Z",
        "references": [{"type": "WEB", "url": "not a uri at all"}],
    }
    assert schema_violations(BundledSchema.OSV, record) == ()


def test_schemas_declare_their_drafts() -> None:
    assert "2020-12" in load_schema(BundledSchema.OSV)["$schema"]
    assert "draft-07" in load_schema(BundledSchema.CVE5)["$schema"]


def test_violations_are_located_and_most_relevant_first() -> None:
    found = schema_violations(
        BundledSchema.OSV,
        {"id": "NOPE-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"ranges": [{}]}]},
    )
    assert {v.path for v in found} >= {"$.id", "$.affected[0].ranges[0]"}
    assert all(str(v).startswith(v.path + ": ") for v in found)


def test_require_valid_raises_the_callers_error_with_all_violations() -> None:
    with pytest.raises(_TestError) as caught:
        require_valid(BundledSchema.OSV, {"id": 3}, error=_TestError)
    violations = caught.value.extensions["violations"]
    assert {v["keyword"] for v in violations} >= {"required", "type"}
    assert "not valid against the OSV schema" in caught.value.detail


def test_long_messages_are_shortened() -> None:
    huge = {"id": "PYSEC-0000-1", "modified": "x" * 10_000}
    (first, *_) = schema_violations(BundledSchema.OSV, huge)
    assert len(first.message) <= 300


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("bundled", "original"),
    [
        ("osv.schema.json", "schemas/osv/schema.json"),
        ("LICENSE-osv-schema.txt", "schemas/osv/LICENSE"),
        ("cve5.schema.json", "schemas/cve/CVE_Record_Format_bundled.json"),
    ],
)
def test_bundled_copies_are_unmodified(shared_data: Path, bundled: str, original: str) -> None:
    assert (SCHEMA_DIR / bundled).read_bytes() == (shared_data / original).read_bytes()


def test_source_note_names_the_pinned_commits() -> None:
    note = (SCHEMA_DIR / "SOURCE.txt").read_text()
    assert "51b8156b69b9e2e9ff2301e649db61636067fcfa" in note
    assert "30f59c7de92fbc77bddade302601cb500c66f718" in note


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("a.json", b"id: x", DocumentFormat.JSON),
        ("a.YAML", b"{}", DocumentFormat.YAML),
        ("a.yml", b"{}", DocumentFormat.YAML),
        ("upload", b"  \n{", DocumentFormat.JSON),
        ("upload", "\ufeff[1]", DocumentFormat.JSON),
        ("upload", b"\xef\xbb\xbf {}", DocumentFormat.JSON),
        ("upload", b"id: x", DocumentFormat.YAML),
    ],
)
def test_document_format(filename: str, data: bytes | str, expected: DocumentFormat) -> None:
    assert document_format(filename, data) is expected


def test_load_document_reads_json_and_yaml_alike() -> None:
    as_json = load_document(
        b'{"a": [1, "2024-01-01T00:00:00Z"]}', filename="x.json", error=_TestError
    )
    as_yaml = load_document(
        "a:\n- 1\n- 2024-01-01T00:00:00Z\n", filename="x.yaml", error=_TestError
    )
    assert as_json == as_yaml == {"a": [1, "2024-01-01T00:00:00Z"]}


def test_load_document_accepts_a_byte_order_mark() -> None:
    assert load_document(b'\xef\xbb\xbf{"a": 1}', filename="x.json", error=_TestError) == {"a": 1}


@pytest.mark.parametrize(
    ("limits", "data", "fragment"),
    [
        (DocumentLimits(max_bytes=10), b'{"a": "0123456789"}', "the limit is 10"),
        (DocumentLimits(max_depth=3), b'{"a": {"b": {"c": []}}}', "deeper than 3"),
        (DocumentLimits(max_depth=1), b"[[]]", "deeper than 1"),
        (DocumentLimits(max_nodes=5), b"[1, 2, 3, 4, 5]", "more than 5 values"),
    ],
)
def test_load_document_limits(limits: DocumentLimits, data: bytes, fragment: str) -> None:
    with pytest.raises(_TestError, match=fragment):
        load_document(data, filename="x.json", error=_TestError, limits=limits)


def test_limits_are_inclusive() -> None:
    exact = DocumentLimits(max_bytes=22, max_depth=3, max_nodes=4)
    data = b'{"a": {"b": {"c": 1}}}'
    assert load_document(data, filename="x.json", error=_TestError, limits=exact)


def test_size_limit_counts_utf8_bytes_of_text() -> None:
    text = '"éééééééééé"'  # 12 characters, 22 bytes
    with pytest.raises(_TestError, match="is 22 bytes"):
        load_document(text, filename="x.json", error=_TestError, limits=DocumentLimits(21))
    assert load_document(text, filename="x.json", error=_TestError, limits=DocumentLimits(22))


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        DocumentLimits(max_depth=0)


def test_hostile_json_nesting_is_a_typed_error() -> None:
    # orjson stops at 1024 levels; our own limit stops far earlier
    with pytest.raises(_TestError):
        load_document(b"[" * 100_000 + b"]" * 100_000, filename="x.json", error=_TestError)
    with pytest.raises(_TestError, match="deeper than 32"):
        load_document(b"[" * 40 + b"]" * 40, filename="x.json", error=_TestError)


def test_hostile_yaml_nesting_is_a_typed_error() -> None:
    with pytest.raises(_TestError):
        load_document("a: " + "[" * 100_000 + "]" * 100_000, filename="x.yaml", error=_TestError)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({1: "a"}, "not a string"),
        ({"a": float("inf")}, "cannot be represented"),
        ({"a": {1, 2}}, "a set value"),
        ([b"x"], "a bytes value"),
    ],
)
def test_check_json_value_refuses_non_json(value: object, fragment: str) -> None:
    with pytest.raises(_TestError, match=fragment):
        check_json_value(value, error=_TestError)


def test_freeze_and_thaw_round_trip() -> None:
    value = {"a": [1, 2.5, None, True, {"b": "c"}], "d": {}}
    frozen = freeze_json(value, (), 10, error=_TestError)
    assert isinstance(frozen, MappingProxyType)
    assert isinstance(frozen["a"], tuple)
    with pytest.raises(TypeError):
        frozen["x"] = 1  # type: ignore[index]
    assert thaw_json(frozen) == value
