"""Instants at the HTTP edge: RFC 3339 date-times with ``Z`` or an offset, from 1970 up to
year 9999 in UTC (:func:`clearinghouse.timeutil.accepted`), and nothing else. A naive
date-time is not an instant, an epoch number is not RFC 3339, and ``0001-01-01T00:00:00+01:00``
has no UTC instant at all: each is refused with 422 (pydantic alone would accept the
first two; the last was a 500).

Every instant a ``/api/v1`` route reads, in its query or its body, is an :data:`Instant`;
its OpenAPI schema carries :data:`INSTANT_PATTERN`, by which a test finds any date-time
input that is not one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from pydantic import BeforeValidator, WithJsonSchema

from clearinghouse.timeutil import RFC3339_PATTERN, parse_rfc3339

INSTANT_PATTERN: Final = "^" + RFC3339_PATTERN + "$"


def _rfc3339(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("an instant is an RFC 3339 string such as 2026-10-01T10:00:00Z")
    return parse_rfc3339(value)


Instant = Annotated[
    datetime,
    BeforeValidator(_rfc3339),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": INSTANT_PATTERN,
            "description": "RFC 3339 with Z or an offset, e.g. 2026-10-01T10:00:00Z; "
            "from 1970-01-01T00:00:00Z up to 9999-01-01T00:00:00Z (not included)",
        }
    ),
]
