"""Importing advisories from other sources: OSV records (a file, a directory, a zip; JSON
or YAML) and CSAF 2.0 documents.

Each imported advisory keeps its source (``osv:PyPA``, ``osv:RustSec``, ``osv:GHSA``,
``csaf:<publisher namespace>``), its id there and its revision there (OSV ``modified``,
CSAF tracking version). Importing the revision already stored is a no-op; a newer one
adds a revision; an older one is ignored (reported as such). Sources that describe the
same vulnerability are all kept: :mod:`clearinghouse.advisories.compare` shows where
they differ.

Limits, because archives come from outside: a file over ``max_file_bytes`` is refused
before it is read; a zip is refused when it declares more than ``max_members`` members
or more than ``max_total_bytes`` uncompressed, and every member is read through a
bounded reader, so a member that lies about its size cannot inflate past the limit (zip
bombs). ``max_total_bytes`` is the setting ``CLEARINGHOUSE_IMPORT_MAX_TOTAL_BYTES``. A zip
that cannot be read (a corrupt member, whatever its compression; an encrypted document,
refused before anything is read) is refused whole with :class:`ImportRefusedError`.
Documents are read one at a time and stored in chunks bounded by count and by bytes, so
an import holds one chunk in memory, whatever the archive's size. YAML is read by the
safe loader with aliases refused (billion laughs).

TLP: OSV has no marking; the importer must say how to treat records that carry none
(public databases: ``CLEAR``), because a missing marking is never read as CLEAR. A CSAF
document's own TLP label wins; one without a label gets ``tlp`` if given, else AMBER.

Each document is imported in its own savepoint: one bad record is reported and the
others still import. That includes a document holding a value longer than its column
keeps (an id, a source, a package name): it is refused by name before anything is
inserted, on SQLite as on PostgreSQL, never cut.
"""

from __future__ import annotations

import enum
import io
import lzma
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clearinghouse.advisories import index, service
from clearinghouse.advisories.models import (
    Advisory,
    AdvisoryRevision,
    AdvisoryState,
    Rendition,
)
from clearinghouse.advisories.renditions import source_renditions, store_renditions
from clearinghouse.audit import service as audit
from clearinghouse.db import overlong, string_limits
from clearinghouse.errors import ClearinghouseError, Conflict, InvalidInput, PayloadTooLarge
from clearinghouse.formats import csaf, neutral, osv
from clearinghouse.formats import model as m
from clearinghouse.formats.schemas import load_document
from clearinghouse.policy import AdvisoryAction, require_advisory
from clearinghouse.principal import Principal
from clearinghouse.settings import Settings
from clearinghouse.timeutil import format_instant
from clearinghouse.versions import compile_ranges

SUFFIXES: Final = (".json", ".yaml", ".yml")
_OSV_SOURCES: Final = {
    "PYSEC": "osv:PyPA",
    "RUSTSEC": "osv:RustSec",
    "GHSA": "osv:GHSA",
    "GO": "osv:Go",
}


class ImportRefusedError(InvalidInput):
    code = "invalid-import"
    title = "The import cannot be read"


@dataclass(frozen=True, slots=True)
class ImportLimits:
    max_file_bytes: int = 4 * 1024 * 1024
    max_members: int = 50_000  # files in a directory or members of a zip
    # uncompressed, over the whole import (CLEARINGHOUSE_IMPORT_MAX_TOTAL_BYTES)
    max_total_bytes: int = 256 * 1024 * 1024


DEFAULT_LIMITS: Final = ImportLimits()
_SETTING: Final = " (CLEARINGHOUSE_IMPORT_MAX_TOTAL_BYTES)"


def limits_for(settings: Settings) -> ImportLimits:
    return ImportLimits(max_total_bytes=settings.import_max_total_bytes)


class Outcome(enum.StrEnum):
    CREATED = "created"
    REVISED = "revised"
    UNCHANGED = "unchanged"  # this revision is already stored
    OLDER = "older"  # the source sent an older revision than the one stored
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ImportItem:
    name: str  # file or zip member
    outcome: Outcome
    public_id: str | None = None
    source: str | None = None
    source_revision: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()  # what an imported document could not say faithfully


