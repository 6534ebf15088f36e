"""Free-form JSON fields over HTTP (a case event's ``data``, an incident event's ``data`` and
its corrections', a sanction's ``basis``): a value the platform cannot store exactly is a
422 problem naming the field and the place inside it, never a 500 from the audit log's
serialiser, and nothing is stored; a value at the bounds is stored exactly. The bodies are
written by hand: an HTTP client's JSON encoder would refuse NaN and lone surrogates."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from clearinghouse.accounts.models import MemberSanction
from clearinghouse.app import create_app
from clearinghouse.audit.models import AuditEntry
from clearinghouse.cases.models import TimelineEvent
from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import Platform, make_settings
from tests.support.factory import seed
from tests.support.server import serve

AT = "2026-09-30T06:00:00Z"

# (what is wrong, the value as JSON text, what the problem's detail says)
BAD_VALUES = [
    ("an integer beyond 64 bits", "9" * 25, "outside the signed 64-bit range"),
    ("2**63, one past the signed range", str(2**63), "outside the signed 64-bit range"),
    ("a lone surrogate", '"\\ud800"', "not valid Unicode"),
    ("NaN", "NaN", "NaN and infinities"),
    ("Infinity", "Infinity", "NaN and infinities"),
    ("-Infinity", "-Infinity", "NaN and infinities"),
    ("a number too large for a double", "1e400", "NaN and infinities"),
    ("nesting one level past the bound", "[" * 32 + "]" * 32, "nested deeper than 32"),
    ("nesting of 300 levels", "[" * 300 + "]" * 300, "nested deeper than 32"),
    ("over 64 KiB", '"' + "a" * (70 * 1024) + '"', "bytes as JSON, over the"),
]
# Incident event data are scalars (text of at most 2,000 characters) or lists of them:
# nesting and long text are refused by the type, a lone surrogate by its text check.
INCIDENT_BAD = [
    *(bad for bad in BAD_VALUES if not bad[0].startswith(("nesting", "a lone", "over 64"))),
    ("a lone surrogate", '"\\ud800"', "valid string"),
    ("over 64 KiB in lists", "[" + ",".join(['"' + "b" * 1500 + '"'] * 50) + "]", "over the"),
]
FREEFORM_KEY = "key that is not valid Unicode"
# At the bounds, and stored exactly.
GOOD = {
    "big": 2**63 - 1,
    "small": -(2**63),
    "ratio": 0.1,
    "text": "é, 漢字, 😀",
    "deep": orjson.loads("[" * 31 + "]" * 31),  # the object itself is level 1: 32 in all
}


@pytest.fixture
def roomy(database: Database, clock: FixedClock) -> Iterator[Platform]:
    """The platform with the production body limit, so an over-64-KiB value reaches the
    check rather than the body limit."""
    settings = make_settings(database.url, max_request_bytes=4 * 1024 * 1024)
    app = create_app(settings, clock=clock, database=database)
    world = seed(database, clock)
    with serve(app) as url:
        p = Platform(url=url, database=database, clock=clock, settings=settings, world=world)
        yield p
        p.close()


def _post(client: httpx.Client, url: str, body: str) -> httpx.Response:
    return client.post(url, content=body.encode(), headers={"Content-Type": "application/json"})


def _counts(platform: Platform) -> tuple[int, int, int]:
    with platform.database.transaction(write=False) as s:
        return (
            s.scalar(select(func.count()).select_from(TimelineEvent)) or 0,
            s.scalar(select(func.count()).select_from(MemberSanction)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def _refused(r: httpx.Response, field: str, says: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == "invalid-input"
    # the field, or a place inside it (a typed field's own check names the member)
    assert problem["field"].split(".")[0] == field, problem
    assert says in problem["detail"], problem


def _refuses_every_bad_value(
    platform: Platform,
    client: httpx.Client,
    url: str,
    body: Callable[[str], str],
    field: str,
    bad: list[tuple[str, str, str]],
    key_says: str = FREEFORM_KEY,
) -> None:
    before = _counts(platform)
    for what, value, says in bad:
        r = _post(client, url, body('{"x": ' + value + "}"))
        assert r.status_code != 500, (what, r.text)
        _refused(r, field, says)
        if what == "2**63, one past the signed range":
            assert "$.x" in r.json()["detail"]  # the place inside the field
    key = _post(client, url, body('{"\\ud800": 1}'))
    _refused(key, field, key_says)
    assert _counts(platform) == before  # nothing stored, nothing audited


def _stored_data(platform: Platform, event_id: str) -> Any:
    with platform.database.transaction(write=False) as s:
        event = s.get(TimelineEvent, uuid.UUID(event_id))
        assert event is not None
        return event.data


def test_case_event_data_that_cannot_be_stored_exactly_is_a_422_naming_data(
    roomy: Platform,
) -> None:
    analyst = roomy.login(roomy.world.operator_analyst)
    case = analyst.post("/api/v1/cases", json={"title": "T"}).json()["public_id"]
    url = f"/api/v1/cases/{case}/events"

    def body(data: str) -> str:
        return '{"type": "aware", "occurred_at": "' + AT + '", "data": ' + data + "}"

    _refuses_every_bad_value(roomy, analyst, url, body, "data", BAD_VALUES)
    r = _post(analyst, url, body(orjson.dumps(GOOD).decode()))
    assert r.status_code == 201, r.text
    assert r.json()["data"] == GOOD
    assert _stored_data(roomy, r.json()["id"]) == GOOD
    verified = roomy.login(roomy.world.operator_admin).get("/api/v1/audit/verify").json()
    assert verified["ok"] is True


def test_incident_event_data_and_corrections_refuse_values_that_cannot_be_stored(
    roomy: Platform,
) -> None:
    member = roomy.login(roomy.world.member_admin)
    r = member.post("/api/v1/incidents", json={"title": "Ransomware"})
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    url = f"/api/v1/incidents/{ref}/events"

    def body(data: str) -> str:
        return '{"type": "incident_noticed", "occurred_at": "' + AT + '", "data": ' + data + "}"

    _refuses_every_bad_value(roomy, member, url, body, "data", INCIDENT_BAD, "valid string")
    good = {"big": 2**63 - 1, "small": -(2**63), "ratio": 0.1, "text": "é 😀", "list": [1, "a"]}
    r = _post(member, url, body(orjson.dumps(good).decode()))
    assert r.status_code == 201, r.text
    event = r.json()
    assert event["data"] == good
    assert _stored_data(roomy, event["id"]) == good
    corrections = f"{url}/{event['id']}/corrections"
    _refuses_every_bad_value(
        roomy,
        member,
        corrections,
        lambda data: '{"data": ' + data + "}",
        "data",
        INCIDENT_BAD,
        "valid string",
    )
    assert _stored_data(roomy, event["id"]) == good  # the corrected event is untouched


def test_a_sanctions_basis_that_cannot_be_stored_exactly_is_a_422_naming_basis(
    roomy: Platform,
) -> None:
    admin = roomy.login(roomy.world.operator_admin)
    url = "/api/v1/organisations/member/sanctions"

    def body(basis: str) -> str:
        return '{"reason": "did not report", "months": 1, "basis": ' + basis + "}"

    _refuses_every_bad_value(roomy, admin, url, body, "basis", BAD_VALUES)
    assert admin.get("/api/v1/organisations/member/standing").json()["sanctions"] == []
    r = _post(admin, url, body(orjson.dumps(GOOD).decode()))
    assert r.status_code == 201, r.text
    assert r.json()["basis"] == GOOD
    assert admin.get("/api/v1/audit/verify").json()["ok"] is True
