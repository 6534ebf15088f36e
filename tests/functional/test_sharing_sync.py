"""Sync: a collection pulls another TAXII 2.1 server's collection through the job.

Remotes are real servers: a second Clearinghouse (its own database, served by uvicorn,
small pages so that ``next`` is followed) and medallion, the OASIS reference server (its
memory backend, in its own process). The local platform's worker runs the jobs.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.taxii import medallion
from sqlalchemy import func, select
from taxii2client.v21 import Collection as TaxiiCollection

from clearinghouse.accounts.models import Organisation
from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.formats.model import Tlp
from clearinghouse.formats.stix import TLP_MARKING, taxii_time
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import service, store
from clearinghouse.sharing.models import SharedObject, SyncSource
from clearinghouse.sharing.sync import resume_point
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import Platform, make_settings
from tests.support.db import sqlite_copy
from tests.support.factory import seed
from tests.support.server import serve
from tests.support.stix_objects import CREATED, indicator

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Faults:
    """Wraps the remote's app: records every objects request's query, and answers 503
    once ``pages_left`` reaches zero (a remote going down in the middle of a run)."""

    app: Any
    pages_left: int | None = None
    queries: list[str] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/objects/"):
            self.queries.append(scope["query_string"].decode())
            if self.pages_left is not None:
                if self.pages_left <= 0:
                    await send({"type": "http.response.start", "status": 503, "headers": []})
                    await send({"type": "http.response.body", "body": b""})
                    return
                self.pages_left -= 1
        await self.app(scope, receive, send)


@dataclass
class Remote:
    url: str  # the collection's TAXII URL
    token: str
    database: Database
    clock: FixedClock
    collection_id: uuid.UUID
    faults: Faults

    def add(
        self, objects: list[dict[str, Any]], *, audience: store.Audience = store.Audience()
    ) -> None:
        """Objects added in one envelope (they share one date_added), then time moves on."""
        with self.database.transaction() as s:
            found = store.find_collection(s, str(self.collection_id))
            assert found is not None
            outcome = store.add_objects(
                s, found, SYSTEM, objects, now=self.clock.now(), audience=audience
            )
            assert outcome.failures == []
        self.clock.advance(timedelta(seconds=1))


@pytest.fixture
def remote(_sqlite_template: Path, tmp_path: Path) -> Iterator[Remote]:
    """A second Clearinghouse: 100 objects a page, a community collection, a member's token."""
    database = Database(sqlite_copy(_sqlite_template, tmp_path))
    clock = FixedClock(CREATED + timedelta(days=10))
    settings = make_settings(database.url, taxii_max_page_size=100)
    app = create_app(settings, clock=clock, database=database)
    world = seed(database, clock)
    with database.transaction() as s:
        collection = service.create_collection(
            s,
            service.CollectionSpec(alias="upstream", title="Upstream", community=True),
            actor=SYSTEM,
            now=clock.now(),
        )
        collection_id = collection.id
    faults = Faults(app)
    with serve(faults) as url:
        peer = Platform(url=url, database=database, clock=clock, settings=settings, world=world)
        token = peer.token(world.member_admin, ["taxii"])
        yield Remote(
            f"{url}/taxii2/root/collections/{collection_id}/",
            token,
            database,
            clock,
            collection_id,
            faults,
        )
        peer.close()
    database.dispose()


@pytest.fixture
def mirror(platform: Platform) -> str:
    with platform.database.transaction() as s:
        service.create_collection(
            s,
            service.CollectionSpec(alias="mirror", title="Mirror", community=True),
            actor=SYSTEM,
            now=platform.clock.now(),
        )
    return "mirror"


def _rows(platform: Platform) -> dict[str, list[tuple[str, Tlp]]]:
    with platform.database.transaction(write=False) as s:
        found = s.execute(
            select(SharedObject.stix_id, SharedObject.version, SharedObject.tlp)
        ).all()
    rows: dict[str, list[tuple[str, Tlp]]] = {}
    for stix_id, version, tlp in found:
        rows.setdefault(stix_id, []).append((taxii_time(version), tlp))
    return rows


