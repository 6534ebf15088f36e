"""Hostile input on every ``/api/v1`` route, found from the application itself rather than
listed by hand: every instant it reads (query or body) refuses a naive date-time, an
epoch number and an instant outside 1970 up to year 9999 with 422, and every list route
refuses a cursor it did not issue with 422, each as a problem document on a connection
that stays usable (issue #9, items 2, 6, 9).

The routes and their instants come from the OpenAPI document; the world, the bodies and
the path bindings are the route table's (:mod:`tests.functional.test_route_table`)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from clearinghouse.api.instants import INSTANT_PATTERN
from clearinghouse.app import create_app
from clearinghouse.settings import Environment, Settings
from tests.functional.test_route_table import BODIES, CASE_REPORT, Platform, _url, running_platform
from tests.support.everyone import Who

PROBLEM = "application/problem+json"


def _openapi() -> dict[str, Any]:
    settings = Settings(
        environment=Environment.TEST, database_url="sqlite://", worker_in_process=False
    )
    document: dict[str, Any] = create_app(settings).openapi()
    return document


OPENAPI = _openapi()
SCHEMAS: dict[str, Any] = OPENAPI["components"]["schemas"]


def _date_times(schema: Any, where: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every date-time in a schema, with the property path that leads to it."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        yield from _date_times(SCHEMAS[schema["$ref"].rsplit("/", 1)[1]], where)
        return
    if schema.get("format") == "date-time":
        yield where, schema
    for name, sub in schema.get("properties", {}).items():
        yield from _date_times(sub, (*where, name))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _date_times(sub, where)
    for key in ("items", "additionalProperties"):
        yield from _date_times(schema.get(key), where)


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/v1/"):
                yield method.upper(), path, operation


# (method, path, "query" or "body", field name, the schema found there)
INSTANT_INPUTS = [
    (method, path, "query", parameter["name"], schema)
    for method, path, operation in _operations()
    for parameter in operation.get("parameters", [])
    if parameter["in"] == "query"
    for _, schema in _date_times(parameter["schema"], ())
] + [
    (method, path, "body", ".".join(where), schema)
    for method, path, operation in _operations()
    for content in operation.get("requestBody", {}).get("content", {}).values()
    for where, schema in _date_times(content.get("schema"), ())
]
LIST_ROUTES = sorted(
    path
    for method, path, operation in _operations()
    if method == "GET" and any(p["name"] == "cursor" for p in operation.get("parameters", []))
)


def _name(item: tuple[str, str, str, str, Any]) -> str:
    return f"{item[0]} {item[1]} {item[2]}:{item[3]}"


def test_every_instant_a_route_reads_is_an_rfc3339_instant() -> None:
    """A ``datetime`` field or parameter (which pydantic fills from naive strings and epoch
    numbers) shows in the OpenAPI document without the Instant type's pattern."""
    assert len(INSTANT_INPUTS) >= 10  # at least those known when this test was written
    found = {(m, p, where, field) for m, p, where, field, _ in INSTANT_INPUTS}
    assert ("GET", "/api/v1/obligations", "query", "at") in found
    assert ("POST", "/api/v1/cases/{ref}/events", "body", "occurred_at") in found
    not_instants = [_name(i) for i in INSTANT_INPUTS if i[4].get("pattern") != INSTANT_PATTERN]
    assert not_instants == []


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("input-contract")) as running:
        yield running


def _problem_422(response: httpx.Response, field: str, code: str = "invalid-input") -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == code
    assert body["field"] == field, body


NOT_INSTANTS = [
    "2021-11-25T03:00:00",
    "1700000000",
    1700000000,
    "2021-11-25",
    # no UTC instant at all (OverflowError: a 500), and outside 1970 up to year 9999
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "1969-12-31T23:59:59Z",
    "9999-12-31T23:59:59Z",
]


@pytest.mark.parametrize("item", INSTANT_INPUTS, ids=[_name(i) for i in INSTANT_INPUTS])
def test_every_instant_refuses_naive_epoch_and_out_of_range_values(
    platform: Platform, item: tuple[str, str, str, str, Any]
) -> None:
    """Item 2: ``at=2021-11-25T03:00:00`` on /obligations raised NaiveDatetimeError (500,
    and the keep-alive connection was reset); item 9: ``occurred_at: 1700000000`` was
    read as epoch seconds; ``0001-01-01T00:00:00+01:00`` raised OverflowError (500). Each
    is a 422 naming the field, and the connection lives on."""
    method, path, where, field, _ = item
    ids = platform.world.ids
    url = _url(path, ids, "incident" if path.startswith("/api/v1/incidents/{ref}") else "")
    client = platform.clients[Who.OP_ADMIN]
    for value in NOT_INSTANTS:
        if where == "query":
            if not isinstance(value, str):
                continue
            response = client.request(method, url, params={field: value})
        else:
            body_of = BODIES.get(f"{method} {path}")
            body = body_of(ids) if body_of is not None else {}
            response = client.request(method, url, json={**body, field: value})
        _problem_422(response, field)
        assert client.get("/api/v1/me").status_code == 200  # the same connection, still fine


