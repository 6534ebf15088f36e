"""``jsontext.loads`` against orjson: the same value wherever orjson reads a document
exactly, an exact integer where orjson silently reads a float, and a typed refusal of
what is not JSON."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats import jsontext

_I64 = st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what orjson reads as int
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)  # orjson writes those as null
_SCALARS = st.none() | st.booleans() | _I64 | _FLOATS | st.text()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0 would hide the defect)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_where_orjson_reads_exactly_the_value_is_the_same(value: Any) -> None:
    text = orjson.dumps(value)
    assert _same(jsontext.loads(text), orjson.loads(text))
    assert _same(jsontext.loads(text.decode()), value)


@pytest.mark.parametrize("number", [2**64, 2**70, -(2**63) - 1, -(2**70), 10**300])
def test_an_integer_orjson_reads_as_a_float_stays_exact(number: int) -> None:
    text = f'{{"x_big": {number}, "n": [1, {number}]}}'.encode()
    assert isinstance(orjson.loads(text)["x_big"], float)  # the defect this module avoids
    value = jsontext.loads(text)
    assert value == {"x_big": number, "n": [1, number]}
    assert type(value["x_big"]) is int


def test_an_integer_of_thousands_of_digits_stays_exact_too() -> None:
    text = f"[{10**4000}]".encode()  # orjson refuses it (infinite as a double)
    assert jsontext.loads(text) == [10**4000]


def test_a_lone_surrogate_is_read_for_the_callers_checks_to_refuse() -> None:
    assert jsontext.loads(b'["\\ud800"]') == ["\ud800"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"[NaN]", "NaN is not a JSON value"),
        (b'{"a": Infinity}', "Infinity is not a JSON value"),
        (b"[-Infinity]", "-Infinity is not a JSON value"),
        (b"[1,", "Expecting value"),
        (b'["\xff"]', "utf-8"),
        ("[1]".encode("utf-16"), "utf-8"),  # Python's parser would detect UTF-16
        (b"\xef\xbb\xbf[1]", "BOM"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"", "Expecting value"),
        (b"[1" + b"0" * 5000 + b"]", "Exceeds the limit"),  # Python's limit for int()
    ],
)
def test_what_is_not_json_is_a_typed_refusal(text: bytes, says: str) -> None:
    with pytest.raises(jsontext.JSONTextError, match=says):
        jsontext.loads(text)
    assert issubclass(jsontext.JSONTextError, ValueError)


def test_pythons_own_parser_would_have_let_the_constants_through() -> None:
    # Why parse_constant is set: without it these are floats, and not JSON.
    assert json.loads("[NaN, Infinity]")[1] == float("inf")
