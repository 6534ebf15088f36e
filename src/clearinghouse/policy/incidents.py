"""An organisation's own incidents (a ransomware attack, a breach): private to it and the
operator, with the clock events that start its obligations."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from clearinghouse.policy.core import Decision, noted, raise_for, scoped
from clearinghouse.principal import Principal, Scope, Via


class IncidentAction(enum.StrEnum):
    CREATE = "incident.create"  # open an incident of an organisation
    LIST = "incident.list"  # list incidents (operator: all; members: their own)
    READ = "incident.read"  # one incident, its events and its clock board
    UPDATE = "incident.update"  # title, summary, facts
    EVENT_RECORD = "incident.event.record"  # record a clock event, or correct one
    REPORT_DRAFT = "incident.report.draft"  # draft a report from the incident's facts


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """The organisation an incident belongs to (for ``CREATE`` and ``LIST``: the one it
    would belong to, or the one asked about; ``None`` when the name matches none, or the
    incident does not exist)."""

    owner_org_id: uuid.UUID | None


_INCIDENT_READS = frozenset({IncidentAction.LIST, IncidentAction.READ})


def decide_incident(
    principal: Principal, action: IncidentAction, facts: IncidentFacts | None = None
) -> Decision:
    """An incident is private to its organisation and the operator. Anyone else is told
    it does not exist (404), whether it exists or not. Reads need a read-scoped
    credential, everything else a write-scoped one. A suspended member keeps its own
    incidents: its obligations run on regardless (as it keeps recording case events).
    Without ``facts`` the question is about one's own collection (list, create)."""
    return noted(action.value, _decide(principal, action, facts))


def _decide(principal: Principal, action: IncidentAction, facts: IncidentFacts | None) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    allowed = scoped(principal.has_scope(Scope.READ if action in _INCIDENT_READS else Scope.WRITE))
    if principal.is_operator:
        return allowed
    if facts is None:
        own = principal.org_id is not None
    else:
        own = facts.owner_org_id is not None and facts.owner_org_id == principal.org_id
    return allowed if own else Decision.HIDDEN


def require_incident(
    principal: Principal, action: IncidentAction, facts: IncidentFacts | None = None
) -> None:
    """Raise the error the edge turns into 401, 403 or 404."""
    raise_for(decide_incident(principal, action, facts), action.value)


def can_incident(
    principal: Principal, action: IncidentAction, facts: IncidentFacts | None = None
) -> bool:
    return decide_incident(principal, action, facts) is Decision.ALLOW
