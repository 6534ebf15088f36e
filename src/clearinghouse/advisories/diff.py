"""Differences: between two revisions of one advisory (field level), and between sources
that describe the same vulnerability (per package, which versions each calls affected).

Pure: JSON values and neutral model values in, plain values out.

Why lists are matched by identity, not position: inserting a reference at the top of a
list would otherwise report every later reference as changed. Vulnerabilities match by
``id``, affected entries and statements by package (and version), references by URL,
anything else by position.

Why sources are compared by evaluating versions, not by comparing events: Apache and
GitHub can write the same affected set with different events (``introduced 2.0-beta9``
against ``introduced 2.0``), or different sets with similar-looking events. What a
reader needs is where they disagree: every version either source names is evaluated
under each source's ranges, and the versions judged differently are listed.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from clearinghouse.formats.model import Affected, Vulnerability
from clearinghouse.versions import (
    CompiledRanges,
    Interval,
    InvalidVersion,
    compile_ranges,
    scheme_for,
)
from clearinghouse.versions.ecosystems import key_function

MAX_CHANGES = 2000
SortKey = tuple[object, ...]


class Op(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # e.g. "vulnerabilities[CH-2026-0001].affected[Maven/org.x:y].ranges[0]"
    op: Op
    before: Any = None
    after: Any = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "op": self.op.value}
        if self.op is not Op.ADDED:
            out["before"] = self.before
        if self.op is not Op.REMOVED:
            out["after"] = self.after
        return out


def _identity(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    package = item.get("package")
    if isinstance(package, dict):
        label = f"{package.get('ecosystem')}/{package.get('name')}"
        version = item.get("version")
        return f"{label}@{version}" if version else label
    for key in ("id", "url", "number", "name"):
        value = item.get(key)
        if isinstance(value, str):
            return value
    return None


def json_diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """Field-level changes turning ``before`` into ``after`` (at most :data:`MAX_CHANGES`)."""
    out: list[Change] = []
    _diff(before, after, path, out)
    return out[:MAX_CHANGES]


def _diff(before: Any, after: Any, path: str, out: list[Change]) -> None:
    if len(out) >= MAX_CHANGES or before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            where = f"{path}.{key}" if path else key
            if key not in before:
                out.append(Change(where, Op.ADDED, after=after[key]))
            elif key not in after:
                out.append(Change(where, Op.REMOVED, before=before[key]))
            else:
                _diff(before[key], after[key], where, out)
        return
    if isinstance(before, list) and isinstance(after, list):
        _diff_lists(before, after, path, out)
        return
    out.append(Change(path or "$", Op.CHANGED, before, after))


def _diff_lists(before: list[Any], after: list[Any], path: str, out: list[Change]) -> None:
    ids_before = [_identity(x) for x in before]
    ids_after = [_identity(x) for x in after]
    keyed = (
        None not in ids_before
        and None not in ids_after
        and len(set(ids_before)) == len(ids_before)
        and len(set(ids_after)) == len(ids_after)
    )
    if not keyed:
        for index in range(max(len(before), len(after))):
            where = f"{path}[{index}]"
            if index >= len(before):
                out.append(Change(where, Op.ADDED, after=after[index]))
            elif index >= len(after):
                out.append(Change(where, Op.REMOVED, before=before[index]))
            else:
                _diff(before[index], after[index], where, out)
        return
    old = dict(zip(ids_before, before, strict=True))
    new = dict(zip(ids_after, after, strict=True))
    for ident in [*ids_before, *(i for i in ids_after if i not in old)]:
        where = f"{path}[{ident}]"
        if ident not in new:
            out.append(Change(where, Op.REMOVED, before=old[ident]))
        elif ident not in old:
            out.append(Change(where, Op.ADDED, after=new[ident]))
        else:
            _diff(old[ident], new[ident], where, out)


# ---- comparing sources ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One source's description of a vulnerability: who said it and what."""

    label: str  # e.g. "GHSA-jfh8-c2jp-5v3q (osv:GHSA)"
    advisory_id: str
    source: str
    vulnerability: Vulnerability


