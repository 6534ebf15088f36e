"""Account tables: organisations, users, memberships, API tokens, sessions, login failures."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.db import Base, enum_column, new_id
from clearinghouse.vocab import OrgKind, Role


class NotifyMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind))
    country: Mapped[str | None] = mapped_column(String(2))
    # Regulatory profile: jurisdictions (ISO 3166 codes, "EU") and roles (manufacturer,
    # product_provider, sec_registrant...) that decide which reporting regimes bind it.
    jurisdictions: Mapped[list[str]] = mapped_column(default=list)
    regulatory_roles: Mapped[list[str]] = mapped_column(default=list)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    pgp_public_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The pages' language ("en", "zh-Hans"); None: the browser's Accept-Language.
    language: Mapped[str | None] = mapped_column(String(16))
    notify_mode: Mapped[NotifyMode] = mapped_column(
        enum_column(NotifyMode), default=NotifyMode.IMMEDIATE
    )
    created_at: Mapped[datetime]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class ApiToken(Base):
    """A bearer token: shown once, stored as a SHA-256 digest, scoped, expiring, revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class BrowserSession(Base):
    __tablename__ = "browser_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginFailure(Base):
    """Failed logins, counted per key (account e-mail, client address) within a window."""

    __tablename__ = "login_failures"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(400), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


# ---- standing: an organisation's sanctions (decided in clearinghouse.standing) --------------


class SanctionKind(enum.StrEnum):
    SUSPENSION = "suspension"


class SanctionState(enum.StrEnum):
    ACTIVE = "active"  # in force between starts_at and ends_at
    REINSTATED = "reinstated"  # lifted by a reassessment decision
    EXTENDED = "extended"  # replaced by a longer sanction (see the decision)


class MemberSanction(Base):
    """A sanction decided against a member. A member is suspended at instant t when a
    suspension decided by t has starts_at <= t < ends_at (a reinstatement moves ends_at to
    its own instant, so the period stays what it was). It takes effect when decided unless
    the decision says explicitly that it reaches back (``retroactive``)."""

    __tablename__ = "member_sanctions"
    __table_args__ = (Index("ix_member_sanctions_org_time", "org_id", "starts_at", "ends_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    kind: Mapped[SanctionKind] = mapped_column(enum_column(SanctionKind))
    state: Mapped[SanctionState] = mapped_column(
        enum_column(SanctionState), default=SanctionState.ACTIVE
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reassessment_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    basis: Mapped[dict[str, Any]] = mapped_column(default=dict)  # obligations, regime, case
    decided_by_user_id: Mapped[uuid.UUID | None]
    decided_by_label: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[datetime]
    # starts_at lies before decided_at, as the decision said in so many words
    retroactive: Mapped[bool] = mapped_column(default=False)
