"""The timeline picture: one horizontal time axis, each obligation window as a shaded band
from its anchor to its due instant ending in a tick coloured by status, events as marks
with short labels, and the instant the picture is drawn for as a vertical line. Pure:
the caller gives translated labels and a date formatter; this module only lays out and
writes SVG (docs/clocks.md, "The timeline picture").

Months can pass between clusters of events (Log4Shell: 24 Nov to 22 Dec 2021, then the
reassessment on 22 Jun 2022), so the scale is compressed: instants closer than ``gap``
form one segment drawn to scale, and each longer gap becomes a fixed-width break.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from xml.sax.saxutils import escape, quoteattr

WIDTH = 1100
LEFT = 16
RIGHT = 16
BREAK = 36  # the width of a compressed gap
GAP = timedelta(days=21)  # instants further apart than this are in different segments
PAD = timedelta(hours=12)  # room before a segment's first and after its last instant
BAND = 18  # the height of one obligation's row
LABEL_ROW = 16  # the height of one row of event labels
AXIS = 34  # room for the axis and its dates
MIN_TICK_SPACING = 70

# Colours readable on white, and shapes so that greyscale still tells statuses apart.
STATUS_FILL = {
    "met": "#1a7f37",
    "met_late": "#9a6700",
    "due_soon": "#9a6700",
    "missed": "#cf222e",
    "pending": "#57606a",
    "waiting": "#8c959f",
    "not_applicable": "#8c959f",
}
STATUS_SHAPE = {"met": "circle", "met_late": "diamond", "missed": "cross", "due_soon": "diamond"}


@dataclass(frozen=True, slots=True)
class Window:
    """An obligation: shaded from ``start`` (its anchor) to ``due``."""

    label: str
    start: datetime
    due: datetime
    status: str  # an ObligationStatus value
    status_label: str


@dataclass(frozen=True, slots=True)
class Mark:
    """An event on the axis."""

    label: str
    at: datetime
    kind: str = "event"  # event | sanction | publication: drawn alike, kept for styling


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch drawn to scale: ``start``..``end`` occupies ``x0``..``x1``."""

    start: datetime
    end: datetime
    x0: float
    x1: float

    def x(self, when: datetime) -> float:
        span = (self.end - self.start).total_seconds()
        if span <= 0:
            return (self.x0 + self.x1) / 2
        return self.x0 + (when - self.start).total_seconds() / span * (self.x1 - self.x0)


@dataclass(frozen=True, slots=True)
class Scale:
    segments: tuple[Segment, ...]

    def x(self, when: datetime) -> float:
        """Where ``when`` is drawn: inside its segment, or at the middle of the break it
        falls in (before the first or after the last segment: at that edge)."""
        first, last = self.segments[0], self.segments[-1]
        if when <= first.start:
            return first.x0
        for i, seg in enumerate(self.segments):
            if when <= seg.end:
                if when >= seg.start:
                    return seg.x(when)
                return (self.segments[i - 1].x1 + seg.x0) / 2
        return last.x1

    def breaks(self) -> list[tuple[float, float]]:
        return [(a.x1, b.x0) for a, b in zip(self.segments, self.segments[1:], strict=False)]


def scale_for(
    instants: Sequence[datetime], *, width: int = WIDTH, gap: timedelta = GAP, pad: timedelta = PAD
) -> Scale:
    """A compressed scale over ``instants`` (at least one): clusters drawn to scale, each
    sharing the width in proportion to its duration, gaps longer than ``gap`` as breaks."""
    if not instants:
        raise ValueError("a picture needs at least one instant")
    ordered = sorted(instants)
    clusters: list[list[datetime]] = [[ordered[0]]]
    for when in ordered[1:]:
        if when - clusters[-1][-1] > gap:
            clusters.append([when])
        else:
            clusters[-1].append(when)
    spans = [(c[0] - pad, c[-1] + pad) for c in clusters]
    usable = width - LEFT - RIGHT - BREAK * (len(spans) - 1)
    seconds = [(end - start).total_seconds() for start, end in spans]
    total = sum(seconds)
    # every segment gets at least a sixth of an equal share, so a lone instant stays visible
    floor = usable / len(spans) / 6
    shares = [max(floor, usable * s / total) for s in seconds]
    shrink = usable / sum(shares)
    segments = []
    x = float(LEFT)
    for (start, end), share in zip(spans, shares, strict=True):
        segments.append(Segment(start, end, x, x + share * shrink))
        x += share * shrink + BREAK
    return Scale(tuple(segments))


