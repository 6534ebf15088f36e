"""Notices stored by kind and parameters are worded for their reader: in the reader's
language, instants in the reader's zone with the zone named (and deadlines with UTC
beside them), exactly as the pages write instants. Parameters round-trip through JSON;
a notice stored as text only, or with parameters that are not its kind's, is shown as
stored."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.clocks.model import Role
from clearinghouse.notify import wording
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.reader import english, reader_for
from clearinghouse.vocab import Language
from clearinghouse.web import display
from clearinghouse.web.i18n import Catalogues
from clearinghouse.web.viewer import viewer
from clearinghouse.web.words import notice_words

DUE = datetime(2021, 11, 26, 2, 0, tzinfo=UTC)
ZH = reader_for("zh-Hans", "Asia/Shanghai")
EN = english()

MISSED = wording.ClockAlert(
    missed=True,
    threshold="missed",
    organisation="Alibaba Cloud",
    organisation_slug="alibaba-cloud",
    regime="cn-miit-2021",
    regime_title="MIIT Regulations on Network Product Security Vulnerabilities",
    stage="report",
    stage_name="Report to MIIT",
    subject="CH-2021-0001",
    due=DUE,
    basis=wording.Basis(
        "role_jurisdiction", "role product_provider in CN", "product_provider", "CN"
    ),
    flags=("UNVERIFIED",),
)
DUE_SOON = replace(MISSED, missed=False, threshold="2h")
REASSESSMENT = wording.ReassessmentDue(
    organisation="Alibaba Cloud",
    organisation_slug="alibaba-cloud",
    decided_at=datetime(2021, 12, 22, 3, 0, tzinfo=UTC),
    reassessment_at=datetime(2022, 6, 22, 3, 0, tzinfo=UTC),
    reason="did not report Log4Shell to MIIT in time",
    lead="14d",
)
RENDITIONS = wording.RenditionsFailed(
    advisory="CHSA-2021-0001",
    failed=(
        wording.FailedRendition("cve5", None, "no CNA is configured"),
        wording.FailedRendition("csaf_vex", "apache", "no product tree"),
    ),
)
CASE = "CH-2021-0001"
REPORT = "0193a8a4-5b7e-7c1d-9a1e-2f3b4c5d6e7f"
AT = datetime(2021, 12, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ARMOR = "-----BEGIN PGP MESSAGE-----\n\nwcBMA...\n-----END PGP MESSAGE-----"
THREAD = wording.CaseMessagePosted(CASE)
ADDED = wording.AddedToCase(CASE, "vendor")
INVITATION = wording.VendorInvitation(
    CASE, "Clearinghouse", "https://ch.test/invitations/open#chi_secret", AT
)
REMINDER = wording.VendorReminder(CASE, AT)
ESCALATED = wording.VendorEscalated(CASE, "Apache Logging PMC", AT)
STATUS = wording.ReportStatus(REPORT, "valid")
TRACKED_STATUS = wording.ReportStatus(REPORT, "valid", tracked=True)
REPLY = wording.ReportMessagePosted(REPORT, wording.COORDINATOR)
TRACKED_REPLY = wording.ReportMessagePosted(REPORT, wording.COORDINATOR, tracked=True)
FINDER_WROTE = wording.ReportMessagePosted(REPORT, wording.FINDER)
EXPOSURE = wording.ExposureMatch(
    advisories=(wording.MatchedAdvisory("CHSA-2021-0001", "Apache Log4j2 JNDI RCE"),),
    advisory_count=1,
    inventories=("web shop",),
    inventory_count=1,
    packages=("log4j-core 2.14.1",),
    package_count=1,
    findings=1,
    aware_at=AT,
)
MANY = wording.ExposureMatch(
    advisories=tuple(wording.MatchedAdvisory(f"CHSA-2021-000{i}", f"t{i}") for i in range(1, 4)),
    advisory_count=12,
    inventories=("billing", "web shop"),
    inventory_count=2,
    packages=("log4j-api 2.14.1", "log4j-core 2.14.1"),
    package_count=5,
    findings=30,
    aware_at=AT,
)
MESSAGES: list[wording.Message] = [
    MISSED,
    DUE_SOON,
    REASSESSMENT,
    RENDITIONS,
    THREAD,
    wording.Sealed(ADDED, ARMOR),
    ADDED,
    INVITATION,
    REMINDER,
    ESCALATED,
    STATUS,
    TRACKED_STATUS,
    REPLY,
    wording.Sealed(TRACKED_REPLY, ARMOR),
    FINDER_WROTE,
    EXPOSURE,
    MANY,
]


def test_every_kind_of_message_is_worded_here() -> None:
    """A kind without a message type would reach a Chinese reader in English."""
    assert set(wording.PARSERS) == {kind.value for kind in MessageKind}
    assert {m.kind for m in MESSAGES} == set(MessageKind)


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_parameters_round_trip_through_json(message: wording.Message) -> None:
    stored = json.loads(json.dumps(message.params()))
    assert wording.message_of(message.kind.value, stored) == message


def test_a_missed_alert_in_chinese_with_its_instants_in_shanghai() -> None:
    text = MISSED.word(ZH)
    assert text.language is Language.ZH_HANS
    assert text.subject == (
        "已逾期：CH-2021-0001 的 MIIT Regulations on Network Product Security Vulnerabilities"
        "（Report to MIIT）截止时间为 2021年11月26日 10:00 CST (UTC+8)"
    )
    lines = text.body.splitlines()
    assert lines[:6] == [
        "组织：Alibaba Cloud",
        "监管制度：MIIT Regulations on Network Product Security Vulnerabilities",
        "阶段：Report to MIIT",
        "对象：CH-2021-0001",
        "截止时间：2021年11月26日 10:00 CST (UTC+8) · 2021年11月26日 02:00 UTC",
        "适用依据：中国的网络产品提供者",
    ]
    assert "标记：UNVERIFIED" in lines
    assert lines[-1] == "请在该报告义务的页面起草报告；标记为已提交后，该报告义务即告履行。"
    assert "MISSED" not in text.subject
    assert "2021-11-26T02:00:00Z" not in text.body


def test_the_stored_english_keeps_its_shape() -> None:
    assert MISSED.word(EN).subject.startswith("MISSED: ")
    soon = DUE_SOON.word(EN)
    assert soon.subject.startswith("Due soon (2 hr): ")
    assert soon.subject.endswith("for CH-2021-0001 is due Nov 26, 2021, 02:00 UTC")
    assert "Why you are bound: network product provider in China" in soon.body
    assert "即将到期（2小时）：" in DUE_SOON.word(ZH).subject


def test_a_reader_elsewhere_reads_its_own_zone() -> None:
    new_york = reader_for("en", "America/New_York")
    text = MISSED.word(new_york)
    assert text.subject.endswith("was due Nov 25, 2021, 21:00 EST (UTC-5)")
    assert "Due: Nov 25, 2021, 21:00 EST (UTC-5) · Nov 26, 2021, 02:00 UTC" in text.body


def test_a_reassessment_reminder_in_chinese() -> None:
    text = REASSESSMENT.word(ZH)
    assert text.subject == "Alibaba Cloud 的暂停应于 2022年6月22日 11:00 CST (UTC+8) 重新评估"
    assert "决定于 2021年12月22日 11:00 CST (UTC+8)" in text.body
    assert "did not report Log4Shell to MIIT in time" in text.body  # the operator's words


def test_failed_renditions_counted_in_each_language() -> None:
    assert RENDITIONS.word(EN).subject == "CHSA-2021-0001: 2 renditions failed"
    assert RENDITIONS.word(ZH).subject == "CHSA-2021-0001：2 个格式生成失败"
    assert "- csaf_vex apache: no product tree" in RENDITIONS.word(ZH).body
    one = wording.RenditionsFailed("CHSA-2021-0001", RENDITIONS.failed[:1])
    assert one.word(EN).subject == "CHSA-2021-0001: 1 rendition failed"


def test_an_override_basis_is_worded_with_the_operators_reason() -> None:
    basis = wording.Basis("override", "override: applies: joined the MIIT platform")
    assert basis.word(EN) == "regime override: applies (joined the MIIT platform)"
    assert basis.word(ZH) == "监管制度适用调整：适用（joined the MIIT platform）"


def test_an_alert_queued_with_the_basis_as_words_is_still_worded() -> None:
    params = MISSED.params() | {"basis": "role product_provider in CN"}
    text = wording.word(MessageKind.CLOCK_ALERT.value, params, "s", "b", ZH)
    assert "适用依据：role product_provider in CN" in text.body


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("case.unknown", {"case": CASE}),  # a kind no message type words
        (MessageKind.CASE_MESSAGE.value, {"anything": 1}),  # not the kind's parameters
        (MessageKind.CLOCK_ALERT.value, None),
        (MessageKind.CLOCK_ALERT.value, {"alert": "missed"}),  # not the kind's parameters
        (MessageKind.CLOCK_ALERT.value, MISSED.params() | {"due": "yesterday"}),
        (MessageKind.ADVISORY_RENDITION_FAILED.value, {"advisory": "X", "failed": "x"}),
    ],
)
def test_a_notice_without_usable_parameters_is_shown_as_stored(
    kind: str, params: dict[str, object] | None
) -> None:
    text = wording.word(kind, params, "Stored subject", "Stored body", ZH)
    assert text == wording.Text("Stored subject", "Stored body", Language.EN)


def test_a_page_words_a_notice_as_the_email_does() -> None:
    """The page's viewer and the e-mail's reader, both zh-Hans in Shanghai, agree."""
    page = viewer(
        Catalogues.load(),
        cookies={"ch_lang": "zh-Hans", "ch_tz": "Asia/Shanghai"},
        accept_language=None,
    )

    class Stored:
        kind = MessageKind.CLOCK_ALERT.value
        params = MISSED.params()
        subject = "MISSED: ..."
        body = "..."

    assert notice_words(page)(Stored()) == MISSED.word(ZH)  # type: ignore[arg-type]


ZONES = ["UTC", "Asia/Shanghai", "Asia/Kolkata", "America/New_York", "Europe/Berlin", "Asia/Dubai"]


@given(
    at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    language=st.sampled_from(list(Language)),
)
def test_an_instant_reads_as_on_the_pages(at: datetime, zone: str, language: Language) -> None:
    reader = reader_for(language.value, zone)
    assert reader.instant(at) == display.instant_text(at, ZoneInfo(zone), reader.locale)


def test_a_saved_language_we_do_not_speak_and_an_unknown_zone_read_as_english_in_utc() -> None:
    reader = reader_for("fr", "Not/AZone")
    assert reader.language is Language.EN
    assert reader.instant(DUE + timedelta(minutes=5)) == "Nov 26, 2021, 02:05 UTC"


def test_every_regulatory_role_has_words() -> None:
    """A role the clocks add without words here would reach a reader as an identifier."""
    assert set(wording.ROLES) == {role.value for role in Role}
    for role in Role:
        basis = wording.Basis("role_jurisdiction", "", role.value, None)
        assert basis.word(ZH) != role.value, role


# ---- cases, reports and exposure ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "english", "chinese"),
    [
        (
            THREAD,
            (
                f"New message in case {CASE}",
                f"A new message was posted in case {CASE}. Sign in (or use your invitation "
                "link) to read it.",
            ),
            (
                f"案件 {CASE} 有新消息",
                f"案件 {CASE} 中有一条新消息。请登录（或使用您的邀请链接）查看。",
            ),
        ),
        (
            ADDED,
            (
                f"You were added to case {CASE}",
                f"Your organisation was added to case {CASE} as vendor. Sign in to read it.",
            ),
            (f"贵单位已加入案件 {CASE}", f"贵单位已作为厂商加入案件 {CASE}。请登录查看。"),
        ),
        (
            STATUS,
            (
                "Your vulnerability report is now valid",
                f"Your report {REPORT} is now valid. Sign in to read why.",
            ),
            (
                "您的漏洞报告状态已变为“有效”",
                f"您的报告 {REPORT} 状态已变为“有效”。请登录查看原因。",
            ),
        ),
        (
            TRACKED_STATUS,
            (
                "Your vulnerability report is now valid",
                f"Your report {REPORT} is now valid. Open the tracking link you received when "
                "you reported it to read why.",
            ),
            (
                "您的漏洞报告状态已变为“有效”",
                f"您的报告 {REPORT} 状态已变为“有效”。请打开提交报告时获得的跟踪链接查看原因。",
            ),
        ),
        (
            REPLY,
            (
                "The coordinator replied to your vulnerability report",
                f"There is a reply on your report {REPORT}. Sign in to read it.",
            ),
            ("协调方已回复您的漏洞报告", f"您的报告 {REPORT} 有一条新回复。请登录查看。"),
        ),
        (
            TRACKED_REPLY,
            (
                "The coordinator replied to your vulnerability report",
                f"There is a reply on your report {REPORT}. Open the tracking link you received "
                "when you reported it to read it and answer.",
            ),
            (
                "协调方已回复您的漏洞报告",
                f"您的报告 {REPORT} 有一条新回复。请打开提交报告时获得的跟踪链接查看并答复。",
            ),
        ),
        (
            FINDER_WROTE,
            ("The finder wrote on a report", f"The finder of report {REPORT} wrote a message."),
            ("发现者在报告中留言", f"报告 {REPORT} 的发现者发送了一条消息。"),
        ),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, tuple) else "",
)
def test_a_case_or_report_notice_in_each_language(
    message: wording.Message, english: tuple[str, str], chinese: tuple[str, str]
) -> None:
    en, zh = message.word(EN), message.word(ZH)
    assert (en.subject, en.body, en.language) == (*english, Language.EN)
    assert (zh.subject, zh.body, zh.language) == (*chinese, Language.ZH_HANS)


def test_a_thread_notice_says_that_something_was_written_never_what() -> None:
    text = THREAD.word(EN)
    assert text.subject == f"New message in case {CASE}"
    assert text.body.startswith(f"A new message was posted in case {CASE}. Sign in (or use your")
    assert THREAD.params() == {"case": CASE}  # nothing of the message itself is stored


def test_a_vendors_deadline_reads_in_the_readers_zone_with_utc_beside() -> None:
    assert REMINDER.word(EN).subject == f"Reminder: your response is due in case {CASE}"
    assert REMINDER.word(EN).body == (
        f"Please state whether your product is affected, in case {CASE}, by Dec 10, 2021, "
        "02:00 UTC. Use the link from your invitation, or sign in."
    )
    zh = REMINDER.word(ZH)
    assert zh.subject == f"提醒：您在案件 {CASE} 中的答复即将截止"
    assert zh.body == (
        "请在 2021年12月10日 10:00 CST (UTC+8) · 2021年12月10日 02:00 UTC 之前说明您的产品是否受"
        f"案件 {CASE} 所涉漏洞影响。请使用邀请中的链接，或登录后答复。"
    )
    escalated = ESCALATED.word(ZH)
    assert escalated.subject == f"厂商未在案件 {CASE} 中答复"
    assert escalated.body == (
        "Apache Logging PMC 未在截止时间（2021年12月10日 10:00 CST (UTC+8) · 2021年12月10日 "
        f"02:00 UTC）前就案件 {CASE} 作出答复。"
    )
    assert ESCALATED.word(EN).body == (
        "Apache Logging PMC has not responded by its deadline (Dec 10, 2021, 02:00 UTC) in "
        f"case {CASE}."
    )


def test_an_invitation_carries_its_link_and_expiry_in_the_readers_words() -> None:
    en = INVITATION.word(EN)
    assert en.subject == f"You are invited to coordinate a vulnerability (case {CASE})"
    assert en.body.splitlines() == [
        "A vulnerability that concerns a product you maintain is being coordinated privately "
        f"on Clearinghouse as case {CASE}.",
        "",
        "Open your part of the case (no account needed):",
        INVITATION.url,
        "",
        "The link is personal and expires on Dec 10, 2021, 02:00 UTC. Please state, for each "
        "vulnerability, whether your product is affected.",
    ]
    zh = INVITATION.word(ZH)
    assert zh.subject == f"邀请您参与漏洞协调（案件 {CASE}）"
    assert INVITATION.url in zh.body.splitlines()
    assert "将于 2021年12月10日 10:00 CST (UTC+8) 失效" in zh.body


def test_an_exposure_match_names_its_advisory_inventories_and_awareness_instant() -> None:
    en = EXPOSURE.word(EN)
    assert en.subject == "CHSA-2021-0001 affects 1 of your inventories (1 finding)"
    assert en.body.splitlines()[:3] == [
        "CHSA-2021-0001 (Apache Log4j2 JNDI RCE) names packages your inventories contain: "
        "log4j-core 2.14.1.",
        "",
        "Inventories: web shop.",
    ]
    assert "is aware of each as of Dec 10, 2021, 02:00 UTC: reporting obligations" in en.body
    zh = EXPOSURE.word(ZH)
    assert zh.subject == "CHSA-2021-0001 影响您的 1 个资产清单（1 个匹配结果）"
    assert zh.body.splitlines()[:3] == [
        "CHSA-2021-0001（Apache Log4j2 JNDI RCE）涉及您的资产清单中的软件包：log4j-core 2.14.1。",
        "",
        "资产清单：web shop。",
    ]
    assert "平台已记录贵单位自 2021年12月10日 10:00 CST (UTC+8) 起知悉上述各项" in zh.body
    assert "aware" not in zh.body


def test_an_exposure_match_of_many_counts_what_it_does_not_name() -> None:
    en = MANY.word(EN)
    assert en.subject == "12 advisories affect 2 of your inventories (30 findings)"
    assert en.body.splitlines()[0] == (
        "CHSA-2021-0001 (t1), CHSA-2021-0002 (t2), CHSA-2021-0003 (t3), and 9 more name "
        "packages your inventories contain: log4j-api 2.14.1, log4j-core 2.14.1, and 3 more."
    )
    assert "Inventories: billing and web shop." in en.body
    zh = MANY.word(ZH)
    assert zh.subject == "12 份安全公告影响您的 2 个资产清单（30 个匹配结果）"
    assert zh.body.splitlines()[0] == (
        "CHSA-2021-0001（t1）、CHSA-2021-0002（t2）、CHSA-2021-0003（t3）和另外 9 项涉及您的资产"
        "清单中的软件包：log4j-api 2.14.1、log4j-core 2.14.1和另外 3 项。"
    )
    assert "资产清单：billing和web shop。" in zh.body


def test_sealed_detail_comes_last_under_a_heading_in_the_readers_language() -> None:
    sealed = wording.Sealed(ADDED, ARMOR)
    en, zh = sealed.word(EN), sealed.word(ZH)
    assert en.body.endswith(f"\n\nDetail, encrypted to your OpenPGP key:\n\n{ARMOR}")
    assert zh.body.endswith(f"\n\n详细内容（已使用您的 OpenPGP 密钥加密）：\n\n{ARMOR}")
    assert zh.subject == ADDED.word(ZH).subject
    reply = wording.Sealed(TRACKED_REPLY, ARMOR).word(EN)
    assert reply.body.endswith(f"The reply, encrypted to your OpenPGP key:\n\n{ARMOR}")
    stored = json.loads(json.dumps(sealed.params()))
    assert wording.word(ADDED.kind.value, stored, "s", "b", ZH) == zh


WORDED_FROM_PARAMETERS = [
    THREAD,
    ADDED,
    INVITATION,
    REMINDER,
    ESCALATED,
    TRACKED_STATUS,
    TRACKED_REPLY,
    EXPOSURE,
]
OPTIONAL = {"tracked"}  # absent: a signed-in reader


def _garbled(message: wording.Message) -> list[dict[str, object]]:
    """Each parameter missing (unless optional), or of another type."""
    params = message.params()
    variants: list[dict[str, object]] = []
    for key in params:
        if key not in OPTIONAL:
            variants.append({k: v for k, v in params.items() if k != key})
        variants.append(params | {key: {"garbled": True}})
    return variants


@pytest.mark.parametrize("message", WORDED_FROM_PARAMETERS, ids=lambda m: type(m).__name__)
def test_garbled_parameters_of_each_kind_are_shown_as_stored(message: wording.Message) -> None:
    for params in _garbled(message):
        text = wording.word(message.kind.value, params, "Stored subject", "Stored body", ZH)
        assert text == wording.Text("Stored subject", "Stored body", Language.EN), params


@pytest.mark.parametrize(
    ("message", "params"),
    [
        (STATUS, STATUS.params() | {"tracked": "yes"}),
        (REPLY, REPLY.params() | {"author": "someone"}),
        (EXPOSURE, EXPOSURE.params() | {"advisories": []}),
        (EXPOSURE, EXPOSURE.params() | {"findings": -1}),
        (EXPOSURE, EXPOSURE.params() | {"findings": True}),
        (EXPOSURE, EXPOSURE.params() | {"aware_at": "2021-12-10 02:00"}),  # no zone
        (EXPOSURE, EXPOSURE.params() | {"advisories": [{"id": "CHSA-2021-0001"}]}),
        (ADDED, ADDED.params() | {"sealed": ["not", "armour"]}),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, dict) else "",
)
def test_parameters_that_do_not_make_a_message_are_shown_as_stored(
    message: wording.Message, params: dict[str, object]
) -> None:
    text = wording.word(message.kind.value, params, "Stored subject", "Stored body", ZH)
    assert text == wording.Text("Stored subject", "Stored body", Language.EN)
