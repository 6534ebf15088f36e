"""Access control in one place. Every read and write path asks :func:`require` (or
:func:`can`) with the principal, an action and the facts of the resource.

Pure: no web or database imports; the facts are plain values the caller loads. Where a
principal may not even learn that a resource exists, the answer is *hidden* and the edge
returns 404, not 403 (no existence leak).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from clearinghouse.errors import Forbidden, NotFound, Unauthenticated
from clearinghouse.principal import Principal, Scope, Via


class Action(enum.StrEnum):
    ORG_READ = "org.read"
    ORG_CREATE = "org.create"
    ORG_UPDATE = "org.update"
    USER_CREATE = "user.create"
    USER_READ = "user.read"
    TOKEN_MANAGE = "token.manage"  # noqa: S105 (a name, not a secret)
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    JOBS_ADMIN = "jobs.admin"
    WEBHOOKS_MANAGE = "webhooks.manage"


class Decision(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"  # may know it exists, may not do this: 403
    HIDDEN = "hidden"  # may not know it exists: 404
    LOGIN = "login"  # must authenticate first: 401


@dataclass(frozen=True, slots=True)
class OrgFacts:
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class OwnedFacts:
    """Anything owned by one organisation (a token, an audit trail, a subscription)."""

    owner_org_id: uuid.UUID | None
    owner_user_id: uuid.UUID | None = None


Resource = OrgFacts | OwnedFacts | None

_WRITE_SCOPE = {
    Action.ORG_CREATE: Scope.ADMIN,
    Action.ORG_UPDATE: Scope.ADMIN,
    Action.USER_CREATE: Scope.ADMIN,
    Action.AUDIT_VERIFY: Scope.ADMIN,
    Action.JOBS_ADMIN: Scope.ADMIN,
    Action.WEBHOOKS_MANAGE: Scope.ADMIN,
}


def decide(principal: Principal, action: Action, resource: Resource = None) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    needed = _WRITE_SCOPE.get(action, Scope.READ)
    scoped = principal.has_scope(needed)
    operator = principal.is_operator
    admin = principal.role == "admin"
    match action:
        case Action.ORG_READ | Action.USER_READ:
            if operator:
                return _scoped(scoped)
            if isinstance(resource, OrgFacts) and resource.id == principal.org_id:
                return _scoped(scoped)
            return Decision.HIDDEN
        case Action.ORG_CREATE | Action.AUDIT_VERIFY | Action.JOBS_ADMIN:
            return _scoped(scoped) if operator and admin else Decision.DENY
        case Action.ORG_UPDATE | Action.USER_CREATE | Action.WEBHOOKS_MANAGE:
            if operator and admin:
                return _scoped(scoped)
            own = isinstance(resource, OrgFacts) and resource.id == principal.org_id
            own = own or (
                isinstance(resource, OwnedFacts) and resource.owner_org_id == principal.org_id
            )
            if own:
                return _scoped(scoped) if admin else Decision.DENY
            return Decision.HIDDEN
        case Action.TOKEN_MANAGE:
            if not isinstance(resource, OwnedFacts):
                return _scoped(scoped)  # creating one's own token
            if resource.owner_user_id == principal.user_id:
                return _scoped(scoped)
            if operator and admin:
                return _scoped(scoped)
            if resource.owner_org_id == principal.org_id and admin:
                return _scoped(scoped)
            return Decision.HIDDEN
        case Action.AUDIT_READ:
            if operator:
                return _scoped(scoped)
            if isinstance(resource, OwnedFacts) and resource.owner_org_id == principal.org_id:
                return _scoped(scoped)
            return Decision.HIDDEN
    return Decision.DENY  # pragma: no cover (match is exhaustive over Action)


def _scoped(scoped: bool) -> Decision:
    return Decision.ALLOW if scoped else Decision.DENY


def can(principal: Principal, action: Action, resource: Resource = None) -> bool:
    return decide(principal, action, resource) is Decision.ALLOW


def require(principal: Principal, action: Action, resource: Resource = None) -> None:
    """Raise the error the edge turns into 401, 403 or 404."""
    decision = decide(principal, action, resource)
    if decision is Decision.ALLOW:
        return
    if decision is Decision.LOGIN:
        raise Unauthenticated("sign in or send a bearer token")
    if decision is Decision.HIDDEN:
        raise NotFound("no such resource")
    raise Forbidden(f"your role or token scope does not allow {action.value}")


# ---- standing and obligations ------------------------------------------------------------


class StandingAction(enum.StrEnum):
    OBLIGATIONS_READ = "obligations.read"  # an organisation's obligations and record
    SUBMISSION_WRITE = "submission.write"  # draft and mark submitted its own reports
    SANCTION_MANAGE = "sanction.manage"  # suspend, reassess (operator administrators)
    OVERRIDE_MANAGE = "override.manage"  # decide that a regime binds or not (operator)


def decide_standing(
    principal: Principal, action: StandingAction, org_id: uuid.UUID | None
) -> Decision:
    """Obligations and standing of organisation ``org_id`` (None: every organisation)."""
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    operator = principal.is_operator
    own = org_id is not None and org_id == principal.org_id
    match action:
        case StandingAction.OBLIGATIONS_READ:
            if operator or own:
                return _scoped(principal.has_scope(Scope.READ))
            return Decision.HIDDEN
        case StandingAction.SUBMISSION_WRITE:
            if operator or own:
                return _scoped(principal.has_scope(Scope.WRITE))
            return Decision.HIDDEN
        case StandingAction.SANCTION_MANAGE | StandingAction.OVERRIDE_MANAGE:
            if operator:
                return _scoped(principal.role == "admin" and principal.has_scope(Scope.ADMIN))
            return Decision.HIDDEN if not own else Decision.DENY
    return Decision.DENY  # pragma: no cover


def require_standing(
    principal: Principal, action: StandingAction, org_id: uuid.UUID | None
) -> None:
    _raise_for(decide_standing(principal, action, org_id), action.value)


def _raise_for(decision: Decision, what: str) -> None:
    if decision is Decision.ALLOW:
        return
    if decision is Decision.LOGIN:
        raise Unauthenticated("sign in or send a bearer token")
    if decision is Decision.HIDDEN:
        raise NotFound("no such resource")
    raise Forbidden(f"your role or token scope does not allow {what}")


# ---- coordinated disclosure: reports and cases -------------------------------------------


class CaseAction(enum.StrEnum):
    REPORT_SUBMIT = "report.submit"  # anyone, account or not
    REPORT_LIST = "report.list"  # list reports (operator: all; members: their own)
    REPORT_READ = "report.read"  # one report (its reporter, by account or tracking token)
    REPORT_MANAGE = "report.manage"  # transitions, triage, opening a case (operator)
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
    CASE_EXPORT = "case.export"  # machine-readable case data (coordinators)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    report_id: uuid.UUID
    reporter_org_id: uuid.UUID | None
    reporter_user_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the policy needs to know about a case and the principal's place in it.

    Loaded by ``clearinghouse.cases.access.case_facts``. ``participant_role`` is the
    principal's role (a ``cases.models.ParticipantRole`` value) or ``None`` when it takes
    no part; ``target_participant_id`` names the participant a per-participant action
    is about (whose vendor status, whose private thread). ``principal_suspended`` comes
    from standing: a suspended organisation keeps its obligations (it may record its
    events) but receives nothing embargoed until the embargo has ended.
    """

    case_id: uuid.UUID
    coordinator_org_id: uuid.UUID
    embargo_state: str  # cases.rules.embargo state value: none/proposed/active/revising/exited
    participant_role: str | None = None
    participant_id: uuid.UUID | None = None
    target_participant_id: uuid.UUID | None = None
    principal_suspended: bool = False


