"""The clock board: one subject (a case or an incident), every party's obligations under
every regime, sorted by due instant, with the events they run from. Pure.

The board is what a page draws as one timeline picture (docs/clocks.md, "The clock
board"): each obligation is a window from its anchor to its due instant, each event a
mark, ``at`` a vertical line, and ``span`` the stretch of time the picture covers. The
API (``GET /api/v1/incidents/{ref}/board``), ``clearinghouse clocks board`` and
``clearinghouse clocks evaluate --board`` all return :meth:`Board.to_json`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clearinghouse.clocks.alerts import Alert, alerts_due
from clearinghouse.clocks.engine import View, effective_events
from clearinghouse.clocks.model import (
    Event,
    Obligation,
    ObligationStatus,
    OrgProfile,
    Thresholds,
)
from clearinghouse.clocks.schema import Regime
from clearinghouse.clocks.submissions import Draft, draft_submission
from clearinghouse.timeutil import ensure_utc, format_instant

BOARD_FORMAT = "clearinghouse-board/1"


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """One obligation on the board, with the alerts that have fired and its draft."""

    obligation: Obligation
    alerts: tuple[Alert, ...]
    draft: Draft | None

    def to_json(self) -> dict[str, Any]:
        o = self.obligation
        window = None
        if o.anchor_at is not None and o.due is not None:
            window = {"start": format_instant(o.anchor_at), "end": format_instant(o.due)}
        return {
            **o.to_json(),
            "window": window,
            "alerts": [a.to_json() for a in self.alerts],
            "draft": self.draft.to_json() if self.draft is not None else None,
        }


@dataclass(frozen=True, slots=True)
class BoardEvent:
    """One recorded event of the subject. ``counts``: it is among the effective events at
    the board's instant (not superseded, not withdrawn, already happened)."""

    event: Event
    counts: bool
    superseded_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {**self.event.to_json(), "counts": self.counts, "superseded_by": self.superseded_by}


@dataclass(frozen=True, slots=True)
class Board:
    subject: str
    title: str | None
    at: datetime
    view: View
    parties: tuple[OrgProfile, ...]
    entries: tuple[BoardEntry, ...]  # sorted by due instant; undated ones last
    events: tuple[BoardEvent, ...]  # in the order they happened

    def counts(self) -> dict[str, int]:
        """How many obligations have each status."""
        tally = Counter(e.obligation.status.value for e in self.entries)
        return {s.value: tally[s.value] for s in ObligationStatus if tally[s.value]}

    def next_due(self) -> Obligation | None:
        """The open obligation due soonest at or after the board's instant."""
        ahead = [
            e.obligation
            for e in self.entries
            if e.obligation.open and e.obligation.due is not None and e.obligation.due >= self.at
        ]
        return ahead[0] if ahead else None

    def span(self) -> tuple[datetime, datetime]:
        """From the first event or window start to the last due instant or ``at``."""
        starts = [e.event.occurred_at for e in self.events if e.counts]
        starts += [e.obligation.anchor_at for e in self.entries if e.obligation.anchor_at]
        ends = [self.at] + [e.obligation.due for e in self.entries if e.obligation.due]
        return min(starts, default=self.at), max(ends)

    def to_json(self) -> dict[str, Any]:
        start, end = self.span()
        upcoming = self.next_due()
        return {
            "format": BOARD_FORMAT,
            "subject": self.subject,
            "title": self.title,
            "at": format_instant(self.at),
            "view": self.view.value,
            "span": {"start": format_instant(start), "end": format_instant(end)},
            "counts": self.counts(),
            "next_due": (
                {
                    "organisation": upcoming.organisation,
                    "regime": upcoming.regime,
                    "stage": upcoming.stage,
                    "due": format_instant(upcoming.due),
                }
                if upcoming is not None and upcoming.due is not None
                else None
            ),
            "parties": [
                {
                    "id": p.id,
                    "name": p.name,
                    "jurisdictions": sorted(p.jurisdictions),
                    "roles": sorted(r.value for r in p.roles),
                }
                for p in self.parties
            ],
            "obligations": [e.to_json() for e in self.entries],
            "events": [e.to_json() for e in self.events],
        }


_UNDATED = datetime.max.replace(tzinfo=UTC)


def _sort_key(
    obligation: Obligation, regimes: Mapping[str, Regime]
) -> tuple[datetime, str, str, int]:
    """By due instant (undated last), then organisation, regime and stage order."""
    regime = regimes.get(obligation.regime)
    order = [s.id for s in regime.stages] if regime is not None else []
    position = order.index(obligation.stage) if obligation.stage in order else len(order)
    due = obligation.due if obligation.due is not None else _UNDATED
    return (due, obligation.organisation, obligation.regime, position)


def _entry(
    obligation: Obligation,
    regimes: Mapping[str, Regime],
    thresholds: Thresholds,
    at: datetime,
    facts: Mapping[str, Any] | None,
) -> BoardEntry:
    """Every obligation that applies carries its draft when facts are given (a met one
    shows what the report had to contain); a not-applicable one has none."""
    regime = regimes.get(obligation.regime)
    applies = obligation.status is not ObligationStatus.NOT_APPLICABLE
    draft = None
    if facts is not None and regime is not None and applies:
        draft = draft_submission(obligation, regime, facts)
    return BoardEntry(obligation, tuple(alerts_due(obligation, thresholds, at)), draft)


def _events(subject_events: Sequence[Event], at: datetime, view: View) -> tuple[BoardEvent, ...]:
    known = [e for e in subject_events if view is View.OCCURRED or e.recorded_at <= at]
    counting = {e.id for e in effective_events(known, at, view)}
    superseded_by = {e.supersedes: e.id for e in known if e.supersedes is not None}
    ordered = sorted(known, key=lambda e: (e.occurred_at, e.recorded_at, e.id))
    return tuple(BoardEvent(e, e.id in counting, superseded_by.get(e.id)) for e in ordered)


def build_board(
    subject: str,
    *,
    obligations: Iterable[Obligation],
    events: Iterable[Event],
    regimes: Mapping[str, Regime],
    profiles: Mapping[str, OrgProfile],
    at: datetime,
    thresholds: Thresholds,
    view: View = View.OCCURRED,
    facts: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> Board:
    """The board of ``subject`` from an evaluation's obligations and the recorded events
    (both may cover other subjects: only this one's are kept)."""
    at = ensure_utc(at)
    mine = sorted(
        (o for o in obligations if o.subject == subject), key=lambda o: _sort_key(o, regimes)
    )
    subject_events = [e for e in events if e.subject == subject]
    named = {o.organisation for o in mine} | {
        e.organisation for e in subject_events if e.organisation is not None
    }
    return Board(
        subject=subject,
        title=title,
        at=at,
        view=view,
        parties=tuple(profiles[p] for p in sorted(named) if p in profiles),
        entries=tuple(_entry(o, regimes, thresholds, at, facts) for o in mine),
        events=_events(subject_events, at, view),
    )
