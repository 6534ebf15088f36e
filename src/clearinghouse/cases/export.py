"""Machine-readable case data: one JSON document with everything a case holds.

For the coordinator's records, other tools, and the advisory renditions to be built from.
Instants are RFC 3339 UTC; affected products carry OSV ``affected[]`` entries (package,
ranges in event form, versions), vendor statuses their VEX status as well as the
platform's own, the embargo the rules' full value, and the timeline every event with
``occurred_at``, ``recorded_at`` and who recorded it. Messages are not included (they are
conversation, not case data); threads are listed with their message counts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.cases import access, coordination, embargo_service, participants, timeline
from clearinghouse.cases.models import (
    Case,
    Message,
    Participant,
    Report,
    Thread,
    TimelineEvent,
    VendorStatusRecord,
    Vulnerability,
)
from clearinghouse.cases.rules import vendor_status as vs
from clearinghouse.cases.triage import current as current_triage
from clearinghouse.timeutil import format_instant

SCHEMA: Final = "https://clearinghouse.dev/schemas/case-export/1"


def _instant(value: datetime | None) -> str | None:
    return format_instant(value, micro=True) if value else None


def export_case(session: Session, case: Case) -> dict[str, Any]:
    """The whole case as one JSON-ready document (see the module's docstring)."""
    people = access.participants_of(session, case, include_removed=True)
    events = timeline.all_events(session, case)
    slugs = _org_slugs(session, {p.org_id for p in people} | {e.org_id for e in events})
    return {
        "schema": SCHEMA,
        "case": _case_part(session, case),
        "report": _report_part(session, case),
        "vulnerabilities": [
            _vulnerability(session, v) for v in coordination.vulnerabilities_of(session, case)
        ],
        "participants": [_participant(p, slugs) for p in people],
        "vendor_statuses": [_status(s) for s in participants.statuses(session, case, history=True)],
        "embargo": embargo_service.dump(embargo_service.value_of(session, case)),
        "threads": _threads(session, case),
        "timeline": [_event(e, slugs) for e in events],
    }


def _org_slugs(session: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    return {
        o.id: o.slug
        for o in session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))
    }


def _case_part(session: Session, case: Case) -> dict[str, Any]:
    coordinator = session.get(Organisation, case.coordinator_org_id)
    return {
        "id": str(case.id),
        "public_id": case.public_id,
        "title": case.title,
        "summary": case.summary,
        "status": case.status.value,
        "coordinator": coordinator.slug if coordinator else None,
        "created_at": _instant(case.created_at),
        "created_by": case.created_by_label,
        "updated_at": _instant(case.updated_at),
        "closed_at": _instant(case.closed_at),
    }


def _report_part(session: Session, case: Case) -> dict[str, Any] | None:
    report = session.get(Report, case.report_id) if case.report_id else None
    if report is None:
        return None
    decision = current_triage(session, report)
    return {
        "id": str(report.id),
        "received_at": _instant(report.received_at),
        "status": report.status,
        "product": report.product,
        "exploited": report.exploited.value,
        "already_public": report.already_public.value,
        "vendor_contacted": report.vendor_contacted.value,
        "credit_preference": report.credit_preference,
        "credit_as": report.credit_as,
        "triage": None
        if decision is None
        else {
            "table": decision.table,
            "points": decision.points,
            "computed": decision.computed,
            "outcome": decision.outcome,
            "override_reason": decision.override_reason,
            "decided_at": _instant(decision.decided_at),
            "decided_by": decision.decided_by_label,
        },
    }


def _vulnerability(session: Session, v: Vulnerability) -> dict[str, Any]:
    return {
        "id": str(v.id),
        "cve_id": v.cve_id,
        "title": v.title,
        "description": v.description,
        "cwes": v.cwes,
        "cvss": None
        if v.cvss_vector is None
        else {
            "version": v.cvss_version,
            "vector": v.cvss_vector,
            "base_score": v.cvss_score,
            "base_severity": v.cvss_severity,
        },
        "affected": [
            {
                "package": {"ecosystem": p.ecosystem, "name": p.name, "purl": p.purl},
                "ranges": p.ranges,
                "versions": p.versions,
            }
            for p in coordination.products_of(session, v)
        ],
    }


def _status(s: VendorStatusRecord) -> dict[str, Any]:
    vex = vs.to_product_status(vs.VendorStatus(s.status))
    return {
        "id": str(s.id),
        "participant_id": str(s.participant_id),
        "vulnerability_id": str(s.vulnerability_id),
        "status": s.status,
        "vex_status": vex.value if vex else None,
        "justification": s.justification,
        "fixed_version": s.fixed_version,
        "statement": s.statement,
        "current": s.current,
        "recorded_at": _instant(s.recorded_at),
        "recorded_by": s.recorded_by_label,
    }


def _participant(p: Participant, slugs: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "role": p.role.value,
        "name": p.name,
        "organisation": slugs.get(p.org_id) if p.org_id else None,
        "contact_email": p.contact_email,
        "added_at": _instant(p.added_at),
        "notified_at": _instant(p.notified_at),
        "seen_at": _instant(p.seen_at),
        "response_due_at": _instant(p.response_due_at),
        "responded_at": _instant(p.responded_at),
        "escalated_at": _instant(p.escalated_at),
        "statement": p.statement,
        "removed_at": _instant(p.removed_at),
    }


def _threads(session: Session, case: Case) -> list[dict[str, Any]]:
    """Threads with their message counts (messages are conversation, not case data)."""
    counts = dict(
        session.execute(
            select(Message.thread_id, func.count())
            .where(Message.case_id == case.id)
            .group_by(Message.thread_id)
        ).all()
    )
    return [
        {
            "id": str(t.id),
            "kind": t.kind.value,
            "title": t.title,
            "participant_id": str(t.participant_id) if t.participant_id else None,
            "messages": int(counts.get(t.id, 0)),
        }
        for t in session.scalars(
            select(Thread).where(Thread.case_id == case.id).order_by(Thread.id)
        )
    ]


def _event(e: TimelineEvent, slugs: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "id": str(e.id),
        "type": e.type,
        "occurred_at": _instant(e.occurred_at),
        "recorded_at": _instant(e.recorded_at),
        "recorded_by": e.recorded_by_label,
        "organisation": slugs.get(e.org_id) if e.org_id else None,
        "participant_id": str(e.participant_id) if e.participant_id else None,
        "data": e.data,
        "evidence": e.evidence,
        "supersedes_id": str(e.supersedes_id) if e.supersedes_id else None,
    }
