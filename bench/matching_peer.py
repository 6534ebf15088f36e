"""The peer of the matching benchmark: a plain dict index with packaging/univers comparisons.

What BENCHMARKS.md calls "a simple Python index", written the way a competent engineer
would without a compiled step function: a dict from package to its OSV ``affected``
entries; each check tests the listed versions, then walks each range's events (sorted
once at build time, event versions parsed once) comparing version objects:
``packaging.version.Version`` for PyPI, univers' classes for the other ecosystems
(``SemverVersion`` for SEMVER ranges, npm and crates.io, ``MavenVersion``,
``GolangVersion``, ``ComposerVersion``, ``NugetVersion``, ``RubygemsVersion``), and a
generic dotted-number fallback for anything univers has no class for. Parsed installed
versions are memoised, as the platform's key functions are, so the ratio compares
evaluation, not who caches.

The event walk follows the OSV evaluation rules exactly as the platform reads them, so
any disagreement in the benchmark comes from how the two order versions, not from the
walk: ``introduced: "0"`` first; ties ordered introduced < fixed < last_affected;
a ``limit`` bounds the range from above (``*`` means no bound); an entry whose event
versions cannot all be read matches only its listed versions.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any, Final

from packaging.version import InvalidVersion as PackagingInvalidVersion
from packaging.version import Version

from bench.matching_data import Entry, Fleet, PackageKey, expand
from clearinghouse.formats.model import EventKind, RangeType

univers_versions: ModuleType | None
try:
    univers_versions = importlib.import_module("univers.versions")
except ImportError:  # reported by the benchmark with the install command
    univers_versions = None

UNIVERS_PIN: Final = "univers==32.0.1"
INSTALL_HINT: Final = (
    "the matching benchmark's peer needs univers: "
    ".venv/bin/pip install --require-hashes -r requirements/bench.txt  (pins " + UNIVERS_PIN + ")"
)

Parsed = Any  # a version object of whichever library; only its ordering is used
Parser = Callable[[str], Parsed | None]

_INTRODUCED: Final = 0
_FIXED: Final = 1
_LAST_AFFECTED: Final = 2
_KIND: Final = {
    EventKind.INTRODUCED: _INTRODUCED,
    EventKind.FIXED: _FIXED,
    EventKind.LAST_AFFECTED: _LAST_AFFECTED,
}
_GENERIC_PART: Final = re.compile(r"\d+|[a-z]+")


def univers_available() -> bool:
    return univers_versions is not None


def _generic(text: str) -> tuple[tuple[int, int | str], ...]:
    """Fallback ordering: runs of digits numerically, runs of letters alphabetically."""
    return tuple(
        (1, int(part)) if part.isdigit() else (0, part)
        for part in _GENERIC_PART.findall(text.casefold())
    )


def _memoised(build: Callable[[str], Parsed], errors: tuple[type[Exception], ...]) -> Parser:
    @cache
    def parse(text: str) -> Parsed | None:
        try:
            return build(text)
        except errors:
            return None

    return parse


def _parsers() -> dict[str, Parser]:
    """One memoised parser per ordering; keys are casefolded ecosystems or ``semver``."""
    if univers_versions is None:
        raise RuntimeError(INSTALL_HINT)
    uv = univers_versions
    errors = (ValueError, TypeError, AttributeError)  # univers' InvalidVersion is a ValueError
    semver = _memoised(uv.SemverVersion, errors)
    return {
        "pypi": _memoised(Version, (PackagingInvalidVersion,)),
        "semver": semver,
        "npm": semver,
        "crates.io": semver,
        "maven": _memoised(uv.MavenVersion, errors),
        "go": _memoised(uv.GolangVersion, errors),
        "packagist": _memoised(uv.ComposerVersion, errors),
        "nuget": _memoised(uv.NugetVersion, errors),
        "rubygems": _memoised(uv.RubygemsVersion, errors),
    }


@dataclass(frozen=True, slots=True)
class PeerRange:
    parse: Parser
    events: tuple[tuple[Parsed | None, int], ...]  # sorted; None is introduced "0"
    limits: tuple[Parsed, ...] | None  # None: unbounded


@dataclass(frozen=True, slots=True)
class PeerEntry:
    versions: frozenset[str]
    ranges: tuple[PeerRange, ...]


class PeerIndex:
    """(ecosystem, name) -> advisories -> their OSV entries, checked by walking events."""

    def __init__(self, entries: Sequence[Entry], advisories: dict[str, int]) -> None:
        self._parsers = _parsers()
        self._generic = _memoised(_generic, ())
        grouped: dict[PackageKey, dict[int, list[PeerEntry]]] = {}
        for entry in entries:
            number = advisories[entry.advisory]
            grouped.setdefault(entry.key, {}).setdefault(number, []).append(self.entry(entry))
        self.packages: dict[PackageKey, tuple[tuple[int, tuple[PeerEntry, ...]], ...]] = {
            key: tuple((number, tuple(found)) for number, found in by_advisory.items())
            for key, by_advisory in grouped.items()
        }

    def parser(self, ecosystem: str, kind: RangeType) -> Parser:
        if kind is RangeType.SEMVER:
            return self._parsers["semver"]
        return self._parsers.get(ecosystem.casefold().split(":", 1)[0], self._generic)

    def entry(self, entry: Entry) -> PeerEntry:
        ranges = []
        for version_range in entry.ranges:
            if version_range.type is RangeType.GIT:
                continue
            parse = self.parser(entry.ecosystem, version_range.type)
            events: list[tuple[Parsed | None, int]] = []
            limits: list[Parsed] = []
            unbounded = False
            for event in version_range.events:
                if event.kind is EventKind.INTRODUCED and event.value == "0":
                    events.append((None, _INTRODUCED))
                    continue
                if event.kind is EventKind.LIMIT and "*" in event.value:
                    unbounded = True
                    continue
                parsed = parse(event.value)
                if parsed is None:  # unreadable boundary: only the listed versions count
                    return PeerEntry(frozenset(entry.versions), ())
                if event.kind is EventKind.LIMIT:
                    limits.append(parsed)
                else:
                    events.append((parsed, _KIND[event.kind]))
            zero = [e for e in events if e[0] is None]
            rest = sorted((e for e in events if e[0] is not None), key=_event_order)
            bound = None if unbounded or not limits else tuple(limits)
            ranges.append(PeerRange(parse, (*zero, *rest), bound))
        return PeerEntry(frozenset(entry.versions), tuple(ranges))

    def package(self, key: PackageKey) -> tuple[tuple[int, tuple[PeerEntry, ...]], ...]:
        return self.packages.get(key, ())


class _Ordered:
    """Sort helper: orders (version, tie) pairs with the version objects' own ``<``."""

    __slots__ = ("tie", "version")

    def __init__(self, version: Parsed, tie: int) -> None:
        self.version = version
        self.tie = tie

    def __lt__(self, other: _Ordered) -> bool:
        if self.version < other.version:
            return True
        if other.version < self.version:
            return False
        return self.tie < other.tie