@dataclass(frozen=True, slots=True)
class SourceRanges:
    label: str
    ranges: tuple[dict[str, Any], ...]  # OSV-style JSON ranges, as the source wrote them
    versions: tuple[str, ...]
    intervals: tuple[str, ...]  # the affected versions as intervals, for people
    error: str | None = None  # when the ranges cannot be evaluated


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Versions (an interval, or one version) that some sources call affected and others not."""

    versions: str  # "(-inf, 2.0-beta9)", "[2.12.2, 2.13.0)" or "2.12.2"
    lower: str | None
    lower_inclusive: bool
    upper: str | None
    upper_inclusive: bool
    affected_according_to: tuple[str, ...]
    not_affected_according_to: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PackageComparison:
    ecosystem: str
    name: str
    sources: tuple[SourceRanges, ...]
    missing_from: tuple[str, ...]  # sources that do not name the package at all
    disagreements: tuple[Disagreement, ...]

    @property
    def agree(self) -> bool:
        return not self.disagreements and not self.missing_from


def _package_key(affected: Affected) -> tuple[str, str]:
    ecosystem = affected.package.ecosystem
    name = affected.package.name
    if scheme_for(ecosystem).value == "pypi":
        name = name.lower().replace("_", "-").replace(".", "-")
    return ecosystem.casefold(), name


def _range_json(affected: Affected) -> tuple[dict[str, Any], ...]:
    out = []
    for r in affected.ranges:
        item: dict[str, Any] = {
            "type": r.type.value,
            "events": [{e.kind.value: e.value} for e in r.events],
        }
        if r.repo:
            item["repo"] = r.repo
        out.append(item)
    return tuple(out)


def compare_sources(records: Sequence[SourceRecord]) -> list[PackageComparison]:
    """Per package named by any record: each source's ranges and the versions they
    judge differently (every version any of them names is evaluated by each)."""
    packages: dict[tuple[str, str], dict[str, list[Affected]]] = {}
    display: dict[tuple[str, str], tuple[str, str]] = {}
    for record in records:
        for affected in record.vulnerability.affected:
            key = _package_key(affected)
            display.setdefault(key, (affected.package.ecosystem, affected.package.name))
            packages.setdefault(key, {}).setdefault(record.label, []).append(affected)
    labels = [r.label for r in records]
    result = []
    for key in sorted(packages):
        by_source = packages[key]
        ecosystem, name = display[key]
        result.append(_compare_package(ecosystem, name, labels, by_source))
    return result


def _compare_package(
    ecosystem: str, name: str, labels: Sequence[str], by_source: dict[str, list[Affected]]
) -> PackageComparison:
    sources: list[SourceRanges] = []
    compiled: dict[str, CompiledRanges] = {}
    listed: set[str] = set()
    for label in labels:
        entries = by_source.get(label)
        if not entries:
            continue
        ranges = tuple(r for a in entries for r in a.ranges)
        versions = tuple(v for a in entries for v in a.versions)
        listed.update(versions)
        ready = compile_ranges(ecosystem, ranges, versions)
        if ready.unreadable:  # its ranges are a guess there: not compared
            detail = "; ".join(f"range event {bound}" for bound in ready.unreadable[:5])
            sources.append(SourceRanges(label, _ranges_of(entries), versions, (), detail))
            continue
        compiled[label] = ready
        intervals = tuple(str(i) for i in ready.intervals())
        sources.append(SourceRanges(label, _ranges_of(entries), versions, intervals))
    found = _interval_disagreements(compiled)
    if found is None:  # orderings differ: compare at every version any source names
        points = set(listed)
        for item in compiled.values():
            points.update(label for steps in item.steps for label in steps.labels)
        found = _point_disagreements(ecosystem, compiled, points, covered=())
    else:
        found += _point_disagreements(ecosystem, compiled, listed, covered=found)
    missing = tuple(label for label in labels if label not in by_source)
    return PackageComparison(ecosystem, name, tuple(sources), missing, tuple(found))


def _interval_disagreements(compiled: dict[str, CompiledRanges]) -> list[Disagreement] | None:
    """Walk the merged bounds of every source's step function (one shared ordering)."""
    schemes = {steps.scheme for item in compiled.values() for steps in item.steps}
    if len(schemes) > 1 or any(len(item.steps) > 1 for item in compiled.values()):
        return None
    labels: dict[SortKey, str] = {}
    for item in compiled.values():
        for steps in item.steps:
            labels.update(zip(steps.bounds, steps.labels, strict=True))
    bounds = sorted(labels)
    names = list(compiled)

    def verdicts(index: int, on_bound: bool) -> tuple[bool, ...]:
        out = []
        for label in names:
            item = compiled[label]
            if not item.steps:
                out.append(on_bound and bounds[index] in item.version_keys)
                continue
            steps = item.steps[0]
            if on_bound:
                out.append(steps.contains_key(bounds[index]) or bounds[index] in item.version_keys)
            else:
                position = bisect_right(steps.bounds, bounds[index - 1]) if index else 0
                out.append(steps.between[position])
        return tuple(out)

    found: list[Disagreement] = []
    run: tuple[tuple[bool, ...], str | None, bool] | None = None  # verdicts, lower, inclusive
    for position in range(2 * len(bounds) + 1):
        index, on_bound = divmod(position, 2)
        here = verdicts(index, bool(on_bound))
        split = any(here) and not all(here)
        if run is not None and here != run[0]:
            # close the run just below this segment
            upper, upper_inclusive = (
                (labels[bounds[index]], False) if on_bound else (labels[bounds[index - 1]], True)
            )
            found.append(_disagreement(names, run[0], run[1], run[2], upper, upper_inclusive))
            run = None
        if split and run is None:
            if on_bound:
                run = (here, labels[bounds[index]], True)
            else:
                run = (here, labels[bounds[index - 1]] if index else None, False)
    if run is not None:
        found.append(_disagreement(names, run[0], run[1], run[2], None, False))
    return found


