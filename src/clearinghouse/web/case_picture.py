"""What a case's timeline picture shows, in the viewer's words: its clock board's
obligation windows, the story's events from the case timeline the viewer may read, the
advisories published from it and the sanctions decided on its basis. The drawing itself
is :mod:`clearinghouse.clocks.picture` (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from clearinghouse.clocks import picture
from clearinghouse.timeutil import parse_instant
from clearinghouse.web import display
from clearinghouse.web.forms import N_
from clearinghouse.web.viewer import Viewer
from clearinghouse.web.words import EVENT_TYPES, OBLIGATION_STATUSES

# The events that tell the story; the rest stay in the list beside the picture.
STORY: Final = frozenset(
    {
        "report_received",
        "case_opened",
        "aware",
        "exploitation_known",
        "fix_available",
        "public_disclosure",
        "report_submitted",
        "embargo_activated",
        "embargo_exited",
    }
)


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of the text alternative: what happened (or falls due) and when."""

    at: datetime
    text: str


def _instant(value: Any) -> datetime | None:
    return parse_instant(value) if isinstance(value, str) else None


def windows(board: dict[str, Any], viewer: Viewer) -> list[picture.Window]:
    _ = viewer.gettext
    out = []
    for o in board.get("obligations", []):
        window = o.get("window")
        start = _instant(window and window.get("start"))
        due = _instant(window and window.get("end"))
        if start is None or due is None:
            continue
        status = str(o.get("status"))
        words = OBLIGATION_STATUSES.get(status)  # type: ignore[call-overload]
        out.append(
            picture.Window(
                label=f"{o.get('organisation')} · {o.get('regime')} · {o.get('stage')}",
                start=start,
                due=due,
                status=status,
                status_label=_(words) if words else status,
            )
        )
    return out


def marks(
    events: Iterable[Any],
    advisories: Iterable[tuple[str, datetime]],
    sanctions: Iterable[tuple[str, datetime, datetime]],
    viewer: Viewer,
) -> list[picture.Mark]:
    """``events``: the timeline's (``type``, ``occurred_at``); ``advisories``: (id,
    published); ``sanctions``: (organisation, starts, reassessment)."""
    _ = viewer.gettext
    out = []
    for e in events:
        if e.type in STORY:
            word = EVENT_TYPES.get(e.type)
            out.append(picture.Mark(_(word) if word else e.type, e.occurred_at))
    for public_id, published in advisories:
        out.append(picture.Mark(_(N_("%(id)s published"), id=public_id), published, "publication"))
    for org, starts, reassess in sanctions:
        out.append(picture.Mark(_(N_("%(org)s suspended"), org=org), starts, "sanction"))
        out.append(picture.Mark(_(N_("reassessment of %(org)s"), org=org), reassess, "sanction"))
    return out


def incident_marks(board: dict[str, Any], viewer: Viewer) -> list[picture.Mark]:
    """A board's own events (the incident's clock events that count)."""
    _ = viewer.gettext
    out = []
    for e in board.get("events", []):
        when = _instant(e.get("occurred_at"))
        if when is None or not e.get("counts"):
            continue
        word = EVENT_TYPES.get(str(e.get("type")))  # type: ignore[call-overload]
        out.append(picture.Mark(_(word) if word else str(e.get("type")), when))
    return out


def facts(ws: Sequence[picture.Window], ms: Sequence[picture.Mark], viewer: Viewer) -> list[Fact]:
    """The picture's text alternative: every window's due and every mark, in time order."""
    _ = viewer.gettext
    out = [
        Fact(w.due, _(N_("%(what)s due: %(status)s"), what=w.label, status=w.status_label))
        for w in ws
    ]
    out += [Fact(m.at, m.label) for m in ms]
    return sorted(out, key=lambda f: f.at)


def draw(
    ws: Sequence[picture.Window],
    ms: Sequence[picture.Mark],
    *,
    at: datetime,
    as_at: bool,
    title: str,
    viewer: Viewer,
    element_id: str = "timeline",
) -> str:
    _ = viewer.gettext
    return picture.render(
        ws,
        ms,
        at=at,
        at_label=_(N_("as at %(when)s"), when=_short(at, viewer, True)) if as_at else _(N_("now")),
        title=title,
        description=_(
            N_(
                "Each band is an obligation from the event it runs from to its due instant "
                "(green: met, red: missed); marks are events. The same facts are listed below."
            )
        ),
        date_label=lambda day, first: _short(day, viewer, first),
        zone=viewer.zone,
        element_id=element_id,
    )


def _short(day: datetime, viewer: Viewer, with_year: bool) -> str:
    return display.short_date(day.astimezone(viewer.zone), viewer.locale, with_year=with_year)
