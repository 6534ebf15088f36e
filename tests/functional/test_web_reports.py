"""A finder reports through the form and follows the report; the coordinator replies;
tokens that arrive in URLs are exchanged for short-lived cookies; everything a finder
typed is shown escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pysequoia
import pytest
from sqlalchemy import func, select

from clearinghouse.accounts.models import Organisation
from clearinghouse.cases.models import IntakeHit, Report
from clearinghouse.jobs.models import Job
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import Platform
from tests.support.casework import invited_vendor
from tests.support.factory import PASSWORD
from tests.support.web import get, sign_in, submit, title_of

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
REPORT = {
    "title": "Remote code execution through JNDI lookups",
    "product": "Apache Log4j 2, log4j-core",
    "description": "A crafted string in a log message makes the library load remote code.",
}


@pytest.fixture
def clock() -> FixedClock:
    """Now: the OpenPGP keys these tests make are created now, and are valid from now on."""
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture(scope="module")
def finder_key() -> pysequoia.Tsk:
    return pysequoia.Tsk.generate("Finder <finder@example.org>")


def _token(page: str) -> str:
    found = re.search(r"data-tracking-token>(chr_[A-Za-z0-9_-]+)<", page)
    assert found is not None, page[:2000]
    return found.group(1)


def _report(platform: Platform, data: dict[str, str], **kwargs: object) -> str:
    """Report as a visitor; the tracking token the confirmation showed."""
    c = platform.client()
    sent = submit(c, "/report", "/report", data, **kwargs)  # type: ignore[arg-type]
    assert sent.status_code == 303, sent.text[:3000]
    assert sent.headers["location"] == "/report/received"
    received = get(c, "/report/received")
    assert received.status_code == 200
    return _token(received.text)


def test_the_token_is_shown_once_and_follows_the_report(
    platform: Platform, finder_key: pysequoia.Tsk
) -> None:
    c = platform.client()
    data = {**REPORT, "contact_email": "finder@example.org", "exploited": "no"}
    data["pgp_public_key"] = str(finder_key.extract_certificate())
    files = [("attachment", ("poc.txt", b"${jndi:ldap://127.0.0.1/a}\n", "text/plain"))]
    sent = submit(c, "/report", "/report", data, files=files)
    assert sent.status_code == 303
    received = get(c, "/report/received")
    token = _token(received.text)
    assert received.headers["cache-control"] == "private, no-store"
    assert f"/reports/track#{token}" in received.text
    again = get(c, "/report/received")
    assert token not in again.text
    assert "Nothing to show" in again.text
    status = get(c, "/reports/track")  # the report's cookie was set with the confirmation
    assert status.status_code == 200
    assert REPORT["title"] in status.text
    assert "poc.txt" in status.text
    with platform.database.transaction(write=False) as s:
        report = s.scalars(select(Report)).one()
        assert report.finder_pgp_fingerprint == finder_key.extract_certificate().fingerprint.upper()


def test_a_token_in_the_url_becomes_a_cookie_and_leaves_the_address(platform: Platform) -> None:
    token = _report(platform, REPORT)
    c = platform.client()
    r = get(c, f"/reports/track?token={token}")
    assert r.status_code == 303
    assert r.headers["location"] == "/reports/track"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"ch_report={token};")
    assert "HttpOnly" in cookie
    assert "Path=/reports/track" in cookie
    assert "Max-Age=3600" in cookie
    page = get(c, "/reports/track")
    assert page.status_code == 200
    assert REPORT["title"] in page.text
    assert token not in page.text
    wrong = get(platform.client(), "/reports/track?token=chr_nope")
    assert wrong.status_code == 401
    assert "not known" in wrong.text


def test_a_stale_tracking_cookie_is_dropped_for_the_token_form(platform: Platform) -> None:
    c = platform.client()
    c.cookies.set("ch_report", "chr_" + "x" * 43, path="/reports/track")
    r = get(c, "/reports/track")
    assert r.status_code == 200
    assert 'name="token"' in r.text
    assert 'ch_report=""' in r.headers["set-cookie"]


def test_finder_and_coordinator_write_to_each_other(
    platform: Platform, finder_key: pysequoia.Tsk
) -> None:
    finder = platform.client()
    data = {**REPORT, "contact_email": "finder@example.org"}
    data["pgp_public_key"] = str(finder_key.extract_certificate())
    submit(finder, "/report", "/report", data)
    get(finder, "/report/received")
    wrote = submit(finder, "/reports/track", "/reports/track/messages", {"body": "Any news?"})
    assert wrote.status_code == 303
    operator = platform.client()
    sign_in(operator, platform.world.operator_admin, PASSWORD)
    inbox = get(operator, "/reports")
    report_id = re.search(r'data-report-id="([0-9a-f-]+)"', inbox.text)
    assert report_id is not None
    view = f"/reports/{report_id.group(1)}"
    assert "Any news?" in get(operator, view).text
    reply = "We reproduced it; the vendor is told."
    assert submit(operator, view, f"{view}/messages", {"body": reply}).status_code == 303
    status = get(finder, "/reports/track").text
    assert reply in status
    assert platform.world.operator_admin not in status  # finders see "Coordinator"
    with platform.database.transaction(write=False) as s:
        mails = [j.payload for j in s.scalars(select(Job)) if j.kind == "email.send"]
    (mail,) = [m for m in mails if m["to"] == "finder@example.org"]
    assert "-----BEGIN PGP MESSAGE-----" in mail["text"]
    assert reply not in mail["text"]
    armored = mail["text"][mail["text"].index("-----BEGIN PGP MESSAGE-----") :]
    assert pysequoia.decrypt(armored.encode(), finder_key.decryptor()).bytes == reply.encode()


def test_missing_answers_and_a_bad_key_are_shown_beside_their_fields(platform: Platform) -> None:
    c = platform.client()
    r = submit(c, "/report", "/report", {"title": "", "product": "", "description": ""})
    assert r.status_code == 422
    assert title_of(r.text).startswith("Error:")
    for field in ("title", "product", "description"):
        assert f'<a href="#{field}">' in r.text
        assert f'id="{field}-error"' in r.text
    bad = submit(c, "/report", "/report", {**REPORT, "pgp_public_key": "not a key"})
    assert bad.status_code == 422
    purl = submit(c, "/report", "/report", {**REPORT, "purl": "not a package URL"})
    assert purl.status_code == 422
    assert '<a href="#purl">' in purl.text
    with platform.database.transaction(write=False) as s:  # refused: nothing left behind
        assert s.scalar(select(func.count()).select_from(IntakeHit)) == 0
        assert s.scalar(select(func.count()).select_from(Report)) == 0
    assert '<a href="#pgp_public_key">This is not an OpenPGP public key.</a>' in bad.text
    assert REPORT["title"] in bad.text  # the answers are kept


def test_everything_a_finder_typed_is_escaped_where_it_is_shown(platform: Platform) -> None:
    fields = [
        "title",
        "product",
        "vendor",
        "affected_versions",
        "description",
        "impact",
        "disclosure_plans",
        "credit_as",
    ]
    data = {f: f"{f}{XSS}" for f in fields} | {"references": "https://example.org/?q=<x>"}
    data["cves"] = "CVE-2021-44228"
    data["credit_preference"] = "handle"
    token = _report(platform, data)
    finder = platform.client()
    get(finder, f"/reports/track?token={token}")
    submit(finder, "/reports/track", "/reports/track/messages", {"body": f"body{XSS}"})
    operator = platform.client()
    sign_in(operator, platform.world.operator_admin, PASSWORD)
    inbox = get(operator, "/reports").text
    report_id = re.search(r'data-report-id="([0-9a-f-]+)"', inbox)
    assert report_id is not None
    pages = [
        get(finder, "/reports/track").text,
        get(operator, f"/reports/{report_id.group(1)}").text,
    ]
    pages.append(inbox)
    for page in pages:
        assert "<script>alert(1)" not in page
        assert "onerror=alert(2)>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    shown = pages[1]
    for f in fields:
        assert f"{f}&#34;&gt;&lt;script&gt;" in shown, f


def test_an_invitation_link_becomes_a_cookie_scoped_to_the_vendors_pages(
    platform: Platform,
) -> None:
    with platform.database.transaction() as s:
        operator = s.scalars(select(Organisation).where(Organisation.slug == "operator")).one()
        case, url = invited_vendor(s, operator, platform.settings, platform.clock.now())
        case_id = case.public_id
    link = urlsplit(url)
    assert link.path == "/invitations/open"
    assert link.fragment
    vendor = platform.client()
    form = get(vendor, link.path)
    assert 'data-fragment-token=""' in form.text  # the page's script posts the fragment
    r = get(vendor, f"{link.path}?token={link.fragment}")
    assert r.status_code == 303
    assert r.headers["location"] == "/invitation"
    cookie = r.headers["set-cookie"]
    assert "ch_invite=" in cookie
    assert "Path=/invitation" in cookie
    assert "HttpOnly" in cookie
    page = get(vendor, "/invitation")
    assert page.status_code == 200
    assert case_id in page.text
    assert "Embargoed" not in page.text  # the case's title is not the link's to show
    assert get(vendor, "/").text.count(case_id) == 0
    assert get(platform.client(), "/invitation").status_code == 401
    posted = submit(platform.client(), link.path, link.path, {"token": link.fragment})
    assert posted.status_code == 303


def test_a_finder_is_written_to_in_the_language_and_zone_it_reported_in(
    platform: Platform,
) -> None:
    """A finder without an account has no saved settings: its e-mails follow the page it
    reported from (here Chinese, Shanghai); a report sent through the API gets English."""
    finder = platform.client()
    finder.cookies.set("ch_lang", "zh-Hans")
    finder.cookies.set("ch_tz", "Asia/Shanghai")
    sent = submit(finder, "/report", "/report", {**REPORT, "contact_email": "zh@example.org"})
    assert sent.status_code == 303
    operator = platform.client()
    sign_in(operator, platform.world.operator_admin, PASSWORD)
    with platform.database.transaction(write=False) as s:
        report = s.scalars(select(Report).where(Report.contact_email == "zh@example.org")).one()
        assert (report.finder_language, report.finder_timezone) == ("zh-Hans", "Asia/Shanghai")
        report_id = report.id
    view = f"/reports/{report_id}"
    assert submit(operator, view, f"{view}/messages", {"body": "收到"}).status_code == 303
    api = platform.client().post(
        "/api/v1/reports",
        json={**REPORT, "title": "Via the API", "contact_email": "en@example.org"},
    )
    assert api.status_code == 201, api.text
    view = f"/reports/{api.json()['id']}"
    assert submit(operator, view, f"{view}/messages", {"body": "Thanks"}).status_code == 303
    with platform.database.transaction(write=False) as s:
        mails = {
            j.payload["to"]: j.payload for j in s.scalars(select(Job)) if j.kind == "email.send"
        }
    chinese = re.compile(r"[\u4e00-\u9fff]")
    assert chinese.search(mails["zh@example.org"]["subject"])
    assert chinese.search(mails["zh@example.org"]["text"])
    assert not chinese.search(mails["en@example.org"]["subject"] + mails["en@example.org"]["text"])
