"""Periodic work for the clocks and standing: alerts before reporting deadlines run out
(and once they are missed), and reminders before a sanction's reassessment date.

Schedules enqueue one job per alert with the alert's stable key as idempotency key, so
each alert is sent once however often the obligations are re-derived.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import MemberSanction, Membership, Organisation, User
from clearinghouse.clocks.alerts import AlertKind, alerts_due
from clearinghouse.jobs.queue import enqueue
from clearinghouse.jobs.registry import JobContext, JobRegistry
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.service import notify_users
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
                "flags": [f.id for f in o.flags],
            },
            now=now,
            idempotency_key=f"{KIND_ALERT}:{alert.key}",
            deliver_by=None if alert.kind is AlertKind.MISSED else alert.due,
        )
        count += 1
    return count


def send_alert(ctx: JobContext, payload: dict[str, Any]) -> None:
    alert = payload["alert"]
    org = ctx.session.get(Organisation, uuid.UUID(payload["org_id"]))
    if org is None:
        return
    missed = alert["kind"] == AlertKind.MISSED.value
    what = f"{payload['regime_title']}: {payload['stage_name']}"
    subject = (
        f"MISSED: {what} for {alert['subject']} was due {alert['due']}"
        if missed
        else f"Due soon ({alert['threshold']}): {what} for {alert['subject']} is due {alert['due']}"
    )
    flags = f"\nFlags: {', '.join(payload['flags'])}" if payload.get("flags") else ""
    body = (
        f"Organisation: {org.name}\nRegime: {payload['regime_title']}\n"
        f"Stage: {payload['stage_name']}\nSubject: {alert['subject']}\nDue: {alert['due']}\n"
        f"Why you are bound: {payload['basis']}{flags}\n\n"
        "Draft the report from the obligation's page; marking it submitted settles the obligation."
    )
    link = f"{ctx.settings.base_url.rstrip('/')}/obligations?organisation={org.slug}"
    recipients = _users(ctx.session, org.id) + _operator_admins(ctx.session)
    notify_users(
        ctx.session,
        recipients,
        MessageKind.CLOCK_ALERT,
        subject,
        body,
        link,
        ctx.now(),
        about=MessageFacts(Sensitivity.OWN_RECORD),
        organisation_id=org.id,
        deliver_by=None if missed else parse_instant(alert["due"]),
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
    sanction = ctx.session.get(MemberSanction, uuid.UUID(payload["sanction_id"]))
    if sanction is None:
        return
    org = ctx.session.get(Organisation, sanction.org_id)
    name = org.name if org else str(sanction.org_id)
    subject = f"Reassessment of {name}'s suspension is due {sanction.reassessment_at:%Y-%m-%d}"
    body = (
        f"The suspension decided {sanction.decided_at:%Y-%m-%d} ({sanction.reason}) is due "
        f"for reassessment on {sanction.reassessment_at:%Y-%m-%d %H:%M} UTC. "
        "Decide: reinstate or extend."
    )
    link = f"{ctx.settings.base_url.rstrip('/')}/organisations/{org.slug if org else ''}/standing"
    notify_users(
        ctx.session,
        _operator_admins(ctx.session),
        MessageKind.REASSESSMENT_DUE,
        subject,
        body,
        link,
        ctx.now(),
        about=MessageFacts(Sensitivity.PUBLIC),  # to the operator: who is suspended, when
    )


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.register(KIND_ALERT, send_alert)
    registry.register(KIND_REASSESSMENT, send_reassessment_reminder)
    registry.add_schedule("clocks.alerts", lambda session, now: scan_alerts(session, now, settings))
    registry.add_schedule("standing.reassessments", scan_reassessments)
