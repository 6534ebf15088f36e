"""Sharing tables: sharing groups, collections, shared STIX objects (every version), TAXII
POST statuses, and the access log.

Why every version is a row: TAXII serves ``match[version]=first|last|all|<modified>`` and
a version once shared must stay what it was. Each row keeps the object exactly as it was
accepted (``body``, serialised JSON served as is), with what the server adds: the
``date_added`` (microseconds, UTC) and a per-collection ``seq`` handed out under the
collection's row lock, so that (date_added, seq) orders a collection totally even when
thousands of objects share one instant. TAXII pages by a cursor over that pair.

Why the audience is a table: "AMBER objects whose audience holds organisation X" must be
answered inside the query that pages (filtering before paging), on every backend, with an
index: one row per organisation, person or sharing group an object names.

Why the access log is not in the audit chain: the chain has one writer; every page read
would queue on it. The log is append-only rows, one per page served.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.db import Base, enum_column, new_id
from clearinghouse.formats.model import Tlp


class SharingGroup(Base):
    """Named organisations that share with one another (MISP's sharing groups)."""

    __tablename__ = "sharing_groups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The member organisation that manages it; None: the operator does.
    owner_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime]


class SharingGroupMember(Base):
    __tablename__ = "sharing_group_members"
    __table_args__ = (UniqueConstraint("group_id", "org_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sharing_groups.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )


class Collection(Base):
    """A TAXII collection: who reads it, who writes it, and its default marking."""

    __tablename__ = "sharing_collections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)  # the TAXII id
    alias: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(default=False)  # anonymous reads its TLP:CLEAR
    community: Mapped[bool] = mapped_column(default=False)  # every member in good standing
    members_write: Mapped[bool] = mapped_column(default=False)
    reader_org_ids: Mapped[list[str]] = mapped_column(default=list)  # named organisations
    reader_user_ids: Mapped[list[str]] = mapped_column(default=list)  # named people (RED)
    group_ids: Mapped[list[str]] = mapped_column(default=list)  # sharing groups (audience)
    writer_org_ids: Mapped[list[str]] = mapped_column(default=list)
    # Given to unmarked objects only when ``mark_unmarked`` says so (never CLEAR by default).
    default_tlp: Mapped[Tlp | None] = mapped_column(enum_column(Tlp))
    mark_unmarked: Mapped[bool] = mapped_column(default=False)
    # Advisories published with a marking this collection's audience may receive are
    # added here as STIX vulnerability objects.
    advisories: Mapped[bool] = mapped_column(default=False)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_added_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class SharedObject(Base):
    """One version of one STIX object in one collection."""

    __tablename__ = "shared_objects"
    __table_args__ = (
        UniqueConstraint("collection_id", "stix_id", "version"),
        UniqueConstraint("collection_id", "seq", name="uq_shared_objects_collection_seq"),
        Index("ix_shared_objects_page", "collection_id", "date_added", "seq"),
        Index("ix_shared_objects_versions", "collection_id", "stix_id", "version"),
        Index("ix_shared_objects_sighting_of", "sighting_of"),
        # Who introduced an id (its first stored version, platform-wide): its owner.
        Index("ix_shared_objects_stix_id", "stix_id", "date_added"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sharing_collections.id", ondelete="CASCADE")
    )
    stix_id: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(250))
    spec_version: Mapped[str] = mapped_column(String(10))
    version: Mapped[datetime]  # ``modified`` (or ``created``, or date_added for observables)
    date_added: Mapped[datetime]
    seq: Mapped[int]
    tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp))
    marking_applied: Mapped[bool] = mapped_column(default=False)  # the collection's default
    producer_org_id: Mapped[uuid.UUID | None]
    producer_user_id: Mapped[uuid.UUID | None]
    # Sightings: the indicator (or other object) sighted, for the producer's counts.
    sighting_of: Mapped[str | None] = mapped_column(String(300))
    # A sighting whose poster chose to name its organisation to the producer
    # (policy.sighter_reveals); false: counted anonymously.
    reveal_sighter: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    body: Mapped[str] = mapped_column(Text)  # the object's JSON, served as it is
    # No newer version of this object is stored in the collection (kept by the store on
    # every add and delete): lets a page skip looking for one on nearly every row.
    newest: Mapped[bool] = mapped_column(default=True, server_default=text("true"))


