"""The clock board: one subject, every party's obligations sorted by due instant, with
basis, flags, recipients, status, drafts and the events; checked on the multinational
ransomware example (docs/examples/) against its expected board and against dues worked
out by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.clocks import (
    DEFAULT_THRESHOLDS,
    DocumentError,
    EventType,
    View,
    board_document,
    build_board,
    evaluate,
    evaluate_document,
)
from clearinghouse.timeutil import parse_instant
from tests.unit.clocks.helpers import ACME, REGIMES, ev, t

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
SCENARIO = EXAMPLES / "clocks-multinational-ransomware.json"
EXPECTED = EXAMPLES / "clocks-multinational-ransomware.board.json"
AT = parse_instant("2026-11-10T12:00:00Z")


def _doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCENARIO.read_text(encoding="utf-8"))
    return data


def test_the_example_gives_the_expected_board() -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert board_document(_doc(), AT) == expected


def test_the_example_board_is_sorted_by_due_with_the_dues_worked_out_by_hand() -> None:
    board = board_document(_doc(), AT)
    rows = [
        (o["organisation"], o["regime"], o["stage"], o["due"], o["status"])
        for o in board["obligations"]
    ]
    assert rows == [
        # Discovered 22:00Z, graded 01:30Z: 4 h from discovery (02:00Z) is earlier than
        # 4 h from the grading; reported 02:40Z.
        ("harbour-cn", "cn-cac-2025-incident", "report", "2026-10-24T02:00:00Z", "met_late"),
        # Aware 21:15Z on the 23rd, classified major 18:30Z on the 24th: 24 h from
        # awareness (21:15Z) is earlier than 4 h from classification (22:30Z).
        ("harbour-eu", "eu-dora-art19", "initial_notification", "2026-10-24T21:15:00Z", "met"),
        ("harbour-ny", "us-nydfs-500-17", "incident_notice", "2026-10-27T14:00:00Z", "met"),
        # Paid 16:00Z on the 26th, never notified: 24 h later, missed.
        (
            "harbour-ny",
            "us-nydfs-500-17",
            "extortion_payment_notice",
            "2026-10-27T16:00:00Z",
            "missed",
        ),
        # 72 h after the initial notification's submission (20:50Z on the 24th).
        ("harbour-eu", "eu-dora-art19", "intermediate_report", "2026-10-27T20:50:00Z", "met"),
        ("harbour-eu", "eu-gdpr-art33", "notification", "2026-10-28T08:00:00Z", "met"),
        # Friday 6 November 11:00 EST: Mon 9 (1), Tue 10 (2), Wed 11 Veterans Day,
        # Thu 12 (3), Fri 13 (4), 17:30 EST = 22:30Z.
        ("harbour-group", "us-sec-8k-105", "form_8k", "2026-11-13T22:30:00Z", "due_soon"),
        # 30 calendar days from 12:00 EDT on 26 October: 12:00 EST on 25 November.
        (
            "harbour-ny",
            "us-nydfs-500-17",
            "extortion_payment_explanation",
            "2026-11-25T17:00:00Z",
            "pending",
        ),
        # 30 days after handling ended, 18:00 Beijing on 2 November.
        ("harbour-cn", "cn-cac-2025-incident", "summary_report", "2026-12-02T10:00:00Z", "pending"),
        # One month after the latest intermediate report (5 November), not the first.
        ("harbour-eu", "eu-dora-art19", "final_report", "2026-12-05T10:00:00Z", "pending"),
        ("harbour-eu", "eu-nis2-art23", "early_warning", None, "not_applicable"),
        ("harbour-eu", "eu-nis2-art23", "notification", None, "not_applicable"),
        ("harbour-eu", "eu-nis2-art23", "intermediate_report", None, "not_applicable"),
        ("harbour-eu", "eu-nis2-art23", "final_report", None, "not_applicable"),
    ]


def test_the_example_board_shows_basis_flags_recipients_drafts_and_displacement() -> None:
    board = board_document(_doc(), AT)
    by_key = {(o["regime"], o["stage"]): o for o in board["obligations"]}
    cac = by_key[("cn-cac-2025-incident", "report")]
    assert cac["basis"]["reason"] == "role network_operator in CN"
    assert cac["flags"][0]["id"] == "clock-start-discovery-or-classification-UNVERIFIED"
    assert [d["governs"] for d in cac["deadlines"]] == [False, True]
    assert cac["window"] == {"start": "2026-10-23T22:00:00Z", "end": "2026-10-24T02:00:00Z"}
    nis2 = [o for o in board["obligations"] if o["regime"] == "eu-nis2-art23"]
    assert {o["displaced_by"] for o in nis2} == {"eu-dora-art19"}
    assert all(o["draft"] is None and o["window"] is None for o in nis2)
    # Every obligation that applies carries its draft, pre-filled from the one evidence base.
    applicable = [o for o in board["obligations"] if o["status"] != "not_applicable"]
    assert all(o["draft"] is not None for o in applicable)
    gdpr = by_key[("eu-gdpr-art33", "notification")]["draft"]
    assert gdpr["missing"] == []
    assert "48,000" in next(f["value"] for f in gdpr["fields"] if f["id"] == "nature")
    explanation = by_key[("us-nydfs-500-17", "extortion_payment_explanation")]["draft"]
    assert explanation["missing"] == ["reasons", "alternatives", "diligence"]
    assert by_key[("us-nydfs-500-17", "extortion_payment_notice")]["alerts"][-1]["kind"] == "missed"


def test_the_example_board_summary_and_events() -> None:
    board = board_document(_doc(), AT)
    assert board["format"] == "clearinghouse-board/1"
    assert board["span"] == {"start": "2026-10-23T21:15:00Z", "end": "2026-12-05T10:00:00Z"}
    assert board["counts"] == {
        "pending": 3,
        "due_soon": 1,
        "met": 4,
        "met_late": 1,
        "missed": 1,
        "not_applicable": 4,
    }
    assert board["next_due"] == {
        "organisation": "harbour-group",
        "regime": "us-sec-8k-105",
        "stage": "form_8k",
        "due": "2026-11-13T22:30:00Z",
    }
    assert [p["id"] for p in board["parties"]] == [
        "harbour-cn",
        "harbour-eu",
        "harbour-group",
        "harbour-ny",
    ]
    events = {e["id"]: e for e in board["events"]}
    assert events["cac-graded-general"]["counts"] is False
    assert events["cac-graded-general"]["superseded_by"] == "cac-graded"
    assert events["cac-graded"]["counts"] is True


def test_evaluate_with_the_board_view_gives_one_board_per_subject() -> None:
    doc = _doc()
    doc["events"].append(
        {
            "id": "other",
            "type": "incident_noticed",
            "subject": "INC-OTHER",
            "organisation": "harbour-eu",
            "occurred_at": "2026-11-01T00:00:00Z",
        }
    )
    result = evaluate_document(doc, AT, board=True)
    assert "obligations" not in result
    assert [b["subject"] for b in result["boards"]] == ["INC-HARBOUR-2026-10", "INC-OTHER"]
    assert result["boards"][0] == board_document(doc, AT, subject="INC-HARBOUR-2026-10")
    with pytest.raises(DocumentError, match="2 subjects"):
        board_document(doc, AT)
    with pytest.raises(DocumentError, match="no event of the document"):
        board_document(doc, AT, subject="INC-NONE")


def test_a_board_keeps_only_its_subject_and_what_was_recorded_in_the_recorded_view() -> None:
    events = [
        ev("a", EventType.AWARE, "2026-10-01T09:00:00Z", subject="case-1"),
        ev("x", EventType.EXPLOITATION_KNOWN, "2026-10-01T10:00:00Z", org=None, subject="case-1"),
        ev(
            "late",
            EventType.FIX_AVAILABLE,
            "2026-10-02T10:00:00Z",
            org=None,
            subject="case-1",
            recorded="2026-10-09T00:00:00Z",
        ),
        ev("b", EventType.AWARE, "2026-10-01T09:00:00Z", subject="case-2"),
    ]
    at = t("2026-10-05T00:00:00Z")
    obligations = evaluate(events, REGIMES, [ACME], [], at, view=View.RECORDED)
    board = build_board(
        "case-1",
        obligations=obligations,
        events=events,
        regimes=REGIMES,
        profiles={"acme": ACME},
        at=at,
        thresholds=DEFAULT_THRESHOLDS,
        view=View.RECORDED,
    )
    assert {e.obligation.subject for e in board.entries} == {"case-1"}
    assert [e.event.id for e in board.events] == ["a", "x"]
    assert all(e.draft is None for e in board.entries)  # no facts given, no drafts
    stages = [e.obligation.stage for e in board.entries]
    assert stages == ["early_warning", "notification", "final_report"]  # final: waiting, last
    json.dumps(board.to_json())
