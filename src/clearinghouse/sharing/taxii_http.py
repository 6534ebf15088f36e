"""The TAXII 2.1 wire conventions: media types, content negotiation, error bodies, the
filter parameters and the paging cursor. No routes here (``taxii.py`` has them).

Every malformed filter is a 400 with a TAXII error body, never a 500: ``added_after`` and
``match[version]`` timestamps must be STIX timestamps, ``limit`` a positive integer,
``next`` a cursor this server issued, and ``match[...]`` one of the four fields TAXII
defines; values are bounded in number and length.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

import orjson
from fastapi import Request
from fastapi.responses import Response

from clearinghouse.errors import ClearinghouseError
from clearinghouse.formats import stix
from clearinghouse.sharing.store import Filters, VersionFilter

TAXII_MEDIA: Final = "application/taxii+json;version=2.1"
STIX_MEDIA: Final = "application/stix+json;version=2.1"
PREFIX: Final = "/taxii2/"
MAX_VALUES: Final = 100  # comma-separated values per filter
MAX_VALUE_LENGTH: Final = 300
CHALLENGE: Final = 'Basic realm="clearinghouse TAXII", Bearer realm="clearinghouse TAXII"'
# A cursor's bounds: what the server can have issued, and what both databases can compare.
# ``shared_objects.seq`` is an ``Integer`` (PostgreSQL's int4: a larger value bound to it is
# an error there, not an empty page; SQLite refuses above 2**63 - 1).
MAX_SEQ: Final = 2**31 - 1
END_MICROS: Final = 253402300800 * 1_000_000  # 10000-01-01: Python's datetime ends before
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class TaxiiBadRequest(ClearinghouseError):
    code = "taxii-bad-request"
    status = 400
    title = "Bad request"
    exit_code = 2


class TaxiiNotAcceptable(ClearinghouseError):
    code = "taxii-not-acceptable"
    status = 406
    title = "Not acceptable"
    exit_code = 2


class TaxiiUnsupportedMedia(ClearinghouseError):
    code = "taxii-unsupported-media-type"
    status = 415
    title = "Unsupported media type"
    exit_code = 2


class TaxiiTooLarge(ClearinghouseError):
    code = "taxii-too-large"
    status = 413
    title = "Payload too large"
    exit_code = 2


def taxii_json(
    value: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(value), status_code=status, media_type=TAXII_MEDIA, headers=dict(headers or {})
    )


def taxii_error(
    request: Request, status: int, title: str, detail: str, headers: dict[str, str]
) -> Response:
    """The TAXII error message (section 3.6.1): ``title`` required, ``http_status`` the
    real status (a string, as the specification types it). 401 carries a challenge."""
    body = {"title": title, "description": detail, "http_status": str(status)}
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["error_id"] = request_id
    out = dict(headers)
    if status == 401:
        out["WWW-Authenticate"] = CHALLENGE
    return taxii_json(body, status, out)


def _media_ok(item: str, *, exact: bool) -> bool:
    kind, *params = (part.strip().lower() for part in item.split(";"))
    version = next((p.split("=", 1)[1] for p in params if p.startswith("version=")), None)
    if kind == "application/taxii+json":
        return version in (None, "2.1")
    return not exact and kind in ("*/*", "application/*")


def require_accept(request: Request) -> None:
    """``Accept`` must admit the TAXII 2.1 media type (absent, or a wildcard, does)."""
    accept = request.headers.get("accept")
    if not accept:
        return
    if not any(_media_ok(item, exact=False) for item in accept.split(",")):
        raise TaxiiNotAcceptable(
            f"this server answers {TAXII_MEDIA}; the Accept header was {accept[:200]!r}"
        )


def require_content_type(request: Request) -> None:
    sent = request.headers.get("content-type", "")
    if not _media_ok(sent, exact=True):
        raise TaxiiUnsupportedMedia(f"send the envelope as {TAXII_MEDIA}, not {sent[:200]!r}")


# ---- filters and paging --------------------------------------------------------------------

_FIELDS: Final = frozenset({"id", "type", "version", "spec_version"})
_KNOWN: Final = frozenset({"added_after", "limit", "next"})


def _values(raw: str, name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in raw.split(","))
    if not values or any(not v for v in values):
        raise TaxiiBadRequest(f"{name}: empty value")
    if len(values) > MAX_VALUES or any(len(v) > MAX_VALUE_LENGTH for v in values):
        raise TaxiiBadRequest(
            f"{name}: at most {MAX_VALUES} values of {MAX_VALUE_LENGTH} characters"
        )
    return values


def _timestamp(text: str, name: str) -> datetime:
    try:
        return stix.parse_timestamp(text)
    except ClearinghouseError:
        raise TaxiiBadRequest(
            f"{name}: {text[:60]!r} is not a timestamp (YYYY-MM-DDTHH:MM:SS[.s+]Z)"
        ) from None


def _versions(raw: str) -> VersionFilter:
    words = _values(raw, "match[version]")
    exact = frozenset(
        _timestamp(w, "match[version]") for w in words if w not in ("first", "last", "all")
    )
    return VersionFilter(
        first="first" in words, last="last" in words, all="all" in words, exact=exact
    )


def _single(params: Sequence[tuple[str, str]], name: str) -> str | None:
    found = [v for k, v in params if k == name]
    if len(found) > 1:
        raise TaxiiBadRequest(f"{name} given {len(found)} times")
    return found[0] if found else None


def parse_filters(
    params: Sequence[tuple[str, str]],
    *,
    allowed: frozenset[str] = _FIELDS,
    default_last: bool = True,
) -> Filters:
    """The TAXII filters of a query string (``allowed``: the match fields this endpoint
    takes). ``match[version]`` defaults to ``last`` (``all`` for the versions endpoint)."""
    for key, _ in params:
        if key in _KNOWN:
            continue
        if key.startswith("match[") and key.endswith("]") and key[6:-1] in allowed:
            continue
        raise TaxiiBadRequest(f"unknown or unsupported parameter {key[:60]!r}")
    added = _single(params, "added_after")
    version = _single(params, "match[version]")
    ids = _single(params, "match[id]")
    types = _single(params, "match[type]")
    specs = _single(params, "match[spec_version]")
    return Filters(
        added_after=_timestamp(added, "added_after") if added is not None else None,
        ids=_values(ids, "match[id]") if ids is not None else (),
        types=_values(types, "match[type]") if types is not None else (),
        versions=_versions(version)
        if version is not None
        else VersionFilter(last=default_last, all=not default_last),
        spec_versions=_values(specs, "match[spec_version]") if specs is not None else (),
    )


def parse_limit(params: Sequence[tuple[str, str]], largest: int) -> int:
    raw = _single(params, "limit")
    if raw is None:
        return min(1000, largest)
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise TaxiiBadRequest(f"limit: {raw[:20]!r} is not a positive integer")
    return min(int(raw), largest)


def encode_next(position: tuple[datetime, int]) -> str:
    at, seq = position
    micros = (at - _EPOCH) // timedelta(microseconds=1)  # exact (a float timestamp is not)
    return base64.urlsafe_b64encode(orjson.dumps([micros, seq])).decode().rstrip("=")


def decode_next(params: Sequence[tuple[str, str]]) -> tuple[datetime, int] | None:
    raw = _single(params, "next")
    if raw is None or raw == "":
        return None
    return decode_next_value(raw)


def decode_next_value(raw: str) -> tuple[datetime, int]:
    """A cursor this server issued (else :class:`TaxiiBadRequest`): an instant from 1970
    to 9999 and a sequence number a ``seq`` column holds, so that no database refuses it."""
    try:
        if len(raw) > 100:
            raise ValueError
        value = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        micros, seq = value
        if type(micros) is not int or type(seq) is not int:  # not bool, not float
            raise ValueError
        if not (0 <= micros < END_MICROS and 0 <= seq <= MAX_SEQ):
            raise ValueError
        at = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(
            microsecond=micros % 1_000_000
        )
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError, OverflowError, OSError):
        raise TaxiiBadRequest("next: not a value this server issued") from None
    return at, seq