@dataclass
class ImportReport:
    items: list[ImportItem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys((o.value for o in Outcome), 0)
        for item in self.items:
            out[item.outcome.value] += 1
        return out

    @property
    def failed(self) -> list[ImportItem]:
        return [i for i in self.items if i.outcome is Outcome.FAILED]

    @property
    def warned(self) -> list[ImportItem]:
        return [i for i in self.items if i.warnings]


@dataclass(frozen=True, slots=True)
class ImportOptions:
    actor: Principal
    now: datetime
    tlp: m.Tlp | None = None
    source: str | None = None  # e.g. "osv:PyPA"; inferred from ids when None
    # CSAF documents failing a mandatory test: refused, or imported with the findings
    on_csaf_findings: csaf.OnFindings = csaf.OnFindings.REFUSE


# ---- reading files, directories and archives ---------------------------------------------------


def iter_path(path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every document under ``path`` (a file, a directory or a zip)."""
    if path.is_dir():
        yield from _iter_directory(path, limits)
        return
    size = path.stat().st_size
    if path.suffix.lower() == ".zip":
        if size > limits.max_total_bytes:
            raise PayloadTooLarge(
                f"{path.name} is {size} bytes; the limit is {limits.max_total_bytes}{_SETTING}"
            )
        with path.open("rb") as handle:
            yield from iter_zip(handle, limits)
        return
    if size > limits.max_file_bytes:
        raise PayloadTooLarge(f"{path.name} is {size} bytes; the limit is {limits.max_file_bytes}")
    yield path.name, path.read_bytes()


def _iter_directory(root: Path, limits: ImportLimits) -> Iterator[tuple[str, bytes]]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if len(files) > limits.max_members:
        raise PayloadTooLarge(
            f"{root} holds {len(files)} documents; the limit is {limits.max_members}"
        )
    total = 0
    for item in files:
        size = item.stat().st_size
        total += size
        if total > limits.max_total_bytes:
            raise PayloadTooLarge(
                f"{root}: more than {limits.max_total_bytes} bytes in all{_SETTING}"
            )
        name = str(item.relative_to(root))
        if size > limits.max_file_bytes:
            yield name, b""  # reported as too large by the caller's parse step
            continue
        yield name, item.read_bytes()


def iter_zip(handle: Any, limits: ImportLimits = DEFAULT_LIMITS) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every JSON or YAML member of a zip.

    The whole archive is refused (:class:`ImportRefusedError`, or :class:`PayloadTooLarge`
    for the limits) when it cannot be read, declares too much, holds an encrypted document,
    or a member's data turns out corrupt as it is read.
    """
    archive = _open_zip(handle)
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        _check_members(members, limits)
        total = 0
        for info in members:
            if not info.filename.lower().endswith(SUFFIXES):
                continue
            if info.file_size > limits.max_file_bytes:
                yield info.filename, b""
                continue
            data = _read_member(archive, info, limits)
            total += len(data)
            if len(data) > limits.max_file_bytes or total > limits.max_total_bytes:
                raise PayloadTooLarge(
                    f"{info.filename} expands beyond its declared size or the limits"
                )
            yield info.filename, data


# What zipfile raises for a damaged archive or member: its own BadZipFile, and whatever
# the decompressor or the header reading meets (deflate: zlib.error; bzip2: OSError; LZMA:
# LZMAError; truncated data: EOFError; a bad offset or a name that is not UTF-8:
# ValueError; an encrypted member: RuntimeError; an unknown method or version:
# NotImplementedError).
_UNREADABLE: Final = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)
_ENCRYPTED: Final = 0x1  # general purpose flag bit 0 (APPNOTE 4.4.4)


def _open_zip(handle: Any) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(handle)
    except _UNREADABLE as exc:
        raise ImportRefusedError(f"not a readable zip archive: {exc}") from None


def _check_members(members: list[zipfile.ZipInfo], limits: ImportLimits) -> None:
    """Refuse, before anything is read, an archive declaring too much or holding an
    encrypted document (there is no password to give)."""
    if len(members) > limits.max_members:
        raise PayloadTooLarge(
            f"the archive holds {len(members)} members; the limit is {limits.max_members}"
        )
    declared = sum(i.file_size for i in members)
    if declared > limits.max_total_bytes:
        raise PayloadTooLarge(
            f"the archive expands to {declared} bytes; the limit is "
            f"{limits.max_total_bytes}{_SETTING}"
        )
    encrypted = [
        i.filename
        for i in members
        if i.flag_bits & _ENCRYPTED and i.filename.lower().endswith(SUFFIXES)
    ]
    if encrypted:
        more = f" and {len(encrypted) - 1} more" if len(encrypted) > 1 else ""
        raise ImportRefusedError(
            f"{encrypted[0]}{more}: encrypted zip members cannot be imported; "
            "zip the documents again without a password"
        )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ImportLimits) -> bytes:
    try:
        with archive.open(info) as member:
            # Bounded whatever the header says (zipfile also stops at the declared size
            # and then fails the CRC check of a member that lied).
            return member.read(limits.max_file_bytes + 1)
    except _UNREADABLE as exc:
        raise ImportRefusedError(f"{info.filename}: corrupt zip member ({exc})") from None


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


