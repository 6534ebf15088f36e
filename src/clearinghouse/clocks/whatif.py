"""What-if: run the engine over a self-contained JSON event document.

``clearinghouse clocks evaluate --events FILE.json [--at INSTANT]`` calls
:func:`evaluate_document`. The format (``clearinghouse-clocks/1``) is documented in
docs/clocks.md, with an example in docs/examples/clocks-cra.json. Pure apart from
reading the shipped regime files. When the document has ``facts``, every open
obligation carries a pre-filled submission draft. When ``at`` is not given, the latest
``recorded_at`` among the events is used (never the wall clock) and the output says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clearinghouse.clocks.alerts import alerts_due
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
from clearinghouse.timeutil import format_instant, parse_instant

FORMAT = "clearinghouse-clocks/1"
RESULT_FORMAT = "clearinghouse-clocks-result/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _instant(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("an instant must be an RFC 3339 string such as 2026-10-01T10:00:00Z")
    return parse_instant(value)


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
    before_due_hours: list[float] = Field(default_factory=lambda: [2.0])


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


def evaluate_document(
    doc: dict[str, Any], at: datetime | None = None, *, regimes: RegimeSet | None = None
) -> dict[str, Any]:
    """Run the engine over a what-if document and return a JSON-ready result.

    ``regimes`` defaults to the shipped ones; the document's inline ``regimes`` are added
    (replacing a shipped regime of the same id). Raises :class:`DocumentError`,
    :class:`~clearinghouse.clocks.errors.RegimeError` or
    :class:`~clearinghouse.clocks.errors.EventError` for bad input.
    """
    parsed = parse_document(doc)
    base = regimes if regimes is not None else load_regimes()
    regime_set = RegimeSet((r, base.origins[r.id]) for r in base.values())
    for i, raw in enumerate(parsed.regimes):
        regime_set.add(parse_regime(raw, f"document: regimes[{i}]"), f"document: regimes[{i}]")
    known = {o.id for o in parsed.organisations}
    for i, e in enumerate(parsed.events):
        if e.organisation is not None and e.organisation not in known:
            raise DocumentError(
                f"field 'events[{i}].organisation': {e.organisation!r} is not in organisations"
            )
    events = [
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
    if at is None:
        if not events:
            raise DocumentError("the document has no events: give the instant to evaluate at")
        at = max(e.recorded_at for e in events)
        at_source = "latest recorded_at among the events (no instant was given)"
    else:
        at_source = "given"
    thresholds = Thresholds(
        fractions=tuple(parsed.thresholds.fractions),
        before_due=tuple(timedelta(hours=h) for h in parsed.thresholds.before_due_hours),
    )
    profiles = [
        OrgProfile(o.id, o.name or o.id, o.jurisdictions, o.roles) for o in parsed.organisations
    ]
    overrides = [
        Binding(o.organisation, o.subject, o.regime, o.applies, o.reason) for o in parsed.overrides
    ]
    unknown = sorted(set(parsed.enabled_regimes) - set(regime_set))
    if unknown:
        raise DocumentError(f"field 'enabled_regimes': unknown regime(s) {', '.join(unknown)}")
    obligations = evaluate(
        events,
        regime_set,
        profiles,
        overrides,
        at,
        thresholds,
        enabled_regimes=parsed.enabled_regimes,
        view=parsed.view,
    )
    return {
        "format": RESULT_FORMAT,
        "at": format_instant(at),
        "at_source": at_source,
        "view": parsed.view.value,
        "regimes": [
            {
                "id": r.id,
                "title": r.title,
                "status": r.status.value,
                "enabled": r.enabled_by_default or r.id in parsed.enabled_regimes,
                "origin": regime_set.origins[r.id],
            }
            for r in regime_set.values()
        ],
        "obligations": [_result(o, regime_set, thresholds, at, parsed.facts) for o in obligations],
    }


def _result(
    obligation: Obligation,
    regimes: RegimeSet,
    thresholds: Thresholds,
    at: datetime,
    facts: dict[str, Any],
) -> dict[str, Any]:
    out = obligation.to_json()
    out["alerts"] = [a.to_json() for a in alerts_due(obligation, thresholds, at)]
    if facts and obligation.open:
        out["draft"] = draft_submission(obligation, regimes[obligation.regime], facts).to_json()
    return out
