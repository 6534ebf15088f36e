"""The invited vendor's part of the case, by its link and the forms under ``/invitation``:
its status per vulnerability, its statement, its answer to the embargo and a message in
the case thread; what the pages show agrees with what the API answers that link; nothing
of another party shows; every form needs its CSRF token; what the vendor typed is shown
escaped."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from clearinghouse.accounts.models import Organisation
from tests.functional.conftest import Platform
from tests.support.casework import invited_to_a_proposal
from tests.support.web import get, submit, textarea

XSS = '"><script>alert(1)</script>'


def _invited(platform: Platform) -> tuple[str, str, str]:
    with platform.database.transaction() as s:
        operator = s.scalars(select(Organisation).where(Organisation.slug == "operator")).one()
        return invited_to_a_proposal(s, operator, platform.settings, platform.clock.now())


def _vendor(platform: Platform, token: str) -> httpx.Client:
    client = platform.client()
    opened = get(client, f"/invitations/open?token={token}")
    assert opened.status_code == 303
    return client


def test_the_invited_vendor_states_answers_and_writes(platform: Platform) -> None:
    case_id, token, other_name = _invited(platform)
    vendor = _vendor(platform, token)
    api = platform.client()
    api.headers["Authorization"] = f"Invite {token}"
    shown = api.get(f"/api/v1/cases/{case_id}").json()
    vulnerability = shown["vulnerabilities"][-1]["id"]

    page = get(vendor, "/invitation")
    assert page.status_code == 200
    assert f'data-vulnerability-id="{vulnerability}"' in page.text
    assert 'data-vendor-status="not_yet_assessed"' in page.text
    assert 'data-embargo="proposed"' in page.text
    assert "Embargoed" not in page.text  # the case's title stays out of the vendor's pages
    assert other_name not in page.text  # another vendor's part is not this link's

    r = submit(
        vendor,
        "/invitation",
        "/invitation/statuses",
        {"vulnerability_id": vulnerability, "status": "fixed", "fixed_version": "2.15.0"},
    )
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == "/invitation#statuses"
    r = submit(vendor, "/invitation", "/invitation/statement", {"statement": f"Fixed {XSS}"})
    assert r.status_code == 303, r.text[:2000]
    r = submit(vendor, "/invitation", "/invitation/embargo", {"answer": "accept"})
    assert r.status_code == 303, r.text[:2000]
    thread = api.get(f"/api/v1/cases/{case_id}/threads").json()[0]["id"]
    r = submit(
        vendor,
        "/invitation",
        f"/invitation/threads/{thread}/messages",
        {"body": f"Released 2.15.0 {XSS}"},
    )
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == f"/invitation#thread-{thread}"

    # the API answers the link what the forms did
    shown = api.get(f"/api/v1/cases/{case_id}").json()
    statuses = {s["vulnerability_id"]: s for s in shown["vendor_statuses"]}
    assert statuses[vulnerability]["status"] == "fixed"
    assert statuses[vulnerability]["fixed_version"] == "2.15.0"
    mine = [p for p in shown["participants"] if p["id"] == shown["your_participant_id"]]
    assert mine[0]["statement"] == f"Fixed {XSS}"
    answers = {a["participant_id"]: a["decision"] for a in shown["embargo"]["answers"]}
    assert answers[shown["your_participant_id"]] == "accept"
    messages = api.get(f"/api/v1/cases/{case_id}/threads/{thread}/messages").json()["items"]
    assert messages[-1]["body"] == f"Released 2.15.0 {XSS}"

    again = get(vendor, "/invitation").text
    assert 'data-vendor-status="fixed"' in again
    assert 'data-embargo-answer="accept"' in again
    assert "<script>alert(1)" not in again
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in again

    r = submit(vendor, "/invitation", "/invitation/statement", {"statement": ""})
    assert r.status_code == 303, r.text[:2000]
    shown = api.get(f"/api/v1/cases/{case_id}").json()
    mine = [p for p in shown["participants"] if p["id"] == shown["your_participant_id"]]
    assert mine[0]["statement"] is None  # an empty statement clears it


def test_a_bad_form_is_shown_with_its_error_and_changes_nothing(platform: Platform) -> None:
    case_id, token, _ = _invited(platform)
    vendor = _vendor(platform, token)
    page = get(vendor, "/invitation").text
    assert 'data-vendor-status="not_yet_assessed"' in page
    r = submit(vendor, "/invitation", "/invitation/statuses", {"vulnerability_id": "x"})
    assert r.status_code == 422
    assert 'href="#statuses"' in r.text.split('id="error-summary"')[1].split("</div>")[0]
    r = submit(vendor, "/invitation", "/invitation/embargo", {"answer": "reject"})
    assert r.status_code == 422  # declining needs a reason
    r = submit(vendor, "/invitation", "/invitation/embargo", {"answer": "maybe"})
    assert r.status_code == 422
    r = submit(vendor, "/invitation", "/invitation/threads/not-a-thread/messages", {"body": "x"})
    assert r.status_code == 404
    # A refused form keeps what was typed in it, in that form only.
    api = platform.client()
    api.headers["Authorization"] = f"Invite {token}"
    thread = api.get(f"/api/v1/cases/{case_id}/threads").json()[0]["id"]
    long_words = "We need until March. " + "x" * 5000
    r = submit(vendor, "/invitation", "/invitation/statement", {"statement": long_words})
    assert r.status_code == 422
    assert textarea(r.text, "statement") == long_words
    assert textarea(r.text, f"body-{thread}") == ""
    draft = "Fixed in 2.15.0. " + "x" * 50_000
    r = submit(vendor, "/invitation", f"/invitation/threads/{thread}/messages", {"body": draft})
    assert r.status_code == 422
    assert f'href="#body-{thread}"' in r.text.split('id="error-summary"')[1].split("</div>")[0]
    assert textarea(r.text, f"body-{thread}") == draft
    assert textarea(r.text, "statement") == ""
    r = submit(vendor, "/invitation", "/invitation/embargo", {"answer": "maybe", "comment": "Hm"})
    assert r.status_code == 422
    assert textarea(r.text, "comment") == "Hm"
    ids = re.findall(r'\sid="([^"]+)"', r.text)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    shown = api.get(f"/api/v1/cases/{case_id}").json()
    assert shown["vendor_statuses"] == []
    assert all(a["decision"] is None for a in shown["embargo"]["answers"])


def test_the_forms_need_the_link_and_a_csrf_token(platform: Platform) -> None:
    _case_id, token, _ = _invited(platform)
    vendor = _vendor(platform, token)
    get(vendor, "/invitation")
    for action in ("/invitation/statement", "/invitation/embargo"):
        r = vendor.post(action, data={"answer": "accept", "statement": "x"})
        assert r.status_code == 403, action
    anonymous = platform.client()
    for action in ("/invitation/statement", "/invitation/embargo", "/invitation/statuses"):
        r = submit(anonymous, "/invitations/open", action, {"answer": "accept"})
        assert r.status_code == 401, action
