"""Request dependencies: the runtime, the transaction, and who is asking.

The request owns the transaction: :func:`context` opens it, the route and the helpers it
calls flush, and it commits after the route returns (before the response is sent) or
rolls back on any error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from clearinghouse.db import DatabaseBusy
from clearinghouse.errors import Unauthenticated
from clearinghouse.principal import Credentials, Principal
from clearinghouse.runtime import Runtime
from clearinghouse.settings import Settings

SESSION_COOKIE = "ch_session"
CSRF_HEADER = "x-csrf-token"
REPORT_TOKEN_HEADER = "x-report-token"  # noqa: S105 (a header name)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


ADMISSION_WAIT_SECONDS = 10.0


class Admission:
    """How many requests one process works on at once (``max_concurrent_requests``).

    Every request holds a database connection from its transaction's start to its commit,
    and needs a thread of the shared pool for each piece of blocking work in between. When
    more requests were in flight than the process has connections, the threads could all
    end up waiting for a connection while the requests holding the connections waited for a
    thread: nothing moved until the pool's 30 s timeout (``docs/benchmarks.md``, "Open-loop
    load"). Waiting here, in the event loop, holds neither, so the requests admitted always
    find a connection and a thread."""

    def __init__(self, limit: int, wait_seconds: float = ADMISSION_WAIT_SECONDS) -> None:
        self.limit = limit
        self.wait_seconds = wait_seconds
        self._slots = asyncio.Semaphore(limit)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the ``limit`` places; :class:`DatabaseBusy` (503 busy) after
        ``wait_seconds`` in the queue."""
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise DatabaseBusy(
                f"{self.limit} requests were in progress for {self.wait_seconds:g} s"
            ) from None
        try:
            yield
        finally:
            self._slots.release()


class AdmittedRoute(APIRoute):
    """A route that waits for the request's turn (:class:`Admission`) before its work:
    the body is read, the parameters checked, the route run and its response built inside
    the turn; the response is sent after it. Every route of the platform is one (routers
    are made by :func:`admitted_router`; :func:`require_admission` refuses any other).

    Not an app-wide FastAPI dependency: one with ``yield`` took ~0.1-0.15 ms of FastAPI's
    machinery on every request (``GET /healthz`` in process: ~0.7 ms with it, ~0.56 ms
    without), about a fifth of a request that does nothing."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = _direct(self) or super().get_route_handler()

        async def admitted(request: Request) -> Response:
            admission: Admission = request.app.state.admission
            async with admission.slot():
                return await handle(request)

        return admitted


def _direct(route: APIRoute) -> Callable[[Request], Coroutine[Any, Any, Response]] | None:
    """The route's endpoint called as it is, for an ``async`` endpoint that takes only the
    request and text path parameters and returns a :class:`Response` (the TAXII routes):
    FastAPI's handler would solve its (empty) dependencies and check its parameters
    (text, as the path matched them) at ~0.05-0.1 ms a request, on every page a client
    walks. None for any other route: FastAPI's handler."""
    d = route.dependant
    others = (d.query_params, d.header_params, d.cookie_params, d.body_params, d.dependencies)
    if any(others) or d.request_param_name is None or not asyncio.iscoroutinefunction(d.call):
        return None
    if route.response_model is not None or route.status_code is not None:
        return None
    if any(p.field_info.annotation is not str for p in d.path_params):
        return None
    if d.websocket_param_name or d.response_param_name or d.background_tasks_param_name:
        return None
    endpoint, request_name = d.call, d.request_param_name
    if endpoint is None:
        return None

    async def handle(request: Request) -> Response:
        answer: Response = await endpoint(**request.path_params, **{request_name: request})
        return answer

    return handle


def admitted_router(**options: Any) -> APIRouter:
    """An :class:`APIRouter` whose routes are :class:`AdmittedRoute`."""
    return APIRouter(route_class=AdmittedRoute, **options)


def require_admission(app: FastAPI) -> int:
    """Refuse (``RuntimeError``) an app with a route that would not wait for its turn;
    the number of routes checked."""
    checked = 0
    pending: list[BaseRoute] = list(app.router.routes)
    while pending:
        route = pending.pop()
        included = getattr(route, "original_router", None)  # an included router (FastAPI)
        if included is not None:
            pending.extend(included.routes)
        elif isinstance(route, APIRoute):
            if not isinstance(route, AdmittedRoute):
                raise RuntimeError(
                    f"route {route.path} does not wait for admission (deps.admitted_router)"
                )
            checked += 1
    return checked


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


@dataclass
class Ctx:
    """Everything a route needs: the open transaction, the caller, the time."""

    session: Session
    principal: Principal
    runtime: Runtime
    request: Request
    # Run after the transaction commits and before the response leaves (each in its own
    # transaction, if it writes): what must be recorded about a read, not inside it.
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def now(self) -> datetime:
        return self.runtime.clock.now()

    @property
    def client(self) -> str:
        return self.request.client.host if self.request.client else "unknown"


def credentials(request: Request) -> Credentials:
    """What the request presented (the authenticator in the runtime resolves it)."""
    headers = request.headers
    return Credentials(
        authorization=headers.get("authorization"),
        report_token=headers.get(REPORT_TOKEN_HEADER),
        session_cookie=request.cookies.get(SESSION_COOKIE),
        csrf=headers.get(CSRF_HEADER),
        unsafe=request.method not in SAFE_METHODS,
        client=request.client.host if request.client else "unknown",
    )


def transaction(request: Request, presented: Credentials) -> Iterator[Ctx]:
    """Open the request's transaction, resolve who presented ``presented``, hand the
    context to the route, and commit after it returns (roll back on any error). The API
    reads credentials off headers (:func:`credentials`); pages add their own (a form's
    CSRF field, the short-lived cookies of ``clearinghouse.web``)."""
    rt = runtime(request)
    session = rt.database.session(write=request.method not in SAFE_METHODS)
    try:
        session.begin()
        try:
            principal = rt.authenticate(session, presented, rt.clock.now())
        except Unauthenticated:
            session.commit()  # keep the counted login failures
            raise
        ctx = Ctx(session=session, principal=principal, runtime=rt, request=request)
        yield ctx
        session.commit()
        for then in ctx.after_commit:
            then()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _context(request: Request) -> Iterator[Ctx]:
    yield from transaction(request, credentials(request))


T = TypeVar("T")
_transaction = contextmanager(transaction)


def _worked(
    request: Request,
    before: Callable[[Request], None] | None,
    work: Callable[..., T],
    args: tuple[object, ...],
) -> T:
    if before is not None:
        before(request)
    with _transaction(request, credentials(request)) as ctx:
        return work(ctx, *args)


async def in_transaction(
    request: Request,
    work: Callable[..., T],
    *args: object,
    before: Callable[[Request], None] | None = None,
) -> T:
    """``work(ctx, *args)`` in the request's transaction (as :data:`CtxDep` gives it:
    opened, authenticated, committed after ``work`` returns, rolled back on any error),
    with ``before(request)`` first, all in one trip to the thread pool. ``CtxDep`` takes
    a trip for each synchronous dependency and one for the route, ~0.1-0.2 ms each: the
    routes machines page through (TAXII) are ``async`` and use this instead."""
    return await run_in_threadpool(_worked, request, before, work, args)


context = Depends(_context, scope="function")
CtxDep = Annotated[Ctx, context]
