"""The platform's closed sets as words in the viewer's language (a report's state, a
finder's answer, an advisory's state). Identifiers (CVE ids, TLP labels, case ids,
package URLs) are never translated; the glossary (docs/glossary.md) fixes one Chinese
term per concept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from clearinghouse.advisories.models import AdvisoryState, RenditionFormat
from clearinghouse.cases.models import Answer, CaseStatus
from clearinghouse.cases.rules.embargo import ExitCategory
from clearinghouse.cases.rules.reports import CreditPreference, ReportState
from clearinghouse.cases.rules.vendor_status import VendorStatus
from clearinghouse.cases.timeline import CaseEventType
from clearinghouse.clocks.model import EventType, ObligationStatus
from clearinghouse.exposure.models import FindingState
from clearinghouse.formats.model import Justification
from clearinghouse.jobs.models import JobStatus
from clearinghouse.notify.models import Notification
from clearinghouse.notify.reader import Reader
from clearinghouse.notify.wording import Text, word
from clearinghouse.standing.models import ReassessmentOutcome
from clearinghouse.standing.sanctions import SanctionStatus
from clearinghouse.vocab import EmbargoPhase, Language, OrgKind, ParticipantRole
from clearinghouse.web.forms import N_
from clearinghouse.web.i18n import ENDONYMS
from clearinghouse.web.viewer import Viewer

REPORT_STATES: Final = {
    ReportState.RECEIVED: N_("received"),
    ReportState.VALID: N_("valid"),
    ReportState.INVALID: N_("invalid"),
    ReportState.ACCEPTED: N_("accepted"),
    ReportState.DEFERRED: N_("deferred"),
    ReportState.CLOSED: N_("closed"),
}
ANSWERS: Final = {
    Answer.YES: N_("Yes"),
    Answer.NO: N_("No"),
    Answer.UNKNOWN: N_("I don't know"),
}
CREDIT: Final = {
    CreditPreference.NAME: N_("By my name"),
    CreditPreference.HANDLE: N_("By a handle or pseudonym"),
    CreditPreference.ANONYMOUS: N_("Do not credit me"),
}
ADVISORY_STATES: Final = {
    AdvisoryState.DRAFT: N_("draft"),
    AdvisoryState.SCHEDULED: N_("scheduled"),
    AdvisoryState.PUBLISHED: N_("published"),
    AdvisoryState.WITHDRAWN: N_("withdrawn"),
}
FINDING_STATES: Final = {
    FindingState.NEW: N_("new"),
    FindingState.ACKNOWLEDGED: N_("acknowledged"),
    FindingState.FIXED: N_("fixed"),
    FindingState.NOT_AFFECTED: N_("not affected"),
}
JUSTIFICATIONS: Final = {
    Justification.COMPONENT_NOT_PRESENT: N_("The component is not present"),
    Justification.VULNERABLE_CODE_NOT_PRESENT: N_("The vulnerable code is not present"),
    Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY: N_(
        "The vulnerable code cannot be controlled by an attacker"
    ),
    Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH: N_(
        "The vulnerable code is not in the execution path"
    ),
    Justification.INLINE_MITIGATIONS_ALREADY_EXIST: N_("Mitigations are already in place"),
}
FORMATS: Final = {
    RenditionFormat.CSAF: "CSAF 2.0",
    RenditionFormat.CSAF_VEX: "CSAF 2.0 VEX",
    RenditionFormat.OSV: "OSV",
    RenditionFormat.CVE5: "CVE 5.x",
    RenditionFormat.CYCLONEDX_VEX: "CycloneDX VEX",
}

CASE_STATES: Final = {CaseStatus.OPEN: N_("open"), CaseStatus.CLOSED: N_("closed")}
VENDOR_STATUSES: Final = {
    VendorStatus.NOT_YET_ASSESSED: N_("not yet assessed"),
    VendorStatus.UNKNOWN: N_("unknown"),
    VendorStatus.UNDER_INVESTIGATION: N_("under investigation"),
    VendorStatus.AFFECTED: N_("affected"),
    VendorStatus.NOT_AFFECTED: N_("not affected"),
    VendorStatus.FIXED: N_("fixed"),
}
EMBARGO_PHASES: Final = {
    EmbargoPhase.NONE: N_("no embargo"),
    EmbargoPhase.PROPOSED: N_("proposed"),
    EmbargoPhase.ACTIVE: N_("active"),
    EmbargoPhase.REVISING: N_("a move is proposed"),
    EmbargoPhase.EXITED: N_("ended"),
}
PARTICIPANT_ROLES: Final = {
    ParticipantRole.COORDINATOR: N_("coordinator"),
    ParticipantRole.REPORTER: N_("reporter"),
    ParticipantRole.VENDOR: N_("vendor"),
    ParticipantRole.MEMBER: N_("member"),
}
EMBARGO_ANSWERS: Final = {"accept": N_("accepted"), "reject": N_("rejected")}
EXIT_CATEGORIES: Final = {
    ExitCategory.PUBLIC_DISCLOSURE_SEEN: N_("a public disclosure was seen"),
    ExitCategory.EXPLOITATION_OBSERVED: N_("exploitation was observed"),
    ExitCategory.FIX_RELEASED_EARLY: N_("the fix was released early"),
    ExitCategory.COORDINATOR_DECISION: N_("the coordinator decided"),
    ExitCategory.END_REACHED: N_("the agreed end was reached"),
}
OBLIGATION_STATUSES: Final = {
    ObligationStatus.PENDING: N_("pending"),
    ObligationStatus.DUE_SOON: N_("due soon"),
    ObligationStatus.MET: N_("met"),
    ObligationStatus.MET_LATE: N_("met late"),
    ObligationStatus.MISSED: N_("missed"),
    ObligationStatus.NOT_APPLICABLE: N_("not applicable"),
    ObligationStatus.WAITING: N_("waiting"),
}
EVENT_TYPES: Final = {
    EventType.AWARE: N_("aware"),
    EventType.EXPLOITATION_KNOWN: N_("exploitation known"),
    EventType.FIX_AVAILABLE: N_("fix available"),
    EventType.MATERIALITY_DETERMINED: N_("materiality determined"),
    EventType.INCIDENT_NOTICED: N_("incident noticed"),
    EventType.SEVERE_INCIDENT_AWARE: N_("severe incident: aware"),
    EventType.SIGNIFICANT_INCIDENT_AWARE: N_("significant incident: aware"),
    EventType.COVERED_INCIDENT_AWARE: N_("covered incident: aware"),
    EventType.RANSOM_PAID: N_("ransom paid"),
    EventType.INCIDENT_CLASSIFIED: N_("incident classified"),
    EventType.REPORT_SUBMITTED: N_("report submitted"),
    EventType.REPORT_REQUESTED: N_("report requested"),
    EventType.PUBLIC_DISCLOSURE: N_("public disclosure"),
    EventType.HANDLING_CONCLUDED: N_("handling concluded"),
    EventType.WITHDRAWN: N_("withdrawn"),
    CaseEventType.REPORT_RECEIVED: N_("report received"),
    CaseEventType.REPORT_STATUS_CHANGED: N_("report status changed"),
    CaseEventType.REPORT_MESSAGE_POSTED: N_("message on the report"),
    CaseEventType.REPORT_KEY_CHANGED: N_("finder's key changed"),
    CaseEventType.CASE_OPENED: N_("case opened"),
    CaseEventType.CASE_UPDATED: N_("case updated"),
    CaseEventType.CASE_CLOSED: N_("case closed"),
    CaseEventType.TRIAGE_DECIDED: N_("triage decided"),
    CaseEventType.VULNERABILITY_ADDED: N_("vulnerability added"),
    CaseEventType.VULNERABILITY_UPDATED: N_("vulnerability updated"),
    CaseEventType.PARTICIPANT_ADDED: N_("participant added"),
    CaseEventType.PARTICIPANT_REMOVED: N_("participant removed"),
    CaseEventType.PARTICIPANT_NOTIFIED: N_("participant notified"),
    CaseEventType.PARTICIPANT_SEEN: N_("participant saw the case"),
    CaseEventType.VENDOR_INVITED: N_("vendor invited"),
    CaseEventType.INVITATION_CLAIMED: N_("invitation claimed"),
    CaseEventType.RESPONSE_DEADLINE_SET: N_("response deadline set"),
    CaseEventType.VENDOR_REMINDED: N_("vendor reminded"),
    CaseEventType.VENDOR_ESCALATED: N_("vendor escalated"),
    CaseEventType.VENDOR_STATUS_CHANGED: N_("vendor status changed"),
    CaseEventType.VENDOR_STATEMENT: N_("vendor statement"),
    CaseEventType.EMBARGO_PROPOSED: N_("embargo proposed"),
    CaseEventType.EMBARGO_ACCEPTED: N_("embargo accepted"),
    CaseEventType.EMBARGO_REJECTED: N_("embargo rejected"),
    CaseEventType.EMBARGO_ACTIVATED: N_("embargo active"),
    CaseEventType.EMBARGO_MOVE_PROPOSED: N_("embargo move proposed"),
    CaseEventType.EMBARGO_MOVED: N_("embargo moved"),
    CaseEventType.EMBARGO_MOVE_WITHDRAWN: N_("embargo move withdrawn"),
    CaseEventType.EMBARGO_PARTICIPANT_ADDED: N_("embargo: participant added"),
    CaseEventType.EMBARGO_PARTICIPANT_REMOVED: N_("embargo: participant removed"),
    CaseEventType.EMBARGO_EXITED: N_("embargo ended"),
    CaseEventType.THREAD_OPENED: N_("thread opened"),
    CaseEventType.MESSAGE_POSTED: N_("message posted"),
}

# SSVC coordinator triage (CERT/CC SSVC 2.x): each decision point's name and question, and
# its values, by the field names of ``cases.rules.ssvc``.
SSVC_POINTS: Final = {
    "report_public": (
        N_("Report public"),
        N_("Is a viable report of the details of the vulnerability already publicly available?"),
    ),
    "supplier_contacted": (
        N_("Supplier contacted"),
        N_("Has the reporter made a good-faith effort to contact the supplier?"),
    ),
    "report_credibility": (N_("Report credibility"), N_("Is the report credible?")),
    "supplier_cardinality": (
        N_("Supplier cardinality"),
        N_("How many suppliers are responsible for the vulnerable component and its fix?"),
    ),
    "supplier_engagement": (
        N_("Supplier engagement"),
        N_("Is the supplier responding and actively taking part in the coordination?"),
    ),
    "utility": (N_("Utility"), N_("How useful is the exploit to an adversary?")),
    "public_safety_impact": (
        N_("Public safety impact"),
        N_("How much could exploitation affect public safety?"),
    ),
}
SSVC_VALUES: Final = {
    "yes": N_("yes"),
    "no": N_("no"),
    "credible": N_("credible"),
    "not credible": N_("not credible"),
    "one": N_("one"),
    "multiple": N_("multiple"),
    "active": N_("actively engaged"),
    "unresponsive": N_("unresponsive"),
    "laborious": N_("laborious"),
    "efficient": N_("efficient"),
    "super effective": N_("super effective"),
    "minimal": N_("minimal"),
    "significant": N_("significant"),
}
TRIAGE_OUTCOMES: Final = {
    "decline": N_("decline"),
    "track": N_("track"),
    "coordinate": N_("coordinate"),
}


ORG_KINDS: Final = {
    OrgKind.OPERATOR: N_("operator"),
    OrgKind.MEMBER: N_("member"),
    OrgKind.VENDOR: N_("vendor"),
    OrgKind.FINDER: N_("finder"),
}
SANCTION_STATES: Final = {
    SanctionStatus.SCHEDULED: N_("scheduled"),
    SanctionStatus.ACTIVE: N_("in force"),
    SanctionStatus.ENDED: N_("ended"),
    SanctionStatus.REINSTATED: N_("reinstated"),
}
OUTCOMES: Final = {
    ReassessmentOutcome.REINSTATE: N_("Reinstate the member now"),
    ReassessmentOutcome.EXTEND: N_("Extend the suspension"),
}
JOB_STATES: Final = {
    JobStatus.PENDING: N_("pending"),
    JobStatus.RUNNING: N_("running"),
    JobStatus.DONE: N_("done"),
    JobStatus.DEAD: N_("dead letter"),
}


def notice_reader(viewer: Viewer) -> Reader:
    """The viewer as the notices' wording needs it: the same catalogue, locale and zone."""
    return Reader(viewer.language, viewer.locale, viewer.zone, viewer.translations)


