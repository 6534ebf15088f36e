"""The free-form JSON check (:mod:`clearinghouse.api.freeform`): what it passes, orjson
writes and reads back unchanged (a property); what it refuses, it names by place and rule;
nesting far past the bound is refused, not a RecursionError."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from clearinghouse.api import freeform

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=freeform.INT64_MIN, max_value=freeform.INT64_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(_JSON)
def test_what_passes_is_written_and_read_back_unchanged(value: Any) -> None:
    assert freeform.problem(value) is None
    assert orjson.loads(orjson.dumps(value)) == value


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"a": [1, 2**63]}, "$.a[1]: an integer outside the signed 64-bit range"),
        ({"a": -(2**63) - 1}, "$.a: an integer outside"),
        ({"a": "ok", "b": "\ud800"}, "$.b: text that is not valid Unicode"),
        ({"\udfff": 1}, "$: an object key that is not valid Unicode"),
        ({"n": float("nan")}, "$.n: NaN and infinities"),
        ({"n": [float("-inf")]}, "$.n[0]: NaN and infinities"),
        ({"s": {1, 2}}, "$.s: set is not a JSON value"),
    ],
)
def test_what_is_refused_is_named_by_place_and_rule(value: Any, says: str) -> None:
    assert says in (freeform.problem(value) or "")


def test_the_first_offending_place_in_document_order_is_named() -> None:
    assert freeform.problem({"a": [1, float("nan")], "b": 2**64}) == (
        "$.a[1]: NaN and infinities are not JSON numbers"
    )


def test_nesting_is_bounded_and_far_past_the_bound_is_no_recursion_error() -> None:
    def nested(levels: int) -> Any:
        value: Any = []
        for _ in range(levels - 1):
            value = [value]
        return value

    assert freeform.problem(nested(32)) is None
    assert "nested deeper than 32 levels" in (freeform.problem(nested(33)) or "")
    assert "nested deeper than 3 levels" in (freeform.problem(nested(100_000), max_depth=3) or "")
    assert "nested deeper than 32" in (freeform.problem(nested(100_000)) or "")


class _Body(BaseModel):
    data: freeform.FreeformObject


def test_the_field_type_refuses_with_the_rule_and_bounds_the_size() -> None:
    assert _Body(data={"a": [1, "x", None]}).data == {"a": [1, "x", None]}
    for data, says in (
        ({"x": 10**30}, "64-bit"),
        ({"x": "a" * freeform.MAX_BYTES}, "bytes as JSON, over the 65,536 allowed"),
        ({"x": float("inf")}, "NaN and infinities"),
    ):
        with pytest.raises(ValidationError) as raised:
            _Body(data=data)
        (error,) = raised.value.errors()
        assert error["loc"] == ("data",)
        assert error["type"] == "freeform_json"
        assert says in error["msg"]
