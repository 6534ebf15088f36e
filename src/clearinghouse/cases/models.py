"""Tables of coordinated disclosure.

States decided by the pure rules (report status, vendor status, embargo state) are stored
as their string values (``String(40)``, like :func:`clearinghouse.db.enum_column`): the
rules own the closed sets, the services convert at the boundary.

Append-only where history matters: triage decisions, vendor statuses, embargo answers and
timeline events are never updated in place (a newer row supersedes an older one), so the
case can always show who said what, and when.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from clearinghouse.cases.ids import ordered_id
from clearinghouse.db import Base, enum_column, new_id
from clearinghouse.vocab import ParticipantRole


class Answer(enum.StrEnum):
    """A finder's yes/no answer, where "I don't know" is a legitimate answer."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ThreadKind(enum.StrEnum):
    CASE = "case"  # every participant
    PRIVATE = "private"  # the coordinator with one participant


# ---- reports ---------------------------------------------------------------------------------


class Report(Base):
    """A report as received: public (tracked by a private token) or from a member."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_received", "received_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    status: Mapped[str] = mapped_column(String(40))  # rules.reports.ReportState
    status_reason: Mapped[str | None] = mapped_column(Text)
    # Field sizes follow rules.reports.LIMITS (the rules enforce them).
    title: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(String(200))
    vendor: Mapped[str | None] = mapped_column(String(200))
    affected_versions: Mapped[str | None] = mapped_column(String(500))
    purl: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    impact: Mapped[str | None] = mapped_column(Text)
    exploited: Mapped[Answer] = mapped_column(enum_column(Answer))
    already_public: Mapped[Answer] = mapped_column(enum_column(Answer))
    vendor_contacted: Mapped[Answer] = mapped_column(enum_column(Answer))
    disclosure_plans: Mapped[str | None] = mapped_column(Text)
    credit_preference: Mapped[str] = mapped_column(String(40))  # rules.reports.CreditPreference
    credit_as: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    # The language and zone of the page a finder without an account reported from: its
    # e-mails are written in them (a report sent through the API: English, UTC).
    finder_language: Mapped[str | None] = mapped_column(String(20))
    finder_timezone: Mapped[str | None] = mapped_column(String(64))
    references: Mapped[list[str]] = mapped_column(default=list)
    cves: Mapped[list[str]] = mapped_column(default=list)
    # rules.duplicates.Signature.to_dict(): compared with later reports at their intake.
    signature: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reporter_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reporter_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    # SHA-256 of the finder's tracking token (shown once); null for member reports.
    tracking_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The finder's OpenPGP public key (ASCII-armored), checked by clearinghouse.pgp: the
    # coordinator's replies e-mailed to contact_email travel encrypted to it.
    finder_pgp_key: Mapped[str | None] = mapped_column(Text)
    finder_pgp_fingerprint: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReportAuthor(enum.StrEnum):
    FINDER = "finder"  # the report's finder (tracking token or the reporting member)
    COORDINATOR = "coordinator"  # the operator triaging it


class ReportMessage(Base):
    """A message between the coordinator and a report's finder, before any case exists
    (afterwards the case's threads take over). Append-only."""

    __tablename__ = "report_messages"
    __table_args__ = (Index("ix_report_messages_report", "report_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    author: Mapped[ReportAuthor] = mapped_column(enum_column(ReportAuthor))
    author_user_id: Mapped[uuid.UUID | None]
    author_label: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ReportTransition(Base):
    """One step of a report's lifecycle, with its reason."""

    __tablename__ = "report_transitions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    actor_user_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(320))


class ReportDuplicate(Base):
    """A likely duplicate flagged at intake (``candidate_id`` arrived earlier)."""

    __tablename__ = "report_duplicates"
    __table_args__ = (UniqueConstraint("report_id", "candidate_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float]
    reasons: Mapped[list[str]] = mapped_column(default=list)
    flagged_at: Mapped[datetime]


class IntakeHit(Base):
    """One anonymous submission, keyed by a digest of the client address (rate limit)."""

    __tablename__ = "intake_hits"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class TriageRecord(Base):
    """An SSVC coordinator-triage decision; the newest ``current`` row is in force."""

    __tablename__ = "triage_records"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    table: Mapped[str] = mapped_column(String(100))  # e.g. "ssvc:DT_COORD_TRIAGE:1.0.0"
    points: Mapped[dict[str, Any]]  # decision point key -> value key
    computed: Mapped[str] = mapped_column(String(40))  # what the table says
    outcome: Mapped[str] = mapped_column(String(40))  # in force (computed or overridden)
    override_reason: Mapped[str | None] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(default=True)
    decided_at: Mapped[datetime]
    decided_by_user_id: Mapped[uuid.UUID | None]
    decided_by_label: Mapped[str] = mapped_column(String(320))


# ---- cases -----------------------------------------------------------------------------------


class CaseCounter(Base):
    """The last case number issued per year (``CH-YYYY-NNNN``), bumped atomically."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_created", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), default=CaseStatus.OPEN)
    coordinator_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime]
    created_by_user_id: Mapped[uuid.UUID | None]
    created_by_label: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class Vulnerability(Base):
    __tablename__ = "case_vulnerabilities"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    cve_id: Mapped[str | None] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    cwes: Mapped[list[str]] = mapped_column(default=list)
    cvss_vector: Mapped[str | None] = mapped_column(String(300))
    cvss_version: Mapped[str | None] = mapped_column(String(8))
    cvss_score: Mapped[float | None]
    cvss_severity: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AffectedProduct(Base):
    """A package (package URL) and its affected ranges in OSV event form."""

    __tablename__ = "case_affected_products"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    vulnerability_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_vulnerabilities.id", ondelete="CASCADE"), index=True
    )
    purl: Mapped[str] = mapped_column(String(500))
    ecosystem: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(300))
    # [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}]}]
    ranges: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    versions: Mapped[list[str]] = mapped_column(default=list)
    vendor_participant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_participants.id", ondelete="SET NULL")
    )


class Participant(Base):
    """A party to a case: an organisation (member or vendor), an invited vendor known only
    by e-mail, or a finder following their report by token."""

    __tablename__ = "case_participants"
    __table_args__ = (Index("ix_case_participants_org", "org_id", "case_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[ParticipantRole] = mapped_column(enum_column(ParticipantRole))
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL")
    )
    # The organisation's name, the name given, or the address a vendor was invited at.
    name: Mapped[str] = mapped_column(String(320))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    # how e-mail to ``contact_email`` is worded (the operator's choice when inviting; an
    # address has no saved settings): a language tag and an IANA zone, None for English/UTC
    contact_language: Mapped[str | None] = mapped_column(String(20))
    contact_timezone: Mapped[str | None] = mapped_column(String(64))
    added_at: Mapped[datetime]
    added_by_label: Mapped[str] = mapped_column(String(320))
    notified_at: Mapped[datetime | None]
    seen_at: Mapped[datetime | None]
    response_due_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    statement: Mapped[str | None] = mapped_column(Text)
    statement_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]


class Invitation(Base):
    """A signed, expiring link for a vendor outside the platform. The link itself is
    never stored: only its nonce's digest, so a database leak opens nothing."""

    __tablename__ = "case_invitations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_participants.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]  # turned into an account
    claimed_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )


class VendorStatusRecord(Base):
    """A vendor's status for one vulnerability; the ``current`` row is in force, older
    rows are its history."""

    __tablename__ = "case_vendor_statuses"
    __table_args__ = (
        Index("ix_case_vendor_statuses_current", "case_id", "participant_id", "vulnerability_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    participant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_participants.id", ondelete="CASCADE")
    )
    vulnerability_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_vulnerabilities.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(40))  # rules.vendor_status
    justification: Mapped[str | None] = mapped_column(String(80))
    statement: Mapped[str | None] = mapped_column(Text)
    fixed_version: Mapped[str | None] = mapped_column(String(200))  # rules: FIXED_VERSION_MAX
    current: Mapped[bool] = mapped_column(default=True)
    recorded_at: Mapped[datetime]
    recorded_by_user_id: Mapped[uuid.UUID | None]
    recorded_by_label: Mapped[str] = mapped_column(String(320))


class Embargo(Base):
    """A case's embargo. ``document`` is the whole value the rules work on
    (``rules.embargo.Embargo``: phase, end, pending end, required vendors, answers to the
    open proposal, exit record); the other columns repeat what queries and the clocks
    need. ``version`` increases with every change (optimistic locking)."""

    __tablename__ = "case_embargoes"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(40))  # rules.embargo.EmbargoPhase
    ends_at: Mapped[datetime | None] = mapped_column(index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    pending_ends_at: Mapped[datetime | None]
    pending_timezone: Mapped[str | None] = mapped_column(String(64))
    activated_at: Mapped[datetime | None]
    exited_at: Mapped[datetime | None]
    exit_category: Mapped[str | None] = mapped_column(String(40))
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


# ---- threads and attachments -----------------------------------------------------------------


class Thread(Base):
    __tablename__ = "case_threads"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ThreadKind] = mapped_column(enum_column(ThreadKind))
    # PRIVATE: the one participant the coordinator talks with.
    participant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_participants.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    created_by_label: Mapped[str] = mapped_column(String(320))


class Message(Base):
    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_thread", "thread_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_threads.id", ondelete="CASCADE"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_user_id: Mapped[uuid.UUID | None]
    author_org_id: Mapped[uuid.UUID | None]
    author_participant_id: Mapped[uuid.UUID | None]
    author_label: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Attachment(Base):
    """An uploaded file (a proof of concept, a patch). Stored in the database so that it
    commits or rolls back with the report or message it belongs to; served only as a
    download, never inline."""

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_at: Mapped[datetime]
    uploaded_by_label: Mapped[str] = mapped_column(String(320))


# ---- the timeline ----------------------------------------------------------------------------


class TimelineEvent(Base):
    """Everything that happened, typed: coordination steps and the anchors the regulatory
    clocks run from (``aware``, ``exploitation_known``, ``fix_available``...).

    ``occurred_at`` is when it happened, ``recorded_at`` when the platform learned it.
    A correction is a new event naming the one it ``supersedes``: rows are never updated,
    so the record of who knew what, and since when, cannot be rewritten.
    """

    __tablename__ = "timeline_events"
    __table_args__ = (
        Index("ix_timeline_events_case", "case_id", "occurred_at", "recorded_at", "id"),
        Index("ix_timeline_events_org_type", "org_id", "type"),
        Index("ix_timeline_events_subject", "subject", "occurred_at", "recorded_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=ordered_id)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    # Events of a report before (or without) a case: the case opened from the report
    # shows them too, so its timeline starts when the report arrived.
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), index=True
    )
    # The subject of an event outside any case and report: an incident's public id
    # (clearinghouse.incidents); null for case and report events.
    subject: Mapped[str | None] = mapped_column(String(100))
    # The participant a coordination event is about (its vendor status, its private
    # thread); null: every participant of the case may see it.
    participant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_participants.id", ondelete="SET NULL")
    )
    type: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_by_label: Mapped[str] = mapped_column(String(320))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("timeline_events.id", ondelete="SET NULL"), index=True
    )
    evidence: Mapped[str | None] = mapped_column(Text)
