"""Overload: when every database connection of a process stays taken for the whole wait,
a request answers 503 `busy` with Retry-After (it changed nothing), not a 500; once
connections free up, the same request succeeds. (Found by ``bench/load.py``: at an
offered rate the machine could not keep up with, the pool's timeout surfaced as 500s.)
More requests at once than the process has connections all wait their turn and are
answered; one that waits too long answers 503 `busy` in the error format of its path."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import func, select
from sqlalchemy.pool import QueuePool

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import Membership, User
from clearinghouse.api.deps import Admission, AdmittedRoute, require_admission
from clearinghouse.app import create_app
from clearinghouse.cases.models import Report
from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM, Scope
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.cases import LOG4SHELL_REPORT
from tests.support.factory import World, seed
from tests.support.server import serve

T0 = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)


def test_an_exhausted_pool_answers_busy_then_recovers(database: Database) -> None:
    clock = FixedClock(T0)
    seed(database, clock)
    pool = database.engine.pool
    assert isinstance(pool, QueuePool)
    pool._timeout = 0.5  # the wait, shortened from 30 s for the test
    app = create_app(make_settings(database.url), clock=clock, database=database)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as anon:
        with ExitStack() as held:
            for _ in range(pool.size() + pool._max_overflow):
                held.enter_context(database.engine.connect())
            busy = anon.post("/api/v1/reports", json=LOG4SHELL_REPORT)
            assert busy.status_code == 503, busy.text
            assert busy.headers["content-type"] == "application/problem+json"
            assert busy.json()["code"] == "busy"
            assert busy.headers["retry-after"] == "5"
        again = anon.post("/api/v1/reports", json=LOG4SHELL_REPORT)
        assert again.status_code == 201, again.text
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM reports").scalar_one() == 1


def _member_token(database: Database, world: World) -> str:
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == world.member_admin)).one()
        org_id = s.scalars(select(Membership.organisation_id).where(Membership.user_id == user.id))
        return accounts.create_token(
            s,
            actor=SYSTEM,
            user=user,
            org_id=org_id.one(),
            name="overload",
            scopes={Scope.READ},
            now=T0,
            expires_at=None,
        ).secret


async def _at_once(url: str, token: str, n: int) -> list[int]:
    """``n`` requests sent together, each authenticated: resolving its token takes the
    request's connection before the route runs in a thread of its own."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        answers = await asyncio.gather(
            *(client.get("/api/v1/reports", headers=auth) for _ in range(n))
        )
    return [a.status_code for a in answers]


def test_more_requests_at_once_than_connections_are_all_answered(database: Database) -> None:
    """150 requests at once on one process with 30 connections and 40 threads. Before
    requests waited for their turn in the event loop (``Admission``), the threads could
    all wait for a connection while the requests holding the connections waited for a
    thread, until the pool's timeout: 503s, and 30 s stalls in ``bench/load.py``."""
    pool = database.engine.pool
    assert isinstance(pool, QueuePool)
    pool._timeout = 3  # the wait, shortened from 30 s: a stall shows as 503 busy
    clock = FixedClock(T0)
    token = _member_token(database, seed(database, clock))
    app = create_app(make_settings(database.url), clock=clock, database=database)
    with serve(app) as url:
        started = time.monotonic()
        statuses = asyncio.run(_at_once(url, token, 150))
        took = time.monotonic() - started
    assert Counter(statuses) == {200: 150}
    assert took < 15


def test_a_request_that_waits_too_long_for_its_turn_answers_busy(database: Database) -> None:
    """The queue before the transaction is bounded in time: 503 busy with Retry-After,
    nothing applied, in the error format of the path (a problem; a TAXII error)."""
    app = create_app(make_settings(database.url), database=database)
    app.state.admission = Admission(0, wait_seconds=0.2)  # no place ever frees up
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as anon:
        report = anon.post("/api/v1/reports", json=LOG4SHELL_REPORT)
        taxii = anon.get("/taxii2/", headers={"Accept": "application/taxii+json;version=2.1"})
    assert report.status_code == 503
    assert report.headers["content-type"] == "application/problem+json"
    assert report.json()["code"] == "busy"
    assert report.headers["retry-after"] == "5"
    assert taxii.status_code == 503
    assert taxii.headers["content-type"].startswith("application/taxii+json")
    assert taxii.json()["http_status"] == "503"
    assert taxii.headers["retry-after"] == "5"
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 0


def test_every_route_waits_its_turn_and_an_app_with_one_that_would_not_is_refused(
    database: Database,
) -> None:
    """Admission is a property of each route (``AdmittedRoute``), so the platform checks
    that every route of the app it builds has it, and a router made without it stops the
    start rather than serving around the queue."""
    app = create_app(make_settings(database.url), database=database)
    assert require_admission(app) > 250  # the platform's routes, each checked
    bare = APIRouter()

    @bare.get("/bare")
    def _bare() -> dict[str, str]:
        return {}

    other = FastAPI()
    other.include_router(bare)
    with pytest.raises(RuntimeError, match="/bare does not wait for admission"):
        require_admission(other)
    admitted = APIRouter(route_class=AdmittedRoute)
    admitted.add_api_route("/fine", _bare)
    fine = FastAPI()
    fine.include_router(admitted)
    assert require_admission(fine) == 1
