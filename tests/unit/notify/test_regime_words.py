"""A clock alert names its regime and stage with the regime file's words in the
recipient's language, as the pages do: the MIIT rules' title and stage in Chinese for a
Chinese reader, in English for an English one and in the English stored beside the
parameters; an operator's own regime, which the catalogue does not hold, as written."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from clearinghouse.clocks import load_regimes
from clearinghouse.notify import wording
from clearinghouse.notify.reader import english, reader_for

MIIT = load_regimes()["cn-miit-2021"]
ALERT = wording.ClockAlert(
    missed=True,
    threshold="missed",
    organisation="Alibaba Cloud",
    organisation_slug="alibaba-cloud",
    regime=MIIT.id,
    regime_title=MIIT.title,
    stage="report",
    stage_name=MIIT.stage("report").name,
    subject="CH-2021-0001",
    due=datetime(2021, 11, 26, 2, 0, tzinfo=UTC),
    basis=wording.Basis(
        "role_jurisdiction", "role product_provider in CN", "product_provider", "CN"
    ),
)
TITLE_ZH = "中国：《网络产品安全漏洞管理规定》第七条"
STAGE_ZH = "向工业和信息化部网络安全威胁和漏洞信息共享平台（NVDB）报送漏洞信息"


def test_a_chinese_reader_reads_the_regime_and_the_stage_in_chinese() -> None:
    text = ALERT.word(reader_for("zh-Hans", "Asia/Shanghai"))
    assert text.subject.startswith(f"已逾期：CH-2021-0001 的 {TITLE_ZH}（{STAGE_ZH}）截止时间为 ")
    lines = text.body.splitlines()
    assert f"监管制度：{TITLE_ZH}" in lines
    assert f"阶段：{STAGE_ZH}" in lines
    assert MIIT.title not in text.subject + text.body


def test_an_english_reader_and_the_stored_text_keep_the_regime_files_english() -> None:
    for reader in (english(), reader_for("en", "Europe/Berlin")):
        text = ALERT.word(reader)
        assert f"MISSED: {MIIT.title}: {ALERT.stage_name} for CH-2021-0001" in text.subject
        assert f"Regime: {MIIT.title}" in text.body.splitlines()
    assert ALERT.params()["regime_title"] == MIIT.title  # the parameters keep the English


def test_an_operators_own_regime_is_named_as_written() -> None:
    own = replace(ALERT, regime="acme-isac-terms", regime_title="ISAC term", stage_name="Share")
    text = own.word(reader_for("zh-Hans", "Asia/Shanghai"))
    assert text.subject.startswith("已逾期：CH-2021-0001 的 ISAC term（Share）")
