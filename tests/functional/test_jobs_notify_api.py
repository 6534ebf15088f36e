"""Jobs, notifications, preferences and webhook subscriptions over real HTTP, on a real
server and database: who may do what, problem+json errors, cursor paging."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from clearinghouse.accounts.models import User
from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.jobs import api as jobs_api
from clearinghouse.jobs import queue
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.notify import api as notify_api
from clearinghouse.notify import service as notify
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.policy import MessageFacts, Sensitivity
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import Platform, make_settings
from tests.support.factory import seed
from tests.support.server import serve


@pytest.fixture
def site(database: Database, clock: FixedClock) -> Iterator[Platform]:
    settings = make_settings(database.url)
    app = create_app(settings, clock=clock, database=database)
    mounted = {getattr(r, "path", "") for r in app.routes}
    if "/api/v1/jobs" not in mounted:  # until the lead mounts the routers in create_app
        app.include_router(jobs_api.router)
    if "/api/v1/notifications" not in mounted:
        app.include_router(notify_api.router)
    world = seed(database, clock)
    with serve(app) as url:
        p = Platform(url=url, database=database, clock=clock, settings=settings, world=world)
        yield p
        p.close()


def _dead_jobs(site: Platform, n: int) -> list[str]:
    ids = []
    for i in range(n):
        with site.database.transaction() as s:
            job = queue.enqueue(
                s, "email.send", {"n": i}, now=site.clock.now() + timedelta(seconds=i)
            )
            s.execute(
                update(Job)
                .where(Job.id == job.id)
                .values(status=JobStatus.DEAD, attempts=8, last_error="SMTP said 550")
            )
            ids.append(str(job.id))
    return ids


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_operator_lists_and_reruns_dead_jobs(site: Platform) -> None:
    ids = _dead_jobs(site, 3)
    admin = site.login(site.world.operator_admin)
    first = admin.get("/api/v1/jobs", params={"status": "dead", "limit": 2}).json()
    assert [j["id"] for j in first["items"]] == [ids[2], ids[1]]
    assert first["items"][0]["last_error"] == "SMTP said 550"
    second = admin.get(
        "/api/v1/jobs", params={"status": "dead", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [j["id"] for j in second["items"]] == [ids[0]]
    assert second["next_cursor"] is None
    assert admin.get("/api/v1/jobs/counts").json()["dead"] == 3

    rerun = admin.post(f"/api/v1/jobs/{ids[0]}/requeue")
    assert rerun.status_code == 200, rerun.text
    assert (rerun.json()["status"], rerun.json()["attempts"]) == ("pending", 0)
    _problem(admin.post(f"/api/v1/jobs/{ids[0]}/requeue"), 409, "conflict")
    _problem(admin.get("/api/v1/jobs/00000000-0000-0000-0000-000000000000"), 404, "not-found")
    _problem(admin.get("/api/v1/jobs", params={"cursor": "garbage"}), 422, "invalid-input")
    trail = admin.get("/api/v1/audit", params={"object_type": "job", "object_id": ids[0]}).json()
    assert [e["action"] for e in trail["items"]] == ["job.requeued"]


def test_an_e_mails_text_is_never_shown_only_sent(site: Platform) -> None:
    """An e-mail's text carries invitation links and tracking tokens: the jobs API shows
    whom it is for and its subject, never its text, also when it is dead and re-run."""
    secret = "https://platform.example/invitations/very-secret-token"
    with site.database.transaction() as s:
        job = queue.enqueue(
            s,
            "email.send",
            {"to": "vendor@example.org", "subject": "You are invited", "text": secret},
            now=site.clock.now(),
        )
        job_id = str(job.id)
        s.execute(update(Job).where(Job.id == job.id).values(status=JobStatus.DEAD))
    admin = site.login(site.world.operator_admin)
    shown = [
        admin.get("/api/v1/jobs").text,
        admin.get(f"/api/v1/jobs/{job_id}").text,
        admin.post(f"/api/v1/jobs/{job_id}/requeue").text,
    ]
    assert all(secret not in text and "very-secret-token" not in text for text in shown)
    payload = admin.get(f"/api/v1/jobs/{job_id}").json()["payload"]
    assert payload == {
        "to": "vendor@example.org",
        "subject": "You are invited",
        "text": f"[withheld: {len(secret)} characters]",
    }
    with site.database.transaction(write=False) as s:
        stored = s.get(Job, job.id)
        assert stored is not None
        assert stored.payload["text"] == secret  # the handler still sends it whole


def test_jobs_are_for_operator_administrators_only(site: Platform) -> None:
    [job_id] = _dead_jobs(site, 1)
    _problem(site.client().get("/api/v1/jobs"), 401, "unauthenticated")
    for email in (site.world.member_admin, site.world.operator_analyst):
        _problem(site.login(email).post(f"/api/v1/jobs/{job_id}/requeue"), 403, "forbidden")


def test_preferences_and_my_notifications(site: Platform) -> None:
    viewer = site.login(site.world.member_viewer)
    assert viewer.get("/api/v1/me/notification-preferences").json() == {"notify_mode": "immediate"}
    changed = viewer.put("/api/v1/me/notification-preferences", json={"notify_mode": "digest"})
    assert changed.json() == {"notify_mode": "digest"}
    _problem(
        viewer.put("/api/v1/me/notification-preferences", json={"notify_mode": "hourly"}),
        422,
        "invalid-input",
    )
    with site.database.transaction() as s:
        users = s.scalars(
            select(User).where(User.email.in_([site.world.member_viewer, site.world.member_admin]))
        ).all()
        for i in range(3):
            notify.notify_users(
                s,
                users,
                MessageKind.CASE_MESSAGE,
                f"Update {i}",
                "Safe text.",
                "/cases/1",
                site.clock.now() + timedelta(minutes=i),
                about=MessageFacts(Sensitivity.PUBLIC),
            )
    page = viewer.get("/api/v1/notifications", params={"limit": 2}).json()
    assert [n["subject"] for n in page["items"]] == ["Update 2", "Update 1"]
    assert {n["delivery"] for n in page["items"]} == {"digest"}
    rest = viewer.get("/api/v1/notifications", params={"cursor": page["next_cursor"]}).json()
    assert [n["subject"] for n in rest["items"]] == ["Update 0"]
    read = viewer.post("/api/v1/notifications/read", json={"ids": [page["items"][0]["id"]]})
    assert read.json() == {"changed": 1}
    unread = viewer.get("/api/v1/notifications", params={"unread": "true"}).json()
    assert [n["subject"] for n in unread["items"]] == ["Update 1", "Update 0"]
    # someone else's notification cannot be marked by me
    admin = site.login(site.world.member_admin)
    theirs = admin.get("/api/v1/notifications").json()["items"][0]["id"]
    assert viewer.post("/api/v1/notifications/read", json={"ids": [theirs]}).json() == {
        "changed": 0
    }
    _problem(site.client().get("/api/v1/notifications"), 401, "unauthenticated")


def test_webhook_subscriptions_crud_by_the_organisations_admin(site: Platform) -> None:
    admin = site.login(site.world.member_admin)
    base = "/api/v1/organisations/member/webhooks"
    created = admin.post(
        base, json={"url": "https://hooks.member.test/ch", "event_types": ["advisory.published"]}
    )
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["secret"].startswith("whsec_")
    assert sub["active"] is True
    listed = admin.get(base).json()
    assert [s["id"] for s in listed] == [sub["id"]]
    assert "secret" not in listed[0]
    patched = admin.patch(f"{base}/{sub['id']}", json={"active": False, "event_types": ["*"]})
    assert (patched.json()["active"], patched.json()["event_types"]) == (False, ["*"])
    rotated = admin.post(f"{base}/{sub['id']}/rotate-secret").json()["secret"]
    assert rotated.startswith("whsec_")
    assert rotated != sub["secret"]
    assert admin.get(f"{base}/{sub['id']}/deliveries").json() == []
    _problem(
        admin.post(base, json={"url": "ftp://x.test/", "event_types": ["case.updated"]}),
        422,
        "invalid-input",
    )
    # a viewer of the organisation may not; another organisation does not see it
    _problem(site.login(site.world.member_viewer).get(base), 403, "forbidden")
    other = site.login(site.world.other_admin)
    _problem(other.get(f"{base}/{sub['id']}"), 404, "not-found")
    _problem(other.get(f"/api/v1/organisations/other/webhooks/{sub['id']}"), 404, "not-found")
    # the operator's administrators manage anyone's
    operator = site.login(site.world.operator_admin)
    assert operator.get(f"{base}/{sub['id']}").json()["id"] == sub["id"]
    assert admin.delete(f"{base}/{sub['id']}").status_code == 204
    _problem(admin.get(f"{base}/{sub['id']}"), 404, "not-found")
