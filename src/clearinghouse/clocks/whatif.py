"""What-if: run the engine over a self-contained JSON event document.

``clearinghouse clocks evaluate --events FILE.json [--at INSTANT] [--board]`` calls
:func:`evaluate_document`, ``clearinghouse clocks board`` calls :func:`board_document`.
The format (``clearinghouse-clocks/1``) is documented in docs/clocks.md, with examples in
docs/examples/. Pure apart from reading the shipped regime files. When the document has
``facts``, every open obligation carries a pre-filled submission draft (on a board, every
obligation that applies). When ``at`` is not given, the latest ``recorded_at`` among the
events is used (never the wall clock) and the output says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clearinghouse.clocks.alerts import alerts_due
from clearinghouse.clocks.board import build_board
from clearinghouse.clocks.engine import View, evaluate
from clearinghouse.clocks.errors import DocumentError
from clearinghouse.clocks.loader import RegimeSet, load_regimes, parse_regime
from clearinghouse.clocks.model import (
    DEFAULT_THRESHOLDS,
    Binding,
    Event,
    EventType,
    Obligation,
    OrgProfile,
    Role,
    Thresholds,
)
from clearinghouse.clocks.submissions import draft_submission
from clearinghouse.timeutil import accepted, format_instant, parse_accepted

FORMAT = "clearinghouse-clocks/1"
RESULT_FORMAT = "clearinghouse-clocks-result/1"
MAX_LEAD_HOURS: Final = 8_784


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _instant(value: object) -> datetime:
    """An RFC 3339 string in the range the platform takes (:func:`accepted`)."""
    if isinstance(value, datetime):
        return accepted(value)
    if not isinstance(value, str):
        raise ValueError("an instant must be an RFC 3339 string such as 2026-10-01T10:00:00Z")
    return parse_accepted(value)


class _Organisation(_Strict):
    id: str = Field(min_length=1)
    name: str = ""
    jurisdictions: list[str] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)


class _Event(_Strict):
    id: str = Field(min_length=1)
    type: EventType
    occurred_at: datetime
    recorded_at: datetime | None = None  # defaults to occurred_at
    recorded_by: str = "what-if"
    organisation: str | None = None
    subject: str = Field(min_length=1)
    data: dict[str, Any] = Field(default_factory=dict)
    supersedes: str | None = None

    @field_validator("occurred_at", "recorded_at", mode="before")
    @classmethod
    def _instants(cls, value: object) -> datetime | None:
        return None if value is None else _instant(value)


class _Override(_Strict):
    organisation: str
    subject: str | None = None
    regime: str
    applies: bool
    reason: str = Field(min_length=1)


class _Thresholds(_Strict):
    fractions: list[float] = Field(default_factory=lambda: list(DEFAULT_THRESHOLDS.fractions))
    # at most a leap year before the due (8,784 h): a lead of 1e20 hours is no timedelta
    before_due_hours: list[Annotated[float, Field(gt=0, le=MAX_LEAD_HOURS)]] = Field(
        default_factory=lambda: [2.0]
    )


class _Document(_Strict):
    format: Literal["clearinghouse-clocks/1"] = "clearinghouse-clocks/1"
    description: str = ""
    organisations: list[_Organisation] = Field(default_factory=list)
    events: list[_Event] = Field(default_factory=list)
    overrides: list[_Override] = Field(default_factory=list)
    enabled_regimes: list[str] = Field(default_factory=list)
    regimes: list[dict[str, Any]] = Field(default_factory=list)
    thresholds: _Thresholds = Field(default_factory=_Thresholds)
    view: View = View.OCCURRED
    facts: dict[str, Any] = Field(default_factory=dict)


def _where(loc: tuple[int | str, ...]) -> str:
    return "".join(
        f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(loc)
    )


def parse_document(doc: Any) -> _Document:
    """Validate the document; :class:`DocumentError` names the first bad field."""
    if not isinstance(doc, dict):
        raise DocumentError("the event document must be a JSON object")
    try:
        return _Document.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise DocumentError(
            f"field {_where(tuple(first['loc']))!r}: {first['msg']}",
            field=_where(tuple(first["loc"])),
        ) from exc


@dataclass(frozen=True, slots=True)
class _Run:
    """A validated document, ready for the engine."""

    regimes: RegimeSet
    events: list[Event]
    profiles: list[OrgProfile]
    overrides: list[Binding]
    enabled: list[str]
    thresholds: Thresholds
    view: View
    facts: dict[str, Any]
    at: datetime
    at_source: str

    def obligations(self) -> list[Obligation]:
        return evaluate(
            self.events,
            self.regimes,
            self.profiles,
            self.overrides,
            self.at,
            self.thresholds,
            enabled_regimes=self.enabled,
            view=self.view,
        )


def _regime_set(parsed: _Document, base: RegimeSet | None) -> RegimeSet:
    """The shipped (or given) regimes, with the document's inline ones added or replacing."""
    base = base if base is not None else load_regimes()
    regime_set = RegimeSet((r, base.origins[r.id]) for r in base.values())
    for i, raw in enumerate(parsed.regimes):
        regime_set.add(parse_regime(raw, f"document: regimes[{i}]"), f"document: regimes[{i}]")
    unknown = sorted(set(parsed.enabled_regimes) - set(regime_set))
    if unknown:
        raise DocumentError(f"field 'enabled_regimes': unknown regime(s) {', '.join(unknown)}")
    return regime_set


