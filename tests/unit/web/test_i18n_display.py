"""Languages chosen as the pages choose them; instants in the viewer's zone, the zone named;
deadlines with UTC beside them; durations per locale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from clearinghouse.vocab import Language
from clearinghouse.web import display
from clearinghouse.web.i18n import choose, from_accept_language, parse_language

EN = Locale.parse("en")
ZH = Locale.parse("zh_Hans")
AWARE = datetime(2021, 11, 24, 2, 0, tzinfo=UTC)
DUE = datetime(2021, 11, 26, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("en", Language.EN),
        ("en-GB", Language.EN),
        ("zh", Language.ZH_HANS),
        ("zh-CN", Language.ZH_HANS),
        ("zh_Hans", Language.ZH_HANS),
        ("zh-Hans-SG", Language.ZH_HANS),
        ("zh-TW", None),
        ("zh-Hant", None),
        ("zh-HK", None),
        ("fr", None),
        ("", None),
    ],
)
def test_tags_as_browsers_write_them(tag: str, language: Language | None) -> None:
    assert parse_language(tag) is language


def test_accept_language_takes_the_most_preferred_language_we_speak() -> None:
    assert from_accept_language("fr-FR,fr;q=0.9,zh-CN;q=0.8,en;q=0.7") is Language.ZH_HANS
    assert from_accept_language("zh-TW,zh;q=0.1,en;q=0.5") is Language.EN
    assert from_accept_language("de, *;q=0.1") is None
    assert from_accept_language("en;q=0, zh;q=0.2") is Language.ZH_HANS
    assert from_accept_language("en;q=bogus, zh") is Language.ZH_HANS


def test_the_setting_wins_then_the_cookie_then_the_browser() -> None:
    assert choose("zh-Hans", "en", accept_language="en") is Language.ZH_HANS
    assert choose(None, "zh-Hans", accept_language="en") is Language.ZH_HANS
    assert choose(None, "klingon", accept_language="zh-CN") is Language.ZH_HANS
    assert choose(None, None, accept_language=None) is Language.EN


def test_an_instant_is_in_the_viewers_zone_with_the_zone_named() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert display.instant_text(DUE, shanghai, EN) == "Nov 26, 2021, 10:00 CST (UTC+8)"
    assert display.instant_text(DUE, shanghai, ZH) == "2021年11月26日 10:00 CST (UTC+8)"
    assert display.instant_text(DUE, ZoneInfo("UTC"), EN) == "Nov 26, 2021, 02:00 UTC"
    kolkata = display.instant_text(DUE, ZoneInfo("Asia/Kolkata"), EN)
    assert kolkata == "Nov 26, 2021, 07:30 IST (UTC+5:30)"
    # a zone without an abbreviation of its own is named by its offset
    assert display.instant_text(DUE, ZoneInfo("Asia/Dubai"), EN).endswith("06:00 UTC+4")


def test_the_html_carries_the_utc_instant_for_machines() -> None:
    html = str(display.instant(DUE, ZoneInfo("Asia/Shanghai"), EN))
    assert html.startswith('<time datetime="2021-11-26T02:00:00Z">')


def test_a_deadline_shows_utc_beside_the_local_time() -> None:
    html = str(display.deadline(DUE, ZoneInfo("Europe/Berlin"), EN))
    assert "03:00 CET (UTC+1)" in html
    assert "02:00 UTC" in html
    assert str(display.deadline(DUE, ZoneInfo("UTC"), EN)).count("UTC") == 1


def test_durations_are_the_two_largest_units_in_the_locale() -> None:
    assert display.duration(timedelta(hours=5, minutes=12), EN) == "5 hr 12 min"
    assert display.duration(timedelta(days=2, hours=1, minutes=3), ZH) == "2天1小时"
    assert display.duration(timedelta(seconds=20), EN) == "0 min"
    assert display.duration(DUE - AWARE, EN) == "2 days"


def test_an_unknown_zone_is_utc_and_offsets_are_named_either_way() -> None:
    assert display.zone_or_utc("Mars/Olympus").key == "UTC"
    assert display.zone_or_utc(None).key == "UTC"
    assert display.utc_offset(datetime(2021, 1, 1, tzinfo=ZoneInfo("America/St_Johns"))) == (
        "UTC-3:30"
    )
