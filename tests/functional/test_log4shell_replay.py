"""The demo's Log4Shell replay (issue #4's 'done when'): the member's obligations under
cn-miit-2021 and the platform's partnership terms are due 2021-11-26 and missed; the
third-party report arrives 2021-12-09; a six-month suspension starts 2021-12-22 with
reassessment on 2022-06-22; the compliance record shows it; and the what-if view shows
the due-soon alert the member would have received on 2021-11-25."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from clearinghouse import demo
from clearinghouse.app import build_runtime, create_app
from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.server import serve

PASSWORD = "replay-password-1"


@pytest.fixture
def replayed(database: Database) -> Iterator[tuple[httpx.Client, demo.DemoResult]]:
    settings = make_settings(database.url)
    rt = build_runtime(settings, database=database)
    result = demo.load(rt, password=PASSWORD)
    assert demo.load(rt, password=PASSWORD).replay.created is False  # idempotent
    clock = FixedClock(datetime(2022, 1, 10, tzinfo=UTC))
    with (
        serve(create_app(settings, clock=clock, database=database)) as url,
        httpx.Client(base_url=url) as c,
    ):
        r = c.post("/api/v1/auth/login", json={"email": "admin@nvdb.example", "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield c, result


def _obligations(c: httpx.Client, **params: str) -> dict[tuple[str, str], dict[str, Any]]:
    r = c.get("/api/v1/obligations", params={"organisation": "alibaba-cloud", **params})
    assert r.status_code == 200, r.text
    return {(o["regime"], o["stage"]): o for o in r.json()["obligations"]}


def test_missed_obligations_suspension_and_record(
    replayed: tuple[httpx.Client, demo.DemoResult],
) -> None:
    c, result = replayed
    assert result.replay.case == "CH-2021-0001"
    obligations = _obligations(c)
    for regime in ("cn-miit-2021", "cn-nvdb-partner-terms"):
        o = obligations[(regime, "report")]
        assert o["due"] == "2021-11-26T02:00:00Z"
        assert o["status"] == "missed"
        assert o["anchor_at"] == "2021-11-24T02:00:00Z"
    assert "product_provider" in str(obligations[("cn-miit-2021", "report")]["basis"])
    assert "platform_partner" in str(obligations[("cn-nvdb-partner-terms", "report")]["basis"])
    # The third party's report reached the platform on 2021-12-09.
    timeline = c.get(f"/api/v1/cases/{result.replay.case}/timeline", params={"limit": 500}).json()[
        "items"
    ]
    received = [e for e in timeline if e["type"] == "report_received"]
    assert [e["occurred_at"][:10] for e in received] == ["2021-12-09"]
    aware = next(e for e in timeline if e["type"] == "aware")
    assert (aware["occurred_at"], aware["recorded_at"][:10]) == (
        "2021-11-24T02:00:00Z",
        "2021-12-09",
    )
    standing = c.get("/api/v1/organisations/alibaba-cloud/standing").json()
    assert standing["suspended"] is True
    (sanction,) = standing["sanctions"]
    assert sanction["starts_at"].startswith("2021-12-22")
    assert sanction["reassessment_at"].startswith("2022-06-22")
    record = {r["regime"]: r for r in standing["record"]}
    assert record["cn-miit-2021"]["missed"] == 1
    assert record["cn-nvdb-partner-terms"]["missed"] == 1
    assert c.get("/api/v1/audit/verify").json()["ok"] is True


def test_what_the_platform_would_have_done(replayed: tuple[httpx.Client, demo.DemoResult]) -> None:
    c, _ = replayed
    then = _obligations(c, at="2021-11-25T03:00:00Z")[("cn-miit-2021", "report")]
    assert then["status"] == "due_soon"
    fired = then["alerts_fired"]
    assert [(a["threshold"], a["fires_at"]) for a in fired] == [("50%", "2021-11-25T02:00:00Z")]
    upcoming = [a["threshold"] for a in then["alerts_upcoming"]]
    assert upcoming[:2] == ["80%", "2h"]
