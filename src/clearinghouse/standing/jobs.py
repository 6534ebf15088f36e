"""Periodic work for the clocks and standing: alerts before reporting deadlines run out
(and once they are missed), and reminders before a sanction's reassessment date.

Schedules enqueue one job per alert with the alert's stable key as idempotency key, so
each alert is sent once however often the obligations are re-derived.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import MemberSanction, Membership, Organisation, User
from clearinghouse.clocks.alerts import AlertKind, alerts_due
from clearinghouse.jobs.queue import enqueue
from clearinghouse.jobs.registry import JobContext, JobRegistry
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.service import notify_message
from clearinghouse.notify.wording import Basis, ClockAlert, ReassessmentDue
from clearinghouse.policy import MessageFacts, Sensitivity
from clearinghouse.settings import Settings
from clearinghouse.standing import alert_scan
from clearinghouse.standing import obligations as obl
from clearinghouse.standing.sanctions import due_reassessments
from clearinghouse.timeutil import parse_instant
from clearinghouse.vocab import OrgKind, Role

KIND_ALERT = MessageKind.CLOCK_ALERT.value  # the job that sends one alert
KIND_REASSESSMENT = MessageKind.REASSESSMENT_DUE.value
REASSESSMENT_LEADS = (timedelta(days=14), timedelta(days=1), timedelta(0))
OBLIGATIONS_PAGE: Final = "/obligations"  # the obligations the reader may read, with "Draft"


def _users(session: Session, org_id: uuid.UUID, roles: set[Role] | None = None) -> list[User]:
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == org_id)
    )
    if roles:
        query = query.where(Membership.role.in_(roles))
    return list(session.scalars(query))


def _operator_admins(session: Session) -> list[User]:
    ops = session.scalars(
        select(Organisation.id).where(Organisation.kind == OrgKind.OPERATOR)
    ).all()
    return [u for o in ops for u in _users(session, o, {Role.ADMIN, Role.ANALYST})]


def scan_alerts(session: Session, now: datetime, settings: Settings) -> int:
    """Enqueue the latest fired alert of every open obligation (once per alert key),
    deriving only the subjects that need it (:mod:`clearinghouse.standing.alert_scan`)."""
    done = alert_scan.scan(session, now, settings)
    items, facts = done.obligations, done.facts
    if facts is None:
        return 0
    thresholds = obl.thresholds_for(settings)
    count = 0
    for o in items:
        fired = alerts_due(o, thresholds, now)
        if not fired:
            continue
        alert = fired[-1]  # a late scan sends the most urgent alert, not a backlog
        org = facts.orgs.get(o.organisation)
        if org is None:
            continue
        enqueue(
            session,
            KIND_ALERT,
            {
                "alert": alert.to_json(),
                "org_id": str(org.id),
                "regime_title": o.regime_title,
                "stage_name": o.stage_name,
                "basis": o.basis.reason,
                "why": o.basis.to_json(),
                "flags": [f.id for f in o.flags],
            },
            now=now,
            idempotency_key=f"{KIND_ALERT}:{alert.key}",
            deliver_by=None if alert.kind is AlertKind.MISSED else alert.due,
        )
        count += 1
    return count


def send_alert(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Notify the organisation's users and the operator's: stored by its parameters,
    worded for each reader (:class:`clearinghouse.notify.wording.ClockAlert`)."""
    alert = payload["alert"]
    org = ctx.session.get(Organisation, uuid.UUID(payload["org_id"]))
    if org is None:
        return
    missed = alert["kind"] == AlertKind.MISSED.value
    message = ClockAlert(
        missed=missed,
        threshold=str(alert["threshold"]),
        organisation=org.name,
        organisation_slug=org.slug,
        regime=str(alert["regime"]),
        regime_title=str(payload["regime_title"]),
        stage=str(alert["stage"]),
        stage_name=str(payload["stage_name"]),
        subject=str(alert["subject"]),
        due=parse_instant(alert["due"]),
        # "why": the basis as the engine gives it; "basis" (its words) in older payloads
        basis=Basis.from_json(payload.get("why", payload.get("basis", ""))),
        flags=tuple(str(f) for f in payload.get("flags") or ()),
    )
    recipients = _users(ctx.session, org.id) + _operator_admins(ctx.session)
    # the obligation's own entry on /obligations (its id there: the key with "-" for "/")
    anchor = "-".join([org.slug, message.subject, message.regime, message.stage])
    notify_message(
        ctx.session,
        recipients,
        message,
        f"{OBLIGATIONS_PAGE}#{quote(anchor)}",
        ctx.now(),
        about=MessageFacts(Sensitivity.OWN_RECORD),
        organisation_id=org.id,
        deliver_by=None if missed else message.due,
    )


def scan_reassessments(session: Session, now: datetime) -> int:
    count = 0
    for sanction in due_reassessments(session, now + REASSESSMENT_LEADS[0]):
        for lead in sorted(REASSESSMENT_LEADS):  # the most urgent reminder that is due
            if now >= sanction.reassessment_at - lead:
                label = f"{int(lead.total_seconds() // 86400)}d"
                enqueue(
                    session,
                    KIND_REASSESSMENT,
                    {"sanction_id": str(sanction.id), "lead": label},
                    now=now,
                    idempotency_key=f"{KIND_REASSESSMENT}:{sanction.id}:{sanction.reassessment_at.isoformat()}:{label}",
                )
                count += 1
                break
    return count


def send_reassessment_reminder(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Remind the operator's administrators and analysts, linking the member's page."""
    sanction = ctx.session.get(MemberSanction, uuid.UUID(payload["sanction_id"]))
    if sanction is None:
        return
    org = ctx.session.get(Organisation, sanction.org_id)
    message = ReassessmentDue(
        organisation=org.name if org else str(sanction.org_id),
        organisation_slug=org.slug if org else "",
        decided_at=sanction.decided_at,
        reassessment_at=sanction.reassessment_at,
        reason=sanction.reason,
        lead=str(payload.get("lead", "")),
    )
    notify_message(
        ctx.session,
        _operator_admins(ctx.session),
        message,
        f"/members/{quote(org.slug)}" if org else "/members",
        ctx.now(),
        about=MessageFacts(Sensitivity.PUBLIC),  # to the operator: who is suspended, when
    )


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.register(KIND_ALERT, send_alert)
    registry.register(KIND_REASSESSMENT, send_reassessment_reminder)
    registry.add_schedule("clocks.alerts", lambda session, now: scan_alerts(session, now, settings))
    registry.add_schedule("standing.reassessments", scan_reassessments)
