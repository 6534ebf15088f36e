"""``api/deps.py: _direct``: an ``async`` route that takes only the request and text path
parameters is called as it is (FastAPI's handler skipped); every other route keeps
FastAPI's handler, which checks what it declares. Either way, the same answers."""

from __future__ import annotations

import asyncio
from typing import Annotated

import httpx
from fastapi import FastAPI, Header, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from clearinghouse.api import deps
from clearinghouse.sharing import taxii


def _app() -> tuple[FastAPI, dict[str, APIRoute]]:
    router = deps.admitted_router()

    @router.get("/plain/{name}/")
    async def plain(name: str, request: Request) -> Response:
        return Response(f"{name} {request.url.path}")

    @router.get("/number/{n}/")
    async def number(n: int, request: Request) -> Response:
        return Response(str(n + 1))

    @router.get("/query/{name}/")
    async def query(name: str, request: Request, q: Annotated[int, Query()] = 0) -> Response:
        return Response(f"{name} {q}")

    @router.get("/header/")
    async def header(request: Request, x_n: Annotated[int, Header()]) -> Response:
        return Response(str(x_n))

    @router.get("/sync/{name}/")
    def sync(name: str, request: Request) -> Response:
        return Response(name)

    app = FastAPI()
    app.state.admission = deps.Admission(4)
    app.include_router(router)
    routes = {r.path: r for r in router.routes if isinstance(r, APIRoute)}
    return app, routes


def test_only_routes_declaring_nothing_to_check_are_called_directly() -> None:
    _, routes = _app()
    direct = {path for path, route in routes.items() if deps._direct(route) is not None}
    assert direct == {"/plain/{name}/"}


def test_both_kinds_answer_as_declared() -> None:
    app, _ = _app()

    async def answers() -> list[tuple[int, str]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            paths = ["/plain/abc/", "/number/41/", "/number/x/", "/query/a/?q=3"]
            paths += ["/query/a/?q=x", "/header/", "/sync/a/"]
            return [((r := await client.get(p)).status_code, r.text) for p in paths]

    got = asyncio.run(answers())
    assert got[0] == (200, "abc /plain/abc/")
    assert got[1] == (200, "42")
    assert [status for status, _ in got[2:]] == [422, 200, 422, 422, 200]
    assert got[3][1] == "a 3"


def test_the_taxii_reads_are_direct_and_the_post_is_not() -> None:
    routes = [r for r in taxii.router.routes if isinstance(r, APIRoute)]
    for route in routes:
        expected = route.methods != {"POST"}
        assert (deps._direct(route) is not None) is expected, route.path
        assert asyncio.iscoroutinefunction(route.endpoint)