def _events(parsed: _Document) -> list[Event]:
    """The document's events; each names a listed organisation (or none: case-wide)."""
    known = {o.id for o in parsed.organisations}
    for i, e in enumerate(parsed.events):
        if e.organisation is not None and e.organisation not in known:
            raise DocumentError(
                f"field 'events[{i}].organisation': {e.organisation!r} is not in organisations"
            )
    return [
        Event(
            id=e.id,
            type=e.type,
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at or e.occurred_at,
            recorded_by=e.recorded_by,
            organisation=e.organisation,
            subject=e.subject,
            data=e.data,
            supersedes=e.supersedes,
        )
        for e in parsed.events
    ]


def _evaluation_instant(events: list[Event], at: datetime | None) -> tuple[datetime, str]:
    """The instant to evaluate at and where it came from (never the wall clock)."""
    if at is not None:
        return at, "given"
    if not events:
        raise DocumentError("the document has no events: give the instant to evaluate at")
    return (
        max(e.recorded_at for e in events),
        "latest recorded_at among the events (no instant was given)",
    )


def prepare(doc: Any, at: datetime | None = None, *, regimes: RegimeSet | None = None) -> _Run:
    """Validate a document and resolve everything the engine needs. Raises
    :class:`DocumentError`, :class:`~clearinghouse.clocks.errors.RegimeError` or
    :class:`~clearinghouse.clocks.errors.EventError` for bad input."""
    parsed = parse_document(doc)
    regime_set = _regime_set(parsed, regimes)
    events = _events(parsed)
    instant, at_source = _evaluation_instant(events, at)
    return _Run(
        regimes=regime_set,
        events=events,
        profiles=[
            OrgProfile(o.id, o.name or o.id, o.jurisdictions, o.roles) for o in parsed.organisations
        ],
        overrides=[
            Binding(o.organisation, o.subject, o.regime, o.applies, o.reason)
            for o in parsed.overrides
        ],
        enabled=parsed.enabled_regimes,
        thresholds=Thresholds(
            fractions=tuple(parsed.thresholds.fractions),
            before_due=tuple(timedelta(hours=h) for h in parsed.thresholds.before_due_hours),
        ),
        view=parsed.view,
        facts=parsed.facts,
        at=instant,
        at_source=at_source,
    )


def evaluate_document(
    doc: Any,
    at: datetime | None = None,
    *,
    regimes: RegimeSet | None = None,
    board: bool = False,
) -> dict[str, Any]:
    """Run the engine over a what-if document and return a JSON-ready result: the flat
    list of ``obligations``, or with ``board`` one board per subject (``boards``).

    ``regimes`` defaults to the shipped ones; the document's inline ``regimes`` are added
    (replacing a shipped regime of the same id).
    """
    run = prepare(doc, at, regimes=regimes)
    obligations = run.obligations()
    result: dict[str, Any] = {
        "format": RESULT_FORMAT,
        "at": format_instant(run.at),
        "at_source": run.at_source,
        "view": run.view.value,
        "regimes": _regimes_listed(run),
    }
    if board:
        subjects = sorted({e.subject for e in run.events})
        result["boards"] = [_board(run, obligations, s) for s in subjects]
    else:
        result["obligations"] = [_result(o, run) for o in obligations]
    return result


def board_document(
    doc: Any,
    at: datetime | None = None,
    *,
    subject: str | None = None,
    regimes: RegimeSet | None = None,
) -> dict[str, Any]:
    """The board of one subject of a what-if document (the only one when not named)."""
    run = prepare(doc, at, regimes=regimes)
    subjects = sorted({e.subject for e in run.events})
    if subject is None:
        if len(subjects) != 1:
            raise DocumentError(
                f"the document has {len(subjects)} subjects ({', '.join(subjects)}): "
                "name the one to show"
            )
        subject = subjects[0]
    elif subject not in subjects:
        raise DocumentError(f"no event of the document is about subject {subject!r}")
    return _board(run, run.obligations(), subject)


def _board(run: _Run, obligations: list[Obligation], subject: str) -> dict[str, Any]:
    title = run.facts.get("title")
    return build_board(
        subject,
        obligations=obligations,
        events=run.events,
        regimes=run.regimes,
        profiles={p.id: p for p in run.profiles},
        at=run.at,
        thresholds=run.thresholds,
        view=run.view,
        facts=run.facts or None,
        title=title if isinstance(title, str) else None,
    ).to_json()


def _regimes_listed(run: _Run) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "title": r.title,
            "status": r.status.value,
            "enabled": r.enabled_by_default or r.id in run.enabled,
            "origin": run.regimes.origins[r.id],
        }
        for r in run.regimes.values()
    ]


def _result(obligation: Obligation, run: _Run) -> dict[str, Any]:
    out = obligation.to_json()
    out["alerts"] = [a.to_json() for a in alerts_due(obligation, run.thresholds, run.at)]
    if run.facts and obligation.open:
        out["draft"] = draft_submission(
            obligation, run.regimes[obligation.regime], run.facts
        ).to_json()
    return out
