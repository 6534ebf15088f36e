"""The paging cursor (TAXII ``next``, the REST ``cursor``): every value the server issues
comes back as it was (a property), and every other value, out of range included, is the
one typed error for "not a value this server issued", never a value the database refuses
with a 500 (``shared_objects.seq`` is an int4 on PostgreSQL; SQLite stops at 2**63 - 1)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Integer

from clearinghouse.sharing.models import SharedObject
from clearinghouse.sharing.taxii_http import (
    END_MICROS,
    MAX_SEQ,
    TaxiiBadRequest,
    decode_next_value,
    encode_next,
)

AT = 1_788_345_600_000_000  # 2026-09-02, in microseconds


def _raw(value: object) -> str:
    """A cursor as the server writes one (json: integers of any size)."""
    text = json.dumps(value, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(9999, 12, 31, 23, 59, 59, 999999),
        timezones=st.just(UTC),
    ),
    st.integers(min_value=0, max_value=MAX_SEQ),
)
def test_every_position_the_server_issues_decodes_to_itself(at: datetime, seq: int) -> None:
    assert decode_next_value(encode_next((at, seq))) == (at, seq)


@pytest.mark.parametrize(
    ("micros", "seq"),
    [(AT, 0), (AT, MAX_SEQ), (0, 1), (END_MICROS - 1, 1)],
)
def test_the_boundaries_inside_the_range_are_accepted(micros: int, seq: int) -> None:
    position = decode_next_value(_raw([micros, seq]))
    assert encode_next(position) == _raw([micros, seq])


@pytest.mark.parametrize(
    "value",
    [
        [AT, MAX_SEQ + 1],  # past the int4 column: PostgreSQL's "integer out of range"
        [AT, 2**63 - 1],
        [AT, 2**63],  # past SQLite's INTEGER: OverflowError
        [AT, 2**64],
        [AT, 2**64 - 1],
        [AT, 10**30],
        [AT, -1],
        [AT, -(2**63) - 1],
        [-1, 1],
        [END_MICROS, 1],  # year 10000
        [2**63 - 1, 1],
        [2**64, 1],
        [10**30, 1],
        [-(10**30), 1],
        [True, 1],
        [AT, True],
        [AT, 1.0],
        [float(AT), 1],
        [AT, "1"],
        [AT, None],
        [AT],
        [AT, 1, 1],
        {"a": 1, "b": 2},
        "x",
    ],
)
def test_a_value_out_of_range_is_the_typed_error_of_any_foreign_cursor(value: object) -> None:
    with pytest.raises(TaxiiBadRequest, match="not a value this server issued"):
        decode_next_value(_raw(value))


@pytest.mark.parametrize("raw", ["zz", "garbage!", "", "A" * 101, "W10"])
def test_a_malformed_cursor_is_the_same_typed_error(raw: str) -> None:
    with pytest.raises(TaxiiBadRequest, match="not a value this server issued"):
        decode_next_value(raw)


def test_the_largest_sequence_number_is_the_columns() -> None:
    # MAX_SEQ is an int4's: widen the column (BigInteger) and this bound may be widened too.
    column = SharedObject.__table__.c.seq.type
    assert isinstance(column, Integer)
    assert not isinstance(column, BigInteger)
    assert MAX_SEQ == 2**31 - 1
