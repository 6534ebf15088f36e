"""A regime file's texts as the pages show them: the ``regime_text`` filter gives the
viewer's language (escaped, and as written where the catalogue does not hold the text),
and an obligation's note is worded from its remarks: the regime's sentences in it (the
stage's note or, for an organisation no role variant matched, its default note, a role's
note, a displacing regime's citation) and the clock's own remarks (a limit not applied,
the candidates of an earliest-of deadline, waiting for an anchor, not in force) in the
reader's language, the JSON's note staying English."""

from __future__ import annotations

from datetime import UTC, datetime

from clearinghouse.clocks import Event, EventType, OrgProfile, Role
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
OPERATOR = OrgProfile("shop", "Shop Co", {"CN"}, {Role.NETWORK_OPERATOR})
BANK = OrgProfile("bank", "Bank AG", {"EU", "DE"}, {Role.FINANCIAL_ENTITY, Role.ESSENTIAL_ENTITY})
ROLE_NOTE = (
    "An incident involving critical information infrastructure is reported at once and within "
    "1 hour at the latest.",
    "涉及关键信息基础设施的，应当第一时间报告，最迟不得超过 1 小时。",
)
DEFAULT_NOTE = (  # the stage's default_note: for an operator no role note applies to
    "Other network operators report within 4 hours at the latest.",
    "其他网络运营者应当及时报告，最迟不得超过 4 小时。",
)


def _graded(id: str, at: str, org: str, scheme: str, level: str) -> Event:
    """An incident classified at ``level`` of ``scheme`` by ``org``."""
    return ev(
        id, EventType.INCIDENT_CLASSIFIED, at, org=org, data={"scheme": scheme, "level": level}
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


def test_a_notes_regime_sentences_and_the_engines_remarks_are_translated() -> None:
    events = [_graded("graded", "2026-10-01T08:00:00Z", "grid", "cn-cac-2025", "major")]
    report = by_stage(run(events, "2026-10-01T08:30:00Z", [CII]), "cn-cac-2025-incident")["report"]
    assert ROLE_NOTE[0] in report.note
    assert DEFAULT_NOTE[0] not in report.note  # the 4 hours are for the others
    limit = "No incident_noticed recorded: that limit is not applied."
    assert limit in report.note  # the JSON's note, in the engine's English
    english = ObligationWords(EN, REGIMES).note(report)
    chinese = ObligationWords(ZH, REGIMES).note(report)
    # English pages word periods as the other fields do ("1 hour", where the JSON has "1 h")
    assert english == report.note.replace("1 h after", "1 hour after")
    assert ROLE_NOTE[1] in chinese
    assert ROLE_NOTE[0] not in chinese
    assert DEFAULT_NOTE[1] not in chinese
    assert "未记录 incident_noticed：该时限不适用。" in chinese
    assert "recorded" not in chinese
    # The remarks need no regime to be translated (the regimes name stages and zones).
    assert ObligationWords(ZH).note(report) == chinese


def test_an_operator_no_role_note_applies_to_reads_the_stages_default_note() -> None:
    events = [_graded("graded", "2026-10-01T08:00:00Z", "shop", "cn-cac-2025", "major")]
    obligations = run(events, "2026-10-01T08:30:00Z", [OPERATOR])
    report = by_stage(obligations, "cn-cac-2025-incident")["report"]
    assert report.due == datetime(2026, 10, 1, 12, 0, tzinfo=UTC)  # 4 hours after grading
    assert DEFAULT_NOTE[0] in report.note
    assert ROLE_NOTE[0] not in report.note
    assert DEFAULT_NOTE[1] in ObligationWords(ZH, REGIMES).note(report)


def test_an_earliest_of_deadline_is_worded_with_its_candidates() -> None:
    bank = OrgProfile("bank", "Bank AG", {"EU", "DE"}, {Role.FINANCIAL_ENTITY})
    events = [
        ev("aware", EventType.INCIDENT_NOTICED, "2026-06-01T09:00:00Z", org="bank"),
        _graded("major", "2026-06-01T10:00:00Z", "bank", "eu-dora", "major"),
    ]
    initial = by_stage(
        run(events, "2026-06-01T10:00:00Z", [bank], regimes=["eu-dora-art19"]), "eu-dora-art19"
    )["initial_notification"]
    assert (
        "Due at the earliest of: 4 h after incident_classified (major); "
        "24 h after incident_noticed (aware)." in initial.note
    )
    english = ObligationWords(EN, REGIMES).note(initial)
    assert (
        "Due at the earliest of: 4 hours after incident_classified (major); "
        "24 hours after incident_noticed (aware)." in english
    )
    chinese = ObligationWords(ZH, REGIMES).note(initial)
    assert (
        "截止时间取以下最早者：incident_classified（major）之后 4 小时；"
        "incident_noticed（aware）之后 24 小时。" in chinese
    )
    assert "after" not in chinese


def test_waiting_for_an_oral_report_names_the_stage_in_the_readers_language() -> None:
    port = OrgProfile("port", "Port Pty Ltd", {"AU"}, {Role.RESPONSIBLE_ENTITY})
    aware = _graded("g", "2026-04-04T22:00:00Z", "port", "au-soci", "significant_impact")
    written = by_stage(
        run([aware], "2026-04-05T00:00:00Z", [port], regimes=["au-soci-part2b"]), "au-soci-part2b"
    )["significant_impact_written_record"]
    assert "waiting for submission of stage significant_impact_report (oral)." in written.note
    stage = REGIMES["au-soci-part2b"].stage("significant_impact_report").name
    english = ObligationWords(EN, REGIMES).note(written)
    assert f"waiting for the oral submission of “{stage}”." in english
    chinese = ObligationWords(ZH, REGIMES).note(written)
    assert f"等待 以口头形式提交“{ZH.translations.gettext(stage)}”。" in chinese
    assert stage not in chinese  # the stage's name is translated too


def test_a_regime_not_in_force_says_when_in_the_readers_zone() -> None:
    shop = OrgProfile("shop", "Shop", {"CN"}, {Role.NETWORK_OPERATOR})
    before = _graded("g", "2025-10-31T15:59:00Z", "shop", "cn-cac-2025", "major")
    report = by_stage(
        run([before], "2025-11-01T00:00:00Z", [shop], regimes=["cn-cac-2025-incident"]),
        "cn-cac-2025-incident",
    )["report"]
    assert report.note.startswith(
        "Not in force when triggered (2025-10-31 15:59 UTC); applies from 2025-11-01."
    )
    chinese = ObligationWords(ZH, REGIMES).note(report)
    assert "触发时（" in chinese
    assert "2025年11月1日" in chinese
    assert "Not in force" not in chinese


def test_a_displaced_obligations_note_has_the_displacing_regimes_citation_translated() -> None:
    events = [
        ev("noticed", EventType.SIGNIFICANT_INCIDENT_AWARE, "2026-10-01T08:00:00Z", org="bank"),
        _graded("graded", "2026-10-01T08:00:00Z", "bank", "eu-dora", "major"),
    ]
    early = by_stage(run(events, "2026-10-01T09:00:00Z", [BANK]), "eu-nis2-art23")["early_warning"]
    assert early.displaced_by == "eu-dora-art19"
    chinese = ObligationWords(ZH, REGIMES).note(early)
    assert (
        "NIS2 Art. 4(1) 和 DORA Art. 1(2)：对金融实体，DORA 的事件报告取代 NIS2 的事件报告"
        in chinese
    )
    assert "replaces NIS2's" not in chinese