def _source(platform: Platform) -> SyncSource:
    with platform.database.transaction(write=False) as s:
        source = s.scalars(select(SyncSource)).one()
        s.expunge(source)
        return source


def _sync_now(platform: Platform, operator: httpx.Client, alias: str) -> None:
    r = operator.post(f"/api/v1/sharing/collections/{alias}/sync/run")
    assert r.status_code == 202, r.text
    platform.run_jobs()


def test_a_collection_pulls_another_clearinghouse_following_next_keeping_markings(
    platform: Platform, remote: Remote, mirror: str
) -> None:
    with remote.database.transaction(write=False) as s:
        member = s.scalars(select(Organisation.id).where(Organisation.slug == "member")).one()
    for batch in range(3):  # 3 envelopes of 90: each shares one date_added
        remote.add([indicator(f"{batch}-{n}") for n in range(90)])
    amber = [indicator(f"amber-{n}", Tlp.AMBER) for n in range(5)]
    remote.add(amber, audience=store.Audience(org_ids=frozenset({member})))
    remote.add([indicator("red-0", Tlp.RED)])  # the member may not read it: never sent
    operator = platform.login(platform.world.operator_analyst)
    r = operator.put(
        f"/api/v1/sharing/collections/{mirror}/sync",
        json={"url": remote.url, "secret": remote.token, "interval_minutes": 15},
    )
    assert r.status_code == 200, r.text
    assert "secret" not in r.json()
    assert r.json()["has_credential"] is True
    _sync_now(platform, operator, mirror)

    rows = _rows(platform)
    assert len(rows) == 275
    assert all(len(versions) == 1 for versions in rows.values())
    assert {rows[o["id"]][0][1] for o in amber} == {Tlp.AMBER}  # the marking kept
    assert indicator("red-0", Tlp.RED)["id"] not in rows
    source = _source(platform)
    assert (source.objects_added, source.objects_refused, source.last_error) == (275, 0, None)
    assert len(remote.faults.queries) == 3  # 275 objects, 100 a page: next followed twice
    assert all("next=" in q for q in remote.faults.queries[1:])

    # Again: the newest instant's objects are asked for again; nothing is stored twice.
    remote.faults.queries.clear()
    _sync_now(platform, operator, mirror)
    assert len(_rows(platform)) == 275
    assert _source(platform).objects_added == 275
    (query,) = remote.faults.queries
    assert f"added_after={resume_point(source.cursor or '')}".replace(":", "%3A") in query


def test_a_run_cut_off_resumes_from_its_last_date_added(
    platform: Platform, remote: Remote, mirror: str
) -> None:
    for batch in range(4):  # 4 instants, 60 objects each; pages of 100
        remote.add([indicator(f"{batch}-{n}") for n in range(60)])
    operator = platform.login(platform.world.operator_analyst)
    body = {"url": remote.url, "secret": remote.token}
    assert operator.put(f"/api/v1/sharing/collections/{mirror}/sync", json=body).status_code == 200
    remote.faults.pages_left = 1  # the remote fails on the second page
    _sync_now(platform, operator, mirror)
    source = _source(platform)
    assert len(_rows(platform)) == 100
    assert source.last_error is not None
    assert "503" in source.last_error
    assert source.cursor is not None
    # The job failed and is retried later; the remote is back by then.
    remote.faults.pages_left = None
    remote.faults.queries.clear()
    platform.clock.advance(timedelta(hours=2))
    platform.run_jobs()
    assert len(_rows(platform)) == 240
    first = remote.faults.queries[0]
    assert "added_after=" + resume_point(source.cursor).replace(":", "%3A") in first
    assert _source(platform).last_error is None
    assert _source(platform).objects_added == 240


