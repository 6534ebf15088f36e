"""Reporting clocks: regimes as data, and a pure engine that derives every obligation
from recorded events. No web or database imports; see docs/clocks.md.

The public API is re-exported here; import from ``clearinghouse.clocks``.
"""

from __future__ import annotations

from clearinghouse.clocks.alerts import Alert, AlertKind, alerts_due, next_alert_at, upcoming_alerts
from clearinghouse.clocks.calendar import BusinessCalendar, UnknownCalendarError
from clearinghouse.clocks.conflicts import SharingWarning, sharing_warnings
from clearinghouse.clocks.engine import View, compute_due, effective_events, evaluate, in_force
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
    Event,
    EventType,
    FlagNote,
    Obligation,
    ObligationStatus,
    OrgProfile,
    Role,
    Thresholds,
)
from clearinghouse.clocks.schema import Regime, RegimeKind, RegimeStatus, Stage
from clearinghouse.clocks.submissions import Draft, DraftField, draft_submission
from clearinghouse.clocks.whatif import evaluate_document, parse_document

__all__ = [
    "BUILTIN_DIR",
    "DEFAULT_THRESHOLDS",
    "Alert",
    "AlertKind",
    "Basis",
    "BasisKind",
    "Binding",
    "BusinessCalendar",
    "DocumentError",
    "Draft",
    "DraftField",
    "Event",
    "EventError",
    "EventType",
    "FlagNote",
    "Obligation",
    "ObligationStatus",
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
    "Thresholds",
    "UnknownCalendarError",
    "View",
    "alerts_due",
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
    "upcoming_alerts",
]
