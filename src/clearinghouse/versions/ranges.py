"""OSV range evaluation: is a package version affected?

Semantics follow the OSV schema's evaluation pseudocode. A version is affected when it
equals one of the explicit ``versions`` or falls in any range. Within one range the
events are sorted by version (``introduced: "0"`` first, before everything) and walked
in order: an ``introduced`` at or below the version sets "affected", a ``fixed`` at or
below it clears it, a ``last_affected`` strictly below it clears it; the range counts
only while the version is below one of its ``limit`` events (a limit containing ``*``,
or no limit at all, means no bound). When two events share a version, ``introduced``
sorts before ``fixed`` and ``last_affected``, so ``introduced X, fixed X`` is empty and
``introduced X, last_affected X`` is exactly ``X``.

Orderings: ``SEMVER`` ranges use SemVer precedence whatever the ecosystem; ``ECOSYSTEM``
ranges use the ecosystem's own ordering (:func:`~clearinghouse.versions.ecosystems.
scheme_for`). ``GIT`` ranges name commits, not package versions, and are not evaluated
here: a version is affected through a GIT-only entry only if it is in ``versions``.

An explicit version matches when it is the same string, or when both strings parse to
equal versions under the ecosystem's ordering (``1.0`` and ``1.0.0`` in PyPI).

Speed: :func:`compile_ranges` turns the ranges into a step function over sort keys: the
sorted distinct event versions, whether each one is affected, and whether the open gap
below, between and above them is. A check is then one ``bisect`` and one equality test.
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from clearinghouse.errors import InvalidInput
from clearinghouse.formats.model import EventKind, RangeType, VersionRange
from clearinghouse.versions import pypi
from clearinghouse.versions.ecosystems import KeyFunction, Scheme, key_function, scheme_for
from clearinghouse.versions.errors import InvalidVersion

__all__ = [
    "CompiledRanges",
    "Interval",
    "Steps",
    "UnreadableBound",
    "Verdict",
    "affected_intervals",
    "compile_ranges",
    "is_affected",
    "range_key_function",
]

SortKey = tuple[object, ...]

_BEFORE_EVERYTHING = "0"  # OSV: introduced "0" sorts before any version
_TIE_ORDER = {
    EventKind.INTRODUCED: 0,
    EventKind.FIXED: 1,
    EventKind.LAST_AFFECTED: 2,
}
_ZERO_INDEX = -1  # the boundary index given to introduced "0"

# Range evaluation reads PyPI versions as PEP 440 only: the legacy ordering would place a
# non-PEP 440 boundary or query below every real version (see pypi.strict_sort_key).
_STRICT_KEYS: dict[Scheme, KeyFunction] = {Scheme.PYPI: pypi.strict_sort_key}


def range_key_function(scheme: Scheme) -> KeyFunction:
    """The key function ranges are evaluated with: the scheme's own, but strict for PyPI.

    Compute the keys given to :meth:`CompiledRanges.affects_key` with it.
    """
    return _STRICT_KEYS.get(scheme) or key_function(scheme)


class Verdict(enum.StrEnum):
    """What ranges say of one version."""

    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    # Cannot be excluded: the version, or a boundary of the ranges, is one the ordering
    # cannot read, and the reading that could exclude it is a guess.
    UNDECIDED = "undecided"


@dataclass(frozen=True, slots=True)
class UnreadableBound:
    """A range event whose version the ordering cannot read. It never narrows the range:
    an ``introduced`` counts as ``0``, a ``fixed``, ``last_affected`` or ``limit`` as absent."""

    kind: EventKind
    version: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind.value}={self.version!r}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Interval:
    """A run of affected versions, for display; ``None`` means unbounded on that side."""

    lower: str | None
    lower_inclusive: bool
    upper: str | None
    upper_inclusive: bool

    def __str__(self) -> str:
        opening = "[" if self.lower_inclusive else "("
        closing = "]" if self.upper_inclusive else ")"
        low = "(-inf" if self.lower is None else opening + self.lower
        high = "+inf)" if self.upper is None else self.upper + closing
        return f"{low}, {high}"


@dataclass(frozen=True, slots=True)
class Steps:
    """The ranges of one ordering scheme as a step function over sort keys.

    ``at[i]``: is the version ``bounds[i]`` affected; ``between[i]``: are the versions
    strictly between ``bounds[i-1]`` and ``bounds[i]`` affected (``between[0]`` below
    every bound, ``between[-1]`` above all).
    """

    scheme: Scheme
    key: KeyFunction
    bounds: tuple[SortKey, ...]
    labels: tuple[str, ...]  # a version string for each bound
    at: tuple[bool, ...]
    between: tuple[bool, ...]

    def contains_key(self, key: SortKey) -> bool:
        """Is the version with this sort key (from :attr:`key`) inside the ranges?"""
        bounds = self.bounds
        index = bisect_left(bounds, key)
        if index < len(bounds) and bounds[index] == key:
            return self.at[index]
        return self.between[index]

    def intervals(self) -> tuple[Interval, ...]:
        """The affected versions as maximal intervals, lowest first."""
        found: list[Interval] = []
        lower: str | None = None
        lower_inclusive = False
        inside = False
        count = len(self.bounds)
        # Walk gap 0, bound 0, gap 1, bound 1, ..., gap n.
        for position in range(2 * count + 1):
            index, on_bound = divmod(position, 2)
            affected = self.at[index] if on_bound else self.between[index]
            if affected and not inside:
                inside = True
                if on_bound:
                    lower, lower_inclusive = self.labels[index], True
                elif index == 0:
                    lower, lower_inclusive = None, False
                else:
                    lower, lower_inclusive = self.labels[index - 1], False
            elif not affected and inside:
                inside = False
                if on_bound:
                    found.append(Interval(lower, lower_inclusive, self.labels[index], False))
                else:
                    found.append(Interval(lower, lower_inclusive, self.labels[index - 1], True))
        if inside:
            found.append(Interval(lower, lower_inclusive, None, False))
        return tuple(found)


@dataclass(frozen=True, slots=True)
class CompiledRanges:
    """One ``affected`` entry's ranges and versions, ready for many fast checks."""

    ecosystem: str
    steps: tuple[Steps, ...]
    versions: frozenset[str]
    version_keys: frozenset[SortKey]  # the explicit versions under the ecosystem ordering
    scheme: Scheme | None  # the one ordering every part uses, or None when they differ
    single: Steps | None  # the only part, when no listed version needs a key look-up
    unreadable: tuple[UnreadableBound, ...] = ()  # boundaries read as widening the range

    def affects(self, version: str) -> bool:
        """Is ``version`` affected?

        Raises :class:`InvalidVersion` when a strict ordering the ranges need cannot
        read ``version`` and nothing else (the listed strings, another range) shows it
        affected: an unreadable version is never silently reported clean.
        """
        if version in self.versions:
            return True
        single = self.single
        if single is not None:  # the common case, inlined: one bisect, one equality
            key = single.key(version)
            bounds = single.bounds
            index = bisect_left(bounds, key)
            if index < len(bounds) and bounds[index] == key:
                return single.at[index]
            return single.between[index]
        return self._affects_any_part(version)

    def _affects_any_part(self, version: str) -> bool:
        unreadable: InvalidVersion | None = None
        for steps in self.steps:
            try:
                key = steps.key(version)
            except InvalidVersion as exc:
                unreadable = exc
                continue
            if steps.contains_key(key):
                return True
        if self.version_keys:
            try:
                if range_key_function(scheme_for(self.ecosystem))(version) in self.version_keys:
                    return True
            except InvalidVersion as exc:
                unreadable = exc
        if unreadable is not None:
            raise unreadable
        return False

    def verdict(self, version: str) -> Verdict:
        """:meth:`affects` with the cases it cannot decide named: a version the ordering
        cannot read, or an answer that rests on a boundary it could not read, is
        :attr:`Verdict.UNDECIDED` (never silently clean)."""
        if version in self.versions:
            return Verdict.AFFECTED
        try:
            affected = self.affects(version)
        except InvalidVersion:
            return Verdict.UNDECIDED
        return self._verdict(affected)

    def verdict_key(self, key: SortKey) -> Verdict:
        """:meth:`verdict` for a key from ``range_key_function(scheme)``."""
        return self._verdict(self.affects_key(key))

    def _verdict(self, affected: bool) -> Verdict:
        if not affected:
            return Verdict.NOT_AFFECTED
        return Verdict.UNDECIDED if self.unreadable else Verdict.AFFECTED

    def affects_key(self, key: SortKey) -> bool:
        """Like :meth:`affects` for a key already computed with ``range_key_function(scheme)``.

        The hot path of matching: one key per installed version, reused across every
        advisory of the package. Only for entries whose parts share one :attr:`scheme`.
        """
        if self.scheme is None:
            raise InvalidInput(
                "these ranges mix version orderings; check with affects(version) instead",
                ecosystem=self.ecosystem,
            )
        single = self.single
        if single is not None:
            bounds = single.bounds
            index = bisect_left(bounds, key)
            if index < len(bounds) and bounds[index] == key:
                return single.at[index]
            return single.between[index]
        for steps in self.steps:
            if steps.contains_key(key):
                return True
        return key in self.version_keys

    def intervals(self) -> tuple[Interval, ...]:
        """Affected intervals of every evaluated range (explicit versions not included)."""
        return tuple(interval for steps in self.steps for interval in steps.intervals())

    def __str__(self) -> str:
        return " ".join(str(interval) for interval in self.intervals())


