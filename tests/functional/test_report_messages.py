"""The API of messages between the coordinator and a report's finder before a case, and
the finder's OpenPGP key (the pages' tests drive the same through the forms)."""

from __future__ import annotations

from datetime import UTC, datetime

import pysequoia
import pytest
from sqlalchemy import select

from clearinghouse.audit.models import AuditEntry
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import Platform

REPORT = {
    "title": "Heap overflow in the image parser",
    "product": "Acme Imaging 2",
    "description": "A crafted PNG header overflows a heap buffer.",
    "contact_email": "finder@example.org",
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


def _reported(platform: Platform, **extra: object) -> tuple[str, str]:
    made = platform.client().post("/api/v1/reports", json={**REPORT, **extra})
    assert made.status_code == 201, made.text
    return str(made.json()["id"]), str(made.json()["tracking_token"])


def test_the_finder_and_the_coordinator_write_and_read(platform: Platform) -> None:
    report_id, token = _reported(platform)
    finder = platform.client(headers={"X-Report-Token": token})
    operator = platform.login(platform.world.operator_analyst)
    asked = finder.post(f"/api/v1/reports/{report_id}/messages", json={"body": "Received?"})
    assert asked.status_code == 201, asked.text
    assert asked.json()["author"] == "finder"
    answered = operator.post(f"/api/v1/reports/{report_id}/messages", json={"body": "Yes."})
    assert answered.status_code == 201
    seen_by_finder = finder.get(f"/api/v1/reports/{report_id}/messages").json()
    assert [(m["author"], m["by"], m["body"]) for m in seen_by_finder] == [
        ("finder", "finder", "Received?"),
        ("coordinator", "coordinator", "Yes."),
    ]
    seen_by_operator = operator.get(f"/api/v1/reports/{report_id}/messages").json()
    assert seen_by_operator[1]["by"] == platform.world.operator_analyst
    other = platform.login(platform.world.member_admin)
    assert other.get(f"/api/v1/reports/{report_id}/messages").status_code == 404
    assert other.post(f"/api/v1/reports/{report_id}/messages", json={"body": "x"}).status_code == (
        404
    )
    with platform.database.transaction(write=False) as s:
        actions = list(s.scalars(select(AuditEntry.action)))
    assert actions.count("report.message") == 2


def test_a_message_must_say_something(platform: Platform) -> None:
    report_id, token = _reported(platform)
    finder = platform.client(headers={"X-Report-Token": token})
    for body in ("", "   ", "x" * 20_001, "nul\x00"):
        r = finder.post(f"/api/v1/reports/{report_id}/messages", json={"body": body})
        assert r.status_code == 422, body[:10]


def test_the_finders_key_is_checked_set_and_removed(platform: Platform) -> None:
    key = pysequoia.Tsk.generate("Finder <finder@example.org>").extract_certificate()
    report_id, token = _reported(platform)
    finder = platform.client(headers={"X-Report-Token": token})
    url = f"/api/v1/reports/{report_id}/key"
    bad = finder.put(url, json={"pgp_public_key": "-----BEGIN PGP PUBLIC KEY BLOCK-----\nx"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "pgp_public_key"
    good = finder.put(url, json={"pgp_public_key": str(key)})
    assert good.json() == {"fingerprint": key.fingerprint.upper()}
    assert finder.get("/api/v1/reports/tracked").json()["finder_key_fingerprint"] == (
        key.fingerprint.upper()
    )
    operator = platform.login(platform.world.operator_analyst)
    assert operator.put(url, json={"pgp_public_key": None}).status_code == 403
    assert finder.put(url, json={"pgp_public_key": None}).json() == {"fingerprint": None}


def test_a_key_sent_with_the_report_must_be_usable(platform: Platform) -> None:
    r = platform.client().post("/api/v1/reports", json={**REPORT, "pgp_public_key": "junk"})
    assert r.status_code == 422
    assert r.json()["field"] == "pgp_public_key"
