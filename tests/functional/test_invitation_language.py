"""A vendor invited by e-mail has no account, so no saved language or zone: the one
inviting chooses them (``language``, ``timezone``), and the invitation and every later
e-mail to that address (a reminder that its response is due) are written in them, through
a real SMTP server. Without a choice: English in UTC. A choice for an organisation on the
platform, or an unknown zone, is a 422 that adds no one."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from tests.functional.conftest import Platform
from tests.support.factory import PASSWORD
from tests.support.smtp import smtp_server
from tests.support.web import get, sign_in, submit


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def _case(platform: Platform) -> tuple[Any, str]:
    operator = platform.login(platform.world.operator_admin)
    r = operator.post(
        "/api/v1/cases",
        json={"title": "Router firmware", "participants": [{"organisation": "member"}]},
    )
    assert r.status_code == 201, r.text
    return operator, str(r.json()["public_id"])


def test_an_invitation_and_the_reminders_after_it_are_in_the_chosen_language_and_zone(
    platform: Platform,
) -> None:
    operator, ref = _case(platform)
    invited = operator.post(
        f"/api/v1/cases/{ref}/participants",
        json={
            "email": "psirt@vendor-cn.test",
            "name": "Vendor CN",
            "language": "zh-Hans",
            "timezone": "Asia/Shanghai",
            "response_days": 2,
        },
    )
    assert invited.status_code == 201, invited.text
    assert (invited.json()["contact_language"], invited.json()["contact_timezone"]) == (
        "zh-Hans",
        "Asia/Shanghai",
    )
    plain = operator.post(
        f"/api/v1/cases/{ref}/participants", json={"email": "security@vendor-en.test"}
    )
    assert plain.status_code == 201, plain.text
    with smtp_server() as smtp:
        worker = platform.mailing_worker(smtp.host, smtp.port)
        worker.run_until_idle()
        platform.clock.set(platform.clock.now() + timedelta(days=1, minutes=1))  # half way
        worker.run_until_idle()
        mail = {
            to: [r.message for r in smtp.inbox.received if to in r.rcpt_tos]
            for to in ("psirt@vendor-cn.test", "security@vendor-en.test")
        }
    chinese = {str(m["Subject"]): _text(m) for m in mail["psirt@vendor-cn.test"]}
    assert set(chinese) == {
        f"[Clearinghouse] 邀请您参与漏洞协调（案件 {ref}）",
        f"[Clearinghouse] 提醒：您在案件 {ref} 中的答复即将截止",
    }
    invitation = chinese[f"[Clearinghouse] 邀请您参与漏洞协调（案件 {ref}）"]
    assert "该链接仅供您本人使用" in invitation
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} CST \(UTC\+8\)", invitation)
    reminder = chinese[f"[Clearinghouse] 提醒：您在案件 {ref} 中的答复即将截止"]
    assert "CST (UTC+8)" in reminder
    assert "Please state" not in reminder
    english = {str(m["Subject"]): _text(m) for m in mail["security@vendor-en.test"]}
    invited_en = f"[Clearinghouse] You are invited to coordinate a vulnerability (case {ref})"
    assert invited_en in english
    assert "UTC" in english[invited_en]
    assert "CST" not in english[invited_en]


def test_a_language_for_an_organisation_or_an_unknown_zone_adds_no_one(
    platform: Platform,
) -> None:
    operator, ref = _case(platform)
    before = operator.get(f"/api/v1/cases/{ref}/participants").json()
    for body, field in (
        ({"organisation": "other", "language": "zh-Hans"}, "language"),
        ({"organisation": "other", "timezone": "Asia/Shanghai"}, "timezone"),
        ({"email": "a@vendor.test", "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"email": "a@vendor.test", "language": "fr"}, "language"),
    ):
        r = operator.post(f"/api/v1/cases/{ref}/participants", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in r.text
    assert operator.get(f"/api/v1/cases/{ref}/participants").json() == before


def test_a_coordinator_invites_from_the_case_page_and_a_refusal_keeps_the_form(
    platform: Platform,
) -> None:
    api, ref = _case(platform)
    pages = platform.client()
    assert sign_in(pages, platform.world.operator_admin, PASSWORD).status_code == 303
    path = f"/cases/{ref}"
    shown = get(pages, path)
    assert f'action="/cases/{ref}/participants#participants"' in shown.text
    assert '<option value="Asia/Shanghai">' in shown.text
    # each language by its own name, marked as written in it
    assert '<label lang="zh-Hans"><input type="radio" name="language" value="zh-Hans">' in (
        shown.text
    )
    before = api.get(f"/api/v1/cases/{ref}/participants").json()
    refused = submit(pages, path, f"{path}/participants", {"email": "", "language": "zh-Hans"})
    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.text
    assert 'href="#email"' in refused.text
    assert api.get(f"/api/v1/cases/{ref}/participants").json() == before
    invited = submit(
        pages,
        path,
        f"{path}/participants",
        {
            "email": "psirt@vendor-cn.test",
            "name": "Vendor CN",
            "language": "zh-Hans",
            "timezone": "Asia/Shanghai",
            "response_days": "10",
        },
    )
    assert invited.status_code == 303, invited.text[:1000]
    assert invited.headers["location"] == f"{path}#participants"
    added = [
        p
        for p in api.get(f"/api/v1/cases/{ref}/participants").json()
        if p["contact_email"] == "psirt@vendor-cn.test"
    ]
    assert [(p["name"], p["contact_language"], p["contact_timezone"]) for p in added] == [
        ("Vendor CN", "zh-Hans", "Asia/Shanghai")
    ]
    # whoever may not add participants is not offered the form
    member = platform.client()
    assert sign_in(member, platform.world.member_admin, PASSWORD).status_code == 303
    assert "/participants#participants" not in get(member, path).text