_CASE_READS = frozenset(
    {
        CaseAction.REPORT_LIST,
        CaseAction.REPORT_READ,
        CaseAction.CASE_LIST,
        CaseAction.CASE_READ,
        CaseAction.CASE_READ_ALL,
        CaseAction.CASE_THREAD_READ,
        CaseAction.CASE_EXPORT,
    }
)
_COORDINATOR_ONLY = frozenset(
    {
        CaseAction.CASE_READ_ALL,
        CaseAction.CASE_UPDATE,
        CaseAction.CASE_PARTICIPANTS,
        CaseAction.CASE_EMBARGO_MANAGE,
        CaseAction.CASE_THREAD_CREATE,
        CaseAction.CASE_EXPORT,
    }
)
# What each participant role may do on its part of a case (coordinators may do all).
_PARTICIPANT_ACTIONS: dict[str, frozenset[CaseAction]] = {
    "vendor": frozenset(
        {
            CaseAction.CASE_READ,
            CaseAction.CASE_VENDOR_STATUS,
            CaseAction.CASE_EMBARGO_ANSWER,
            CaseAction.CASE_THREAD_READ,
            CaseAction.CASE_THREAD_POST,
            CaseAction.CASE_EVENT_RECORD,
        }
    ),
    "reporter": frozenset(
        {
            CaseAction.CASE_READ,
            CaseAction.CASE_EMBARGO_ANSWER,
            CaseAction.CASE_THREAD_READ,
            CaseAction.CASE_THREAD_POST,
            CaseAction.CASE_EVENT_RECORD,
        }
    ),
    "member": frozenset(
        {
            CaseAction.CASE_READ,
            CaseAction.CASE_EMBARGO_ANSWER,
            CaseAction.CASE_THREAD_READ,
            CaseAction.CASE_THREAD_POST,
            CaseAction.CASE_EVENT_RECORD,
        }
    ),
}
# Per-participant actions: a non-coordinator may only act on its own part.
_OWN_PART_ONLY = frozenset(
    {CaseAction.CASE_VENDOR_STATUS, CaseAction.CASE_THREAD_READ, CaseAction.CASE_THREAD_POST}
)


