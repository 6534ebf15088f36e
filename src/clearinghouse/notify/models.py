"""Notification, webhook subscription and webhook delivery tables."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.db import Base, enum_column, new_id


class Delivery(enum.StrEnum):
    """How a notification reaches its user by e-mail, fixed when it is created."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"


class Notification(Base):
    """One notice to one user. ``body`` is text the caller vouches is safe to e-mail:
    never embargoed detail, which stays behind the link.

    ``params``: what the notice says without words (ids, names, instants in ISO UTC), for
    the kinds :mod:`clearinghouse.notify.wording` words; pages and e-mails word it in the
    reader's language and zone. ``subject`` and ``body`` then hold its English wording in
    UTC (for the API). ``None``: a notice recorded as text only, shown as stored."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any] | None]
    link: Mapped[str | None] = mapped_column(String(2000))
    delivery: Mapped[Delivery] = mapped_column(enum_column(Delivery))
    # What the notice is about, as the gate saw it (``policy.MessageFacts``): the gate asks
    # again when its e-mail is composed, so that a recipient suspended, moved to another
    # organisation, or no longer taking part in the case, in between gets none. Plain
    # strings, read by ``notify.gate.stored`` (a value it does not know is pre-publication;
    # none at all, a notice recorded before these columns: not e-mailed), so that no value
    # fails the row's loading.
    sensitivity: Mapped[str | None] = mapped_column(String(40))  # policy.Sensitivity
    tlp: Mapped[str | None] = mapped_column(String(40))  # formats.model.Tlp
    about_ref: Mapped[str | None] = mapped_column(String(100))  # MessageFacts.ref
    created_at: Mapped[datetime]
    emailed_at: Mapped[datetime | None]
    digest_sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]


class WebhookSubscription(Base):
    """An organisation's endpoint for events. The signing secret is stored encrypted
    (:class:`clearinghouse.crypto.SecretBox`): it must be read back to sign."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Why the platform switched it off (e.g. the endpoint answered 410 Gone).
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One attempt to deliver one event to one subscription (successful or not)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_subscription_at", "subscription_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(String(64), index=True)  # the webhook-id header
    event_type: Mapped[str] = mapped_column(String(100))
    job_id: Mapped[uuid.UUID | None]  # no foreign key: finished jobs may be purged
    attempt: Mapped[int]
    at: Mapped[datetime]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
