"""``create_app(settings)``: the only place where the platform is wired together."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from clearinghouse import __version__
from clearinghouse.accounts import api as accounts_api
from clearinghouse.accounts import service as accounts_service
from clearinghouse.api import problems, system
from clearinghouse.api.middleware import BodyLimitMiddleware, RequestContextMiddleware, configure_logging
from clearinghouse.audit import api as audit_api
from clearinghouse.db import Database
from clearinghouse.runtime import Runtime
from clearinghouse.settings import Settings
from clearinghouse.timeutil import Clock, SystemClock

# Background workers started with the app: each takes the runtime and a stop event and
# returns the thread it started (the jobs worker registers itself here).
BackgroundStarter = Callable[[Runtime, threading.Event], threading.Thread]


def build_runtime(settings: Settings, *, clock: Clock | None = None, database: Database | None = None) -> Runtime:
    return Runtime(
        settings=settings,
        database=database or Database(settings.database_url),
        clock=clock or SystemClock(),
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    background: list[BackgroundStarter] | None = None,
) -> FastAPI:
    configure_logging(settings.log_level, settings.log_json)
    accounts_service.configure_password_hashing(settings.argon2_time_cost, settings.argon2_memory_kib)
    rt = build_runtime(settings, clock=clock, database=database)
    starters = list(background or [])

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        threads = [start(rt, stop) for start in starters]
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)

    app = FastAPI(
        title=settings.platform_name,
        version=__version__,
        summary="Coordinated vulnerability disclosure, regulatory clocks and threat-information sharing",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    problems.install(app)
    app.include_router(system.router)
    app.include_router(accounts_api.router)
    app.include_router(audit_api.router)
    system.mount_static(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app
