"""The shapes of obligations, alerts and clock boards at the HTTP edge.

The clock engine (``clearinghouse.clocks``, pure) writes them with its ``to_json``
methods; these models declare the same shapes for ``/api/v1/obligations``, a member's
standing and the incident board, so that the OpenAPI document says what the routes answer
and the schema fuzzer checks it. Instants stay the strings the engine wrote (RFC 3339,
UTC, ``Z``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field

InstantText = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class FlagOut(BaseModel):
    id: str
    explanation: str


class BasisOut(BaseModel):
    """Why the organisation is bound: a role and jurisdiction of its profile, or an
    operator's override."""

    kind: str
    reason: str
    role: str | None
    jurisdiction: str | None


class DeadlineOut(BaseModel):
    """One candidate due instant, when a stage is due at the earliest of several."""

    label: str
    anchor_event: str
    anchor_at: InstantText
    duration: str
    due: InstantText
    governs: bool


class ObligationOut(BaseModel):
    """One stage of one regime for one organisation on one subject."""

    organisation: str
    subject: str
    regime: str
    regime_title: str
    stage: str
    stage_name: str
    status: str
    due: InstantText | None
    duration: str
    anchor_event: str | None
    anchor_at: InstantText | None
    trigger_event: str | None
    basis: BasisOut
    flags: list[FlagOut]
    met_by: str | None
    submitted_at: InstantText | None
    recipients: list[str]
    optional: bool
    note: str
    forms: list[str]
    deadlines: list[DeadlineOut]
    displaced_by: str | None
    anchor_source: dict[str, Any] | None = Field(
        None, description="why the anchor event exists, when it says (absent otherwise)"
    )


class AlertOut(BaseModel):
    key: str
    organisation: str
    subject: str
    regime: str
    stage: str
    threshold: str = Field(description='"50%", "2h", "missed", ...')
    kind: str
    fires_at: InstantText
    due: InstantText


class ObligationAlertsOut(ObligationOut):
    alerts_fired: list[AlertOut]
    alerts_upcoming: list[AlertOut]


class ObligationsOut(BaseModel):
    at: datetime
    obligations: list[ObligationAlertsOut]


class RegimeRecordOut(BaseModel):
    """Per regime: obligations met on time, met late, missed (still owed), open."""

    regime: str
    title: str
    met: int
    met_late: int
    missed: int
    open: int


class OverrideOut(BaseModel):
    id: UUID
    regime: str
    subject: str | None
    applies: bool


class OverrideDecisionOut(OverrideOut):
    """An override in force, as a member's standing lists it: who decided it, when, why."""

    reason: str
    decided_by: str
    decided_at: InstantText


# --- the clock board (docs/clocks.md, "The clock board") -------------------------------------


class WindowOut(BaseModel):
    start: InstantText
    end: InstantText


class DraftFieldOut(BaseModel):
    id: str
    label: str
    value: str | None
    required: bool
    help: str
    filled_from: list[str]


class DraftOut(BaseModel):
    organisation: str
    subject: str
    title: str | None
    regime: str
    regime_title: str
    stage: str
    stage_name: str
    status: str
    due: InstantText | None
    duration: str
    recipients: list[str]
    flags: list[FlagOut]
    fields: list[DraftFieldOut]
    missing: list[str]
    complete: bool
    sources: list[str]


class BoardObligationOut(ObligationOut):
    window: WindowOut | None
    alerts: list[AlertOut]
    draft: DraftOut | None


class BoardEventOut(BaseModel):
    id: str
    type: str
    occurred_at: InstantText
    recorded_at: InstantText
    recorded_by: str
    organisation: str | None
    subject: str
    data: dict[str, Any]
    supersedes: str | None
    counts: bool
    superseded_by: str | None


class NextDueOut(BaseModel):
    organisation: str
    regime: str
    stage: str
    due: InstantText


class PartyOut(BaseModel):
    id: str
    name: str
    jurisdictions: list[str]
    roles: list[str]


class BoardOut(BaseModel):
    format: str
    subject: str
    title: str | None
    at: InstantText
    view: str
    span: WindowOut
    counts: dict[str, int]
    next_due: NextDueOut | None
    parties: list[PartyOut]
    obligations: list[BoardObligationOut]
    events: list[BoardEventOut]
