"""A regime file's texts as the pages show them: the ``regime_text`` filter gives the
viewer's language (escaped, and as written where the catalogue does not hold the text),
and an obligation's note has the regime's sentences in it translated (the stage's note, a
role's note, a displacing regime's citation) while the clock's own remarks stay as the
engine words them."""

from __future__ import annotations

from clearinghouse.clocks import EventType, OrgProfile, Role
from clearinghouse.web.assets import Assets
from clearinghouse.web.i18n import Catalogues
from clearinghouse.web.obligation_words import ObligationWords
from clearinghouse.web.templates import environment
from clearinghouse.web.viewer import Viewer, viewer
from tests.unit.clocks.helpers import REGIMES, by_stage, ev, run

CATALOGUES = Catalogues.load()
EN = viewer(CATALOGUES, cookies={}, accept_language="en")
ZH = viewer(CATALOGUES, cookies={}, accept_language="zh-CN")
ENV = environment(Assets(), "Clearinghouse")
CII = OrgProfile("grid", "Grid Co", {"CN"}, {Role.CII_OPERATOR})
BANK = OrgProfile("bank", "Bank AG", {"EU", "DE"}, {Role.FINANCIAL_ENTITY, Role.ESSENTIAL_ENTITY})
ROLE_NOTE = (
    "An incident involving critical information infrastructure is reported at once and within "
    "1 hour at the latest.",
    "涉及关键信息基础设施的，应当第一时间报告，最迟不得超过 1 小时。",
)
STAGE_NOTE = (
    "Other network operators report within 4 hours at the latest.",
    "其他网络运营者应当及时报告，最迟不得超过 4 小时。",
)


def _shown(template: str, reader: Viewer, **values: object) -> str:
    return ENV.from_string(template).render(viewer=reader, **values)


def test_the_filter_shows_a_regime_text_in_the_viewers_language() -> None:
    title = REGIMES["cn-miit-2021"].title
    assert _shown("{{ t | regime_text }}", EN, t=title) == title
    assert (
        _shown("{{ t | regime_text }}", ZH, t=title) == "中国：《网络产品安全漏洞管理规定》第七条"
    )
    recipients = list(REGIMES["eu-cra-art14-vuln"].stages[0].recipients)
    assert _shown("{{ r | map('regime_text') | join('; ') }}", ZH, r=recipients) == (
        "被指定为协调者的 CSIRT（主要营业地所在成员国）; ENISA（通过单一报告平台同时报送）"
    )


def test_the_filter_keeps_an_unknown_text_escapes_it_and_leaves_nothing_as_nothing() -> None:
    own = "Our ISAC's own term <b>now</b>"
    assert (
        _shown("{{ t | regime_text }}", ZH, t=own)
        == "Our ISAC&#39;s own term &lt;b&gt;now&lt;/b&gt;"
    )
    assert _shown("[{{ t | regime_text }}]", ZH, t="") == "[]"  # not the catalogue's header
    assert _shown("[{{ t | regime_text }}]", ZH, t=None) == "[]"


def test_a_notes_regime_sentences_are_translated_and_the_engines_remarks_stay() -> None:
    events = [
        ev(
            "graded",
            EventType.INCIDENT_CLASSIFIED,
            "2026-10-01T08:00:00Z",
            org="grid",
            data={"scheme": "cn-cac-2025", "level": "major"},
        )
    ]
    report = by_stage(run(events, "2026-10-01T08:30:00Z", [CII]), "cn-cac-2025-incident")["report"]
    assert ROLE_NOTE[0] in report.note
    assert STAGE_NOTE[0] in report.note
    english = ObligationWords(EN, REGIMES).note(report)
    chinese = ObligationWords(ZH, REGIMES).note(report)
    assert english == report.note
    for sentence in (ROLE_NOTE, STAGE_NOTE):
        assert sentence[1] in chinese
        assert sentence[0] not in chinese
    engines = report.note.replace(ROLE_NOTE[0], "").replace(STAGE_NOTE[0], "").strip()
    assert engines  # the limit not applied, in the engine's words
    assert engines in chinese
    # Without the regimes, the note is shown as the engine wrote it.
    assert ObligationWords(ZH).note(report) == report.note


def test_a_displaced_obligations_note_has_the_displacing_regimes_citation_translated() -> None:
    events = [
        ev("noticed", EventType.SIGNIFICANT_INCIDENT_AWARE, "2026-10-01T08:00:00Z", org="bank"),
        ev(
            "graded",
            EventType.INCIDENT_CLASSIFIED,
            "2026-10-01T08:00:00Z",
            org="bank",
            data={"scheme": "eu-dora", "level": "major"},
        ),
    ]
    early = by_stage(run(events, "2026-10-01T09:00:00Z", [BANK]), "eu-nis2-art23")["early_warning"]
    assert early.displaced_by == "eu-dora-art19"
    chinese = ObligationWords(ZH, REGIMES).note(early)
    assert (
        "NIS2 Art. 4(1) 和 DORA Art. 1(2)：对金融实体，DORA 的事件报告取代 NIS2 的事件报告"
        in chinese
    )
    assert "replaces NIS2's" not in chinese
