"""Instants at the edges of what ``datetime`` holds: one with no UTC value is a typed
``ValueError`` (:class:`InstantOutOfRange`), never an ``OverflowError`` that every
``except ValueError`` misses; instants given to record, schedule or evaluate at lie from
1970 up to year 9999; an imported one at year 1 is still read, written with four digits
and shown in any time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from clearinghouse.formats.cve5 import cve_time
from clearinghouse.formats.osv import OsvError, parse_osv
from clearinghouse.formats.stix import stix_time, taxii_time
from clearinghouse.reading import instant_text
from clearinghouse.sharing.sync import resume_point
from clearinghouse.timeutil import (
    ACCEPTED_FROM,
    ACCEPTED_UNTIL,
    EARLIEST,
    InstantOutOfRange,
    NaiveDatetimeError,
    accepted,
    ensure_utc,
    format_instant,
    parse_accepted,
    parse_instant,
    parse_rfc3339,
)
from clearinghouse.web.display import machine

NO_UTC_VALUE = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]


@pytest.mark.parametrize("text", NO_UTC_VALUE)
def test_an_instant_with_no_utc_value_is_a_typed_value_error(text: str) -> None:
    with pytest.raises(InstantOutOfRange, match="outside the years 0001 to 9999") as raised:
        parse_instant(text)
    assert isinstance(raised.value, ValueError)
    with pytest.raises(ValueError, match=r"in UTC it falls outside"):
        ensure_utc(datetime.fromisoformat(text))


def test_a_naive_datetime_is_still_its_own_error() -> None:
    with pytest.raises(NaiveDatetimeError):
        ensure_utc(datetime(2026, 10, 1))  # naive: the point of the test


def test_the_first_and_last_instants_in_utc_still_parse() -> None:
    assert parse_instant("0001-01-01T00:00:00Z") == EARLIEST  # PyPA's PYSEC-2024-55
    assert parse_instant("9999-12-31T23:59:59+00:00") == datetime(
        9999, 12, 31, 23, 59, 59, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text",
    [*NO_UTC_VALUE, "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "9999-01-01T00:00:00Z"],
)
def test_an_instant_given_to_record_is_refused_outside_the_accepted_range(text: str) -> None:
    for parse in (parse_rfc3339, parse_accepted):
        with pytest.raises(InstantOutOfRange) as raised:
            parse(text)
        assert str(raised.value) == (
            f"{text} is outside the instants the platform takes: "
            "from 1970-01-01T00:00:00Z up to 9999-01-01T00:00:00Z (not included)"
        )


def test_the_accepted_range_is_closed_at_1970_and_open_at_9999() -> None:
    assert parse_rfc3339("1970-01-01T00:00:00Z") == ACCEPTED_FROM
    last = parse_rfc3339("9998-12-31T23:59:59.999999Z")
    assert last == ACCEPTED_UNTIL - timedelta(microseconds=1)
    assert parse_rfc3339("1970-01-01T01:00:00+01:00") == ACCEPTED_FROM
    assert accepted(datetime(2026, 10, 1, 18, tzinfo=timezone(timedelta(hours=8)))) == datetime(
        2026, 10, 1, 10, tzinfo=UTC
    )
    with pytest.raises(InstantOutOfRange):
        accepted(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC))


def test_what_can_be_computed_from_an_accepted_instant_stays_within_datetime() -> None:
    """The year left before datetime's end: a deadline months away, an alert step one
    second after the due, the instant written in the zones furthest from UTC."""
    for at in (ACCEPTED_FROM, ACCEPTED_UNTIL - timedelta(microseconds=1)):
        assert at - timedelta(days=365) < at + timedelta(days=365)
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "America/New_York"):
            at.astimezone(ZoneInfo(zone))


@pytest.mark.parametrize(
    ("value", "zone"),
    [
        (EARLIEST, "America/New_York"),  # 0000-12-31 in New York
        (datetime(9999, 12, 31, 23, tzinfo=UTC), "Asia/Tokyo"),  # 10000-01-01 in Tokyo
    ],
)
def test_an_instant_the_zone_cannot_write_is_shown_in_utc(value: datetime, zone: str) -> None:
    """An imported advisory published ``0001-01-01T00:00:00Z`` made every page that showed
    it a 500 for a viewer in New York."""
    text = instant_text(value, ZoneInfo(zone), Locale("en"))
    assert text.endswith(" UTC")
    assert instant_text(datetime(2026, 10, 1, 10, tzinfo=UTC), ZoneInfo(zone), Locale("en"))


def test_instants_before_year_1000_are_written_with_four_digits() -> None:
    """strftime's %Y writes year 1 as "1": not RFC 3339, STIX, TAXII or CVE 5."""
    first = EARLIEST
    assert stix_time(first) == "0001-01-01T00:00:00.000Z"
    assert taxii_time(first) == "0001-01-01T00:00:00.000000Z"
    assert cve_time(first) == "0001-01-01T00:00:00.000Z"
    assert machine(first) == format_instant(first) == "0001-01-01T00:00:00Z"
    late = datetime(2026, 10, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert stix_time(late) == "2026-10-01T10:00:00.123Z"
    assert taxii_time(late) == "2026-10-01T10:00:00.123456Z"


def test_a_sync_cursor_at_the_first_instant_resumes_without_overflow() -> None:
    """A remote's ``X-TAXII-Date-Added-Last`` of year 1 became the cursor; every later run
    failed with OverflowError before asking the remote (and recorded no error)."""
    assert resume_point("0001-01-01T00:00:00.000000Z") == "0001-01-01T00:00:00.000000Z"
    assert resume_point("2026-10-01T10:00:00.000000Z") == "2026-10-01T09:59:59.999999Z"


@pytest.mark.parametrize("field", ["modified", "published", "withdrawn"])
@pytest.mark.parametrize("text", NO_UTC_VALUE)
def test_an_osv_timestamp_with_no_utc_value_is_an_osv_error(field: str, text: str) -> None:
    record = {"id": "PYSEC-2099-1", "modified": "2024-01-01T00:00:00Z", field: text}
    with pytest.raises(OsvError, match="is not a valid instant") as raised:
        parse_osv(record)
    assert raised.value.extensions["path"] == f"$.{field}"