# An event placed on the sorted boundaries: (boundary index, tie order, kind).
_Placed = tuple[int, int, EventKind]


def _range_affected(events: Sequence[_Placed], index: int, on_bound: bool) -> bool:
    """The OSV event walk for a version at bound ``index`` or in the gap below it."""
    affected = False
    for event_index, _tie, kind in events:  # sorted by (index, tie order)
        if event_index < index or event_index == _ZERO_INDEX:
            fires = True
        elif event_index == index and on_bound:
            fires = kind is not EventKind.LAST_AFFECTED
        else:
            fires = False
        if not fires:
            break  # events are sorted, so the rest do not fire either
        affected = kind is EventKind.INTRODUCED
    return affected


def _below_limits(limits: Sequence[int] | None, index: int, on_bound: bool) -> bool:
    if limits is None:
        return True
    if on_bound:
        return any(limit > index for limit in limits)
    return any(limit >= index for limit in limits)


def _compile_scheme(
    scheme: Scheme, ranges: Iterable[VersionRange], unreadable: list[UnreadableBound]
) -> Steps:
    """The step function of ranges of one ordering; events it cannot read are appended to
    ``unreadable`` and widen their range (see :class:`UnreadableBound`)."""
    key_of = range_key_function(scheme)
    labels: dict[SortKey, str] = {}
    raw: list[tuple[list[tuple[SortKey | None, EventKind]], list[SortKey] | None]] = []
    for version_range in ranges:
        events: list[tuple[SortKey | None, EventKind]] = []
        limits: list[SortKey] = []
        unbounded = False
        for event in version_range.events:
            if event.kind is EventKind.INTRODUCED and event.value == _BEFORE_EVERYTHING:
                events.append((None, event.kind))
                continue
            if event.kind is EventKind.LIMIT and "*" in event.value:
                unbounded = True
                continue
            try:
                key = key_of(event.value)
            except InvalidVersion as exc:
                unreadable.append(UnreadableBound(event.kind, event.value, exc.detail))
                if event.kind is EventKind.INTRODUCED:
                    events.append((None, event.kind))
                elif event.kind is EventKind.LIMIT:
                    unbounded = True
                continue
            labels.setdefault(key, event.value)
            if event.kind is EventKind.LIMIT:
                limits.append(key)
            else:
                events.append((key, event.kind))
        raw.append((events, None if unbounded or not limits else limits))

    bounds = sorted(labels)
    position = {key: index for index, key in enumerate(bounds)}
    placed: list[tuple[list[_Placed], list[int] | None]] = []
    for events, limit_keys in raw:
        walk = sorted(
            (_ZERO_INDEX if key is None else position[key], _TIE_ORDER[kind], kind)
            for key, kind in events
        )
        indexes = None if limit_keys is None else [position[key] for key in limit_keys]
        placed.append((walk, indexes))

    def affected(index: int, on_bound: bool) -> bool:
        return any(
            _below_limits(limits, index, on_bound) and _range_affected(walk, index, on_bound)
            for walk, limits in placed
        )

    count = len(bounds)
    at = [affected(index, True) for index in range(count)]
    between = [affected(index, False) for index in range(count + 1)]

    # Drop bounds that change nothing (affected or not on both sides and on the bound).
    keep = [i for i in range(count) if not (between[i] == at[i] == between[i + 1])]
    return Steps(
        scheme=scheme,
        key=key_of,
        bounds=tuple(bounds[i] for i in keep),
        labels=tuple(labels[bounds[i]] for i in keep),
        at=tuple(at[i] for i in keep),
        between=(between[0], *(between[i + 1] for i in keep)),
    )


