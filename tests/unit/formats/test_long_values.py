"""Values too long to read: a YAML integer beyond 64 bits (5,000 digits hit Python's limit
on int()) and an OSV version over 200 characters are the caller's typed error naming
where they are, never a ValueError."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.formats.model import FormatError
from clearinghouse.formats.osv import OsvError, OsvLimits, load_osv, parse_osv
from clearinghouse.formats.schemas import load_document

HEAD = "id: PYSEC-2099-79\nmodified: 2024-01-01T00:00:00Z\n"
LONG = "1." + "9" * 4400  # a number over Python's 4,300-digit limit on int()


@pytest.mark.parametrize(
    ("scalar", "why"),
    [
        ("9" * 5000, "written in 5000 characters"),  # over Python's 4,300-digit limit
        ("0x" + "f" * 4000, "written in 4002 characters"),  # hex has no limit, but no use
        ("1:" * 200 + "1", "written in 401 characters"),  # YAML 1.1 base 60: quadratic
        ("18446744073709551616", "integer 18446744073709551616 is beyond 64 bits"),
        ("-9223372036854775809", "is beyond 64 bits"),
    ],
)
def test_a_yaml_integer_beyond_64_bits_is_refused_with_its_line(scalar: str, why: str) -> None:
    with pytest.raises(OsvError) as caught:
        load_osv(HEAD + "schema_version: " + scalar + "\n", filename="big.yaml")
    error = caught.value
    assert why in error.detail
    assert "line 3, column 17" in error.detail
    assert error.path == "$"
    assert error.status == 422
    assert len(error.detail) < 400


@pytest.mark.parametrize(
    ("scalar", "value"),
    [
        ("18446744073709551615", 2**64 - 1),
        ("-9223372036854775808", -(2**63)),
        ("0x_ff", 255),
        ("1_000", 1000),
        ("0b101", 5),
        ("1:30", 90),
        ("0" * 250 + "7", 7),
    ],
)
def test_yaml_integers_within_64_bits_read_as_before(scalar: str, value: int) -> None:
    loaded = load_document("x: " + scalar + "\n", filename="x.yaml", error=OsvError)
    assert loaded == {"x": value}


def test_a_huge_integer_given_as_a_value_is_refused_without_printing_it() -> None:
    """``str()`` of more than 4,300 digits raises: the message names the size instead."""
    record: dict[str, Any] = {
        "id": "PYSEC-2099-1",
        "modified": "2024-01-01T00:00:00Z",
        "database_specific": {"n": 10**5000},
    }
    with pytest.raises(OsvError, match="beyond 64 bits") as caught:
        parse_osv(record)
    assert caught.value.path == "$.database_specific.n"
    assert "of 16610 bits" in caught.value.detail


def _record(**affected: Any) -> dict[str, Any]:
    return {
        "id": "PYSEC-2099-78",
        "modified": "2024-02-01T00:00:00Z",
        "affected": [{"package": {"name": "x", "ecosystem": "PyPI"}, **affected}],
    }


@pytest.mark.parametrize(
    ("affected", "path"),
    [
        (
            {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": LONG}]}]},
            "$.affected[0].ranges[0].events[1].fixed",
        ),
        (
            {"ranges": [{"type": "SEMVER", "events": [{"introduced": "9" * 201}]}]},
            "$.affected[0].ranges[0].events[0].introduced",
        ),
        ({"versions": ["1.0", "1." + "0" * 199]}, "$.affected[0].versions[1]"),
    ],
)
def test_an_osv_version_over_200_characters_is_refused_naming_it(
    affected: dict[str, Any], path: str
) -> None:
    with pytest.raises(OsvError) as caught:
        parse_osv(_record(**affected))
    assert caught.value.path == path
    assert "characters; the limit is 200" in caught.value.detail
    assert isinstance(caught.value, FormatError)
    assert len(caught.value.detail) < 300


def test_a_version_of_200_characters_is_read_and_the_limit_can_be_set() -> None:
    versions = ["1." + "0" * 198]
    assert parse_osv(_record(versions=versions)).affected is not None
    with pytest.raises(OsvError, match="the limit is 10"):
        parse_osv(_record(versions=["1.0.0.0.0.0"]), limits=OsvLimits(max_version_length=10))
