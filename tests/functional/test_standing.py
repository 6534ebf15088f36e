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
    platform.clock.set(datetime(2021, 12, 22, tzinfo=UTC))  # decided as it starts
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
        json={"starts_at": "2026-10-02T00:00:00Z", "reason": "x"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "months or as days" in r.json()["detail"]
    r = op.post(
        "/api/v1/organisations/operator/sanctions",
        json={"starts_at": "2026-10-02T00:00:00Z", "days": 3, "reason": "x"},
    )
    assert r.status_code == 422
    assert "operator cannot be suspended" in r.json()["detail"]
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


def test_a_suspension_takes_effect_when_decided_unless_it_says_it_reaches_back(
    platform: Platform,
) -> None:
    """Issue #9, item 19: the replay's suspension was decided at 02:00 and in force from
    00:00. A start before the decision is refused unless the decision says so, and then it
    is recorded, audited and shown."""
    op = platform.login(platform.world.operator_admin)  # the clock: 2026-10-01T10:00Z
    url = "/api/v1/organisations/member/sanctions"
    early = {"starts_at": "2026-10-01T08:00:00Z", "months": 6, "reason": "late report"}
    refused = op.post(url, json=early)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "starts_at"
    assert "before it is decided (2026-10-01T10:00:00Z)" in refused.json()["detail"]
    future = {"starts_at": "2026-10-02T00:00:00Z", "months": 6, "reason": "late report"}
    pointless = op.post(url, json={**future, "retroactive": True})
    assert pointless.status_code == 422
    assert pointless.json()["field"] == "retroactive"
    assert op.get("/api/v1/organisations/member/standing").json()["sanctions"] == []
    now = op.post(url, json={"months": 6, "reason": "late report"})
    assert now.status_code == 201, now.text
    assert now.json()["starts_at"] == now.json()["decided_at"] == "2026-10-01T10:00:00Z"
    assert (now.json()["retroactive"], now.json()["state"]) == (False, "active")
    back = op.post(url, json={**early, "retroactive": True})
    assert back.status_code == 201, back.text
    assert back.json()["retroactive"] is True
    shown = op.get("/api/v1/organisations/member/standing").json()["sanctions"]
    assert [s["retroactive"] for s in shown] == [True, False]  # by start
    trail = op.get("/api/v1/audit", params={"object_type": "organisation", "limit": 500})
    decided = [e["change"] for e in trail.json()["items"] if e["action"] == "member.suspended"]
    assert [c["retroactive"] for c in decided] == [False, True]


def test_standing_at_an_instant_agrees_with_its_sanctions(platform: Platform) -> None:
    """Issue #9, item 18: standing ignored ``at``, and once a suspension's period was over
    it answered ``suspended: false`` beside a sanction whose state read "active"."""
    platform.clock.set(datetime(2021, 12, 22, 2, tzinfo=UTC))
    op = platform.login(platform.world.operator_admin)
    made = op.post(
        "/api/v1/organisations/member/sanctions", json={"months": 6, "reason": "late report"}
    )
    assert made.status_code == 201, made.text
    platform.clock.set(datetime(2022, 3, 1, tzinfo=UTC))
    op = platform.login(platform.world.operator_admin)
    reinstated = op.post(
        f"/api/v1/sanctions/{made.json()['id']}/reassessment",
        json={"outcome": "reinstate", "reason": "reforms made"},
    )
    assert reinstated.status_code == 200, reinstated.text
    platform.clock.set(datetime(2026, 10, 1, tzinfo=UTC))
    op = platform.login(platform.world.operator_admin)

    def standing(at: str | None) -> dict[str, object]:
        params = {"at": at} if at else {}
        r = op.get("/api/v1/organisations/member/standing", params=params)
        assert r.status_code == 200, r.text
        body: dict[str, object] = r.json()
        return body

    expected = {  # at -> (suspended, the sanction's state, or None when not yet decided)
        "2021-12-22T01:59:59Z": (False, None),
        "2021-12-22T02:00:00Z": (True, "active"),
        "2022-01-10T00:00:00+08:00": (True, "active"),
        "2022-03-01T00:00:00Z": (False, "reinstated"),
        None: (False, "reinstated"),
    }
    for at, (suspended, state) in expected.items():
        body = standing(at)
        sanctions = body["sanctions"]
        assert isinstance(sanctions, list)
        assert body["suspended"] is suspended, at
        assert [s["state"] for s in sanctions] == ([state] if state else []), at
        assert [s["in_force"] for s in sanctions] == ([suspended] if state else []), at
        suspension = body["suspension"]
        assert (suspension is not None) is suspended, at
    assert standing("2022-01-10T00:00:00Z")["at"] == "2022-01-10T00:00:00Z"
    naive = op.get("/api/v1/organisations/member/standing", params={"at": "2022-01-10T00:00:00"})
    assert naive.status_code == 422
