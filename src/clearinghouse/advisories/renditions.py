"""An advisory revision's renditions, stored: what publication rendered, or what an
imported advisory serves from its source document (an OSV record as its source wrote it,
or OSV renditions of another format's content)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clearinghouse.advisories import service
from clearinghouse.advisories.models import (
    Advisory,
    AdvisoryRevision,
    Rendition,
    RenditionFormat,
)
from clearinghouse.advisories.render import Rendered, render_osv
from clearinghouse.formats import model as m
from clearinghouse.timeutil import format_instant


def renditions_of(
    session: Session, advisory: Advisory, revision: int | None = None
) -> list[Rendition]:
    number = service.served_revision(advisory) if revision is None else revision
    return list(
        session.scalars(
            select(Rendition)
            .where(Rendition.advisory_id == advisory.id, Rendition.revision == number)
            .order_by(Rendition.format, Rendition.key)
        )
    )


def store_renditions(
    session: Session, advisory: Advisory, revision: int, rendered: list[Rendered], now: datetime
) -> list[Rendition]:
    session.execute(
        delete(Rendition).where(
            Rendition.advisory_id == advisory.id, Rendition.revision == revision
        )
    )
    rows = [
        Rendition(
            id=uuid.uuid4(),
            advisory_id=advisory.id,
            revision=revision,
            format=r.format,
            key=r.key,
            status=r.status,
            content=r.content,
            detail=r.detail,
            modified=r.modified,
            created_at=now,
        )
        for r in rendered
    ]
    session.add_all(rows)
    session.flush()
    return rows


def source_renditions(
    doc: m.Advisory, raw: dict[str, Any], withdrawn: datetime | None = None
) -> list[Rendered]:
    """What an imported advisory serves: an OSV record as its source wrote it (only the
    withdrawal stamped on), or OSV renditions of another format's content."""
    if isinstance(raw.get("document"), dict):
        return render_osv(doc)
    record = dict(raw)
    if withdrawn is not None:
        stamp = format_instant(withdrawn)
        record["withdrawn"] = stamp
        record["modified"] = stamp
    return [Rendered(RenditionFormat.OSV, str(raw.get("id", doc.id)), record)]


def imported_renditions(
    session: Session, advisory: Advisory, doc: m.Advisory, *, withdrawn: datetime | None = None
) -> list[Rendered]:
    """Renditions of an imported advisory's revision, from its newest source document."""
    found = session.scalars(
        select(AdvisoryRevision.source_document)
        .where(AdvisoryRevision.advisory_id == advisory.id)
        .order_by(AdvisoryRevision.number.desc())
    )
    # A JSON column stores Python None as JSON null, so filter here rather than in SQL.
    raw = next((d for d in found if isinstance(d, dict)), None)
    if raw is None:
        return render_osv(doc)
    return source_renditions(doc, raw, withdrawn)
