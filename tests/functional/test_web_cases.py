"""The operator's case work in pages: triage by form, opening a case, the case page (status
matrix, threads with attachments), the timeline picture, ``at`` on the case reads, the
dashboard, and every field shown escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import Platform
from tests.support.cases import COORDINATE, coordinate, report
from tests.support.factory import PASSWORD
from tests.support.web import HTML, get, signed_in, submit, textarea, title_of

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
T0 = datetime(2021, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def _signed_in(platform: Platform, email: str) -> httpx.Client:
    return signed_in(platform.client(), email, PASSWORD)


def _values(page: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="([^"]*)"', page)


def test_the_operator_triages_a_report_and_opens_a_case_through_the_forms(
    platform: Platform,
) -> None:
    finder = platform.client()
    made = report(finder, title=XSS)
    path = f"/reports/{made['id']}"
    operator = _signed_in(platform, platform.world.operator_analyst)
    page = get(operator, path)
    assert 'id="triage-form"' in page.text
    assert "<script>alert(1)" not in page.text
    # a form without the session's token changes nothing
    forged = operator.post(f"{path}/transitions", data={"to": "valid", "reason": "x"}, headers=HTML)
    assert forged.status_code == 403
    api = platform.login(platform.world.operator_analyst)
    assert api.get(f"/api/v1{path}").json()["status"] == "received"
    moved = submit(operator, path, f"{path}/transitions", {"to": "valid", "reason": XSS})
    assert moved.status_code == 303, moved.text[:2000]
    # an answer missing: the form comes back with the error, nothing recorded
    partial = dict(COORDINATE)
    partial.pop("utility")
    refused = submit(operator, path, f"{path}/triage", partial)
    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.text
    decided = submit(operator, path, f"{path}/triage", dict(COORDINATE))
    assert decided.status_code == 303, decided.text[:2000]
    page = get(operator, path)
    assert _values(page.text, "data-triage-outcome") == ["coordinate"]
    assert api.get(f"/api/v1{path}/triage").json()["current"]["outcome"] == "coordinate"
    opened = submit(operator, path, f"{path}/case", {"title": "Log4j2 <b>RCE</b>"})
    assert opened.status_code == 303, opened.text[:2000]
    case_path = opened.headers["location"]
    assert re.fullmatch(r"/cases/CH-\d{4}-\d{4}", case_path)
    case_page = get(operator, case_path)
    assert case_page.status_code == 200
    assert "Log4j2 &lt;b&gt;RCE&lt;/b&gt;" in case_page.text
    # the title of the page names the case and its state, not the embargoed title
    assert title_of(case_page.text).startswith(case_path.removeprefix("/cases/") + " · ")


def test_the_case_page_shows_the_status_matrix_and_posts_a_message_with_a_file(
    platform: Platform,
) -> None:
    c = coordinate(platform)
    r = c.vendor.post(
        f"/api/v1/cases/{c.case}/statuses", json={"vulnerability_id": c.vuln, "status": "affected"}
    )
    assert r.status_code in (200, 201), r.text
    thread = c.coordinator.post(
        f"/api/v1/cases/{c.case}/threads", json={"kind": "case", "title": XSS}
    ).json()
    member = _signed_in(platform, platform.world.member_admin)
    page = get(member, f"/cases/{c.case}")
    assert page.status_code == 200
    assert _values(page.text, "data-vendor-status") == ["affected"]
    assert "<script>alert(1)" not in page.text
    action = f"/cases/{c.case}/threads/{thread['id']}/messages"
    files = [("attachment", ("poc.txt", b"${jndi:ldap://127.0.0.1/a}", "text/plain"))]
    sent = submit(member, f"/cases/{c.case}", action, {"body": XSS}, files=files)
    assert sent.status_code == 303, sent.text[:2000]
    messages = c.coordinator.get(f"/api/v1/cases/{c.case}/threads/{thread['id']}/messages").json()[
        "items"
    ]
    assert [m["body"] for m in messages] == [XSS]
    assert [a["filename"] for a in messages[0]["attachments"]] == ["poc.txt"]
    page = get(member, f"/cases/{c.case}")
    assert messages[0]["id"] in _values(page.text, "data-message-id")
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    empty = submit(member, f"/cases/{c.case}", action, {"body": "  "})
    assert empty.status_code == 422
    assert 'class="error-summary"' in empty.text
    # With two threads, each message form has fields of its own: a refused message keeps
    # what was typed in its own form only, and its error links to its own field.
    other = c.coordinator.post(
        f"/api/v1/cases/{c.case}/threads", json={"kind": "case", "title": "Fix timing"}
    ).json()
    two = get(member, f"/cases/{c.case}").text
    ids = re.findall(r'\sid="([^"]+)"', two)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert {f"body-{thread['id']}", f"body-{other['id']}"} <= set(ids)
    draft = "Our fix ships Tuesday. " + "x" * 50_000  # over the message limit
    refused = submit(member, f"/cases/{c.case}", action, {"body": draft})
    assert refused.status_code == 422, refused.text[:500]
    summary = refused.text.split('id="error-summary"')[1].split("</div>")[0]
    assert f'href="#body-{thread["id"]}"' in summary
    assert f'id="body-{thread["id"]}-error"' in refused.text
    assert f'id="body-{other["id"]}-error"' not in refused.text
    assert textarea(refused.text, f"body-{thread['id']}") == draft
    assert textarea(refused.text, f"body-{other['id']}") == ""
    after = c.coordinator.get(f"/api/v1/cases/{c.case}/threads/{thread['id']}/messages").json()
    assert [m["body"] for m in after["items"]] == [XSS]  # nothing stored
    # a vendor sees its own part only: the same participants as the API shows it
    vendor_page = get(_signed_in(platform, "psirt@vendor-a.test"), f"/cases/{c.case}")
    shown = set(_values(vendor_page.text, "data-participant-id"))
    api = {p["id"] for p in c.vendor.get(f"/api/v1/cases/{c.case}").json()["participants"]}
    assert shown == api
    assert c.outside_participant not in shown


def test_at_shows_the_case_as_at_a_past_instant(platform: Platform, clock: FixedClock) -> None:
    c = coordinate(platform)
    body = {"type": "aware", "occurred_at": "2021-11-24T02:00:00Z", "organisation": "member"}
    assert c.coordinator.post(f"/api/v1/cases/{c.case}/events", json=body).status_code == 201
    clock.set(T0 + timedelta(days=16))
    later = {
        "type": "public_disclosure",
        "occurred_at": "2021-12-09T06:00:00Z",
        "organisation": "case",
    }
    assert c.coordinator.post(f"/api/v1/cases/{c.case}/events", json=later).status_code == 201
    r = c.vendor.post(
        f"/api/v1/cases/{c.case}/statuses",
        json={"vulnerability_id": c.vuln, "status": "fixed", "fixed_version": "2.15.0"},
    )
    assert r.status_code in (200, 201), r.text
    before = "2021-11-25T12:00:00Z"
    as_then = c.coordinator.get(f"/api/v1/cases/{c.case}", params={"at": before}).json()
    assert as_then["vendor_statuses"] == []
    assert [
        s["status"] for s in c.coordinator.get(f"/api/v1/cases/{c.case}").json()["vendor_statuses"]
    ] == ["fixed"]
    timeline = c.coordinator.get(f"/api/v1/cases/{c.case}/timeline", params={"at": before})
    known = {e["type"] for e in timeline.json()["items"]}
    assert "aware" in known
    assert "public_disclosure" not in known
    everything = c.coordinator.get(f"/api/v1/cases/{c.case}/timeline").json()["items"]
    assert "public_disclosure" in {e["type"] for e in everything}
    member = _signed_in(platform, platform.world.member_admin)
    then = get(member, f"/cases/{c.case}", params={"at": before})
    now = get(member, f"/cases/{c.case}")
    assert then.status_code == now.status_code == 200
    assert len(_values(then.text, "data-event-id")) < len(_values(now.text, "data-event-id"))
    assert _values(then.text, "data-vendor-status") == []
    assert _values(now.text, "data-vendor-status") == ["fixed"]
    assert set(_values(then.text, "data-event-id")) == {e["id"] for e in timeline.json()["items"]}
    # the board as it stood: the member's obligation was still open on 25 November
    board = c.coordinator.get(f"/api/v1/cases/{c.case}/board", params={"at": before}).json()
    assert board["at"] == before
    statuses_then = set(_values(then.text, "data-obligation-status"))
    assert statuses_then == {o["status"] for o in board["obligations"]}
    picture = get(member, f"/cases/{c.case}/timeline", params={"at": before})
    assert picture.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="timeline"' in picture.text
    bad = get(member, f"/cases/{c.case}", params={"at": "yesterday"})
    assert bad.status_code == 422


def test_the_dashboard_is_the_operators(platform: Platform) -> None:
    made = report(platform.client(), title=XSS)
    operator = _signed_in(platform, platform.world.operator_analyst)
    page = get(operator, "/dashboard")
    assert page.status_code == 200
    shown = _values(page.text, "data-report-id")
    assert made["id"] in shown
    api = platform.login(platform.world.operator_analyst).get(
        "/api/v1/reports", params={"status": "received"}
    )
    assert set(shown) <= {r["id"] for r in api.json()["items"]}
    assert "<script>alert(1)" not in page.text
    assert page.text.count('role="img"') == 3  # the three charts
    member = _signed_in(platform, platform.world.member_admin)
    assert get(member, "/dashboard").status_code == 404
    assert get(platform.client(), "/dashboard").status_code == 401


def test_the_embargo_shows_its_countdown_and_each_partys_answer(
    platform: Platform, clock: FixedClock
) -> None:
    c = coordinate(platform)
    base = f"/api/v1/cases/{c.case}/embargo"
    proposed = c.coordinator.post(
        f"{base}/propose", json={"ends_at": "2021-12-01T09:00:00", "timezone": "Asia/Shanghai"}
    )
    assert proposed.status_code == 200, proposed.text
    assert c.vendor.post(f"{base}/accept", json={}).status_code == 200
    member = _signed_in(platform, platform.world.member_admin)
    page = get(member, f"/cases/{c.case}")
    assert _values(page.text, "data-embargo") == ["proposed"]
    assert _values(page.text, "data-embargo-answer") == ["accept"]
    assert "Vendor-A" in page.text
    # the end is a deadline: in the viewer's zone and in UTC beside it, with the time left
    assert '<time datetime="2021-12-01T01:00:00Z">' in page.text
    assert "ends in" in page.text
