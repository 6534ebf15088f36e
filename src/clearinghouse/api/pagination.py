"""Cursor pagination: every list is paged by an opaque cursor over a stable key, never
by offset (stable under concurrent inserts, constant cost per page).

A ``/api/v1`` cursor is signed (:func:`issue_cursor`, :func:`read_cursor`): HMAC-SHA256
under a key derived from the secret key for this purpose alone, over the key and the
path of the list that issued it. Any cursor the server did not issue for that list (a
forged one of the right shape, one of another list, garbage) is refused with 422 before
its contents are looked at, so a route reads only keys it wrote itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any, Final, Generic, TypeVar

import orjson
from pydantic import BaseModel, Field

from clearinghouse.api.deps import Ctx
from clearinghouse.errors import InvalidInput

T = TypeVar("T")

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_CURSOR = 512
_PURPOSE: Final = b"clearinghouse/api/v1/cursor"
_TAG_BYTES: Final = 16
_NOT_OURS: Final = "cursor is not one this server issued for this list"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


def _tag(secret: str, path: str, payload: bytes) -> bytes:
    key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
    mac = hmac.new(key, path.encode() + b"\0" + payload, hashlib.sha256)
    return mac.digest()[:_TAG_BYTES]


def issue_cursor(ctx: Ctx, key: list[Any]) -> str:
    """The cursor of the page after ``key`` in the list this request reads."""
    payload = orjson.dumps(key)
    tag = _tag(ctx.settings.secret_key.get_secret_value(), ctx.request.url.path, payload)
    return f"{_b64(payload)}.{_b64(tag)}"


def read_cursor(ctx: Ctx, cursor: str | None) -> list[Any] | None:
    """The key a cursor issued by :func:`issue_cursor` for this list holds (``None``: the
    first page); anything else is :class:`InvalidInput`."""
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR:
        raise InvalidInput("cursor is too long", field="cursor")
    encoded, _, signature = cursor.partition(".")
    try:
        payload, tag = _unb64(encoded), _unb64(signature)
    except (ValueError, binascii.Error) as exc:  # not base64, or not ASCII
        raise InvalidInput(_NOT_OURS, field="cursor") from exc
    expected = _tag(ctx.settings.secret_key.get_secret_value(), ctx.request.url.path, payload)
    if not hmac.compare_digest(tag, expected):
        raise InvalidInput(_NOT_OURS, field="cursor")
    value = orjson.loads(payload)
    if not isinstance(value, list):  # we only ever sign lists
        raise InvalidInput(_NOT_OURS, field="cursor")
    return value


def encode_cursor(key: list[Any]) -> str:
    """An unsigned token: for the OSV API's ``page_token`` only, whose keys are public
    record ids that anyone may name (a forged one only skips records)."""
    return _b64(orjson.dumps(key))


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """Reads :func:`encode_cursor`'s tokens (``InvalidInput`` for anything else)."""
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR:
        raise InvalidInput("cursor is too long", field="cursor")
    try:
        value = orjson.loads(_unb64(cursor))
    except (ValueError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from exc
    if not isinstance(value, list):
        raise InvalidInput("cursor is not one this server issued", field="cursor")
    return value


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit
