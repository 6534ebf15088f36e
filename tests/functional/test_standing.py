"""Obligations derived from recorded events, drafts and submissions that settle them,
sanctions (suspension, reassessment) and what a suspended member loses, over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from clearinghouse.accounts.models import Organisation
from clearinghouse.cases.models import Case, TimelineEvent
from tests.functional.conftest import Platform

AWARE = datetime(2021, 11, 24, 2, 0, tzinfo=UTC)


def _bind_member_and_record_awareness(platform: Platform) -> str:
    """The member is a CN product provider and platform partner; it learns of a flaw."""
    with platform.database.transaction() as s:
        member = s.scalars(select(Organisation).where(Organisation.slug == "member")).one()
        operator = s.scalars(select(Organisation).where(Organisation.slug == "operator")).one()
        member.jurisdictions = ["CN"]
        member.regulatory_roles = ["product_provider", "platform_partner"]
        case = Case(
            public_id="CH-2021-0001",
            title="RCE in a logging library",
            summary="",
            coordinator_org_id=operator.id,
            created_at=AWARE,
            created_by_label="test",
            updated_at=AWARE,
        )
        s.add(case)
        s.flush()
        s.add(
            TimelineEvent(
                case_id=case.id,
                org_id=member.id,
                type="aware",
                occurred_at=AWARE,
                recorded_at=AWARE,
                recorded_by_label="test",
                data={},
            )
        )
    return "CH-2021-0001"


def test_obligation_due_missed_and_settled_by_own_submission(platform: Platform) -> None:
    subject = _bind_member_and_record_awareness(platform)
    platform.clock.set(AWARE + timedelta(hours=30))
    member = platform.login(platform.world.member_admin)
    body = member.get("/api/v1/obligations").json()
    miit = [o for o in body["obligations"] if o["regime"] == "cn-miit-2021"]
    assert len(miit) == 1
    assert miit[0]["due"] == "2021-11-26T02:00:00Z"
    assert miit[0]["status"] == "due_soon"
    assert [a["threshold"] for a in miit[0]["alerts_fired"]] == ["50%"]
    assert any(f["id"].startswith("calendar-vs-working-days") for f in miit[0]["flags"])
    # Another member cannot see them (404: no existence leak).
    other = platform.login(platform.world.other_admin)
    assert other.get("/api/v1/obligations", params={"organisation": "member"}).status_code == 404
    # Past due: missed.
    platform.clock.set(AWARE + timedelta(days=3))
    member = platform.login(platform.world.member_admin)  # the 12-hour session has expired
    r = member.get("/api/v1/obligations")
    assert r.status_code == 200, r.text
    miit = [o for o in r.json()["obligations"] if o["regime"] == "cn-miit-2021"]
    assert miit[0]["status"] == "missed"
    # Draft, fill, submit late: met_late, with the timeline event as proof.
    r = member.post(
        "/api/v1/submissions",
        json={
            "organisation": "member",
            "subject": subject,
            "regime": "cn-miit-2021",
            "stage": "report",
        },
    )
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["content"]["missing"]
    fields = {f["id"]: "filled" for f in draft["content"]["fields"]}
    assert (
        member.patch(f"/api/v1/submissions/{draft['id']}", json={"fields": fields}).json()[
            "content"
        ]["missing"]
        == []
    )
    printable = member.get(f"/api/v1/submissions/{draft['id']}/printable")
    assert printable.headers["content-type"].startswith("text/markdown")
    assert "cn-miit-2021" in printable.text or "Regulations" in printable.text
    r = member.post(f"/api/v1/submissions/{draft['id']}/submit", json={"reference": "NVDB-123"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "submitted"
    miit = [
        o
        for o in member.get("/api/v1/obligations").json()["obligations"]
        if o["regime"] == "cn-miit-2021"
    ]
    assert miit[0]["status"] == "met_late"
    standing = member.get("/api/v1/organisations/member/standing").json()
    record = {r["regime"]: r for r in standing["record"]}
    assert record["cn-miit-2021"]["met_late"] == 1
    # Submitting twice is a conflict, and nothing changes.
    assert (
        member.post(
            f"/api/v1/submissions/{draft['id']}/submit", json={"reference": "x"}
        ).status_code
        == 409
    )


def test_suspension_and_reassessment(platform: Platform) -> None:
    op = platform.login(platform.world.operator_admin)
    r = op.post(
        "/api/v1/organisations/member/sanctions",
        json={
            "starts_at": "2021-12-22T00:00:00Z",
            "months": 6,
            "reason": "did not report Log4Shell to the platform",
        },
    )
    assert r.status_code == 201, r.text
    sanction = r.json()
    assert sanction["ends_at"].startswith("2022-06-22")
    assert sanction["reassessment_at"].startswith("2022-06-22")
    # Only operator administrators decide sanctions.
    member = platform.login(platform.world.member_admin)
    assert (
        member.post(
            "/api/v1/organisations/member/sanctions",
            json={"starts_at": "2021-12-22T00:00:00Z", "days": 1, "reason": "x"},
        ).status_code
        == 403
    )
    assert (
        member.post(
            "/api/v1/organisations/other/sanctions",
            json={"starts_at": "2021-12-22T00:00:00Z", "days": 1, "reason": "x"},
        ).status_code
        == 404
    )
    platform.clock.set(datetime(2022, 1, 10, tzinfo=UTC))
    member = platform.login(platform.world.member_admin)
    standing = member.get("/api/v1/organisations/member/standing").json()
    assert standing["suspended"] is True
    # Reassessment: reinstate, audited.
    platform.clock.set(datetime(2022, 6, 22, tzinfo=UTC))
    op = platform.login(platform.world.operator_admin)
    member = platform.login(platform.world.member_admin)
    r = op.post(
        f"/api/v1/sanctions/{sanction['id']}/reassessment",
        json={"outcome": "reinstate", "reason": "reforms made"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "reinstated"
    assert member.get("/api/v1/organisations/member/standing").json()["suspended"] is False
    trail = op.get("/api/v1/audit", params={"object_type": "organisation", "limit": 500}).json()[
        "items"
    ]
    actions = [e["action"] for e in trail]
    assert "member.suspended" in actions
    assert "member.reassessed.reinstate" in actions
    assert (
        op.post(
            f"/api/v1/sanctions/{sanction['id']}/reassessment",
            json={"outcome": "reinstate", "reason": "again"},
        ).status_code
        == 409
    )


def test_bad_sanction_input_is_typed_and_stores_nothing(platform: Platform) -> None:
    op = platform.login(platform.world.operator_admin)
    r = op.post(
        "/api/v1/organisations/member/sanctions",
        json={"starts_at": "2021-12-22T00:00:00Z", "reason": "x"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert (
        op.post(
            "/api/v1/organisations/operator/sanctions",
            json={"starts_at": "2021-12-22T00:00:00Z", "days": 3, "reason": "x"},
        ).status_code
        == 422
    )
    assert op.get("/api/v1/organisations/member/standing").json()["sanctions"] == []
    assert (
        op.post(
            f"/api/v1/sanctions/{uuid.uuid4()}/reassessment",
            json={"outcome": "reinstate", "reason": "x"},
        ).status_code
        == 404
    )


def test_regulatory_profile_is_the_operators_to_set(platform: Platform) -> None:
    member = platform.login(platform.world.member_admin)
    r = member.patch("/api/v1/organisations/member", json={"regulatory_roles": ["manufacturer"]})
    assert r.status_code == 403
    r = member.patch("/api/v1/organisations/member", json={"contact_email": "psirt@member.test"})
    assert r.status_code == 200, r.text
    assert r.json()["contact_email"] == "psirt@member.test"
    op = platform.login(platform.world.operator_admin)
    r = op.patch("/api/v1/organisations/member", json={"regulatory_roles": ["pirate"]})
    assert r.status_code == 422
    assert "unknown regulatory role" in r.json()["detail"]
    r = op.patch(
        "/api/v1/organisations/member",
        json={"jurisdictions": ["eu", "de"], "regulatory_roles": ["manufacturer"]},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["jurisdictions"], r.json()["regulatory_roles"]) == (
        ["DE", "EU"],
        ["manufacturer"],
    )
    assert (
        member.patch(
            "/api/v1/organisations/member", json={"pgp_public_key": "not a key"}
        ).status_code
        == 422
    )
    trail = op.get("/api/v1/audit", params={"object_type": "organisation", "limit": 500}).json()[
        "items"
    ]
    assert [e["change"] for e in trail if e["action"] == "organisation.updated"][-1][
        "regulatory_roles"
    ] == ["manufacturer"]