def test_the_reported_naive_at_on_obligations_is_a_422(platform: Platform) -> None:
    client = platform.clients[Who.OP_ADMIN]
    naive = client.get(
        "/api/v1/obligations", params={"organisation": "member", "at": "2021-11-25T03:00:00"}
    )
    _problem_422(naive, "at")
    aware = client.get(
        "/api/v1/obligations", params={"organisation": "member", "at": "2021-11-25T03:00:00Z"}
    )
    assert aware.status_code == 200, aware.text


# ---- cursors -------------------------------------------------------------------------------


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


FORGED = [
    "W1siYSJdXQ",  # the issue's example: [["a"]], once an int() TypeError in audit/api.py
    "not a cursor",
    "%%%",
    _b64([1]),
    _b64(["2026-10-01T10:00:00.000000Z", "00000000-0000-0000-0000-000000000007"]),
    _b64({"a": 1}),
    _b64("x") + ".AAAA",
    "x" * 600,
]


def test_list_routes_are_found() -> None:
    assert "/api/v1/audit" in LIST_ROUTES
    assert "/api/v1/cases" in LIST_ROUTES
    assert len(LIST_ROUTES) >= 10


def _list_url(platform: Platform, path: str) -> str:
    binding = "incident" if path.startswith("/api/v1/incidents/{ref}") else ""
    return _url(path, platform.world.ids, binding)


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_a_cursor_the_server_did_not_issue_is_refused(platform: Platform, path: str) -> None:
    """Item 6: cursors were base64 JSON, so a forged one of the right shape was read as
    the server's own, and a malformed one reached ``int()`` (500). Each is now refused
    with 422, and so is a cursor the server issued for another list."""
    client = platform.clients[Who.OP_ADMIN]
    url = _list_url(platform, path)
    assert client.get(url).status_code == 200
    other = _issued_cursor(platform, "/api/v1/audit" if path != "/api/v1/audit" else "/api/v1/jobs")
    for cursor in [*FORGED, other]:
        _problem_422(client.get(url, params={"cursor": cursor}), "cursor")
        assert client.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_a_cursor_the_server_issued_pages_on(platform: Platform, path: str) -> None:
    client = platform.clients[Who.OP_ADMIN]
    url = _list_url(platform, path)
    first = client.get(url, params={"limit": 1})
    assert first.status_code == 200, first.text
    cursor = first.json().get("next_cursor")
    if cursor is None:
        assert len(first.json()["items"]) <= 1
        return
    second = client.get(url, params={"limit": 1, "cursor": cursor})
    assert second.status_code == 200, second.text
    assert second.json()["items"] != first.json()["items"]


def _issued_cursor(platform: Platform, path: str) -> str:
    response = platform.clients[Who.OP_ADMIN].get(path, params={"limit": 1})
    cursor = response.json()["next_cursor"]
    assert isinstance(cursor, str), f"{path} has one item only"
    return cursor


def test_a_cursor_is_bound_to_its_list(platform: Platform) -> None:
    """A signed cursor of one case's timeline does not page another list of the same
    shape (the binding includes the path)."""
    audit = _issued_cursor(platform, "/api/v1/audit")
    client = platform.clients[Who.OP_ADMIN]
    assert client.get("/api/v1/audit", params={"limit": 1, "cursor": audit}).status_code == 200
    _problem_422(client.get("/api/v1/jobs", params={"cursor": audit}), "cursor")


# ---- e-mail addresses ----------------------------------------------------------------------

UNSAFE_ADDRESSES = [
    "psirt\x00@vendor.example",
    "ps\u202eirt@vendor.example",
    "ps\u200birt@vendor.example",
    "psirt@vendor\u200d.example",
]
ADDRESS_INPUTS = [
    ("POST", "/api/v1/organisations/{slug}/users", "email", {"name": "New", "role": "viewer"}),
    (
        "POST",
        "/api/v1/organisations",
        "contact_email",
        {"slug": "new-org", "name": "New", "kind": "member"},
    ),
    ("PATCH", "/api/v1/organisations/{slug}", "contact_email", {}),
    ("POST", "/api/v1/cases/{ref}/participants", "email", {"role": "vendor"}),
    ("POST", "/api/v1/reports", "contact_email", dict(CASE_REPORT)),
]


@pytest.mark.parametrize(
    ("method", "path", "field", "body"),
    ADDRESS_INPUTS,
    ids=[f"{m} {p}" for m, p, *_ in ADDRESS_INPUTS],
)
def test_an_unsafe_e_mail_address_is_refused_and_nothing_stored(
    platform: Platform, method: str, path: str, field: str, body: dict[str, Any]
) -> None:
    """Item 9: NUL, a bidirectional override or a zero-width character in an address was
    accepted and stored (an address that reads as another one, in a page or a log)."""
    url = _url(path, platform.world.ids, "")
    client = platform.clients[Who.OP_ADMIN]
    with platform.database_for(method):
        for address in UNSAFE_ADDRESSES:
            refused = client.request(method, url, json={**body, field: address})
            _problem_422(refused, field, "invalid-report" if "reports" in path else "invalid-input")
        accepted = client.request(method, url, json={**body, field: "psirt@vendor.example"})
        assert accepted.status_code in (200, 201), accepted.text
