"""The timeline over real HTTP: clock anchors recorded with a past ``occurred_at``,
corrections that supersede, who may record what, cursor paging, the export, and the
audit chain that every step extends."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.functional.conftest import Platform
from tests.support.cases import Coordinated, coordinate


@pytest.fixture
def coordinated(platform: Platform) -> Coordinated:
    return coordinate(platform)


def test_recording_clock_anchors(platform: Platform, coordinated: Coordinated) -> None:
    url = f"/api/v1/cases/{coordinated.case}/events"
    post = coordinated.coordinator.post
    r = post(
        url,
        json={
            "type": "aware",
            "occurred_at": "2026-09-28T08:00:00Z",
            "evidence": "internal ticket SEC-1",
        },
    )
    assert r.status_code == 201, r.text
    aware = r.json()
    assert aware["occurred_at"] == "2026-09-28T08:00:00Z"
    assert aware["recorded_at"] == "2026-10-01T10:00:00Z"
    assert aware["recorded_by"] == platform.world.member_admin
    assert (
        post(url, json={"type": "aware", "occurred_at": "2026-10-09T00:00:00Z"}).status_code == 422
    )
    naive = post(url, json={"type": "aware", "occurred_at": "2026-09-28T08:00:00"})
    assert naive.status_code == 422, naive.text  # not an instant (was a 500)
    assert naive.json()["field"] == "occurred_at"
    assert (
        post(
            url, json={"type": "vendor_invited", "occurred_at": "2026-09-28T08:00:00Z"}
        ).status_code
        == 422
    )
    assert (
        post(
            url, json={"type": "report_submitted", "occurred_at": "2026-09-29T08:00:00Z"}
        ).status_code
        == 422
    )
    r = post(
        url,
        json={
            "type": "report_submitted",
            "occurred_at": "2026-09-29T08:00:00Z",
            "data": {"regime": "cn-miit-2021", "stage": "report", "reference": "NVDB-1"},
        },
    )
    assert r.status_code == 201, r.text
    # a correction is a new event superseding the old one
    r = post(
        url,
        json={"type": "aware", "occurred_at": "2026-09-27T18:00:00Z", "supersedes_id": aware["id"]},
    )
    assert r.status_code == 201
    assert r.json()["supersedes_id"] == aware["id"]
    r = post(url, json={"type": "withdrawn", "occurred_at": "2026-09-27T18:00:00Z"})
    assert r.status_code == 422  # a withdrawal names what it withdraws
    # a case-wide fact, by the coordinator
    r = post(
        url,
        json={
            "type": "exploitation_known",
            "occurred_at": "2026-09-30T00:00:00Z",
            "organisation": "case",
        },
    )
    assert r.status_code == 201
    assert r.json()["org_id"] is None


def test_participants_record_only_about_themselves(
    platform: Platform, coordinated: Coordinated
) -> None:
    url = f"/api/v1/cases/{coordinated.case}/events"
    ok = coordinated.vendor.post(
        url, json={"type": "fix_available", "occurred_at": "2026-09-30T00:00:00Z"}
    )
    assert ok.status_code == 201
    for organisation in ("member", "case"):
        r = coordinated.vendor.post(
            url,
            json={
                "type": "aware",
                "organisation": organisation,
                "occurred_at": "2026-09-30T00:00:00Z",
            },
        )
        assert r.status_code == 422, organisation
    with platform.client(headers={"Authorization": f"Invite {coordinated.outside_token}"}) as link:
        r = link.post(url, json={"type": "fix_available", "occurred_at": "2026-09-30T00:00:00Z"})
    assert r.status_code == 422  # no organisation to record it for


def test_timeline_pages_by_cursor_in_order(platform: Platform, coordinated: Coordinated) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    everything = coordinated.coordinator.get(f"{base}/timeline?limit=500").json()
    assert everything["next_cursor"] is None
    items = everything["items"]
    assert items[0]["type"] == "case_opened"
    keys = [(e["occurred_at"], e["recorded_at"]) for e in items]
    assert keys == sorted(keys)
    paged, cursor = [], None
    while True:
        page = coordinated.coordinator.get(
            f"{base}/timeline", params={"limit": 3, **({"cursor": cursor} if cursor else {})}
        ).json()
        paged.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [e["id"] for e in paged] == [e["id"] for e in items]
    bad = coordinated.coordinator.get(f"{base}/timeline?cursor=bm9wZQ")
    assert bad.status_code == 422


def test_export_and_cli_and_the_audit_chain(
    platform: Platform, coordinated: Coordinated, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    coordinated.vendor.post(
        f"{base}/statuses",
        json={"vulnerability_id": coordinated.vuln, "status": "fixed", "fixed_version": "2.15.0"},
    )
    document = coordinated.coordinator.get(f"{base}/export").json()
    assert document["schema"].endswith("case-export/1")
    assert document["case"]["public_id"] == coordinated.case
    (v,) = document["vulnerabilities"]
    assert v["affected"][0]["package"] == {
        "ecosystem": "Maven",
        "name": "org.apache.logging.log4j:log4j-core",
        "purl": "pkg:maven/org.apache.logging.log4j/log4j-core",
    }
    (status,) = [s for s in document["vendor_statuses"] if s["current"]]
    assert (status["status"], status["vex_status"], status["fixed_version"]) == (
        "fixed",
        "fixed",
        "2.15.0",
    )
    assert {e["type"] for e in document["timeline"]} >= {
        "case_opened",
        "vendor_invited",
        "vendor_status_changed",
        "fix_available",
    }

    from clearinghouse.cases.cli import app as case_app

    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", platform.database.url)
    runner = CliRunner()
    listed = runner.invoke(case_app, ["list"])
    assert listed.exit_code == 0, listed.output
    assert coordinated.case in listed.output
    exported = runner.invoke(case_app, ["export", coordinated.case])
    assert exported.exit_code == 0, exported.output
    import json

    cli_doc = json.loads(exported.stdout)
    assert cli_doc["case"] == document["case"]
    assert cli_doc["timeline"] == document["timeline"]
    shown = runner.invoke(case_app, ["show", coordinated.case])
    assert shown.exit_code == 0
    assert "Vendor-A" in shown.output
    missing = runner.invoke(case_app, ["show", "CH-1999-0001"])
    assert missing.exit_code == 3

    admin = platform.login(platform.world.operator_admin)
    verified = admin.get("/api/v1/audit/verify").json()
    assert verified["ok"] is True
    trail = admin.get(
        "/api/v1/audit", params={"object_type": "case", "object_id": coordinated.case, "limit": 500}
    ).json()["items"]
    actions = {e["action"] for e in trail}
    assert {
        "case.opened",
        "case.vendor_invited",
        "case.vendor_status",
        "case.event.fix_available",
    } <= actions


def test_participants_see_shared_events_and_their_own_only(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    coordinated.coordinator.post(
        f"{base}/events",
        json={
            "type": "report_submitted",
            "occurred_at": "2026-09-30T00:00:00Z",
            "data": {"regime": "cn-miit-2021", "stage": "report"},
        },
    )
    coordinated.vendor.post(
        f"{base}/events", json={"type": "aware", "occurred_at": "2026-09-30T00:00:00Z"}
    )
    everything = coordinated.coordinator.get(f"{base}/timeline?limit=500").json()["items"]
    seen_by_vendor = coordinated.vendor.get(f"{base}/timeline?limit=500").json()["items"]
    with platform.client(headers={"Authorization": f"Invite {coordinated.outside_token}"}) as link:
        seen_by_link = link.get(f"{base}/timeline?limit=500").json()["items"]
    types = {e["type"] for e in everything}
    assert {"report_submitted", "aware", "vendor_invited"} <= types
    # the coordinator's regulator submission is its own business
    assert "report_submitted" not in {e["type"] for e in seen_by_vendor}
    assert "aware" in {e["type"] for e in seen_by_vendor}  # its own
    assert not {"aware", "report_submitted"} & {e["type"] for e in seen_by_link}
    assert all(e["participant_id"] in (None, coordinated.outside_participant) for e in seen_by_link)
    assert "case_opened" in {e["type"] for e in seen_by_link}
