"""An obligation's basis, period and alerts as the pages word them: from the clocks'
fields, in English and in Chinese, with plural forms where a count appears, and never the
English sentences the JSON keeps ("role product_provider in CN", "48 h", "missed")."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from clearinghouse.clocks import (
    Alert,
    AlertKind,
    Basis,
    BasisKind,
    Binding,
    EventType,
    Role,
    Thresholds,
    TimeLimit,
    TimeUnit,
    alerts_due,
)
from clearinghouse.web.i18n import Catalogues
from clearinghouse.web.obligation_words import ROLES, ObligationWords
from clearinghouse.web.viewer import viewer
from tests.unit.clocks.helpers import CLOUDCO, by_stage, ev, run, t

CATALOGUES = Catalogues.load()
EN = ObligationWords(viewer(CATALOGUES, cookies={}, accept_language="en"))
ZH = ObligationWords(viewer(CATALOGUES, cookies={}, accept_language="zh-CN"))
MIIT = "cn-miit-2021"
SEC_8K = TimeLimit(4, TimeUnit.BUSINESS_DAYS, "US-federal", time(17, 30), "America/New_York")


def _alert(kind: AlertKind, fraction: float | None = None, lead: timedelta | None = None) -> Alert:
    when = datetime(2021, 11, 25, 2, 0, tzinfo=UTC)
    label = {AlertKind.FRACTION: "50%", AlertKind.BEFORE_DUE: "2h"}.get(kind, "missed")
    return Alert("k", "o", "s", "r", "st", label, kind, when, when, fraction, lead)


def test_every_role_has_its_words_in_both_languages() -> None:
    assert set(ROLES) == set(Role)
    for role in Role:
        assert EN.role(role) == ROLES[role]
        assert ZH.role(role) != ROLES[role], role  # translated, not the English
    assert ZH.role(Role.PRODUCT_PROVIDER) == "网络产品提供者"


def test_the_engines_basis_is_a_role_in_a_named_country() -> None:
    events = [ev("a", EventType.AWARE, "2021-11-24T10:00:00+08:00", org="cloudco")]
    report = by_stage(run(events, "2021-11-25T03:00:00Z", [CLOUDCO], regimes=[MIIT]), MIIT)[
        "report"
    ]
    assert report.basis.reason == "role product_provider in CN"  # the JSON's, unchanged
    assert EN.basis(report.basis) == "network product provider in China"
    assert ZH.basis(report.basis) == "中国的网络产品提供者"
    anywhere = Basis(BasisKind.ROLE_JURISDICTION, "role platform_partner", Role.PLATFORM_PARTNER)
    assert (EN.basis(anywhere), ZH.basis(anywhere)) == ("platform partner", "平台合作单位")
    eu = Basis(BasisKind.ROLE_JURISDICTION, "role manufacturer in EU", Role.MANUFACTURER, "EU")
    assert (EN.basis(eu), ZH.basis(eu)) == ("manufacturer in European Union", "欧盟的制造商")


def test_an_override_is_worded_with_the_operators_reason_as_written() -> None:
    events = [ev("a", EventType.AWARE, "2021-11-24T10:00:00+08:00", org="cloudco")]
    override = Binding("cloudco", "case-1", MIIT, applies=False, reason="不是我们的产品 <b>")
    report = by_stage(
        run(events, "2021-12-22T00:00:00Z", [CLOUDCO], regimes=[MIIT], overrides=[override]),
        MIIT,
    )["report"]
    assert EN.basis(report.basis) == "regime override: does not apply (不是我们的产品 <b>)"
    assert ZH.basis(report.basis) == "监管制度适用调整：不适用（不是我们的产品 <b>）"
    applies = Basis(BasisKind.OVERRIDE, "override: applies: ", applies=True, override_reason="")
    assert (EN.basis(applies), ZH.basis(applies)) == (
        "regime override: applies",
        "监管制度适用调整：适用",
    )


@pytest.mark.parametrize(
    ("limit", "english", "chinese"),
    [
        (TimeLimit(1, TimeUnit.HOURS), "1 hour", "1 小时"),
        (TimeLimit(48, TimeUnit.HOURS), "48 hours", "48 小时"),
        (TimeLimit(1, TimeUnit.CALENDAR_DAYS), "1 calendar day", "1 个自然日"),
        (TimeLimit(14, TimeUnit.CALENDAR_DAYS), "14 calendar days", "14 个自然日"),
        (TimeLimit(1, TimeUnit.MONTHS), "1 month", "1 个月"),
        (TimeLimit(3, TimeUnit.MONTHS), "3 months", "3 个月"),
        (TimeLimit(1000, TimeUnit.HOURS), "1,000 hours", "1,000 小时"),
        (
            TimeLimit(1, TimeUnit.BUSINESS_DAYS, "weekends-only"),
            "1 business day (weekends skipped)",
            "1 个工作日（不计周末）",
        ),
        (
            SEC_8K,
            "4 business days (weekends and US federal holidays skipped), by 17:30 "
            "America/New_York time on the last day",
            "4 个工作日（不计周末和美国联邦假日），最后一天 America/New_York 时间 17:30 前",
        ),
        (
            TimeLimit(2, TimeUnit.BUSINESS_DAYS, "holidays:DE-BY"),
            "2 business days (weekends and public holidays of Germany (BY) skipped)",
            "2 个工作日（不计周末和德国（BY）公共假日）",
        ),
        (
            TimeLimit(2, TimeUnit.BUSINESS_DAYS, "financial:NYSE"),
            "2 business days (weekends and NYSE trading holidays skipped)",
            "2 个工作日（不计周末和NYSE 休市日）",
        ),
    ],
)
def test_a_period_in_words_with_its_plural_form(
    limit: TimeLimit, english: str, chinese: str
) -> None:
    assert EN.time_limit(limit) == english
    assert ZH.time_limit(limit) == chinese


def test_a_cutoff_without_a_reference_zone_is_read_in_utc() -> None:
    limit = TimeLimit(4, TimeUnit.BUSINESS_DAYS, "weekends-only", time(9, 0))
    assert EN.time_limit(limit).endswith("by 09:00 UTC time on the last day")


def test_the_engines_alerts_are_worded_by_what_they_mark() -> None:
    events = [ev("e1", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z")]
    at = "2026-10-02T10:00:01Z"
    early = by_stage(run(events, at, regimes=["eu-cra-art14-vuln"]), "eu-cra-art14-vuln")[
        "early_warning"
    ]
    alerts = alerts_due(early, Thresholds(), t(at))
    assert [EN.alert(a) for a in alerts] == [
        "50% of the time allowed had passed",
        "80% of the time allowed had passed",
        "2 hr before the deadline",
        "the deadline passed",
    ]
    assert [ZH.alert(a) for a in alerts] == [
        "时限已过去 50%",
        "时限已过去 80%",
        "距截止时间 2小时",
        "已过截止时间",
    ]


def test_a_configured_share_or_lead_time_is_worded_as_set() -> None:
    assert EN.alert(_alert(AlertKind.FRACTION, fraction=0.125)) == (
        "12.5% of the time allowed had passed"
    )
    lead = _alert(AlertKind.BEFORE_DUE, lead=timedelta(days=1, hours=6))
    assert (EN.alert(lead), ZH.alert(lead)) == (
        "1 day 6 hr before the deadline",
        "距截止时间 1天6小时",
    )


def test_no_english_sentence_of_the_json_reaches_a_chinese_reader() -> None:
    words = [ZH.basis(Basis(BasisKind.ROLE_JURISDICTION, "x", role, "CN")) for role in Role] + [
        ZH.time_limit(TimeLimit(n, unit)) for unit in TimeUnit for n in (1, 2)
    ]
    words += [ZH.alert(_alert(AlertKind.MISSED))]
    for text in words:
        assert not any(english in text for english in ("role ", " in ", " h", "day", "missed"))
