"""Incremental matching over the database, in both directions.

* **A new or changed advisory** (:func:`advisory_pairs`): for each package its served
  revision names, the distinct installed versions of that package are read from the
  component index (``ix_inventory_components_match`` covers the query), each version is
  checked once, and only the component rows of affected versions are read.
* **A new inventory** (:func:`inventory_pairs`): its packages are looked up in the
  advisory index (``advisory_packages`` on ``(ecosystem, name)``), each (entry, version)
  checked once.

Nothing is rescanned as a whole. Ranges are compiled once per index row and kept in a
:class:`~clearinghouse.advisories.index.RangeCache` (an index row never changes: a new
revision writes new rows). A version the ranges cannot exclude (an unreadable version or
boundary) is a match, marked ``undecided`` with the reason: never silently clean.

Distribution releases: an advisory entry for ``Debian:12`` matches components whose purl
says ``distro=debian-12`` or names no release; an entry without a release matches every
release (as :mod:`clearinghouse.exposure.engine` does in memory).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import String, and_, func, or_, select, true, type_coerce
from sqlalchemy.orm import Session

from clearinghouse.advisories.index import Entry, RangeCache
from clearinghouse.advisories.models import AdvisoryPackage
from clearinghouse.exposure.models import Inventory, InventoryComponent
from clearinghouse.versions import InvalidVersion, Scheme, Verdict, range_key_function

CHUNK: Final = 300  # names per IN list
SCAN_FROM_PACKAGES: Final = 50  # affected packages from which the full pass scans the table
ROWS_CHUNK: Final = 500


@dataclass(frozen=True, slots=True)
class Pair:
    """An advisory's entry affects one component of one inventory."""

    inventory_id: uuid.UUID
    org_id: uuid.UUID
    component_ref: str
    purl: str | None
    version: str
    advisory_id: uuid.UUID
    record_id: str
    ecosystem: str  # as the advisory writes it
    package: str
    fixed: tuple[str, ...]
    undecided: str | None = None

    @property
    def key(self) -> tuple[uuid.UUID, uuid.UUID, str, str]:
        return (self.inventory_id, self.advisory_id, self.record_id, self.component_ref)


@dataclass(frozen=True, slots=True)
class _IndexRow:
    id: Any
    advisory_id: uuid.UUID
    record_id: str
    base: str  # ecosystem without its release, casefolded
    release: str  # "" when the entry names none
    name: str
    display_ecosystem: str
    display_name: str
    fixed: tuple[str, ...]


class Checker:
    """Checks versions against compiled entries, computing each version's sort key once
    per ordering."""

    def __init__(self, cache: RangeCache) -> None:
        self.cache = cache
        self._keys: dict[tuple[Scheme, str], Any] = {}

    def entries(self, session: Session, rows: Iterable[_IndexRow]) -> dict[Any, Entry]:
        found: dict[Any, Entry] = {}
        missing = []
        for row in rows:
            entry = self.cache.peek(row.id)
            if entry is None:
                missing.append(row.id)
            else:
                found[row.id] = entry
        missing = sorted(set(missing), key=str)
        for start in range(0, len(missing), ROWS_CHUNK):
            for row_id, ecosystem, ranges, versions in session.execute(
                select(
                    AdvisoryPackage.id,
                    AdvisoryPackage.display_ecosystem,
                    AdvisoryPackage.ranges,
                    AdvisoryPackage.versions,
                ).where(AdvisoryPackage.id.in_(missing[start : start + ROWS_CHUNK]))
            ):
                found[row_id] = self.cache.store(row_id, ecosystem, ranges, versions)
        return found

    def verdict(self, entry: Entry, version: str) -> Verdict:
        if entry.scheme is None or version in entry.versions:
            return entry.verdict(version)
        memo = (entry.scheme, version)
        if memo not in self._keys:
            try:
                self._keys[memo] = range_key_function(entry.scheme)(version)
            except InvalidVersion:
                self._keys[memo] = None
        key = self._keys[memo]
        if key is None:
            return entry.verdict(version)
        return entry.verdict_key(key)


def _undecided(entry: Entry, version: str, verdict: Verdict) -> str | None:
    if verdict is not Verdict.UNDECIDED:
        return None
    if entry.unreadable:
        bounds = "; ".join(str(bound) for bound in entry.unreadable[:3])
        return f"a range boundary cannot be read ({bounds}), so the ranges cannot exclude it"
    return f"{version!r} is not a version this ecosystem's ordering reads, so it cannot be excluded"


