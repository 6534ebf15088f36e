"""The dashboard's charts: bars in proportion, every value written beside its bar, labels
escaped, no inline style."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from clearinghouse.web.charts import BAR_WIDTH, Part, bars, stacked

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_are_in_proportion_and_say_their_value() -> None:
    drawn = bars([("2021-11", 2.0, "2 days"), ("2021-12", 1.0, "1 day")], title="t", element_id="c")
    svg = ET.fromstring(drawn)  # noqa: S314 (our own chart)
    widths = [float(r.get("width", "")) for r in svg.iter(f"{SVG}rect")]
    assert widths == pytest.approx([BAR_WIDTH, BAR_WIDTH / 2])
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["2021-11", "2 days", "2021-12", "1 day"]


def test_stacked_parts_add_up_and_name_each_count() -> None:
    parts = [Part("met", 1, "#0f0"), Part("late", 0, "#fa0"), Part("missed", 3, "#f00")]
    svg = ET.fromstring(stacked([("cn-miit-2021", parts)], title="t", element_id="s"))  # noqa: S314
    widths = [float(r.get("width", "")) for r in svg.iter(f"{SVG}rect")]
    assert sum(widths) == pytest.approx(BAR_WIDTH)
    assert "1 met · 3 missed" in [t.text for t in svg.iter(f"{SVG}text")]


def test_labels_are_escaped_and_no_style_is_inline() -> None:
    drawn = bars([("<script>x</script>", 1.0, "<b>")], title="<i>", element_id="e")
    assert "<script>" not in drawn
    assert "<b>" not in drawn
    assert "style=" not in drawn
    assert bars([], title="empty", element_id="z").startswith("<svg")