class SharedBlock(Base):
    """The objects of one collection whose ``seq`` lies in (``lo``, ``hi``], as a TAXII page
    serves them by default (each object's newest version), pre-joined: a page of 1,000
    is ten such rows instead of 1,000 (:mod:`clearinghouse.sharing.blocks`).

    A block is served whole, to a reader the policy lets see every object marked one of
    ``marks``, or not at all (the reader's page is then read row by row). It is rebuilt in
    the transaction that changes any version of any object it holds, under the
    collection's lock, so it is never staler than the rows."""

    __tablename__ = "shared_blocks"

    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sharing_collections.id", ondelete="CASCADE"), primary_key=True
    )
    lo: Mapped[int] = mapped_column(primary_key=True)  # exclusive
    hi: Mapped[int]  # inclusive
    # The markings a reader must see wholesale: those of the versions served, and of the
    # newest version of each object whose older version here is left out. Space-separated.
    marks: Mapped[str] = mapped_column(String(80))
    count: Mapped[int]  # versions served
    first_at: Mapped[datetime | None]  # date_added of the first and last served
    last_at: Mapped[datetime | None]
    first_seq: Mapped[int | None]
    last_seq: Mapped[int | None]
    end_at: Mapped[datetime | None]  # date_added of the last version stored in the range
    body: Mapped[bytes] = mapped_column(LargeBinary)  # the served bodies, comma-separated


class AudienceKind:
    AUDIENCE = "audience"  # an organisation or sharing group in its audience (AMBER)
    NAMED = "named"  # a named organisation (AMBER, AMBER+STRICT) or person (RED)


class SharedAudience(Base):
    """Who an object names, beyond its collection's readers (one of the three ids)."""

    __tablename__ = "shared_audience"
    __table_args__ = (
        Index("ix_shared_audience_org", "org_id", "object_id"),
        Index("ix_shared_audience_user", "user_id", "object_id"),
        Index("ix_shared_audience_group", "group_id", "object_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shared_objects.id", ondelete="CASCADE"), index=True
    )
    named: Mapped[bool] = mapped_column(default=False)
    org_id: Mapped[uuid.UUID | None]
    user_id: Mapped[uuid.UUID | None]
    group_id: Mapped[uuid.UUID | None]


class TaxiiStatus(Base):
    """The outcome of one TAXII POST (the status resource)."""

    __tablename__ = "taxii_statuses"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sharing_collections.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[uuid.UUID | None]
    user_id: Mapped[uuid.UUID | None]
    request_timestamp: Mapped[datetime]
    total: Mapped[int]
    success: Mapped[int]
    failure: Mapped[int]
    pending: Mapped[int]
    successes: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(default=list)


class SharedAccess(Base):
    """One page of shared objects served: who, which collection, which objects (the
    (date_added, seq) range and the filters, or the one object asked for)."""

    __tablename__ = "shared_access_log"
    __table_args__ = (Index("ix_shared_access_collection_at", "collection_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    at: Mapped[datetime]
    collection_id: Mapped[uuid.UUID]
    channel: Mapped[str] = mapped_column(String(20))
    route: Mapped[str] = mapped_column(String(40))
    principal: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[uuid.UUID | None]
    org_id: Mapped[uuid.UUID | None]
    count: Mapped[int]
    first_seq: Mapped[int | None]
    last_seq: Mapped[int | None]
    query: Mapped[str] = mapped_column(String(2000), default="")


class SyncSource(Base):
    """Another TAXII 2.1 server's collection that one local collection pulls from.

    ``cursor`` is the newest ``date_added`` (the remote's, as it sent it) of a page whose
    objects are committed here: a run starts just before it, so a run cut off mid-way
    resumes where it stopped, and objects sharing that instant are fetched again (adding
    a stored version again changes nothing) rather than lost.
    """

    __tablename__ = "sharing_sync_sources"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sharing_collections.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(String(2000))  # the remote collection, ending in "/"
    username: Mapped[str | None] = mapped_column(String(200))  # set: HTTP Basic; else Bearer
    secret: Mapped[str | None] = mapped_column(Text)  # token or password, encrypted (SecretBox)
    interval_minutes: Mapped[int]
    enabled: Mapped[bool] = mapped_column(default=True)
    apply_default_marking: Mapped[bool] = mapped_column(default=False)
    cursor: Mapped[str | None] = mapped_column(String(40))
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(2000))
    objects_added: Mapped[int] = mapped_column(default=0)  # new versions stored, all runs
    objects_refused: Mapped[int] = mapped_column(default=0)
    last_refusals: Mapped[list[dict[str, Any]]] = mapped_column(default=list)  # the newest 20
    created_at: Mapped[datetime]
