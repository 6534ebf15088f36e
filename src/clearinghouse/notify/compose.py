"""The text of notification e-mails: immediate notices and daily digests, in the
recipient's language and time zone (a :class:`~clearinghouse.notify.reader.Reader`).

Bodies are the safe summaries callers recorded; anything embargoed stays behind the
link, which needs a signed-in session to open. Every link is a page that exists: the
notice's own, the notices on ``/work``, the preference on ``/settings/notifications``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from clearinghouse.notify.reader import Reader

MAX_DIGEST_ITEMS = 200
NOTICES_PAGE: Final = "/work#notifications"  # where a user's notices are listed
SETTINGS_PAGE: Final = "/settings/notifications"  # immediate e-mails or a daily digest


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice as its reader reads it (worded by :mod:`clearinghouse.notify.wording`)."""

    subject: str
    body: str
    link: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Letter:
    subject: str
    text: str


def absolute_link(link: str | None, base_url: str) -> str | None:
    """Platform paths (``/cases/CH-1``) become URLs under ``base_url``; URLs stay."""
    if not link:
        return None
    if link.startswith(("https://", "http://")):
        return link
    return base_url.rstrip("/") + "/" + link.lstrip("/")


def _footer(reader: Reader, platform: str, base_url: str, why: str) -> str:
    settings = absolute_link(SETTINGS_PAGE, base_url)
    change = reader.gettext("Change how you are notified in your settings: %(link)s", link=settings)
    return f"-- \n{platform} ({base_url.rstrip('/')})\n{why}\n{change}\n"


def immediate(notice: Notice, *, reader: Reader, platform: str, base_url: str) -> Letter:
    parts = [notice.body.strip()]
    link = absolute_link(notice.link, base_url)
    if link:
        parts.append(reader.gettext("Open: %(link)s", link=link))
    why = reader.gettext("You receive each notification as it happens.")
    parts.append(_footer(reader, platform, base_url, why))
    return Letter(f"[{platform}] {notice.subject}", "\n\n".join(parts))


def digest(
    notices: Sequence[Notice], *, day: date, reader: Reader, platform: str, base_url: str
) -> Letter:
    """One e-mail listing the notices, each with its instant in the reader's zone."""
    if not notices:
        raise ValueError("a digest needs at least one notification")
    shown = list(notices)[:MAX_DIGEST_ITEMS]
    count = len(notices)
    lines = [
        reader.ngettext(
            "%(num)d notification since your last digest:",
            "%(num)d notifications since your last digest:",
            count,
        ),
        "",
    ]
    for number, notice in enumerate(shown, start=1):
        lines.append(f"{number}. {notice.subject}  ({reader.instant(notice.created_at)})")
        for body_line in notice.body.strip().splitlines():
            lines.append(f"   {body_line}" if body_line.strip() else "")
        link = absolute_link(notice.link, base_url)
        if link:
            lines.append(f"   {link}")
        lines.append("")
    if count > len(shown):
        lines.append(
            reader.gettext(
                "... and %(num)d more: see %(link)s",
                num=count - len(shown),
                link=absolute_link(NOTICES_PAGE, base_url),
            )
        )
        lines.append("")
    lines.append(_footer(reader, platform, base_url, reader.gettext("You receive a daily digest.")))
    subject = reader.ngettext(
        "Daily digest for %(day)s: %(num)d notification",
        "Daily digest for %(day)s: %(num)d notifications",
        count,
        day=reader.day(day),
    )
    return Letter(f"[{platform}] {subject}", "\n".join(lines))
