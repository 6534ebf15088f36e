"""Embargo terms: the end (an instant and an IANA zone), rendering, and length policies.

Split from :mod:`.embargo` (which re-exports everything here) so that the state machine
reads on its own. Time zones are validated against the IANA database that ``zoneinfo``
sees (the system's, or the pinned ``tzdata`` package), so a misspelt zone is refused
with a suggestion instead of being stored and failing later in a reminder e-mail.
"""

from __future__ import annotations

import enum
import functools
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Final

from clearinghouse.errors import InvalidInput
from clearinghouse.timeutil import NaiveDatetimeError, ensure_utc, format_instant

DEFAULT_MAX_DAYS: Final = 90


class InvalidEmbargo(InvalidInput):
    """An embargo operation was given a bad argument (end, zone, evidence, comment)."""

    code = "invalid-embargo"
    title = "The embargo request is not valid"


class UnknownTimeZone(InvalidEmbargo):
    code = "unknown-time-zone"
    title = "Unknown time zone"


# ------------------------------------------------------------------------- time zones

_ZONE_NAME: Final = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")
_NOT_ZONES: Final = frozenset({"Factory", "localtime", "posixrules"})


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - _NOT_ZONES)


def zone(tz_name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone called ``tz_name`` (exact spelling); :class:`UnknownTimeZone` if none."""
    if not isinstance(tz_name, str) or not _ZONE_NAME.fullmatch(tz_name) or len(tz_name) > 64:
        raise UnknownTimeZone(f"{tz_name!r} is not an IANA time-zone name (Europe/Berlin)")
    if tz_name not in _zones():
        folded = {z.casefold(): z for z in _zones()}
        hint = folded.get(tz_name.casefold())
        suggestion = f"; did you mean {hint}?" if hint else ""
        raise UnknownTimeZone(f"unknown time zone {tz_name!r}{suggestion}", tz=tz_name)
    return zoneinfo.ZoneInfo(tz_name)


def instant(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidEmbargo(f"{what} must be a datetime, got {type(value).__name__}")
    try:
        return ensure_utc(value)
    except NaiveDatetimeError as exc:
        raise InvalidEmbargo(f"{what} needs a time zone or offset: {exc}") from exc


@dataclass(frozen=True, slots=True)
class EmbargoEnd:
    """An instant (kept in UTC) and the IANA zone it was chosen in."""

    at: datetime
    tz_name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", instant(self.at, "the embargo end"))
        zone(self.tz_name)

    def local(self, tz_name: str | None = None) -> datetime:
        return self.at.astimezone(zone(tz_name or self.tz_name))

    def to_dict(self) -> dict[str, str]:
        return {"at": format_instant(self.at), "tz": self.tz_name}


def render_for(end: EmbargoEnd | datetime, tz_name: str) -> str:
    """``end`` in ``tz_name``: ISO 8601 with offset and the zone's abbreviation then.

    ``2021-12-10T11:00:00+01:00 CET`` in Europe/Berlin in winter, ``... CEST`` in
    summer: the abbreviation and offset are those in force at that instant.
    """
    moment = end.at if isinstance(end, EmbargoEnd) else instant(end, "the instant")
    local = moment.astimezone(zone(tz_name))
    return f"{local.isoformat(timespec='seconds')} {local.tzname()}"


# -------------------------------------------------------------------------- policies


class DisclosurePolicy(enum.StrEnum):
    PROJECT_ZERO = "project_zero"  # 90 days after the report
    CERT_CC = "cert_cc"  # 45 days after the report
    IN_THE_WILD = "in_the_wild"  # 7 days: the bug is being exploited


POLICY_DAYS: Final[Mapping[DisclosurePolicy, int]] = {
    DisclosurePolicy.PROJECT_ZERO: 90,
    DisclosurePolicy.CERT_CC: 45,
    DisclosurePolicy.IN_THE_WILD: 7,
}


@dataclass(frozen=True, slots=True)
class EmbargoPolicy:
    """The platform's limit on embargo length (days after the first proposal)."""

    max_days: int = DEFAULT_MAX_DAYS

    def __post_init__(self) -> None:
        if isinstance(self.max_days, bool) or not isinstance(self.max_days, int):
            raise InvalidEmbargo(f"max_days must be an integer, got {self.max_days!r}")
        if not 1 <= self.max_days <= 730:
            raise InvalidEmbargo(f"max_days must be 1 to 730, got {self.max_days}")

    @property
    def max_length(self) -> timedelta:
        return timedelta(days=self.max_days)


def suggest_end(
    policy: DisclosurePolicy,
    reported_at: datetime,
    tz_name: str,
    *,
    local_time: time | None = None,
) -> EmbargoEnd:
    """The end a published policy suggests for a report received at ``reported_at``.

    Without ``local_time`` it is exactly the policy's days after the report. With it
    (say 09:00), it is the latest such local time in ``tz_name`` that is not later than
    that, so a suggestion never exceeds the policy; daylight-saving changes are
    respected (a local time that does not exist that day is moved forward by the gap).
    """
    start = instant(reported_at, "reported_at")
    deadline = start + timedelta(days=POLICY_DAYS[policy])
    if local_time is None:
        return EmbargoEnd(deadline, tz_name)
    tz = zone(tz_name)
    day = deadline.astimezone(tz).date()
    for offset in (0, 1, 2):
        naive = datetime.combine(day - timedelta(days=offset), local_time.replace(tzinfo=None))
        candidate = ensure_utc(naive.replace(tzinfo=tz))
        if candidate <= deadline:
            return EmbargoEnd(candidate, tz_name)
    raise InvalidEmbargo("no suggestion found")  # pragma: no cover - one of 3 days fits
