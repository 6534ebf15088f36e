"""The platform's closed sets as words in the viewer's language (a report's state, a
finder's answer, an advisory's state). Identifiers (CVE ids, TLP labels, case ids,
package URLs) are never translated; the glossary (docs/glossary.md) fixes one Chinese
term per concept."""

from __future__ import annotations

from typing import Any, Final

from clearinghouse.advisories.models import AdvisoryState, RenditionFormat
from clearinghouse.cases.models import Answer
from clearinghouse.cases.rules.reports import CreditPreference, ReportState
from clearinghouse.jobs.models import JobStatus
from clearinghouse.standing.models import ReassessmentOutcome
from clearinghouse.standing.sanctions import SanctionStatus
from clearinghouse.vocab import Language, OrgKind
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
FORMATS: Final = {
    RenditionFormat.CSAF: "CSAF 2.0",
    RenditionFormat.CSAF_VEX: "CSAF 2.0 VEX",
    RenditionFormat.OSV: "OSV",
    RenditionFormat.CVE5: "CVE 5.x",
    RenditionFormat.CYCLONEDX_VEX: "CycloneDX VEX",
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
        "org_kinds": {k.value: _(v) for k, v in ORG_KINDS.items()},
        "sanction_states": {k.value: _(v) for k, v in SANCTION_STATES.items()},
        "outcome_words": {k.value: _(v) for k, v in OUTCOMES.items()},
        "outcome_choices": [(k.value, _(v)) for k, v in OUTCOMES.items()],
        "job_states": {k.value: _(v) for k, v in JOB_STATES.items()},
        "languages": list(Language),
        "endonyms": ENDONYMS,
    }
