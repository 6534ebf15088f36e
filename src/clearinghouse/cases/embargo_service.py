"""The embargo of a case, persisted: the rules decide (``rules.embargo``), this stores.

Each operation loads the rules' value from the ``case_embargoes`` row, applies the pure
operation, stores the new value (with an incremented ``version``: a concurrent change
in between fails the UPDATE instead of being overwritten), and writes every event the
rules returned to the timeline and the audit log.

Participants are named in the value by their participant ids. The vendors of the case
are the required participants; others (the finder, other members) may answer, and their
answers are recorded without gating activation.

Side effects the rules ask for in words, done here:

* an early exit on public disclosure records ``public_disclosure`` (an anchor of the
  regulatory clocks) at the instant it happened, with its evidence; on exploitation
  observed, ``exploitation_known``;
* when an end is agreed, a ``case.embargo_expire`` job is scheduled at it (idempotent
  per case and end), which records the end when it is reached.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clearinghouse.cases.guards import require_open
from clearinghouse.cases.models import Case, Embargo, Participant
from clearinghouse.cases.rules import embargo as rules
from clearinghouse.cases.timeline import CaseEventType, record_action
from clearinghouse.clocks.model import EventType as ClockEventType
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.jobs.queue import enqueue
from clearinghouse.principal import Principal
from clearinghouse.timeutil import InstantOutOfRange, accepted, ensure_utc, format_instant
from clearinghouse.vocab import EmbargoPhase, ParticipantRole

KIND_EXPIRE: Final = "case.embargo_expire"
_EVENT_TYPES: Final = {
    "embargo.proposed": CaseEventType.EMBARGO_PROPOSED,
    "embargo.activated": CaseEventType.EMBARGO_ACTIVATED,
    "embargo.revision_proposed": CaseEventType.EMBARGO_MOVE_PROPOSED,
    "embargo.revised": CaseEventType.EMBARGO_MOVED,
    "embargo.revision_withdrawn": CaseEventType.EMBARGO_MOVE_WITHDRAWN,
    "embargo.participant_added": CaseEventType.EMBARGO_PARTICIPANT_ADDED,
    "embargo.participant_removed": CaseEventType.EMBARGO_PARTICIPANT_REMOVED,
    "embargo.exited": CaseEventType.EMBARGO_EXITED,
}


# ---- the rules' value <-> JSON ---------------------------------------------------------------


def _end(doc: dict[str, Any] | None) -> rules.EmbargoEnd | None:
    if not doc:
        return None
    return rules.EmbargoEnd(datetime.fromisoformat(doc["at"]), str(doc["tz"]))


def _end_doc(end: rules.EmbargoEnd | None) -> dict[str, str] | None:
    return {"at": end.at.isoformat(), "tz": end.tz_name} if end else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def dump(e: rules.Embargo) -> dict[str, Any]:
    return {
        "phase": e.phase.value,
        "end": _end_doc(e.end),
        "pending_end": _end_doc(e.pending_end),
        "required": sorted(e.required),
        "responses": [
            {
                "participant": r.participant,
                "decision": r.decision.value,
                "at": r.at.isoformat(),
                "comment": r.comment,
            }
            for r in e.responses
        ],
        "opened_at": e.opened_at.isoformat() if e.opened_at else None,
        "activated_at": e.activated_at.isoformat() if e.activated_at else None,
        "exit": None
        if e.exit is None
        else {
            "category": e.exit.category.value,
            "at": e.exit.at.isoformat(),
            "by": e.exit.by,
            "evidence": None
            if e.exit.evidence is None
            else {"url": e.exit.evidence.url, "text": e.exit.evidence.text},
        },
    }


def load(doc: dict[str, Any]) -> rules.Embargo:
    if not doc:
        return rules.Embargo()
    exit_doc = doc.get("exit")
    exit_record = None
    if exit_doc:
        evidence = exit_doc.get("evidence")
        exit_record = rules.ExitRecord(
            rules.ExitCategory(exit_doc["category"]),
            datetime.fromisoformat(exit_doc["at"]),
            exit_doc.get("by"),
            rules.Evidence(evidence.get("url"), evidence.get("text")) if evidence else None,
        )
    return rules.Embargo(
        phase=EmbargoPhase(doc["phase"]),
        end=_end(doc.get("end")),
        pending_end=_end(doc.get("pending_end")),
        required=frozenset(doc.get("required") or ()),
        responses=tuple(
            rules.Response(
                r["participant"],
                rules.Decision(r["decision"]),
                datetime.fromisoformat(r["at"]),
                r.get("comment"),
            )
            for r in doc.get("responses") or ()
        ),
        opened_at=_time(doc.get("opened_at")),
        activated_at=_time(doc.get("activated_at")),
        exit=exit_record,
    )


def initial_row(case_id: uuid.UUID, now: datetime) -> Embargo:
    return Embargo(
        case_id=case_id,
        state=EmbargoPhase.NONE.value,
        document=dump(rules.Embargo()),
        version=0,
        updated_at=now,
    )


# ---- loading and storing ---------------------------------------------------------------------


def row_of(session: Session, case: Case) -> Embargo:
    row = session.get(Embargo, case.id)
    if row is None:  # pragma: no cover (created with the case)
        raise NotFound("the case has no embargo record")
    return row


def value_of(session: Session, case: Case) -> rules.Embargo:
    return load(row_of(session, case).document)


def vendors_of(session: Session, case: Case) -> list[str]:
    return [
        str(pid)
        for pid in session.scalars(
            select(Participant.id).where(
                Participant.case_id == case.id,
                Participant.role == ParticipantRole.VENDOR,
                Participant.removed_at.is_(None),
            )
        )
    ]


def _store(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    row: Embargo,
    transition: rules.Transition,
    now: datetime,
    evidence_text: str | None = None,
) -> Embargo:
    state = transition.state
    result = session.execute(
        update(Embargo)
        .where(Embargo.case_id == row.case_id, Embargo.version == row.version)
        .values(
            state=state.phase.value,
            ends_at=state.end.at if state.end else None,
            timezone=state.end.tz_name if state.end else None,
            pending_ends_at=state.pending_end.at if state.pending_end else None,
            pending_timezone=state.pending_end.tz_name if state.pending_end else None,
            activated_at=state.activated_at,
            exited_at=state.exit.at if state.exit else None,
            exit_category=state.exit.category.value if state.exit else None,
            document=dump(state),
            version=row.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        raise Conflict("the embargo changed meanwhile; reload and try again")
    session.expire(row)
    for event in transition.events:
        data = event.as_record()
        if isinstance(event, rules.ResponseRecorded):
            kind = (
                CaseEventType.EMBARGO_ACCEPTED
                if event.decision is rules.Decision.ACCEPT
                else CaseEventType.EMBARGO_REJECTED
            )
        else:
            kind = _EVENT_TYPES[event.kind]
        record_action(
            session,
            actor=actor,
            case=case,
            type=kind,
            now=now,
            data=data,
            audit_action=f"case.{event.kind}",
            evidence=evidence_text if isinstance(event, rules.EmbargoExited) else None,
        )
        if isinstance(event, rules.EmbargoActivated | rules.RevisionApplied):
            end = event.end if isinstance(event, rules.EmbargoActivated) else event.new_end
            _schedule_expiry(session, case, end, now)
    return row


def _schedule_expiry(session: Session, case: Case, end: rules.EmbargoEnd, now: datetime) -> None:
    enqueue(
        session,
        KIND_EXPIRE,
        {"case_id": str(case.id), "end": end.at.isoformat()},
        now=now,
        run_after=end.at,
        idempotency_key=f"{KIND_EXPIRE}:{case.id}:{end.at.isoformat()}",
    )


def _by(actor: Principal, participant: Participant | None) -> str:
    return str(participant.id) if participant is not None else actor.label


# ---- operations ------------------------------------------------------------------------------


def parse_end(ends_at: str, tz_name: str) -> rules.EmbargoEnd:
    """An RFC 3339 instant, or a local date-time read in ``tz_name`` (the zone agreed in)."""
    tz = rules.zone(tz_name)
    text = ends_at.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{ends_at!r} is not a date-time (2021-12-23T10:00:00)", field="ends_at"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        return rules.EmbargoEnd(accepted(parsed), tz_name)
    except InstantOutOfRange as exc:
        raise InvalidInput(str(exc), field="ends_at") from None


def propose(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    by: Participant | None,
    end: rules.EmbargoEnd,
    now: datetime,
) -> Embargo:
    require_open(case)
    row = row_of(session, case)
    transition = rules.propose(
        load(row.document), end=end, required=vendors_of(session, case), by=_by(actor, by), at=now
    )
    return _store(session, actor=actor, case=case, row=row, transition=transition, now=now)


def respond(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    by: Participant,
    accept: bool,
    comment: str | None,
    now: datetime,
) -> Embargo:
    require_open(case)
    row = row_of(session, case)
    transition = rules.respond(
        load(row.document),
        participant=str(by.id),
        decision=rules.Decision.ACCEPT if accept else rules.Decision.REJECT,
        at=now,
        comment=comment,
    )
    return _store(session, actor=actor, case=case, row=row, transition=transition, now=now)


def activate(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    by: Participant | None,
    reason: str,
    now: datetime,
) -> Embargo:
    require_open(case)
    row = row_of(session, case)
    transition = rules.activate(load(row.document), by=_by(actor, by), reason=reason, at=now)
    return _store(session, actor=actor, case=case, row=row, transition=transition, now=now)


def propose_move(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    by: Participant | None,
    end: rules.EmbargoEnd,
    reason: str,
    now: datetime,
) -> Embargo:
    require_open(case)
    row = row_of(session, case)
    transition = rules.propose_revision(
        load(row.document), new_end=end, by=_by(actor, by), reason=reason, at=now
    )
    return _store(session, actor=actor, case=case, row=row, transition=transition, now=now)


def withdraw_move(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    by: Participant | None,
    reason: str,
    now: datetime,
) -> Embargo:
    row = row_of(session, case)
    transition = rules.withdraw_revision(
        load(row.document), by=_by(actor, by), reason=reason, at=now
    )
    return _store(session, actor=actor, case=case, row=row, transition=transition, now=now)


def exit_early(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    by: Participant | None,
    category: rules.ExitCategory,
    evidence_url: str | None,
    evidence_text: str | None,
    occurred_at: datetime | None,
    now: datetime,
) -> Embargo:
    """End the embargo early; public disclosure and exploitation are clock anchors too."""
    row = row_of(session, case)
    evidence = rules.Evidence(evidence_url, evidence_text)
    at = ensure_utc(occurred_at) if occurred_at else now
    if at > now:
        raise InvalidInput("occurred_at lies in the future", field="occurred_at")
    transition = rules.exit_early(
        load(row.document),
        category=category,
        by=_by(actor, by),
        at=now,
        evidence=None if evidence.empty else evidence,
    )
    shown = " ".join(p for p in (evidence.url, evidence.text) if p) or None
    _store(
        session,
        actor=actor,
        case=case,
        row=row,
        transition=transition,
        now=now,
        evidence_text=shown,
    )
    anchor = {
        rules.ExitCategory.PUBLIC_DISCLOSURE_SEEN: ClockEventType.PUBLIC_DISCLOSURE,
        rules.ExitCategory.EXPLOITATION_OBSERVED: ClockEventType.EXPLOITATION_KNOWN,
    }.get(category)
    if anchor is not None:
        record_action(
            session,
            actor=actor,
            case=case,
            type=anchor,
            now=now,
            occurred_at=at,
            data={
                "source": "embargo_exit",
                "category": category.value,
                "evidence_url": evidence.url,
            },
            evidence=shown,
            audit_action=f"case.event.{anchor.value}",
        )
    return row


def expire(session: Session, *, actor: Principal, case: Case, now: datetime) -> Embargo | None:
    """Record the end once reached (``None`` when there is nothing to record)."""
    row = row_of(session, case)
    value = load(row.document)
    if value.phase not in (EmbargoPhase.ACTIVE, EmbargoPhase.REVISING):
        return None
    if value.end is None or now < value.end.at:
        return None
    transition = rules.expire(value, at=now)
    return _store(session, actor=actor, case=case, row=row, transition=transition, now=now)


def vendor_joined(
    session: Session, *, actor: Principal, case: Case, participant: Participant, now: datetime
) -> None:
    """A vendor added while an embargo is open must accept it too."""
    row = row_of(session, case)
    value = load(row.document)
    if value.phase not in (
        EmbargoPhase.PROPOSED,
        EmbargoPhase.ACTIVE,
        EmbargoPhase.REVISING,
    ):
        return
    transition = rules.add_participant(
        value, participant=str(participant.id), by=actor.label, at=now
    )
    if transition.events:
        _store(session, actor=actor, case=case, row=row, transition=transition, now=now)


def vendor_left(
    session: Session, *, actor: Principal, case: Case, participant: Participant, now: datetime
) -> None:
    row = row_of(session, case)
    value = load(row.document)
    if value.phase not in (
        EmbargoPhase.PROPOSED,
        EmbargoPhase.ACTIVE,
        EmbargoPhase.REVISING,
    ):
        return
    transition = rules.remove_participant(
        value, participant=str(participant.id), by=actor.label, at=now
    )
    if transition.events:
        _store(session, actor=actor, case=case, row=row, transition=transition, now=now)


def answers(session: Session, case: Case, value: rules.Embargo) -> list[dict[str, Any]]:
    """The answers to the open proposal, with participant names, and who is outstanding."""
    names = {
        str(p.id): p.name
        for p in session.scalars(select(Participant).where(Participant.case_id == case.id))
    }
    out: list[dict[str, Any]] = [
        {
            "participant_id": r.participant,
            "name": names.get(r.participant, r.participant),
            "decision": r.decision.value,
            "at": format_instant(r.at),
            "comment": r.comment,
            "required": r.participant in value.required,
        }
        for r in value.responses
    ]
    if value.phase not in (EmbargoPhase.PROPOSED, EmbargoPhase.REVISING):
        return out
    for pending in value.outstanding:
        if value.response_of(pending) is None:
            out.append(
                {
                    "participant_id": pending,
                    "name": names.get(pending, pending),
                    "decision": None,
                    "at": None,
                    "comment": None,
                    "required": True,
                }
            )
    return out
