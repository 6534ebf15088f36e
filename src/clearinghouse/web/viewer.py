"""Who reads a page, as far as showing it goes: their language and time zone.

The signed-in user's settings win; otherwise the cookies the language switch and the
page script set (``ch_lang``, ``ch_tz``: the browser's own zone, read by ``app.js``), then
the browser's ``Accept-Language``; otherwise English and UTC. Time zones are always named
on the page, so a reader in UTC by default is never misled.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from babel import Locale

from clearinghouse.vocab import Language
from clearinghouse.web import display
from clearinghouse.web.i18n import LANGUAGE_COOKIE, Catalogues, choose

ZONE_COOKIE: Final = "ch_tz"


@dataclass(frozen=True)
class Viewer:
    language: Language
    locale: Locale
    zone: ZoneInfo
    translations: gettext.NullTranslations

    def gettext(self, message: str, **values: Any) -> str:
        """``message`` in the viewer's language (``%(name)s`` placeholders filled)."""
        text = self.translations.gettext(message)
        return text % values if values else text


def viewer(
    catalogues: Catalogues,
    *,
    cookies: dict[str, str],
    accept_language: str | None,
    user_language: str | None = None,
    user_zone: str | None = None,
) -> Viewer:
    language = choose(user_language, cookies.get(LANGUAGE_COOKIE), accept_language=accept_language)
    zone = display.zone_or_utc(user_zone or unquote(cookies.get(ZONE_COOKIE, "")))
    return Viewer(
        language=language,
        locale=catalogues.locales[language],
        zone=zone,
        translations=catalogues.translations[language],
    )
