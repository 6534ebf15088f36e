"""Notices in their reader's language and time zone, end to end: a missed reporting
deadline, a suspension's reassessment and failed renditions, and a case's notices (added
to it, a new message in its thread, the vendor's reminder) and an exposure match, are
stored by kind and parameters, then worded for each recipient, in e-mails through a real
SMTP server (aiosmtpd), in the daily digest and on ``/work``. Every link an e-mail carries
is a page this server serves (signed in: 200; signed out: the page if public, else the
sign-in page; never a 404). The API keeps the English text and gives the parameters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest
from sqlalchemy import select

from clearinghouse.accounts.models import NotifyMode, Organisation, User
from clearinghouse.advisories import publish
from clearinghouse.advisories.models import Advisory, Rendition, RenditionFormat
from clearinghouse.cases import coordination, participants, threads
from clearinghouse.cases.models import Case, Participant, TimelineEvent
from clearinghouse.jobs.worker import Worker
from clearinghouse.principal import SYSTEM
from clearinghouse.standing import sanctions
from clearinghouse.vocab import ParticipantRole
from tests.conftest import REPO
from tests.functional.conftest import Platform
from tests.support.advisories import log4shell_draft
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.web import HTML, get

CASE = "CH-2026-0042"
URL = re.compile(r"https?://127\.0\.0\.1:\d+[^\s)]*")
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Sent:
    smtp: SmtpServer
    advisory: str

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.smtp.inbox.received if address in r.rcpt_tos]


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def _world(platform: Platform) -> str:
    """The member is bound by the MIIT rules and missed its 48 h report an hour ago; the
    other member's suspension is to be reassessed within the day; an advisory's renditions
    failed. Readers: the member's admin (zh-Hans, Shanghai, e-mail at once), its viewer
    (zh-Hans, Shanghai, daily digest), the operator's admin (English, Berlin) and analyst
    (zh-Hans, Shanghai)."""
    w = platform.world
    now = platform.clock.now()
    operator = platform.login(w.operator_admin)
    made = operator.post("/api/v1/advisories", json=log4shell_draft())
    assert made.status_code == 201, made.text
    advisory = str(made.json()["id"])
    published = operator.post(f"/api/v1/advisories/{advisory}/publish", json={})
    assert published.status_code == 200, published.text
    with platform.database.transaction() as s:
        users = {u.email: u for u in s.scalars(select(User))}
        for email, language, zone, mode in [
            (w.member_admin, "zh-Hans", "Asia/Shanghai", NotifyMode.IMMEDIATE),
            (w.member_viewer, "zh-Hans", "Asia/Shanghai", NotifyMode.DIGEST),
            (w.operator_admin, "en", "Europe/Berlin", NotifyMode.IMMEDIATE),
            (w.operator_analyst, "zh-Hans", "Asia/Shanghai", NotifyMode.IMMEDIATE),
        ]:
            users[email].language, users[email].timezone = language, zone
            users[email].notify_mode = mode
        orgs = {o.slug: o for o in s.scalars(select(Organisation))}
        member = orgs["member"]
        member.jurisdictions = ["CN"]
        member.regulatory_roles = ["product_provider"]
        case = Case(
            public_id=CASE,
            title="t",
            summary="",
            coordinator_org_id=orgs["operator"].id,
            created_at=now,
            created_by_label="t",
            updated_at=now,
        )
        s.add(case)
        s.flush()
        aware = now - timedelta(hours=49)  # the MIIT's 48 h ran out an hour ago
        s.add(
            TimelineEvent(
                case_id=case.id,
                org_id=member.id,
                type="aware",
                occurred_at=aware,
                recorded_at=aware,
                recorded_by_label="t",
                data={},
            )
        )
        sanction = sanctions.suspend(
            s,
            actor=SYSTEM,
            org=orgs["other"],
            starts_at=now,
            reason="missed report",
            now=now,
            months=6,
        )
        sanction.reassessment_at = now + timedelta(hours=3)
        found = s.scalars(select(Advisory).where(Advisory.public_id == advisory)).one()
        failed = Rendition(format=RenditionFormat.CVE5, key="", detail="no CNA is configured")
        publish.alert_operator(s, found, [failed], now)
    return advisory


@pytest.fixture
def sent(platform: Platform) -> Iterator[Sent]:
    advisory = _world(platform)
    with smtp_server() as smtp:
        worker = platform.mailing_worker(smtp.host, smtp.port)
        for _ in range(2):  # the alerts and reminders, then the digest of what they made
            worker.run_schedules()
            worker.run_until_idle()
        yield Sent(smtp, advisory)


def test_a_chinese_readers_email_is_in_chinese_with_its_instants_in_shanghai(
    platform: Platform, sent: Sent
) -> None:
    [message] = sent.to(platform.world.member_admin)
    subject = str(message["Subject"])
    # Due 2026-10-01 09:00 UTC: 17:00 in Shanghai, the zone named.
    assert subject.startswith(f"[Clearinghouse] 已逾期：{CASE} 的 ")
    assert subject.endswith("截止时间为 2026年10月1日 17:00 CST (UTC+8)")
    text = _text(message)
    assert "组织：Member" in text
    assert "截止时间：2026年10月1日 17:00 CST (UTC+8) · 2026年10月1日 09:00 UTC" in text
    assert "适用依据：中国的网络产品提供者" in text
    assert "打开：" in text
    assert "在设置中更改通知方式：" in text
    assert "MISSED" not in text
    assert "Open:" not in text
    assert not ISO_INSTANT.search(subject + text)


def test_a_chinese_readers_digest_lists_each_notice_at_its_shanghai_time(
    platform: Platform, sent: Sent
) -> None:
    [digest] = sent.to(platform.world.member_viewer)
    # 10:00 UTC is 18:00 in Shanghai, past the digest's 08:00: sent the same day.
    assert digest["Subject"] == "[Clearinghouse] 2026年10月1日 每日通知汇总：1 条通知"
    text = _text(digest)
    assert text.startswith("自上次汇总以来共有 1 条通知：")
    assert f"1. 已逾期：{CASE} 的 " in text
    assert "(2026年10月1日 18:00 CST (UTC+8))" in text  # when the notice was made
    assert "您每天收到一封通知汇总邮件。" in text
    assert not ISO_INSTANT.search(text)


def test_an_english_reader_in_berlin_reads_english_in_berlin_time(
    platform: Platform, sent: Sent
) -> None:
    subjects = sorted(str(m["Subject"]) for m in sent.to(platform.world.operator_admin))
    assert len(subjects) == 3, subjects
    missed = next(s for s in subjects if "MISSED" in s)
    assert missed.endswith("was due Oct 1, 2026, 11:00 CEST (UTC+2)")
    assert f"[Clearinghouse] {sent.advisory}: 1 rendition failed" in subjects
    reassess = next(s for s in subjects if "Reassessment" in s)
    assert reassess.endswith("is due Oct 1, 2026, 15:00 CEST (UTC+2)")


def test_the_operators_chinese_analyst_gets_the_reminder_in_chinese(
    platform: Platform, sent: Sent
) -> None:
    subjects = [str(m["Subject"]) for m in sent.to(platform.world.operator_analyst)]
    assert "[Clearinghouse] Other 的暂停应于 2026年10月1日 21:00 CST (UTC+8) 重新评估" in subjects


def test_every_link_in_every_email_is_a_page_that_exists(platform: Platform, sent: Sent) -> None:
    w = platform.world
    seen: set[str] = set()
    for email in (w.member_admin, w.member_viewer, w.operator_admin, w.operator_analyst):
        reader = platform.login(email)
        for message in sent.to(email):
            for url in URL.findall(_text(message)):
                assert url.startswith(platform.url), url
                seen.add(url.partition("#")[0].removeprefix(platform.url) or "/")
                signed_in = get(reader, url)
                assert signed_in.status_code == 200, (email, url, signed_in.status_code)
                # signed out: the page, or the sign-in page that comes back to it
                anonymous = httpx.get(url, headers=HTML, follow_redirects=False, timeout=30)
                assert anonymous.status_code in (200, 302, 303, 401), (url, anonymous.status_code)
    assert {
        "/obligations",
        "/members/other",
        f"/advisories/{sent.advisory}",
        "/settings/notifications",
        "/",
    } <= seen


def test_work_shows_the_notice_in_chinese_and_the_api_keeps_english_and_parameters(
    platform: Platform, sent: Sent
) -> None:
    member = platform.login(platform.world.member_admin)
    page = get(member, "/work").text
    assert f"已逾期：{CASE} 的 " in page
    assert "适用依据：中国的网络产品提供者" in page
    assert "2026年10月1日 17:00 CST (UTC+8)" in page
    assert f'href="/obligations#member-{CASE}-cn-miit-2021-' in page
    [notice] = member.get("/api/v1/notifications").json()["items"]
    assert notice["kind"] == "clocks.alert"
    assert notice["subject"].startswith("MISSED: ")
    assert notice["subject"].endswith("was due Oct 1, 2026, 09:00 UTC")
    assert notice["params"]["due"] == "2026-10-01T09:00:00Z"
    assert notice["params"]["basis"]["role"] == "product_provider"
    assert notice["link"].startswith("/obligations#member-")


# ---- a case's notices and an exposure match, to a member reading Chinese in Shanghai ---------

SBOM = REPO / "tests" / "fixtures" / "exposure" / "sbom" / "log4j-core-2.14.1.cdx.json"


@dataclass
class Told:
    smtp: SmtpServer
    advisory: str
    case: str
    thread: str

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.smtp.inbox.received if address in r.rcpt_tos]

    def subject(self, address: str, start: str) -> EmailMessage:
        [message] = [m for m in self.to(address) if str(m["Subject"]).startswith(start)]
        return message


def _member_in_a_case_and_exposed(platform: Platform, worker: Worker) -> tuple[str, str, str]:
    """The member's admin reads Chinese in Shanghai and is e-mailed at once. Its inventory
    runs log4j-core 2.14.1 when the Log4Shell advisory is published (an exposure match);
    its organisation is added to a case as a vendor with 7 days to answer, the coordinator
    writes in the case's thread, and half-way through the vendor is reminded. Returns the
    advisory's, the case's and the thread's ids."""
    w = platform.world
    with platform.database.transaction() as s:
        admin = s.scalars(select(User).where(User.email == w.member_admin)).one()
        admin.language, admin.timezone = "zh-Hans", "Asia/Shanghai"
        admin.notify_mode = NotifyMode.IMMEDIATE
    member = platform.login(w.member_admin)
    uploaded = member.post(
        "/api/v1/inventories",
        params={"name": "网店"},
        content=SBOM.read_bytes(),
        headers={"content-type": "application/json"},
    )
    assert uploaded.status_code == 201, uploaded.text
    operator = platform.login(w.operator_admin)
    made = operator.post("/api/v1/advisories", json=log4shell_draft())
    assert made.status_code == 201, made.text
    advisory = str(made.json()["id"])
    published = operator.post(f"/api/v1/advisories/{advisory}/publish", json={})
    assert published.status_code == 200, published.text
    now = platform.clock.now()
    with platform.database.transaction() as s:
        orgs = {o.slug: o for o in s.scalars(select(Organisation))}
        case = coordination.start_case(
            s, actor=SYSTEM, coordinator=orgs["operator"], title="t", summary=None, now=now
        )
        participants.add(
            s,
            actor=SYSTEM,
            case=case,
            role=ParticipantRole.VENDOR,
            org=orgs["member"],
            now=now,
            base_url=platform.url,
            secret=platform.settings.secret_key.get_secret_value(),
            response_days=7,
        )
        (thread,) = threads.threads_visible(s, case, full=True, participant_id=None)
        threads.post(
            s,
            actor=SYSTEM,
            case=case,
            thread=thread,
            author=None,
            body="Is 2.15.0 enough?",
            uploads=[],
            now=now,
            base_url=platform.url,
        )
        ids = (advisory, case.public_id, str(thread.id))
    worker.run_schedules()
    worker.run_until_idle()  # the match, the notices' e-mails
    with platform.database.transaction(write=False) as s:
        vendor = s.scalars(select(Participant).where(Participant.role == "vendor")).one()
        assert vendor.response_due_at == now + timedelta(days=7)
    platform.clock.set(now + timedelta(days=3, hours=12, minutes=1))  # half-way
    worker.run_schedules()
    worker.run_until_idle()
    return ids


