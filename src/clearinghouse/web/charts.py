"""The dashboard's charts as inline SVG (server-rendered, no script, presentation
attributes only: the Content-Security-Policy allows no inline style). Labels arrive
translated; every value is also written beside its bar, so no colour carries meaning
alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

ROW = 22
LABEL_WIDTH = 150
BAR_WIDTH = 360
WIDTH = LABEL_WIDTH + BAR_WIDTH + 260


@dataclass(frozen=True, slots=True)
class Part:
    label: str
    value: float
    fill: str


def _frame(element_id: str, title: str, height: int, body: list[str]) -> str:
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" id="{element_id}" viewBox="0 0 {WIDTH} '
            f'{height}" width="100%" role="img" aria-labelledby="{element_id}-title" '
            f'font-family="sans-serif" font-size="12">',
            f'<title id="{element_id}-title">{escape(title)}</title>',
            *body,
            "</svg>",
        ]
    )


def bars(
    rows: Sequence[tuple[str, float, str]], *, title: str, element_id: str, fill: str = "#0969da"
) -> str:
    """One horizontal bar per row: (label, value, the value as text)."""
    top = max((v for _, v, _ in rows), default=0) or 1
    body = []
    for i, (label, value, text) in enumerate(rows):
        y = 6 + i * ROW
        w = BAR_WIDTH * value / top
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end" fill="#1f2328">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{w:.1f}" height="{ROW - 8}" '
            f'fill="{fill}"/>'
            f'<text x="{LABEL_WIDTH + w + 6:.1f}" y="{y + 13}" fill="#1f2328">{escape(text)}</text>'
        )
    return _frame(element_id, title, 12 + len(rows) * ROW, body)


def stacked(rows: Sequence[tuple[str, Sequence[Part]]], *, title: str, element_id: str) -> str:
    """One stacked bar per row (counts), each part labelled with its count and name."""
    top = max((sum(p.value for p in parts) for _, parts in rows), default=0) or 1
    body = []
    for i, (label, parts) in enumerate(rows):
        y = 6 + i * ROW
        x = float(LABEL_WIDTH)
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end" fill="#1f2328">'
            f"{escape(label)}</text>"
        )
        words = []
        for part in parts:
            w = BAR_WIDTH * part.value / top
            if part.value:
                body.append(
                    f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{ROW - 8}" '
                    f'fill="{part.fill}"><title>{escape(part.label)}: {part.value:g}</title></rect>'
                )
                words.append(f"{part.value:g} {part.label}")
            x += w
        body.append(
            f'<text x="{x + 6:.1f}" y="{y + 13}" fill="#1f2328">{escape(" · ".join(words))}</text>'
        )
    return _frame(element_id, title, 12 + len(rows) * ROW, body)
