"""What a case's timeline picture shows, in the viewer's words: the board's windows, the
story's events only, advisories and sanctions as marks, the text alternative in time
order; in Chinese too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from clearinghouse.web import case_picture
from clearinghouse.web.i18n import Catalogues
from clearinghouse.web.viewer import viewer

CATALOGUES = Catalogues.load()
BOARD = {
    "obligations": [
        {
            "organisation": "alibaba-cloud",
            "regime": "cn-miit-2021",
            "stage": "report",
            "status": "missed",
            "window": {"start": "2021-11-24T02:00:00Z", "end": "2021-11-26T02:00:00Z"},
        },
        {"organisation": "x", "regime": "r", "stage": "s", "status": "waiting", "window": None},
    ]
}


@dataclass
class Event:
    type: str
    occurred_at: datetime


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_windows_come_from_the_board_and_marks_from_the_story() -> None:
    reader = viewer(CATALOGUES, cookies={}, accept_language="en")
    windows = case_picture.windows(BOARD, reader)
    assert [(w.label, w.status, w.status_label) for w in windows] == [
        ("alibaba-cloud · cn-miit-2021 · report", "missed", "missed")
    ]
    events = [
        Event("aware", at("2021-11-24T02:00")),
        Event("message_posted", at("2021-12-01T00:00")),  # not part of the story
        Event("report_received", at("2021-12-09T10:00")),
    ]
    marks = case_picture.marks(
        events,
        [("CHSA-2021-0001", at("2021-12-10T10:15"))],
        [("alibaba-cloud", at("2021-12-22T02:00"), at("2022-06-22T02:00"))],
        reader,
    )
    assert [m.label for m in marks] == [
        "aware",
        "report received",
        "CHSA-2021-0001 published",
        "alibaba-cloud suspended",
        "reassessment of alibaba-cloud",
    ]
    facts = case_picture.facts(windows, marks, reader)
    assert [f.at for f in facts] == sorted(f.at for f in facts)
    assert facts[1].text == "alibaba-cloud · cn-miit-2021 · report due: missed"


def test_the_words_are_the_viewers() -> None:
    reader = viewer(CATALOGUES, cookies={}, accept_language="zh-Hans")
    (window,) = case_picture.windows(BOARD, reader)
    assert window.status_label == "已逾期"
    (mark,) = case_picture.marks([Event("aware", at("2021-11-24T02:00"))], [], [], reader)
    assert mark.label == "知悉"
    drawn = case_picture.draw(
        [window], [mark], at=at("2021-11-25T12:00"), as_at=True, title="t", viewer=reader
    )
    assert "截至" in drawn