@pytest.fixture
def told(platform: Platform) -> Iterator[Told]:
    with smtp_server() as smtp:
        worker = platform.mailing_worker(smtp.host, smtp.port)
        yield Told(smtp, *_member_in_a_case_and_exposed(platform, worker))


def test_a_case_notice_is_emailed_in_chinese_with_the_deadline_in_shanghai(
    platform: Platform, told: Told
) -> None:
    admin = platform.world.member_admin
    added = _text(told.subject(admin, f"[Clearinghouse] 贵单位已加入案件 {told.case}"))
    assert f"贵单位已作为厂商加入案件 {told.case}。请登录查看。" in added
    assert f"打开：{platform.url}/cases/{told.case}" in added.splitlines()
    thread = _text(told.subject(admin, f"[Clearinghouse] 案件 {told.case} 有新消息"))
    assert "Is 2.15.0 enough?" not in thread  # what was written stays behind the login
    assert f"打开：{platform.url}/cases/{told.case}#thread-{told.thread}" in thread.splitlines()
    reminder = told.subject(admin, f"[Clearinghouse] 提醒：您在案件 {told.case} 中的答复即将截止")
    text = _text(reminder)
    # Due 2026-10-08 10:00 UTC: 18:00 in Shanghai, the zone named, UTC beside it.
    assert "请在 2026年10月8日 18:00 CST (UTC+8) · 2026年10月8日 10:00 UTC 之前" in text
    assert "在设置中更改通知方式：" in text
    for message in told.to(admin):
        words = str(message["Subject"]) + _text(message)
        assert not ISO_INSTANT.search(words), words
        for english in ("New message", "You were added", "Reminder", "Sign in", "Open:"):
            assert english not in words, (english, words)


