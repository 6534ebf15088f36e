"""Values the API accepts fit the columns that keep them, on PostgreSQL as on SQLite.

PostgreSQL refuses a value longer than its ``VARCHAR(n)`` with a DataError that nothing
expected (a 500); SQLite keeps it. Each test here failed on PostgreSQL before its fix:
an e-mail address of up to 254 characters in the 200-character labels (every write by
such a user), a vendor invited by such an address (its participant name), a fixed version
the rules allow (200) in a 100-character column, a package URL whose canonical form is
longer than the URL given. And a value no check foresaw is refused alike on both
(``db.ValueTooLong``, 422)."""

from __future__ import annotations

from typing import Any

import httpx

from clearinghouse.cases.models import Case
from clearinghouse.db import ValueTooLong
from tests.functional.conftest import Platform
from tests.support.factory import PASSWORD

PROBLEM = "application/problem+json"
# 64 + 1 + 63 + 1 + 63 + 1 + 56 + 5 = 254 characters, the most an address may have
LONG_ADDRESS = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 56}.test"


def _analyst_with_a_long_address(platform: Platform) -> httpx.Client:
    admin = platform.login(platform.world.operator_admin)
    r = admin.post(
        "/api/v1/organisations/operator/users",
        json={"email": LONG_ADDRESS, "name": "Long", "password": PASSWORD, "role": "analyst"},
    )
    assert r.status_code == 201, r.text
    return platform.login(LONG_ADDRESS)


def test_a_person_with_a_254_character_address_can_work(platform: Platform) -> None:
    assert len(LONG_ADDRESS) == 254
    analyst = _analyst_with_a_long_address(platform)
    r = analyst.post("/api/v1/cases", json={"title": "Opened by a long address"})
    assert r.status_code == 201, r.text
    ref = r.json()["public_id"]
    r = analyst.post(
        f"/api/v1/cases/{ref}/participants", json={"email": LONG_ADDRESS.replace("a@", "v@")}
    )
    assert r.status_code == 201, r.text
    with platform.database.transaction(write=False) as s:
        case = s.query(Case).filter_by(public_id=ref).one()
        assert case.created_by_label == LONG_ADDRESS
    view = analyst.get(f"/api/v1/cases/{ref}").json()
    invited = [p for p in view["participants"] if p["role"] == "vendor"]
    assert [p["name"] for p in invited] == [LONG_ADDRESS.replace("a@", "v@")]


def _case_with_a_vulnerability(platform: Platform, **vulnerability: Any) -> tuple[str, Any]:
    admin = platform.login(platform.world.operator_admin)
    r = admin.post(
        "/api/v1/cases",
        json={
            "title": "Lengths",
            "vulnerabilities": [{"title": "A flaw", **vulnerability}],
            "participants": [{"organisation": "member"}],
        },
    )
    return r.json().get("public_id", ""), r


def test_a_fixed_version_of_up_to_200_characters_is_kept(platform: Platform) -> None:
    ref, r = _case_with_a_vulnerability(platform)
    assert r.status_code == 201, r.text
    admin = platform.login(platform.world.operator_admin)
    case = admin.get(f"/api/v1/cases/{ref}").json()
    vendor = next(p["id"] for p in case["participants"] if p["role"] == "vendor")
    version = "1." + "9" * 198
    r = admin.post(
        f"/api/v1/cases/{ref}/statuses",
        json={
            "vulnerability_id": case["vulnerabilities"][0]["id"],
            "participant_id": vendor,
            "status": "fixed",
            "fixed_version": version,
        },
    )
    assert r.status_code == 201, r.text
    statuses = admin.get(f"/api/v1/cases/{ref}/statuses").json()
    assert [s["fixed_version"] for s in statuses] == [version]


def test_a_package_url_longer_once_canonical_is_refused_by_name(platform: Platform) -> None:
    # 482 characters as given; each space becomes %20 in the canonical form (962)
    purl = "pkg:generic/" + "a b" * 160
    _ref, r = _case_with_a_vulnerability(platform, products=[{"purl": purl}])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["field"] == "purl"
    assert "at most 500 can be stored" in problem["detail"]
    intake = platform.client().post(
        "/api/v1/reports",
        json={
            "title": "A flaw",
            "product": "a b",
            "description": "Long enough to be a description of a flaw.",
            "purl": purl,
        },
    )
    assert intake.status_code == 422, intake.text
    assert intake.json()["field"] == "purl"


def test_a_value_no_check_foresaw_is_refused_alike_on_both_databases(platform: Platform) -> None:
    """The last line (``db.refuse_overlong``): a typed 422 naming the column, never a
    DataError, and the transaction rolled back."""
    ref, r = _case_with_a_vulnerability(platform)
    assert r.status_code == 201, r.text
    try:
        with platform.database.transaction() as s:
            case = s.query(Case).filter_by(public_id=ref).one()
            case.title = "t" * 201
    except ValueTooLong as exc:
        refused = exc
    else:  # pragma: no cover (the failure this test exists for)
        raise AssertionError("an over-long title was flushed")
    assert refused.status == 422
    assert refused.extensions == {"field": "title", "max_length": 200}
    assert refused.detail == "title is 201 characters long; at most 200 can be stored: shorten it"
    with platform.database.transaction(write=False) as s:
        assert s.query(Case).filter_by(public_id=ref).one().title == "Lengths"