def compile_ranges(
    ecosystem: str, ranges: Iterable[VersionRange], versions: Iterable[str] = ()
) -> CompiledRanges:
    """Pre-compute one ``affected`` entry for fast repeated checks.

    An event whose version the range's ordering cannot read (a non-SemVer string in a
    ``SEMVER`` range, a non-PEP 440 one in PyPI) never narrows its range: it is listed in
    :attr:`CompiledRanges.unreadable`, and answers resting on it are
    :attr:`Verdict.UNDECIDED`.
    """
    ecosystem_scheme = scheme_for(ecosystem)
    grouped: dict[Scheme, list[VersionRange]] = {}
    for version_range in ranges:
        match version_range.type:
            case RangeType.GIT:
                continue
            case RangeType.SEMVER:
                scheme = Scheme.SEMVER
            case RangeType.ECOSYSTEM:
                scheme = ecosystem_scheme
        grouped.setdefault(scheme, []).append(version_range)
    unreadable: list[UnreadableBound] = []
    steps = tuple(_compile_scheme(scheme, group, unreadable) for scheme, group in grouped.items())

    listed = frozenset(versions)
    ecosystem_key = range_key_function(ecosystem_scheme)
    keys: set[SortKey] = set()
    for version in listed:
        try:
            keys.add(ecosystem_key(version))
        except InvalidVersion:
            continue  # still matched as an exact string
    schemes = {part.scheme for part in steps}
    if keys:
        schemes.add(ecosystem_scheme)
    shared: Scheme | None = ecosystem_scheme
    if len(schemes) == 1:
        shared = schemes.pop()
    elif schemes:
        shared = None
    return CompiledRanges(
        ecosystem=ecosystem,
        steps=steps,
        versions=listed,
        version_keys=frozenset(keys),
        scheme=shared,
        single=steps[0] if len(steps) == 1 and not keys else None,
        unreadable=tuple(unreadable),
    )


@lru_cache(maxsize=4096)
def _compiled(
    ecosystem: str, ranges: tuple[VersionRange, ...], versions: tuple[str, ...]
) -> CompiledRanges:
    return compile_ranges(ecosystem, ranges, versions)


def is_affected(
    ecosystem: str,
    version: str,
    ranges: Sequence[VersionRange],
    versions: Sequence[str] = (),
) -> bool:
    """Is ``version`` of a package in ``ecosystem`` affected, per OSV's evaluation?

    Compiles (and caches) the ranges on first use; see :func:`compile_ranges` to hold
    the compiled form yourself.
    """
    return _compiled(ecosystem, tuple(ranges), tuple(versions)).affects(version)


def affected_intervals(ecosystem: str, ranges: Sequence[VersionRange]) -> tuple[Interval, ...]:
    """The affected versions as intervals, e.g. ``[2.0-beta9, 2.3.1) [2.4, 2.12.2)``."""
    return _compiled(ecosystem, tuple(ranges), ()).intervals()
