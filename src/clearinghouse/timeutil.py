"""Time: one injectable clock, and helpers that keep every instant aware and in UTC.

Domain code never calls ``datetime.now()``; it is handed a :class:`Clock`. Tests, the
what-if tools and the historical replay run the platform at any instant with
:class:`FixedClock`.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, time-zone aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: for tests and replays."""

    def __init__(self, at: datetime) -> None:
        self._at = ensure_utc(at)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = ensure_utc(at)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._at = self._at + delta


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone reached code that needs an instant."""


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes (they are not instants)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(f"naive datetime {value.isoformat()} is not an instant")
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 instant (``Z`` or an offset is required)."""
    candidate = text.strip()
    if candidate.endswith(("z", "Z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError as exc:
        raise ValueError(f"not an RFC 3339 instant: {text!r}") from exc
    return ensure_utc(parsed)


RFC3339_PATTERN = r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
_RFC3339 = re.compile(RFC3339_PATTERN)


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 date-time strictly (section 5.6): a full date, a time with
    seconds, and ``Z`` or a numeric offset. Refuses what :func:`parse_instant` lets
    through (no seconds, the ISO 8601 basic format, a date alone), naive values and
    epoch numbers."""
    if not _RFC3339.fullmatch(text.strip()):
        raise ValueError(
            f"not an RFC 3339 date-time with Z or an offset (e.g. 2026-10-01T10:00:00Z): {text!r}"
        )
    return parse_instant(text)


def format_instant(value: datetime, *, micro: bool = False) -> str:
    """Format an instant as RFC 3339 in UTC with a ``Z`` suffix."""
    utc = ensure_utc(value)
    spec = "microseconds" if micro else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
