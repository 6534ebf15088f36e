"""The look-up index of served revisions, and the compiled-range cache that makes
matching fast.

Why names are normalised: clients ask for ``Jinja2``, ``jinja2`` or ``jinja_2``; PyPI
treats them as one project (PEP 503), so the index stores the normalised form and the
query normalises the same way. Other ecosystems keep their names as written (Maven and
Go names are case-sensitive), apart from the ecosystem itself, which is matched without
regard to case.

Why a cache keyed by (advisory, revision, record, position): a revision never changes
once written, so its compiled ranges never go stale; the key changes when a new revision
is served. Bounded LRU, shared by the threads of one process.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from packageurl import PackageURL
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from clearinghouse.advisories.models import AdvisoryIdentifier, AdvisoryPackage
from clearinghouse.db import Overlong, ValueTooLong, overlong
from clearinghouse.errors import InvalidInput
from clearinghouse.formats import model as m
from clearinghouse.formats.csaf_vocab import PURL_TYPE_TO_ECOSYSTEM
from clearinghouse.formats.purl import ecosystem_key, normalise_name
from clearinghouse.formats.schemas import BundledSchema, load_schema
from clearinghouse.jobs.queue import enqueue
from clearinghouse.versions import CompiledRanges, compile_ranges

OSV_PRIVATE_PREFIX: Final = "x_"
# Enqueued in the transaction that changes which revisions the index describes (a draft,
# a publication, a withdrawal, an import): exposure matching subscribes to it and finds
# the inventories the change affects (docs/exposure.md). Payload: {"advisories": [ids]}.
KIND_INDEX_CHANGED: Final = "advisory.index_changed"
ANNOUNCED_PER_JOB: Final = 500


@dataclass(frozen=True, slots=True)
class PackageQuery:
    ecosystem: str
    name: str
    version: str | None


def from_purl(text: str) -> PackageQuery:
    """The OSV (ecosystem, name, version) a package URL names (Maven: ``group:artifact``)."""
    try:
        purl = PackageURL.from_string(text)
    except ValueError as exc:
        raise InvalidInput(f"not a package URL: {exc}", field="purl") from None
    ecosystem = PURL_TYPE_TO_ECOSYSTEM.get(purl.type)
    if ecosystem is None:
        raise InvalidInput(
            f"package URL type {purl.type!r} has no OSV ecosystem here", field="purl"
        )
    name = str(purl.name)
    if purl.namespace:
        separator = ":" if ecosystem == "Maven" else "/"
        name = f"{purl.namespace}{separator}{name}"
    return PackageQuery(ecosystem, name, purl.version or None)


def _osv_prefix_pattern() -> re.Pattern[str]:
    schema = load_schema(BundledSchema.OSV)
    pattern = schema["$defs"]["prefix"]["pattern"]
    return re.compile(str(pattern))


_PREFIX: re.Pattern[str] | None = None


def osv_record_id(vulnerability_id: str) -> str:
    """The OSV id of a vulnerability: its own id when its prefix is one OSV registers
    (GHSA-, PYSEC-, RUSTSEC-, CVE-...), otherwise with OSV's private ``x_`` prefix (the
    platform's own CHSA- ids, until the prefix is registered with OSV)."""
    global _PREFIX
    if _PREFIX is None:
        _PREFIX = _osv_prefix_pattern()
    if _PREFIX.match(vulnerability_id):
        return vulnerability_id
    return OSV_PRIVATE_PREFIX + vulnerability_id


def record_id(vulnerability_id: str, source: str) -> str:
    """The OSV record id under which a vulnerability is indexed and served: an imported
    OSV record keeps the id its source gave it; anything the platform renders itself
    gets :func:`osv_record_id`."""
    if source.startswith("osv:"):
        return vulnerability_id
    return osv_record_id(vulnerability_id)


def range_json(r: m.VersionRange) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": r.type.value,
        "events": [{e.kind.value: e.value} for e in r.events],
    }
    if r.repo:
        out["repo"] = r.repo
    return out


def ranges_from_json(items: Sequence[dict[str, Any]]) -> tuple[m.VersionRange, ...]:
    out = []
    for item in items:
        events = tuple(
            m.RangeEvent(m.EventKind(k), str(v)) for e in item["events"] for k, v in e.items()
        )
        out.append(m.VersionRange(m.RangeType(item["type"]), events, item.get("repo")))
    return tuple(out)


def replace_index(
    session: Session,
    advisory_id: uuid.UUID,
    revision: int,
    doc: m.Advisory,
    source: str,
    now: datetime,
) -> None:
    """Make the index describe ``revision`` (the one served) of the advisory, and
    announce the change (:data:`KIND_INDEX_CHANGED`)."""
    session.execute(delete(AdvisoryPackage).where(AdvisoryPackage.advisory_id == advisory_id))
    session.execute(delete(AdvisoryIdentifier).where(AdvisoryIdentifier.advisory_id == advisory_id))
    rows = IndexRows()
    rows.add(advisory_id, revision, doc, source)
    rows.insert(session)
    announce(session, [advisory_id], now)