def decide_case(
    principal: Principal, action: CaseAction, facts: CaseFacts | ReportFacts | None = None
) -> Decision:
    """Reports and cases. Without ``facts`` the question is about the collection (list,
    create, submit). Invitation links (``Via.LINK``) and report tracking tokens
    (``Via.REPORT_TOKEN``) carry no scopes: the credential itself is the grant, and the
    loader only makes them participants of the one case they open."""
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if action is CaseAction.REPORT_SUBMIT:
        return Decision.ALLOW
    credential = principal.via in (Via.LINK, Via.REPORT_TOKEN)
    if not principal.is_authenticated and not credential:
        return Decision.LOGIN
    scope = Scope.READ if action in _CASE_READS else Scope.WRITE
    scoped = credential or principal.has_scope(scope)
    operator = principal.is_operator
    if isinstance(facts, ReportFacts):
        return _decide_report(principal, action, facts, scoped=scoped)
    if facts is None:
        match action:
            case CaseAction.CASE_LIST | CaseAction.REPORT_LIST:
                return _scoped(scoped) if principal.is_authenticated else Decision.DENY
            case CaseAction.CASE_CREATE:
                if not principal.is_authenticated:
                    return Decision.DENY
                if principal.suspended and not operator:
                    return Decision.DENY
                return _scoped(scoped)
        return Decision.HIDDEN
    coordinator = principal.is_authenticated and principal.org_id == facts.coordinator_org_id
    if operator or coordinator:
        if principal.suspended and not operator and action is not CaseAction.CASE_EVENT_RECORD:
            return Decision.DENY
        return _scoped(scoped)
    role = facts.participant_role
    if role is None or facts.participant_id is None:
        return Decision.HIDDEN
    allowed = _PARTICIPANT_ACTIONS.get(role, frozenset())
    if action in _OWN_PART_ONLY and facts.target_participant_id not in (None, facts.participant_id):
        # someone else's private thread is hidden; someone else's vendor status is refused
        return Decision.HIDDEN if action is not CaseAction.CASE_VENDOR_STATUS else Decision.DENY
    if action not in allowed:
        return Decision.DENY
    if action is CaseAction.CASE_EVENT_RECORD and principal.via is Via.REPORT_TOKEN:
        return Decision.DENY  # an anonymous finder has no organisation to record for
    if facts.principal_suspended or principal.suspended:
        if action is CaseAction.CASE_EVENT_RECORD:
            return _scoped(scoped)
        if action in _CASE_READS and facts.embargo_state == "exited":
            return _scoped(scoped)
        return Decision.DENY
    return _scoped(scoped)


def _decide_report(
    principal: Principal, action: CaseAction, facts: ReportFacts, *, scoped: bool
) -> Decision:
    if principal.is_operator:
        return _scoped(scoped)
    own = (
        principal.is_authenticated
        and facts.reporter_org_id is not None
        and facts.reporter_org_id == principal.org_id
    )
    own = own or (principal.via is Via.REPORT_TOKEN and principal.grant == str(facts.report_id))
    if not own:
        return Decision.HIDDEN
    if action is CaseAction.REPORT_READ:
        return _scoped(scoped)
    return Decision.DENY


def require_case(
    principal: Principal, action: CaseAction, facts: CaseFacts | ReportFacts | None = None
) -> None:
    """Raise the error the edge turns into 401, 403 or 404."""
    _raise_for(decide_case(principal, action, facts), action.value)


