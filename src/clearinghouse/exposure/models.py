"""Exposure tables: inventories and their upload history, the component index matching
reads, findings with their history, VEX statements, and declared products.

Why components are one narrow table: both directions of incremental matching read it. A
new advisory asks "who runs package P at which versions?": the covering index
``(ecosystem, name, version, release, org_id, inventory_id)`` answers from the index
alone, one entry per distinct installed version checked once. A new inventory asks the
advisory index (``advisory_packages``) the other way round. A component whose package URL
names a distribution package with a different source package gets one row per name
(Debian's and Alpine's records name source packages), so the same component ``ref`` may
appear twice.

Why uploads keep a summary, not the document: history is "what changed" (components
added, removed, upgraded), computed once when the upload replaces the previous one; the
components of the current upload are the index rows themselves.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.db import Base, enum_column, new_id
from clearinghouse.formats.model import Justification


class FindingState(enum.StrEnum):
    NEW = "new"  # matched; nobody has looked yet
    ACKNOWLEDGED = "acknowledged"  # the member confirms it is affected and is working on it
    FIXED = "fixed"  # fixed (stated by the member, or the component left the inventory)
    NOT_AFFECTED = "not_affected"  # with a VEX justification (CSAF 2.0 flag labels)


def _justification() -> Enum:
    """CSAF's longest flag label is 49 characters (``enum_column`` keeps 40)."""
    return Enum(
        Justification, native_enum=False, length=60, values_callable=lambda e: [m.value for m in e]
    )


class FindingSource(enum.StrEnum):
    """Who moved a finding: the matching jobs, or a person of the organisation."""

    MATCH = "match"  # first matched, matched again after a gap
    UNMATCHED = "unmatched"  # the component left the inventory, or the advisory stopped naming it
    MEMBER = "member"


class VexFormat(enum.StrEnum):
    CYCLONEDX = "cyclonedx"  # CycloneDX 1.6 with vulnerabilities[].analysis
    CSAF = "csaf"  # CSAF 2.0, csaf_vex profile


