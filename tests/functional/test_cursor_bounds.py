"""A crafted paging cursor is a typed client error on every route that pages, never a 500:
TAXII ``next`` on objects/, manifest/ and objects/{id}/ (400, a TAXII error body), the REST
``cursor`` of a collection's objects (422 problem+json, as any foreign cursor), for
sequence numbers and instants past what the database column holds (PostgreSQL's int4,
SQLite's 64-bit INTEGER) or Python's datetime can express. A cursor the server issued
still pages. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from clearinghouse.sharing.taxii_http import TAXII_MEDIA
from tests.functional.conftest import Platform
from tests.support.collections import member_writable_collection
from tests.support.stix_objects import indicator, stix_uuid

pytestmark = pytest.mark.slow
AT = 1_788_345_600_000_000  # 2026-09-02, in microseconds
OUT_OF_RANGE = [
    [AT, 2**31],  # PostgreSQL: integer out of range
    [AT, 2**63 - 1],
    [AT, 2**63],  # SQLite: OverflowError
    [AT, 2**64 - 1],
    [AT, -1],
    [2**63 - 1, 1],
    [253402300800 * 1_000_000, 1],  # 10000-01-01
]


def _cursor(value: object) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _setup(platform: Platform) -> tuple[str, httpx.Client, httpx.Client]:
    """A collection of three indicators; a TAXII client and a REST client of its writer."""
    collection_id = member_writable_collection(
        platform.database, platform.clock, "indicators", "Indicators"
    )
    token = platform.token(platform.world.member_admin, ["taxii", "read", "write"])
    rest = platform.client(headers={"Authorization": f"Bearer {token}"})
    added = rest.post(
        f"/api/v1/sharing/collections/{collection_id}/objects",
        json={"objects": [indicator(n) for n in range(3)]},
    )
    assert added.status_code == 201, added.text
    assert len(added.json()["successes"]) == 3
    taxii = platform.client(headers={"Authorization": f"Bearer {token}", "Accept": TAXII_MEDIA})
    return collection_id, taxii, rest


def test_an_out_of_range_next_is_a_taxii_400_on_every_paging_route(platform: Platform) -> None:
    collection_id, taxii, _rest = _setup(platform)
    base = f"/taxii2/root/collections/{collection_id}/"
    routes = ["objects/", "manifest/", f"objects/{stix_uuid('indicator', 0)}/"]
    for route in routes:
        for value in OUT_OF_RANGE:
            response = taxii.get(base + route, params={"next": _cursor(value)})
            assert response.status_code == 400, (route, value, response.text)
            assert response.headers["content-type"] == TAXII_MEDIA
            body = response.json()
            assert body["http_status"] == "400"
            assert body["description"] == "next: not a value this server issued"
    # A cursor the server issued still pages, on both listing routes.
    for route in ("objects/", "manifest/"):
        first = taxii.get(base + route, params={"limit": "2"})
        assert first.status_code == 200, first.text
        assert first.json()["more"] is True
        rest = taxii.get(base + route, params={"limit": "2", "next": first.json()["next"]})
        assert rest.status_code == 200, rest.text
        assert len(rest.json()["objects"]) == 1
        assert rest.json()["more"] is False


def test_an_out_of_range_cursor_is_the_rest_apis_foreign_cursor_error(
    platform: Platform,
) -> None:
    collection_id, _taxii, rest = _setup(platform)
    url = f"/api/v1/sharing/collections/{collection_id}/objects"
    foreign = rest.get(url, params={"cursor": "zz"})
    assert foreign.status_code == 422
    for value in OUT_OF_RANGE:
        response = rest.get(url, params={"cursor": _cursor(value)})
        assert response.status_code == 422, (value, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == foreign.json()["detail"]
    first = rest.get(url, params={"limit": 2})
    assert first.status_code == 200
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    following = rest.get(url, params={"cursor": cursor})
    assert following.status_code == 200, following.text
    assert len(following.json()["items"]) == 1
    assert following.json()["next_cursor"] is None
