"""Outbox handlers of the case domain: vendor reminders and escalations.

``case.vendor_deadline`` jobs are enqueued by :func:`.participants.set_deadline`, one per
action of the schedule, each at its instant. When one runs it asks the rules again
(:func:`clearinghouse.cases.rules.vendor_status.due_actions`) with what actually
happened: the vendor may have answered since, the deadline may have moved (then the
job belongs to an old schedule and does nothing), a later action may already be done.
So a late, repeated or stale job is harmless, and each action happens at most once.

``case.embargo_expire`` jobs run at an agreed embargo end and record that it was reached.

:func:`register` adds both kinds to a registry (``app.build_registry`` calls it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from clearinghouse.cases import embargo_service, intake, notices
from clearinghouse.cases.embargo_service import KIND_EXPIRE
from clearinghouse.cases.models import Case, CaseStatus, Participant, TimelineEvent
from clearinghouse.cases.participants import KIND_DEADLINE
from clearinghouse.cases.rules import vendor_status as vs
from clearinghouse.cases.timeline import CaseEventType, record_action
from clearinghouse.jobs.registry import JobContext, JobRegistry, PermanentJobError
from clearinghouse.notify.service import notify_message
from clearinghouse.notify.wording import VendorEscalated, VendorReminder
from clearinghouse.principal import SYSTEM


def _payload(payload: dict[str, Any]) -> tuple[uuid.UUID, vs.ActionKind, datetime, datetime, int]:
    try:
        return (
            uuid.UUID(str(payload["participant_id"])),
            vs.ActionKind(str(payload["action"])),
            datetime.fromisoformat(str(payload["due_at"])),
            datetime.fromisoformat(str(payload["notified_at"])),
            int(payload["days"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise PermanentJobError(f"malformed {KIND_DEADLINE} payload: {exc}") from exc


def _done(ctx: JobContext, participant: Participant, due: datetime) -> set[vs.ActionKind]:
    done: set[vs.ActionKind] = set()
    for event in ctx.session.scalars(
        select(TimelineEvent).where(
            TimelineEvent.participant_id == participant.id,
            TimelineEvent.type.in_(
                [CaseEventType.VENDOR_REMINDED.value, CaseEventType.VENDOR_ESCALATED.value]
            ),
        )
    ):
        if event.data.get("due_at") == due.isoformat():
            done.add(vs.ActionKind(str(event.data.get("action"))))
    return done


def vendor_deadline(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Run one action of a vendor's response schedule if it is still the one due."""
    participant_id, kind, due, notified_at, days = _payload(payload)
    participant = ctx.session.get(Participant, participant_id)
    if participant is None or participant.removed_at is not None:
        return
    if participant.response_due_at is None or participant.response_due_at != due:
        return  # the deadline moved: this job belongs to an old schedule
    case = ctx.session.get(Case, participant.case_id)
    if case is None or case.status is CaseStatus.CLOSED:
        return
    due_now = vs.due_actions(
        vs.response_schedule(notified_at, days),
        ctx.now(),
        responded=participant.responded_at is not None,
        done=_done(ctx, participant, due),
    )
    if not due_now or due_now[0].kind is not kind:
        return
    if kind is vs.ActionKind.ESCALATE:
        _escalate(ctx, case, participant, due)
    else:
        _remind(ctx, case, participant, due, kind)


def _escalate(ctx: JobContext, case: Case, participant: Participant, due: datetime) -> None:
    """The vendor missed its deadline: record it (SSVC: unresponsive) and tell the operator
    and the case's coordinator."""
    now = ctx.now()
    participant.escalated_at = now
    record_action(
        ctx.session,
        actor=SYSTEM,
        case=case,
        type=CaseEventType.VENDOR_ESCALATED,
        now=now,
        data={
            "participant_id": str(participant.id),
            "action": vs.ActionKind.ESCALATE.value,
            "due_at": due.isoformat(),
            "vendor": participant.name,
            "supplier_engagement": "unresponsive",
        },
        participant_id=participant.id,
        org_id=participant.org_id,
        audit_action="case.vendor_escalated",
    )
    # The operator's people, and the coordinator's as its members (so that one who leaves
    # the coordinator before the notice's e-mail leaves is not sent it: notify.gate).
    operator = notices.operator_users(ctx.session)
    told = {u.id for u in operator}
    coordinator = [
        u for u in notices.org_users(ctx.session, case.coordinator_org_id) if u.id not in told
    ]
    about = notices.about_case_for(ctx.session, case, case.coordinator_org_id)
    message = VendorEscalated(case=case.public_id, vendor=participant.name, due=due)
    link = f"/cases/{case.public_id}"
    notify_message(ctx.session, operator, message, link, now, about=about)
    notify_message(
        ctx.session,
        coordinator,
        message,
        link,
        now,
        about=about,
        organisation_id=case.coordinator_org_id,
    )


def _remind(
    ctx: JobContext, case: Case, participant: Participant, due: datetime, kind: vs.ActionKind
) -> None:
    """Remind the vendor that its response is due (half way, and on the last day)."""
    now = ctx.now()
    record_action(
        ctx.session,
        actor=SYSTEM,
        case=case,
        type=CaseEventType.VENDOR_REMINDED,
        now=now,
        data={
            "participant_id": str(participant.id),
            "action": kind.value,
            "due_at": due.isoformat(),
        },
        participant_id=participant.id,
        org_id=participant.org_id,
        audit_action="case.vendor_reminded",
    )
    notices.tell_participants(
        ctx.session,
        case=case,
        participants=[participant],
        message=VendorReminder(case=case.public_id, due=due),
        link=f"/cases/{case.public_id}",
        now=now,
        base_url=ctx.settings.base_url,
        key=f"case.vendor_reminder:{participant.id}:{due.isoformat()}:{kind.value}",
        platform=ctx.settings.platform_name,
    )


def embargo_expire(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Record that an agreed end was reached (a moved end has its own job; this one then
    finds the embargo not yet at its end, or already exited, and does nothing)."""
    try:
        case_id = uuid.UUID(str(payload["case_id"]))
    except (KeyError, ValueError) as exc:
        raise PermanentJobError(f"malformed {KIND_EXPIRE} payload: {exc}") from exc
    case = ctx.session.get(Case, case_id)
    if case is None:
        return
    embargo_service.expire(ctx.session, actor=SYSTEM, case=case, now=ctx.now())


def register(registry: JobRegistry) -> None:
    """Add the case domain's job kinds to ``registry``."""
    registry.register(KIND_DEADLINE, vendor_deadline)
    registry.register(KIND_EXPIRE, embargo_expire)
    registry.register(intake.KIND_DUPLICATES, intake.flag_duplicates)