def announce(session: Session, advisory_ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Enqueue :data:`KIND_INDEX_CHANGED` for these advisories (outbox: in the caller's
    transaction), a few hundred per job."""
    ids = [str(advisory_id) for advisory_id in advisory_ids]
    for start in range(0, len(ids), ANNOUNCED_PER_JOB):
        enqueue(
            session,
            KIND_INDEX_CHANGED,
            {"advisories": ids[start : start + ANNOUNCED_PER_JOB]},
            now=now,
        )


class IndexRows:
    """Index rows of many advisories, inserted in a few statements (imports)."""

    def __init__(self) -> None:
        self.packages: list[dict[str, Any]] = []
        self.identifiers: list[dict[str, Any]] = []

    def add(self, advisory_id: uuid.UUID, revision: int, doc: m.Advisory, source: str) -> None:
        for vuln in doc.vulnerabilities:
            record = record_id(vuln.id, source)
            seen = set()
            for ident, is_alias in _identifiers(vuln, record):
                if ident in seen:
                    continue
                seen.add(ident)
                self.identifiers.append(
                    {
                        "id": uuid.uuid4(),
                        "advisory_id": advisory_id,
                        "record_id": record,
                        "identifier": ident[:200],
                        "is_alias": is_alias,
                    }
                )
            for position, affected in enumerate(vuln.affected):
                package = affected.package
                self.packages.append(
                    {
                        "id": uuid.uuid4(),
                        "advisory_id": advisory_id,
                        "revision": revision,
                        "record_id": record,
                        "position": position,
                        "ecosystem": ecosystem_key(package.ecosystem)[:100],
                        "name": normalise_name(package.ecosystem, package.name)[:300],
                        "display_ecosystem": package.ecosystem[:100],
                        "display_name": package.name[:300],
                        "purl": package.purl[:500] if package.purl else None,
                        "ranges": [range_json(r) for r in affected.ranges],
                        "versions": list(affected.versions),
                        "withdrawn": vuln.withdrawn is not None,
                    }
                )

    def overlong(self) -> Overlong | None:
        """The first value of the rows longer than its column holds, or None."""
        for model, rows in (
            (AdvisoryPackage, self.packages),
            (AdvisoryIdentifier, self.identifiers),
        ):
            for row in rows:
                found = overlong(model, row)
                if found is not None:
                    return found
        return None

    def insert(self, session: Session, *, checked: bool = False) -> None:
        """Insert the rows (:class:`ValueTooLong` first if a value would not fit, unless
        the caller ``checked`` them with :meth:`overlong` already)."""
        found = None if checked else self.overlong()
        if found is not None:
            raise ValueTooLong(found)
        if self.packages:
            session.execute(insert(AdvisoryPackage), self.packages)
        if self.identifiers:
            session.execute(insert(AdvisoryIdentifier), self.identifiers)
        self.packages, self.identifiers = [], []


def _identifiers(vuln: m.Vulnerability, record_id: str) -> Iterator[tuple[str, bool]]:
    yield record_id, False
    if vuln.id != record_id:
        yield vuln.id, False
    for alias in vuln.aliases:
        yield alias, True
    if vuln.cve:
        yield vuln.cve, True


Entry = CompiledRanges


class RangeCache:
    """Compiled ranges by index row id, bounded (oldest out first); shared by threads.

    Index rows are replaced, never updated, when another revision is served, so a row id
    names one immutable set of ranges and a cached entry never goes stale. A boundary the
    ordering cannot read widens its range (see ``versions.compile_ranges``): answers
    resting on it are undecided, never clean.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._items: dict[Any, Entry] = {}
        self._lock = threading.Lock()

    def peek(self, key: Any) -> Entry | None:
        return self._items.get(key)

    def store(
        self, key: Any, ecosystem: str, ranges: Sequence[dict[str, Any]], versions: Iterable[str]
    ) -> Entry:
        entry = compile_ranges(ecosystem, ranges_from_json(ranges), tuple(versions))
        with self._lock:
            while len(self._items) >= self.capacity:
                self._items.pop(next(iter(self._items)))
            self._items[key] = entry
        return entry

    def get(
        self, key: Any, ecosystem: str, ranges: Sequence[dict[str, Any]], versions: Iterable[str]
    ) -> Entry:
        found = self._items.get(key)
        if found is not None:
            return found
        return self.store(key, ecosystem, ranges, versions)

    def __len__(self) -> int:
        return len(self._items)
