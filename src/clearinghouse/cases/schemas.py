"""Request and response bodies of the case API (pydantic), and builders from the tables.

What a response holds depends on who asks: coordinators (and the operator) get every
participant's part; a vendor, a reporter or a member gets the case, the coordinator and
its own part. The builders take that decision as an argument (``full``) that the routes
get from the policy (``CaseAction.CASE_READ_ALL``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clearinghouse.api.freeform import FreeformObject
from clearinghouse.api.instants import Instant
from clearinghouse.cases import attachments as files
from clearinghouse.cases.models import (
    AffectedProduct,
    Answer,
    Attachment,
    Case,
    Message,
    Participant,
    Report,
    ReportDuplicate,
    ReportMessage,
    ReportTransition,
    Thread,
    TimelineEvent,
    TriageRecord,
    VendorStatusRecord,
    Vulnerability,
)
from clearinghouse.cases.rules import embargo as embargo_rules
from clearinghouse.pgp import MAX_KEY_BYTES
from clearinghouse.vocab import Language

MAX_KEY_CHARS = MAX_KEY_BYTES  # an armored key is ASCII: one byte per character

# ---- reports ---------------------------------------------------------------------------------


class ReportIn(BaseModel):
    """A vulnerability report. Text limits are the rules' (``rules.reports.LIMITS``)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200)
    product: str = Field(max_length=200, description="product (and component) affected")
    vendor: str | None = Field(None, max_length=200, description="who makes the product")
    affected_versions: str | None = Field(None, max_length=500)
    purl: str | None = Field(None, max_length=500, description="package URL, if known")
    description: str = Field(max_length=20_000)
    impact: str | None = Field(None, max_length=5_000)
    exploited: Answer = Field(Answer.UNKNOWN, description="already exploited?")
    already_public: Answer = Field(Answer.UNKNOWN, description="already public?")
    vendor_contacted: Answer = Field(Answer.UNKNOWN, description="vendor contacted before?")
    disclosure_plans: str | None = Field(None, max_length=5_000)
    credit_preference: Literal["name", "handle", "anonymous"] = "anonymous"
    credit_as: str | None = Field(None, max_length=200)
    contact_email: str | None = Field(None, max_length=254)
    references: list[str] = Field(default_factory=list, max_length=20)
    cves: list[str] = Field(default_factory=list, max_length=20)
    pgp_public_key: str | None = Field(
        None,
        max_length=MAX_KEY_CHARS,
        description="your OpenPGP public key (ASCII-armored): replies e-mailed to "
        "contact_email are encrypted to it",
    )


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    download: str


def attachment_out(a: Attachment, base: str) -> AttachmentOut:
    return AttachmentOut(
        id=a.id,
        filename=a.filename,
        content_type=a.content_type,
        size=a.size,
        sha256=a.sha256,
        uploaded_at=a.uploaded_at,
        download=f"{base}/attachments/{a.id}",
    )


class ReportCreatedOut(BaseModel):
    id: uuid.UUID
    status: str
    received_at: datetime
    tracking_token: str | None = Field(
        None, description="shown once: send it as X-Report-Token to follow the report"
    )
    tracking_url: str | None = None
    attachments: list[AttachmentOut]


class TransitionOut(BaseModel):
    from_status: str | None
    to_status: str
    reason: str | None
    at: datetime
    by: str


class DuplicateOut(BaseModel):
    report_id: uuid.UUID
    score: float
    reasons: list[str]


class TriageOut(BaseModel):
    id: uuid.UUID
    table: str
    points: dict[str, Any]
    computed: str
    outcome: str
    overridden: bool
    override_reason: str | None
    decided_at: datetime
    decided_by: str


def triage_out(t: TriageRecord) -> TriageOut:
    return TriageOut(
        id=t.id,
        table=t.table,
        points=t.points,
        computed=t.computed,
        outcome=t.outcome,
        overridden=t.override_reason is not None,
        override_reason=t.override_reason,
        decided_at=t.decided_at,
        decided_by=t.decided_by_label,
    )


