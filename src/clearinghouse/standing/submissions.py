"""Reports to regulators: a draft pre-filled from the case for one obligation stage, and
marking it submitted, which records a ``report_submitted`` timeline event (the event,
not the submission row, is what settles the obligation)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.audit import service as audit
from clearinghouse.cases.models import (
    AffectedProduct,
    Case,
    TimelineEvent,
    VendorStatusRecord,
    Vulnerability,
)
from clearinghouse.clocks.model import Obligation
from clearinghouse.clocks.submissions import Draft, draft_submission
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.principal import Principal
from clearinghouse.settings import Settings
from clearinghouse.standing import obligations as obl
from clearinghouse.standing.models import Submission, SubmissionState


def case_facts(session: Session, case: Case | None) -> dict[str, Any]:
    """The facts a draft can be filled from (the keys regimes name in ``from_facts``)."""
    if case is None:
        return {}
    vulns = list(session.scalars(select(Vulnerability).where(Vulnerability.case_id == case.id)))
    ids = [v.id for v in vulns]
    products = list(
        session.scalars(select(AffectedProduct).where(AffectedProduct.vulnerability_id.in_(ids)))
    )
    statuses = list(
        session.scalars(
            select(VendorStatusRecord).where(
                VendorStatusRecord.case_id == case.id, VendorStatusRecord.current.is_(True)
            )
        )
    )
    names = sorted({p.name for p in products})
    versions = sorted(
        {v for p in products for v in p.versions} | {_ranges_text(p) for p in products} - {""}
    )
    fixed = sorted({s.fixed_version for s in statuses if s.fixed_version})
    severities = [
        f"{v.cve_id or v.title}: CVSS {v.cvss_score} {v.cvss_severity}"
        for v in vulns
        if v.cvss_score
    ]
    return {
        "title": case.title,
        "product": ", ".join(names) or None,
        "versions": "; ".join(versions) or None,
        "description": "\n\n".join(
            f"{v.cve_id or ''} {v.title}: {v.description}".strip() for v in vulns
        )
        or case.summary,
        "severity": "; ".join(severities) or None,
        "measures": ("Fixed in " + ", ".join(fixed)) if fixed else None,
        "fix": ("Fixed in " + ", ".join(fixed)) if fixed else None,
        "case": case.public_id,
    }


def _ranges_text(product: AffectedProduct) -> str:
    parts = []
    for r in product.ranges or []:
        events = {
            e.get("kind") or next(iter(e), ""): e.get("value") or next(iter(e.values()), "")
            for e in r.get("events", [])
        }
        if events:
            parts.append(" ".join(f"{k} {v}" for k, v in events.items()))
    return ", ".join(parts)


def find_obligation(
    session: Session,
    settings: Settings,
    *,
    org: Organisation,
    subject: str,
    regime: str,
    stage: str,
    at: datetime,
) -> Obligation:
    items, _ = obl.obligations(session, settings, at, org_id=org.id)
    for o in items:
        if (o.subject, o.regime, o.stage) == (subject, regime, stage):
            return o
    raise NotFound(f"{org.slug} has no obligation {regime}/{stage} on {subject}")


def create_draft(
    session: Session,
    settings: Settings,
    *,
    actor: Principal,
    org: Organisation,
    subject: str,
    regime: str,
    stage: str,
    now: datetime,
) -> tuple[Submission, Draft]:
    obligation = find_obligation(
        session, settings, org=org, subject=subject, regime=regime, stage=stage, at=now
    )
    case = session.scalars(select(Case).where(Case.public_id == subject)).first()
    draft = draft_submission(
        obligation, obl.regimes_for(settings)[regime], case_facts(session, case)
    )
    submission = Submission(
        org_id=org.id,
        subject=subject,
        regime=regime,
        stage=stage,
        state=SubmissionState.DRAFT,
        content=draft.to_json(),
        created_by_label=actor.label,
        created_at=now,
    )
    session.add(submission)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="submission.drafted",
        object_type="submission",
        object_id=submission.id,
        owner_org_id=org.id,
        at=now,
        change={
            "subject": subject,
            "regime": regime,
            "stage": stage,
            "missing": list(draft.missing),
        },
    )
    return submission, draft


def update_fields(
    session: Session,
    *,
    actor: Principal,
    submission: Submission,
    values: dict[str, str],
    now: datetime,
) -> None:
    if submission.state is SubmissionState.SUBMITTED:
        raise Conflict("a submitted report cannot change; draft a new one to correct it")
    content = dict(submission.content)
    fields = [dict(f) for f in content.get("fields", [])]
    known = {f["id"] for f in fields}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field="fields")
    for f in fields:
        if f["id"] in values:
            text = values[f["id"]]
            if len(text) > 50_000:
                raise InvalidInput(f"field {f['id']} is longer than 50,000 characters")
            f["value"] = text or None
    content["fields"] = fields
    content["missing"] = [f["id"] for f in fields if f.get("required") and not f.get("value")]
    submission.content = content
    audit.append(
        session,
        actor=actor,
        action="submission.edited",
        object_type="submission",
        object_id=submission.id,
        owner_org_id=submission.org_id,
        at=now,
        change={"fields": sorted(values)},
    )


def mark_submitted(
    session: Session,
    *,
    actor: Principal,
    submission: Submission,
    reference: str,
    recipient: str | None,
    submitted_at: datetime,
    now: datetime,
) -> TimelineEvent:
    if submission.state is SubmissionState.SUBMITTED:
        raise Conflict("already marked submitted")
    if submitted_at > now:
        raise InvalidInput("submitted_at cannot be in the future", field="submitted_at")
    if not reference.strip():
        raise InvalidInput("give the recipient's reference (receipt number)", field="reference")
    case = session.scalars(select(Case).where(Case.public_id == submission.subject)).first()
    event = TimelineEvent(
        case_id=case.id if case else None,
        org_id=submission.org_id,
        type="report_submitted",
        occurred_at=submitted_at,
        recorded_at=now,
        recorded_by_user_id=actor.user_id,
        recorded_by_label=actor.label,
        data={
            "regime": submission.regime,
            "stage": submission.stage,
            "reference": reference.strip(),
            "recipient": recipient,
            "submission": str(submission.id),
            **({} if case else {"subject": submission.subject}),
        },
    )
    session.add(event)
    session.flush()
    submission.state = SubmissionState.SUBMITTED
    submission.reference = reference.strip()
    submission.recipient = recipient
    submission.submitted_at = submitted_at
    submission.event_id = str(event.id)
    audit.append(
        session,
        actor=actor,
        action="submission.submitted",
        object_type="submission",
        object_id=submission.id,
        owner_org_id=submission.org_id,
        at=now,
        change={
            "regime": submission.regime,
            "stage": submission.stage,
            "reference": submission.reference,
            "submitted_at": submitted_at,
            "event": event.id,
        },
    )
    return event


def get(session: Session, submission_id: uuid.UUID) -> Submission:
    found = session.get(Submission, submission_id)
    if found is None:
        raise NotFound("no such submission")
    return found
