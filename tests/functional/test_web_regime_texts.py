"""A regime file's texts on the pages, over HTTP (SQLite and PostgreSQL): an EU bank's
incident binds it under DORA (and displaces NIS2), and a Chinese reader sees the regime's
title, the stage's name and note, the recipients and the flag's explanation in Chinese on
``/obligations``; the title on ``/work`` and in the member's compliance record, the
recipients on the incident's clock board, the fields of a report drafted for the regulator;
an English reader the English of the regime file, and the API keeps the English whatever
the language."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from tests.functional.conftest import Platform
from tests.support.web import get

DORA_TITLE = (
    "EU DORA, Art. 19: major ICT-related incident",
    "欧盟《数字运营韧性法案》（DORA）Art. 19：重大 ICT 相关事件",
)
STAGE = ("Initial notification", "初始通知")
NOTE = (
    "Due 4 hours after the incident was classified as major, and no later than 24 hours after "
    "the entity became aware of it (record an incident_noticed event).",
    "事件被定为重大事件后 4 小时内提交，且不迟于实体知悉事件后 24 小时"
    "（记录 incident_noticed 事件）。",
)
RECIPIENT = ("National competent authority (Art. 46)", "国家主管机关（Art. 46）")
FLAG = (
    "Some financial entities may, when a deadline falls on a weekend or public holiday, submit "
    "by noon of the next working day instead.",
    "截止时间适逢周末或公共假日时，部分金融实体可改为在下一个工作日中午前提交。",
)
FIELD = (
    "The financial entity (name, LEI) and a contact for the incident",
    "金融实体（名称、LEI）及该事件的联系人",
)
DISPLACED = (
    "NIS2 Art. 4(1) and DORA Art. 1(2): DORA's incident reporting replaces NIS2's for "
    "financial entities",
    "NIS2 Art. 4(1) 和 DORA Art. 1(2)：对金融实体，DORA 的事件报告取代 NIS2 的事件报告",
)
EN, ZH = 0, 1


def _incident(platform: Platform) -> str:
    """The member, an EU bank, noticed a ransomware incident and classified it as major."""
    operator = platform.login(platform.world.operator_admin)
    made = operator.patch(
        "/api/v1/organisations/member",
        json={
            "jurisdictions": ["EU", "DE"],
            "regulatory_roles": ["financial_entity", "essential_entity"],
        },
    )
    assert made.status_code == 200, made.text
    member = platform.login(platform.world.member_admin)
    r = member.post("/api/v1/incidents", json={"title": "Ransomware", "summary": "", "facts": {}})
    assert r.status_code == 201, r.text
    ref = str(r.json()["ref"])
    for kind, data in [
        ("incident_noticed", {}),
        ("incident_classified", {"scheme": "eu-dora", "level": "major"}),
        ("significant_incident_aware", {}),
    ]:
        event = {"type": kind, "occurred_at": "2026-10-01T08:00:00Z", "data": data}
        r = member.post(f"/api/v1/incidents/{ref}/events", json=event)
        assert r.status_code == 201, r.text
    return ref


def _reader(platform: Platform, language: str) -> httpx.Client:
    client = platform.login(platform.world.member_admin)
    client.cookies.set("ch_lang", language)
    return client


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


def _article(page: str, key: str) -> str:
    pattern = rf'<article class="obligation"[^>]*data-obligation="{key}".*?</article>'
    found = re.search(pattern, page, re.S)
    assert found is not None, page[:2000]
    return found.group(0)


def test_the_obligations_page_shows_the_regime_texts_in_the_readers_language(
    platform: Platform,
) -> None:
    ref = _incident(platform)
    for language, shown, other in (("en", EN, ZH), ("zh-Hans", ZH, EN)):
        page = get(_reader(platform, language), "/obligations")
        assert page.status_code == 200, page.text[:500]
        dora = _article(page.text, f"member/{ref}/eu-dora-art19/initial_notification")
        words = _text(dora)
        assert f"{DORA_TITLE[shown]} · {STAGE[shown]}" in words
        for text in (NOTE, RECIPIENT, FLAG):
            assert text[shown] in words, (language, text[shown])
            assert text[other] not in words
        assert 'data-flag="weekend-holiday-relief-UNVERIFIED"' in dora  # identifiers stay
        nis2 = _text(_article(page.text, f"member/{ref}/eu-nis2-art23/early_warning"))
        assert DISPLACED[shown] in nis2
        assert DISPLACED[other] not in nis2


def test_the_other_pages_too_and_the_api_keeps_the_english(platform: Platform) -> None:
    ref = _incident(platform)
    drafted = platform.login(platform.world.member_admin).post(
        f"/api/v1/incidents/{ref}/submissions",
        json={"regime": "eu-dora-art19", "stage": "initial_notification"},
    )
    assert drafted.status_code == 201, drafted.text
    for language, shown, other in (("en", EN, ZH), ("zh-Hans", ZH, EN)):
        reader = _reader(platform, language)
        work = _text(get(reader, "/work").text)
        assert f"{DORA_TITLE[shown]} · {STAGE[shown]}" in work
        assert DORA_TITLE[other] not in work
        record = get(reader, "/members/member").text
        row = re.search(r'<tr data-regime="eu-dora-art19">.*?</tr>', record, re.S)
        assert row is not None
        assert DORA_TITLE[shown] in _text(row.group(0))
        draft = _text(get(reader, f"/submissions/{drafted.json()['id']}").text)
        assert f"{DORA_TITLE[shown]} · {STAGE[shown]}" in draft
        assert FIELD[shown] in draft
        assert FIELD[other] not in draft
        board = get(reader, f"/incidents/{ref}/board")
        assert board.status_code == 200, board.text[:500]
        pattern = r'<tr data-obligation="member/eu-dora-art19/initial_notification".*?</tr>'
        row = re.search(pattern, board.text, re.S)
        assert row is not None
        assert RECIPIENT[shown] in _text(row.group(0))
        assert STAGE[shown] in _text(row.group(0))  # the stage by its name, not its id
        assert html.escape(FLAG[shown], quote=True) in row.group(0)  # the badge's title
        api: dict[str, Any] = reader.get("/api/v1/obligations").json()
        initial = next(o for o in api["obligations"] if o["stage"] == "initial_notification")
        assert (initial["regime_title"], initial["stage_name"]) == (DORA_TITLE[EN], STAGE[EN])
        assert initial["recipients"] == [RECIPIENT[EN]]
        assert NOTE[EN] in initial["note"]
