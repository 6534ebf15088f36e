"""Matching inventories against advisories, in memory (pure: no web, no database).

The index maps (ecosystem, normalised package name) to the advisories' ``affected``
entries, each compiled once with :func:`clearinghouse.versions.compile_ranges`. A
component is looked up by the OSV coordinates of its package URL (both the binary and the
source package name for distribution packages); its version gets one sort key per
ordering, and each entry of its package answers with one binary search.

Answers are memoised per (package, version): fleets and large SBOMs repeat the same
components again and again, so a warm look-up is one dictionary hit. The memo is cleared
whenever the index changes.

Rules kept from the OSV evaluation: withdrawn records match nothing; a version the
ordering cannot read is affected only if the entry lists it literally (never an error,
never silently clean when listed); ``GIT`` ranges are not evaluated. Distribution
releases: an entry for ``Debian:12`` matches a component whose purl says ``distro=debian-12``
or says no release; an entry without a release suffix matches every release.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from clearinghouse.formats.inventory import Component, Inventory
from clearinghouse.formats.model import EventKind, RangeEvent, VersionRange
from clearinghouse.formats.osv import OsvRecord
from clearinghouse.formats.purl import (
    OsvCoordinates,
    ecosystem_key,
    normalise_name,
    osv_coordinates,
    parse_purl,
)
from clearinghouse.versions import (
    CompiledRanges,
    InvalidVersion,
    KeyFunction,
    Scheme,
    compile_ranges,
    key_function,
    scheme_for,
)

__all__ = [
    "Advisory",
    "AdvisoryIndex",
    "AgreementReport",
    "Disagreement",
    "Finding",
    "MatchReport",
    "PackageKey",
    "advisories_from_osv",
    "versions_agreement",
]

PackageKey = tuple[str, str]  # (ecosystem key, normalised name)
MEMO_LIMIT: Final = 1_000_000  # memoised (package, version) answers before the memo is reset


@dataclass(frozen=True, slots=True)
class Advisory:
    """What a finding says about the advisory; ``fixed`` lists the fix versions named."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    modified: str = ""


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``affected`` entry of one advisory, ready for checks."""

    advisory: int  # position in the index's advisory list
    ecosystem: str  # as the record wrote it ("Maven", "Debian:12")
    name: str
    release: str | None  # the ecosystem's suffix, case-folded ("12", "v3.19")
    compiled: CompiledRanges | None  # None: only the listed versions count
    listed: frozenset[str]
    shares_key: bool  # compiled.scheme is the package's ordering (affects_key allowed)
    fixed: tuple[str, ...]

    def affects(self, version: str, key: tuple[object, ...] | None) -> bool:
        compiled = self.compiled
        if compiled is None:
            return version in self.listed
        if key is not None and self.shares_key:
            return compiled.affects_key(key)
        try:
            return compiled.affects(version)
        except InvalidVersion:
            return version in self.listed


@dataclass(frozen=True, slots=True)
class Finding:
    """An advisory affects a component of the inventory."""

    component: Component
    advisory: Advisory
    ecosystem: str
    package: str
    version: str
    fixed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MatchReport:
    findings: tuple[Finding, ...]
    components: int  # in the inventory
    matchable: int  # with a package URL OSV covers and a version
    unmatchable: tuple[Component, ...]  # no purl, a purl type OSV does not cover, or no version

    @property
    def vulnerable(self) -> bool:
        return bool(self.findings)

    def by_advisory(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.advisory.id, []).append(finding)
        return grouped


@dataclass(slots=True)
class _Package:
    key: KeyFunction
    scheme: Scheme
    entries: list[Entry] = field(default_factory=list)


def advisories_from_osv(records: Iterable[OsvRecord]) -> Iterator[tuple[Advisory, OsvRecord]]:
    """The records that can match (withdrawn ones are skipped), each with its summary."""
    for record in records:
        if record.is_withdrawn:
            continue
        advisory = Advisory(
            id=record.id,
            aliases=record.aliases or (),
            summary=record.summary or "",
            modified=record.modified,
        )
        yield advisory, record


class AdvisoryIndex:
    """Advisories by (ecosystem, package), compiled for matching."""

    def __init__(self) -> None:
        self.advisories: list[Advisory] = []
        self._packages: dict[PackageKey, _Package] = {}
        self._memo: dict[tuple[PackageKey, str | None, str], tuple[Entry, ...]] = {}
        self._coordinates: dict[str, OsvCoordinates | None] = {}

    @classmethod
    def from_osv(cls, records: Iterable[OsvRecord]) -> AdvisoryIndex:
        index = cls()
        for advisory, record in advisories_from_osv(records):
            index.add_osv(advisory, record)
        return index

    def __len__(self) -> int:
        return len(self.advisories)

    def packages(self) -> int:
        return len(self._packages)

    def add_osv(self, advisory: Advisory, record: OsvRecord) -> None:
        """Index one OSV record's package entries under ``advisory``."""
        number = len(self.advisories)
        self.advisories.append(advisory)
        for affected in record.affected or ():
            if affected.package is None:
                continue
            ranges = tuple(
                VersionRange(r.type, tuple(RangeEvent(e.kind, e.value) for e in r.events), r.repo)
                for r in affected.ranges or ()
            )
            self.add_entry(
                number, affected.package.ecosystem, affected.package.name, ranges,
                affected.versions or (),
            )  # fmt: skip
        self._memo.clear()

    def add_entry(
        self,
        advisory: int,
        ecosystem: str,
        name: str,
        ranges: Sequence[VersionRange],
        versions: Sequence[str],
    ) -> None:
        base, _, release = ecosystem.partition(":")
        key = (ecosystem_key(base), normalise_name(base, name))
        package = self._packages.get(key)
        if package is None:
            scheme = scheme_for(base)
            package = _Package(key_function(scheme), scheme)
            self._packages[key] = package
        compiled = _compile(ecosystem, ranges, versions)
        package.entries.append(
            Entry(
                advisory=advisory,
                ecosystem=ecosystem,
                name=name,
                release=release.casefold() or None,
                compiled=compiled,
                listed=frozenset(versions),
                shares_key=compiled is not None and compiled.scheme is package.scheme,
                fixed=tuple(
                    event.value
                    for r in ranges
                    for event in r.events
                    if event.kind is EventKind.FIXED
                ),
            )
        )
        self._memo.clear()

    # --- matching ---------------------------------------------------------------------------

    def affecting(
        self, ecosystem: str, name: str, version: str, release: str | None = None
    ) -> tuple[Entry, ...]:
        """The entries that affect one package version (memoised)."""
        key = (ecosystem_key(ecosystem), normalise_name(ecosystem, name))
        memo_key = (key, release, version)
        found = self._memo.get(memo_key)
        if found is not None:
            return found
        package = self._packages.get(key)
        found = () if package is None else _affecting(package, version, release)
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[memo_key] = found
        return found

    def coordinates(self, purl: str) -> OsvCoordinates | None:
        """The OSV coordinates of a canonical purl (memoised; None when OSV has no such
        ecosystem)."""
        if purl in self._coordinates:
            return self._coordinates[purl]
        found = osv_coordinates(parse_purl(purl))
        if len(self._coordinates) >= MEMO_LIMIT:
            self._coordinates.clear()
        self._coordinates[purl] = found
        return found

    def match(self, inventory: Inventory | Iterable[Component]) -> MatchReport:
        """Every (component, advisory) pair where the advisory affects the component."""
        findings: list[Finding] = []
        unmatchable: list[Component] = []
        total = matchable = 0
        for component in inventory:
            total += 1
            coordinates = self.coordinates(component.purl) if component.purl else None
            version = (coordinates.version if coordinates else None) or component.version
            if coordinates is None or not version:
                unmatchable.append(component)
                continue
            matchable += 1
            findings.extend(self._component_findings(component, coordinates, version))
        return MatchReport(tuple(findings), total, matchable, tuple(unmatchable))

    def _component_findings(
        self, component: Component, coordinates: OsvCoordinates, version: str
    ) -> Iterator[Finding]:
        seen: set[int] = set()
        for name in coordinates.names:
            for entry in self.affecting(coordinates.ecosystem, name, version, coordinates.release):
                if entry.advisory in seen:
                    continue
                seen.add(entry.advisory)
                yield Finding(
                    component=component,
                    advisory=self.advisories[entry.advisory],
                    ecosystem=entry.ecosystem,
                    package=entry.name,
                    version=version,
                    fixed=entry.fixed,
                )