def test_an_exposure_match_is_emailed_in_chinese_and_links_the_findings_page(
    platform: Platform, told: Told
) -> None:
    admin = platform.world.member_admin
    match = told.subject(admin, f"[Clearinghouse] {told.advisory} 影响您的 1 个资产清单")
    assert str(match["Subject"]).endswith("（1 个匹配结果）")
    text = _text(match)
    assert "涉及您的资产清单中的软件包：org.apache.logging.log4j:log4j-core 2.14.1。" in text
    assert "资产清单：网店。" in text
    # told at 2026-10-01 10:00 UTC: 18:00 in Shanghai
    assert "平台已记录贵单位自 2026年10月1日 18:00 CST (UTC+8) 起知悉上述各项" in text
    assert f"打开：{platform.url}/exposure/findings?advisory={told.advisory}" in text.splitlines()
    assert "/api/v1/" not in text
    page = get(platform.login(admin), f"/exposure/findings?advisory={told.advisory}")
    assert page.status_code == 200
    assert "log4j-core" in page.text


def test_every_link_of_the_case_and_exposure_emails_is_a_page_that_exists(
    platform: Platform, told: Told
) -> None:
    admin = platform.world.member_admin
    reader = platform.login(admin)
    seen: set[str] = set()
    for message in told.to(admin):
        for url in URL.findall(_text(message)):
            assert url.startswith(platform.url), url
            seen.add(url.removeprefix(platform.url))
            signed_in = get(reader, url)
            assert signed_in.status_code == 200, (url, signed_in.status_code)
            anonymous = httpx.get(url, headers=HTML, follow_redirects=False, timeout=30)
            assert anonymous.status_code in (200, 302, 303, 401), (url, anonymous.status_code)
    assert {
        f"/cases/{told.case}",
        f"/cases/{told.case}#thread-{told.thread}",
        f"/exposure/findings?advisory={told.advisory}",
        "/settings/notifications",
    } <= seen


