"""Who is asking, about which case: the facts :func:`clearinghouse.policy.decide_case` needs.

Every case route loads its case through :func:`load_case`, which finds the case, works
out the principal's part in it (coordinator, vendor, reporter, member, or none), and asks
the policy. A case that does not exist and a case the principal takes no part in give
the same answer (404), so identifiers cannot be probed.

The principal's part:

* a signed-in member or API token: the participant row of its organisation (a vendor's
  part before a reporter's before a member's, when an organisation has several);
* an invitation link (``Via.LINK``): the one participant the link was issued to;
* a report tracking token (``Via.REPORT_TOKEN``): the reporter participant of the case
  opened from that report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from clearinghouse.cases.coordination import find_case
from clearinghouse.cases.models import Case, Embargo, Participant
from clearinghouse.errors import NotFound
from clearinghouse.policy import MISSING, CaseAction, CaseFacts, CaseScope, require_case
from clearinghouse.principal import Principal, Via
from clearinghouse.vocab import EmbargoPhase, ParticipantRole

_ROLE_ORDER = {
    ParticipantRole.COORDINATOR: 0,
    ParticipantRole.VENDOR: 1,
    ParticipantRole.REPORTER: 2,
    ParticipantRole.MEMBER: 3,
}


@dataclass(frozen=True, slots=True)
class CaseAccess:
    case: Case
    facts: CaseFacts
    participant: Participant | None  # the principal's own participant row, if any

    @property
    def is_coordinator(self) -> bool:
        return self.facts.participant_role == ParticipantRole.COORDINATOR.value


def participant_of(session: Session, principal: Principal, case: Case) -> Participant | None:
    """The principal's participant row in ``case`` (``None``: it takes no part)."""
    if principal.via is Via.LINK:
        try:
            pid = uuid.UUID(principal.grant or "")
        except ValueError:
            return None
        found = session.get(Participant, pid)
        if found is None or found.case_id != case.id or found.removed_at is not None:
            return None
        return found
    if principal.via is Via.REPORT_TOKEN:
        if case.report_id is None or principal.grant != str(case.report_id):
            return None
        return session.scalars(
            select(Participant).where(
                Participant.case_id == case.id,
                Participant.report_id == case.report_id,
                Participant.role == ParticipantRole.REPORTER,
                Participant.removed_at.is_(None),
            )
        ).first()
    if not principal.is_authenticated or principal.org_id is None:
        return None
    rows = session.scalars(
        select(Participant).where(
            Participant.case_id == case.id,
            Participant.org_id == principal.org_id,
            Participant.removed_at.is_(None),
        )
    ).all()
    if not rows:
        return None
    return min(rows, key=lambda p: (_ROLE_ORDER[p.role], p.id))


def embargo_of(session: Session, case: Case) -> Embargo:
    embargo = session.get(Embargo, case.id)
    if embargo is None:  # pragma: no cover (created with the case)
        raise NotFound("the case has no embargo record")
    return embargo


def case_facts(
    session: Session,
    principal: Principal,
    case: Case,
    *,
    participant: Participant | None,
    target_participant_id: uuid.UUID | None = None,
) -> CaseFacts:
    return CaseFacts(
        case_id=case.id,
        coordinator_org_id=case.coordinator_org_id,
        embargo_state=EmbargoPhase(embargo_of(session, case).state),
        participant_role=participant.role if participant else None,
        participant_id=participant.id if participant else None,
        target_participant_id=target_participant_id,
        principal_suspended=principal.suspended,
    )


def load_case(
    session: Session,
    principal: Principal,
    ref: str,
    action: CaseAction,
    *,
    target_participant_id: uuid.UUID | None = None,
) -> CaseAccess:
    """Load case ``ref`` for ``action`` or raise the 401/403/404 the policy decides."""
    case = find_case(session, ref)
    if case is None:
        require_case(principal, action, MISSING)
        raise NotFound("no such case")
    participant = participant_of(session, principal, case)
    facts = case_facts(
        session,
        principal,
        case,
        participant=participant,
        target_participant_id=target_participant_id,
    )
    require_case(principal, action, facts)
    return CaseAccess(case, facts, participant)


def with_target(
    session: Session,
    principal: Principal,
    access: CaseAccess,
    action: CaseAction,
    target_participant_id: uuid.UUID | None,
) -> None:
    """Ask again for a per-participant action once its target is known."""
    facts = case_facts(
        session,
        principal,
        access.case,
        participant=access.participant,
        target_participant_id=target_participant_id,
    )
    require_case(principal, action, facts)


def get_participant(session: Session, case: Case, participant_id: uuid.UUID) -> Participant:
    found = session.get(Participant, participant_id)
    if found is None or found.case_id != case.id:
        raise NotFound("no such participant in this case")
    return found


def participants_of(
    session: Session, case: Case, *, include_removed: bool = False
) -> list[Participant]:
    query = select(Participant).where(Participant.case_id == case.id)
    if not include_removed:
        query = query.where(Participant.removed_at.is_(None))
    return list(session.scalars(query.order_by(Participant.id)))


def cases_in(scope: CaseScope) -> ColumnElement[bool]:
    """The policy's :class:`~clearinghouse.policy.CaseScope` as a ``WHERE`` clause on cases."""
    if scope.everything:
        clause: ColumnElement[bool] = true()
    elif scope.participant_id is not None:
        clause = Case.id.in_(
            select(Participant.case_id).where(Participant.id == scope.participant_id)
        )
    elif scope.org_id is not None:
        taking_part = select(Participant.case_id).where(
            Participant.org_id == scope.org_id, Participant.removed_at.is_(None)
        )
        clause = or_(Case.id.in_(taking_part), Case.coordinator_org_id == scope.org_id)
    else:
        return false()
    if scope.ended_embargo_only:
        ended = select(Embargo.case_id).where(Embargo.state == EmbargoPhase.EXITED.value)
        clause = and_(clause, Case.id.in_(ended))
    return clause


def get_participant_any(session: Session, participant_id: uuid.UUID) -> Participant:
    found = session.get(Participant, participant_id)
    if found is None:
        raise NotFound("no such participant")
    return found
