"""Feeds of published advisories: the platform as a CSAF 2.0 provider (provider metadata
and directory-based distribution), and an Atom feed.

CSAF (sections 7.1.1, 7.1.11-7.1.14, 7.1.18 of CSAF 2.0): ``/.well-known/csaf/
provider-metadata.json`` names one directory per TLP label (``white/``, ``green/``,
``amber/``, ``red/``). Each holds ``<year>/<file>.json`` (the year of the initial release,
the file name from the tracking id per section 5.1), its ``.sha256`` and ``.sha512``,
``index.txt`` (every file, one per line) and ``changes.csv`` (file and current release
date, newest first). Only the platform's own advisories are distributed (it is their
provider, not an aggregator), as their published ``csaf_security_advisory`` rendition.
Directories other than ``white/`` are access-protected: each caller sees only the
documents the policy lets them read, and an empty listing otherwise.

Atom (RFC 4287): the newest published advisories the caller may read.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from clearinghouse.advisories import service
from clearinghouse.advisories.models import (
    LOCAL_SOURCE,
    Advisory,
    AdvisoryState,
    Rendition,
    RenditionFormat,
    RenditionStatus,
)
from clearinghouse.api.deps import Ctx, CtxDep
from clearinghouse.api.media import answers
from clearinghouse.errors import NotFound
from clearinghouse.formats import model as m
from clearinghouse.policy import AdvisoryAction, can_advisory, require_advisory
from clearinghouse.timeutil import format_instant

router = APIRouter(tags=["feeds"])

CSAF_BASE: Final = "/.well-known/csaf"
FOLDERS: Final = {
    m.Tlp.CLEAR: "white",
    m.Tlp.GREEN: "green",
    m.Tlp.AMBER: "amber",
    m.Tlp.AMBER_STRICT: "amber",
    m.Tlp.RED: "red",
}
ATOM_LIMIT: Final = 100
_ATOM_NS: Final = "http://www.w3.org/2005/Atom"
_UNSAFE: Final = re.compile(r"[^+\-a-z0-9]+")


def csaf_filename(tracking_id: str) -> str:
    """CSAF 2.0 section 5.1: lower case, every run of other characters becomes ``_``."""
    return _UNSAFE.sub("_", tracking_id.lower()) + ".json"


@dataclass(frozen=True, slots=True)
class Distributed:
    advisory: Advisory
    folder: str
    path: str  # "<year>/<file>.json", relative to the folder
    content: bytes
    current_release: str


def _distributed(ctx: Ctx, folder: str | None = None) -> list[Distributed]:
    require_advisory(ctx.principal, AdvisoryAction.READ)  # the collection; then each one
    rows = ctx.session.execute(
        select(Advisory, Rendition)
        .join(Rendition, Rendition.advisory_id == Advisory.id)
        .where(
            Advisory.source == LOCAL_SOURCE,
            Advisory.state.in_((AdvisoryState.PUBLISHED, AdvisoryState.WITHDRAWN)),
            Rendition.revision == Advisory.published_revision,
            Rendition.format == RenditionFormat.CSAF,
            Rendition.status == RenditionStatus.RENDERED,
        )
    ).all()
    out = []
    for advisory, rendition in rows:
        tlp_folder = FOLDERS[advisory.tlp]
        if folder is not None and tlp_folder != folder:
            continue
        if not can_advisory(
            ctx.principal, AdvisoryAction.READ, service.facts(ctx.session, advisory)
        ):
            continue
        document = rendition.content or {}
        tracking = document.get("document", {}).get("tracking", {})
        initial = str(tracking.get("initial_release_date", ""))
        year = initial[:4] if initial[:4].isdigit() else str(advisory.created_at.year)
        path = f"{year}/{csaf_filename(str(tracking.get('id', advisory.public_id)))}"
        out.append(
            Distributed(
                advisory,
                tlp_folder,
                path,
                orjson.dumps(document, option=orjson.OPT_INDENT_2),
                str(tracking.get("current_release_date", "")),
            )
        )
    out.sort(key=lambda d: (d.current_release, d.path), reverse=True)
    return out


def _absolute(ctx: Ctx, path: str) -> str:
    return ctx.settings.base_url.rstrip("/") + path


@router.get(f"{CSAF_BASE}/provider-metadata.json", summary="CSAF provider metadata")
def provider_metadata(ctx: CtxDep) -> Response:
    publisher = service.platform_publisher(ctx.settings)
    published = [d.current_release for d in _distributed_all_public(ctx) if d.current_release]
    metadata = {
        "canonical_url": _absolute(ctx, f"{CSAF_BASE}/provider-metadata.json"),
        "distributions": [
            {"directory_url": _absolute(ctx, f"{CSAF_BASE}/{folder}/")}
            for folder in dict.fromkeys(FOLDERS.values())
        ],
        "last_updated": max(published) if published else format_instant(ctx.now()),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "publisher": {
            "category": publisher.category,
            "name": publisher.name,
            "namespace": publisher.namespace,
            **({"contact_details": publisher.contact} if publisher.contact else {}),
        },
        "role": "csaf_provider",
    }
    return Response(
        orjson.dumps(metadata, option=orjson.OPT_INDENT_2), media_type="application/json"
    )


def _distributed_all_public(ctx: Ctx) -> list[Distributed]:
    return _distributed(ctx, "white")


def _folder(name: str) -> str:
    if name not in set(FOLDERS.values()):
        raise NotFound(f"no CSAF directory {name!r}")
    return name


@router.get(
    f"{CSAF_BASE}/{{folder}}/index.txt", summary="CSAF directory index", **answers("text/plain")
)
def csaf_index(folder: str, ctx: CtxDep) -> Response:
    items = _distributed(ctx, _folder(folder))
    body = "".join(f"{d.path}\n" for d in sorted(items, key=lambda d: d.path))
    return Response(body, media_type="text/plain; charset=utf-8")


@router.get(
    f"{CSAF_BASE}/{{folder}}/changes.csv", summary="CSAF directory changes", **answers("text/csv")
)
def csaf_changes(folder: str, ctx: CtxDep) -> Response:
    items = _distributed(ctx, _folder(folder))
    body = "".join(f'"{d.path}","{d.current_release}"\n' for d in items)
    return Response(body, media_type="text/csv; charset=utf-8")


@router.get(
    f"{CSAF_BASE}/{{folder}}/{{year}}/{{filename}}",
    summary="One CSAF document (or its hash)",
    **answers("application/json", "text/plain"),
)
def csaf_document(folder: str, year: str, filename: str, ctx: CtxDep) -> Response:
    base, _, suffix = filename.partition(".json")
    wanted = f"{year}/{base}.json"
    for item in _distributed(ctx, _folder(folder)):
        if item.path != wanted:
            continue
        if suffix == "":
            return Response(item.content, media_type="application/json")
        if suffix in (".sha256", ".sha512"):
            digest = hashlib.new(suffix[1:], item.content).hexdigest()
            return Response(f"{digest}  {base}.json\n", media_type="text/plain; charset=utf-8")
        break
    raise NotFound(f"no CSAF document {folder}/{year}/{filename}")


@router.get(
    "/feeds/advisories.atom",
    summary="Atom feed of published advisories",
    **answers("application/atom+xml"),
)
def atom(ctx: CtxDep) -> Response:
    require_advisory(ctx.principal, AdvisoryAction.READ)  # the collection; then each one
    rows = ctx.session.scalars(
        select(Advisory)
        .where(
            Advisory.source == LOCAL_SOURCE,
            Advisory.state.in_((AdvisoryState.PUBLISHED, AdvisoryState.WITHDRAWN)),
        )
        .order_by(Advisory.last_published_at.desc(), Advisory.public_id)
        .limit(ATOM_LIMIT * 4)
    )
    entries = [
        a
        for a in rows
        if can_advisory(ctx.principal, AdvisoryAction.READ, service.facts(ctx.session, a))
    ][:ATOM_LIMIT]
    feed = ET.Element("feed", xmlns=_ATOM_NS)
    ET.SubElement(feed, "id").text = _absolute(ctx, "/feeds/advisories.atom")
    ET.SubElement(feed, "title").text = f"{ctx.settings.platform_name}: security advisories"
    updated = max((a.last_published_at for a in entries if a.last_published_at), default=None)
    ET.SubElement(feed, "updated").text = format_instant(updated or ctx.now())
    author = ET.SubElement(feed, "author")
    ET.SubElement(author, "name").text = ctx.settings.platform_name
    ET.SubElement(feed, "link", rel="self", href=_absolute(ctx, "/feeds/advisories.atom"))
    for advisory in entries:
        feed.append(_entry(ctx, advisory))
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
    return Response(body, media_type="application/atom+xml")


def _entry(ctx: Ctx, advisory: Advisory) -> ET.Element:
    doc = service.document(ctx.session, advisory)
    entry = ET.Element("entry")
    ET.SubElement(entry, "id").text = _absolute(ctx, f"/api/v1/advisories/{advisory.public_id}")
    title = f"{advisory.public_id}: {doc.title}"
    if advisory.state is AdvisoryState.WITHDRAWN:
        title = f"[withdrawn] {title}"
    ET.SubElement(entry, "title").text = title
    ET.SubElement(entry, "updated").text = format_instant(_instant(advisory.last_published_at, ctx))
    ET.SubElement(entry, "published").text = format_instant(_instant(advisory.published_at, ctx))
    summary = doc.summary or next((v.summary for v in doc.vulnerabilities if v.summary), doc.title)
    ET.SubElement(entry, "summary").text = summary
    ET.SubElement(
        entry,
        "link",
        rel="alternate",
        type="application/json",
        href=_absolute(ctx, f"/api/v1/advisories/{advisory.public_id}"),
    )
    ET.SubElement(
        entry,
        "link",
        rel="related",
        type="application/json",
        href=_absolute(ctx, f"/api/v1/advisories/{advisory.public_id}/export?format=csaf"),
    )
    for vuln in doc.vulnerabilities:
        if vuln.cve:
            ET.SubElement(entry, "category", term=vuln.cve)
    ET.SubElement(entry, "category", term=f"TLP:{advisory.tlp.value}")
    return entry


def _instant(value: datetime | None, ctx: Ctx) -> datetime:
    return value if value is not None else ctx.now()