# ---- importing ---------------------------------------------------------------------------------

# Documents stored per round of look-ups and inserts: at most CHUNK of them, and no more
# than CHUNK_BYTES of their source text, because each is held several times over while its
# rows are built and inserted (the document, its renditions, their JSON for the driver).
CHUNK: Final = 500
CHUNK_BYTES: Final = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Parsed:
    name: str
    doc: m.Advisory
    raw: dict[str, Any]
    source: str
    revision: str  # the source's revision: OSV modified, CSAF tracking version
    warnings: tuple[str, ...] = ()


def import_path(
    session: Session, path: Path, options: ImportOptions, limits: ImportLimits = DEFAULT_LIMITS
) -> ImportReport:
    require_advisory(options.actor, AdvisoryAction.WRITE)
    return import_documents(session, iter_path(path, limits), options, limits)


def import_upload(
    session: Session,
    name: str,
    data: bytes,
    options: ImportOptions,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ImportReport:
    """One uploaded file: a zip of documents, or one JSON/YAML document."""
    require_advisory(options.actor, AdvisoryAction.WRITE)
    if len(data) > limits.max_total_bytes:
        raise PayloadTooLarge(
            f"the upload is {len(data)} bytes; the limit is {limits.max_total_bytes}{_SETTING}"
        )
    files = iter_zip(io.BytesIO(data), limits) if is_zip(data) else iter([(name, data)])
    return import_documents(session, files, options, limits)


def import_documents(
    session: Session,
    files: Iterable[tuple[str, bytes]],
    options: ImportOptions,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ImportReport:
    """Import (name, bytes) documents as they come: parse each, then store them in chunks
    (:data:`CHUNK`, :data:`CHUNK_BYTES`), so that memory holds one chunk at a time."""
    require_advisory(options.actor, AdvisoryAction.WRITE)
    limit = string_limits(Advisory)["source"]
    if options.source is not None and len(options.source) > limit:
        raise InvalidInput(f"a source has at most {limit} characters", field="source")
    report = ImportReport()
    pending: list[_Parsed] = []
    pending_bytes = 0
    for name, data in files:
        pending.extend(_parse_file(name, data, options, report, limits))
        pending_bytes += len(data)
        del data  # the parsed document is what the chunk needs
        if len(pending) >= CHUNK or pending_bytes >= CHUNK_BYTES:
            _store_chunk(session, pending, options, report)
            pending, pending_bytes = [], 0
    if pending:
        _store_chunk(session, pending, options, report)
    return report


def _parse_file(
    name: str, data: bytes, options: ImportOptions, report: ImportReport, limits: ImportLimits
) -> list[_Parsed]:
    """A file may hold one OSV record, a list of them, or one CSAF document."""
    if not data or len(data) > limits.max_file_bytes:
        report.items.append(
            ImportItem(
                name, Outcome.FAILED, error=f"empty, or larger than {limits.max_file_bytes} bytes"
            )
        )
        return []
    try:
        value = load_document(data, filename=name, error=osv.OsvError)
    except ClearinghouseError as exc:
        report.items.append(ImportItem(name, Outcome.FAILED, error=exc.detail))
        return []
    documents = value if isinstance(value, list) else [value]
    out = []
    for position, item in enumerate(documents):
        label = name if len(documents) == 1 else f"{name}[{position}]"
        try:
            out.append(_parse_one(label, item, options))
        except ClearinghouseError as exc:
            report.items.append(ImportItem(label, Outcome.FAILED, error=exc.detail))
    return out


def _parse_one(name: str, value: Any, options: ImportOptions) -> _Parsed:
    if not isinstance(value, dict):
        raise ImportRefusedError("a document is a JSON object")
    if isinstance(value.get("document"), dict):
        doc = csaf.parse_csaf(
            value, default_tlp=options.tlp or m.Tlp.AMBER, on_findings=options.on_csaf_findings
        )
        source = options.source or f"csaf:{doc.publisher.namespace}"
        revision = _csaf_version(value) or format_instant(doc.current_release)
        _check_storable(
            (doc.id, "document.tracking.id"),
            (source, "the source (csaf: and document.publisher.namespace)"),
            (revision, "document.tracking.version"),
        )
        return _Parsed(
            name, doc, value, source, revision, _csaf_warnings(doc) + _range_warnings(doc)
        )
    record = osv.parse_osv(value)
    prefix = record.id.split("-", 1)[0]
    source = options.source or _OSV_SOURCES.get(prefix, f"osv:{prefix}")
    _check_storable((record.id, "id"), (source, "the source"), (record.modified, "modified"))
    doc = osv.osv_to_model(record, tlp=options.tlp, source=source)
    return _Parsed(name, doc, value, source, record.modified, _range_warnings(doc))


def _check_storable(
    id_: tuple[str, str], source: tuple[str, str], revision: tuple[str, str]
) -> None:
    """Refuse, naming the field, a document whose id, source or revision is longer than
    the advisory keeps (``Advisory.public_id``, ``source``, ``source_revision``)."""
    limits = string_limits(Advisory)
    for (value, what), column in (
        (id_, "public_id"),
        (source, "source"),
        (revision, "source_revision"),
    ):
        if len(value) > limits[column]:
            raise ImportRefusedError(
                f"{what} is {len(value)} characters long; at most {limits[column]} can be stored"
            )


def _csaf_warnings(doc: m.Advisory) -> tuple[str, ...]:
    findings = doc.extra.get(csaf.EXTRA_FINDINGS)
    if not isinstance(findings, list):
        return ()
    return tuple(
        f"imported although it fails CSAF test {f['test']} at {f['path'] or '/'}: {f['message']}"
        for f in findings
    )


def _range_warnings(doc: m.Advisory) -> tuple[str, ...]:
    """Range boundaries the package's version ordering cannot read (PyPA's
    ``fixed: 0.2.0-n653``): they never narrow a range, so the OSV API reports the versions
    they might have cleared as undecided rather than clean."""
    out: list[str] = []
    for vuln in doc.vulnerabilities:
        for affected in vuln.affected:
            package = affected.package
            compiled = compile_ranges(package.ecosystem, affected.ranges, affected.versions)
            out.extend(
                f"{vuln.id}: {package.ecosystem}/{package.name}: range boundary {bound} "
                "(read as absent: the versions it would clear are reported as undecided)"
                for bound in compiled.unreadable
            )
    return tuple(out)


def _csaf_version(value: dict[str, Any]) -> str | None:
    version = value.get("document", {}).get("tracking", {}).get("version")
    return str(version) if isinstance(version, str) else None


def _store_chunk(
    session: Session, chunk: list[_Parsed], options: ImportOptions, report: ImportReport
) -> None:
    """Store a chunk: new advisories in bulk, changed ones one by one (in savepoints)."""
    ids = sorted({p.doc.id for p in chunk})
    stored: dict[tuple[str, str], Advisory] = {
        (a.source, a.source_id): a
        for a in session.scalars(select(Advisory).where(Advisory.source_id.in_(ids)))
    }
    owners: dict[str, str] = dict(
        session.execute(
            select(Advisory.public_id, Advisory.source).where(Advisory.public_id.in_(ids))
        ).all()
    )
    bulk = _Bulk(options)
    for parsed in chunk:
        key = (parsed.source, parsed.doc.id)
        existing = stored.get(key)
        if existing is None and key in bulk.added:
            report.items.append(
                _item(
                    parsed,
                    Outcome.UNCHANGED if bulk.added[key] == parsed.revision else Outcome.FAILED,
                    error=None
                    if bulk.added[key] == parsed.revision
                    else "the same record appears twice in this import",
                )
            )
            continue
        if existing is None:
            owner = owners.get(parsed.doc.id)
            if owner is not None:
                report.items.append(
                    _item(
                        parsed,
                        Outcome.FAILED,
                        error=f"{parsed.doc.id} is already stored from source {owner!r}",
                    )
                )
                continue
            try:
                bulk.add(parsed)
            except ImportRefusedError as exc:
                report.items.append(_item(parsed, Outcome.FAILED, error=exc.detail))
                continue
            owners[parsed.doc.id] = parsed.source
            continue
        if existing.source_revision == parsed.revision:
            report.items.append(_item(parsed, Outcome.UNCHANGED))
            continue
        savepoint = session.begin_nested()
        try:
            outcome = _revise(session, existing, parsed, options)
        except (ClearinghouseError, IntegrityError) as exc:
            savepoint.rollback()
            detail = (
                exc.detail
                if isinstance(exc, ClearinghouseError)
                else "conflicts with a stored advisory"
            )
            report.items.append(_item(parsed, Outcome.FAILED, error=detail))
            continue
        savepoint.commit()
        report.items.append(_item(parsed, outcome))
    bulk.flush(session, report)


def _item(parsed: _Parsed, outcome: Outcome, *, error: str | None = None) -> ImportItem:
    warnings = () if outcome is Outcome.FAILED else parsed.warnings
    return ImportItem(
        parsed.name, outcome, parsed.doc.id, parsed.source, parsed.revision, error, warnings
    )


@dataclass
class _NewRows:
    """The rows one new advisory adds."""

    parsed: _Parsed
    advisory: dict[str, Any]
    revision: dict[str, Any]
    renditions: list[dict[str, Any]]
    index: index.IndexRows
    audit: dict[str, str]


class _Bulk:
    """New advisories, inserted together with one audit entry per chunk.

    If the chunk's insert fails (a constraint no check foresaw), each advisory is
    inserted again on its own, so that one bad document is refused and the rest stored.
    """

    def __init__(self, options: ImportOptions) -> None:
        self.options = options
        self.added: dict[tuple[str, str], str] = {}
        self.pending: list[_NewRows] = []

    def add(self, parsed: _Parsed) -> None:
        """Queue the rows of a new advisory; :class:`ImportRefusedError` (nothing queued)
        when one of its values is longer than its column keeps."""
        now, actor, doc = self.options.now, self.options.actor, parsed.doc
        advisory_id = uuid.uuid4()
        body = neutral.to_json(doc)
        body_digest = service.digest(body)
        rows = _NewRows(
            parsed=parsed,
            advisory={
                "id": advisory_id,
                "public_id": doc.id,
                "title": doc.title[:500],
                "case_id": None,
                "state": AdvisoryState.PUBLISHED,
                "tlp": doc.tlp,
                "source": parsed.source,
                "source_id": doc.id,
                "source_revision": parsed.revision,
                "current_revision": 1,
                "published_revision": 1,
                "scheduled_at": None,
                "published_at": doc.initial_release,
                "last_published_at": now,
                "withdrawn_at": None,
                "withdrawn_reason": None,
                "recipient_org_ids": [],
                "recipient_user_ids": [],
                "created_at": now,
                "updated_at": now,
                "created_by_label": actor.label,
            },
            revision={
                "id": uuid.uuid4(),
                "advisory_id": advisory_id,
                "number": 1,
                "document": body,
                "digest": body_digest,
                "source_revision": parsed.revision,
                "source_document": parsed.raw,
                "summary": f"Imported from {parsed.source} (revision {parsed.revision})",
                "author_user_id": actor.user_id,
                "author_label": actor.label,
                "created_at": now,
            },
            renditions=[
                {
                    "id": uuid.uuid4(),
                    "advisory_id": advisory_id,
                    "revision": 1,
                    "format": r.format,
                    "key": r.key,
                    "status": r.status,
                    "content": r.content,
                    "detail": r.detail,
                    "modified": r.modified,
                    "created_at": now,
                }
                for r in source_renditions(doc, parsed.raw)
            ],
            index=index.IndexRows(),
            audit={
                "id": doc.id,
                "source": parsed.source,
                "revision": parsed.revision,
                "digest": body_digest,
            },
        )
        rows.index.add(advisory_id, 1, doc, parsed.source)
        _check_rows(rows)
        self.added[(parsed.source, doc.id)] = parsed.revision
        self.pending.append(rows)

    def flush(self, session: Session, report: ImportReport) -> None:
        if not self.pending:
            return
        stored = self._insert_all(session, report)
        for rows in stored:
            report.items.append(_item(rows.parsed, Outcome.CREATED))
        index.announce(session, [rows.advisory["id"] for rows in stored], self.options.now)
        if stored:
            audit.append(
                session,
                actor=self.options.actor,
                action="advisory.imported",
                object_type="advisory_import",
                object_id=uuid.uuid4(),
                at=self.options.now,
                change={"count": len(stored), "advisories": [r.audit for r in stored]},
            )
        self.pending = []

    def _insert_all(self, session: Session, report: ImportReport) -> list[_NewRows]:
        savepoint = session.begin_nested()
        try:
            _insert(session, self.pending)
        except IntegrityError:
            savepoint.rollback()
        else:
            savepoint.commit()
            return self.pending
        stored = []
        for rows in self.pending:
            savepoint = session.begin_nested()
            try:
                _insert(session, [rows])
            except IntegrityError as exc:
                savepoint.rollback()
                detail = f"cannot be stored: {str(exc.orig).splitlines()[0][:300]}"
                report.items.append(_item(rows.parsed, Outcome.FAILED, error=detail))
                continue
            savepoint.commit()
            stored.append(rows)
        return stored


def _check_rows(rows: _NewRows) -> None:
    """Every value of a new advisory's rows fits its column (else the whole batch would
    fail on PostgreSQL, where SQLite keeps it)."""
    tables: list[tuple[Any, list[dict[str, Any]]]] = [
        (Advisory, [rows.advisory]),
        (AdvisoryRevision, [rows.revision]),
        (Rendition, rows.renditions),
    ]
    for model, table_rows in tables:
        for row in table_rows:
            found = overlong(model, row)
            if found is not None:
                raise ImportRefusedError(f"cannot be stored: {found.table}.{found}")
    found = rows.index.overlong()
    if found is not None:
        raise ImportRefusedError(f"cannot be stored: {found.table}.{found}")


def _insert(session: Session, batch: list[_NewRows]) -> None:
    session.execute(insert(Advisory), [r.advisory for r in batch])
    session.execute(insert(AdvisoryRevision), [r.revision for r in batch])
    renditions = [row for r in batch for row in r.renditions]
    if renditions:
        session.execute(insert(Rendition), renditions)
    merged = index.IndexRows()
    for rows in batch:
        merged.packages.extend(rows.index.packages)
        merged.identifiers.extend(rows.index.identifiers)
    merged.insert(session, checked=True)  # each advisory's rows were (_check_rows)


def _revise(
    session: Session, advisory: Advisory, parsed: _Parsed, options: ImportOptions
) -> Outcome:
    """A different revision of a stored record: newer adds a revision, older is ignored."""
    actor, now, doc = options.actor, options.now, parsed.doc
    stored_doc = service.document(session, advisory, advisory.current_revision)
    if doc.current_release < stored_doc.current_release:
        return Outcome.OLDER
    if advisory.state is AdvisoryState.WITHDRAWN:
        raise Conflict(
            f"{advisory.public_id} was withdrawn here; a newer source revision is not applied"
        )
    saved = service.store_revision(
        session,
        advisory,
        doc,
        actor=actor,
        now=now,
        summary=f"Imported from {parsed.source} (revision {parsed.revision})",
        source_revision=parsed.revision,
        source_document=parsed.raw,
    )
    number = saved.revision.number
    advisory.published_revision = number
    advisory.last_published_at = now
    store_renditions(session, advisory, number, source_renditions(doc, parsed.raw), now)
    service.serve(session, advisory, number, doc, now=now)
    audit.append(
        session,
        actor=actor,
        action="advisory.import_revised",
        object_type="advisory",
        object_id=advisory.public_id,
        at=now,
        change={
            "source": parsed.source,
            "source_revision": parsed.revision,
            "revision": number,
            "digest": saved.revision.digest,
        },
    )
    return Outcome.REVISED
