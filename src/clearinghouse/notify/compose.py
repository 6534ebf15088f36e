"""The text of notification e-mails, pure: immediate notices and daily digests.

Bodies are the safe summaries callers recorded; anything embargoed stays behind the
link, which needs a signed-in session to open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from clearinghouse.timeutil import format_instant

MAX_DIGEST_ITEMS = 200


@dataclass(frozen=True, slots=True)
class Notice:
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


def _footer(platform: str, base_url: str, why: str) -> str:
    return (
        f"-- \n{platform} ({base_url.rstrip('/')})\n"
        f"{why} Change how you are notified in your account settings.\n"
    )


def immediate(notice: Notice, *, platform: str, base_url: str) -> Letter:
    parts = [notice.body.strip()]
    link = absolute_link(notice.link, base_url)
    if link:
        parts.append(f"Open: {link}")
    parts.append(_footer(platform, base_url, "You receive each notification as it happens."))
    return Letter(f"[{platform}] {notice.subject}", "\n\n".join(parts))


def digest(notices: Sequence[Notice], *, day: date, platform: str, base_url: str) -> Letter:
    if not notices:
        raise ValueError("a digest needs at least one notification")
    shown = list(notices)[:MAX_DIGEST_ITEMS]
    count = len(notices)
    noun = "notification" if count == 1 else "notifications"
    lines = [f"{count} {noun} since your last digest:", ""]
    for number, notice in enumerate(shown, start=1):
        lines.append(f"{number}. {notice.subject}  ({format_instant(notice.created_at)})")
        for body_line in notice.body.strip().splitlines():
            lines.append(f"   {body_line}")
        link = absolute_link(notice.link, base_url)
        if link:
            lines.append(f"   {link}")
        lines.append("")
    if count > len(shown):
        lines.append(f"... and {count - len(shown)} more: see {base_url.rstrip('/')}/notifications")
        lines.append("")
    lines.append(_footer(platform, base_url, "You receive a daily digest."))
    subject = f"[{platform}] Daily digest for {day.isoformat()}: {count} {noun}"
    return Letter(subject, "\n".join(lines))
