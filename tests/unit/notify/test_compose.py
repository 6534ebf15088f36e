"""Notification e-mail texts: links made absolute, digests listing every notice, each
letter in its reader's language with instants in the reader's zone, the zone named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from clearinghouse.notify import compose
from clearinghouse.notify.reader import english, reader_for

AT = datetime(2021, 12, 9, 12, 0, tzinfo=UTC)
EN = english()
ZH = reader_for("zh-Hans", "Asia/Shanghai")
REPO = Path(__file__).resolve().parents[3]


def _notice(subject: str, link: str | None = "/cases/CH-2021-0001") -> compose.Notice:
    return compose.Notice(subject, "Safe summary.\nSecond line.", link, AT)


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/cases/1", "https://ch.test/cases/1"),
        ("cases/1", "https://ch.test/cases/1"),
        ("https://elsewhere.test/x", "https://elsewhere.test/x"),
        (None, None),
        ("", None),
    ],
)
def test_absolute_link(link: str | None, expected: str | None) -> None:
    assert compose.absolute_link(link, "https://ch.test/") == expected


def test_immediate_letter() -> None:
    letter = compose.immediate(
        _notice("Statement requested"), reader=EN, platform="CH", base_url="https://ch.test"
    )
    assert letter.subject == "[CH] Statement requested"
    assert letter.text.startswith(
        "Safe summary.\nSecond line.\n\nOpen: https://ch.test/cases/CH-2021-0001"
    )
    assert "your settings: https://ch.test/settings/notifications" in letter.text


def test_an_immediate_letter_in_chinese() -> None:
    letter = compose.immediate(
        _notice("Statement requested"), reader=ZH, platform="CH", base_url="https://ch.test"
    )
    assert "打开：https://ch.test/cases/CH-2021-0001" in letter.text
    assert "在设置中更改通知方式：https://ch.test/settings/notifications" in letter.text
    assert "Open:" not in letter.text


def test_digest_letter_lists_every_notice_in_order() -> None:
    notices = [_notice("First"), _notice("Second", None), _notice("Third")]
    letter = compose.digest(
        notices, day=date(2021, 12, 9), reader=EN, platform="CH", base_url="https://ch.test"
    )
    assert letter.subject == "[CH] Daily digest for Dec 9, 2021: 3 notifications"
    assert letter.text.startswith("3 notifications since your last digest:")
    assert "1. First  (Dec 9, 2021, 12:00 UTC)" in letter.text
    assert (
        letter.text.index("1. First")
        < letter.text.index("2. Second")
        < letter.text.index("3. Third")
    )
    assert letter.text.count("https://ch.test/cases/CH-2021-0001") == 2
    assert "   Second line." in letter.text


def test_a_huge_digest_is_truncated_with_a_pointer() -> None:
    notices = [_notice(f"n{i}") for i in range(compose.MAX_DIGEST_ITEMS + 5)]
    letter = compose.digest(
        notices, day=date(2021, 12, 9), reader=EN, platform="CH", base_url="https://ch.test"
    )
    assert "... and 5 more: see https://ch.test/work#notifications" in letter.text
    assert f"{compose.MAX_DIGEST_ITEMS + 5} notifications" in letter.subject


def test_a_digest_in_chinese_gives_each_instant_in_the_readers_zone() -> None:
    """Noon UTC is 20:00 in Shanghai: the digest says so, and names the zone."""
    letter = compose.digest(
        [_notice("First"), _notice("Second")],
        day=date(2021, 12, 9),
        reader=ZH,
        platform="CH",
        base_url="https://ch.test",
    )
    assert letter.subject == "[CH] 2021年12月9日 每日通知汇总：2 条通知"
    assert letter.text.startswith("自上次汇总以来共有 2 条通知：")
    assert "1. First  (2021年12月9日 20:00 CST (UTC+8))" in letter.text
    assert "UTC)" not in letter.text.replace("(UTC+8)", "")
    assert "您每天收到一封通知汇总邮件。" in letter.text


def test_the_pages_a_letter_links_exist_in_the_route_table() -> None:
    """The notices' page and the preference's page are routes the platform serves."""
    table = (REPO / "tests" / "functional" / "route_table.txt").read_text()
    for page in (compose.NOTICES_PAGE, compose.SETTINGS_PAGE):
        path = page.partition("#")[0]
        assert f"GET    {path} " in table, path


def test_an_empty_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        compose.digest(
            [], day=date(2021, 12, 9), reader=EN, platform="CH", base_url="https://ch.test"
        )
