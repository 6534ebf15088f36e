"""The Log4Shell replay's exposure story (issue #12's 'done when'): a member's inventory
with log4j-core 2.14.1, uploaded on 2021-12-01, is matched the moment the advisory is
published (2021-12-10 10:15Z); the member is told at that instant; its aware event is
recorded then with its source, so its 2-day clocks run from it, and the obligation says
why it started; its report on 2021-12-11 meets them."""

from __future__ import annotations

from typing import Any

import httpx

from clearinghouse import demo
from clearinghouse.replay.log4shell import HOSTING, HOSTING_INVENTORY
from tests.functional.test_log4shell_replay import PASSWORD, replayed  # noqa: F401 (fixture)

PUBLISHED = "2021-12-10T10:15:00Z"


def _member(c: httpx.Client) -> httpx.Client:
    r = c.post("/api/v1/auth/login", json={"email": "psirt@hosting.example", "password": PASSWORD})
    assert r.status_code == 200, r.text
    member = httpx.Client(base_url=c.base_url, cookies=c.cookies)
    member.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return member


def _obligations(c: httpx.Client, **params: str) -> dict[str, dict[str, Any]]:
    r = c.get("/api/v1/obligations", params={"organisation": HOSTING[0], **params})
    assert r.status_code == 200, r.text
    return {o["regime"]: o for o in r.json()["obligations"] if o["stage"] == "report"}


def test_the_member_is_matched_and_told_when_the_advisory_is_published(
    replayed: tuple[httpx.Client, demo.DemoResult],  # noqa: F811
) -> None:
    operator, result = replayed
    advisory = result.replay.advisory
    assert advisory == "CHSA-2021-0001"
    with _member(operator) as member:
        (inventory,) = member.get("/api/v1/inventories").json()["items"]
        assert inventory["name"] == HOSTING_INVENTORY
        (finding,) = member.get("/api/v1/findings", params={"advisory": advisory}).json()["items"]
        assert (finding["package"], finding["version"]) == (
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
        )
        assert finding["told_at"] == PUBLISHED
        notices = [
            n
            for n in member.get("/api/v1/notifications").json()["items"]
            if n["kind"] == "exposure.match"
        ]
        assert [n["created_at"] for n in notices] == [PUBLISHED]
        assert advisory in notices[0]["subject"]


def test_its_clock_starts_when_it_was_told_and_says_why(
    replayed: tuple[httpx.Client, demo.DemoResult],  # noqa: F811
) -> None:
    operator, result = replayed
    then = _obligations(operator, at="2021-12-11T00:00:00Z")
    now = _obligations(operator)
    for regime in ("cn-miit-2021", "cn-nvdb-partner-terms"):
        assert then[regime]["subject"] == result.replay.advisory
        assert then[regime]["anchor_at"] == PUBLISHED
        assert then[regime]["due"] == "2021-12-12T10:15:00Z"
        assert then[regime]["status"] in {"pending", "due_soon"}
        source = then[regime]["anchor_source"]
        assert source["kind"] == "exposure_match"
        assert source["advisory"] == result.replay.advisory
        assert source["inventories"] == [HOSTING_INVENTORY]
        assert now[regime]["status"] == "met"
