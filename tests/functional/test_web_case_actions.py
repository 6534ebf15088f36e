"""The case page's forms for the parties' own part: a vendor on the platform states its
status per vulnerability and answers the embargo; the coordinator proposes an end (a
local date and time in a zone) and activates it without every answer. Each change goes
through the API's route function, so the API then answers what the form did; a refused
form shows its errors on the page and stores nothing; whoever may not make a change does
not see its form and is refused when posting it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import Platform
from tests.support.cases import Coordinated, coordinate
from tests.support.factory import PASSWORD
from tests.support.web import get, signed_in, submit

T0 = datetime(2021, 11, 24, 2, 0, tzinfo=UTC)
VENDOR = "psirt@vendor-a.test"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def _signed_in(platform: Platform, email: str) -> httpx.Client:
    return signed_in(platform.client(), email, PASSWORD)


def _embargo(c: Coordinated) -> dict[str, object]:
    r = c.coordinator.get(f"/api/v1/cases/{c.case}/embargo")
    assert r.status_code == 200, r.text
    return dict(r.json())


def _answer_of(c: Coordinated, participant: str) -> str | None:
    for answer in _embargo(c)["answers"]:  # type: ignore[attr-defined]
        if answer["participant_id"] == participant:
            return str(answer["decision"]) if answer["decision"] else None
    return None


def test_the_coordinator_proposes_the_vendor_answers_and_the_coordinator_activates(
    platform: Platform,
) -> None:
    c = coordinate(platform)
    page_of = f"/cases/{c.case}"
    coordinator = _signed_in(platform, platform.world.member_admin)
    vendor = _signed_in(platform, VENDOR)
    assert "/embargo/proposal" in get(coordinator, page_of).text
    assert "/embargo/proposal" not in get(vendor, page_of).text
    assert "/embargo/answer" not in get(vendor, page_of).text  # nothing proposed yet

    # A date that is not one: the field says so, nothing is proposed.
    r = submit(
        coordinator,
        page_of,
        f"{page_of}/embargo/proposal",
        {"embargo_ends_at": "next Friday", "embargo_timezone": "Asia/Shanghai"},
    )
    assert r.status_code == 422
    assert 'id="embargo_ends_at-error"' in r.text
    assert _embargo(c)["state"] == "none"

    # 10:00 on 10 December in Shanghai: 02:00 UTC, kept with its zone.
    r = submit(
        coordinator,
        page_of,
        f"{page_of}/embargo/proposal",
        {"embargo_ends_at": "2021-12-10T10:00", "embargo_timezone": "Asia/Shanghai"},
    )
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == f"{page_of}#embargo"
    embargo = _embargo(c)
    assert embargo["state"] == "proposed"
    assert embargo["ends_at"] == "2021-12-10T02:00:00Z"
    assert embargo["timezone"] == "Asia/Shanghai"

    # The vendor declines without saying why: refused, no answer recorded.
    shown = get(vendor, page_of).text
    assert f"{page_of}/embargo/answer" in shown
    assert 'data-your-answer=""' in shown
    r = submit(vendor, page_of, f"{page_of}/embargo/answer", {"answer": "reject"})
    assert r.status_code == 422
    assert 'class="error-summary"' in r.text
    assert _answer_of(c, c.vendor_participant) is None
    r = submit(vendor, page_of, f"{page_of}/embargo/answer", {"answer": "accept"})
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == f"{page_of}#your-answer"
    assert _answer_of(c, c.vendor_participant) == "accept"
    assert 'data-your-answer="accept"' in get(vendor, page_of).text
    # the party that has not answered yet is shown as such (it read "None")
    answers = get(coordinator, page_of).text
    assert re.search(
        r"<td>Apache Logging PMC</td><td><span class=\"muted\">not yet</span>", answers
    )
    assert "<td>None</td>" not in answers

    # The vendor invited by e-mail has not answered: the coordinator activates anyway.
    assert "/embargo/activation" not in get(vendor, page_of).text
    r = submit(vendor, page_of, f"{page_of}/embargo/activation", {"reason": "mine"})
    assert r.status_code == 403
    r = submit(coordinator, page_of, f"{page_of}/embargo/activation", {"reason": ""})
    assert r.status_code == 422
    assert _embargo(c)["state"] == "proposed"
    r = submit(
        coordinator,
        page_of,
        f"{page_of}/embargo/activation",
        {"reason": "The Apache Logging PMC answered by e-mail."},
    )
    assert r.status_code == 303, r.text[:2000]
    assert _embargo(c)["state"] == "active"
    timeline = c.coordinator.get(f"/api/v1/cases/{c.case}/timeline").json()["items"]
    assert "embargo_activated" in {e["type"] for e in timeline}
    page = get(coordinator, page_of).text
    assert "/embargo/proposal" not in page  # an active embargo is moved, not proposed
    assert "/embargo/activation" not in page


def test_a_vendor_on_the_platform_states_its_status_on_the_case_page(
    platform: Platform,
) -> None:
    c = coordinate(platform)
    page_of = f"/cases/{c.case}"
    vendor = _signed_in(platform, VENDOR)
    shown = get(vendor, page_of).text
    assert f'data-own-status="{c.vuln}"' in shown
    assert 'data-vendor-status="not_yet_assessed"' in shown
    coordinator = _signed_in(platform, platform.world.member_admin)
    assert "data-own-status" not in get(coordinator, page_of).text  # not a vendor

    r = submit(
        vendor,
        page_of,
        f"{page_of}/statuses",
        {"vulnerability_id": c.vuln, "status": "exploited-maybe"},
    )
    assert r.status_code == 422
    assert c.vendor.get(f"/api/v1/cases/{c.case}/statuses").json() == []

    r = submit(
        vendor,
        page_of,
        f"{page_of}/statuses",
        {
            "vulnerability_id": c.vuln,
            "status": "not_affected",
            "justification": "vulnerable_code_not_present",
        },
    )
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == f"{page_of}#your-statuses"
    (status,) = c.vendor.get(f"/api/v1/cases/{c.case}/statuses").json()
    assert status["participant_id"] == c.vendor_participant
    assert status["status"] == "not_affected"
    assert status["justification"] == "vulnerable_code_not_present"
    shown = get(vendor, page_of).text
    assert re.search(r'data-own-status="[^"]+".*?data-vendor-status="not_affected"', shown, re.S)
    # The coordinator sees it in the matrix; the coordinator cannot state it for itself.
    assert 'data-vendor-status="not_affected"' in get(coordinator, page_of).text
    r = submit(
        coordinator,
        page_of,
        f"{page_of}/statuses",
        {"vulnerability_id": c.vuln, "status": "affected"},
    )
    assert r.status_code == 422  # a coordinator names the vendor (the API does)
    (status,) = c.vendor.get(f"/api/v1/cases/{c.case}/statuses").json()
    assert status["status"] == "not_affected"


def _active_embargo(c: Coordinated) -> None:
    """An embargo to 10:00 on 10 December 2021 in Shanghai, active (proposed and activated
    through the API)."""
    base = f"/api/v1/cases/{c.case}/embargo"
    proposed = c.coordinator.post(
        f"{base}/propose", json={"ends_at": "2021-12-10T10:00:00", "timezone": "Asia/Shanghai"}
    )
    assert proposed.status_code == 200, proposed.text
    activated = c.coordinator.post(f"{base}/activate", json={"reason": "agreed by e-mail"})
    assert activated.status_code == 200, activated.text


def _participant(c: Coordinated, participant: str) -> dict[str, object]:
    listed = c.coordinator.get(f"/api/v1/cases/{c.case}/participants").json()
    return dict(next(p for p in listed if p["id"] == participant))


def test_the_coordinator_restarts_a_vendors_clock_and_removes_a_participant(
    platform: Platform, clock: FixedClock
) -> None:
    c = coordinate(platform)
    page_of = f"/cases/{c.case}"
    coordinator = _signed_in(platform, platform.world.member_admin)
    vendor = _signed_in(platform, VENDOR)
    assert f"/participants/{c.vendor_participant}/deadline" in get(coordinator, page_of).text
    assert "/deadline" not in get(vendor, page_of).text
    assert "/removal" not in get(vendor, page_of).text
    due = _participant(c, c.vendor_participant)["response_due_at"]

    deadline = f"{page_of}/participants/{c.vendor_participant}/deadline"
    r = submit(coordinator, page_of, deadline, {"days": "0"})
    assert r.status_code == 422
    assert f'id="days-{c.vendor_participant}-error"' in r.text
    assert _participant(c, c.vendor_participant)["response_due_at"] == due
    r = submit(vendor, page_of, deadline, {"days": "30"})
    assert r.status_code == 403
    r = submit(coordinator, page_of, deadline, {"days": "14"})
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == f"{page_of}#participants"
    restarted = _participant(c, c.vendor_participant)["response_due_at"]
    assert restarted == "2021-12-08T02:00:00Z"  # 14 days from the clock's now

    removal = f"{page_of}/participants/{c.outside_participant}/removal"
    assert submit(vendor, page_of, removal, {}).status_code == 403
    r = submit(coordinator, page_of, removal, {})
    assert r.status_code == 303, r.text[:2000]
    names = [p["name"] for p in c.coordinator.get(f"/api/v1/cases/{c.case}").json()["participants"]]
    assert "Apache Logging PMC" not in names
    assert "Vendor-A" in names
    r = submit(coordinator, page_of, f"{page_of}/participants/not-an-id/removal", {})
    assert r.status_code == 404


def test_the_coordinator_ends_the_embargo_early_with_evidence(platform: Platform) -> None:
    c = coordinate(platform)
    page_of = f"/cases/{c.case}"
    _active_embargo(c)
    coordinator = _signed_in(platform, platform.world.member_admin)
    vendor = _signed_in(platform, VENDOR)
    assert "/embargo/exit" not in get(vendor, page_of).text
    assert submit(vendor, page_of, f"{page_of}/embargo/exit", {}).status_code == 403

    # A disclosure seen needs its evidence: refused, the embargo stays.
    exit_form = f"{page_of}/embargo/exit"
    r = submit(coordinator, page_of, exit_form, {"category": "exploitation_observed"})
    assert r.status_code == 422
    assert '<option value="exploitation_observed" selected>' in r.text
    assert _embargo(c)["state"] == "active"
    r = submit(
        coordinator,
        page_of,
        exit_form,
        {
            "category": "public_disclosure_seen",
            "evidence_url": "https://github.com/apache/logging-log4j2/pull/608",
            "evidence": "The fix's pull request describes the flaw in public.",
        },
    )
    assert r.status_code == 303, r.text[:2000]
    embargo = _embargo(c)
    assert embargo["state"] == "exited"
    assert embargo["exit_category"] == "public_disclosure_seen"
    page = get(coordinator, page_of).text
    assert "(a public disclosure was seen)" in page  # in words, not the category's id
    assert "ends in" not in page  # the agreed end no longer counts down
    assert "<dt>Agreed end</dt>" in page
    assert "/embargo/exit" not in page  # ended: nothing more to end


def test_a_vendor_states_its_view_of_the_case_for_the_coordinator(platform: Platform) -> None:
    c = coordinate(platform)
    page_of = f"/cases/{c.case}"
    vendor = _signed_in(platform, VENDOR)
    words = "We ship log4j-core 2.14.1 in two products; fixes follow."
    r = submit(vendor, page_of, f"{page_of}/statement", {"statement": words})
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == f"{page_of}#your-statement"
    assert _participant(c, c.vendor_participant)["statement"] == words
    assert words in get(vendor, page_of).text  # the form keeps it
    coordinator = _signed_in(platform, platform.world.member_admin)
    shown = get(coordinator, page_of).text
    assert f'data-statement-of="{c.vendor_participant}"' in shown
    assert words in shown
    too_long = {"statement": "x" * 5001}
    assert submit(vendor, page_of, f"{page_of}/statement", too_long).status_code == 422
    assert _participant(c, c.vendor_participant)["statement"] == words


def test_the_coordinator_adds_an_organisation_and_is_warned_of_the_law(
    platform: Platform,
) -> None:
    c = coordinate(platform)
    page_of = f"/cases/{c.case}"
    admin = platform.login(platform.world.operator_admin)
    r = admin.patch("/api/v1/organisations/member", json={"regulatory_roles": ["product_provider"]})
    assert r.status_code == 200, r.text
    coordinator = _signed_in(platform, platform.world.member_admin)
    form = {"organisation": "", "role": "member", "org_response_days": "7"}
    r = submit(coordinator, page_of, f"{page_of}/participants", form)
    assert r.status_code == 422
    assert 'id="organisation-error"' in r.text
    r = submit(coordinator, page_of, f"{page_of}/participants", {**form, "organisation": "nobody"})
    assert r.status_code == 422
    assert 'value="nobody"' in r.text
    # Another member in Germany, before publication: added, and the page it is sent back
    # to (a redirect: a reload does not post again) says why the member's own law
    # (cn-miit-2021 Art. 9(7)) may restrict it.
    r = submit(coordinator, page_of, f"{page_of}/participants", {**form, "organisation": "other"})
    assert r.status_code == 303, r.text[:2000]
    participants = c.coordinator.get(f"/api/v1/cases/{c.case}/participants").json()
    other = next(p["id"] for p in participants if p["name"] == "Other")
    assert r.headers["location"] == f"{page_of}?warned={other}#sharing-warnings"
    warned = get(coordinator, r.headers["location"]).text
    assert 'data-warning-regime="cn-miit-2021"' in warned
    assert "cn-miit-2021 Art. 9(7)" in warned
    assert 'data-warning-regime="cn-miit-2021"' in get(coordinator, r.headers["location"]).text
    # recorded once, when it was added: showing it again records nothing
    trail = platform.login(platform.world.operator_admin).get(
        "/api/v1/audit", params={"object_type": "case", "object_id": c.case, "limit": 500}
    )
    assert trail.status_code == 200, trail.text
    said = [e for e in trail.json()["items"] if e["action"] == "case.sharing_warning"]
    assert len(said) == 1
    # whoever may not add participants reads no warning there; a link naming a party
    # whose sharing raises none (the vendor of the product), or no party, shows none
    vendor = _signed_in(platform, VENDOR)
    seen = get(vendor, r.headers["location"])
    assert seen.status_code == 200
    assert "data-warning-regime" not in seen.text
    for named in (c.vendor_participant, "nobody", "x" * 5000):
        seen = get(coordinator, f"{page_of}?warned={named}")
        assert seen.status_code == 200
        assert "data-warning-regime" not in seen.text
    # A vendor of the product is exempt: back to the participants, no warning.
    made = admin.post(
        "/api/v1/organisations",
        json={"slug": "vendor-b", "name": "Vendor B", "kind": "vendor", "country": "US"},
    )
    assert made.status_code == 201, made.text
    added = {**form, "organisation": "vendor-b", "role": "vendor"}
    r = submit(coordinator, page_of, f"{page_of}/participants", added)
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == f"{page_of}#participants"


def test_a_party_proposes_moving_the_end_and_the_coordinator_withdraws_it(
    platform: Platform,
) -> None:
    c = coordinate(platform)
    page_of = f"/cases/{c.case}"
    _active_embargo(c)
    vendor = _signed_in(platform, VENDOR)
    coordinator = _signed_in(platform, platform.world.member_admin)
    assert "/embargo/move" in get(vendor, page_of).text
    moving = {"move_ends_at": "2021-12-17T10:00", "move_timezone": "Asia/Shanghai"}
    r = submit(vendor, page_of, f"{page_of}/embargo/move", moving)
    assert r.status_code == 422  # a move says why
    assert 'id="move_reason-error"' in r.text
    assert 'value="2021-12-17T10:00"' in r.text  # what was typed stays in the form
    assert _embargo(c)["state"] == "active"
    r = submit(
        vendor,
        page_of,
        f"{page_of}/embargo/move",
        {**moving, "move_reason": "Two products need another week."},
    )
    assert r.status_code == 303, r.text[:2000]
    embargo = _embargo(c)
    assert embargo["state"] == "revising"
    assert embargo["pending_ends_at"] == "2021-12-17T02:00:00Z"
    assert embargo["ends_at"] == "2021-12-10T02:00:00Z"  # the agreed end stays until agreed
    assert "/embargo/move-withdrawal" not in get(vendor, page_of).text
    assert f"{page_of}/embargo/answer" in get(coordinator, page_of).text  # answer the move
    r = submit(coordinator, page_of, f"{page_of}/embargo/move-withdrawal", {"withdraw_reason": ""})
    assert r.status_code == 422
    r = submit(
        coordinator,
        page_of,
        f"{page_of}/embargo/move-withdrawal",
        {"withdraw_reason": "The release is on time after all."},
    )
    assert r.status_code == 303, r.text[:2000]
    embargo = _embargo(c)
    assert embargo["state"] == "active"
    assert embargo["ends_at"] == "2021-12-10T02:00:00Z"