class ReportOut(BaseModel):
    id: uuid.UUID
    status: str
    status_reason: str | None
    title: str
    product: str
    vendor: str | None
    affected_versions: str | None
    purl: str | None
    description: str
    impact: str | None
    exploited: Answer
    already_public: Answer
    vendor_contacted: Answer
    disclosure_plans: str | None
    credit_preference: str
    credit_as: str | None
    contact_email: str | None
    references: list[str]
    cves: list[str]
    received_at: datetime
    updated_at: datetime
    case: str | None = Field(None, description="public id of the case opened from it")
    finder_key_fingerprint: str | None = Field(
        None, description="the finder's OpenPGP key for replies"
    )
    history: list[TransitionOut]
    attachments: list[AttachmentOut]
    # operator only:
    reporter_organisation_id: uuid.UUID | None = None
    likely_duplicates: list[DuplicateOut] | None = None
    triage: TriageOut | None = None


class ReportSummaryOut(BaseModel):
    id: uuid.UUID
    status: str
    title: str
    product: str
    received_at: datetime
    likely_duplicates: int | None = None


def report_out(
    r: Report,
    *,
    case_public_id: str | None,
    history: list[ReportTransition],
    attachments: list[Attachment],
    operator: bool,
    duplicates: list[ReportDuplicate] | None = None,
    triage: TriageRecord | None = None,
) -> ReportOut:
    base = f"/api/v1/reports/{r.id}"
    return ReportOut(
        id=r.id,
        status=r.status,
        status_reason=r.status_reason,
        title=r.title,
        product=r.product,
        vendor=r.vendor,
        affected_versions=r.affected_versions,
        purl=r.purl,
        description=r.description,
        impact=r.impact,
        exploited=r.exploited,
        already_public=r.already_public,
        vendor_contacted=r.vendor_contacted,
        disclosure_plans=r.disclosure_plans,
        credit_preference=r.credit_preference,
        credit_as=r.credit_as,
        contact_email=r.contact_email,
        references=r.references,
        cves=r.cves,
        received_at=r.received_at,
        updated_at=r.updated_at,
        case=case_public_id,
        finder_key_fingerprint=r.finder_pgp_fingerprint,
        history=[
            TransitionOut(
                from_status=h.from_status,
                to_status=h.to_status,
                reason=h.reason,
                at=h.at,
                by=h.actor_label if operator else "",
            )
            for h in history
        ],
        attachments=[attachment_out(a, base) for a in attachments],
        reporter_organisation_id=r.reporter_org_id if operator else None,
        likely_duplicates=[
            DuplicateOut(report_id=d.candidate_id, score=d.score, reasons=d.reasons)
            for d in duplicates or []
        ]
        if operator
        else None,
        triage=triage_out(triage) if operator and triage else None,
    )


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Literal["valid", "invalid", "accepted", "deferred", "closed"]
    reason: str = Field(max_length=2000)


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["decline", "track", "coordinate"]
    reason: str = Field(max_length=2000)


class TriageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    points: dict[str, str] = Field(
        description="report_public, supplier_contacted, report_credibility, "
        "supplier_cardinality, supplier_engagement, utility, public_safety_impact"
    )
    override: OverrideIn | None = None


class TriageHistoryOut(BaseModel):
    current: TriageOut | None
    history: list[TriageOut]


class OpenCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200)
    summary: str | None = Field(None, max_length=20_000)
    coordinator: str | None = Field(
        None,
        max_length=64,
        description="slug of a member organisation to delegate coordination to "
        "(a national CERT, say); default: the operator coordinates",
    )


# ---- cases -----------------------------------------------------------------------------------


# A version in a range event or a product's list: as long as the advisory draft and the
# OSV query API take (the orderings read every character, so every one is bounded).
MAX_VERSION_CHARS = 200
EventKindText = Annotated[str, Field(max_length=20, description="introduced, fixed, ...")]
RangeVersion = Annotated[str, Field(min_length=1, max_length=MAX_VERSION_CHARS)]


class RangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["SEMVER", "ECOSYSTEM", "GIT"] = "ECOSYSTEM"
    events: list[dict[EventKindText, RangeVersion]] = Field(min_length=1, max_length=100)
    repo: str | None = Field(None, max_length=500)


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purl: str = Field(max_length=500)
    ranges: list[RangeIn] = Field(default_factory=list, max_length=50)
    versions: list[Annotated[str, Field(max_length=MAX_VERSION_CHARS)]] = Field(
        default_factory=list, max_length=1000
    )


class VulnerabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=300)
    description: str | None = Field(None, max_length=20_000)
    cve_id: str | None = Field(None, max_length=30)
    cwes: list[str] = Field(default_factory=list, max_length=20)
    cvss_vector: str | None = Field(None, max_length=512)
    products: list[ProductIn] = Field(default_factory=list, max_length=100)


class VendorIn(BaseModel):
    """A vendor to bring in: an organisation on the platform, or an address to invite."""

    model_config = ConfigDict(extra="forbid")
    organisation: str | None = Field(None, max_length=64, description="slug")
    email: str | None = Field(None, max_length=320)
    name: str | None = Field(None, max_length=200)
    role: Literal["vendor", "member"] = "vendor"
    response_days: int = Field(7, ge=1, le=365)
    language: Language | None = Field(
        None,
        description="with email: the language the invitation and later e-mail to the "
        "address are written in (default English)",
    )
    timezone: str | None = Field(
        None,
        max_length=64,
        description="with email: the IANA zone their instants are shown in (default UTC)",
    )


class CaseIn(BaseModel):
    """A case a member (or the operator) starts itself, choosing whom to invite."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200)
    summary: str | None = Field(None, max_length=20_000)
    vulnerabilities: list[VulnerabilityIn] = Field(default_factory=list, max_length=50)
    participants: list[VendorIn] = Field(default_factory=list, max_length=100)


class CaseUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, max_length=200)
    summary: str | None = Field(None, max_length=20_000)
    status: Literal["open", "closed"] | None = None


class ProductOut(BaseModel):
    purl: str
    ecosystem: str | None
    name: str
    ranges: list[dict[str, Any]]
    versions: list[str]


class VulnerabilityOut(BaseModel):
    id: uuid.UUID
    cve_id: str | None
    title: str
    description: str
    cwes: list[str]
    cvss_vector: str | None
    cvss_version: str | None
    cvss_score: float | None
    cvss_severity: str | None
    products: list[ProductOut]


def vulnerability_out(v: Vulnerability, products: list[AffectedProduct]) -> VulnerabilityOut:
    return VulnerabilityOut(
        id=v.id,
        cve_id=v.cve_id,
        title=v.title,
        description=v.description,
        cwes=v.cwes,
        cvss_vector=v.cvss_vector,
        cvss_version=v.cvss_version,
        cvss_score=v.cvss_score,
        cvss_severity=v.cvss_severity,
        products=[
            ProductOut(
                purl=p.purl,
                ecosystem=p.ecosystem,
                name=p.name,
                ranges=p.ranges,
                versions=p.versions,
            )
            for p in products
        ],
    )


class ParticipantOut(BaseModel):
    id: uuid.UUID
    role: str
    name: str
    organisation_id: uuid.UUID | None
    contact_email: str | None
    contact_language: str | None = Field(
        None, description="the language e-mail to contact_email is written in (None: English)"
    )
    contact_timezone: str | None = Field(
        None, description="the zone e-mail to contact_email shows instants in (None: UTC)"
    )
    added_at: datetime
    notified_at: datetime | None
    seen_at: datetime | None
    response_due_at: datetime | None
    responded_at: datetime | None
    escalated_at: datetime | None
    statement: str | None
    removed_at: datetime | None
    warnings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="legal warnings raised by this sharing (e.g. cn-miit-2021 Art. 9(7)); "
        "Clearinghouse warns, it does not block",
    )


def participant_out(p: Participant, *, full: bool) -> ParticipantOut:
    return ParticipantOut(
        id=p.id,
        role=p.role.value,
        name=p.name,
        organisation_id=p.org_id,
        contact_email=p.contact_email if full else None,
        contact_language=p.contact_language if full else None,
        contact_timezone=p.contact_timezone if full else None,
        added_at=p.added_at,
        notified_at=p.notified_at,
        seen_at=p.seen_at,
        response_due_at=p.response_due_at,
        responded_at=p.responded_at,
        escalated_at=p.escalated_at,
        statement=p.statement,
        removed_at=p.removed_at,
    )


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vulnerability_id: uuid.UUID
    participant_id: uuid.UUID | None = Field(
        None, description="the vendor (coordinators); vendors state their own"
    )
    status: Literal["unknown", "under_investigation", "affected", "not_affected", "fixed"]
    justification: str | None = Field(None, max_length=80)
    fixed_version: str | None = Field(None, max_length=200)
    statement: str | None = Field(None, max_length=5000)


class StatusOut(BaseModel):
    id: uuid.UUID
    participant_id: uuid.UUID
    vulnerability_id: uuid.UUID
    status: str
    justification: str | None
    fixed_version: str | None
    statement: str | None
    current: bool
    recorded_at: datetime
    recorded_by: str


def status_out(s: VendorStatusRecord) -> StatusOut:
    return StatusOut(
        id=s.id,
        participant_id=s.participant_id,
        vulnerability_id=s.vulnerability_id,
        status=s.status,
        justification=s.justification,
        fixed_version=s.fixed_version,
        statement=s.statement,
        current=s.current,
        recorded_at=s.recorded_at,
        recorded_by=s.recorded_by_label,
    )


class StatementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    participant_id: uuid.UUID | None = None
    statement: str | None = Field(None, max_length=5000)


class DeadlineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=1, le=365)


class EmbargoOut(BaseModel):
    state: str = Field(description="none, proposed, active, revising or exited")
    ends_at: datetime | None = Field(None, description="the (proposed or agreed) end, UTC")
    timezone: str | None = Field(None, description="the IANA zone it was agreed in")
    ends_at_local: str | None = Field(
        None, description="the end in the viewer's own time zone, with its abbreviation"
    )
    viewer_timezone: str
    pending_ends_at: datetime | None = Field(None, description="a proposed move")
    pending_timezone: str | None = None
    pending_ends_at_local: str | None = None
    opened_at: datetime | None = None
    activated_at: datetime | None = None
    exited_at: datetime | None = None
    exit_category: str | None = None
    exit_evidence: dict[str, Any] | None = None
    required: list[uuid.UUID] = Field(default_factory=list, description="vendor participants")
    answers: list[dict[str, Any]] = Field(default_factory=list)


def _render(end: embargo_rules.EmbargoEnd | None, zone: str) -> str | None:
    if end is None:
        return None
    try:
        return embargo_rules.render_for(end, zone)
    except embargo_rules.UnknownTimeZone:
        return embargo_rules.render_for(end, end.tz_name)


def embargo_out(
    value: embargo_rules.Embargo, *, viewer_zone: str, answers: list[dict[str, Any]]
) -> EmbargoOut:
    exit_record = value.exit
    evidence = exit_record.evidence if exit_record else None
    return EmbargoOut(
        state=value.phase.value,
        ends_at=value.end.at if value.end else None,
        timezone=value.end.tz_name if value.end else None,
        ends_at_local=_render(value.end, viewer_zone),
        viewer_timezone=viewer_zone,
        pending_ends_at=value.pending_end.at if value.pending_end else None,
        pending_timezone=value.pending_end.tz_name if value.pending_end else None,
        pending_ends_at_local=_render(value.pending_end, viewer_zone),
        opened_at=value.opened_at,
        activated_at=value.activated_at,
        exited_at=exit_record.at if exit_record else None,
        exit_category=exit_record.category.value if exit_record else None,
        exit_evidence={"url": evidence.url, "text": evidence.text} if evidence else None,
        required=[uuid.UUID(r) for r in sorted(value.required)],
        answers=answers,
    )


class CaseOut(BaseModel):
    id: uuid.UUID
    public_id: str
    title: str
    summary: str
    status: str
    coordinator_organisation_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    report_id: uuid.UUID | None = None
    your_role: str | None
    your_participant_id: uuid.UUID | None
    embargo: EmbargoOut
    vulnerabilities: list[VulnerabilityOut]
    participants: list[ParticipantOut]
    vendor_statuses: list[StatusOut]


class CaseSummaryOut(BaseModel):
    id: uuid.UUID
    public_id: str
    title: str
    status: str
    created_at: datetime


def case_summary(c: Case) -> CaseSummaryOut:
    return CaseSummaryOut(
        id=c.id,
        public_id=c.public_id,
        title=c.title,
        status=c.status.value,
        created_at=c.created_at,
    )


class EmbargoProposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ends_at: str = Field(
        max_length=64,
        description="the end: RFC 3339 with an offset, or a local date-time read in `timezone`",
    )
    timezone: str = Field(max_length=64, description="IANA zone, e.g. Asia/Shanghai")
    reason: str | None = Field(None, max_length=2000, description="required to move an end")


class EmbargoAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(None, max_length=2000, description="required to reject")


class EmbargoActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class EmbargoExitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Literal[
        "public_disclosure_seen",
        "exploitation_observed",
        "fix_released_early",
        "coordinator_decision",
    ]
    evidence_url: str | None = Field(None, max_length=2000)
    evidence: str | None = Field(None, max_length=2000, description="what was seen, where")
    occurred_at: Instant | None = Field(None, description="when it happened (default: now)")


class ThreadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["case", "private"]
    title: str | None = Field(None, max_length=200)
    participant_id: uuid.UUID | None = None


class ThreadOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    participant_id: uuid.UUID | None
    created_at: datetime


def thread_out(t: Thread) -> ThreadOut:
    return ThreadOut(
        id=t.id,
        kind=t.kind.value,
        title=t.title,
        participant_id=t.participant_id,
        created_at=t.created_at,
    )


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=50_000)


class MessageOut(BaseModel):
    id: uuid.UUID
    thread_id: uuid.UUID
    author: str
    author_participant_id: uuid.UUID | None
    body: str
    created_at: datetime
    attachments: list[AttachmentOut]


def message_out(m: Message, attachments: list[Attachment], case_public_id: str) -> MessageOut:
    base = f"/api/v1/cases/{case_public_id}"
    return MessageOut(
        id=m.id,
        thread_id=m.thread_id,
        author=m.author_label,
        author_participant_id=m.author_participant_id,
        body=m.body,
        created_at=m.created_at,
        attachments=[attachment_out(a, base) for a in attachments],
    )


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(
        max_length=60,
        description="a clock anchor: aware, exploitation_known, "
        "fix_available, public_disclosure, report_submitted, ...",
    )
    occurred_at: Instant = Field(description="when it happened; may lie in the past")
    organisation: str | None = Field(
        None,
        max_length=64,
        description="slug of the organisation it concerns (default: yours; coordinators may "
        "name a participant, or 'case' for a case-wide fact)",
    )
    data: FreeformObject = Field(
        default_factory=dict,
        description="free-form JSON: at most 32 levels and 64 KiB, integers of 64 bits, "
        "finite numbers",
    )
    evidence: str | None = Field(None, max_length=4000)
    supersedes_id: uuid.UUID | None = None


class EventOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID | None
    report_id: uuid.UUID | None
    org_id: uuid.UUID | None
    participant_id: uuid.UUID | None
    type: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    data: dict[str, Any]
    supersedes_id: uuid.UUID | None
    evidence: str | None


def event_out(e: TimelineEvent) -> EventOut:
    return EventOut(
        id=e.id,
        case_id=e.case_id,
        report_id=e.report_id,
        org_id=e.org_id,
        participant_id=e.participant_id,
        type=e.type,
        occurred_at=e.occurred_at,
        recorded_at=e.recorded_at,
        recorded_by=e.recorded_by_label,
        data=e.data,
        supersedes_id=e.supersedes_id,
        evidence=e.evidence,
    )


class ClaimIn(BaseModel):
    """Turn an invitation into an account (send the link's token as ``Authorization: Invite``)."""

    model_config = ConfigDict(extra="forbid")
    organisation_slug: str = Field(max_length=63)
    organisation_name: str = Field(min_length=1, max_length=200)
    user_name: str = Field(min_length=1, max_length=200)
    password: str = Field(max_length=1024)
    timezone: str = Field("UTC", max_length=64)


class ClaimOut(BaseModel):
    organisation: str
    user: str
    case: str


class InvitationOut(BaseModel):
    case: str
    participant_id: uuid.UUID
    name: str
    expires_at: datetime


def describe_attachment(a: Attachment) -> dict[str, object]:
    return files.describe(a)


class ReportMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=20_000)


class ReportMessageOut(BaseModel):
    id: uuid.UUID
    author: Literal["finder", "coordinator"]
    by: str = Field(description="who wrote it (coordinators see names; finders see roles)")
    body: str
    created_at: datetime


def report_message_out(m: ReportMessage, *, operator: bool) -> ReportMessageOut:
    return ReportMessageOut(
        id=m.id,
        author=m.author.value,
        by=m.author_label if operator else m.author.value,
        body=m.body,
        created_at=m.created_at,
    )


class FinderKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pgp_public_key: str | None = Field(
        max_length=MAX_KEY_CHARS, description="ASCII-armored; null or '' removes it"
    )


class FinderKeyOut(BaseModel):
    fingerprint: str | None
