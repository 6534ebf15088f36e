"""How a person reads an instant, and which catalogue words a text: the pieces the pages
(``web/display.py``, ``web/i18n.py``) and the notices worded outside them
(``notify/reader.py``) share, so that an instant reads the same on a page and in an
e-mail. Pure: Babel and the standard library only.

An instant is written in the reader's zone with the zone named:
``Nov 26, 2021, 10:00 CST (UTC+8)``, ``2021年11月26日 10:00 CST (UTC+8)``.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.dates import format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from clearinghouse.timeutil import ensure_utc

UTC_NAME: Final = "UTC"
DOMAIN: Final = "messages"


@cache
def available_zones() -> frozenset[str]:
    """Every IANA zone name this machine knows (a setting is checked against these)."""
    return frozenset(available_timezones())


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The IANA zone ``name``, or UTC when it is absent or unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(UTC_NAME)


def utc_offset(local: datetime) -> str:
    """``UTC+8``, ``UTC+5:30``, ``UTC-3``, ``UTC``."""
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return UTC_NAME
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(local: datetime) -> str:
    """The zone named: its abbreviation and offset (``CST (UTC+8)``), or just the offset
    where the zone has no abbreviation of its own (``UTC+4``)."""
    offset = utc_offset(local)
    abbreviation = local.tzname() or ""
    if not abbreviation or abbreviation[0] in "+-" or abbreviation == offset:
        return offset
    if abbreviation == UTC_NAME:
        return UTC_NAME
    return f"{abbreviation} ({offset})"


def date_time(local: datetime, locale: Locale) -> str:
    """A local date and time as the locale writes them (no zone)."""
    pattern = str(locale.datetime_formats.get("medium", "{1} {0}"))
    day = format_skeleton("yMMMd", local, locale=locale)
    time = format_skeleton("Hm", local, locale=locale)
    return pattern.replace("{1}", day).replace("{0}", time)


def instant_text(value: datetime, zone: ZoneInfo, locale: Locale) -> str:
    """``value`` in ``zone``, the zone named; in UTC when its local date in ``zone`` lies
    outside the years 0001 to 9999 (an imported ``0001-01-01T00:00:00Z`` in New York)."""
    utc = ensure_utc(value)
    try:
        local = utc.astimezone(zone)
    except OverflowError:
        local = utc.astimezone(ZoneInfo(UTC_NAME))
    return f"{date_time(local, locale)} {zone_label(local)}"


def compile_catalogue(po: Path) -> Translations:
    """A ``.po`` file compiled in memory (fuzzy entries are left out, as msgfmt does)."""
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
