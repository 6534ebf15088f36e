"""Reporting clocks: regimes as data, and a pure engine that derives every obligation
from recorded events. No web or database imports; see docs/clocks.md.

The public API is re-exported here; import from ``clearinghouse.clocks``.
"""

from __future__ import annotations

from clearinghouse.clocks.alerts import Alert, AlertKind, alerts_due, next_alert_at, upcoming_alerts
from clearinghouse.clocks.board import BOARD_FORMAT, Board, BoardEntry, BoardEvent, build_board
from clearinghouse.clocks.calendar import BusinessCalendar, UnknownCalendarError
from clearinghouse.clocks.conflicts import SharingWarning, sharing_warnings
from clearinghouse.clocks.engine import (
    View,
    compute_due,
    effective_events,
    evaluate,
    in_force,
    trigger_event,
)
from clearinghouse.clocks.errors import DocumentError, EventError, RegimeError, SubmissionError
from clearinghouse.clocks.loader import (
    BUILTIN_DIR,
    RegimeSet,
    load_regime_file,
    load_regimes,
    parse_regime,
)
from clearinghouse.clocks.model import (
    DEFAULT_THRESHOLDS,
    Basis,
    BasisKind,
    Binding,
    Deadline,
    Event,
    EventType,
    FlagNote,
    Obligation,
    ObligationStatus,
    OrgProfile,
    Role,
    SubmissionForm,
    Thresholds,
    TimeLimit,
    TimeUnit,
)
from clearinghouse.clocks.schema import (
    Classification,
    Occurrence,
    Regime,
    RegimeKind,
    RegimeStatus,
    Stage,
)
from clearinghouse.clocks.submissions import Draft, DraftField, draft_submission
from clearinghouse.clocks.whatif import board_document, evaluate_document, parse_document

__all__ = [
    "BOARD_FORMAT",
    "BUILTIN_DIR",
    "DEFAULT_THRESHOLDS",
    "Alert",
    "AlertKind",
    "Basis",
    "BasisKind",
    "Binding",
    "Board",
    "BoardEntry",
    "BoardEvent",
    "BusinessCalendar",
    "Classification",
    "Deadline",
    "DocumentError",
    "Draft",
    "DraftField",
    "Event",
    "EventError",
    "EventType",
    "FlagNote",
    "Obligation",
    "ObligationStatus",
    "Occurrence",
    "OrgProfile",
    "Regime",
    "RegimeError",
    "RegimeKind",
    "RegimeSet",
    "RegimeStatus",
    "Role",
    "SharingWarning",
    "Stage",
    "SubmissionError",
    "SubmissionForm",
    "Thresholds",
    "TimeLimit",
    "TimeUnit",
    "UnknownCalendarError",
    "View",
    "alerts_due",
    "board_document",
    "build_board",
    "compute_due",
    "draft_submission",
    "effective_events",
    "evaluate",
    "evaluate_document",
    "in_force",
    "load_regime_file",
    "load_regimes",
    "next_alert_at",
    "parse_document",
    "parse_regime",
    "sharing_warnings",
    "trigger_event",
    "upcoming_alerts",
]
