"""Access control in one place. Every route, page, export and message channel asks these
functions, with the principal, an action and the facts of the resource (plain values the
caller loads), and does what they answer.

Pure: no web or database imports. Each domain has a module (``accounts``, ``standing``,
``cases``, ``incidents``, ``advisories``, ``sharing``, ``channels``); ``core`` holds the
answers they share and ``tlp`` the TLP 2.0 rule that advisories and shared objects share.
A decision is one of :class:`Decision` (the edge maps DENY to 403, HIDDEN to 404,
LOGIN to 401): where a principal may not even learn that a resource exists, or it does
not exist at all (:data:`MISSING`), the answer is the same, so identifiers cannot be
probed. For lists, the
policy returns a plain value (``case_scope``, ``report_scope``, ``org_scope``,
``advisory_scope``) that each domain's query module turns into SQL.
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
from clearinghouse.policy.incidents import (
    IncidentAction,
    IncidentFacts,
    can_incident,
    decide_incident,
    require_incident,
)
from clearinghouse.policy.sharing import (
    Channel,
    CollectionFacts,
    GroupFacts,
    ObjectFacts,
    ObjectScope,
    SharingAction,
    StatusFacts,
    audience_allows,
    can_collection,
    decide_collection,
    decide_group,
    decide_object,
    decide_sharing,
    decide_status,
    object_scope,
    require_collection,
    require_group,
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
    "CaseFacts",
    "CaseScope",
    "Channel",
    "CollectionFacts",
    "Decision",
    "GroupFacts",
    "IncidentAction",
    "IncidentFacts",
    "MessageFacts",
    "Missing",
    "ObjectFacts",
    "ObjectScope",
    "OrgFacts",
    "OrgScope",
    "OwnedFacts",
    "RecipientFacts",
    "ReportFacts",
    "ReportScope",
    "Sensitivity",
    "SharingAction",
    "StandingAction",
    "StatusFacts",
    "advisory_scope",
    "audience_allows",
    "can_account",
    "can_advisory",
    "can_case",
    "can_collection",
    "can_incident",
    "case_scope",
    "decide_account",
    "decide_advisory",
    "decide_case",
    "decide_collection",
    "decide_delivery",
    "decide_group",
    "decide_incident",
    "decide_object",
    "decide_sharing",
    "decide_standing",
    "decide_status",
    "may_deliver",
    "object_scope",
    "org_scope",
    "recording",
    "report_scope",
    "require_account",
    "require_advisory",
    "require_case",
    "require_collection",
    "require_group",
    "require_incident",
    "require_standing",
]
