"""Sanctions: suspending a member for a period, and the reassessment that follows.

A suspended member keeps its obligations and its own data, but stops receiving
pre-publication case information and TLP:AMBER, AMBER+STRICT and RED sharing (the policy
module reads ``Principal.suspended``). Every decision is audited.

A suspension takes effect when it is decided, or later. One that reaches back before its
decision must say so (``retroactive``): the flag is stored, audited and shown with it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import MemberSanction, Organisation, SanctionKind, SanctionState
from clearinghouse.audit import service as audit
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.principal import Principal
from clearinghouse.standing.models import ReassessmentDecision, ReassessmentOutcome
from clearinghouse.timeutil import format_instant
from clearinghouse.vocab import OrgKind

MAX_DAYS = 3650


def add_months(start: datetime, months: int) -> datetime:
    """Same day-of-month ``months`` later (clamped to the month's end), same time of day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return start.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise InvalidInput("cannot add months to this date")  # pragma: no cover


class SanctionStatus(enum.StrEnum):
    """Where a sanction stands at an instant (its stored state is the decision's)."""

    SCHEDULED = "scheduled"  # decided, not yet in force
    ACTIVE = "active"  # in force: the member is suspended
    ENDED = "ended"  # its period is over (a reassessment may still be due)
    REINSTATED = "reinstated"  # lifted by a reassessment decision


def status_at(sanction: MemberSanction, at: datetime) -> SanctionStatus:
    if at < sanction.starts_at:
        return SanctionStatus.SCHEDULED
    if at < sanction.ends_at:
        return SanctionStatus.ACTIVE
    if sanction.state is SanctionState.REINSTATED:
        return SanctionStatus.REINSTATED
    return SanctionStatus.ENDED


def _check_start(starts_at: datetime, now: datetime, retroactive: bool) -> None:
    if starts_at < now and not retroactive:
        raise InvalidInput(
            f"a suspension cannot take effect before it is decided ({format_instant(now)}); "
            "leave starts_at out to start it now, or say that it reaches back "
            "(retroactive: true; recorded, audited and shown)",
            field="starts_at",
        )
    if retroactive and starts_at >= now:
        raise InvalidInput(
            "retroactive is for a start before the decision; this one starts "
            f"{format_instant(starts_at)}, decided {format_instant(now)}",
            field="retroactive",
        )


def suspend(
    session: Session,
    *,
    actor: Principal,
    org: Organisation,
    starts_at: datetime | None,
    reason: str,
    now: datetime,
    months: int | None = None,
    days: int | None = None,
    reassessment_at: datetime | None = None,
    basis: dict[str, Any] | None = None,
    retroactive: bool = False,
) -> MemberSanction:
    """Suspend ``org`` from ``starts_at`` (default: ``now``, when it is decided)."""
    if org.kind is OrgKind.OPERATOR:
        raise InvalidInput("the operator cannot be suspended")
    starts_at = now if starts_at is None else starts_at
    _check_start(starts_at, now, retroactive)
    if (months is None) == (days is None):
        raise InvalidInput("give the length as months or as days (one of them)")
    if not reason.strip():
        raise InvalidInput("a suspension needs a reason", field="reason")
    if months is not None:
        if not 1 <= months <= 120:
            raise InvalidInput("months must be between 1 and 120", field="months")
        ends_at = add_months(starts_at, months)
    else:
        if days is None:
            raise InvalidInput("give the suspension's length in months or in days", field="days")
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"days must be between 1 and {MAX_DAYS}", field="days")
        ends_at = starts_at + timedelta(days=days)
    reassess = reassessment_at or ends_at
    if reassess < starts_at:
        raise InvalidInput("reassessment cannot precede the start", field="reassessment_at")
    sanction = MemberSanction(
        org_id=org.id,
        kind=SanctionKind.SUSPENSION,
        state=SanctionState.ACTIVE,
        starts_at=starts_at,
        ends_at=ends_at,
        reassessment_at=reassess,
        reason=reason.strip(),
        basis=basis or {},
        decided_by_user_id=actor.user_id,
        decided_by_label=actor.label,
        decided_at=now,
        retroactive=retroactive,
    )
    session.add(sanction)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="member.suspended",
        object_type="organisation",
        object_id=org.id,
        owner_org_id=org.id,
        at=now,
        change={
            "sanction": sanction.id,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "reassessment_at": reassess,
            "reason": sanction.reason,
            "basis": sanction.basis,
            "retroactive": retroactive,
        },
    )
    return sanction


def reassess(
    session: Session,
    *,
    actor: Principal,
    sanction: MemberSanction,
    outcome: ReassessmentOutcome,
    reason: str,
    now: datetime,
    extend_months: int | None = None,
    extend_days: int | None = None,
) -> ReassessmentDecision:
    """Reinstate (the suspension ends now) or extend it (a new end and reassessment)."""
    if sanction.state is not SanctionState.ACTIVE:
        raise Conflict(f"this sanction was already decided ({sanction.state.value})")
    if not reason.strip():
        raise InvalidInput("a reassessment needs a reason", field="reason")
    decision = ReassessmentDecision(
        sanction_id=sanction.id,
        outcome=outcome,
        reason=reason.strip(),
        decided_by_user_id=actor.user_id,
        decided_by_label=actor.label,
        decided_at=now,
    )
    if outcome is ReassessmentOutcome.REINSTATE:
        if extend_months or extend_days:
            raise InvalidInput("reinstating takes no extension")
        sanction.state = SanctionState.REINSTATED
        sanction.ends_at = min(sanction.ends_at, max(now, sanction.starts_at))
    else:
        if (extend_months is None) == (extend_days is None):
            raise InvalidInput("give the extension as months or as days (one of them)")
        base = max(sanction.ends_at, now)
        new_end = (
            add_months(base, extend_months)
            if extend_months
            else base + timedelta(days=extend_days or 0)
        )
        sanction.ends_at = new_end
        sanction.reassessment_at = new_end
        decision.new_ends_at = new_end
        decision.new_reassessment_at = new_end
    session.add(decision)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action=f"member.reassessed.{outcome.value}",
        object_type="organisation",
        object_id=sanction.org_id,
        owner_org_id=sanction.org_id,
        at=now,
        change={
            "sanction": sanction.id,
            "outcome": outcome.value,
            "reason": decision.reason,
            "ends_at": sanction.ends_at,
            "reassessment_at": sanction.reassessment_at,
        },
    )
    return decision


def sanctions_of(session: Session, org_id: uuid.UUID) -> list[MemberSanction]:
    return list(
        session.scalars(
            select(MemberSanction)
            .where(MemberSanction.org_id == org_id)
            .order_by(MemberSanction.starts_at)
        )
    )


def get_sanction(session: Session, sanction_id: uuid.UUID) -> MemberSanction:
    sanction = session.get(MemberSanction, sanction_id)
    if sanction is None:
        raise NotFound("no such sanction")
    return sanction


def due_reassessments(session: Session, until: datetime) -> list[MemberSanction]:
    """Active sanctions whose reassessment date falls before ``until`` (for reminders)."""
    return list(
        session.scalars(
            select(MemberSanction).where(
                MemberSanction.state == SanctionState.ACTIVE,
                MemberSanction.reassessment_at <= until,
            )
        )
    )
