"""Matching a request without asking routers that cannot serve it.

FastAPI (since 0.137) keeps each included router as one node and asks, for every request,
every route of every router before the right one in turn, with ~4 us of bookkeeping per
route tried: ``/osv/v1/query``, behind ~280 routes, took ~0.9 ms to be matched and
``/healthz`` ~0.4 ms (``python -m bench.routing`` times both). A route's pattern is
anchored at the start of the path and begins with its path's literal part, up to the first
parameter: a path that starts with none of a router's literal parts matches none of its
routes, not even in part (a 405). :func:`gate_routers` puts that test, one
``str.startswith`` over a tuple, in front of each router; everything else about matching,
redirecting a missing slash included, is FastAPI's. (A router with a route at ``/`` passes
every path, so it is still asked every time: the pages' first router, three routes.)

A gate is a snapshot of its router's routes: a route added to the router afterwards makes
the gate step aside (FastAPI counts the changes) rather than hide the new route.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.routing import APIRoute, _IncludedRouter
from starlette._utils import get_route_path
from starlette.routing import Match, Route
from starlette.types import Scope

# Route classes whose ``matches`` is the anchored pattern the gate relies on; a subclass
# with rules of its own (``route_class=``) leaves its router ungated.
_PATTERN_MATCHING = frozenset({APIRoute.matches, Route.matches})


@dataclass
class GatedRouter(_IncludedRouter):
    """An included router that answers "no match" at once for a path outside its routes'
    literal prefixes (``literals``), as long as its routes are those they were taken
    from (``routes_version``)."""

    literals: tuple[str, ...] = field(kw_only=True)
    routes_version: int = field(kw_only=True)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] == "http"
            and not get_route_path(scope).startswith(self.literals)
            and self.original_router._get_routes_version() == self.routes_version
        ):
            return Match.NONE, {}
        return super().matches(scope)


def literal_prefixes(included: _IncludedRouter) -> tuple[str, ...] | None:
    """The literal start of each of the router's paths, or None when it holds anything
    but plain path routes matched by their pattern (a mount, a nested router, a websocket
    route, a route class with its own matching, FastAPI's low-priority routes): such a
    router is left as FastAPI built it, to be safe."""
    original = included.original_router
    if original._low_priority_routes:
        return None
    found: set[str] = set()
    for route in original.routes:
        if not isinstance(route, Route) or type(route).matches not in _PATTERN_MATCHING:
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
            routes_version=route.original_router._get_routes_version(),
        )
        gated += 1
    return gated