def _disagreement(
    names: Sequence[str],
    verdicts: tuple[bool, ...],
    lower: str | None,
    lower_inclusive: bool,
    upper: str | None,
    upper_inclusive: bool,
) -> Disagreement:
    if lower is not None and lower == upper and lower_inclusive and upper_inclusive:
        text = lower
    else:
        text = str(Interval(lower, lower_inclusive, upper, upper_inclusive))
    return Disagreement(
        text,
        lower,
        lower_inclusive,
        upper,
        upper_inclusive,
        tuple(n for n, v in zip(names, verdicts, strict=True) if v),
        tuple(n for n, v in zip(names, verdicts, strict=True) if not v),
    )


def _point_disagreements(
    ecosystem: str,
    compiled: dict[str, CompiledRanges],
    versions: Iterable[str],
    covered: Sequence[Disagreement],
) -> list[Disagreement]:
    seen = {d.versions for d in covered}
    out = []
    for version in _ordered(ecosystem, versions):
        yes: list[str] = []
        no: list[str] = []
        for label, item in compiled.items():
            try:
                (yes if item.affects(version) else no).append(label)
            except InvalidVersion:
                continue
        if yes and no and version not in seen and not _inside(ecosystem, version, covered):
            out.append(Disagreement(version, version, True, version, True, tuple(yes), tuple(no)))
    return out


def _inside(ecosystem: str, version: str, covered: Sequence[Disagreement]) -> bool:
    key_of = key_function(scheme_for(ecosystem))
    try:
        key = key_of(version)
        for d in covered:
            above = (
                d.lower is None
                or key > key_of(d.lower)
                or (d.lower_inclusive and key == key_of(d.lower))
            )
            below = (
                d.upper is None
                or key < key_of(d.upper)
                or (d.upper_inclusive and key == key_of(d.upper))
            )
            if above and below:
                return True
    except InvalidVersion:
        return False
    return False


def _ranges_of(entries: Iterable[Affected]) -> tuple[dict[str, Any], ...]:
    return tuple(r for a in entries for r in _range_json(a))


def _ordered(ecosystem: str, versions: Iterable[str]) -> list[str]:
    key_of = key_function(scheme_for(ecosystem))
    keyed: list[tuple[Any, str]] = []
    loose: list[str] = []
    for version in versions:
        try:
            keyed.append((key_of(version), version))
        except InvalidVersion:
            loose.append(version)
    keyed.sort(key=lambda pair: pair[0])
    return [v for _, v in keyed] + sorted(loose)
