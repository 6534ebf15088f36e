"""The embargo over real HTTP: an end with an IANA zone shown in each participant's zone,
per-vendor acceptance, proposals to move it, early exit with evidence (which records the
public-disclosure clock anchor), and the end reached by the scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clearinghouse.app import build_registry
from clearinghouse.jobs.worker import Worker
from tests.functional.conftest import Platform
from tests.support.cases import Coordinated, coordinate


@pytest.fixture
def coordinated(platform: Platform) -> Coordinated:
    return coordinate(platform)


def _link(platform: Platform, c: Coordinated):  # type: ignore[no-untyped-def]
    return platform.client(headers={"Authorization": f"Invite {c.outside_token}"})


def test_proposal_shown_in_each_participants_zone_then_accepted_by_all(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}/embargo"
    r = coordinated.coordinator.post(
        f"{base}/propose", json={"ends_at": "2026-10-20T09:00:00", "timezone": "Asia/Shanghai"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "proposed"
    assert body["ends_at"] == "2026-10-20T01:00:00Z"
    assert body["timezone"] == "Asia/Shanghai"
    assert sorted(map(str, body["required"])) == sorted(
        [coordinated.vendor_participant, coordinated.outside_participant]
    )
    # the vendor's user lives in Europe/Berlin (summer time on that day)
    vendor_view = coordinated.vendor.get(base).json()
    assert vendor_view["viewer_timezone"] == "Europe/Berlin"
    assert vendor_view["ends_at_local"] == "2026-10-20T03:00:00+02:00 CEST"
    # a vendor by link has no account: the zone the end was agreed in, or one it asks for
    link = _link(platform, coordinated)
    assert link.get(base).json()["ends_at_local"] == "2026-10-20T09:00:00+08:00 CST"
    assert link.get(f"{base}?tz=America/New_York").json()["ends_at_local"] == (
        "2026-10-19T21:00:00-04:00 EDT"
    )
    # the case view carries the same rendering
    case = coordinated.vendor.get(f"/api/v1/cases/{coordinated.case}").json()
    assert case["embargo"]["ends_at_local"] == "2026-10-20T03:00:00+02:00 CEST"

    assert link.post(f"{base}/reject", json={}).status_code == 422  # a rejection says why
    r = link.post(f"{base}/reject", json={"comment": "we need until the 27th"})
    assert r.json()["state"] == "proposed"
    r = link.post(f"{base}/accept", json={"comment": "fine after all"})
    assert r.json()["state"] == "proposed"
    r = coordinated.vendor.post(f"{base}/accept", json={})
    assert r.status_code == 200
    active = r.json()
    assert active["state"] == "active"
    assert active["activated_at"] is not None
    events = [
        e["type"]
        for e in coordinated.coordinator.get(
            f"/api/v1/cases/{coordinated.case}/timeline?limit=500"
        ).json()["items"]
    ]
    assert events.count("embargo_proposed") == 1
    assert events.count("embargo_rejected") == 1
    assert events.count("embargo_accepted") == 2
    assert events.count("embargo_activated") == 1


def test_only_coordinators_propose_activate_and_exit(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}/embargo"
    end = {"ends_at": "2026-10-20T09:00:00+08:00", "timezone": "Asia/Shanghai"}
    assert coordinated.vendor.post(f"{base}/propose", json=end).status_code == 403
    assert (
        coordinated.coordinator.post(
            f"{base}/propose", json={**end, "timezone": "Mars/Olympus"}
        ).json()["code"]
        == "unknown-time-zone"
    )
    assert (
        coordinated.coordinator.post(
            f"{base}/propose", json={"ends_at": "2026-09-01T00:00:00Z", "timezone": "UTC"}
        ).status_code
        == 422
    )  # past
    assert coordinated.coordinator.post(f"{base}/accept", json={}).status_code == 409
    assert coordinated.coordinator.post(f"{base}/propose", json=end).status_code == 200
    assert coordinated.vendor.post(f"{base}/activate", json={"reason": "x"}).status_code == 403
    r = coordinated.coordinator.post(
        f"{base}/activate", json={"reason": "the fix ships on the 20th"}
    )
    assert r.json()["state"] == "active"
    assert r.json()["answers"] == []
    assert (
        coordinated.vendor.post(
            f"{base}/exit", json={"category": "coordinator_decision"}
        ).status_code
        == 403
    )


def test_move_proposed_by_a_vendor_then_withdrawn(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}/embargo"
    coordinated.coordinator.post(
        f"{base}/propose", json={"ends_at": "2026-10-20T09:00:00", "timezone": "Europe/Berlin"}
    )
    coordinated.coordinator.post(f"{base}/activate", json={"reason": "go"})
    move = {"ends_at": "2026-10-27T09:00:00", "timezone": "Europe/Berlin"}
    assert coordinated.vendor.post(f"{base}/propose-move", json=move).status_code == 422
    r = coordinated.vendor.post(
        f"{base}/propose-move", json={**move, "reason": "the backport needs a week"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "revising"
    assert body["pending_ends_at"] == "2026-10-27T08:00:00Z"  # CET from 25 October
    assert body["pending_ends_at_local"] == "2026-10-27T09:00:00+01:00 CET"
    assert body["ends_at"] == "2026-10-20T07:00:00Z"  # the agreed end holds meanwhile
    r = coordinated.coordinator.post(f"{base}/withdraw-move", json={"reason": "not needed"})
    assert (r.json()["state"], r.json()["pending_ends_at"]) == ("active", None)


def test_early_exit_needs_evidence_and_records_public_disclosure(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}/embargo"
    coordinated.coordinator.post(
        f"{base}/propose", json={"ends_at": "2026-10-20T09:00:00", "timezone": "UTC"}
    )
    coordinated.coordinator.post(f"{base}/activate", json={"reason": "go"})
    platform.clock.advance(timedelta(days=2))
    r = coordinated.coordinator.post(f"{base}/exit", json={"category": "public_disclosure_seen"})
    assert r.status_code == 422
    seen_at = datetime(2026, 10, 2, 14, 30, tzinfo=UTC)
    r = coordinated.coordinator.post(
        f"{base}/exit",
        json={
            "category": "public_disclosure_seen",
            "evidence_url": "https://github.com/example/poc",
            "evidence": "a public proof of concept",
            "occurred_at": seen_at.isoformat(),
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["state"], body["exit_category"]) == ("exited", "public_disclosure_seen")
    assert body["exit_evidence"]["url"] == "https://github.com/example/poc"
    events = coordinated.coordinator.get(
        f"/api/v1/cases/{coordinated.case}/timeline?limit=500"
    ).json()["items"]
    (disclosure,) = [e for e in events if e["type"] == "public_disclosure"]
    assert disclosure["occurred_at"] == "2026-10-02T14:30:00Z"
    assert disclosure["recorded_at"] == "2026-10-03T10:00:00Z"
    assert "github.com/example/poc" in disclosure["evidence"]
    assert (
        coordinated.coordinator.post(
            f"{base}/exit", json={"category": "coordinator_decision"}
        ).status_code
        == 409
    )


def test_end_reached_is_recorded_by_the_scheduler(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}/embargo"
    coordinated.coordinator.post(
        f"{base}/propose", json={"ends_at": "2026-10-05T10:00:00Z", "timezone": "UTC"}
    )
    coordinated.coordinator.post(f"{base}/activate", json={"reason": "go"})
    worker = Worker(
        platform.database,
        build_registry(platform.settings),
        platform.clock,
        platform.settings,
        "test",
    )
    worker.run_until_idle()
    assert coordinated.coordinator.get(base).json()["state"] == "active"
    platform.clock.set(datetime(2026, 10, 5, 10, 0, 1, tzinfo=UTC))
    worker.run_until_idle()
    body = coordinated.coordinator.get(base).json()
    assert (body["state"], body["exit_category"]) == ("exited", "end_reached")
    assert body["exited_at"] == "2026-10-05T10:00:00Z"


def test_a_vendor_added_later_must_accept_the_open_proposal(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    coordinated.coordinator.post(
        f"{base}/embargo/propose", json={"ends_at": "2026-10-20T09:00:00", "timezone": "UTC"}
    )
    r = coordinated.coordinator.post(
        f"{base}/participants", json={"email": "security@third.test", "name": "Third vendor"}
    )
    assert r.status_code == 201
    third = r.json()["id"]
    required = coordinated.coordinator.get(f"{base}/embargo").json()["required"]
    assert third in map(str, required)
    coordinated.vendor.post(f"{base}/embargo/accept", json={})
    _link(platform, coordinated).post(f"{base}/embargo/accept", json={})
    assert coordinated.coordinator.get(f"{base}/embargo").json()["state"] == "proposed"
    assert coordinated.coordinator.delete(f"{base}/participants/{third}").status_code == 204
    assert coordinated.coordinator.get(f"{base}/embargo").json()["state"] == "active"
