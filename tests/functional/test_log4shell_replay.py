"""The demo's Log4Shell replay (issue #4's 'done when'): the member's obligations under
cn-miit-2021 and the platform's partnership terms are due 2021-11-26 and missed; the
third-party report arrives 2021-12-09; a six-month suspension starts 2021-12-22 with
reassessment on 2022-06-22; the compliance record shows it; and the what-if view shows
the due-soon alert the member would have received on 2021-11-25."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from clearinghouse import demo
from clearinghouse.app import build_runtime, create_app
from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock, format_instant
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


def _standing(c: httpx.Client, at: str) -> dict[str, Any]:
    r = c.get("/api/v1/organisations/alibaba-cloud/standing", params={"at": at})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_the_suspension_as_it_stood_and_as_it_stands(
    replayed: tuple[httpx.Client, demo.DemoResult],
) -> None:
    """Issue #9, items 18 and 19: standing ignored ``at`` (it could not show 2021), said
    ``suspended: false`` beside a sanction "active" once the period was over, and the
    suspension started two hours before it was decided."""
    c, _ = replayed
    before = _standing(c, "2021-12-22T01:59:59Z")
    assert (before["suspended"], before["sanctions"]) == (False, [])
    then = _standing(c, "2022-01-10T00:00:00Z")
    assert then["suspended"] is True
    assert then["suspension"]["state"] == "active"
    (sanction,) = then["sanctions"]
    assert sanction["starts_at"] == sanction["decided_at"] == "2021-12-22T02:00:00Z"
    assert (sanction["ends_at"], sanction["retroactive"]) == ("2022-06-22T02:00:00Z", False)
    today = _standing(c, "2026-10-01T00:00:00Z")
    assert (today["suspended"], today["suspension"]) == (False, None)
    assert [s["state"] for s in today["sanctions"]] == ["ended"]
    assert [s["in_force"] for s in today["sanctions"]] == [False]


def test_the_replay_sends_its_alerts_at_their_instants(
    replayed: tuple[httpx.Client, demo.DemoResult], database: Database
) -> None:
    """Issue #9, item 20: the load said "the worker has sent what was due" but no clock
    alert existed; the MISSED e-mails were made when ``serve`` first ran, today. They are
    sent when the platform learns of the missed obligations (2021-12-09T11:00Z), said so
    in the load's output, and a worker running today has nothing more to send."""
    from sqlalchemy import select

    from clearinghouse.app import build_registry
    from clearinghouse.jobs.models import Job
    from clearinghouse.jobs.worker import Worker
    from clearinghouse.standing.jobs import KIND_ALERT

    c, result = replayed
    learned = datetime(2021, 12, 9, 11, tzinfo=UTC)

    def alerts() -> list[Job]:
        with database.transaction(write=False) as s:
            return list(s.scalars(select(Job).where(Job.kind == KIND_ALERT)))

    sent = alerts()
    assert len(sent) == 2
    assert {(j.status.value, j.created_at, j.finished_at) for j in sent} == {
        ("done", learned, learned)
    }
    assert {j.payload["alert"]["kind"] for j in sent} == {"missed"}
    lines = [s for s in result.replay.steps if "alerts the member" in s]
    assert len(lines) == 2
    assert all(
        s.startswith("2021-12-09T11:00:00Z  the worker alerts the member: MISSED") for s in lines
    )
    assert all("due 2021-11-26T02:00:00Z" in s for s in lines)
    assert "has sent what was due" not in "\n".join(result.replay.steps)
    member = httpx.Client(base_url=str(c.base_url))
    r = member.post(
        "/api/v1/auth/login", json={"email": "psirt@alibaba-cloud.example", "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    notices = member.get("/api/v1/notifications").json()["items"]
    member.close()
    missed = [n for n in notices if n["subject"].startswith("MISSED")]
    assert [n["created_at"] for n in missed] == ["2021-12-09T11:00:00Z"] * 2
    settings = make_settings(database.url)
    today = Worker(
        database,
        build_registry(settings),
        FixedClock(datetime(2026, 10, 1, tzinfo=UTC)),
        settings,
        "t",
    )
    today.run_schedules()
    assert len(alerts()) == 2  # sent once: nothing new to send today


def test_the_docs_state_what_the_replay_recorded(
    replayed: tuple[httpx.Client, demo.DemoResult], database: Database
) -> None:
    """Issue #9, item 21: docs/clocks.md put the replay's awareness at
    2021-11-24T00:00+08:00 and its due at 2021-11-25T16:00Z, and the load said 2.15.0 was
    released on 2021-12-09 beside a fix_available event of 2021-12-10. Every instant
    docs/demo.md and the replay paragraph of docs/clocks.md state is checked here."""
    from sqlalchemy import select

    from clearinghouse.cases.models import TimelineEvent
    from clearinghouse.jobs.models import Job

    c, result = replayed
    docs = Path(__file__).resolve().parents[2] / "docs"
    page = (docs / "demo.md").read_text()
    clocks = (docs / "clocks.md").read_text()
    paragraph = clocks[clocks.index("In the Log4Shell replay") :].split("\n\n", 1)[0]
    report = _obligations(c)[("cn-miit-2021", "report")]
    # docs/clocks.md: the awareness and the due, with their offsets
    stated = re.findall(r"`(2021-\d\d-\d\dT[\d:]+(?:Z|[+-]\d\d:\d\d))`", paragraph)
    assert [_utc(t) for t in stated] == [report["anchor_at"], report["due"]]
    # docs/demo.md, "What it shows"
    assert f"due {report['due'][:16]}Z" in page
    then = _obligations(c, at="2021-11-25T03:00:00Z")[("cn-miit-2021", "report")]
    assert f"fired at {then['alerts_fired'][0]['fires_at'][:16]}Z" in page
    # docs/demo.md, "What is played": every instant of the table is a step of the replay,
    # and every step of the replay is in the table
    rows = re.findall(r"^\| (2021-\d\d-\d\d \d\d:\d\d) \|", page, flags=re.MULTILINE)
    steps = {s[:16].replace("T", " ") for s in result.replay.steps}
    assert set(rows) == steps
    # the dates a step states are its own (or, for an alert, the obligation's due)
    for step in result.replay.steps:
        own, text = step[:10], step[22:]
        named = set(re.findall(r"\d{4}-\d\d-\d\d", text)) - {own}
        if "alerts the member" in text:
            named -= {report["due"][:10]}
        assert named <= {"2021-11-24", "2021-12-09"} if "suspends" in text else not named, step
    with database.transaction(write=False) as s:
        fixes = s.scalars(
            select(TimelineEvent.occurred_at)
            .where(TimelineEvent.type == "fix_available")
            .order_by(TimelineEvent.occurred_at)
        ).all()
        deadlines = s.scalars(
            select(Job.finished_at)
            .where(Job.kind == "case.vendor_deadline")
            .order_by(Job.run_after)
        ).all()
        mails = s.scalars(select(Job.created_at).where(Job.kind == "email.send")).all()
    assert deadlines
    assert not set(deadlines) & set(mails)  # "both with nothing to do"
    first_fix = format_instant(fixes[0])[:16].replace("T", " ")
    assert f"`fix_available` event is dated {first_fix}" in page
    for done in deadlines:
        assert done is not None
        assert format_instant(done)[:16].replace("T", " ") in page
    sanction = _standing(c, "2022-01-10T00:00:00Z")["suspension"]
    start, end = (sanction[k][:16].replace("T", " ") for k in ("starts_at", "ends_at"))
    assert f"{start} to {end}" in page


def _utc(text: str) -> str:
    return format_instant(datetime.fromisoformat(text.replace("Z", "+00:00")))