def notice_words(viewer: Viewer) -> Callable[[Notification], Text]:
    """A stored notice in the viewer's language and zone (``notice_text(n)`` in templates)."""
    reader = notice_reader(viewer)

    def text(n: Notification) -> Text:
        return word(n.kind, n.params, n.subject, n.body, reader)

    return text


def notice_link(link: str | None) -> str | None:
    """A notice's link when it is a page of this platform (a path), else ``None``."""
    if link and link.startswith("/") and not link.startswith("//"):
        return link
    return None


def words(viewer: Viewer) -> dict[str, Any]:
    """The render context's vocabulary, translated once per page."""
    _ = viewer.gettext
    return {
        "report_states": {k.value: _(v) for k, v in REPORT_STATES.items()},
        "answers": [(k.value, _(v)) for k, v in ANSWERS.items()],
        "answer_words": {k.value: _(v) for k, v in ANSWERS.items()},
        "credit_choices": [(k.value, _(v)) for k, v in CREDIT.items()],
        "credit_words": {k.value: _(v) for k, v in CREDIT.items()},
        "advisory_states": {k.value: _(v) for k, v in ADVISORY_STATES.items()},
        "format_names": {k.value: v for k, v in FORMATS.items()},
        "case_states": {k.value: _(v) for k, v in CASE_STATES.items()},
        "vendor_statuses": {k.value: _(v) for k, v in VENDOR_STATUSES.items()},
        "embargo_phases": {k.value: _(v) for k, v in EMBARGO_PHASES.items()},
        "participant_roles": {k.value: _(v) for k, v in PARTICIPANT_ROLES.items()},
        "embargo_answers": {k: _(v) for k, v in EMBARGO_ANSWERS.items()},
        "exit_categories": {k.value: _(v) for k, v in EXIT_CATEGORIES.items()},
        "ssvc_points": {k: (_(n), _(q)) for k, (n, q) in SSVC_POINTS.items()},
        "ssvc_values": {k: _(v) for k, v in SSVC_VALUES.items()},
        "triage_outcomes": {k: _(v) for k, v in TRIAGE_OUTCOMES.items()},
        "obligation_statuses": {k.value: _(v) for k, v in OBLIGATION_STATUSES.items()},
        "event_types": {k.value: _(v) for k, v in EVENT_TYPES.items()},
        "org_kinds": {k.value: _(v) for k, v in ORG_KINDS.items()},
        "sanction_states": {k.value: _(v) for k, v in SANCTION_STATES.items()},
        "outcome_words": {k.value: _(v) for k, v in OUTCOMES.items()},
        "outcome_choices": [(k.value, _(v)) for k, v in OUTCOMES.items()],
        "job_states": {k.value: _(v) for k, v in JOB_STATES.items()},
        "finding_states": {k.value: _(v) for k, v in FINDING_STATES.items()},
        "justification_words": {k.value: _(v) for k, v in JUSTIFICATIONS.items()},
        "languages": list(Language),
        "endonyms": ENDONYMS,
        "notice_text": notice_words(viewer),
        "notice_link": notice_link,
    }
