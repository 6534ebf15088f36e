"""Triage: the SSVC coordinator-triage decision for a report, kept with its history.

The outcome is looked up in CERT/CC's published table (``rules.ssvc``); an operator who
disagrees records an override with a reason. Both the table's answer and the outcome in
force are stored, so a reader can always see where a person departed from the table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clearinghouse.cases.models import Report, TriageRecord
from clearinghouse.cases.rules import ssvc
from clearinghouse.cases.timeline import CaseEventType, record_report_action
from clearinghouse.principal import Principal


def decide(
    session: Session,
    *,
    actor: Principal,
    report: Report,
    points: dict[str, object],
    override: ssvc.Override | None,
    now: datetime,
) -> TriageRecord:
    """Record a triage decision (it replaces the current one; history is kept)."""
    triage = ssvc.TriageInput.from_mapping(points)
    decision = ssvc.explain(triage)
    outcome = ssvc.effective_outcome(decision.outcome, override)
    session.execute(
        update(TriageRecord)
        .where(TriageRecord.report_id == report.id, TriageRecord.current.is_(True))
        .values(current=False)
    )
    record = TriageRecord(
        report_id=report.id,
        table=f"ssvc:{decision.table}:{decision.table_version}",
        points=triage.as_dict(),
        computed=decision.outcome.value,
        outcome=outcome.value,
        override_reason=override.reason if override else None,
        current=True,
        decided_at=now,
        decided_by_user_id=actor.user_id,
        decided_by_label=actor.label,
    )
    session.add(record)
    session.flush()
    record_report_action(
        session,
        actor=actor,
        report=report,
        type=CaseEventType.TRIAGE_DECIDED,
        now=now,
        data={
            "table": record.table,
            "row": decision.row,
            "points": record.points,
            "computed": record.computed,
            "outcome": record.outcome,
            "override_reason": record.override_reason,
        },
        audit_action="report.triaged",
    )
    return record


def current(session: Session, report: Report) -> TriageRecord | None:
    return session.scalars(
        select(TriageRecord).where(
            TriageRecord.report_id == report.id, TriageRecord.current.is_(True)
        )
    ).first()


def history(session: Session, report: Report) -> list[TriageRecord]:
    return list(
        session.scalars(
            select(TriageRecord)
            .where(TriageRecord.report_id == report.id)
            .order_by(TriageRecord.id)
        )
    )
