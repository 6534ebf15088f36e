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

The same documents are also distributed by ROLIE (7.1.15-7.1.16): one JSON feed per TLP
label (``feed-tlp-<label>.json``, filtered per caller like the directories) and a service
document listing them. When the platform has an OpenPGP signing key
(``CLEARINGHOUSE_CSAF_SIGNING_KEY_FILE``), every document also has a detached signature
``.asc`` (7.1.19), the public key is served under ``openpgp/`` with its fingerprint in the
metadata (7.1.20), and the role declared is ``csaf_trusted_provider``; without a key the
role stays ``csaf_provider`` and no ``.asc`` exists.

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
from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.media import answers
from clearinghouse.errors import ConfigurationError, NotFound
from clearinghouse.formats import model as m
from clearinghouse.pgp import PgpError, SigningKey, load_signing_key
from clearinghouse.policy import AdvisoryAction, can_advisory, require_advisory
from clearinghouse.runtime import Runtime
from clearinghouse.settings import Settings
from clearinghouse.timeutil import format_instant

router = admitted_router(tags=["feeds"])

CSAF_BASE: Final = "/.well-known/csaf"
FOLDERS: Final = {
    m.Tlp.CLEAR: "white",
    m.Tlp.GREEN: "green",
    m.Tlp.AMBER: "amber",
    m.Tlp.AMBER_STRICT: "amber",
    m.Tlp.RED: "red",
}
ROLIE_LABELS: Final = {"white": "WHITE", "green": "GREEN", "amber": "AMBER", "red": "RED"}
CSAF_SCHEMA_URL: Final = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
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


class CsafSigning:
    """The platform's CSAF signing key, loaded once per process (None: no key set)."""

    def __init__(self, key: SigningKey | None) -> None:
        self.key = key


def read_signing_key(settings: Settings) -> SigningKey | None:
    """The key ``CLEARINGHOUSE_CSAF_SIGNING_KEY_FILE`` names, checked; a bad one is a
    configuration error (the wiring reads it at start-up, so the server does not start)."""
    path = settings.csaf_signing_key_file
    if path is None:
        return None
    passphrase = settings.csaf_signing_key_passphrase
    try:
        armored = path.read_bytes()
        return load_signing_key(armored, passphrase.get_secret_value() if passphrase else None)
    except (OSError, PgpError) as exc:
        raise ConfigurationError(f"CLEARINGHOUSE_CSAF_SIGNING_KEY_FILE ({path}): {exc}") from exc


def signing_key(runtime: Runtime) -> SigningKey | None:
    return runtime.caches.get(
        CsafSigning, lambda: CsafSigning(read_signing_key(runtime.settings))
    ).key


def _key_path(key: SigningKey) -> str:
    return f"{CSAF_BASE}/openpgp/{key.fingerprint}.asc"


