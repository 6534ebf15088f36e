"""Incidents over HTTP on a real server (SQLite and PostgreSQL): a member's own
ransomware incident, its clock events and corrections, its clock board, a report
drafted from its facts and submitted, who may see it (nobody but the member and the
operator: 404 whether it exists or not), and what the API refuses."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.functional.conftest import Platform

FACTS = {
    "description": "Ransomware encrypted the core banking file shares.",
    "impact": "Branch services degraded for 2 days; 48,000 customers' files exfiltrated.",
    "contact": "CISO office, ciso@member.test",
    "detected_by": "SOC, from EDR alerts",
    "classification": "DORA major",
    "measures": "Restored from offline backups",
}


def _make_member_an_eu_bank(platform: Platform) -> None:
    op = platform.login(platform.world.operator_admin)
    r = op.patch(
        "/api/v1/organisations/member",
        json={
            "country": "DE",
            "jurisdictions": ["EU", "DE"],
            "regulatory_roles": ["financial_entity", "essential_entity", "controller"],
        },
    )
    assert r.status_code == 200, r.text


def _open_incident(client: httpx.Client) -> str:
    r = client.post(
        "/api/v1/incidents",
        json={"title": "Ransomware on the file shares", "summary": "", "facts": FACTS},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert re.fullmatch(r"INC-2026-[0-9A-HJKMNP-TV-Z]{8}", body["ref"])
    assert body["organisation"] == "member"
    return str(body["ref"])


def _record(client: httpx.Client, ref: str, type: str, at: str, **data: Any) -> dict[str, Any]:
    r = client.post(
        f"/api/v1/incidents/{ref}/events", json={"type": type, "occurred_at": at, "data": data}
    )
    assert r.status_code == 201, r.text
    event: dict[str, Any] = r.json()
    return event


def _rows(board: dict[str, Any]) -> list[tuple[str, str, str | None, str]]:
    return [(o["regime"], o["stage"], o["due"], o["status"]) for o in board["obligations"]]


def test_a_member_records_its_incident_and_gets_its_clock_board(platform: Platform) -> None:
    _make_member_an_eu_bank(platform)
    member = platform.login(platform.world.member_admin)
    ref = _open_incident(member)
    _record(member, ref, "incident_noticed", "2026-09-30T06:00:00Z")
    _record(
        member, ref, "incident_classified", "2026-09-30T08:00:00Z", scheme="eu-dora", level="major"
    )
    nis2 = _record(member, ref, "significant_incident_aware", "2026-09-30T08:00:00Z")
    gdpr = _record(
        member,
        ref,
        "incident_classified",
        "2026-09-30T09:00:00+02:00",
        scheme="eu-gdpr",
        level="personal_data_breach",
    )
    assert gdpr["occurred_at"].startswith("2026-09-30T07:00:00")

    board = member.get(f"/api/v1/incidents/{ref}/board").json()
    assert board["subject"] == ref
    assert board["at"] == "2026-10-01T10:00:00Z"
    assert _rows(board) == [
        # 4 h after the classification (08:00Z) is earlier than 24 h after awareness.
        ("eu-dora-art19", "initial_notification", "2026-09-30T12:00:00Z", "missed"),
        ("eu-gdpr-art33", "notification", "2026-10-03T07:00:00Z", "pending"),
        ("eu-dora-art19", "intermediate_report", None, "waiting"),
        ("eu-dora-art19", "final_report", None, "waiting"),
        ("eu-nis2-art23", "early_warning", None, "not_applicable"),
        ("eu-nis2-art23", "notification", None, "not_applicable"),
        ("eu-nis2-art23", "intermediate_report", None, "not_applicable"),
        ("eu-nis2-art23", "final_report", None, "not_applicable"),
    ]
    initial = board["obligations"][0]
    assert initial["basis"]["reason"] == "role financial_entity in EU"
    assert initial["recipients"] == ["National competent authority (Art. 46)"]
    assert initial["flags"][0]["id"] == "weekend-holiday-relief-UNVERIFIED"
    assert initial["draft"]["missing"] == []
    assert {o["displaced_by"] for o in board["obligations"][4:]} == {"eu-dora-art19"}
    # The board at an earlier instant (what-if): the initial notification is still due.
    earlier = member.get(f"/api/v1/incidents/{ref}/board", params={"at": "2026-09-30T10:00:00Z"})
    assert earlier.json()["obligations"][0]["status"] == "due_soon"

    # A report drafted from the incident's facts, then submitted: the obligation is met.
    r = member.post(
        f"/api/v1/incidents/{ref}/submissions",
        json={"regime": "eu-dora-art19", "stage": "initial_notification"},
    )
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["subject"] == ref
    assert draft["content"]["missing"] == []
    r = member.post(
        f"/api/v1/submissions/{draft['id']}/submit",
        json={"reference": "BAFIN-1", "submitted_at": "2026-09-30T11:00:00Z"},
    )
    assert r.status_code == 200, r.text
    rows = _rows(member.get(f"/api/v1/incidents/{ref}/board").json())
    assert ("eu-dora-art19", "initial_notification", "2026-09-30T12:00:00Z", "met") in rows
    assert ("eu-dora-art19", "intermediate_report", "2026-10-03T11:00:00Z", "pending") in rows
    # The member's obligations list carries them too (alerts are sent from it).
    mine = member.get("/api/v1/obligations").json()["obligations"]
    assert {o["subject"] for o in mine} == {ref}

    # A reclassification is a correction: the breach turns out unlikely to be a risk.
    r = member.post(
        f"/api/v1/incidents/{ref}/events/{gdpr['id']}/corrections",
        json={"data": {"scheme": "eu-gdpr", "level": "unlikely_to_result_in_risk"}},
    )
    assert r.status_code == 201, r.text
    corrected = r.json()
    assert corrected["supersedes_id"] == gdpr["id"]
    assert corrected["occurred_at"] == gdpr["occurred_at"]
    board = member.get(f"/api/v1/incidents/{ref}/board").json()
    assert not [o for o in board["obligations"] if o["regime"] == "eu-gdpr-art33"]
    superseded = next(e for e in board["events"] if e["id"] == gdpr["id"])
    assert superseded == {**superseded, "counts": False, "superseded_by": corrected["id"]}
    # Only the latest version is corrected (no forks); a withdrawal retracts an event.
    r = member.post(
        f"/api/v1/incidents/{ref}/events/{gdpr['id']}/corrections", json={"withdraw": True}
    )
    assert r.status_code == 409
    r = member.post(
        f"/api/v1/incidents/{ref}/events/{nis2['id']}/corrections", json={"withdraw": True}
    )
    assert r.status_code == 201, r.text
    assert r.json()["type"] == "withdrawn"
    board = member.get(f"/api/v1/incidents/{ref}/board").json()
    assert not [o for o in board["obligations"] if o["regime"] == "eu-nis2-art23"]
    events = member.get(f"/api/v1/incidents/{ref}/events", params={"limit": 4}).json()
    assert len(events["items"]) == 4
    rest = member.get(
        f"/api/v1/incidents/{ref}/events", params={"cursor": events["next_cursor"]}
    ).json()
    types = [e["type"] for e in events["items"] + rest["items"]]
    assert sorted(types) == sorted(
        [
            "incident_noticed",
            "incident_classified",
            "significant_incident_aware",
            "incident_classified",
            "report_submitted",  # marking the draft submitted recorded it on the incident
            "incident_classified",
            "withdrawn",
        ]
    )
    assert rest["next_cursor"] is None


def _problem(r: httpx.Response) -> tuple[int, str, str]:
    body = r.json()
    return r.status_code, body["code"], body["detail"]


def test_an_incident_is_private_to_its_organisation_and_the_operator(platform: Platform) -> None:
    member = platform.login(platform.world.member_admin)
    ref = _open_incident(member)
    event = _record(member, ref, "incident_noticed", "2026-09-30T06:00:00Z")
    other = platform.login(platform.world.other_admin)
    missing = "INC-2026-ZZZZZZZZ"
    probes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/api/v1/incidents/{ref}", None),
        ("PATCH", "/api/v1/incidents/{ref}", {"title": "mine now"}),
        ("GET", "/api/v1/incidents/{ref}/events", None),
        (
            "POST",
            "/api/v1/incidents/{ref}/events",
            {"type": "incident_noticed", "occurred_at": "2026-09-30T06:00:00Z"},
        ),
        (
            "POST",
            "/api/v1/incidents/{ref}/events/" + event["id"] + "/corrections",
            {"withdraw": True},
        ),
        ("GET", "/api/v1/incidents/{ref}/board", None),
        (
            "POST",
            "/api/v1/incidents/{ref}/submissions",
            {"regime": "eu-dora-art19", "stage": "initial_notification"},
        ),
    ]
    for method, path, body in probes:
        existing = other.request(method, path.format(ref=ref), json=body)
        absent = other.request(method, path.format(ref=missing), json=body)
        # No existence leak: the same 404, whether the incident exists or not.
        assert _problem(existing) == _problem(absent) == (404, "not-found", "no such resource"), (
            method,
            path,
        )
    assert other.get("/api/v1/incidents").json()["items"] == []
    for slug in ("member", "nobody"):
        r = other.get("/api/v1/incidents", params={"organisation": slug})
        assert _problem(r) == (404, "not-found", "no such resource")
        r = other.post("/api/v1/incidents", json={"title": "x", "organisation": slug})
        assert _problem(r) == (404, "not-found", "no such resource")
    # The operator sees it; the member's viewer reads but may not write; strangers sign in.
    op = platform.login(platform.world.operator_admin)
    assert op.get(f"/api/v1/incidents/{ref}").status_code == 200
    listed = op.get("/api/v1/incidents", params={"organisation": "member"}).json()["items"]
    assert [i["ref"] for i in listed] == [ref]
    assert [i["ref"] for i in op.get("/api/v1/incidents").json()["items"]] == [ref]
    viewer = platform.login(platform.world.member_viewer)
    assert viewer.get(f"/api/v1/incidents/{ref}/board").status_code == 200
    r = viewer.post(
        f"/api/v1/incidents/{ref}/events",
        json={"type": "incident_noticed", "occurred_at": "2026-09-30T06:00:00Z"},
    )
    assert r.status_code == 403
    assert platform.client().get(f"/api/v1/incidents/{ref}").status_code == 401
    # The operator may open an incident for an organisation; a member only its own.
    r = op.post("/api/v1/incidents", json={"title": "reported by phone", "organisation": "other"})
    assert r.status_code == 201, r.text
    assert r.json()["organisation"] == "other"
    assert [i["organisation"] for i in other.get("/api/v1/incidents").json()["items"]] == ["other"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "incident_noticed", "occurred_at": "2026-09-30T06:00:00"}, "occurred_at"),
        ({"type": "incident_noticed", "occurred_at": 1790748000}, "occurred_at"),
        ({"type": "incident_noticed", "occurred_at": "1790748000"}, "occurred_at"),
        ({"type": "incident_noticed", "occurred_at": "2026-09-30"}, "occurred_at"),
        ({"type": "incident_noticed", "occurred_at": "2026-10-02T06:00:00Z"}, "occurred_at"),
        ({"type": "case_opened", "occurred_at": "2026-09-30T06:00:00Z"}, "type"),
        (
            {
                "type": "incident_classified",
                "occurred_at": "2026-09-30T06:00:00Z",
                "data": {"scheme": "eu-dora", "level": "huge"},
            },
            "data.level",
        ),
        (
            {
                "type": "incident_classified",
                "occurred_at": "2026-09-30T06:00:00Z",
                "data": {"scheme": "made-up", "level": "major"},
            },
            "data.scheme",
        ),
        (
            {"type": "incident_classified", "occurred_at": "2026-09-30T06:00:00Z"},
            "data",
        ),
        (
            {
                "type": "incident_noticed",
                "occurred_at": "2026-09-30T06:00:00Z",
                "data": {"nested": {"too": "deep"}},
            },
            "data.nested",
        ),
    ],
)
def test_events_are_refused_with_422_and_the_field_named(
    platform: Platform, body: dict[str, Any], field: str
) -> None:
    member = platform.login(platform.world.member_admin)
    ref = _open_incident(member)
    r = member.post(f"/api/v1/incidents/{ref}/events", json=body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "invalid-input"
    assert field in (problem.get("field") or problem["detail"]), problem


def test_instants_and_sizes_at_the_other_routes_are_checked(platform: Platform) -> None:
    member = platform.login(platform.world.member_admin)
    ref = _open_incident(member)
    event = _record(member, ref, "incident_noticed", "2026-09-30T06:00:00Z")
    for at in ("2026-09-30T06:00:00", "1790748000", "yesterday"):
        r = member.get(f"/api/v1/incidents/{ref}/board", params={"at": at})
        assert r.status_code == 422, (at, r.text)
    r = member.post(
        f"/api/v1/incidents/{ref}/events/{event['id']}/corrections",
        json={"occurred_at": "2026-09-30T05:00:00"},
    )
    assert r.status_code == 422
    too_many = {f"fact_{i}": "x" for i in range(101)}
    r = member.post("/api/v1/incidents", json={"title": "t", "facts": too_many})
    assert r.status_code == 422
    r = member.patch(f"/api/v1/incidents/{ref}", json={"facts": {"Bad Key": "x"}})
    assert r.status_code == 422
    r = member.patch(f"/api/v1/incidents/{ref}", json={"facts": {"impact": "all branches"}})
    assert r.status_code == 200
    assert r.json()["facts"] == {"impact": "all branches"}
