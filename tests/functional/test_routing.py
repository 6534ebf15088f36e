"""Gated routers (``clearinghouse.api.routing``): a router whose routes cannot match a path
is not asked, and every answer is the one FastAPI gives without the gate (200, 405, the
slash redirects, 404, path parameters, a router's prefix, a root path), including for a
route added after the gate was set."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.routing import APIRoute, _IncludedRouter
from starlette.routing import Match
from starlette.types import Scope

from clearinghouse.api.routing import GatedRouter, gate_routers, literal_prefixes
from tests.support.server import serve

ASKED: list[str] = []


@dataclass
class _Asked(_IncludedRouter):
    """Notes each time the app's router asks this router (past any gate) for a match, by
    the router's first route."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        first = self.original_router.routes[0]
        ASKED.append(self.include_context.prefix + getattr(first, "path", "?"))
        return super().matches(scope)


@dataclass
class _AskedPastTheGate(GatedRouter, _Asked):
    pass


def _recording(app: FastAPI) -> FastAPI:
    for route in app.router.routes:
        if isinstance(route, GatedRouter):
            route.__class__ = _AskedPastTheGate
        elif isinstance(route, _IncludedRouter):
            route.__class__ = _Asked
    return app


def _routers() -> dict[str, APIRouter]:
    items = APIRouter(prefix="/items")

    @items.get("")
    def listed() -> dict[str, str]:
        return {"at": "items"}

    @items.get("/{item_id}")
    def one(item_id: int) -> dict[str, Any]:
        return {"at": "item", "id": item_id}

    things = APIRouter()

    @things.get("/things/{slug}/parts")
    def parts(slug: str) -> dict[str, str]:
        return {"at": "parts", "slug": slug}

    @things.post("/things")
    def add() -> dict[str, str]:
        return {"at": "added"}

    @things.get("/files/{rest:path}")
    def files(rest: str) -> dict[str, str]:
        return {"at": "files", "rest": rest}

    @things.get("/deep/slashed/")
    def slashed() -> dict[str, str]:
        return {"at": "slashed"}

    widgets = APIRouter()

    @widgets.get("/widgets/{widget_id}")
    def widget(widget_id: int) -> dict[str, Any]:
        return {"at": "widget", "id": widget_id}

    tail = APIRouter()

    @tail.get("/{slug}")
    def anything(slug: str) -> dict[str, str]:
        return {"at": "anything", "slug": slug}

    return {"items": items, "things": things, "widgets": widgets, "tail": tail}


def _app(*, gated: bool) -> tuple[FastAPI, dict[str, APIRouter]]:
    routers = _routers()
    app = FastAPI()
    app.include_router(routers["items"])
    app.include_router(routers["things"])
    app.include_router(routers["widgets"], prefix="/v1")  # the prefix is the include's
    app.include_router(routers["tail"])
    if gated:
        assert gate_routers(app) == 4
    return app, routers


@pytest.fixture(scope="module", params=[False, True], ids=["fastapi", "gated"])
def base(request: pytest.FixtureRequest) -> Iterator[str]:
    with serve(_app(gated=request.param)[0]) as url:
        yield url


CASES = [
    ("GET", "/items", 200, {"at": "items"}),
    ("GET", "/items/7", 200, {"at": "item", "id": 7}),
    ("GET", "/items/seven", 422, None),
    ("DELETE", "/items/7", 405, None),
    ("HEAD", "/items/7", 405, None),
    ("GET", "/things/bolt/parts", 200, {"at": "parts", "slug": "bolt"}),
    ("POST", "/things", 200, {"at": "added"}),
    ("GET", "/things", 200, {"at": "anything", "slug": "things"}),  # tail's /{slug}
    ("PUT", "/things/bolt/parts", 405, None),
    ("GET", "/files/a/b/c.txt", 200, {"at": "files", "rest": "a/b/c.txt"}),
    ("GET", "/v1/widgets/3", 200, {"at": "widget", "id": 3}),
    ("DELETE", "/v1/widgets/3", 405, None),
    ("GET", "/widgets/3", 404, None),  # the router's routes live under its prefix
    ("GET", "/nowhere", 200, {"at": "anything", "slug": "nowhere"}),
    ("GET", "/no/where", 404, None),
]


