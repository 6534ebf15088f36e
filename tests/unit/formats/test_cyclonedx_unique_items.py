"""The linear ``uniqueItems`` the CycloneDX schema check uses agrees with jsonschema's own
pairwise one on every JSON array (Hypothesis), so replacing it changes no verdict."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from clearinghouse.formats.cyclonedx import _unique_items

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 2.5])
    | st.text(max_size=2)
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=2), children, max_size=3)
    ),
    max_leaves=8,
)
STOCK = Draft7Validator({"uniqueItems": True})
OURS = Draft7Validator({})


@settings(max_examples=400)
@given(st.lists(values, max_size=6))
def test_linear_unique_items_agrees_with_jsonschema(items: list[Any]) -> None:
    stock_unique = STOCK.is_valid(items)
    ours_unique = not list(_unique_items(OURS, True, items, {}))
    assert ours_unique == stock_unique


def test_numbers_and_booleans_compare_as_json_schema_says() -> None:
    assert list(_unique_items(OURS, True, [1, 1.0], {}))  # equal numbers
    assert not list(_unique_items(OURS, True, [1, True], {}))  # true is not 1
    assert list(_unique_items(OURS, True, [{"a": 1, "b": 2}, {"b": 2, "a": 1}], {}))