@router.get(f"{CSAF_BASE}/provider-metadata.json", summary="CSAF provider metadata")
def provider_metadata(ctx: CtxDep) -> Response:
    publisher = service.platform_publisher(ctx.settings)
    published = [d.current_release for d in _distributed_all_public(ctx) if d.current_release]
    key = signing_key(ctx.runtime)
    folders = list(dict.fromkeys(FOLDERS.values()))
    metadata = {
        "canonical_url": _absolute(ctx, f"{CSAF_BASE}/provider-metadata.json"),
        "distributions": [
            *({"directory_url": _absolute(ctx, f"{CSAF_BASE}/{folder}/")} for folder in folders),
            {
                "rolie": {
                    "feeds": [
                        {
                            "summary": f"{ctx.settings.platform_name}: CSAF advisories, "
                            f"TLP:{ROLIE_LABELS[folder]}",
                            "tlp_label": ROLIE_LABELS[folder],
                            "url": _absolute(ctx, _feed_path(folder)),
                        }
                        for folder in folders
                    ],
                    "services": [_absolute(ctx, f"{CSAF_BASE}/service.json")],
                }
            },
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
        "role": "csaf_trusted_provider" if key is not None else "csaf_provider",
    }
    if key is not None:
        metadata["public_openpgp_keys"] = [
            {"fingerprint": key.fingerprint, "url": _absolute(ctx, _key_path(key))}
        ]
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
    summary="One CSAF document (or its hash, or its signature)",
    **answers("application/json", "text/plain", "application/pgp-signature"),
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
        key = signing_key(ctx.runtime)
        if suffix == ".asc" and key is not None:
            return Response(key.sign_detached(item.content), media_type="application/pgp-signature")
        break
    raise NotFound(f"no CSAF document {folder}/{year}/{filename}")


@router.get(
    f"{CSAF_BASE}/openpgp/{{key_file}}",
    summary="The public OpenPGP key that signs the CSAF documents",
    **answers("application/pgp-keys"),
)
def csaf_public_key(key_file: str, ctx: CtxDep) -> Response:
    require_advisory(ctx.principal, AdvisoryAction.READ)  # public: the key of public files
    key = signing_key(ctx.runtime)
    if key is None or key_file != f"{key.fingerprint}.asc":
        raise NotFound(f"no OpenPGP key {key_file}")
    return Response(key.public_armored, media_type="application/pgp-keys")


def _feed_path(folder: str) -> str:
    return f"{CSAF_BASE}/feed-tlp-{folder}.json"


@router.get(f"{CSAF_BASE}/service.json", summary="CSAF ROLIE service document")
def rolie_service(ctx: CtxDep) -> Response:
    require_advisory(ctx.principal, AdvisoryAction.READ)
    collections = [
        {
            "title": f"CSAF advisories, TLP:{label}",
            "href": _absolute(ctx, _feed_path(folder)),
            "categories": {
                "category": [
                    {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
                ]
            },
        }
        for folder, label in ROLIE_LABELS.items()
    ]
    body = {
        "service": {
            "workspace": [
                {"title": f"{ctx.settings.platform_name} CSAF", "collection": collections}
            ]
        }
    }
    return Response(orjson.dumps(body, option=orjson.OPT_INDENT_2), media_type="application/json")


@router.get(f"{CSAF_BASE}/feed-tlp-{{folder}}.json", summary="CSAF ROLIE feed of one TLP label")
def rolie_feed(folder: str, ctx: CtxDep) -> Response:
    folder = _folder(folder)
    items = _distributed(ctx, folder)
    key = signing_key(ctx.runtime)
    entries = []
    for item in items:
        url = _absolute(ctx, f"{CSAF_BASE}/{folder}/{item.path}")
        tracking = orjson.loads(item.content).get("document", {}).get("tracking", {})
        links = [
            {"rel": "self", "href": url},
            {"rel": "hash", "href": f"{url}.sha256"},
            {"rel": "hash", "href": f"{url}.sha512"},
        ]
        if key is not None:
            links.append({"rel": "signature", "href": f"{url}.asc"})
        entries.append(
            {
                "id": str(tracking.get("id", item.advisory.public_id)),
                "title": str(orjson.loads(item.content).get("document", {}).get("title", "")),
                "link": links,
                "published": str(tracking.get("initial_release_date", item.current_release)),
                "updated": item.current_release,
                "content": {"type": "application/json", "src": url},
                "format": {"schema": CSAF_SCHEMA_URL, "version": "2.0"},
            }
        )
    feed = {
        "feed": {
            "id": f"{ctx.settings.platform_name.lower().replace(' ', '-')}-csaf-feed-tlp-{folder}",
            "title": f"{ctx.settings.platform_name}: CSAF advisories, TLP:{ROLIE_LABELS[folder]}",
            "link": [{"rel": "self", "href": _absolute(ctx, _feed_path(folder))}],
            "category": [
                {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
            ],
            "updated": max((d.current_release for d in items), default=format_instant(ctx.now())),
            "entry": entries,
        }
    }
    return Response(orjson.dumps(feed, option=orjson.OPT_INDENT_2), media_type="application/json")


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
