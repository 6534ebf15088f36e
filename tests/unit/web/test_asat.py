"""``?at=`` on the pages: an RFC 3339 instant, or a local date and time (or a date) read in
the viewer's zone; anything else refused with the field named."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from clearinghouse.errors import InvalidInput
from clearinghouse.web.asat import local_value, parse_at

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2021-12-23T00:00", datetime(2021, 12, 22, 16, tzinfo=UTC)),
        ("2021-12-23T00:00:30", datetime(2021, 12, 22, 16, 0, 30, tzinfo=UTC)),
        ("2021-12-23", datetime(2021, 12, 22, 16, tzinfo=UTC)),
        ("2021-12-22T16:00:00Z", datetime(2021, 12, 22, 16, tzinfo=UTC)),
        (" 2021-12-23T08:00:00+08:00 ", datetime(2021, 12, 23, tzinfo=UTC)),
    ],
)
def test_an_instant_or_a_local_time_in_the_viewers_zone(text: str, instant: datetime) -> None:
    assert parse_at(text, SHANGHAI) == instant


@pytest.mark.parametrize("text", [None, "", "   "])
def test_no_at_is_now(text: str | None) -> None:
    assert parse_at(text, SHANGHAI) is None


@pytest.mark.parametrize(
    "text", ["yesterday", "2021-13-01", "2021-12-23T25:00", "1640188800", "2021-12-23T00:00+8"]
)
def test_anything_else_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_at(text, SHANGHAI)
    assert refused.value.extensions.get("field") == "at"


def test_the_field_shows_the_instant_in_the_viewers_zone() -> None:
    assert local_value(datetime(2021, 12, 22, 16, tzinfo=UTC), SHANGHAI) == "2021-12-23T00:00"
    assert local_value(None, SHANGHAI) == ""
