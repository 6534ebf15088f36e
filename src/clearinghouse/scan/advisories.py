"""Which advisories affect a found component: one small function, :func:`match_components`,
over an :class:`AdvisoryIndex` built from OSV records (``--advisories DIR``).

It uses the platform's pure version engine (:func:`clearinghouse.versions.compile_ranges`,
Maven ordering checked against Maven itself) on the records as
:mod:`clearinghouse.formats.osv` parses them, so the scanner and the platform's exposure
matching agree; it is the one place to route through the exposure engine later.
A component whose version comes from class evidence is matched at the lowest release
the evidence allows (the markers sit at the releases that fixed the Log4Shell CVEs, so
every release in the inferred interval shares that answer on the 2.x main line).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from clearinghouse.formats.model import FormatError, Tlp
from clearinghouse.formats.osv import OsvError, OsvRecord, load_osv, osv_to_model
from clearinghouse.scan.model import AdvisoryMatch, Component
from clearinghouse.versions import CompiledRanges, InvalidVersion, compile_ranges

OSV_SUFFIXES: Final = frozenset({".json", ".yaml", ".yml"})
MAX_RECORD_BYTES: Final = 4 * 1024 * 1024
MAX_RECORDS: Final = 500_000
MAVEN: Final = "Maven"


@dataclass(frozen=True, slots=True)
class _Entry:
    advisory: AdvisoryMatch
    ranges: CompiledRanges


@dataclass(slots=True)
class AdvisoryIndex:
    """OSV records by (ecosystem, package name)."""

    by_package: dict[tuple[str, str], list[_Entry]] = field(default_factory=dict)
    records: int = 0
    unreadable: list[str] = field(default_factory=list)  # "path: reason"

    def add(self, record: OsvRecord) -> None:
        if record.is_withdrawn:
            return
        self.records += 1
        found = AdvisoryMatch(record.id, tuple(record.aliases or ()), record.summary)
        for vulnerability in osv_to_model(record, tlp=Tlp.CLEAR).vulnerabilities:
            for affected in vulnerability.affected:
                package = affected.package
                try:
                    compiled = compile_ranges(package.ecosystem, affected.ranges, affected.versions)
                except InvalidVersion:
                    compiled = compile_ranges(package.ecosystem, (), affected.versions)
                key = (package.ecosystem, package.name)
                self.by_package.setdefault(key, []).append(_Entry(found, compiled))

    def matches(self, ecosystem: str, name: str, version: str) -> tuple[AdvisoryMatch, ...]:
        found: dict[str, AdvisoryMatch] = {}
        for entry in self.by_package.get((ecosystem, name), ()):
            try:
                affected = entry.ranges.affects(version)
            except InvalidVersion:
                affected = False
            if affected:
                found.setdefault(entry.advisory.id, entry.advisory)
        return tuple(found[key] for key in sorted(found))


def load_advisory_dir(directory: Path) -> AdvisoryIndex:
    """Every OSV record (JSON or YAML) under ``directory``; unreadable ones are listed."""
    index = AdvisoryIndex()
    paths = sorted(p for p in directory.rglob("*") if p.suffix.lower() in OSV_SUFFIXES)
    for path in paths[:MAX_RECORDS]:
        try:
            if not path.is_file() or path.stat().st_size > MAX_RECORD_BYTES:
                continue
            index.add(load_osv(path.read_bytes(), filename=path.name))
        except (OsvError, FormatError, OSError) as exc:
            index.unreadable.append(f"{path}: {exc}")
    return index


def match_components(components: Sequence[Component], index: AdvisoryIndex) -> None:
    """Set each component's advisories (Maven components with a version only)."""
    for component in components:
        if component.version is not None:
            component.advisories = index.matches(MAVEN, component.name, component.version)


def queries(components: Iterable[Component]) -> list[tuple[str, str, str]]:
    """The distinct (ecosystem, name, version) questions the components ask."""
    return sorted({(MAVEN, c.name, c.version) for c in components if c.version is not None})
