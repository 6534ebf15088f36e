"""Small builders shared by the clocks tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from clearinghouse.clocks import (
    DEFAULT_THRESHOLDS,
    Binding,
    Event,
    EventType,
    Obligation,
    OrgProfile,
    RegimeSet,
    Role,
    Thresholds,
    evaluate,
    load_regimes,
)
from clearinghouse.timeutil import parse_instant

REGIMES: RegimeSet = load_regimes()

ACME = OrgProfile("acme", "Acme Devices GmbH", {"EU", "DE"}, {Role.MANUFACTURER})
CLOUDCO = OrgProfile("cloudco", "CloudCo", {"CN"}, {Role.PRODUCT_PROVIDER, Role.PLATFORM_PARTNER})
REGISTRANT = OrgProfile("bigcorp", "BigCorp Inc.", {"US"}, {Role.SEC_REGISTRANT})


def t(text: str) -> datetime:
    return parse_instant(text)


def ev(
    id: str,
    type: EventType | str,
    occurred: str,
    org: str | None = "acme",
    subject: str = "case-1",
    *,
    recorded: str | None = None,
    data: dict[str, Any] | None = None,
    supersedes: str | None = None,
) -> Event:
    return Event(
        id=id,
        type=EventType(type),
        occurred_at=t(occurred),
        recorded_at=t(recorded or occurred),
        recorded_by="tester",
        organisation=org,
        subject=subject,
        data=data or {},
        supersedes=supersedes,
    )


def submitted(id: str, regime: str, stage: str, occurred: str, org: str = "acme") -> Event:
    return ev(
        id,
        EventType.REPORT_SUBMITTED,
        occurred,
        org,
        data={"regime": regime, "stage": stage, "reference": f"ref-{id}", "recipient": "x"},
    )


def run(
    events: Iterable[Event],
    at: str,
    profiles: Iterable[OrgProfile] = (ACME,),
    *,
    regimes: Iterable[str] | None = None,
    overrides: Iterable[Binding] = (),
    thresholds: Thresholds | None = None,
    enabled: Iterable[str] = (),
) -> list[Obligation]:
    chosen = [REGIMES[r] for r in regimes] if regimes is not None else list(REGIMES.values())
    return evaluate(
        list(events),
        chosen,
        list(profiles),
        list(overrides),
        t(at),
        thresholds if thresholds is not None else DEFAULT_THRESHOLDS,
        enabled_regimes=enabled,
    )


def by_stage(obligations: Iterable[Obligation], regime: str) -> dict[str, Obligation]:
    return {o.stage: o for o in obligations if o.regime == regime}
