"""Matching a request without asking routers that cannot serve it.

FastAPI (since 0.137) keeps each included router as one node and asks, for every request,
every route of every router before the right one in turn, with ~4 us of bookkeeping per
route tried: ``/osv/v1/query``, behind ~270 routes, took ~1 ms to be matched and
``/healthz`` ~0.5 ms (``python -m bench.routing`` times both). A route's pattern is
anchored at the start of the path and begins with its path's literal part, up to the first
parameter: a path that starts with none of a router's literal parts matches none of its
routes, not even in part (a 405). :func:`gate_routers` puts that test, one
``str.startswith`` over a tuple, in front of each router; everything else about matching,
redirecting a missing slash included, is FastAPI's.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, _IncludedRouter
from starlette._utils import get_route_path
from starlette.routing import Match, Route
from starlette.types import Scope


@dataclass
class GatedRouter(_IncludedRouter):
    """An included router that answers "no match" at once for a path outside its routes'
    literal prefixes (``literals``)."""

    literals: tuple[str, ...] = ()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not get_route_path(scope).startswith(self.literals):
            return Match.NONE, {}
        return super().matches(scope)


def literal_prefixes(included: _IncludedRouter) -> tuple[str, ...] | None:
    """The literal start of each of the router's paths, or None when a route of it is
    not a plain path route (a mount, a nested router, a host): it is then not gated."""
    original = included.original_router
    if original._low_priority_routes:  # FastAPI's frontend routes: matched elsewhere
        return None
    found: set[str] = set()
    for route in original.routes:
        if not isinstance(route, APIRoute | Route):
            return None
        found.add((included.include_context.prefix + route.path).split("{", 1)[0])
    return tuple(sorted(found))


def gate_routers(app: FastAPI) -> int:
    """Gate every router included in ``app`` so far; the number gated."""
    gated = 0
    routes = app.router.routes
    for i, route in enumerate(routes):
        if type(route) is not _IncludedRouter:
            continue
        literals = literal_prefixes(route)
        if literals is None:
            continue
        routes[i] = GatedRouter(
            original_router=route.original_router,
            include_context=route.include_context,
            literals=literals,
        )
        gated += 1
    return gated