class Inventory(Base):
    """One system or product of an organisation, by name; its components are those of
    the newest upload (``current_upload``)."""

    __tablename__ = "inventories"
    __table_args__ = (
        UniqueConstraint("org_id", "name", name="uq_inventories_org_id_name"),
        Index("ix_inventories_org_updated", "org_id", "updated_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    current_upload: Mapped[int]  # the number of the upload whose components are indexed
    components: Mapped[int]  # in the current upload
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InventoryUpload(Base):
    """One upload of an inventory, with what it changed against the one before."""

    __tablename__ = "inventory_uploads"
    __table_args__ = (UniqueConstraint("inventory_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    inventory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inventories.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    uploaded_at: Mapped[datetime]
    uploaded_by_label: Mapped[str] = mapped_column(String(320))
    uploaded_by_user_id: Mapped[uuid.UUID | None]
    format: Mapped[str] = mapped_column(String(40))  # formats.inventory.SbomFormat
    spec_version: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(500))  # the product the SBOM describes
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the document as uploaded
    size: Mapped[int]  # bytes
    components: Mapped[int]
    matchable: Mapped[int]  # with a package URL OSV covers and a version
    dependencies: Mapped[int]  # edges of the dependency graph
    added: Mapped[int]
    removed: Mapped[int]
    changed: Mapped[int]  # same package, another version
    # {"added": [purl...], "removed": [...], "changed": [{"package", "from", "to"}...]},
    # each list cut at a bound (the counts above are exact).
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class InventoryComponent(Base):
    """A component of an inventory's current upload, as matching reads it."""

    __tablename__ = "inventory_components"
    __table_args__ = (
        Index(
            "ix_inventory_components_match",
            "ecosystem",
            "name",
            "version",
            "release",
            "org_id",
            "inventory_id",
        ),
        Index("ix_inventory_components_inventory", "inventory_id", "ecosystem", "name"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    inventory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inventories.id", ondelete="CASCADE")
    )
    org_id: Mapped[uuid.UUID]  # the inventory's organisation (who an advisory affects)
    # OSV coordinates: ecosystem casefolded without a release ("maven", "debian"), the
    # name as the advisory index stores it (PyPI: PEP 503), the distribution release ("12",
    # "v3.19"; "" when the purl names none). Empty ecosystem: nothing OSV can match.
    ecosystem: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(200))
    release: Mapped[str] = mapped_column(String(50))
    ref: Mapped[str] = mapped_column(Text)  # unique within the upload (bom-ref, SPDXID)
    label: Mapped[str] = mapped_column(Text)  # the component's own name
    purl: Mapped[str | None] = mapped_column(Text)
    parent: Mapped[str | None] = mapped_column(Text)  # the enclosing component's ref


class Finding(Base):
    """An advisory affects a component of an inventory (or did: ``matching`` False)."""

    __tablename__ = "exposure_findings"
    __table_args__ = (
        UniqueConstraint("inventory_id", "advisory_id", "key"),
        Index("ix_exposure_findings_org", "org_id", "last_matched_at", "id"),
        Index("ix_exposure_findings_advisory", "advisory_id", "matching"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    inventory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inventories.id", ondelete="CASCADE")
    )
    advisory_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"))
    record_id: Mapped[str] = mapped_column(String(200))  # the vulnerability's OSV id
    key: Mapped[str] = mapped_column(String(64))  # SHA-256 of (record_id, component ref)
    component_ref: Mapped[str] = mapped_column(Text)
    purl: Mapped[str | None] = mapped_column(Text)
    ecosystem: Mapped[str] = mapped_column(String(100))  # as the advisory writes it
    package: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(200))
    fixed: Mapped[list[str]] = mapped_column(default=list)
    # Listed because the ranges cannot exclude it (an unreadable version or boundary): why.
    undecided: Mapped[str | None] = mapped_column(Text)
    state: Mapped[FindingState] = mapped_column(enum_column(FindingState))
    justification: Mapped[Justification | None] = mapped_column(_justification())
    detail: Mapped[str | None] = mapped_column(Text)  # the member's words with its state
    matching: Mapped[bool]  # the current upload and the served revision still match
    first_matched_at: Mapped[datetime]
    last_matched_at: Mapped[datetime]
    unmatched_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # When the organisation was told (a published advisory it may read); None: not yet
    # (a draft, an embargo, a marking it may not read), and in which "aware" event.
    told_at: Mapped[datetime | None]
    aware_event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("timeline_events.id", ondelete="SET NULL")
    )


class FindingEvent(Base):
    """One step of a finding's history (never updated)."""

    __tablename__ = "exposure_finding_events"
    __table_args__ = (Index("ix_exposure_finding_events_finding", "finding_id", "at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    finding_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exposure_findings.id", ondelete="CASCADE")
    )
    at: Mapped[datetime]
    source: Mapped[FindingSource] = mapped_column(enum_column(FindingSource))
    actor_label: Mapped[str] = mapped_column(String(320))
    actor_user_id: Mapped[uuid.UUID | None]
    from_state: Mapped[FindingState | None] = mapped_column(enum_column(FindingState))
    to_state: Mapped[FindingState] = mapped_column(enum_column(FindingState))
    justification: Mapped[Justification | None] = mapped_column(_justification())
    reason: Mapped[str] = mapped_column(Text, default="")


class VexStatement(Base):
    """A VEX document an organisation published about one of its findings, in its name."""

    __tablename__ = "vex_statements"
    __table_args__ = (Index("ix_vex_statements_advisory", "advisory_id", "published_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    finding_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("exposure_findings.id", ondelete="SET NULL"), index=True
    )
    advisory_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"))
    record_id: Mapped[str] = mapped_column(String(200))
    format: Mapped[VexFormat] = mapped_column(enum_column(VexFormat))
    status: Mapped[str] = mapped_column(String(40))  # affected, not_affected, fixed, ...
    justification: Mapped[Justification | None] = mapped_column(_justification())
    document: Mapped[dict[str, Any]]
    published_at: Mapped[datetime]
    published_by_label: Mapped[str] = mapped_column(String(320))
    published_by_user_id: Mapped[uuid.UUID | None]


class DeclaredProduct(Base):
    """A package an organisation declares it makes (a vendor's products): vendors are
    proposed for a case whose affected packages they declare."""

    __tablename__ = "declared_products"
    __table_args__ = (
        UniqueConstraint("org_id", "ecosystem", "name"),
        Index("ix_declared_products_package", "ecosystem", "name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    ecosystem: Mapped[str] = mapped_column(String(100))  # casefolded OSV ecosystem
    name: Mapped[str] = mapped_column(String(300))  # normalised as the advisory index does
    purl: Mapped[str] = mapped_column(String(500))  # as declared, canonical, without version
    created_at: Mapped[datetime]
