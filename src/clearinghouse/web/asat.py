"""Time travel on the pages: ``?at=`` shows a record as it stood at a past instant.

The address carries an RFC 3339 instant (what the API takes) or what the page's own
field sends: a local date and time (``2021-12-23T00:00``) or a date alone, read in the
viewer's time zone. Anything else is refused as a bad ``at`` (422), never guessed; so is
an instant outside the range the platform takes (1970 up to year 9999, in UTC).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from clearinghouse.errors import InvalidInput
from clearinghouse.timeutil import InstantOutOfRange, accepted, ensure_utc, parse_rfc3339

MAX_LENGTH: Final = 40
_LOCAL: Final = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?")


def parse_at(text: str | None, zone: ZoneInfo) -> datetime | None:
    """The instant ``text`` names (None: no ``at``, the record as it stands now)."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if _LOCAL.fullmatch(value):
            return accepted(datetime.fromisoformat(value).replace(tzinfo=zone))
        return parse_rfc3339(value)
    except InstantOutOfRange as exc:
        raise InvalidInput(f"at: {exc}", field="at") from None
    except ValueError:
        raise InvalidInput(
            "at: give an instant such as 2021-12-23T00:00 (your time zone) or 2021-12-22T16:00:00Z",
            field="at",
        ) from None


def local_value(at: datetime | None, zone: ZoneInfo) -> str:
    """``at`` as the page's date-and-time field shows it (the viewer's zone)."""
    return ensure_utc(at).astimezone(zone).strftime("%Y-%m-%dT%H:%M") if at else ""
