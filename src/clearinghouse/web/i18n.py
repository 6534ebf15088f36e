"""The pages' languages: English (the messages as written) and Simplified Chinese.

Catalogues are gettext ``.po`` files under ``web/locale/`` (``make messages`` extracts and
updates them, see docs/web.md). They are compiled in memory when the application starts,
so no compiled ``.mo`` file is built, shipped or forgotten. Which language a page speaks:
the signed-in user's setting, else the language cookie the switch sets, else the
browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from babel import Locale
from babel.messages.pofile import read_po

from clearinghouse.reading import DOMAIN, compile_catalogue
from clearinghouse.vocab import Language

LOCALE_DIR: Final = Path(__file__).parent / "locale"
LANGUAGE_COOKIE: Final = "ch_lang"
MAX_ACCEPT_LANGUAGE: Final = 40  # entries of Accept-Language looked at


ENDONYMS: Final = {Language.EN: "English", Language.ZH_HANS: "简体中文"}
DEFAULT: Final = Language.EN


def babel_id(language: Language) -> str:
    """Babel's and gettext's name for the language (``zh_Hans``)."""
    return language.value.replace("-", "_")


def parse_language(value: str | None) -> Language | None:
    """A supported language from a tag as browsers and people write it (``zh``,
    ``zh-CN``, ``zh_Hans``, ``en-GB``); ``None`` when it is not one we speak. Traditional
    Chinese (``zh-Hant``, ``zh-TW``, ``zh-HK``, ``zh-MO``) is not Simplified Chinese."""
    if not value:
        return None
    parts = value.strip().replace("_", "-").lower().split("-")
    if parts[0] == "en":
        return Language.EN
    if parts[0] == "zh":
        rest = set(parts[1:])
        if rest & {"hant", "tw", "hk", "mo"}:
            return None
        return Language.ZH_HANS
    return None


def from_accept_language(header: str | None) -> Language | None:
    """The most preferred supported language of an ``Accept-Language`` header."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:MAX_ACCEPT_LANGUAGE]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality > 0 and tag:
            ranked.append((-quality, position, tag))
    for _q, _p, tag in sorted(ranked):
        found = parse_language(tag)
        if found is not None:
            return found
    return None


def choose(*candidates: str | None, accept_language: str | None = None) -> Language:
    """The first supported language among ``candidates`` (a user's setting, the cookie),
    else the browser's preference, else English."""
    for candidate in candidates:
        found = parse_language(candidate)
        if found is not None:
            return found
    return from_accept_language(accept_language) or DEFAULT


@dataclass(frozen=True)
class Catalogues:
    """Every language's translations and Babel locale, built once at start-up."""

    translations: dict[Language, gettext.NullTranslations]
    locales: dict[Language, Locale]

    @classmethod
    def load(cls, directory: Path = LOCALE_DIR) -> Catalogues:
        translations: dict[Language, gettext.NullTranslations] = {}
        for language in Language:
            po = directory / babel_id(language) / "LC_MESSAGES" / f"{DOMAIN}.po"
            translations[language] = (
                compile_catalogue(po) if po.exists() else gettext.NullTranslations()
            )
        locales = {language: Locale.parse(babel_id(language)) for language in Language}
        return cls(translations, locales)


def untranslated(po: Path) -> list[str]:
    """Messages of a catalogue that are missing, empty or fuzzy (the test that keeps the
    Chinese catalogue complete uses this)."""
    with po.open("rb") as handle:
        catalog = read_po(handle, domain=DOMAIN)
    missing: list[str] = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(str(message.id))
    return missing
