"""The cursor a remote hands back (``X-TAXII-Date-Added-Last``) is kept in a 40-character
column: a longer one (a timestamp with a hundred fractional digits is still a timestamp)
is a ``SyncError`` naming the header, the same on every database, instead of a DataError
that failed the sync job on PostgreSQL only."""

from __future__ import annotations

import uuid

import httpx
import pytest

from clearinghouse.sharing import sync
from clearinghouse.sharing.taxii_http import TAXII_MEDIA

ENVELOPE = b'{"more": false, "objects": [{"type": "x-thing"}]}'


def _pages(date_added_last: str) -> list[object]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=ENVELOPE,
            headers={"Content-Type": TAXII_MEDIA, "X-TAXII-Date-Added-Last": date_added_last},
        )

    remote = sync._Remote(uuid.uuid4(), "https://remote.test/collections/c/", None, {}, None)
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        return list(sync.pages(client, remote))


def test_a_cursor_that_fits_is_kept() -> None:
    (page,) = _pages("2026-09-01T12:00:00.123456Z")
    assert page.date_added_last == "2026-09-01T12:00:00.123456Z"  # type: ignore[attr-defined]


def test_a_cursor_longer_than_kept_fails_the_page_by_name() -> None:
    with pytest.raises(sync.SyncError, match=r"X-TAXII-Date-Added-Last .* at most 40 are kept"):
        _pages("2026-09-01T12:00:00." + "1" * 100 + "Z")