def ticks(scale: Scale, zone: tzinfo) -> list[tuple[datetime, bool]]:
    """Midnights (in ``zone``) to label, each with whether it is its segment's first:
    every 1, 2, 7, 14 or 30 days, whichever first leaves ``MIN_TICK_SPACING`` between
    labels."""
    out: list[tuple[datetime, bool]] = []
    for seg in scale.segments:
        local = seg.start.astimezone(zone)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        px_per_day = (seg.x1 - seg.x0) / max((seg.end - seg.start).total_seconds() / 86400, 1e-9)
        step = next((d for d in (1, 2, 7, 14, 30) if d * px_per_day >= MIN_TICK_SPACING), 60)
        first = True
        while day <= seg.end:
            out.append((day, first))
            first = False
            day = (day + timedelta(days=step)).replace(hour=0)
    return out


@dataclass(frozen=True, slots=True)
class PlacedLabel:
    mark: Mark
    x: float
    row: int


def text_width(label: str) -> float:
    """An estimate of a label's width in pixels at the picture's font size (CJK wider)."""
    return sum(11.5 if ord(c) > 0x2E80 else 6.2 for c in label)


def tick_anchor(x: float, label_width: float, width: int = WIDTH) -> str:
    """A tick label centred on its tick, unless centring would cut it at either edge."""
    if x - label_width / 2 < 0:
        return "start"
    if x + label_width / 2 > width:
        return "end"
    return "middle"


def place_labels(marks: Sequence[Mark], scale: Scale, width: int = WIDTH) -> list[PlacedLabel]:
    """Each mark's label in the first row where it overlaps no earlier label."""
    ends: list[float] = []
    placed = []
    for mark in sorted(marks, key=lambda m: m.at):
        x = scale.x(mark.at)
        w = text_width(mark.label) + 8
        left = min(x, width - RIGHT - w)
        row = next((i for i, end in enumerate(ends) if end < left), len(ends))
        if row == len(ends):
            ends.append(left + w)
        else:
            ends[row] = left + w
        placed.append(PlacedLabel(mark, x, row))
    return placed


