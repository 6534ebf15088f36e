"""Request dependencies: the runtime, the transaction, and who is asking.

The request owns the transaction: :func:`context` opens it, the route and the helpers it
calls flush, and it commits after the route returns (before the response is sent) or
rolls back on any error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

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


async def admitted(request: Request) -> AsyncIterator[None]:
    """Wait for the request's turn (:class:`Admission`); the app's every route depends
    on it, before its transaction begins."""
    admission: Admission = request.app.state.admission
    async with admission.slot():
        yield


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
        yield Ctx(session=session, principal=principal, runtime=rt, request=request)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _context(request: Request) -> Iterator[Ctx]:
    yield from transaction(request, credentials(request))


context = Depends(_context, scope="function")
admission = Depends(admitted, scope="function")
CtxDep = Annotated[Ctx, context]