def _index_row(row: Any) -> _IndexRow:
    base, _, release = row.ecosystem.partition(":")
    fixed = tuple(
        str(value)
        for r in row.ranges or ()
        for event in r.get("events", ())
        for kind, value in event.items()
        if kind == "fixed"
    )
    return _IndexRow(
        id=row.id,
        advisory_id=row.advisory_id,
        record_id=row.record_id,
        base=base,
        release=release,
        name=row.name,
        display_ecosystem=row.display_ecosystem,
        display_name=row.display_name,
        fixed=fixed,
    )


_INDEX_COLUMNS = (
    AdvisoryPackage.id,
    AdvisoryPackage.advisory_id,
    AdvisoryPackage.record_id,
    AdvisoryPackage.ecosystem,
    AdvisoryPackage.name,
    AdvisoryPackage.display_ecosystem,
    AdvisoryPackage.display_name,
    AdvisoryPackage.ranges,
)


# ---- a new or changed advisory -----------------------------------------------------------------


def advisory_pairs(session: Session, advisory_id: uuid.UUID, checker: Checker) -> list[Pair]:
    """Every component of every inventory the served revision of the advisory affects."""
    rows = [
        _index_row(row)
        for row in session.execute(
            select(*_INDEX_COLUMNS).where(
                AdvisoryPackage.advisory_id == advisory_id, AdvisoryPackage.withdrawn.is_(False)
            )
        )
    ]
    entries = checker.entries(session, rows)
    pairs: list[Pair] = []
    for row in rows:
        entry = entries[row.id]
        affected: dict[tuple[str, str], str | None] = {}  # (version, release) -> undecided
        for version, release in _installed_versions(session, row):
            verdict = checker.verdict(entry, version)
            if verdict is not Verdict.NOT_AFFECTED:
                affected[(version, release)] = _undecided(entry, version, verdict)
        if affected:
            pairs.extend(_pairs_of_versions(session, row, affected))
    return pairs


def _release_condition(row: _IndexRow) -> Any:
    if not row.release:
        return true()
    return InventoryComponent.release.in_([row.release, ""])


def _installed_versions(session: Session, row: _IndexRow) -> list[tuple[str, str]]:
    """The distinct (version, release) of the package installed anywhere (index only)."""
    return [
        (version, release)
        for version, release in session.execute(
            select(InventoryComponent.version, InventoryComponent.release)
            .where(
                InventoryComponent.ecosystem == row.base,
                InventoryComponent.name == row.name,
                _release_condition(row),
            )
            .distinct()
        )
    ]


def _pairs_of_versions(
    session: Session, row: _IndexRow, affected: dict[tuple[str, str], str | None]
) -> Iterable[Pair]:
    versions = sorted({version for version, _ in affected})
    for start in range(0, len(versions), CHUNK):
        for component in session.execute(
            select(
                InventoryComponent.inventory_id,
                InventoryComponent.org_id,
                InventoryComponent.ref,
                InventoryComponent.purl,
                InventoryComponent.version,
                InventoryComponent.release,
            ).where(
                InventoryComponent.ecosystem == row.base,
                InventoryComponent.name == row.name,
                InventoryComponent.version.in_(versions[start : start + CHUNK]),
                _release_condition(row),
            )
        ):
            if (component.version, component.release) not in affected:
                continue
            yield _pair(component, row, affected[(component.version, component.release)])


def _pair(component: Any, row: _IndexRow, undecided: str | None) -> Pair:
    return Pair(
        inventory_id=component.inventory_id,
        org_id=component.org_id,
        component_ref=component.ref,
        purl=component.purl,
        version=component.version,
        advisory_id=row.advisory_id,
        record_id=row.record_id,
        ecosystem=row.display_ecosystem,
        package=row.display_name,
        fixed=row.fixed,
        undecided=undecided,
    )


def affected_organisations(
    session: Session, advisory_id: uuid.UUID, checker: Checker
) -> set[uuid.UUID]:
    """Only the organisations a served revision affects (the benchmark's question): the
    same version checks as :func:`advisory_pairs`, then one index-only read per package."""
    rows = [
        _index_row(row)
        for row in session.execute(
            select(*_INDEX_COLUMNS).where(
                AdvisoryPackage.advisory_id == advisory_id, AdvisoryPackage.withdrawn.is_(False)
            )
        )
    ]
    entries = checker.entries(session, rows)
    found: set[uuid.UUID] = set()
    for row in rows:
        entry = entries[row.id]
        affected = {
            version
            for version, _release in _installed_versions(session, row)
            if checker.verdict(entry, version) is not Verdict.NOT_AFFECTED
        }
        ordered = sorted(affected)
        for start in range(0, len(ordered), CHUNK):
            found.update(
                session.scalars(
                    select(InventoryComponent.org_id)
                    .where(
                        InventoryComponent.ecosystem == row.base,
                        InventoryComponent.name == row.name,
                        InventoryComponent.version.in_(ordered[start : start + CHUNK]),
                        _release_condition(row),
                    )
                    .distinct()
                )
            )
    return found


