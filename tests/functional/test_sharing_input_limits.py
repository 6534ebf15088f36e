"""Hostile STIX objects and MISP events over HTTP: in an envelope, each object succeeds or
fails alone. An object the parser cannot get through (a pattern nested past Python's stack
or too long to check), one over the bounds (nesting, 1 MiB), or one that JSON storage
cannot keep exactly (integers beyond 64 bits, NaN, lone surrogates) is a per-object
failure with a message, over TAXII (202 with a status) and REST (201), while the good
object beside it is stored: never a 500 for the whole envelope, and never a number
stored changed. A TAXII body that is not JSON (NaN, not UTF-8) is a TAXII 400. A MISP event over a
limit is a 422 at once, before the work it would cost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.formats import misp_import, stix
from clearinghouse.formats.model import Tlp
from clearinghouse.sharing.models import SharedObject
from clearinghouse.sharing.taxii_http import TAXII_MEDIA
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import Platform, make_settings
from tests.support.collections import member_writable_collection
from tests.support.factory import seed
from tests.support.server import serve
from tests.support.stix_objects import indicator

BAD = "__BAD__"  # where a bad value's JSON text goes, written by hand
LIMIT = 4 * 1024 * 1024

# (what is wrong, the object with BAD in place of the bad value, its JSON text, the message)
BOTH: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "a pattern of 1,000 nested parentheses",
        {"pattern": BAD},
        orjson.dumps("(" * 1000 + "[file:name = 'a']" + ")" * 1000).decode(),
        "nested too deeply to check",
    ),
    (
        "a 3,000-term OR chain",
        {"pattern": BAD},
        orjson.dumps(" OR ".join(f"[file:name = 'a{i}']" for i in range(3000))).decode(),
        "at most 10,000 are checked",
    ),
    (
        "a custom property nested 300 deep",
        {"x_deep": BAD},
        "[" * 300 + "]" * 300,
        "nested deeper than 32 levels",
    ),
    (
        "a custom property one level past the bound",
        {"x_deep": BAD},
        "[" * 32 + "]" * 32,
        "$.x_deep" + "[0]" * 31 + ": nested deeper than 32 levels",
    ),
    ("a custom integer of 2**63", {"x_big": BAD}, str(2**63), "outside the signed 64-bit"),
    # Past 64 bits: orjson would read it as a float and store 1.1805916207174113e+21.
    ("a custom integer of 2**70", {"x_big": BAD}, str(2**70), "outside the signed 64-bit"),
    (
        "an object over 1 MiB",
        {"description": BAD},
        orjson.dumps("a" * stix.MAX_OBJECT_BYTES).decode(),
        "bytes as JSON, over the 1,048,576 allowed for one object",
    ),
    ("a lone surrogate, custom", {"x_s": BAD}, '"\\ud800"', "not valid Unicode"),
    ("a lone surrogate, known", {"name": BAD}, '"\\ud800"', "cannot be stored as JSON"),
]
# What only the REST route's parser (FastAPI's, Python's with its defaults) lets through:
# NaN and the infinities are not JSON, and a TAXII body carrying one is a 400.
REST_ONLY: list[tuple[str, dict[str, Any], str, str]] = [
    ("a custom NaN", {"x_n": BAD}, "NaN", "NaN and infinities"),
    ("a custom Infinity", {"x_n": BAD}, "Infinity", "NaN and infinities"),
]


@pytest.fixture
def roomy(database: Database, clock: FixedClock) -> Iterator[Platform]:
    """The platform with bodies up to 4 MiB (an object over 1 MiB must reach the check)."""
    settings = make_settings(database.url, max_request_bytes=LIMIT, taxii_max_content_length=LIMIT)
    app = create_app(settings, clock=clock, database=database)
    world = seed(database, clock)
    with serve(app) as url:
        p = Platform(url=url, database=database, clock=clock, settings=settings, world=world)
        yield p
        p.close()


def _stored_ids(platform: Platform) -> set[str]:
    with platform.database.transaction(write=False) as s:
        return set(s.scalars(select(SharedObject.stix_id)))


def _envelope(good: dict[str, Any], bad: dict[str, Any], value: str) -> bytes:
    text = orjson.dumps({"objects": [good, bad]}).decode()
    return text.replace(f'"{BAD}"', value).encode()


def _pair(n: int, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return indicator(f"good-{n}", Tlp.AMBER), {**indicator(f"bad-{n}", Tlp.AMBER), **changes}


def _taxii(platform: Platform) -> tuple[httpx.Client, str]:
    collection = member_writable_collection(platform.database, platform.clock, "intel", "Intel")
    token = platform.token(platform.world.member_admin, ["taxii", "read", "write"])
    client = platform.client(
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": TAXII_MEDIA,
            "Content-Type": TAXII_MEDIA,
        }
    )
    return client, f"/taxii2/root/collections/{collection}/objects/"


def _one_success_one_failure(
    outcome: dict[str, Any], good: dict[str, Any], bad: dict[str, Any], says: str
) -> None:
    assert [s["id"] for s in outcome["successes"]] == [good["id"]], outcome
    (failure,) = outcome["failures"]
    assert failure["id"] == bad["id"]
    assert failure["message"].startswith(bad["id"])
    assert says in failure["message"], failure


@pytest.mark.slow
def test_over_taxii_a_bad_object_fails_alone_and_the_good_one_beside_it_is_stored(
    roomy: Platform,
) -> None:
    client, url = _taxii(roomy)
    for n, (what, changes, value, says) in enumerate(BOTH):
        good, bad = _pair(n, changes)
        r = client.post(url, content=_envelope(good, bad, value))
        assert r.status_code == 202, (what, r.text)
        assert r.headers["content-type"] == TAXII_MEDIA
        status = r.json()
        assert (status["success_count"], status["failure_count"]) == (1, 1), what
        _one_success_one_failure(status, good, bad, says)
        assert client.get(f"/taxii2/root/status/{status['id']}/").json() == status
    stored = _stored_ids(roomy)
    assert {indicator(f"good-{n}")["id"] for n in range(len(BOTH))} == stored
    page = client.get(url)
    assert page.status_code == 200
    assert len(page.json()["objects"]) == len(BOTH)


@pytest.mark.slow
def test_over_rest_a_bad_object_fails_alone_and_the_good_one_beside_it_is_stored(
    roomy: Platform,
) -> None:
    member_writable_collection(roomy.database, roomy.clock, "intel", "Intel")
    member = roomy.login(roomy.world.member_admin)
    url = "/api/v1/sharing/collections/intel/objects"
    for n, (what, changes, value, says) in enumerate([*BOTH, *REST_ONLY]):
        good, bad = _pair(n, changes)
        r = member.post(
            url,
            content=_envelope(good, bad, value),
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 201, (what, r.text)
        _one_success_one_failure(r.json(), good, bad, says)
    expected = {indicator(f"good-{n}")["id"] for n in range(len(BOTH) + len(REST_ONLY))}
    assert _stored_ids(roomy) == expected
    page = member.get(url, params={"limit": 100})
    assert page.status_code == 200
    assert {o["id"] for o in page.json()["items"]} == expected


def test_an_identifier_json_cannot_carry_comes_back_escaped_in_the_failure(
    platform: Platform,
) -> None:
    member_writable_collection(platform.database, platform.clock, "intel", "Intel")
    member = platform.login(platform.world.member_admin)
    good, bad = _pair(0, {"id": BAD})
    r = member.post(
        "/api/v1/sharing/collections/intel/objects",
        content=_envelope(good, bad, '"indicator--\\ud800"'),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    (failure,) = r.json()["failures"]
    assert failure["id"] == "indicator--\\ud800"
    assert [s["id"] for s in r.json()["successes"]] == [good["id"]]


def test_a_taxii_body_that_is_not_json_is_a_taxii_400_not_a_500(platform: Platform) -> None:
    client, url = _taxii(platform)
    for value in (b"NaN", b"-Infinity", b'"\xff"'):  # the last is not UTF-8
        good, bad = _pair(0, {"x_bad": BAD})
        r = client.post(url, content=_envelope(good, bad, "31415926").replace(b"31415926", value))
        assert r.status_code == 400, r.text
        assert r.json()["http_status"] == "400"
        assert "not JSON" in r.json()["description"]
    assert _stored_ids(platform) == set()


def _misp_count(platform: Platform) -> int:
    with platform.database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(SharedObject)) or 0


@pytest.mark.slow
def test_a_misp_event_over_a_limit_is_a_422_at_once(roomy: Platform) -> None:
    member_writable_collection(roomy.database, roomy.clock, "intel", "Intel")
    member = roomy.login(roomy.world.member_admin)
    url = "/api/v1/sharing/collections/intel/misp-events"
    events = [
        # 80,000 objects, 1.7 MB: the quadratic gathering took 23.9 s here
        ({"uuid": "e", "Object": [{"Attribute": [{}]}] * 80_000}, "at most 10000 objects"),
        (
            {"uuid": "e", "Object": [{"Attribute": [{}] * 50}] * 10_000},
            "at most 10000 attributes",
        ),
        ({"uuid": "e", "Tag": [{"name": "tlp:green"}] * 1001}, "at most 1000 tags"),
    ]
    for event, says in events:
        started = time.perf_counter()
        r = member.post(url, json={"events": [{"Event": event}]})
        took = time.perf_counter() - started
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert says in r.json()["detail"]
        assert took < 5.0, took  # the body's parsing and validation, not the gathering
    assert _misp_count(roomy) == 0
    assert misp_import.MAX_OBJECTS == misp_import.MAX_ATTRIBUTES == 10_000
