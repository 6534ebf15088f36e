"""Notification e-mail texts: links made absolute, digests listing every notice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from clearinghouse.notify import compose

AT = datetime(2021, 12, 9, 12, 0, tzinfo=UTC)


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
        _notice("Statement requested"), platform="CH", base_url="https://ch.test"
    )
    assert letter.subject == "[CH] Statement requested"
    assert letter.text.startswith(
        "Safe summary.\nSecond line.\n\nOpen: https://ch.test/cases/CH-2021-0001"
    )
    assert "account settings" in letter.text


def test_digest_letter_lists_every_notice_in_order() -> None:
    notices = [_notice("First"), _notice("Second", None), _notice("Third")]
    letter = compose.digest(
        notices, day=date(2021, 12, 9), platform="CH", base_url="https://ch.test"
    )
    assert letter.subject == "[CH] Daily digest for 2021-12-09: 3 notifications"
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
        notices, day=date(2021, 12, 9), platform="CH", base_url="https://ch.test"
    )
    assert "... and 5 more: see https://ch.test/notifications" in letter.text
    assert f"{compose.MAX_DIGEST_ITEMS + 5} notifications" in letter.subject


def test_an_empty_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        compose.digest([], day=date(2021, 12, 9), platform="CH", base_url="https://ch.test")
