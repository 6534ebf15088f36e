"""The operator's members, audit and jobs pages, and the member's own standing, on the
Log4Shell replay: standing badges, a member's page now and "as at" a past instant (the
suspension as it stood in 2021, the standing before it), reassessment decisions and regime
overrides through the forms, the audit trail with its filters and ``at``, the chain's head,
dead letters requeued. Each page shows what the API shows the same principal."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from clearinghouse.db import Database
from tests.support.replayed import (
    ADMIN,
    ANALYST,
    MEMBER,
    MEMBER_ADMIN,
    PASSWORD,
    Replayed,
    replayed,
)
from tests.support.web import HTML, csrf_of, get, sign_in, title_of

BEFORE = "2021-12-21T12:00:00Z"  # the day before the suspension
DURING = "2021-12-23T00:00"  # a local instant, as the page's field sends it (Asia/Shanghai)
XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


_OPEN: list[httpx.Client] = []


@pytest.fixture
def site(database: Database) -> Iterator[Replayed]:
    with replayed(database) as running:
        yield running
        while _OPEN:
            _OPEN.pop().close()


def _client(site: Replayed, **kwargs: object) -> httpx.Client:
    c = httpx.Client(base_url=site.url, **kwargs)  # type: ignore[arg-type]
    _OPEN.append(c)
    return c


def _browser(site: Replayed, email: str) -> httpx.Client:
    c = _client(site, headers=HTML)
    assert sign_in(c, email, PASSWORD).status_code == 303
    return c


def _api(site: Replayed, email: str) -> httpx.Client:
    c = _client(site)
    r = c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def _data(page: str, name: str) -> list[str]:
    return re.findall(rf'{name}="([^"]*)"', page)


def test_members_list_badges_now_and_before_the_suspension(site: Replayed) -> None:
    op = _browser(site, ADMIN)
    now = get(op, "/members")
    assert now.status_code == 200
    row = re.search(r'<tr data-org="alibaba-cloud">.*?</tr>', now.text, re.S)
    assert row is not None
    assert 'data-standing="suspended"' in row.group(0)
    orgs = _api(site, ADMIN).get("/api/v1/organisations").json()["items"]
    assert _data(now.text, "data-org") == [o["slug"] for o in orgs]
    before = get(op, "/members", params={"at": BEFORE})
    row = re.search(r'<tr data-org="alibaba-cloud">.*?</tr>', before.text, re.S)
    assert row is not None
    assert 'data-standing="good"' in row.group(0)
    assert 'data-at="2021-12-21T12:00:00Z"' in before.text
    assert get(op, "/members", params={"at": "yesterday"}).status_code == 422
    suspended = get(op, "/members", params={"standing": "suspended"}).text
    assert _data(suspended, "data-org") == [MEMBER]
    good = _data(get(op, "/members", params={"standing": "good"}).text, "data-org")
    assert MEMBER not in good
    assert "example-hosting" in good
    then = get(op, "/members", params={"standing": "suspended", "at": BEFORE}).text
    assert _data(then, "data-org") == []


def test_the_member_as_at_2021_shows_the_suspension_as_it_stood(site: Replayed) -> None:
    op = _browser(site, ADMIN)
    api = _api(site, ADMIN)
    # The suspension is extended now: as at 2021-12-23 it still ends on 2022-06-22.
    [sanction] = api.get(f"/api/v1/organisations/{MEMBER}/standing").json()["sanctions"]
    page = get(op, f"/members/{MEMBER}")
    token = csrf_of(page.text)
    extended = op.post(
        f"/members/{MEMBER}/sanctions/{sanction['id']}/reassessment",
        data={
            "csrf_token": token,
            "outcome": "extend",
            "extend_months": "3",
            "reason": "no reforms yet",
        },
    )
    assert extended.status_code == 303, extended.text[:2000]
    now = api.get(f"/api/v1/organisations/{MEMBER}/standing").json()
    assert now["sanctions"][0]["ends_at"].startswith("2022-09-22")
    then = api.get(
        f"/api/v1/organisations/{MEMBER}/standing", params={"at": "2021-12-22T16:00:00Z"}
    ).json()
    assert then["suspended"] is True
    assert then["sanctions"][0]["ends_at"].startswith("2022-06-22")
    assert then["sanctions"][0]["reassessment_at"].startswith("2022-06-22")

    historical = get(op, f"/members/{MEMBER}", params={"at": DURING})
    assert historical.status_code == 200
    text = historical.text
    assert 'data-at="2021-12-22T16:00:00Z"' in text  # the viewer's zone is Asia/Shanghai
    assert "Historical view" in text
    assert 'data-suspended="true"' in text
    assert _data(text, "data-sanction-id") == [sanction["id"]]
    assert 'datetime="2022-06-22T02:00:00Z"' in text
    assert "2022-09-22" not in text
    assert "/reassessment" not in text  # nothing is decided in a historical view
    assert "as at" in title_of(text)

    before = get(op, f"/members/{MEMBER}", params={"at": BEFORE})
    assert 'data-suspended="false"' in before.text
    assert _data(before.text, "data-sanction-id") == []
    assert (
        "missed" in api.get(f"/api/v1/organisations/{MEMBER}/standing", params={"at": BEFORE}).text
    )  # the record before the suspension: the missed reports


def test_reinstating_and_an_override_through_the_forms(site: Replayed) -> None:
    op = _browser(site, ADMIN)
    api = _api(site, ADMIN)
    [sanction] = api.get(f"/api/v1/organisations/{MEMBER}/standing").json()["sanctions"]
    token = csrf_of(get(op, f"/members/{MEMBER}").text)
    forged = op.post(
        f"/members/{MEMBER}/sanctions/{sanction['id']}/reassessment",
        data={"outcome": "reinstate", "reason": "forged"},
    )
    assert forged.status_code == 403
    assert api.get(f"/api/v1/organisations/{MEMBER}/standing").json()["suspended"] is True
    refused = op.post(
        f"/members/{MEMBER}/sanctions/{sanction['id']}/reassessment",
        data={"csrf_token": token, "outcome": "extend", "extend_months": "999", "reason": "x"},
    )
    assert refused.status_code == 422
    assert 'href="#extend_months"' in refused.text
    done = op.post(
        f"/members/{MEMBER}/sanctions/{sanction['id']}/reassessment",
        data={"csrf_token": token, "outcome": "reinstate", "reason": f"reforms made {XSS}"},
    )
    assert done.status_code == 303
    assert api.get(f"/api/v1/organisations/{MEMBER}/standing").json()["suspended"] is False
    override = op.post(
        f"/members/{MEMBER}/regime-overrides",
        data={
            "csrf_token": token,
            "regime": "cn-miit-2021",
            "subject": "",
            "applies": "false",
            "override_reason": f"not a product provider {XSS}",
        },
    )
    assert override.status_code == 303, override.text[:2000]
    standing = api.get(f"/api/v1/organisations/{MEMBER}/standing").json()
    [o] = standing["overrides"]
    miit = [r for r in standing["record"] if r["regime"] == "cn-miit-2021"]
    assert miit == [] or miit[0]["missed"] == 0  # the regime no longer binds it
    then = api.get(
        f"/api/v1/organisations/{MEMBER}/standing", params={"at": "2021-12-23T00:00:00Z"}
    ).json()
    assert then["overrides"] == []  # decided in 2022: as the record stood, still bound
    assert {r["regime"]: r["missed"] for r in then["record"]}["cn-miit-2021"] == 1
    page = get(op, f"/members/{MEMBER}").text
    assert _data(page, "data-override-id") == [o["id"]]
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)" in page
    trail = api.get("/api/v1/audit", params={"action": "member.", "limit": 500}).json()["items"]
    assert [e["action"] for e in trail][-1] == "member.reassessed.reinstate"


def test_the_operator_suspends_a_member_from_its_page(site: Replayed) -> None:
    op = _browser(site, ADMIN)
    page = get(op, "/members/example-hosting")
    assert 'id="suspend-form"' in page.text
    assert 'id="suspend-form"' not in get(op, f"/members/{MEMBER}").text  # already suspended
    token = csrf_of(page.text)
    refused = op.post(
        "/members/example-hosting/sanctions",
        data={"csrf_token": token, "suspend_months": "0", "suspend_reason": "late"},
    )
    assert refused.status_code == 422
    assert 'href="#suspend_months"' in refused.text
    done = op.post(
        "/members/example-hosting/sanctions",
        data={"csrf_token": token, "suspend_months": "6", "suspend_reason": f"late {XSS}"},
    )
    assert done.status_code == 303
    standing = _api(site, ADMIN).get("/api/v1/organisations/example-hosting/standing").json()
    assert standing["suspended"] is True
    [sanction] = standing["sanctions"]
    assert sanction["starts_at"] == "2022-01-10T00:00:00Z"  # now: nothing backdated
    assert sanction["reassessment_at"] == "2022-07-10T00:00:00Z"
    after = get(op, "/members/example-hosting").text
    assert _data(after, "data-sanction-id") == [sanction["id"]]
    assert "&lt;script&gt;" in after
    assert "<script>alert" not in after


def test_a_member_sees_its_own_standing_and_no_one_elses(site: Replayed) -> None:
    member = _browser(site, MEMBER_ADMIN)
    own = member.get("/standing", headers=HTML)
    assert own.status_code == 303
    assert own.headers["location"] == f"/members/{MEMBER}"
    page = get(member, f"/members/{MEMBER}")
    assert page.status_code == 200
    assert 'data-suspended="true"' in page.text
    assert "/reassessment" not in page.text
    assert "override-form" not in page.text
    assert get(member, "/members/nvdb").status_code == 404
    assert get(member, "/members/no-such-org").status_code == 404
    assert _data(get(member, "/members").text, "data-org") == [MEMBER]
    assert get(member, "/jobs").status_code == 403
    assert get(member, "/audit/verify").status_code == 403


def test_the_audit_trail_filters_travels_and_verifies(site: Replayed) -> None:
    op = _browser(site, ADMIN)
    api = _api(site, ADMIN)
    params = {"action": "member.suspended"}
    page = get(op, "/audit", params=params)
    entries = api.get("/api/v1/audit", params=params).json()["items"]
    assert [int(s) for s in _data(page.text, "data-audit-seq")] == [e["seq"] for e in entries]
    assert "reassessment depending on internal reforms" in page.text
    assert len(entries) == 1
    before = {"at": BEFORE, "action": "member."}
    assert api.get("/api/v1/audit", params=before).json()["items"] == []
    assert _data(get(op, "/audit", params=before).text, "data-audit-seq") == []
    assert "Historical view" in get(op, "/audit", params=before).text
    verified = get(op, "/audit/verify")
    head = api.get("/api/v1/audit/verify").json()["head"]
    assert f'data-head="{head}"' in verified.text
    assert 'data-verified="true"' in verified.text
    kept = get(op, "/audit/verify", params={"expect_head": "0" * 63 + "1"})
    assert 'data-verified="false"' in kept.text
    assert get(op, "/audit/verify", params={"expect_head": "nothex"}).status_code == 422


def test_a_dead_letter_is_requeued_from_the_jobs_page(site: Replayed) -> None:
    job_id = site.dead_letter()
    op = _browser(site, ADMIN)
    page = get(op, "/jobs", params={"status": "dead"})
    api = _api(site, ADMIN).get("/api/v1/jobs", params={"status": "dead"}).json()["items"]
    assert _data(page.text, "data-job-id") == [j["id"] for j in api]
    assert "550" in page.text
    for forged in ({}, {"csrf_token": "forged"}):  # without the page's token: nothing changes
        assert op.post(f"/jobs/{job_id}/requeue", data=forged).status_code == 403
    assert _api(site, ADMIN).get(f"/api/v1/jobs/{job_id}").json()["status"] == "dead"
    requeued = op.post(f"/jobs/{job_id}/requeue", data={"csrf_token": csrf_of(page.text)})
    assert requeued.status_code == 303
    job = _api(site, ADMIN).get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "pending"
    again = op.post(f"/jobs/{job_id}/requeue", data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 409  # only dead jobs are re-run
    analyst = _browser(site, ANALYST)
    assert get(analyst, "/jobs").status_code == 403
    assert 'href="/jobs"' not in get(analyst, "/members").text  # no link to a refusal
    assert 'href="/jobs"' in get(op, "/members").text
