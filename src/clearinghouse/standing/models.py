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
    reason: Mapped[str] = mapped_column(Text)
    decided_by_user_id: Mapped[uuid.UUID | None]
    decided_by_label: Mapped[str] = mapped_column(String(200))
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
    decided_by_label: Mapped[str] = mapped_column(String(200))
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
    created_by_label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