def _event_order(event: tuple[Parsed | None, int]) -> _Ordered:
    return _Ordered(event[0], event[1])


def entry_affects(entry: PeerEntry, version: str) -> bool:
    """The OSV walk over one entry: listed versions, then each range's sorted events."""
    if version in entry.versions:
        return True
    for version_range in entry.ranges:
        installed = version_range.parse(version)
        if installed is None:
            continue
        limits = version_range.limits
        if limits is not None and not any(installed < limit for limit in limits):
            continue
        affected = False
        for bound, kind in version_range.events:
            if bound is None:
                affected = True
            elif kind == _INTRODUCED:
                if installed < bound:
                    break
                affected = True
            elif kind == _FIXED:
                if installed < bound:
                    break
                affected = False
            elif installed > bound:  # last_affected
                affected = False
            else:
                break
        if affected:
            return True
    return False


def match(index: PeerIndex, fleet: Fleet, stride: int) -> list[int]:
    """Matches as ``row * stride + advisory number``, rows in order. Like ours, each
    distinct (package, version) is evaluated once per run and spread over the rows."""
    packages = index.packages

    def answer(package: PackageKey, version: str) -> tuple[int, ...]:
        return tuple(
            number
            for number, entries in packages.get(package) or ()
            if any(entry_affects(entry, version) for entry in entries)
        )

    return expand(fleet, stride, answer, packages.__contains__)
