"""Strict RFC 3339 instants: what the new instant fields and options accept and refuse."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clearinghouse.timeutil import parse_rfc3339


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-10-01T10:00:00Z", datetime(2026, 10, 1, 10, tzinfo=UTC)),
        ("2026-10-01t10:00:00z", datetime(2026, 10, 1, 10, tzinfo=UTC)),
        ("2026-10-01 18:00:00+08:00", datetime(2026, 10, 1, 10, tzinfo=UTC)),
        ("2026-10-01T06:00:00.250-04:00", datetime(2026, 10, 1, 10, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_rfc3339_date_times_are_read_as_utc_instants(text: str, instant: datetime) -> None:
    assert parse_rfc3339(text) == instant


@pytest.mark.parametrize(
    "text",
    [
        "2026-10-01T10:00:00",  # naive: not an instant
        "2026-10-01",  # a date alone
        "2026-10-01T10:00Z",  # no seconds
        "20261001T100000Z",  # ISO 8601 basic format
        "1791194400",  # epoch seconds
        "2026-10-01T10:00:00+0800",  # offset without a colon
        "",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_rfc3339(text)