# ---- a new inventory ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Component:
    inventory_id: uuid.UUID
    org_id: uuid.UUID
    ref: str
    purl: str | None
    ecosystem: str
    name: str
    version: str
    release: str


def inventory_pairs(session: Session, inventory_id: uuid.UUID, checker: Checker) -> list[Pair]:
    """Every (component, advisory entry) of one inventory's current upload that matches."""
    org_id = session.scalar(select(Inventory.org_id).where(Inventory.id == inventory_id))
    if org_id is None:
        return []
    # the inventory and organisation are the same for every row: read once, not per row
    components = [
        _Component(inventory_id, org_id, *row)
        for row in session.execute(
            select(
                InventoryComponent.ref,
                InventoryComponent.purl,
                InventoryComponent.ecosystem,
                InventoryComponent.name,
                InventoryComponent.version,
                InventoryComponent.release,
            ).where(
                InventoryComponent.inventory_id == inventory_id, InventoryComponent.ecosystem != ""
            )
        )
    ]
    return components_pairs(session, components, checker)


def components_pairs(
    session: Session, components: Sequence[_Component], checker: Checker
) -> list[Pair]:
    by_package: dict[tuple[str, str], list[_Component]] = defaultdict(list)
    for component in components:
        by_package[(component.ecosystem, component.name)].append(component)
    rows = _advisory_rows(session, by_package)
    entries = checker.entries(session, (r for found in rows.values() for r in found))
    pairs: list[Pair] = []
    append = pairs.append
    for package, installed in by_package.items():
        candidates = rows.get(package)
        if not candidates:
            continue
        # each distinct (version, release) checked once against each entry, in entry order
        hits: dict[tuple[str, str], list[tuple[_IndexRow, str | None]]] = {}
        for component in installed:
            found = hits.get((component.version, component.release))
            if found is None:
                found = hits[(component.version, component.release)] = _hits(
                    checker, entries, candidates, component.version, component.release
                )
            for row, undecided in found:
                append(_pair(component, row, undecided))
    return pairs


def _hits(
    checker: Checker,
    entries: dict[Any, Entry],
    candidates: Sequence[_IndexRow],
    version: str,
    release: str,
) -> list[tuple[_IndexRow, str | None]]:
    """The entries (in order) affecting one installed version, each with why undecided."""
    found = []
    for row in candidates:
        if row.release and release and row.release != release:
            continue
        entry = entries[row.id]
        verdict = checker.verdict(entry, version)
        if verdict is not Verdict.NOT_AFFECTED:
            found.append((row, _undecided(entry, version, verdict)))
    return found


def _advisory_rows(
    session: Session, packages: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[_IndexRow]]:
    """Index rows naming the packages, under the package's ecosystem or one of its
    releases (``debian`` and ``debian:12``...)."""
    wanted = set(packages)
    bases = sorted({base for base, _ in wanted})
    names = sorted({name for _, name in wanted})
    found: dict[tuple[str, str], list[_IndexRow]] = defaultdict(list)
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        ecosystem = or_(
            AdvisoryPackage.ecosystem.in_(bases),
            *(
                and_(AdvisoryPackage.ecosystem > f"{b}:", AdvisoryPackage.ecosystem < f"{b};")
                for b in bases
            ),
        )
        for raw in session.execute(
            select(*_INDEX_COLUMNS).where(
                ecosystem, AdvisoryPackage.name.in_(chunk), AdvisoryPackage.withdrawn.is_(False)
            )
        ):
            row = _index_row(raw)
            if (row.base, row.name) in wanted:
                found[(row.base, row.name)].append(row)
    return found


# ---- the whole fleet at once -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FullMatch:
    rows: int  # component rows checked (OSV-matchable ones)
    distinct: int  # distinct (package, version, release) among them
    pairs: list[Pair]


