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
from dataclasses import dataclass
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
    raise InvalidInput(f"{months} months after {format_instant(start)} is past the year 9999")


def add_days(start: datetime, days: int, field: str) -> datetime:
    """``days`` days after ``start``; :class:`InvalidInput` naming ``field`` when that is
    past the year 9999 (a start late in 9998 and ten years)."""
    try:
        return start + timedelta(days=days)
    except OverflowError:
        raise InvalidInput(
            f"{days} days after {format_instant(start)} is past the year 9999", field=field
        ) from None


class SanctionStatus(enum.StrEnum):
    """Where a sanction stands at an instant (its stored state is the decision's)."""

    SCHEDULED = "scheduled"  # decided, not yet in force
    ACTIVE = "active"  # in force: the member is suspended
    ENDED = "ended"  # its period is over (a reassessment may still be due)
    REINSTATED = "reinstated"  # lifted by a reassessment decision


def _status(
    starts_at: datetime, ends_at: datetime, state: SanctionState, at: datetime
) -> SanctionStatus:
    if at < starts_at:
        return SanctionStatus.SCHEDULED
    if at < ends_at:
        return SanctionStatus.ACTIVE
    if state is SanctionState.REINSTATED:
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
        ends_at = add_days(starts_at, days, "days")
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
        previous_ends_at=sanction.ends_at,
        previous_reassessment_at=sanction.reassessment_at,
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
            else add_days(base, extend_days or 0, "extend_days")
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


@dataclass(frozen=True, slots=True)
class SanctionView:
    """A sanction as the record stood at one instant: decided by then, with the period
    and reassessment date it had then (a later reinstatement or extension undone)."""

    sanction: MemberSanction
    at: datetime
    ends_at: datetime
    reassessment_at: datetime
    status: SanctionStatus
    decisions: tuple[ReassessmentDecision, ...]  # the reassessments decided by ``at``

    @property
    def id(self) -> uuid.UUID:
        return self.sanction.id

    @property
    def in_force(self) -> bool:
        return self.status is SanctionStatus.ACTIVE

    @property
    def open_for_decision(self) -> bool:
        """Whether a reassessment may still decide it (as the record stands now)."""
        return self.sanction.state is SanctionState.ACTIVE


def view_at(
    sanction: MemberSanction, decisions: list[ReassessmentDecision], at: datetime
) -> SanctionView | None:
    """``sanction`` as it stood at ``at`` (None: not yet decided then). ``decisions``: its
    reassessments, any order."""
    if sanction.decided_at > at:
        return None
    ordered = sorted(decisions, key=lambda d: d.decided_at)
    known = tuple(d for d in ordered if d.decided_at <= at)
    later = [d for d in ordered if d.decided_at > at]
    ends_at, reassessment_at = sanction.ends_at, sanction.reassessment_at
    state = sanction.state
    if later:  # undo what was decided after ``at``: the first later decision kept the rest
        first = later[0]
        ends_at = first.previous_ends_at or ends_at
        reassessment_at = first.previous_reassessment_at or reassessment_at
        state = SanctionState.ACTIVE
    status = _status(sanction.starts_at, ends_at, state, at)
    return SanctionView(sanction, at, ends_at, reassessment_at, status, known)


def as_stored(sanction: MemberSanction, at: datetime) -> SanctionView:
    """``sanction`` as stored now, its status at ``at``."""
    status = _status(sanction.starts_at, sanction.ends_at, sanction.state, at)
    return SanctionView(sanction, at, sanction.ends_at, sanction.reassessment_at, status, ())


def views_at(session: Session, org_id: uuid.UUID, at: datetime) -> list[SanctionView]:
    """The organisation's sanctions decided by ``at``, each as it stood then."""
    return views_of(session, [org_id], at).get(org_id, [])


def views_of(
    session: Session, org_ids: list[uuid.UUID], at: datetime
) -> dict[uuid.UUID, list[SanctionView]]:
    """:func:`views_at` for several organisations in two queries."""
    found = list(
        session.scalars(
            select(MemberSanction)
            .where(MemberSanction.org_id.in_(org_ids), MemberSanction.decided_at <= at)
            .order_by(MemberSanction.starts_at, MemberSanction.id)
        )
    )
    decisions: dict[uuid.UUID, list[ReassessmentDecision]] = {s.id: [] for s in found}
    if found:
        for d in session.scalars(
            select(ReassessmentDecision).where(ReassessmentDecision.sanction_id.in_(decisions))
        ):
            decisions[d.sanction_id].append(d)
    views: dict[uuid.UUID, list[SanctionView]] = {}
    for sanction in found:
        view = view_at(sanction, decisions[sanction.id], at)
        if view is not None:
            views.setdefault(sanction.org_id, []).append(view)
    return views


def suspension_at(views: list[SanctionView]) -> SanctionView | None:
    """The suspension in force among ``views`` (one organisation's, at one instant)."""
    return next(
        (v for v in views if v.in_force and v.sanction.kind is SanctionKind.SUSPENSION), None
    )


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
