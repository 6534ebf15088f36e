"""Coordinated disclosure: reports and cases.

Invitation links (``Via.LINK``) and report tracking tokens (``Via.REPORT_TOKEN``) carry no
scopes: the credential itself is the grant, and the loader
(:mod:`clearinghouse.cases.access`) only makes them participants of the one case they open.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from clearinghouse.policy.core import Decision, Missing, missing, noted, raise_for, scoped
from clearinghouse.principal import Principal, Scope, Via
from clearinghouse.vocab import EmbargoPhase, ParticipantRole


class CaseAction(enum.StrEnum):
    REPORT_SUBMIT = "report.submit"  # anyone, account or not
    REPORT_LIST = "report.list"  # list reports (operator: all; members: their own)
    REPORT_READ = "report.read"  # one report (its reporter, by account or tracking token)
    REPORT_MANAGE = "report.manage"  # transitions, triage, opening a case (operator)
    REPORT_MESSAGE = "report.message"  # write to the report's finder / coordinator (both)
    REPORT_KEY = "report.key"  # the finder's OpenPGP key for replies (the finder's own)
    CASE_CREATE = "case.create"  # operator, or a member starting coordination itself
    CASE_LIST = "case.list"  # the cases one takes part in
    CASE_READ = "case.read"  # one's part of a case
    CASE_READ_ALL = "case.read_all"  # every participant's part (coordinators)
    CASE_UPDATE = "case.update"  # title, summary, vulnerabilities, closing
    CASE_PARTICIPANTS = "case.participants"  # invite, remove, deadlines
    CASE_VENDOR_STATUS = "case.vendor_status"  # a vendor's status (own; coordinators: any)
    CASE_EMBARGO_MANAGE = "case.embargo.manage"  # propose, activate, exit early
    CASE_EMBARGO_ANSWER = "case.embargo.answer"  # accept, reject, propose a move
    CASE_THREAD_READ = "case.thread.read"
    CASE_THREAD_POST = "case.thread.post"
    CASE_THREAD_CREATE = "case.thread.create"  # private threads are opened by coordinators
    CASE_EVENT_RECORD = "case.event.record"  # clock-relevant events (aware, fix available...)
    CASE_OBLIGATIONS_READ = "case.obligations.read"  # one's own obligations arising from it
    CASE_EXPORT = "case.export"  # machine-readable case data (coordinators)
    INVITATION_USE = "invitation.use"  # read what one's invitation link opens, claim it


@dataclass(frozen=True, slots=True)
class ReportFacts:
    report_id: uuid.UUID
    reporter_org_id: uuid.UUID | None
    reporter_user_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the policy needs to know about a case and the principal's place in it.

    Loaded by ``clearinghouse.cases.access.case_facts``. ``participant_role`` is the
    principal's role or ``None`` when it takes no part; ``target_participant_id`` names
    the participant a per-participant action is about (whose vendor status, whose private
    thread). ``principal_suspended`` comes from standing: a suspended organisation keeps
    its obligations (it may record its events and read them) but receives nothing from the
    case until the embargo has ended.
    """

    case_id: uuid.UUID
    coordinator_org_id: uuid.UUID
    embargo_state: EmbargoPhase
    participant_role: ParticipantRole | None = None
    participant_id: uuid.UUID | None = None
    target_participant_id: uuid.UUID | None = None
    principal_suspended: bool = False


CaseOrReport = CaseFacts | ReportFacts | Missing | None

_CASE_READS = frozenset(
    {
        CaseAction.REPORT_LIST,
        CaseAction.REPORT_READ,
        CaseAction.CASE_LIST,
        CaseAction.CASE_READ,
        CaseAction.CASE_READ_ALL,
        CaseAction.CASE_THREAD_READ,
        CaseAction.CASE_OBLIGATIONS_READ,
        CaseAction.CASE_EXPORT,
    }
)
# What each participant role may do on its part of a case (coordinators may do all).
_PARTICIPANT_COMMON = frozenset(
    {
        CaseAction.CASE_READ,
        CaseAction.CASE_EMBARGO_ANSWER,
        CaseAction.CASE_THREAD_READ,
        CaseAction.CASE_THREAD_POST,
        CaseAction.CASE_EVENT_RECORD,
        CaseAction.CASE_OBLIGATIONS_READ,
    }
)
_PARTICIPANT_ACTIONS: dict[ParticipantRole, frozenset[CaseAction]] = {
    ParticipantRole.VENDOR: _PARTICIPANT_COMMON | {CaseAction.CASE_VENDOR_STATUS},
    ParticipantRole.REPORTER: _PARTICIPANT_COMMON,
    ParticipantRole.MEMBER: _PARTICIPANT_COMMON,
}
# Per-participant actions: a non-coordinator may only act on its own part.
_OWN_PART_ONLY = frozenset(
    {CaseAction.CASE_VENDOR_STATUS, CaseAction.CASE_THREAD_READ, CaseAction.CASE_THREAD_POST}
)
# What a suspended organisation keeps in a case whose embargo has not ended: its own
# obligations, which run on regardless.
_SUSPENDED_KEEPS = frozenset({CaseAction.CASE_EVENT_RECORD, CaseAction.CASE_OBLIGATIONS_READ})


def decide_case(principal: Principal, action: CaseAction, facts: CaseOrReport = None) -> Decision:
    """Without ``facts`` the question is about the collection (list, create, submit);
    with :data:`MISSING`, about a report or case that does not exist."""
    return noted(action.value, _decide(principal, action, facts))


