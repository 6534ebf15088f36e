"""The member's pages over HTTP on the Log4Shell replay: the dashboard's countdown, the
obligations with basis, flags and alerts, the regulator's report drafted from the case,
printed and marked submitted (which settles the obligation in the API too), notices
marked read, API tokens shown once and revoked, webhooks added, tested and removed,
notification preferences. Payloads in the fields these pages show stay text.
The stories that write run on SQLite and PostgreSQL; the other checks on SQLite (the
pages do not differ by backend)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from clearinghouse.accounts.models import User
from clearinghouse.db import Database
from clearinghouse.jobs.models import Job
from clearinghouse.notify.models import Notification
from tests.support.replay_web import CASE, MEMBER, OPERATOR, PASSWORD, Replayed, replayed
from tests.support.web import HTML, csrf_of, get, sign_in, submit

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'"
SUBMISSION = re.compile(r'data-submission-id="([0-9a-f-]{36})"')
PATH = re.compile(r"/submissions/([0-9a-f-]{36})")


@pytest.fixture
def world(database: Database) -> Iterator[Replayed]:
    with replayed(database) as running:
        yield running


def _member(world: Replayed) -> httpx.Client:
    c = world.client()
    assert sign_in(c, MEMBER, PASSWORD).status_code == 303
    return c


def _draft(c: httpx.Client) -> tuple[str, httpx.Response]:
    page = get(c, "/obligations")
    form = {
        "organisation": "alibaba-cloud",
        "subject": CASE,
        "regime": "cn-miit-2021",
        "stage": "report",
    }
    made = c.post("/obligations/draft", data={"csrf_token": csrf_of(page.text), **form})
    assert made.status_code == 303, made.text[:500]
    found = PATH.search(made.headers["location"])
    assert found is not None
    return found.group(1), get(c, made.headers["location"])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_dashboard_counts_down_to_the_obligation_due(world: Replayed) -> None:
    c = _member(world)
    page = get(c, "/work")
    assert page.status_code == 200, page.text[:500]
    row = re.search(
        r'data-obligation="alibaba-cloud/CH-2021-0001/cn-miit-2021/report"[^>]*>(.*?)</tr>',
        page.text,
        re.S,
    )
    assert row is not None, page.text[:3000]
    assert 'data-status="due_soon"' in row.group(1)
    assert 'data-due="2021-11-26T02:00:00Z"' in row.group(1)
    assert "due in 23 hr" in row.group(1)  # 03:00 -> 02:00 the next day
    assert "countdown.js" in page.text
    assert CASE in page.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_obligations_page_shows_basis_flags_and_alerts(world: Replayed) -> None:
    c = _member(world)
    page = get(c, "/obligations").text
    api = c.get("/api/v1/obligations").json()["obligations"]
    keys = {f"{o['organisation']}/{o['subject']}/{o['regime']}/{o['stage']}" for o in api}
    shown = set(re.findall(r'<article class="obligation"[^>]*data-obligation="([^"]+)"', page))
    assert shown == keys
    miit = next(o for o in api if o["regime"] == "cn-miit-2021" and o["stage"] == "report")
    assert miit["basis"]["reason"] in page or "product_provider" in page
    for o in api:
        for alert in o["alerts_fired"]:
            assert f'data-alert="{alert["kind"]}"' in page
    filtered = get(c, "/obligations", params={"status": "due_soon"}).text
    assert 'data-status="met"' not in filtered


def test_a_report_is_drafted_printed_and_marked_submitted(world: Replayed) -> None:
    c = _member(world)
    submission_id, draft = _draft(c)
    assert draft.status_code == 200
    assert "Apache Log4j" in draft.text or "log4j" in draft.text.lower()  # from the case
    printed = get(c, f"/submissions/{submission_id}/print")
    assert printed.status_code == 200
    assert "printable" in printed.text
    assert '<form class="stack"' not in printed.text

    missing = submit(
        c,
        f"/submissions/{submission_id}",
        f"/submissions/{submission_id}/submit",
        {"reference": ""},
    )
    assert missing.status_code == 422
    assert 'href="#reference"' in missing.text
    done = submit(
        c,
        f"/submissions/{submission_id}",
        f"/submissions/{submission_id}/submit",
        {"reference": "MIIT-2021-1125-7", "recipient": "MIIT CSTIS"},
    )
    assert done.status_code == 303, done.text[:500]
    api = c.get(f"/api/v1/submissions/{submission_id}").json()
    assert (api["state"], api["reference"]) == ("submitted", "MIIT-2021-1125-7")
    obligations = c.get("/api/v1/obligations").json()["obligations"]
    miit = next(o for o in obligations if (o["regime"], o["stage"]) == ("cn-miit-2021", "report"))
    assert miit["status"] == "met"
    shown = get(c, f"/submissions/{submission_id}").text
    assert 'data-state="submitted"' in shown
    assert "MIIT-2021-1125-7" in shown


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_another_member_cannot_tell_a_submission_from_a_missing_one(world: Replayed) -> None:
    c = _member(world)
    submission_id, _ = _draft(c)
    other = world.client()
    assert sign_in(other, "pmc@logging.apache.example", PASSWORD).status_code in (303, 401)
    real = get(other, f"/submissions/{submission_id}")
    fake = get(other, "/submissions/00000000-0000-0000-0000-000000000007")
    assert real.status_code == fake.status_code
    assert real.status_code in (401, 404)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_notices_are_marked_read(world: Replayed, database: Database) -> None:
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == MEMBER)).one()
        ids = [
            str(n.id)
            for n in s.scalars(select(Notification).where(Notification.user_id == user.id))
        ]
        unread = [
            str(n.id)
            for n in s.scalars(
                select(Notification).where(
                    Notification.user_id == user.id, Notification.read_at.is_(None)
                )
            )
        ]
    c = _member(world)
    page = get(c, "/work").text
    for notice in ids[:20]:
        assert f'data-notification-id="{notice}"' in page
    assert unread, "the replay leaves the member unread notices to mark"
    marked = submit(c, "/work", "/notifications/read", {"id": unread[0]})
    assert marked.status_code == 303
    api = c.get("/api/v1/notifications", params={"unread": "true", "limit": 200}).json()
    assert unread[0] not in {n["id"] for n in api["items"]}


def test_a_token_is_shown_once_and_revoked(world: Replayed) -> None:
    c = _member(world)
    made = submit(
        c,
        "/settings/tokens",
        "/settings/tokens",
        {"name": XSS, "scopes": "read", "expires_in_days": "30"},
    )
    assert made.status_code == 200, made.text[:500]
    secret = re.search(r"data-new-token>([^<]+)<", made.text)
    assert secret is not None
    token = secret.group(1)
    assert "<script>alert(1)" not in made.text
    assert "&lt;script&gt;" in made.text
    listed = get(c, "/settings/tokens").text
    assert token not in listed  # shown once
    by_token = world.client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert by_token.status_code == 200
    token_id = re.search(r'data-token-id="([0-9a-f-]{36})"', listed)
    assert token_id is not None
    revoked = submit(c, "/settings/tokens", f"/settings/tokens/{token_id.group(1)}/revoke", {})
    assert revoked.status_code == 303
    after = world.client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_empty_token_form_names_its_fields(world: Replayed) -> None:
    c = _member(world)
    refused = submit(c, "/settings/tokens", "/settings/tokens", {"name": ""})
    assert refused.status_code == 422
    assert 'href="#name"' in refused.text
    assert 'href="#scopes"' in refused.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_webhook_is_added_tested_and_removed(world: Replayed, database: Database) -> None:
    c = _member(world)
    bad = submit(
        c, "/settings/webhooks", "/settings/webhooks", {"url": "ftp://x", "event_types": "*"}
    )
    assert bad.status_code == 422
    assert 'href="#url"' in bad.text
    added = submit(
        c,
        "/settings/webhooks",
        "/settings/webhooks",
        {"url": "https://hooks.example/in", "event_types": "*", "description": XSS},
    )
    assert added.status_code == 200, added.text[:500]
    assert re.search(r"data-new-secret>whsec_", added.text)
    assert "<img src=x" not in added.text
    hook = re.search(r'data-subscription-id="([0-9a-f-]{36})"', added.text)
    assert hook is not None
    assert "whsec_" not in get(c, "/settings/webhooks").text  # shown once
    tested = submit(c, "/settings/webhooks", f"/settings/webhooks/{hook.group(1)}/test", {})
    assert tested.status_code == 303
    with database.transaction() as s:
        jobs = s.scalars(select(Job).where(Job.kind == "webhook.deliver")).all()
        assert any(j.payload.get("event_type") == "webhook.test" for j in jobs)
    removed = submit(c, "/settings/webhooks", f"/settings/webhooks/{hook.group(1)}/delete", {})
    assert removed.status_code == 303
    assert c.get("/api/v1/organisations/alibaba-cloud/webhooks").json() == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_notification_preferences_are_saved(world: Replayed) -> None:
    c = _member(world)
    saved = submit(
        c, "/settings/notifications", "/settings/notifications", {"notify_mode": "digest"}
    )
    assert saved.status_code == 303
    assert c.get("/api/v1/me/notification-preferences").json() == {"notify_mode": "digest"}


@pytest.mark.parametrize(
    "path",
    [
        "/obligations/draft",
        "/notifications/read",
        "/settings/tokens",
        "/settings/webhooks",
        "/settings/notifications",
    ],
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_form_refuses_a_post_without_its_csrf_token(world: Replayed, path: str) -> None:
    c = _member(world)
    refused = c.post(path, data={"name": "x"}, headers=HTML)
    assert refused.status_code == 403


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_operator_reads_every_members_obligations(world: Replayed) -> None:
    c = world.client()
    assert sign_in(c, OPERATOR, PASSWORD).status_code == 303
    page = get(c, "/obligations")
    assert page.status_code == 200
    assert "alibaba-cloud/CH-2021-0001/cn-miit-2021/report" in page.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_forms_on_one_resource_change_nothing_without_their_token(world: Replayed) -> None:
    c = _member(world)
    submission_id, _ = _draft(c)
    made = submit(c, "/settings/tokens", "/settings/tokens", {"name": "ci", "scopes": "read"})
    token_id = re.search(r'data-token-id="([0-9a-f-]{36})"', made.text)
    hooked = submit(
        c,
        "/settings/webhooks",
        "/settings/webhooks",
        {"url": "https://hooks.example/in", "event_types": "*"},
    )
    hook_id = re.search(r'data-subscription-id="([0-9a-f-]{36})"', hooked.text)
    assert token_id is not None
    assert hook_id is not None
    for path, data in [
        (f"/submissions/{submission_id}", {"field-product": "changed"}),
        (f"/submissions/{submission_id}/submit", {"reference": "X-1"}),
        (f"/settings/tokens/{token_id.group(1)}/revoke", {}),
        (f"/settings/webhooks/{hook_id.group(1)}/test", {}),
        (f"/settings/webhooks/{hook_id.group(1)}/delete", {}),
    ]:
        for token in (None, "forged"):
            form = data if token is None else {**data, "csrf_token": token}
            assert c.post(path, data=form, headers=HTML).status_code == 403, path
    assert c.get(f"/api/v1/submissions/{submission_id}").json()["state"] == "draft"
    tokens = {t["id"]: t for t in c.get("/api/v1/tokens", params={"limit": 200}).json()["items"]}
    assert tokens[token_id.group(1)]["revoked_at"] is None
    assert len(c.get("/api/v1/organisations/alibaba-cloud/webhooks").json()) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_dashboard_shows_the_suspension_as_it_stood(database: Database) -> None:
    with replayed(database, at=datetime(2022, 1, 10, tzinfo=UTC)) as later:
        c = later.client()
        assert sign_in(c, MEMBER, PASSWORD).status_code == 303
        page = get(c, "/work").text
        api = c.get("/api/v1/organisations/alibaba-cloud/standing").json()
        assert api["suspended"] is True
        assert 'data-suspended="true"' in page
        assert api["suspension"]["reassessment_at"][:19] + "Z" in page  # <time datetime>
        for regime in api["record"]:
            assert f'data-regime="{regime["regime"]}"' in page


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_dashboard_says_good_standing_before_any_sanction(world: Replayed) -> None:
    page = get(_member(world), "/work").text
    assert 'data-suspended="false"' in page