def test_work_shows_the_case_and_exposure_notices_in_chinese(
    platform: Platform, told: Told
) -> None:
    member = platform.login(platform.world.member_admin)
    page = get(member, "/work").text
    assert f"贵单位已作为厂商加入案件 {told.case}。请登录查看。" in page
    assert f"案件 {told.case} 中有一条新消息。" in page
    assert "请在 2026年10月8日 18:00 CST (UTC+8) · 2026年10月8日 10:00 UTC 之前" in page
    assert f"{told.advisory} 影响您的 1 个资产清单（1 个匹配结果）" in page
    assert "平台已记录贵单位自 2026年10月1日 18:00 CST (UTC+8) 起知悉上述各项" in page
    assert 'lang="en"' not in page.partition('id="notifications"')[2]  # nothing left in English
    assert f'href="/exposure/findings?advisory={told.advisory}"' in page
    assert f'href="/cases/{told.case}#thread-{told.thread}"' in page
    notices = member.get("/api/v1/notifications").json()["items"]
    by_kind = {n["kind"]: n for n in notices}
    assert {"case.participant_added", "case.message", "case.vendor_reminder"} <= set(by_kind)
    match = by_kind["exposure.match"]
    assert match["subject"] == f"{told.advisory} affects 1 of your inventories (1 finding)"
    assert match["params"]["aware_at"] == "2026-10-01T10:00:00Z"
    assert match["link"] == f"/exposure/findings?advisory={told.advisory}"
    reminder = by_kind["case.vendor_reminder"]
    assert reminder["params"] == {"case": told.case, "due": "2026-10-08T10:00:00Z"}
    assert "by Oct 8, 2026, 10:00 UTC." in reminder["body"]