def _decide(principal: Principal, action: CaseAction, facts: CaseOrReport) -> Decision:
    if principal.via is Via.SYSTEM or action is CaseAction.REPORT_SUBMIT:
        return Decision.ALLOW
    if action is CaseAction.INVITATION_USE:  # the link itself is the credential
        return Decision.ALLOW if principal.via is Via.LINK else Decision.LOGIN
    credential = principal.via in (Via.LINK, Via.REPORT_TOKEN)
    if not principal.is_authenticated and not credential:
        return Decision.LOGIN
    if isinstance(facts, Missing):
        return missing(principal)
    scope = Scope.READ if action in _CASE_READS else Scope.WRITE
    allowed = scoped(credential or principal.has_scope(scope))
    if isinstance(facts, ReportFacts):
        return _decide_report(principal, action, facts, allowed)
    if facts is None:
        return _decide_collection(principal, action, allowed)
    return _decide_part(principal, action, facts, allowed)


def _decide_collection(principal: Principal, action: CaseAction, allowed: Decision) -> Decision:
    match action:
        case CaseAction.CASE_LIST | CaseAction.REPORT_LIST:
            return allowed if principal.is_authenticated else Decision.DENY
        case CaseAction.CASE_CREATE:
            if not principal.is_authenticated:
                return Decision.DENY
            if principal.suspended and not principal.is_operator:
                return Decision.DENY
            return allowed
    return Decision.HIDDEN


def _decide_part(
    principal: Principal, action: CaseAction, facts: CaseFacts, allowed: Decision
) -> Decision:
    coordinator = principal.is_authenticated and principal.org_id == facts.coordinator_org_id
    if principal.is_operator or coordinator:
        if principal.suspended and not principal.is_operator and action not in _SUSPENDED_KEEPS:
            return Decision.DENY
        return allowed
    role = facts.participant_role
    if role is None or facts.participant_id is None:
        return Decision.HIDDEN
    if action in _OWN_PART_ONLY and facts.target_participant_id not in (None, facts.participant_id):
        # someone else's private thread is hidden; someone else's vendor status is refused
        return Decision.DENY if action is CaseAction.CASE_VENDOR_STATUS else Decision.HIDDEN
    if action not in _PARTICIPANT_ACTIONS.get(role, frozenset()):
        return Decision.DENY
    if action is CaseAction.CASE_EVENT_RECORD and principal.via is Via.REPORT_TOKEN:
        return Decision.DENY  # an anonymous finder has no organisation to record for
    if facts.principal_suspended or principal.suspended:
        if action in _SUSPENDED_KEEPS:
            return allowed
        if action in _CASE_READS and facts.embargo_state is EmbargoPhase.EXITED:
            return allowed
        return Decision.DENY
    return allowed


def _decide_report(
    principal: Principal, action: CaseAction, facts: ReportFacts, allowed: Decision
) -> Decision:
    if principal.is_operator:
        return Decision.DENY if action is CaseAction.REPORT_KEY else allowed
    own = (
        principal.is_authenticated
        and facts.reporter_org_id is not None
        and facts.reporter_org_id == principal.org_id
    )
    own = own or (principal.via is Via.REPORT_TOKEN and principal.grant == str(facts.report_id))
    if not own:
        return Decision.HIDDEN
    if action in _FINDER_ACTIONS:
        return allowed
    return Decision.DENY


# What a report's own finder may do on it (the rest is the coordinator's).
_FINDER_ACTIONS = frozenset(
    {CaseAction.REPORT_READ, CaseAction.REPORT_MESSAGE, CaseAction.REPORT_KEY}
)


def require_case(principal: Principal, action: CaseAction, facts: CaseOrReport = None) -> None:
    """Raise the error the edge turns into 401, 403 or 404."""
    raise_for(decide_case(principal, action, facts), action.value)


def can_case(principal: Principal, action: CaseAction, facts: CaseOrReport = None) -> bool:
    return decide_case(principal, action, facts) is Decision.ALLOW


# ---- what a principal may list ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseScope:
    """The cases a principal may list: all of them (``everything``), or those where
    organisation ``org_id`` takes part or coordinates, or the one case participant
    ``participant_id`` (an invitation link) belongs to; ``ended_embargo_only`` narrows any
    of these to cases whose embargo has ended (a suspended organisation)."""

    everything: bool = False
    org_id: uuid.UUID | None = None
    participant_id: uuid.UUID | None = None
    ended_embargo_only: bool = False


def case_scope(principal: Principal) -> CaseScope:
    if principal.via is Via.SYSTEM or principal.is_operator:
        return CaseScope(everything=True)
    if principal.via is Via.LINK:
        try:
            return CaseScope(participant_id=uuid.UUID(principal.grant or ""))
        except ValueError:
            return CaseScope()
    if not principal.is_authenticated:
        return CaseScope()
    return CaseScope(org_id=principal.org_id, ended_embargo_only=principal.suspended)


@dataclass(frozen=True, slots=True)
class ReportScope:
    """The reports a principal may list: all of them, or those organisation ``org_id``
    made (``None``: none)."""

    everything: bool = False
    org_id: uuid.UUID | None = None


def report_scope(principal: Principal) -> ReportScope:
    if principal.via is Via.SYSTEM or principal.is_operator:
        return ReportScope(everything=True)
    return ReportScope(org_id=principal.org_id if principal.is_authenticated else None)
