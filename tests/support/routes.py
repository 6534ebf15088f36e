"""Every route an application serves, and a probe that records what the policy was asked
while serving one request (over real HTTP: the probe wraps the ASGI app)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from clearinghouse.policy import Asked, recording

PROBE_HEADER = "x-test-probe"


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    """(METHOD, path) of every route; a mount appears once as ``GET <path>/{path}``."""
    found: set[tuple[str, str]] = set()
    for prefix, route in _walk(app.routes, ""):
        if isinstance(route, Mount):
            found.add(("GET", prefix + route.path + "/{path}"))
        elif isinstance(route, APIRoute | Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    found.add((method, prefix + route.path))
    return sorted(found, key=lambda r: (r[1], r[0]))


def match_order(app: FastAPI) -> list[str]:
    """Every route's path, in the order the router tries them for a request."""
    return [prefix + getattr(route, "path", "") for prefix, route in _walk(app.routes, "")]


def _walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for route in routes:
        original = getattr(route, "original_router", None)  # FastAPI's included routers
        if original is not None:
            yield from _walk(original.routes, prefix + route.include_context.prefix)
        else:
            yield prefix, route


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Probe:
    """ASGI middleware: a request carrying ``X-Test-Probe: <id>`` has every policy
    decision it caused kept under that id."""

    app: Callable[[Scope, Receive, Send], Awaitable[None]]
    asked: dict[str, list[Asked]] = field(default_factory=dict)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        probe = None
        if scope["type"] == "http":
            for name, value in scope.get("headers", []):
                if name.decode().lower() == PROBE_HEADER:
                    probe = value.decode()
        if probe is None:
            await self.app(scope, receive, send)
            return
        with recording() as asked:
            self.asked[probe] = asked
            await self.app(scope, receive, send)

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex
