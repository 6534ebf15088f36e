"""Time arithmetic: business days, DST, months; examples and Hypothesis properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.clocks import BusinessCalendar, UnknownCalendarError
from clearinghouse.clocks.calendar import (
    add_business_days_at,
    add_calendar_days,
    add_hours,
    add_months,
    check_calendar_name,
)
from tests.unit.clocks.helpers import t

FEDERAL = BusinessCalendar("US-federal")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))
counts = st.integers(min_value=0, max_value=30)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)
)


def test_us_federal_calendar_is_the_statutory_one_with_observed_days() -> None:
    assert FEDERAL.is_holiday(date(2026, 7, 3))  # Independence Day observed (4th is Sat)
    assert FEDERAL.is_holiday(date(2026, 11, 26))  # Thanksgiving
    assert FEDERAL.is_holiday(date(2026, 10, 12))  # Columbus Day: EDGAR is closed
    assert not FEDERAL.is_holiday(date(2026, 4, 3))  # Good Friday: NYSE closed, EDGAR open
    assert not FEDERAL.is_holiday(date(2026, 11, 27))  # day after Thanksgiving
    assert not FEDERAL.is_holiday(date(2019, 12, 24))  # executive-order closure only
    assert BusinessCalendar("US-federal-with-closures").is_holiday(date(2019, 12, 24))
    assert BusinessCalendar("financial:NYSE").is_holiday(date(2026, 4, 3))
    assert not BusinessCalendar("weekends-only").is_holiday(date(2026, 12, 25))
    assert BusinessCalendar("holidays:DE-BE").is_holiday(date(2026, 3, 8))  # Women's Day, Berlin


def test_unknown_calendars_are_refused() -> None:
    for name in ("Narnia", "holidays:XX", "financial:NOPE"):
        with pytest.raises(UnknownCalendarError):
            check_calendar_name(name)


def test_business_days_examples() -> None:
    assert FEDERAL.add_business_days(date(2026, 7, 2), 4) == date(2026, 7, 9)
    assert FEDERAL.add_business_days(date(2026, 7, 4), 1) == date(2026, 7, 6)
    assert FEDERAL.add_business_days(date(2026, 7, 2), 0) == date(2026, 7, 2)
    with pytest.raises(ValueError, match=">= 0"):
        FEDERAL.add_business_days(date(2026, 7, 2), -1)


def test_business_days_without_cutoff_keep_the_local_time_of_day() -> None:
    start = t("2026-07-02T14:15:00Z")  # 10:15 EDT
    assert add_business_days_at(start, 4, FEDERAL, NEW_YORK) == t("2026-07-09T14:15:00Z")
    assert add_business_days_at(start, 4, FEDERAL, NEW_YORK, time(17, 30)) == t(
        "2026-07-09T21:30:00Z"
    )


def test_a_24_hour_clock_across_the_berlin_spring_change_is_24_elapsed_hours() -> None:
    start = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)  # CET, the night before CEST
    due = add_hours(start, 24)
    assert due - start == timedelta(hours=24)
    assert due.astimezone(BERLIN).hour == 13  # wall clock shows 13:00 CEST
    # A calendar day keeps the wall clock instead: 23 elapsed hours that night.
    assert add_calendar_days(start, 1, BERLIN) - start == timedelta(hours=23)


def test_dst_edges_of_wall_clock_arithmetic() -> None:
    # Spring forward 2026-03-29 02:00 -> 03:00 in Berlin (01:00Z). A due in the gap is
    # the instant of the jump.
    assert add_calendar_days(datetime(2026, 3, 28, 2, 30, tzinfo=BERLIN), 1, BERLIN) == t(
        "2026-03-29T01:00:00Z"
    )
    # Fall back 2026-10-25 03:00 -> 02:00 (01:00Z). An anchor in the first pass of the
    # repeated hour is read as 02:00; one in the second pass as itself.
    first_pass = t("2026-10-25T00:40:00Z")  # 02:40 CEST
    second_pass = t("2026-10-25T01:10:00Z")  # 02:10 CET
    assert add_calendar_days(first_pass, 1, BERLIN) == t("2026-10-26T01:00:00Z")
    assert add_calendar_days(second_pass, 1, BERLIN) == t("2026-10-26T01:10:00Z")
    # A due wall time that happens twice is its first occurrence.
    assert add_calendar_days(t("2026-10-24T00:30:00Z"), 1, BERLIN) == t("2026-10-25T00:30:00Z")


def test_months_clamp_to_the_end_of_a_shorter_month() -> None:
    assert add_months(t("2028-01-31T12:00:00Z"), 1, ZoneInfo("UTC")) == t("2028-02-29T12:00:00Z")
    assert add_months(t("2026-12-15T12:00:00Z"), 1, ZoneInfo("UTC")) == t("2027-01-15T12:00:00Z")
    assert add_months(t("2026-11-30T12:00:00Z"), 3, ZoneInfo("UTC")) == t("2027-02-28T12:00:00Z")


@given(dates, counts)
def test_result_is_a_business_day(start: date, n: int) -> None:
    result = FEDERAL.add_business_days(start, n)
    if n > 0:
        assert FEDERAL.is_business_day(result)
        assert result > start


@given(dates, counts, counts)
def test_adding_business_days_is_monotone_in_n(start: date, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert FEDERAL.add_business_days(start, low) <= FEDERAL.add_business_days(start, high)


@given(dates, counts)
def test_n_business_days_from_a_business_day_span_at_least_n_calendar_days(
    start: date, n: int
) -> None:
    while not FEDERAL.is_business_day(start):
        start += timedelta(days=1)
    result = FEDERAL.add_business_days(start, n)
    assert (result - start).days >= n
    # and exactly n business days lie in (start, result]
    span = [start + timedelta(days=i) for i in range(1, (result - start).days + 1)]
    assert sum(FEDERAL.is_business_day(d) for d in span) == n


@given(instants, st.integers(min_value=1, max_value=24 * 40))
def test_hours_are_elapsed_hours_in_any_zone(start: datetime, hours: int) -> None:
    local = start.astimezone(BERLIN)
    assert add_hours(local, hours) - start == timedelta(hours=hours)


@settings(max_examples=300)
@given(instants, instants, st.integers(min_value=1, max_value=40))
def test_wall_clock_arithmetic_is_monotone_and_after_the_start(
    a: datetime, b: datetime, n: int
) -> None:
    early, late = sorted((a, b))
    for tz in (BERLIN, NEW_YORK):
        assert add_calendar_days(early, n, tz) <= add_calendar_days(late, n, tz)
        assert add_months(early, n, tz) <= add_months(late, n, tz)
        assert add_business_days_at(early, n, FEDERAL, tz) <= add_business_days_at(
            late, n, FEDERAL, tz
        )
        assert add_calendar_days(early, n, tz) > early
        assert add_months(early, n, tz) > early
        assert add_business_days_at(early, n, FEDERAL, tz, time(17, 30)) > early


@settings(max_examples=200)
@given(
    st.datetimes(
        min_value=datetime(2026, 3, 27), max_value=datetime(2026, 3, 30), timezones=st.just(UTC)
    )
    | st.datetimes(
        min_value=datetime(2026, 10, 23), max_value=datetime(2026, 10, 27), timezones=st.just(UTC)
    ),
    st.integers(min_value=0, max_value=3600 * 3),
)
def test_monotone_right_at_the_dst_changes(start: datetime, shift: int) -> None:
    later = start + timedelta(seconds=shift)
    assert add_calendar_days(start, 1, BERLIN) <= add_calendar_days(later, 1, BERLIN)
