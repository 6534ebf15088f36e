"""The incident table. Its events live in the shared typed timeline
(``cases.models.TimelineEvent``) with ``subject`` set to the incident's public id, so
obligations are derived from them like from any other events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.db import Base, new_id


class Incident(Base):
    """An organisation's own incident. ``public_id`` (``INC-YYYY-XXXXXXXX``) is random, so
    it says nothing about how many incidents others have. ``facts`` is the one evidence
    base every report draft is filled from (docs/clocks.md, "Facts")."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_org_created", "org_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    created_by_label: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime]
