"""Exporting one advisory in one format (the API's ``export`` and ``clearinghouse advisory
export``).

What was published is exported as published: a stored rendition of the served revision
wins (for an imported OSV record, that is the record as its source wrote it). Anything
else (a draft's preview, a format not stored for an imported advisory) is rendered from
the revision's neutral document on demand, and validated like a published rendition.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.advisories import service
from clearinghouse.advisories.models import Advisory, Rendition, RenditionFormat, RenditionStatus
from clearinghouse.advisories.render import RenderContext, Rendered, render
from clearinghouse.errors import ClearinghouseError, NotFound


class ExportError(ClearinghouseError):
    code = "rendition-failed"
    status = 422
    title = "The advisory cannot be rendered in this format"
    exit_code = 1


def export(
    session: Session,
    advisory: Advisory,
    fmt: RenditionFormat,
    ctx: RenderContext,
    *,
    revision: int | None = None,
    key: str | None = None,
) -> dict[str, Any] | list[dict[str, Any]]:
    """The document(s) of ``fmt`` for a revision (default: the served one).

    One-document formats give an object. OSV (a record per vulnerability) and CVE 5.x (a
    record per CVE) give the one record named by ``key``, the only record when there is
    one, else a list of all (records that do not apply left out). A failed rendition, or a
    format that does not apply at all, is an :class:`ExportError` saying why.
    """
    number = service.served_revision(advisory) if revision is None else revision
    stored = list(
        session.scalars(
            select(Rendition)
            .where(
                Rendition.advisory_id == advisory.id,
                Rendition.revision == number,
                Rendition.format == fmt,
            )
            .order_by(Rendition.key)
        )
    )
    if stored:
        items = [Rendered(r.format, r.key, r.content, r.status, r.detail) for r in stored]
    else:
        doc = service.document(session, advisory, number)
        items = render(doc, fmt, ctx)
    if key is not None:
        items = [item for item in items if item.key == key]
        if not items:
            raise NotFound(f"{advisory.public_id} has no {fmt.value} record {key}")
    documents = [item.content for item in items if item.content is not None]
    failures = [
        f"{r.key or fmt.value}: {r.detail}" for r in items if r.status is RenditionStatus.FAILED
    ]
    if failures:
        raise ExportError(f"{advisory.public_id} as {fmt.value}: " + "; ".join(failures)[:2000])
    if not documents:
        reasons = "; ".join(dict.fromkeys(r.detail or "" for r in items)) or "nothing to render"
        raise ExportError(f"{advisory.public_id} as {fmt.value} does not apply: {reasons}"[:2000])
    if len(documents) == 1:
        return documents[0]
    return documents