def _compile(
    ecosystem: str, ranges: Sequence[VersionRange], versions: Sequence[str]
) -> CompiledRanges | None:
    """Compiled ranges; when the ordering cannot read a boundary, only the listed versions
    (as the platform's range cache does); None when even those cannot be keyed."""
    try:
        return compile_ranges(ecosystem, ranges, versions)
    except InvalidVersion:
        try:
            return compile_ranges(ecosystem, (), versions)
        except InvalidVersion:
            return None


def _affecting(package: _Package, version: str, release: str | None) -> tuple[Entry, ...]:
    try:
        key: tuple[object, ...] | None = package.key(version)
    except InvalidVersion:
        key = None
    found = []
    for entry in package.entries:
        if release is not None and entry.release is not None and entry.release != release:
            continue
        if entry.affects(version, key):
            found.append(entry)
    return tuple(found)


# --- agreement of explicit versions with ranges --------------------------------------------


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A version an entry lists explicitly that its own ranges do not contain."""

    record: str
    ecosystem: str
    package: str
    version: str
    listed_but_outside: bool = True


@dataclass(frozen=True, slots=True)
class AgreementReport:
    entries: int  # affected entries with both ranges and an explicit list
    listed: int  # listed versions checked
    unreadable: int  # listed versions the ordering cannot read (not judged)
    disagreements: tuple[Disagreement, ...]

    def lines(self) -> Iterator[str]:
        yield (
            f"{self.entries} entries, {self.listed} listed versions, "
            f"{len(self.disagreements)} outside their ranges, {self.unreadable} unreadable"
        )
        for d in self.disagreements:
            yield f"  {d.record} {d.ecosystem} {d.package} {d.version}: listed, outside the ranges"


def versions_agreement(records: Iterable[OsvRecord]) -> AgreementReport:
    """For every entry carrying both ranges and a ``versions`` list: is each listed
    version inside the ranges alone? (OSV says listed versions are affected either way;
    a listed version outside the ranges means the two disagree.)"""
    entries = listed = unreadable = 0
    found: list[Disagreement] = []
    for _advisory, record in advisories_from_osv(records):
        for affected in record.affected or ():
            if affected.package is None or not affected.versions or not affected.ranges:
                continue
            ranges = tuple(
                VersionRange(r.type, tuple(RangeEvent(e.kind, e.value) for e in r.events), r.repo)
                for r in affected.ranges
            )
            try:
                compiled = compile_ranges(affected.package.ecosystem, ranges)
            except InvalidVersion:
                continue
            if not compiled.steps:
                continue  # GIT-only ranges: nothing to compare with
            entries += 1
            for version in affected.versions:
                listed += 1
                try:
                    inside = compiled.affects(version)
                except InvalidVersion:
                    unreadable += 1
                    continue
                if not inside:
                    found.append(
                        Disagreement(
                            record.id, affected.package.ecosystem, affected.package.name, version
                        )
                    )
    return AgreementReport(entries, listed, unreadable, tuple(found))
