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
MESSAGES: list[wording.Message] = [MISSED, DUE_SOON, REASSESSMENT, RENDITIONS]


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
        (MessageKind.CASE_MESSAGE.value, {"anything": 1}),  # a kind stored as text only
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
