"""The typed timeline: every coordination step and every clock anchor, as an event.

Two families of types share the ``timeline_events`` table:

* :class:`CaseEventType`: what the platform itself records as coordination happens
  (a vendor invited, a status stated, the embargo activated...). Written only by the
  services, never through ``POST .../events``.
* :class:`clearinghouse.clocks.model.EventType`: the anchors the regulatory clocks run
  from (``aware``, ``exploitation_known``, ``fix_available``, ``public_disclosure``,
  ``report_submitted``...). Participants record these (``occurred_at`` may lie in the
  past; ``recorded_at`` is always the platform's now), and a few coordination steps
  record them too (an early embargo exit on public disclosure records
  ``public_disclosure``; a vendor stating *fixed* records ``fix_available``).

Events are never updated: a correction is a new event that ``supersedes`` the old one.
:func:`record_action` is the one call every service makes: it writes the typed event
*and* the audit entry in the caller's transaction.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from clearinghouse.audit import service as audit
from clearinghouse.cases.ids import ordered_id
from clearinghouse.cases.models import Case, TimelineEvent
from clearinghouse.clocks.errors import EventError
from clearinghouse.clocks.model import Event as ClockEvent
from clearinghouse.clocks.model import EventType as ClockEventType
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.principal import Principal
from clearinghouse.timeutil import NaiveDatetimeError, ensure_utc

# An occurred_at a little ahead of the server's clock is a client clock's skew, not a
# claim about the future.
CLOCK_SKEW = timedelta(minutes=5)
MAX_EVIDENCE = 4000
MAX_DATA_KEYS = 50


class CaseEventType(enum.StrEnum):
    """Coordination steps the platform records itself."""

    REPORT_RECEIVED = "report_received"
    REPORT_STATUS_CHANGED = "report_status_changed"
    REPORT_MESSAGE_POSTED = "report_message_posted"
    REPORT_KEY_CHANGED = "report_key_changed"
    CASE_OPENED = "case_opened"
    CASE_UPDATED = "case_updated"
    CASE_CLOSED = "case_closed"
    TRIAGE_DECIDED = "triage_decided"
    VULNERABILITY_ADDED = "vulnerability_added"
    VULNERABILITY_UPDATED = "vulnerability_updated"
    PARTICIPANT_ADDED = "participant_added"
    PARTICIPANT_REMOVED = "participant_removed"
    PARTICIPANT_NOTIFIED = "participant_notified"
    PARTICIPANT_SEEN = "participant_seen"
    VENDOR_INVITED = "vendor_invited"
    INVITATION_CLAIMED = "invitation_claimed"
    RESPONSE_DEADLINE_SET = "response_deadline_set"
    VENDOR_REMINDED = "vendor_reminded"
    VENDOR_ESCALATED = "vendor_escalated"
    VENDOR_STATUS_CHANGED = "vendor_status_changed"
    VENDOR_STATEMENT = "vendor_statement"
    EMBARGO_PROPOSED = "embargo_proposed"
    EMBARGO_ACCEPTED = "embargo_accepted"
    EMBARGO_REJECTED = "embargo_rejected"
    EMBARGO_ACTIVATED = "embargo_activated"
    EMBARGO_MOVE_PROPOSED = "embargo_move_proposed"
    EMBARGO_MOVED = "embargo_moved"
    EMBARGO_MOVE_WITHDRAWN = "embargo_move_withdrawn"
    EMBARGO_PARTICIPANT_ADDED = "embargo_participant_added"
    EMBARGO_PARTICIPANT_REMOVED = "embargo_participant_removed"
    EMBARGO_EXITED = "embargo_exited"
    THREAD_OPENED = "thread_opened"
    MESSAGE_POSTED = "message_posted"


# Steps that are the coordinator's own business (the triage and its inputs).
COORDINATOR_ONLY = frozenset({CaseEventType.TRIAGE_DECIDED, CaseEventType.REPORT_STATUS_CHANGED})


def is_known_type(value: str) -> bool:
    return value in CaseEventType._value2member_map_ or value in ClockEventType._value2member_map_


@dataclass(frozen=True, slots=True)
class Recorded:
    event: TimelineEvent


def record_action(
    session: Session,
    *,
    actor: Principal,
    case: Case | None,
    type: CaseEventType | ClockEventType,
    now: datetime,
    report_id: uuid.UUID | None = None,
    data: dict[str, Any],
    audit_action: str,
    object_type: str = "case",
    object_id: str | uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    participant_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    evidence: str | None = None,
    supersedes_id: uuid.UUID | None = None,
    owner_org_id: uuid.UUID | None = None,
    subject: str | None = None,
) -> Recorded:
    """Write one timeline event and its audit entry (flushes; never commits). ``subject``
    names what an event outside any case is about (an incident's public id)."""
    now = ensure_utc(now)
    event = TimelineEvent(
        id=ordered_id(),
        case_id=case.id if case is not None else None,
        subject=subject,
        report_id=report_id,
        org_id=org_id,
        participant_id=participant_id,
        type=type.value,
        occurred_at=ensure_utc(occurred_at) if occurred_at is not None else now,
        recorded_at=now,
        recorded_by_user_id=actor.user_id,
        recorded_by_label=actor.label,
        data=data,
        supersedes_id=supersedes_id,
        evidence=evidence,
    )
    session.add(event)
    session.flush()
    change: dict[str, Any] = {"event_id": event.id, "event_type": type.value, **data}
    if occurred_at is not None:
        change["occurred_at"] = event.occurred_at
    if org_id is not None:
        change["org_id"] = org_id
    if evidence:
        change["evidence"] = evidence
    if supersedes_id is not None:
        change["supersedes_id"] = supersedes_id
    audit.append(
        session,
        actor=actor,
        action=audit_action,
        object_type=object_type,
        object_id=object_id if object_id is not None else (case.public_id if case else event.id),
        change=change,
        at=now,
        owner_org_id=owner_org_id
        if owner_org_id is not None
        else (case.coordinator_org_id if case else org_id),
    )
    return Recorded(event)


def record_report_action(
    session: Session,
    *,
    actor: Principal,
    report: Any,
    type: CaseEventType,
    now: datetime,
    data: dict[str, Any],
    audit_action: str,
) -> Recorded:
    """A report's step (received, status changed, triaged): on the report's own timeline,
    audited as an object of the reporting organisation."""
    return record_action(
        session,
        actor=actor,
        case=None,
        report_id=report.id,
        type=type,
        now=now,
        data={"report_id": str(report.id), **data},
        audit_action=audit_action,
        object_type="report",
        object_id=report.id,
        org_id=report.reporter_org_id,
        owner_org_id=report.reporter_org_id,
    )


def check_clock_event(
    *,
    type: str,
    occurred_at: datetime,
    now: datetime,
    data: dict[str, Any],
    evidence: str | None,
    recorded_by: str,
    organisation: str | None,
    subject: str,
    supersedes: str | None,
) -> ClockEventType:
    """Check a clock anchor as the clock engine will read it: a known type, an aware
    ``occurred_at`` not in the future, bounded data and evidence, and the data a type
    requires (``report_submitted`` names its regime and stage). Returns the type."""
    try:
        kind = ClockEventType(type)
    except ValueError:
        allowed = ", ".join(t.value for t in ClockEventType)
        raise InvalidInput(
            f"{type!r} is not an event type the clocks know; use one of: {allowed} "
            "(coordination steps are recorded by the platform itself)",
            field="type",
        ) from None
    try:
        occurred_at = ensure_utc(occurred_at)
    except NaiveDatetimeError:
        raise InvalidInput(
            "occurred_at needs Z or an offset (a time without a zone is not an instant)",
            field="occurred_at",
        ) from None
    if occurred_at > ensure_utc(now) + CLOCK_SKEW:
        raise InvalidInput(
            "occurred_at lies in the future; record an event once it has happened",
            field="occurred_at",
        )
    if len(data) > MAX_DATA_KEYS:
        raise InvalidInput(f"data may hold at most {MAX_DATA_KEYS} keys", field="data")
    if evidence is not None and len(evidence) > MAX_EVIDENCE:
        raise InvalidInput(f"evidence is at most {MAX_EVIDENCE} characters", field="evidence")
    try:
        ClockEvent(
            id="new",
            type=kind,
            occurred_at=occurred_at,
            recorded_at=ensure_utc(now),
            recorded_by=recorded_by,
            organisation=organisation,
            subject=subject,
            data=data,
            supersedes=supersedes,
        )
    except EventError as exc:
        raise InvalidInput(str(exc), field="data") from exc
    return kind


def record_clock_event(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    type: str,
    occurred_at: datetime,
    now: datetime,
    org_id: uuid.UUID | None,
    org_label: str | None,
    data: dict[str, Any],
    evidence: str | None,
    supersedes_id: uuid.UUID | None,
) -> TimelineEvent:
    """Record a clock anchor (``POST .../events``) after checking it
    (:func:`check_clock_event`) and that a superseded event belongs to the same case."""
    if supersedes_id is not None:
        old = session.get(TimelineEvent, supersedes_id)
        if old is None or old.case_id != case.id:
            raise InvalidInput("supersedes_id names no event of this case", field="supersedes_id")
    kind = check_clock_event(
        type=type,
        occurred_at=occurred_at,
        now=now,
        data=data,
        evidence=evidence,
        recorded_by=actor.label,
        organisation=org_label,
        subject=case.public_id,
        supersedes=str(supersedes_id) if supersedes_id else None,
    )
    return record_action(
        session,
        actor=actor,
        case=case,
        type=kind,
        now=now,
        data=data,
        audit_action=f"case.event.{kind.value}",
        org_id=org_id,
        occurred_at=occurred_at,
        evidence=evidence,
        supersedes_id=supersedes_id,
    ).event


def get_event(session: Session, case: Case, event_id: uuid.UUID) -> TimelineEvent:
    event = session.get(TimelineEvent, event_id)
    if event is None or event.case_id != case.id:
        raise NotFound("no such event in this case")
    return event


def page(
    session: Session,
    case: Case,
    *,
    participant_id: uuid.UUID | None,
    org_id: uuid.UUID | None = None,
    full: bool,
    after: Sequence[Any] | None,
    limit: int,
    occurred_by: datetime | None = None,
) -> list[TimelineEvent]:
    """Events of a case in the order they happened (``occurred_at``, then ``recorded_at``,
    then id); with ``occurred_by``, only those that had happened by then (the case "as at"
    that instant, with what is known now: the obligations' what-if view).

    Without ``full`` (a participant's view): the events about ``participant_id``, and the
    case-wide ones that concern nobody else; not another organisation's own events (its
    awareness, its regulator submissions) nor the coordinator's internal steps (triage).
    """
    query = select(TimelineEvent).where(_of_case(case))
    if not full:
        mine = TimelineEvent.participant_id == participant_id
        shared = and_(
            TimelineEvent.participant_id.is_(None),
            or_(TimelineEvent.org_id.is_(None), TimelineEvent.org_id == org_id),
            TimelineEvent.type.not_in([t.value for t in COORDINATOR_ONLY]),
        )
        query = query.where(or_(mine, shared) if participant_id is not None else shared)
    if after:
        query = query.where(after_cursor(after))
    if occurred_by is not None:
        query = query.where(TimelineEvent.occurred_at <= occurred_by)
    query = query.order_by(
        TimelineEvent.occurred_at, TimelineEvent.recorded_at, TimelineEvent.id
    ).limit(limit)
    return list(session.scalars(query))


def after_cursor(after: Sequence[Any]) -> Any:
    """Events after a :func:`cursor_key` in timeline order (occurred, recorded, id).
    Raises ValueError for a key this server did not issue."""
    occurred, recorded, last_id = after
    occurred_at = datetime.fromisoformat(str(occurred))
    recorded_at = datetime.fromisoformat(str(recorded))
    return or_(
        TimelineEvent.occurred_at > occurred_at,
        and_(
            TimelineEvent.occurred_at == occurred_at,
            or_(
                TimelineEvent.recorded_at > recorded_at,
                and_(
                    TimelineEvent.recorded_at == recorded_at,
                    TimelineEvent.id > uuid.UUID(str(last_id)),
                ),
            ),
        ),
    )


def _of_case(case: Case) -> Any:
    if case.report_id is None:
        return TimelineEvent.case_id == case.id
    return or_(
        TimelineEvent.case_id == case.id,
        and_(TimelineEvent.case_id.is_(None), TimelineEvent.report_id == case.report_id),
    )


def cursor_key(event: TimelineEvent) -> list[str]:
    return [event.occurred_at.isoformat(), event.recorded_at.isoformat(), str(event.id)]


def all_events(session: Session, case: Case) -> list[TimelineEvent]:
    """Every event of a case, in order (export, CLI)."""
    return list(
        session.scalars(
            select(TimelineEvent)
            .where(_of_case(case))
            .order_by(TimelineEvent.occurred_at, TimelineEvent.recorded_at, TimelineEvent.id)
        )
    )
