"""``create_app(settings)``: the only place where the platform is wired together."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from clearinghouse import __version__, web
from clearinghouse.accounts import api as accounts_api
from clearinghouse.accounts import service as accounts_service
from clearinghouse.accounts.authn import Authenticator
from clearinghouse.advisories import api as advisories_api
from clearinghouse.advisories import feeds as advisories_feeds
from clearinghouse.advisories import publish as advisories_publish
from clearinghouse.api import deps, problems, system
from clearinghouse.api import openapi as api_openapi
from clearinghouse.api import routing as api_routing
from clearinghouse.api.middleware import (
    AnsweredErrors,
    BodyLimitMiddleware,
    RequestContextMiddleware,
    configure_logging,
)
from clearinghouse.audit import api as audit_api
from clearinghouse.cases import api_cases as cases_api_cases
from clearinghouse.cases import api_collab as cases_api_collab
from clearinghouse.cases import api_reports as cases_api_reports
from clearinghouse.cases import jobs as cases_jobs
from clearinghouse.cases import notices as cases_notices
from clearinghouse.cases import tokens as case_tokens
from clearinghouse.db import Database
from clearinghouse.exposure import api as exposure_api
from clearinghouse.exposure import jobs as exposure_jobs
from clearinghouse.incidents import api as incidents_api
from clearinghouse.jobs import api as jobs_api
from clearinghouse.jobs.registry import JobRegistry
from clearinghouse.jobs.worker import Worker
from clearinghouse.notify import api as notify_api
from clearinghouse.notify import handlers as notify_handlers
from clearinghouse.notify.mail import mailer_from_settings
from clearinghouse.runtime import Runtime
from clearinghouse.services import Services
from clearinghouse.settings import Settings
from clearinghouse.sharing import advisories as sharing_advisories
from clearinghouse.sharing import api as sharing_api
from clearinghouse.sharing import manage_api as sharing_manage_api
from clearinghouse.sharing import misp, osv_api, taxii
from clearinghouse.sharing import sync as sharing_sync
from clearinghouse.standing import api as standing_api
from clearinghouse.standing import jobs as standing_jobs
from clearinghouse.timeutil import Clock, SystemClock

# Background workers started with the app: each takes the runtime and a stop event and
# returns the thread it started (the jobs worker registers itself here).
BackgroundStarter = Callable[[Runtime, threading.Event], threading.Thread]


def build_services(settings: Settings) -> Services:
    """The outside world as the settings configure it (SMTP, webhook HTTP client, secrets)."""
    return Services.from_settings(settings, mailer=mailer_from_settings(settings))


def build_authenticator(settings: Settings) -> Authenticator:
    """Accounts' own schemes, plus the credentials the cases domain issues."""
    return Authenticator(
        settings,
        schemes={"invite": case_tokens.InvitationResolver(settings.secret_key.get_secret_value())},
        report_token=case_tokens.report_principal,
    )


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    services: Services | None = None,
) -> Runtime:
    return Runtime(
        settings=settings,
        database=database or Database(settings.database_url),
        clock=clock or SystemClock(),
        services=services or build_services(settings),
        authenticate=build_authenticator(settings),
    )


def build_registry(settings: Settings, services: Services | None = None) -> JobRegistry:
    """Every job kind and schedule the platform runs (the app's worker and `worker`)."""
    registry = JobRegistry(services or build_services(settings))
    notify_handlers.register(registry, cases_notices.PARTS)
    standing_jobs.register(registry, settings)
    cases_jobs.register(registry)
    advisories_publish.register(registry)
    sharing_advisories.register(registry)
    sharing_sync.register(registry)
    exposure_jobs.register(registry)
    return registry


def start_worker(rt: Runtime, stop: threading.Event) -> threading.Thread:
    """The in-process job worker (``serve`` starts it unless worker_in_process is off)."""
    registry = build_registry(rt.settings, rt.services)
    worker = Worker(
        rt.database, registry, rt.clock, rt.settings, f"serve-{socket.gethostname()}-{os.getpid()}"
    )
    thread = threading.Thread(
        target=worker.run_forever, args=(stop,), name="job-worker", daemon=True
    )
    thread.start()
    return thread


def default_background(settings: Settings) -> list[BackgroundStarter]:
    return [start_worker] if settings.worker_in_process else []


class _Application(FastAPI):
    """FastAPI, with :class:`AnsweredErrors` around its whole stack."""

    def build_middleware_stack(self) -> ASGIApp:
        return AnsweredErrors(super().build_middleware_stack())


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    background: list[BackgroundStarter] | None = None,
) -> FastAPI:
    configure_logging(settings.log_level, settings.log_json)
    accounts_service.configure_password_hashing(
        settings.argon2_time_cost, settings.argon2_memory_kib
    )
    rt = build_runtime(settings, clock=clock, database=database)
    rt.withheld_payload = build_registry(settings, rt.services).withheld()
    advisories_feeds.signing_key(rt)  # a bad CSAF signing key stops the start, not a request
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

    app = _Application(
        title=settings.platform_name,
        version=__version__,
        summary=(
            "Coordinated vulnerability disclosure, regulatory clocks and threat-information sharing"
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    app.state.admission = deps.Admission(settings.max_concurrent_requests)
    # First: routers are asked in order (each gated, see gate_routers below), and TAXII
    # clients page through collections a request per 1,000 objects.
    app.include_router(taxii.router)
    page_errors = web.install(app, settings)
    problems.install(app, pages=page_errors, edges=[(taxii.PREFIX, taxii.taxii_error)])
    api_openapi.install(app)
    app.include_router(system.router)
    app.include_router(accounts_api.router)
    app.include_router(audit_api.router)
    app.include_router(standing_api.router)
    app.include_router(jobs_api.router)
    app.include_router(notify_api.router)
    app.include_router(cases_api_reports.router)
    app.include_router(cases_api_cases.router)
    app.include_router(cases_api_collab.router)
    app.include_router(incidents_api.router)
    app.include_router(advisories_api.router)
    app.include_router(advisories_feeds.router)
    app.include_router(osv_api.router)
    app.include_router(sharing_api.router)
    app.include_router(sharing_manage_api.router)
    app.include_router(misp.router)
    app.include_router(exposure_api.router)
    system.mount_static(app)
    api_routing.gate_routers(app)
    deps.require_admission(app)
    app.add_middleware(web.PageCompression)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestContextMiddleware, hsts=settings.base_url.startswith("https://"))
    return app