def full_match(session: Session, checker: Checker) -> FullMatch:
    """Every component row of every inventory against every advisory of its package: a
    recovery or audit pass, never needed by the incremental jobs. The covering index
    answers the distinct (package, version, release) with their row counts, and each is
    checked once against the package's entries. The affected rows are then read back:
    per package when few packages are affected, else in one scan of the table (a query
    per package costs more than reading every row once)."""
    installed: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    rows = 0
    for ecosystem, name, version, release, count in session.execute(
        select(
            InventoryComponent.ecosystem,
            InventoryComponent.name,
            InventoryComponent.version,
            InventoryComponent.release,
            func.count(),
        )
        .where(InventoryComponent.ecosystem != "")
        .group_by(
            InventoryComponent.ecosystem,
            InventoryComponent.name,
            InventoryComponent.version,
            InventoryComponent.release,
        )
    ):
        installed[(ecosystem, name)].append((version, release))
        rows += count
    advisory_rows = _advisory_rows(session, installed)
    entries = checker.entries(session, (r for found in advisory_rows.values() for r in found))
    # (ecosystem, name) -> (version, release) -> the entries affecting it, with why undecided
    affecting: dict[tuple[str, str], dict[tuple[str, str], list[tuple[_IndexRow, str | None]]]]
    affecting = defaultdict(lambda: defaultdict(list))
    for package, candidates in advisory_rows.items():
        for row in candidates:
            for version, release in installed[package]:
                if row.release and release and row.release != release:
                    continue
                verdict = checker.verdict(entries[row.id], version)
                if verdict is not Verdict.NOT_AFFECTED:
                    undecided = _undecided(entries[row.id], version, verdict)
                    affecting[package][(version, release)].append((row, undecided))
    pairs: list[Pair] = []
    if len(affecting) <= SCAN_FROM_PACKAGES:
        for package, by_version in affecting.items():
            pairs.extend(_package_pairs(session, package, by_version))
    else:
        pairs.extend(_scanned_pairs(session, affecting))
    distinct = sum(len(v) for v in installed.values())
    return FullMatch(rows=rows, distinct=distinct, pairs=pairs)


def _scanned_pairs(
    session: Session,
    affecting: dict[tuple[str, str], dict[tuple[str, str], list[tuple[_IndexRow, str | None]]]],
) -> Iterable[Pair]:
    """One pass over the table. Ids are read raw and turned into UUIDs once each (a
    fleet repeats a few thousand inventories over a million rows)."""
    ids: dict[Any, uuid.UUID] = {}

    def uuid_of(raw: Any) -> uuid.UUID:
        found = ids.get(raw)
        if found is None:
            found = ids[raw] = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
        return found

    query = (
        select(
            type_coerce(InventoryComponent.inventory_id, String),
            type_coerce(InventoryComponent.org_id, String),
            InventoryComponent.ref,
            InventoryComponent.purl,
            InventoryComponent.version,
            InventoryComponent.release,
            InventoryComponent.ecosystem,
            InventoryComponent.name,
        )
        .where(InventoryComponent.ecosystem != "")
        .execution_options(yield_per=10_000)
    )
    for inventory, org, ref, purl, version, release, ecosystem, name in session.execute(query):
        by_version = affecting.get((ecosystem, name))
        if by_version is None:
            continue
        hits = by_version.get((version, release))
        if not hits:
            continue
        inventory_id, org_id = uuid_of(inventory), uuid_of(org)
        for row, undecided in hits:
            yield Pair(
                inventory_id=inventory_id,
                org_id=org_id,
                component_ref=ref,
                purl=purl,
                version=version,
                advisory_id=row.advisory_id,
                record_id=row.record_id,
                ecosystem=row.display_ecosystem,
                package=row.display_name,
                fixed=row.fixed,
                undecided=undecided,
            )


def _package_pairs(
    session: Session,
    package: tuple[str, str],
    affecting: dict[tuple[str, str], list[tuple[_IndexRow, str | None]]],
) -> Iterable[Pair]:
    """The component rows of one package at affected versions, read once, each paired
    with every entry affecting its version."""
    base, name = package
    versions = sorted({version for version, _ in affecting})
    for start in range(0, len(versions), CHUNK):
        for component in session.execute(
            select(
                InventoryComponent.inventory_id,
                InventoryComponent.org_id,
                InventoryComponent.ref,
                InventoryComponent.purl,
                InventoryComponent.version,
                InventoryComponent.release,
            ).where(
                InventoryComponent.ecosystem == base,
                InventoryComponent.name == name,
                InventoryComponent.version.in_(versions[start : start + CHUNK]),
            )
        ):
            for row, undecided in affecting.get((component.version, component.release), ()):
                yield _pair(component, row, undecided)
