"""Gated routers (``clearinghouse.api.routing``): a router whose routes cannot match a path
is not asked, and every answer is the one FastAPI gives without the gate (200, 405, the
missing-slash redirect, 404, path parameters, a root path)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from clearinghouse.api.routing import GatedRouter, gate_routers, literal_prefixes
from tests.support.server import serve

ASKED: list[str] = []


class Recording(APIRoute):
    """A route that notes each time the router asks it whether it matches."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        ASKED.append(self.path)
        return super().matches(scope)


def _app(*, gated: bool) -> FastAPI:
    items = APIRouter(prefix="/items", route_class=Recording)

    @items.get("")
    def listed() -> dict[str, str]:
        return {"at": "items"}

    @items.get("/{item_id}")
    def one(item_id: int) -> dict[str, Any]:
        return {"at": "item", "id": item_id}

    things = APIRouter(route_class=Recording)

    @things.get("/things/{slug}/parts")
    def parts(slug: str) -> dict[str, str]:
        return {"at": "parts", "slug": slug}

    @things.post("/things")
    def add() -> dict[str, str]:
        return {"at": "added"}

    app = FastAPI()
    app.include_router(items)
    app.include_router(things)
    if gated:
        assert gate_routers(app) == 2
    return app


@pytest.fixture(scope="module", params=[False, True], ids=["fastapi", "gated"])
def base(request: pytest.FixtureRequest) -> Iterator[str]:
    with serve(_app(gated=request.param)) as url:
        yield url


CASES = [
    ("GET", "/items", 200, {"at": "items"}),
    ("GET", "/items/7", 200, {"at": "item", "id": 7}),
    ("GET", "/items/seven", 422, None),
    ("DELETE", "/items/7", 405, None),
    ("GET", "/things/bolt/parts", 200, {"at": "parts", "slug": "bolt"}),
    ("POST", "/things", 200, {"at": "added"}),
    ("GET", "/things", 405, None),
    ("GET", "/thingsx", 404, None),
    ("GET", "/nowhere", 404, None),
]


@pytest.mark.parametrize(("method", "path", "status", "body"), CASES)
def test_answers_are_fastapis(
    base: str, method: str, path: str, status: int, body: dict[str, Any] | None
) -> None:
    answer = httpx.request(method, base + path)
    assert answer.status_code == status
    if body is not None:
        assert answer.json() == body


def test_a_missing_or_extra_slash_is_still_redirected(base: str) -> None:
    answer = httpx.get(base + "/items/", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"].endswith("/items")
    assert httpx.get(base + "/things/bolt/parts/", follow_redirects=True).json()["slug"] == "bolt"


def test_a_router_is_not_asked_for_a_path_outside_its_routes() -> None:
    with serve(_app(gated=True)) as url:
        ASKED.clear()
        assert httpx.post(url + "/things").status_code == 200
        assert set(ASKED) == {"/things/{slug}/parts", "/things"}  # never /items's routes
        ASKED.clear()
        assert httpx.get(url + "/items/3").status_code == 200
        assert set(ASKED) == {"/items", "/items/{item_id}"}
    with serve(_app(gated=False)) as url:
        ASKED.clear()
        assert httpx.post(url + "/things").status_code == 200
        assert ASKED[:2] == ["/items", "/items/{item_id}"]  # FastAPI asks every route before


def test_under_a_root_path_the_answers_are_fastapis() -> None:
    answers = []
    for gated in (False, True):
        with serve(_app(gated=gated), root_path="/under") as url:
            paths = ("/under/items/2", "/items/2", "/under/things", "/under/nowhere")
            got = [httpx.get(url + path) for path in paths]
            answers.append([(answer.status_code, answer.text) for answer in got])
    assert answers[0] == answers[1]
    assert answers[1][1] == (200, '{"at":"item","id":2}')


def test_literal_prefixes_end_at_the_first_parameter() -> None:
    app = _app(gated=False)
    first, second = app.router.routes[-2:]
    assert literal_prefixes(first) == ("/items", "/items/")  # type: ignore[arg-type]
    assert literal_prefixes(second) == ("/things", "/things/")  # type: ignore[arg-type]


def test_a_router_holding_a_mount_is_left_as_fastapi_built_it() -> None:
    inner = APIRouter()
    inner.mount("/files", FastAPI())

    @inner.get("/listing")
    def listing() -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(inner)
    assert gate_routers(app) == 0
    assert not any(isinstance(r, GatedRouter) for r in app.router.routes)
