"""Who reads a notice, as far as wording it goes: a language (with its catalogue and
Babel locale) and a time zone.

A page builds its reader from the viewer (``web/words.py``); an e-mail is worded for its
recipient from the user's saved language and zone (``users.language``, ``users.timezone``;
no language saved: English). Instants are written in the reader's zone with the zone
named, exactly as the pages write them (``web/display.py``; a test keeps the two in
agreement): ``Nov 26, 2021, 10:00 CST (UTC+8)``, ``2021年11月26日 10:00 CST (UTC+8)``.

The catalogue is the pages' own (``web/locale``, one catalogue for every channel, kept by
``make messages``); it is read from its files, not imported, because ``web`` sits above
``notify``.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from babel.units import format_unit

from clearinghouse.clocks.messages import translated
from clearinghouse.reading import DOMAIN, UTC_NAME, compile_catalogue, instant_text, zone_or_utc
from clearinghouse.vocab import Language

LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "web" / "locale"
_LEAD: Final = re.compile(r"(\d+)([hms])")
_LEAD_UNITS: Final = {"h": "duration-hour", "m": "duration-minute", "s": "duration-second"}


@dataclass(frozen=True)
class Reader:
    """A language and a time zone to word notices in."""

    language: Language
    locale: Locale
    zone: ZoneInfo
    translations: gettext.NullTranslations

    def gettext(self, message: str, **values: Any) -> str:
        """``message`` in the reader's language, ``%(name)s`` placeholders filled."""
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """The form for ``n`` (``%(num)d`` is ``n``)."""
        values.setdefault("num", n)
        return self.translations.ngettext(singular, plural, n) % values

    def regime_text(self, text: str) -> str:
        """A regime file's text (its title, a stage's name) in the reader's language, as
        the pages show it; as written where the catalogue does not hold it (an operator's
        own regime). Never formatted: it is data, not a message with placeholders."""
        return translated(self.translations.gettext, text)

    def instant(self, value: datetime) -> str:
        """An instant in the reader's zone, the zone named."""
        return instant_text(value, self.zone, self.locale)

    def deadline(self, value: datetime) -> str:
        """A due instant in the reader's zone, and in UTC beside it (as the pages show it)."""
        shown = self.instant(value)
        if self.zone.key == UTC_NAME:
            return shown
        return f"{shown} · {instant_text(value, ZoneInfo(UTC_NAME), self.locale)}"

    def day(self, value: date) -> str:
        """A calendar day as the locale writes it (``Dec 9, 2021``, ``2021年12月9日``)."""
        return format_skeleton("yMMMd", value, locale=self.locale)

    def place(self, code: str) -> str:
        """A jurisdiction (ISO 3166 code or ``EU``) by its CLDR name in the reader's
        language, as the pages name it."""
        return str(self.locale.territories.get(code.upper(), code))

    def lead(self, label: str) -> str:
        """An alert's threshold label (``50%``, ``2h``, ``30m``) as the locale writes it."""
        found = _LEAD.fullmatch(label)
        if found is None:
            return label
        number, unit = int(found.group(1)), _LEAD_UNITS[found.group(2)]
        return format_unit(number, unit, length="short", locale=self.locale)


def language_of(tag: str | None) -> Language:
    """A saved language setting (``en``, ``zh-Hans``); anything else: English."""
    for language in Language:
        if tag == language.value:
            return language
    return Language.EN


@cache
def _catalogue(language: Language) -> gettext.NullTranslations:
    po = LOCALE_DIR / language.value.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"
    return compile_catalogue(po) if po.exists() else gettext.NullTranslations()


def reader_for(language: str | None, zone: str | None) -> Reader:
    """The reader a user's saved settings make (an e-mail's recipient)."""
    chosen = language_of(language)
    return Reader(
        language=chosen,
        locale=Locale.parse(chosen.value.replace("-", "_")),
        zone=zone_or_utc(zone),
        translations=_catalogue(chosen),
    )


def english() -> Reader:
    """English in UTC: the wording stored beside a notice's parameters, for the API and
    anything that reads the stored text."""
    return reader_for(Language.EN.value, UTC_NAME)
