"""Advisory tables: advisories, their revisions, published renditions, and the look-up
index (affected packages by ecosystem and name; record ids and aliases).

Why revisions are stored whole: every revision is the neutral advisory
(:mod:`clearinghouse.formats.neutral`) as JSON, immutable once written. What was
published, and when, can always be rendered again; a diff is computed between two
stored documents, never kept as a patch chain that one bad row would break.

Why the index is separate: the OSV API and exposure matching ask "which advisories name
package P of ecosystem E?" thousands of times a second; one row per affected package of
the revision that is *served* (the published one, else the current draft), indexed on
``(ecosystem, name)``, answers that without opening any document.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.db import Base, enum_column, new_id
from clearinghouse.formats.model import Tlp

LOCAL_SOURCE = "local"


class AdvisoryState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # a publication job waits for the embargo's end
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"  # an audited correction: still served, marked withdrawn


class RenditionFormat(enum.StrEnum):
    CSAF = "csaf"  # CSAF 2.0 csaf_security_advisory, one document
    CSAF_VEX = "csaf_vex"  # CSAF 2.0 csaf_vex, one document
    OSV = "osv"  # OSV 1.7, one record per vulnerability (key: the record id)
    CVE5 = "cve5"  # CVE Record 5.x, one per CVE (key: the CVE id)
    CYCLONEDX_VEX = "cyclonedx_vex"  # CycloneDX VEX, one document


class Advisory(Base):
    __tablename__ = "advisories"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_advisories_source_source_id"),
        Index("ix_advisories_state_published", "state", "published_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # CH-2026-0001 for local advisories; the source's id (PYSEC-..., GHSA-..., a CSAF
    # tracking id) for imported ones.
    public_id: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    # The case this advisory was drafted from (cases.id); no foreign key so that the
    # advisories domain does not depend on the cases tables' life cycle.
    case_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    state: Mapped[AdvisoryState] = mapped_column(enum_column(AdvisoryState))
    # Required: a missing marking is never CLEAR, so there is no default.
    tlp: Mapped[Tlp] = mapped_column(enum_column(Tlp))
    # "local", or where an import came from: "osv:PyPA", "osv:RustSec", "csaf:<namespace>".
    source: Mapped[str] = mapped_column(String(300))
    source_id: Mapped[str] = mapped_column(String(200))
    # The source's revision of the newest revision: OSV ``modified``, CSAF tracking version.
    source_revision: Mapped[str | None] = mapped_column(String(100))
    current_revision: Mapped[int]
    published_revision: Mapped[int | None]
    scheduled_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]  # first publication
    last_published_at: Mapped[datetime | None]  # newest (re)publication
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    # Who may receive it beyond what TLP alone allows (AMBER: organisations; RED: people):
    # the served revision's (each revision keeps its own; ``service.serve`` copies them).
    recipient_org_ids: Mapped[list[str]] = mapped_column(default=list)
    recipient_user_ids: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by_label: Mapped[str] = mapped_column(String(320))

    @property
    def is_local(self) -> bool:
        return self.source == LOCAL_SOURCE


class AdvisoryRevision(Base):
    __tablename__ = "advisory_revisions"
    __table_args__ = (UniqueConstraint("advisory_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    advisory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    document: Mapped[dict[str, Any]]  # formats.neutral.to_json of the neutral advisory
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical document
    source_revision: Mapped[str | None] = mapped_column(String(100))
    # The document as the source sent it (imports only): kept for audit and comparison.
    source_document: Mapped[dict[str, Any] | None]
    summary: Mapped[str] = mapped_column(Text)
    # Who this revision names (see ``Advisory``): a draft's recipients reach nobody until
    # it is served, and the published revision's stay as they were meanwhile.
    recipient_org_ids: Mapped[list[str]] = mapped_column(default=list, server_default=text("'[]'"))
    recipient_user_ids: Mapped[list[str]] = mapped_column(default=list, server_default=text("'[]'"))
    author_user_id: Mapped[uuid.UUID | None]
    author_label: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]


class RenditionStatus(enum.StrEnum):
    RENDERED = "rendered"  # ``content`` holds the document
    FAILED = "failed"  # the format should carry the advisory but could not; ``detail`` says why
    NOT_APPLICABLE = "not_applicable"  # the format has nothing to say here; ``detail`` says why


class Rendition(Base):
    """One rendition of one revision: the document, why it failed, or why the format does
    not apply (an OSV record of an advisory naming no package, a CVE record without CVE)."""

    __tablename__ = "advisory_renditions"
    __table_args__ = (UniqueConstraint("advisory_id", "revision", "format", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    advisory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int]
    format: Mapped[RenditionFormat] = mapped_column(enum_column(RenditionFormat))
    # "" for one-document formats; the OSV record id or the CVE id otherwise.
    key: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[RenditionStatus] = mapped_column(enum_column(RenditionStatus))
    content: Mapped[dict[str, Any] | None]
    detail: Mapped[str | None] = mapped_column(Text)
    # OSV records: their ``modified`` text, so that batch queries need not read documents.
    modified: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]


class AdvisoryPackage(Base):
    """One affected package of one vulnerability of the served revision (the index)."""

    __tablename__ = "advisory_packages"
    __table_args__ = (Index("ix_advisory_packages_ecosystem_name", "ecosystem", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    advisory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int]
    record_id: Mapped[str] = mapped_column(String(200))  # the vulnerability's (OSV record's) id
    position: Mapped[int]  # index of the affected entry within the record (cache key)
    ecosystem: Mapped[str] = mapped_column(String(100))  # casefolded OSV ecosystem
    name: Mapped[str] = mapped_column(String(300))  # normalised (PyPI: PEP 503)
    display_ecosystem: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(300))
    purl: Mapped[str | None] = mapped_column(String(500))
    ranges: Mapped[list[dict[str, Any]]]  # neutral VersionRange JSON
    versions: Mapped[list[str]]
    # The record is withdrawn (queries skip it; record look-ups and exports still serve it).
    withdrawn: Mapped[bool] = mapped_column(default=False)


class AdvisoryIdentifier(Base):
    """A record id or alias (CVE-..., GHSA-...) of a vulnerability of the served revision."""

    __tablename__ = "advisory_identifiers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    advisory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), index=True
    )
    record_id: Mapped[str] = mapped_column(String(200), index=True)
    identifier: Mapped[str] = mapped_column(String(200), index=True)
    is_alias: Mapped[bool]


class AdvisorySequence(Base):
    """The last number handed out per year for local public ids (CH-YYYY-NNNN)."""

    __tablename__ = "advisory_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int]
