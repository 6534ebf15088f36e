"""The operator's advisory editor over HTTP on the Log4Shell replay: a draft from the case,
a revision whose changes read as a diff, a preview of every rendition, scheduling and
cancelling, publishing, withdrawing; members read what the API lets them and get no form;
payloads in the fields the editor shows stay text.
The stories that write run on SQLite and PostgreSQL; the other checks on SQLite (the
pages do not differ by backend)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from clearinghouse.db import Database
from tests.support.replay_web import CASE, MEMBER, OPERATOR, PASSWORD, Replayed, replayed
from tests.support.web import HTML, get, sign_in, submit

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
BASE = "/editor/advisories"


@pytest.fixture
def world(database: Database) -> Iterator[Replayed]:
    with replayed(database) as running:
        yield running


def _signed_in(world: Replayed, email: str) -> httpx.Client:
    c = world.client()
    assert sign_in(c, email, PASSWORD).status_code == 303
    return c


def _draft(c: httpx.Client, tlp: str = "AMBER") -> str:
    made = submit(c, BASE, BASE, {"case": CASE, "tlp": tlp})
    assert made.status_code == 303, made.text[:500]
    found = re.fullmatch(BASE + r"/(CHSA-\d{4}-\d{4,})", made.headers["location"])
    assert found is not None, made.headers["location"]
    return found.group(1)


def test_a_draft_from_the_case_is_revised_and_its_changes_read(world: Replayed) -> None:
    c = _signed_in(world, OPERATOR)
    advisory = _draft(c)
    page = get(c, f"{BASE}/{advisory}")
    assert page.status_code == 200
    assert 'data-state="draft"' in page.text
    assert 'data-tlp="AMBER"' in page.text
    listed = get(c, BASE).text
    assert f'data-advisory-id="{advisory}"' in listed

    revised = submit(
        c,
        f"{BASE}/{advisory}",
        f"{BASE}/{advisory}",
        {
            "title": f"Log4Shell {XSS}",
            "summary": "JNDI lookups run remote code.",
            "tlp": "AMBER",
            "revision_summary": "title",
        },
    )
    assert revised.status_code == 303, revised.text[:500]
    revised_page = get(c, f"{BASE}/{advisory}").text
    assert "<script>alert(1)" not in revised_page
    assert "&lt;script&gt;alert(1)" in revised_page
    assert 'data-revision="2"' in revised_page
    assert 'data-op="changed"' in revised_page  # revision 1 -> 2: the title changed
    api = c.get(f"/api/v1/advisories/{advisory}/diff").json()
    assert {ch["path"] for ch in api["changes"]} <= set(
        re.findall(r"<code>([^<]+)</code>", revised_page)
    )

    refused = submit(c, f"{BASE}/{advisory}", f"{BASE}/{advisory}", {"title": "", "tlp": "PURPLE"})
    assert refused.status_code == 422


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_rendition_previews(world: Replayed) -> None:
    c = _signed_in(world, OPERATOR)
    advisory = _draft(c)
    page = get(c, f"{BASE}/{advisory}").text
    formats = re.findall(r'data-format="([a-z0-9-]+)"', page)
    assert {"csaf", "osv", "cve5"} <= set(formats)
    for fmt in formats:
        shown = get(c, f"{BASE}/{advisory}/preview/{fmt}")
        assert shown.status_code == 200, (fmt, shown.text[:300])
        assert 'class="rendition"' in shown.text or "cannot be made" in shown.text
    csaf = get(c, f"{BASE}/{advisory}/preview/csaf").text
    assert "&#34;document&#34;" in csaf or "&quot;document&quot;" in csaf
    assert get(c, f"{BASE}/{advisory}/preview/no-such").status_code == 404


def test_schedule_cancel_publish_withdraw(world: Replayed) -> None:
    c = _signed_in(world, OPERATOR)
    advisory = _draft(c, "CLEAR")
    here = f"{BASE}/{advisory}"
    past = submit(c, here, f"{here}/schedule", {"at": "2021-11-01T10:00"})
    assert past.status_code == 422
    assert 'href="#at"' in past.text
    later = submit(c, here, f"{here}/schedule", {"at": "2021-12-10T10:00"})
    assert later.status_code == 303, later.text[:500]
    api = c.get(f"/api/v1/advisories/{advisory}").json()
    assert api["state"] == "scheduled"
    assert api["scheduled_at"].startswith("2021-12-10T")
    assert submit(c, here, f"{here}/unschedule", {}).status_code == 303
    assert c.get(f"/api/v1/advisories/{advisory}").json()["state"] == "draft"
    assert submit(c, here, f"{here}/publish", {"summary": "first"}).status_code == 303
    assert c.get(f"/api/v1/advisories/{advisory}").json()["state"] == "published"
    assert submit(c, here, f"{here}/withdraw", {"reason": ""}).status_code == 422
    assert submit(c, here, f"{here}/withdraw", {"reason": "duplicate"}).status_code == 303
    assert c.get(f"/api/v1/advisories/{advisory}").json()["state"] == "withdrawn"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_member_reads_what_the_api_lets_it_and_gets_no_form(world: Replayed) -> None:
    operator = _signed_in(world, OPERATOR)
    draft = _draft(operator, "AMBER")
    member = _signed_in(world, MEMBER)
    page = get(member, f"{BASE}/{draft}")
    api = member.get(f"/api/v1/advisories/{draft}")
    assert page.status_code == api.status_code
    missing = get(member, f"{BASE}/CHSA-2099-9999")
    assert missing.status_code == (404 if api.status_code == 404 else missing.status_code)
    drafts = get(member, BASE)
    assert drafts.status_code == 200
    assert "Draft from a case" not in drafts.text
    refused = submit(member, BASE, BASE, {"case": CASE, "tlp": "CLEAR"})
    assert refused.status_code == 403


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("action", ["", "/schedule", "/unschedule", "/publish", "/withdraw"])
def test_every_editor_form_refuses_a_post_without_its_csrf_token(
    world: Replayed, action: str
) -> None:
    c = _signed_in(world, OPERATOR)
    advisory = _draft(c)
    assert (
        c.post(f"{BASE}/{advisory}{action}", data={"reason": "x"}, headers=HTML).status_code == 403
    )
    assert c.post(BASE, data={"case": CASE, "tlp": "CLEAR"}, headers=HTML).status_code == 403
