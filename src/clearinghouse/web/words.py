"""The platform's closed sets as words in the viewer's language (a report's state, a
finder's answer, an advisory's state). Identifiers (CVE ids, TLP labels, case ids,
package URLs) are never translated; the glossary (docs/glossary.md) fixes one Chinese
term per concept."""

from __future__ import annotations

from typing import Any, Final

from clearinghouse.advisories.models import AdvisoryState, RenditionFormat
from clearinghouse.cases.models import Answer
from clearinghouse.cases.rules.reports import CreditPreference, ReportState
from clearinghouse.exposure.models import FindingState
from clearinghouse.formats.model import Justification
from clearinghouse.vocab import Language
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
        "finding_states": {k.value: _(v) for k, v in FINDING_STATES.items()},
        "justification_words": {k.value: _(v) for k, v in JUSTIFICATIONS.items()},
        "languages": list(Language),
        "endonyms": ENDONYMS,
    }
