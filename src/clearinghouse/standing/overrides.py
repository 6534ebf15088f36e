"""Regime overrides: the operator's decision that a regime binds an organisation, or does
not, for one subject (a case) or for all of them. Obligations read them
(:mod:`clearinghouse.standing.obligations`); every decision is audited."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.audit import service as audit
from clearinghouse.errors import InvalidInput
from clearinghouse.principal import Principal
from clearinghouse.settings import Settings
from clearinghouse.standing import obligations as obl
from clearinghouse.standing.models import RegimeOverride
from clearinghouse.timeutil import format_instant


def decide(
    session: Session,
    settings: Settings,
    *,
    actor: Principal,
    org: Organisation,
    regime: str,
    subject: str | None,
    applies: bool,
    reason: str,
    now: datetime,
) -> RegimeOverride:
    if regime not in obl.regimes_for(settings):
        raise InvalidInput(f"unknown regime {regime!r}", field="regime")
    if not reason.strip():
        raise InvalidInput("an override needs a reason", field="reason")
    row = RegimeOverride(
        org_id=org.id,
        subject=subject or None,
        regime=regime,
        applies=applies,
        reason=reason.strip(),
        decided_by_label=actor.label,
        decided_at=now,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="regime.override",
        object_type="organisation",
        object_id=org.id,
        owner_org_id=org.id,
        at=now,
        change={"regime": regime, "subject": row.subject, "applies": applies, "reason": row.reason},
    )
    return row


def overrides_of(session: Session, org_id: uuid.UUID, at: datetime) -> list[RegimeOverride]:
    """The organisation's overrides decided by ``at``, oldest first."""
    return list(
        session.scalars(
            select(RegimeOverride)
            .where(RegimeOverride.org_id == org_id, RegimeOverride.decided_at <= at)
            .order_by(RegimeOverride.decided_at, RegimeOverride.id)
        )
    )


def to_json(r: RegimeOverride) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "regime": r.regime,
        "subject": r.subject,
        "applies": r.applies,
        "reason": r.reason,
        "decided_by": r.decided_by_label,
        "decided_at": format_instant(r.decided_at),
    }
