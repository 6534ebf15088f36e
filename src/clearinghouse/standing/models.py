"""Standing tables: reassessment decisions on sanctions (the sanction itself is
``accounts.models.MemberSanction``), per-subject regime
overrides, and reports drafted or submitted to meet an obligation."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.db import Base, enum_column, new_id


class ReassessmentOutcome(enum.StrEnum):
    REINSTATE = "reinstate"
    EXTEND = "extend"


class ReassessmentDecision(Base):
    __tablename__ = "reassessment_decisions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    sanction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("member_sanctions.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[ReassessmentOutcome] = mapped_column(enum_column(ReassessmentOutcome))
    new_ends_at: Mapped[datetime | None]
    new_reassessment_at: Mapped[datetime | None]
    # the sanction's period before this decision (to show it as it stood before)
    previous_ends_at: Mapped[datetime | None]
    previous_reassessment_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text)
    decided_by_user_id: Mapped[uuid.UUID | None]
    decided_by_label: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[datetime]


class RegimeOverride(Base):
    """An operator's decision that a regime does (or does not) bind an organisation, for
    one case (``case_id``) or for all its subjects (``case_id`` null)."""

    __tablename__ = "regime_overrides"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(100))  # case public id; null: all
    regime: Mapped[str] = mapped_column(String(100))
    applies: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    decided_by_label: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[datetime]


class SubmissionState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Submission(Base):
    """A report to a regulator for one obligation stage: drafted, then marked submitted
    (which records a ``report_submitted`` timeline event that settles the obligation)."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_key", "org_id", "subject", "regime", "stage"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(100))
    regime: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(100))
    state: Mapped[SubmissionState] = mapped_column(
        enum_column(SubmissionState), default=SubmissionState.DRAFT
    )
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recipient: Mapped[str | None] = mapped_column(String(300))
    reference: Mapped[str | None] = mapped_column(String(300))
    submitted_at: Mapped[datetime | None]
    event_id: Mapped[str | None] = mapped_column(String(64))
    created_by_label: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]


class AlertWatch(Base):
    """Where the alert scan stands with one subject (a case, an incident): how many clock
    events it had and the latest recorded when its obligations were last derived, and the
    next instant at which one of them could fire an alert (null: none will). The scan
    re-derives only the subjects whose events changed and those whose instant has come."""

    __tablename__ = "alert_watches"
    __table_args__ = (Index("ix_alert_watches_next_at", "next_at"),)

    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_count: Mapped[int]
    latest_at: Mapped[datetime]
    next_at: Mapped[datetime | None]
    derived_at: Mapped[datetime]


class AlertScanState(Base):
    """One row: the fingerprint of everything besides events that obligations depend on
    (organisations' profiles, regime overrides, the regimes and alert thresholds). When it
    changes, every subject is derived again."""

    __tablename__ = "alert_scan_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    facts_fingerprint: Mapped[str] = mapped_column(String(64))
    scanned_at: Mapped[datetime]