def test_medallion_is_pulled_and_no_sync_lowers_a_marking(
    platform: Platform, mirror: str, tmp_path: Path
) -> None:
    with medallion(tmp_path, page_size=4) as (_discovery, url, user):
        upstream = TaxiiCollection(url, user=user, password=user)
        target = indicator("watched", Tlp.AMBER)
        unmarked = indicator("unmarked", None)
        tlp_definition = {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": TLP_MARKING[Tlp.GREEN],
            "created": "2022-10-01T00:00:00.000Z",
            "name": "TLP:GREEN",
            "extensions": {
                "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                    "extension_type": "property-extension",
                    "tlp_2_0": "green",
                }
            },
        }
        green = [indicator(f"m-{n}") for n in range(9)]
        upstream.add_objects(
            {"objects": [target, unmarked, tlp_definition, *green]}, wait_for_completion=True
        )
        operator = platform.login(platform.world.operator_analyst)
        body = {"url": url, "username": user, "secret": user, "interval_minutes": 5}
        r = operator.put(f"/api/v1/sharing/collections/{mirror}/sync", json=body)
        assert r.status_code == 200, r.text
        _sync_now(platform, operator, mirror)
        rows = _rows(platform)
        assert set(rows) == {target["id"], *(o["id"] for o in green)}
        assert [tlp for _version, tlp in rows[target["id"]]] == [Tlp.AMBER]
        source = _source(platform)
        assert source.objects_refused == 1  # the unmarked one; the TLP definition skipped
        assert "no TLP marking" in source.last_refusals[0]["message"]

        # A newer version marked lower upstream: refused here, the AMBER version stays.
        lowered = indicator(
            "watched", Tlp.GREEN, modified=CREATED + timedelta(days=1), name="declassified?"
        )
        upstream.add_objects({"objects": [lowered]}, wait_for_completion=True)
        platform.clock.advance(timedelta(minutes=5))  # the schedule's next period
        from clearinghouse.app import build_registry
        from clearinghouse.jobs.worker import Worker

        worker = Worker(
            platform.database,
            build_registry(platform.settings),
            platform.clock,
            platform.settings,
            "t",
        )
        assert worker.run_schedules() >= 1
        worker.run_until_idle()
        rows = _rows(platform)
        assert [tlp for _version, tlp in rows[target["id"]]] == [Tlp.AMBER]
        source = _source(platform)
        # The lowered version, and the unmarked object again: the run resumed just before
        # the newest instant stored, which every object of the first envelope shares.
        messages = [r["message"] for r in source.last_refusals]
        assert any("may not lower it to TLP:GREEN" in m for m in messages)
        assert source.objects_refused == 1 + sum("no TLP marking" in m for m in messages)
        assert source.last_error is None


def test_only_the_operator_configures_sync_and_bad_input_is_refused(
    platform: Platform, mirror: str
) -> None:
    body = {"url": "https://peer.example/taxii2/root/collections/x/"}
    member = platform.login(platform.world.member_admin)
    assert member.put(f"/api/v1/sharing/collections/{mirror}/sync", json=body).status_code == 403
    assert member.get("/api/v1/sharing/collections/nope/sync").status_code == 403
    operator = platform.login(platform.world.operator_analyst)
    assert operator.get(f"/api/v1/sharing/collections/{mirror}/sync").status_code == 404
    for bad in (
        {"url": "ftp://peer.example/c/"},
        {"url": "https://peer.example/c/?x=1"},
        {"url": "https://peer.example/c/", "interval_minutes": 0},
        {"url": "https://peer.example/c/", "apply_default_marking": True},
        {"url": "https://peer.example/c/", "extra": 1},
    ):
        r = operator.put(f"/api/v1/sharing/collections/{mirror}/sync", json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert operator.put("/api/v1/sharing/collections/nope/sync", json=body).status_code == 404
    assert operator.put(f"/api/v1/sharing/collections/{mirror}/sync", json=body).status_code == 200
    assert operator.delete(f"/api/v1/sharing/collections/{mirror}/sync").status_code == 204
    assert operator.delete(f"/api/v1/sharing/collections/{mirror}/sync").status_code == 404
    with platform.database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(SyncSource)) == 0
