"""The timeline picture's geometry: a compressed scale that keeps time order, windows
from anchor to due, labels that never overlap in a row, the instant line, escaping."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.clocks.picture import (
    BREAK,
    LEFT,
    RIGHT,
    WIDTH,
    Mark,
    Window,
    place_labels,
    render,
    scale_for,
    text_width,
    tick_anchor,
    ticks,
    window_label_x,
)

SVG = "{http://www.w3.org/2000/svg}"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


AWARE = at("2021-11-24T02:00")
DUE = at("2021-11-26T02:00")
REPORT = at("2021-12-09T10:00")
SUSPENDED = at("2021-12-22T02:00")
REASSESS = at("2022-06-22T02:00")
NOW = at("2022-01-10T00:00")


def test_instants_months_apart_are_drawn_in_two_segments_with_a_break() -> None:
    scale = scale_for([AWARE, DUE, REPORT, SUSPENDED, REASSESS])
    assert len(scale.segments) == 2
    first, second = scale.segments
    assert first.start < AWARE
    assert first.end > SUSPENDED
    assert second.start < REASSESS < second.end
    assert second.x0 - first.x1 == pytest.approx(BREAK)
    assert first.x0 == LEFT
    assert second.x1 == pytest.approx(WIDTH - RIGHT)
    # the four weeks of the story get far more room than the lone reassessment
    assert first.x1 - first.x0 > 3 * (second.x1 - second.x0)
    # the two-day window is visible: at least 20 px wide
    assert scale.x(DUE) - scale.x(AWARE) > 20


def test_an_instant_inside_a_break_is_drawn_in_the_break() -> None:
    scale = scale_for([AWARE, REASSESS])
    (x0, x1) = scale.breaks()[0]
    assert x0 < scale.x(at("2022-03-01T00:00")) < x1


@given(
    st.lists(
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2024, 1, 1)),
        min_size=1,
        max_size=30,
    )
)
def test_the_scale_keeps_time_order_and_stays_inside_the_picture(raw: list[datetime]) -> None:
    instants = sorted(d.replace(tzinfo=UTC) for d in raw)
    scale = scale_for(instants)
    xs = [scale.x(t) for t in instants]
    assert xs == sorted(xs)
    assert all(LEFT <= x <= WIDTH - RIGHT + 1e-6 for x in xs)


def test_labels_in_one_row_never_overlap() -> None:
    marks = [Mark(f"event number {i}", AWARE + timedelta(hours=3 * i)) for i in range(12)]
    scale = scale_for([m.at for m in marks])
    placed = place_labels(marks, scale)
    assert max(p.row for p in placed) > 0  # they could not all fit in one row
    by_row: dict[int, list[tuple[float, float]]] = {}
    for p in placed:
        left = min(p.x, WIDTH - RIGHT - text_width(p.mark.label) - 8)
        by_row.setdefault(p.row, []).append((left, left + text_width(p.mark.label) + 8))
    for spans in by_row.values():
        spans.sort()
        assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))


def test_ticks_are_local_midnights_inside_the_segments() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    scale = scale_for([AWARE, SUSPENDED, REASSESS])
    marked = ticks(scale, zone)
    assert [first for _, first in marked].count(True) == len(scale.segments)
    days = [d for d, _ in marked]
    assert days
    assert all((d.hour, d.minute) == (0, 0) and d.tzinfo == zone for d in days)
    assert all(any(s.start <= d <= s.end for s in scale.segments) for d in days)


def _picture(**changes: object) -> ET.Element:
    values: dict[str, object] = {
        "windows": [
            Window("alibaba-cloud · cn-miit-2021 · report", AWARE, DUE, "missed", "missed"),
            Window("hosting · cn-miit-2021 · report", REPORT, REPORT + timedelta(2), "met", "met"),
        ],
        "marks": [
            Mark("aware", AWARE),
            Mark("third party's report", REPORT),
            Mark("suspension", SUSPENDED, "sanction"),
            Mark("reassessment", REASSESS, "sanction"),
        ],
        "at": NOW,
        "at_label": "now",
        "title": "CH-2021-0001 <timeline>",
        "description": "text",
        "date_label": lambda d, first: d.strftime("%d %b %Y" if first else "%d %b"),
        "zone": UTC,
    }
    values.update(changes)
    return ET.fromstring(render(**values))  # type: ignore[arg-type]  # noqa: S314 (our own)


def test_each_window_runs_from_its_anchor_to_its_due_instant_coloured_by_status() -> None:
    svg = _picture()
    scale = scale_for([NOW, AWARE, REPORT, SUSPENDED, REASSESS, DUE, REPORT + timedelta(2)])
    missed, met = svg.findall(f".//{SVG}g[@class='window']")
    rect = missed.find(f"{SVG}rect")
    assert rect is not None
    assert float(rect.get("x", "")) == pytest.approx(scale.x(AWARE), abs=0.1)
    assert float(rect.get("x", "")) + float(rect.get("width", "")) == pytest.approx(
        scale.x(DUE), abs=0.2
    )
    assert rect.get("fill") == "#cf222e"
    assert missed.find(f"{SVG}path") is not None  # missed: a cross, readable in greyscale
    met_rect = met.find(f"{SVG}rect")
    assert met_rect is not None
    assert met_rect.get("fill") == "#1a7f37"
    assert met.find(f"{SVG}circle") is not None


def test_the_instant_line_and_the_marks_are_where_their_instants_are() -> None:
    svg = _picture()
    scale = scale_for([NOW, AWARE, REPORT, SUSPENDED, REASSESS, DUE, REPORT + timedelta(2)])
    line = svg.find(f".//{SVG}g[@class='at']/{SVG}line")
    assert line is not None
    assert float(line.get("x1", "")) == pytest.approx(scale.x(NOW), abs=0.1)
    xs = [float(m.get("x1", "")) for m in svg.findall(f".//{SVG}g[@class='mark']/{SVG}line")]
    assert xs == pytest.approx([scale.x(t) for t in (AWARE, REPORT, SUSPENDED, REASSESS)], abs=0.1)


def test_labels_and_titles_are_escaped_and_no_style_is_inline() -> None:
    text = render(
        [],
        [Mark('<script>alert(1)</script>"', AWARE)],
        at=NOW,
        at_label="&now",
        title="<b>",
        description="d",
        date_label=lambda d, first: str(d),
        zone=UTC,
    )
    assert "<script>" not in text
    assert "<b>" not in text
    assert "style=" not in text
    ET.fromstring(text)  # noqa: S314 (our own picture)
    assert re.search(r'role="img"', text)


@pytest.mark.parametrize(("x0", "x1"), [(20.0, 100.0), (600.0, 1000.0), (30.0, 1070.0)])
def test_a_window_label_stays_inside_the_picture(x0: float, x1: float) -> None:
    text = "alibaba-cloud · cn-nvdb-partner-terms · report · missed"
    x, anchor = window_label_x(text, x0, x1)
    left = x if anchor == "start" else x - text_width(text)
    right = x + text_width(text) if anchor == "start" else x
    assert right <= WIDTH - RIGHT
    assert left >= LEFT or (x0, x1) == (30.0, 1070.0)  # no room either side: at the edge


@pytest.mark.parametrize("x", [float(LEFT), 400.0, float(WIDTH - RIGHT)])
def test_a_tick_label_is_never_cut_at_either_edge(x: float) -> None:
    """The first tick sits at the left margin: centred, its date was cut ("v 24, 2021")."""
    w = text_width("Nov 24, 2021")
    anchor = tick_anchor(x, w)
    left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
    assert left >= 0
    assert left + w <= WIDTH