@pytest.mark.parametrize(("method", "path", "status", "body"), CASES)
def test_answers_are_fastapis(
    base: str, method: str, path: str, status: int, body: dict[str, Any] | None
) -> None:
    answer = httpx.request(method, base + path)
    assert answer.status_code == status
    if body is not None:
        assert answer.json() == body


def test_a_missing_or_an_extra_slash_is_redirected(base: str) -> None:
    extra = httpx.get(base + "/items/", follow_redirects=False)
    assert extra.status_code == 307
    assert extra.headers["location"].endswith("/items")
    missing = httpx.get(base + "/deep/slashed", follow_redirects=False)
    assert missing.status_code == 307
    assert missing.headers["location"].endswith("/deep/slashed/")
    assert httpx.get(base + "/things/bolt/parts/", follow_redirects=True).json()["slug"] == "bolt"


def test_a_router_is_not_asked_for_a_path_outside_its_routes() -> None:
    with serve(_recording(_app(gated=True)[0])) as url:
        ASKED.clear()
        assert httpx.get(url + "/v1/widgets/5").status_code == 200
        assert ASKED == ["/v1/widgets/{widget_id}"]  # not /items's, not /things's
        ASKED.clear()
        assert httpx.get(url + "/items/3").status_code == 200
        assert ASKED == ["/items"]  # the first router; it serves the path
        ASKED.clear()
        assert httpx.get(url + "/no/where").status_code == 404
        assert ASKED == ["/{slug}"] * 2  # and once more for the slash redirect's try
    with serve(_recording(_app(gated=False)[0])) as url:
        ASKED.clear()
        assert httpx.get(url + "/v1/widgets/5").status_code == 200
        assert ASKED[:2] == ["/items", "/things/{slug}/parts"]  # FastAPI asks each in turn


def test_a_route_added_after_the_gate_is_served() -> None:
    app, routers = _app(gated=True)

    @routers["things"].get("/late")
    def late() -> dict[str, str]:
        return {"at": "late"}

    with serve(app) as url:
        assert httpx.get(url + "/late").json() == {"at": "late"}  # not the tail's /{slug}
        assert httpx.get(url + "/items/4").json() == {"at": "item", "id": 4}


def test_under_a_root_path_the_answers_are_fastapis() -> None:
    # uvicorn puts the root path in front of the request's path: /items/2 reaches the app
    # as /under/items/2 (the route path /items/2), and /under/items/2 as /under/under/...
    answers = []
    for gated in (False, True):
        with serve(_app(gated=gated)[0], root_path="/under") as url:
            paths = ("/items/2", "/under/items/2", "/v1/widgets/1", "/no/where")
            got = [httpx.get(url + path) for path in paths]
            answers.append([(answer.status_code, answer.text) for answer in got])
    assert answers[0] == answers[1]
    assert answers[1][0] == (200, '{"at":"item","id":2}')
    assert answers[1][2] == (200, '{"at":"widget","id":1}')


def test_literal_prefixes_end_at_the_first_parameter() -> None:
    app, _routers = _app(gated=False)
    items, things, widgets, tail = app.router.routes[-4:]
    assert literal_prefixes(items) == ("/items", "/items/")  # type: ignore[arg-type]
    assert literal_prefixes(things) == (  # type: ignore[arg-type]
        "/deep/slashed/",
        "/files/",
        "/things",
        "/things/",
    )
    assert literal_prefixes(widgets) == ("/v1/widgets/",)  # type: ignore[arg-type]
    assert literal_prefixes(tail) == ("/",)  # type: ignore[arg-type]


def test_routers_the_gate_cannot_reason_about_are_left_as_fastapi_built_them() -> None:
    with_mount = APIRouter()
    with_mount.mount("/files", FastAPI())
    with_socket = APIRouter()

    @with_socket.websocket("/ws")
    async def socket(websocket: WebSocket) -> None:
        await websocket.close()

    class OwnRules(APIRoute):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            return super().matches(scope)

    own_rules = APIRouter(route_class=OwnRules)

    @own_rules.get("/rules")
    def rules() -> dict[str, str]:
        return {}

    app = FastAPI()
    for router in (with_mount, with_socket, own_rules):
        app.include_router(router)
    assert gate_routers(app) == 0
    assert not any(isinstance(r, GatedRouter) for r in app.router.routes)
