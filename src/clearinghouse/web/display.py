"""Instants, durations and numbers as the viewer reads them: in the viewer's time zone with
the zone named, in the viewer's language.

An instant is shown as ``<time datetime="...Z">Nov 26, 2021, 10:00 CST (UTC+8)</time>``; a
deadline also carries the UTC instant beside it, because the people who must meet it sit
in different zones. Every value keeps its machine-readable UTC form in ``datetime`` so
that tests and scripts read the page without parsing prose.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_decimal
from babel.units import format_unit
from markupsafe import Markup

from clearinghouse.reading import (
    UTC_NAME,
    available_zones,
    instant_text,
    utc_offset,
    zone_label,
    zone_or_utc,
)
from clearinghouse.timeutil import format_instant

__all__ = [
    "UTC_NAME",
    "deadline",
    "duration",
    "instant",
    "instant_text",
    "is_zone",
    "machine",
    "number",
    "short_date",
    "size",
    "utc_offset",
    "zone_label",
    "zone_names",
    "zone_or_utc",
]


def is_zone(name: str) -> bool:
    return name in available_zones()


@cache
def zone_names() -> list[str]:
    """Every IANA zone name this machine knows, sorted (for the settings form)."""
    return sorted(available_zones())


def short_date(local: datetime, locale: Locale, *, with_year: bool = False) -> str:
    """A day and month for an axis ("24 Nov", "11月24日"); with the year where asked."""
    return format_skeleton("yMMMd" if with_year else "MMMd", local, locale=locale)


def machine(value: datetime) -> str:
    return format_instant(value)  # a four-digit year (strftime's %Y: "1" for year 1)


def instant(value: datetime | None, zone: ZoneInfo, locale: Locale) -> Markup:
    """An instant in the viewer's zone, the zone named."""
    if value is None:
        return Markup("")
    text = instant_text(value, zone, locale)
    return Markup('<time datetime="{0}">{1}</time>').format(machine(value), text)


def deadline(value: datetime | None, zone: ZoneInfo, locale: Locale) -> Markup:
    """A due instant: in the viewer's zone, and in UTC beside it."""
    if value is None:
        return Markup("")
    shown = instant(value, zone, locale)
    if zone.key == UTC_NAME:
        return shown
    in_utc = instant_text(value, ZoneInfo(UTC_NAME), locale)
    return Markup('{0} <span class="utc">· {1}</span>').format(shown, in_utc)


def duration(delta: timedelta, locale: Locale) -> str:
    """The two largest units of a duration, as the locale writes them (``5 hr 12 min``,
    ``5小时12分钟``)."""
    seconds = abs(int(delta.total_seconds()))
    units = [
        ("duration-day", seconds // 86400),
        ("duration-hour", seconds % 86400 // 3600),
        ("duration-minute", seconds % 3600 // 60),
    ]
    shown = [(unit, n) for unit, n in units if n][:2] or [("duration-minute", 0)]
    separator = "" if locale.language == "zh" else " "
    return separator.join(format_unit(n, unit, length="short", locale=locale) for unit, n in shown)


def number(value: float, locale: Locale) -> str:
    return format_decimal(value, locale=locale)


def size(n_bytes: int, locale: Locale) -> str:
    """A size in binary units, as the locale writes numbers (``5 MiB``, ``32 KiB``)."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n_bytes >= scale:
            return f"{format_decimal(round(n_bytes / scale, 1), locale=locale)} {unit}"
    return f"{format_decimal(n_bytes, locale=locale)} B"