def can_case(
    principal: Principal, action: CaseAction, facts: CaseFacts | ReportFacts | None = None
) -> bool:
    return decide_case(principal, action, facts) is Decision.ALLOW


# ---- advisories ----------------------------------------------------------------------------


class AdvisoryAction(enum.StrEnum):
    READ = "advisory.read"  # one advisory, its revisions, renditions, feeds and OSV records
    WRITE = "advisory.write"  # create and revise drafts, import records (operator)
    PUBLISH = "advisory.publish"  # schedule, publish, withdraw (operator)


@dataclass(frozen=True, slots=True)
class AdvisoryFacts:
    """What the policy needs to know about an advisory.

    ``published``: the advisory has been published (withdrawn ones stay public records).
    ``tlp``: its marking (``formats.model.Tlp`` value); ``None`` means no marking, which is
    never read as CLEAR: only the operator sees such an advisory. ``participant_org_ids``:
    organisations taking part in the case it was drafted from (they may read the draft
    while the embargo holds). ``recipient_org_ids`` / ``recipient_user_ids``: who is named
    to receive TLP:AMBER (organisations) and TLP:RED (people) material.
    """

    published: bool
    tlp: str | None
    participant_org_ids: frozenset[uuid.UUID] = frozenset()
    recipient_org_ids: frozenset[uuid.UUID] = frozenset()
    recipient_user_ids: frozenset[uuid.UUID] = frozenset()


_AMBER_LABELS = frozenset({"AMBER", "AMBER+STRICT"})


def decide_advisory(
    principal: Principal, action: AdvisoryAction, facts: AdvisoryFacts | None = None
) -> Decision:
    """Advisories. Reading follows TLP 2.0 and the embargo:

    * published TLP:CLEAR: anyone, signed in or not;
    * published TLP:GREEN: every organisation on the platform in good standing;
    * TLP:AMBER / AMBER+STRICT: the named recipient organisations and the case's
      participants; TLP:RED: the named people only;
    * not yet published: the operator and the case's participants (within the TLP rules);
    * a suspended organisation receives nothing pre-publication and nothing beyond CLEAR;
    * no marking: the operator only.

    Writing (drafts, imports) and publishing are the operator's (analysts and admins with
    a write-scoped credential). Whoever may not read an advisory is told it does not exist.
    """
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if action is AdvisoryAction.READ:
        return _advisory_read(principal, facts)
    if not principal.is_authenticated:
        return Decision.LOGIN
    if not principal.is_operator:
        if facts is not None and _advisory_read(principal, facts) is not Decision.ALLOW:
            return Decision.HIDDEN
        return Decision.DENY
    if principal.role not in ("admin", "analyst"):
        return Decision.DENY
    return _scoped(principal.has_scope(Scope.WRITE))


def _advisory_read(principal: Principal, facts: AdvisoryFacts | None) -> Decision:
    scoped = principal.has_scope(Scope.READ) or not principal.is_authenticated
    if facts is not None and facts.published and facts.tlp == "CLEAR":
        return Decision.ALLOW  # public: whatever the credential's scopes
    if principal.is_operator:
        return _scoped(scoped)
    if facts is None:  # the collection: anyone may list what they may see
        return Decision.ALLOW
    if facts.tlp is None:
        return Decision.HIDDEN
    if not principal.is_authenticated or principal.org_id is None or principal.suspended:
        return Decision.HIDDEN
    participant = principal.org_id in facts.participant_org_ids
    if not facts.published and not participant:
        return Decision.HIDDEN
    if facts.tlp == "RED":
        entitled = principal.user_id is not None and principal.user_id in facts.recipient_user_ids
    elif facts.tlp in _AMBER_LABELS:
        entitled = participant or principal.org_id in facts.recipient_org_ids
    else:  # CLEAR or GREEN: the community, and before publication the participants
        entitled = True
    return _scoped(scoped) if entitled else Decision.HIDDEN


def require_advisory(
    principal: Principal, action: AdvisoryAction, facts: AdvisoryFacts | None = None
) -> None:
    """Raise the error the edge turns into 401, 403 or 404."""
    _raise_for(decide_advisory(principal, action, facts), action.value)


def can_advisory(
    principal: Principal, action: AdvisoryAction, facts: AdvisoryFacts | None = None
) -> bool:
    return decide_advisory(principal, action, facts) is Decision.ALLOW