def _shape(kind: str, x: float, y: float, fill: str) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{fill}"/>'
    if kind == "diamond":
        pts = f"{x:.1f},{y - 6:.1f} {x + 6:.1f},{y:.1f} {x:.1f},{y + 6:.1f} {x - 6:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{fill}"/>'
    if kind == "cross":
        return (
            f'<path d="M{x - 5:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 5:.1f}'
            f'M{x + 5:.1f} {y - 5:.1f}L{x - 5:.1f} {y + 5:.1f}" stroke="{fill}" stroke-width="3"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#fff" stroke="{fill}" stroke-width="2"/>'


def window_label_x(text: str, x0: float, x1: float, width: int = WIDTH) -> tuple[float, str]:
    """Where a window's label goes: after its due tick, or, where that would leave the
    picture, before its start (right-aligned), or at the right edge."""
    w = text_width(text)
    if x1 + 9 + w <= width - RIGHT:
        return x1 + 9, "start"
    if x0 - 6 - w >= LEFT:
        return x0 - 6, "end"
    return width - RIGHT, "end"


def _window_label(w: Window, x0: float, x1: float, y: float, width: int) -> str:
    text = f"{w.label} · {w.status_label}"
    x, anchor = window_label_x(text, x0, x1, width)
    return (
        f'<text x="{x:.1f}" y="{y + BAND / 2 + 4:.1f}" text-anchor="{anchor}" '
        f'fill="#1f2328">{escape(text)}</text>'
    )


def render(
    windows: Sequence[Window],
    marks: Sequence[Mark],
    *,
    at: datetime,
    at_label: str,
    title: str,
    description: str,
    date_label: Callable[[datetime, bool], str],
    zone: tzinfo,
    width: int = WIDTH,
    element_id: str = "timeline",
) -> str:
    """The picture as an inline ``<svg>`` element (presentation attributes only, no
    ``style``: the pages' Content-Security-Policy allows no inline style).
    ``date_label(day, first)`` names an axis day; ``first``: the first of its segment
    (where a reader needs the year)."""
    instants = [at] + [m.at for m in marks]
    instants += [t for w in windows for t in (w.start, w.due)]
    scale = scale_for(instants, width=width)
    labels = place_labels(marks, scale, width)
    label_rows = max((p.row for p in labels), default=-1) + 1
    top = 8 + label_rows * LABEL_ROW + 10  # the event lane
    bands_top = top + 14
    axis_y = bands_top + len(windows) * BAND + 8
    height = axis_y + AXIS
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" id="{element_id}" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{element_id}-title {element_id}-desc" font-family="sans-serif" '
        f'font-size="11">',
        f'<title id="{element_id}-title">{escape(title)}</title>',
        f'<desc id="{element_id}-desc">{escape(description)}</desc>',
    ]
    for seg in scale.segments:
        out.append(
            f'<rect x="{seg.x0:.1f}" y="{top - 4:.1f}" width="{seg.x1 - seg.x0:.1f}" '
            f'height="{axis_y - top + 4:.1f}" fill="#f6f8fa"/>'
        )
    for x0, x1 in scale.breaks():
        mid = (x0 + x1) / 2
        out.append(
            f'<path class="break" d="M{mid - 4:.1f} {axis_y + 6:.1f}L{mid + 4:.1f} '
            f'{axis_y - 6:.1f}M{mid + 2:.1f} {axis_y + 6:.1f}L{mid + 10:.1f} {axis_y - 6:.1f}" '
            f'stroke="#57606a" stroke-width="1.5"/>'
        )
    for i, w in enumerate(windows):
        y = bands_top + i * BAND
        x0, x1 = scale.x(w.start), scale.x(w.due)
        fill = STATUS_FILL.get(w.status, "#57606a")
        out.append(
            f'<g class="window" data-status={quoteattr(w.status)}>'
            f"<title>{escape(w.label)}: {escape(w.status_label)}</title>"
            f'<rect x="{x0:.1f}" y="{y + 3:.1f}" width="{max(x1 - x0, 1.5):.1f}" '
            f'height="{BAND - 6}" fill="{fill}" fill-opacity="0.22" stroke="{fill}" '
            f'stroke-width="1"/>'
            f"{_shape(STATUS_SHAPE.get(w.status, 'ring'), x1, y + BAND / 2, fill)}"
            f"{_window_label(w, x0, x1, y, width)}</g>"
        )
    for p in labels:
        y = 8 + p.row * LABEL_ROW + 11
        anchor_x = min(p.x, width - RIGHT - text_width(p.mark.label) - 8)
        out.append(
            f'<g class="mark" data-kind={quoteattr(p.mark.kind)}>'
            f'<line x1="{p.x:.1f}" y1="{y + 3:.1f}" x2="{p.x:.1f}" y2="{axis_y:.1f}" '
            f'stroke="#1f2328" stroke-width="1" stroke-dasharray="1 2"/>'
            f'<circle cx="{p.x:.1f}" cy="{top:.1f}" r="4" fill="#1f2328"/>'
            f'<text x="{anchor_x + 3:.1f}" y="{y:.1f}" fill="#1f2328">{escape(p.mark.label)}</text>'
            f"</g>"
        )
    x_at = scale.x(at)
    out.append(
        f'<g class="at"><line x1="{x_at:.1f}" y1="{top - 6:.1f}" x2="{x_at:.1f}" '
        f'y2="{axis_y + 4:.1f}" stroke="#0969da" stroke-width="2" stroke-dasharray="6 3"/>'
        f'<text x="{min(x_at + 4, width - RIGHT - text_width(at_label)):.1f}" '
        f'y="{axis_y + 28:.1f}" fill="#0969da">{escape(at_label)}</text></g>'
    )
    out.append(
        f'<line x1="{LEFT}" y1="{axis_y:.1f}" x2="{width - RIGHT}" y2="{axis_y:.1f}" '
        f'stroke="#57606a"/>'
    )
    for day, first in ticks(scale, zone):
        x = scale.x(day)
        label = date_label(day, first)
        anchor = tick_anchor(x, text_width(label), width)
        out.append(
            f'<line x1="{x:.1f}" y1="{axis_y:.1f}" x2="{x:.1f}" y2="{axis_y + 4:.1f}" '
            f'stroke="#57606a"/><text x="{x:.1f}" y="{axis_y + 15:.1f}" text-anchor="{anchor}" '
            f'fill="#57606a">{escape(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
