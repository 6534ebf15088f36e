"""Time: one injectable clock, and helpers that keep every instant aware and in UTC.

Domain code never calls ``datetime.now()``; it is handed a :class:`Clock`. Tests, the
what-if tools and the historical replay run the platform at any instant with
:class:`FixedClock`.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol


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


class InstantOutOfRange(ValueError):
    """An instant outside the range the platform takes: one with no UTC value that
    ``datetime`` holds (``0001-01-01T00:00:00+01:00`` is before year 1 in UTC), or, where
    a person or a document gives one to record, schedule or evaluate at, one outside
    :data:`ACCEPTED_FROM` to :data:`ACCEPTED_UNTIL` (:func:`accepted`)."""


# The first and the last instant datetime holds, in UTC.
EARLIEST: Final = datetime.min.replace(tzinfo=UTC)
LATEST: Final = datetime.max.replace(tzinfo=UTC)

# Instants given to record, schedule or evaluate at: from the Unix epoch up to, not
# including, year 9999 in UTC. The year left before datetime's end keeps what is computed
# from them (deadlines, alert steps, a picture's margins, the instant written in any time
# zone) within what datetime holds. Imported documents keep any instant datetime holds.
ACCEPTED_FROM: Final = datetime(1970, 1, 1, tzinfo=UTC)
ACCEPTED_UNTIL: Final = datetime(9999, 1, 1, tzinfo=UTC)
ACCEPTED_TEXT: Final = "from 1970-01-01T00:00:00Z up to 9999-01-01T00:00:00Z (not included)"


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes (they are not instants) and
    aware ones before year 1 or after year 9999 in UTC (:class:`InstantOutOfRange`)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(f"naive datetime {value.isoformat()} is not an instant")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InstantOutOfRange(
            f"{value.isoformat()} is not an instant: in UTC it falls outside the years 0001 to 9999"
        ) from None


def accepted(value: datetime) -> datetime:
    """``value`` in UTC, when it lies in the range the platform takes as input to record,
    schedule or evaluate at (:data:`ACCEPTED_FROM` to :data:`ACCEPTED_UNTIL`); else
    :class:`InstantOutOfRange`."""
    try:
        utc = ensure_utc(value)
    except InstantOutOfRange:
        raise _not_accepted(value.isoformat()) from None
    if not ACCEPTED_FROM <= utc < ACCEPTED_UNTIL:
        raise _not_accepted(value.isoformat())
    return utc


def _not_accepted(shown: str) -> InstantOutOfRange:
    return InstantOutOfRange(f"{shown} is outside the instants the platform takes: {ACCEPTED_TEXT}")


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
    epoch numbers; and, since what it reads is given to record, schedule or evaluate at,
    instants outside :func:`accepted`'s range (:class:`InstantOutOfRange`)."""
    if not _RFC3339.fullmatch(text.strip()):
        raise ValueError(
            f"not an RFC 3339 date-time with Z or an offset (e.g. 2026-10-01T10:00:00Z): {text!r}"
        )
    return parse_accepted(text)


def parse_accepted(text: str) -> datetime:
    """:func:`parse_instant`, refusing (:class:`InstantOutOfRange`, naming the range) an
    instant outside :func:`accepted`'s range."""
    try:
        return accepted(parse_instant(text))
    except InstantOutOfRange:
        raise _not_accepted(text.strip()) from None


def format_instant(value: datetime, *, micro: bool = False) -> str:
    """Format an instant as RFC 3339 in UTC with a ``Z`` suffix."""
    utc = ensure_utc(value)
    spec = "microseconds" if micro else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
