"""Alerts before and after a deadline, pure.

An open obligation (pending, due soon, missed) alerts when a share of its window has
elapsed (default 50 % and 80 %), when the time left falls to a lead time (default 2 h),
and once it is missed. Each alert carries a stable idempotency key
``org|subject|regime|stage|threshold`` so that the job layer sends each one once, however
often the obligations are re-evaluated; a correction that moves the due keeps the keys.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from clearinghouse.clocks.model import DEFAULT_THRESHOLDS, Obligation, Thresholds
from clearinghouse.timeutil import ensure_utc, format_instant

MISSED_AFTER = timedelta(seconds=1)


class AlertKind(enum.StrEnum):
    FRACTION = "fraction"  # a share of the window has elapsed
    BEFORE_DUE = "before_due"  # the time left fell to a lead time
    MISSED = "missed"  # the due instant has passed without a submission


@dataclass(frozen=True, slots=True)
class Alert:
    key: str
    organisation: str
    subject: str
    regime: str
    stage: str
    threshold: str  # "50%", "2h", "missed"
    kind: AlertKind
    fires_at: datetime
    due: datetime
    # ``threshold`` as a value (not in the JSON): the share of the window of a fraction
    # alert, the time left of a before-due one; pages word them in the reader's language.
    fraction: float | None = None
    lead: timedelta | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "organisation": self.organisation,
            "subject": self.subject,
            "regime": self.regime,
            "stage": self.stage,
            "threshold": self.threshold,
            "kind": self.kind.value,
            "fires_at": format_instant(self.fires_at),
            "due": format_instant(self.due),
        }


def fraction_label(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def lead_label(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


class Step(NamedTuple):
    """One threshold of a window: its label, kind and the instant it fires, with the share
    of the window (fractions) or the time left (lead times) it stands for."""

    label: str
    kind: AlertKind
    fires_at: datetime
    fraction: float | None = None
    lead: timedelta | None = None


def schedule(anchor_at: datetime, due: datetime, thresholds: Thresholds) -> list[Step]:
    """Every threshold of a window, in the order it fires.

    A lead time longer than the window fires at the window's start. A deadline is met up
    to and including its instant, so ``missed`` fires one second after ``due``.
    """
    window = due - anchor_at
    out = [
        Step(fraction_label(f), AlertKind.FRACTION, anchor_at + window * f, fraction=f)
        for f in thresholds.fractions
    ]
    out += [
        Step(lead_label(d), AlertKind.BEFORE_DUE, max(anchor_at, due - d), lead=d)
        for d in thresholds.before_due
    ]
    out.sort(key=lambda step: step.fires_at)
    out.append(Step("missed", AlertKind.MISSED, due + MISSED_AFTER))
    return out


def has_fired(fires_at: datetime, at: datetime) -> bool:
    return at >= fires_at


def warning_started(
    anchor_at: datetime, due: datetime, thresholds: Thresholds, at: datetime
) -> bool:
    """Whether any pre-due threshold has fired: the engine's ``due_soon`` rule."""
    return any(
        has_fired(step.fires_at, at)
        for step in schedule(anchor_at, due, thresholds)
        if step.kind is not AlertKind.MISSED
    )


def _alerts(
    obligation: Obligation, thresholds: Thresholds, at: datetime, *, fired: bool
) -> list[Alert]:
    if not obligation.open or obligation.due is None or obligation.anchor_at is None:
        return []
    at = ensure_utc(at)
    org, subject, regime, stage = obligation.key
    return [
        Alert(
            key="|".join((org, subject, regime, stage, step.label)),
            organisation=org,
            subject=subject,
            regime=regime,
            stage=stage,
            threshold=step.label,
            kind=step.kind,
            fires_at=step.fires_at,
            due=obligation.due,
            fraction=step.fraction,
            lead=step.lead,
        )
        for step in schedule(obligation.anchor_at, obligation.due, thresholds)
        if has_fired(step.fires_at, at) is fired
    ]


def alerts_due(
    obligation: Obligation, thresholds: Thresholds = DEFAULT_THRESHOLDS, at: datetime | None = None
) -> list[Alert]:
    """Alerts that have fired by ``at`` for an open obligation, oldest first.

    All fired thresholds are returned (a worker that was down catches up); the job layer
    sends each key once. Met, waiting and not-applicable obligations give none.
    """
    if at is None:
        raise TypeError("alerts_due needs the instant 'at' (the clocks never read the wall clock)")
    return _alerts(obligation, thresholds, at, fired=True)


def upcoming_alerts(obligation: Obligation, thresholds: Thresholds, at: datetime) -> list[Alert]:
    """Alerts still to fire after ``at``, oldest first: for scheduling the next wake-up."""
    return _alerts(obligation, thresholds, at, fired=False)


def next_alert_at(
    obligations: list[Obligation], thresholds: Thresholds, at: datetime
) -> datetime | None:
    """The earliest instant after ``at`` at which any of these obligations alerts."""
    times = [a.fires_at for o in obligations for a in upcoming_alerts(o, thresholds, at)]
    return min(times) if times else None
