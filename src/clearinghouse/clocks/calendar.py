"""Clock arithmetic: elapsed hours, calendar days and months in a reference time zone,
and business days over a named holiday calendar.

Why these rules (docs/clocks.md, "Time arithmetic"):

* ``hours`` are *elapsed* hours: a 24 h clock that spans a daylight-saving change is
  still 86,400 seconds long. The arithmetic is done in UTC.
* ``calendar_days`` and ``months`` keep the local wall-clock time of the anchor in the
  regime's reference time zone (UTC when the regime names none), so they may be 23 or
  25 elapsed hours per day across a DST change. Months clamp to the last day of a
  shorter month (31 January + 1 month = 28/29 February). DST edges are resolved so
  that a later anchor never gives an earlier due, and never a later one than needed:
  a due local time that does not exist (spring forward) becomes the instant the clocks
  jump; one that exists twice (fall back) is its first occurrence; an anchor in the
  *first* pass of a repeated hour is read as the start of that hour (up to one hour
  earlier: the conservative side).
* ``business_days`` step over dates in the reference time zone, skipping Saturdays,
  Sundays and the calendar's holidays. A start on a non-business day counts the first
  business day after it as day 1 (Form 8-K General Instruction B.1 reads the same way).
  The due instant is the given local cut-off time on the last day, or the anchor's local
  time of day when none is given.

Named calendars (from the ``holidays`` library, cached per year):

``weekends-only``
    Saturdays and Sundays only.
``US-federal``
    ``holidays.US()`` default category: the statutory federal holidays of 5 U.S.C. 6103
    with their observed days (e.g. Friday 2026-07-03 for Saturday 4 July). This is the
    EDGAR calendar: EDGAR accepts filings Monday to Friday except federal holidays.
``US-federal-with-closures``
    also ``holidays.US(categories=("government",))``: closures by executive order
    (Christmas Eve in some years, national days of mourning). Those are proclaimed at
    short notice, so the shipped SEC regime does *not* use them: fewer holidays give an
    earlier, never a later, deadline.
``financial:<MARKET>``
    ``holidays.financial_holidays(MARKET)``, e.g. ``financial:NYSE``. Not a federal
    calendar: the NYSE closes on Good Friday and trades on Columbus and Veterans Day.
``holidays:<CC>`` or ``holidays:<CC>-<SUBDIV>``
    ``holidays.country_holidays(CC, subdiv=SUBDIV)``, for a new regime without code.
"""

from __future__ import annotations

import calendar as _stdcal
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday())

_FIXED_NAMES = ("weekends-only", "US-federal", "US-federal-with-closures")


class UnknownCalendarError(ValueError):
    """A holiday calendar name that this module cannot resolve."""


@functools.lru_cache(maxsize=512)
def _cached_year(name: str, year: int) -> frozenset[date]:
    days: dict[date, str]
    if name == "weekends-only":
        return frozenset()
    if name == "US-federal":
        days = dict(holidays.country_holidays("US", years=year))
    elif name == "US-federal-with-closures":
        categories = ("public", "government")
        days = dict(holidays.country_holidays("US", years=year, categories=categories))
    elif name.startswith("financial:"):
        days = dict(holidays.financial_holidays(name.split(":", 1)[1], years=year))
    elif name.startswith("holidays:"):
        country, _, subdiv = name.split(":", 1)[1].partition("-")
        days = dict(holidays.country_holidays(country, subdiv=subdiv or None, years=year))
    else:
        raise UnknownCalendarError(name)
    return frozenset(days)


def check_calendar_name(name: str) -> None:
    """Raise :class:`UnknownCalendarError` unless ``name`` resolves (used by the loader)."""
    if name in _FIXED_NAMES:
        return
    try:
        if name.startswith(("financial:", "holidays:")):
            _cached_year(name, 2026)
            return
    except (NotImplementedError, KeyError, ValueError) as exc:
        raise UnknownCalendarError(f"{name}: {exc}") from exc
    raise UnknownCalendarError(
        f"{name} (known: {', '.join(_FIXED_NAMES)}, financial:<MARKET>, holidays:<CC>[-<SUBDIV>])"
    )


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Weekends plus one named holiday calendar."""

    name: str

    def __post_init__(self) -> None:
        check_calendar_name(self.name)

    def is_holiday(self, day: date) -> bool:
        return day in _cached_year(self.name, day.year)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in WEEKEND and not self.is_holiday(day)

    def add_business_days(self, start: date, count: int) -> date:
        """The ``count``-th business day after ``start`` (``start`` itself is day 0,
        whatever it is). ``count`` must be >= 0; 0 returns ``start``."""
        if count < 0:
            raise ValueError("business-day count must be >= 0")
        day = start
        for _ in range(count):
            day += timedelta(days=1)
            while not self.is_business_day(day):
                day += timedelta(days=1)
        return day


def zone(name: str | None) -> ZoneInfo:
    """The reference time zone; UTC when a regime names none."""
    return ZoneInfo(name or "UTC")


def _offset_change(before: datetime, after: datetime, tz: ZoneInfo) -> datetime:
    """The first instant in (before, after] whose UTC offset is that of ``after``
    (a DST transition; zoneinfo transitions fall on whole seconds)."""
    target = after.astimezone(tz).utcoffset()
    lo, hi = int(before.timestamp()), int(after.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _resolve_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The instant of a local wall time (see the module docstring for DST edges)."""
    wall = datetime.combine(day, clock.replace(tzinfo=None, fold=0))
    first = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: pre-transition offset
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first  # exists (the first occurrence when repeated)
    # In a spring-forward gap: fold=1 reads it with the post-transition offset, before
    # the jump; the due is the jump itself.
    early = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return _offset_change(min(early, first), max(early, first), tz)


def _local_wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall time an anchor is read as (see the module docstring)."""
    local = instant.astimezone(tz)
    wall = local.replace(tzinfo=None)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if local.fold == 0 and second != instant.astimezone(UTC) and second > instant:
        # First pass of a repeated hour: read as the start of the repeated interval.
        change = _offset_change(instant.astimezone(UTC), second, tz)
        return change.astimezone(tz).replace(tzinfo=None)
    return wall


def add_hours(start: datetime, hours: int) -> datetime:
    """Elapsed hours, computed in UTC: DST never lengthens or shortens the window."""
    return start.astimezone(UTC) + timedelta(hours=hours)


def add_calendar_days(start: datetime, days: int, tz: ZoneInfo) -> datetime:
    """Same local wall-clock time ``days`` days later in ``tz``."""
    local = _local_wall(start, tz)
    return _resolve_local(local.date() + timedelta(days=days), local.time(), tz)


def add_months(start: datetime, months: int, tz: ZoneInfo) -> datetime:
    """Same local wall-clock time ``months`` months later in ``tz``, clamped to the last
    day of the target month."""
    local = _local_wall(start, tz)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, _stdcal.monthrange(year, month)[1])
    return _resolve_local(date(year, month, day), local.time(), tz)


def add_business_days_at(
    start: datetime,
    days: int,
    calendar: BusinessCalendar,
    tz: ZoneInfo,
    cutoff: time | None = None,
) -> datetime:
    """``days`` business days after the local date of ``start`` in ``tz``, at the local
    ``cutoff`` time (or the anchor's local time of day when ``cutoff`` is None)."""
    local = _local_wall(start, tz)
    last = calendar.add_business_days(local.date(), days)
    due = _resolve_local(last, cutoff or local.time(), tz)
    return max(due, start.astimezone(UTC))
