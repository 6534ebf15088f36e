"""Access control in one place. Every route, page, export and message channel asks these
functions, with the principal, an action and the facts of the resource (plain values the
caller loads), and does what they answer.

Pure: no web or database imports. Each domain has a module (``accounts``, ``standing``,
``cases``, ``incidents``, ``advisories``, ``exposure``, ``channels``); ``core`` holds the
answers they share. A decision is one of :class:`Decision` (the edge maps DENY to 403,
HIDDEN to 404, LOGIN to 401): where a principal may not even learn that a resource
exists, or it does not exist at all (:data:`MISSING`), the answer is the same, so
identifiers cannot be probed. For lists, the policy returns a plain value
(``case_scope``, ``report_scope``, ``org_scope``, ``advisory_scope``) that each domain's
query module turns into SQL.
"""

from clearinghouse.policy.accounts import (
    AccountAction,
    OrgFacts,
    OrgScope,
    OwnedFacts,
    can_account,
    decide_account,
    org_scope,
    require_account,
)
from clearinghouse.policy.advisories import (
    AdvisoryAction,
    AdvisoryFacts,
    AdvisoryScope,
    advisory_scope,
    can_advisory,
    decide_advisory,
    require_advisory,
)
from clearinghouse.policy.cases import (
    CaseAction,
    CaseFacts,
    CaseScope,
    ReportFacts,
    ReportScope,
    can_case,
    case_scope,
    decide_case,
    report_scope,
    require_case,
)
from clearinghouse.policy.channels import (
    MessageFacts,
    RecipientFacts,
    Sensitivity,
    decide_delivery,
    may_deliver,
)
from clearinghouse.policy.core import MISSING, Asked, Decision, Missing, recording
from clearinghouse.policy.exposure import (
    CaseExposureFacts,
    ExposureAction,
    FindingFacts,
    OwnerFacts,
    VexFacts,
    can_exposure,
    decide_exposure,
    may_be_told,
    require_exposure,
)
from clearinghouse.policy.incidents import (
    IncidentAction,
    IncidentFacts,
    can_incident,
    decide_incident,
    require_incident,
)
from clearinghouse.policy.standing import StandingAction, decide_standing, require_standing

__all__ = [
    "MISSING",
    "AccountAction",
    "AdvisoryAction",
    "AdvisoryFacts",
    "AdvisoryScope",
    "Asked",
    "CaseAction",
    "CaseExposureFacts",
    "CaseFacts",
    "CaseScope",
    "Decision",
    "ExposureAction",
    "FindingFacts",
    "IncidentAction",
    "IncidentFacts",
    "MessageFacts",
    "Missing",
    "OrgFacts",
    "OrgScope",
    "OwnedFacts",
    "OwnerFacts",
    "RecipientFacts",
    "ReportFacts",
    "ReportScope",
    "Sensitivity",
    "StandingAction",
    "VexFacts",
    "advisory_scope",
    "can_account",
    "can_advisory",
    "can_case",
    "can_exposure",
    "can_incident",
    "case_scope",
    "decide_account",
    "decide_advisory",
    "decide_case",
    "decide_delivery",
    "decide_exposure",
    "decide_incident",
    "decide_standing",
    "may_be_told",
    "may_deliver",
    "org_scope",
    "recording",
    "report_scope",
    "require_account",
    "require_advisory",
    "require_case",
    "require_exposure",
    "require_incident",
    "require_standing",
]
