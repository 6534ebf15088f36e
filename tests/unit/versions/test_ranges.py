"""OSV range evaluation: facts, and agreement with a naive walk of the spec's pseudocode."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.errors import InvalidInput
from clearinghouse.formats.model import EventKind, RangeEvent, RangeType, VersionRange
from clearinghouse.versions import (
    Interval,
    InvalidVersion,
    Scheme,
    Verdict,
    affected_intervals,
    compare,
    compile_ranges,
    is_affected,
    key_function,
    sort_key,
)
from clearinghouse.versions import semver as semver_module

INTRODUCED, FIXED, LAST, LIMIT = (
    EventKind.INTRODUCED,
    EventKind.FIXED,
    EventKind.LAST_AFFECTED,
    EventKind.LIMIT,
)


def rng(*events: tuple[EventKind, str], kind: RangeType = RangeType.ECOSYSTEM) -> VersionRange:
    repo = "https://example.invalid/repo.git" if kind is RangeType.GIT else None
    return VersionRange(kind, tuple(RangeEvent(k, v) for k, v in events), repo)


LOG4SHELL = (
    rng((INTRODUCED, "2.0-beta9"), (FIXED, "2.3.1")),
    rng((INTRODUCED, "2.4"), (FIXED, "2.12.2")),
    rng((INTRODUCED, "2.13.0"), (FIXED, "2.15.0")),
)


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        ("2.14.1", True),
        ("2.15.0", False),
        ("2.12.2", False),
        ("2.3.1", False),
        ("2.0-beta8", False),
        ("2.0-beta9", True),
        ("2.0", True),
        ("2.15.0-rc1", True),
        ("2.12.1", True),
        ("2.3.2", False),
        ("2.17.1", False),
        ("1.2.17", False),
    ],
)
def test_log4shell(version: str, affected: bool) -> None:
    core = "org.apache.logging.log4j:log4j-core"
    assert core.count(":") == 1  # Maven names are groupId:artifactId
    assert is_affected("Maven", version, LOG4SHELL) is affected
    assert compile_ranges("Maven", LOG4SHELL).affects(version) is affected


def test_log4shell_intervals_render_for_people() -> None:
    assert " ".join(map(str, affected_intervals("Maven", LOG4SHELL))) == (
        "[2.0-beta9, 2.3.1) [2.4, 2.12.2) [2.13.0, 2.15.0)"
    )
    assert str(compile_ranges("Maven", LOG4SHELL)) == (
        "[2.0-beta9, 2.3.1) [2.4, 2.12.2) [2.13.0, 2.15.0)"
    )


@pytest.mark.parametrize(
    ("ranges", "text"),
    [
        ((rng((INTRODUCED, "0")),), "(-inf, +inf)"),
        ((rng((INTRODUCED, "0"), (LAST, "1.0")),), "(-inf, 1.0]"),
        ((rng((INTRODUCED, "1.0"), (LAST, "1.0")),), "[1.0, 1.0]"),
        ((rng((INTRODUCED, "1.0"), (FIXED, "1.0")),), ""),
        ((rng((INTRODUCED, "1.0"), (LIMIT, "2.0")),), "[1.0, 2.0)"),
        ((rng((INTRODUCED, "1.0"), (LIMIT, "*")),), "[1.0, +inf)"),
        ((rng((INTRODUCED, "1.0"), (FIXED, "2.0")), rng((INTRODUCED, "2.0"))), "[1.0, +inf)"),
        ((rng((INTRODUCED, "0"), (FIXED, "1.0"), (INTRODUCED, "1.5"), (FIXED, "2.0")),),
         "(-inf, 1.0) [1.5, 2.0)"),
        ((rng((INTRODUCED, "abc"), kind=RangeType.GIT),), ""),
    ],
)  # fmt: skip
def test_intervals(ranges: Sequence[VersionRange], text: str) -> None:
    assert " ".join(map(str, affected_intervals("PyPI", ranges))) == text


def test_limit_bounds_a_range() -> None:
    ranges = (rng((INTRODUCED, "1.0"), (LIMIT, "1.5"), (LIMIT, "3.0"), (FIXED, "2.0")),)
    assert is_affected("PyPI", "1.4", ranges)
    assert is_affected("PyPI", "1.9", ranges)  # below one of the limits
    assert not is_affected("PyPI", "2.0", ranges)
    only = (rng((INTRODUCED, "1.0"), (LIMIT, "1.5")),)
    assert is_affected("PyPI", "1.4.9", only)
    assert not is_affected("PyPI", "1.5", only)


def test_git_ranges_are_not_evaluated_but_listed_versions_count() -> None:
    ranges = (rng((INTRODUCED, "0"), kind=RangeType.GIT),)
    assert not is_affected("PyPI", "1.0", ranges)
    assert is_affected("PyPI", "1.0", ranges, versions=["1.0"])
    assert is_affected("PyPI", "1.0.0", ranges, versions=["1.0"])  # equal as versions
    assert not is_affected("PyPI", "1.0.1", ranges, versions=["1.0"])


def test_semver_ranges_use_semver_whatever_the_ecosystem() -> None:
    ranges = (rng((INTRODUCED, "1.0.0"), (FIXED, "1.2.0"), kind=RangeType.SEMVER),)
    assert is_affected("crates.io", "1.2.0-rc.1", ranges)
    assert not is_affected("crates.io", "1.2.0+build", ranges)
    assert is_affected("Go", "v1.1.0", ranges)
    with pytest.raises(InvalidVersion):
        is_affected("crates.io", "1.1", ranges)
    assert is_affected("crates.io", "1.1", ranges, versions=["1.1"])  # the literal string


def test_an_unreadable_boundary_never_narrows_its_range() -> None:
    """A boundary the ordering cannot read is reported with its event and widens the
    range: everything it might have cleared is undecided, never clean."""
    compiled = compile_ranges(
        "npm", [rng((INTRODUCED, "0"), (FIXED, "1.2"), kind=RangeType.SEMVER)]
    )
    assert [str(b) for b in compiled.unreadable] == [
        f"fixed='1.2': {compiled.unreadable[0].reason}"
    ]
    assert compiled.verdict("9.0.0") is Verdict.UNDECIDED
    introduced = compile_ranges("npm", [rng((INTRODUCED, "x"), (FIXED, "2.0.0"))])
    assert introduced.verdict("0.1.0") is Verdict.UNDECIDED  # "x" read as the beginning
    assert introduced.verdict("2.0.0") is Verdict.NOT_AFFECTED  # the readable fix holds


@pytest.mark.parametrize(
    ("record", "fixed", "version"),
    [
        ("PYSEC-2021-371", "0.2.0-n653", "0.1.0"),  # binderhub
        ("PYSEC-2019-125", "2019-09-12", "1.4.4"),  # steam
    ],
)
def test_a_non_pep440_fix_does_not_clear_every_release(
    record: str, fixed: str, version: str
) -> None:
    """Issue #9, item 4: under the legacy ordering these fix versions sort below every
    PEP 440 release, so the range ``[0, fixed)`` held no real version."""
    compiled = compile_ranges("PyPI", [rng((INTRODUCED, "0"), (FIXED, fixed))])
    assert [b.version for b in compiled.unreadable] == [fixed], record
    assert compiled.verdict(version) is Verdict.UNDECIDED
    assert is_affected("PyPI", version, [rng((INTRODUCED, "0"), (FIXED, fixed))])


@pytest.mark.parametrize(
    ("ecosystem", "version"),
    [("crates.io", "1.8"), ("crates.io", "not-semver"), ("PyPI", "not-a-version")],
)
def test_an_unreadable_queried_version_is_undecided(ecosystem: str, version: str) -> None:
    """Issue #9, item 3: tokio "1.8" (1.8.0 is affected) and PyPI "not-a-version" (read
    as a legacy version, below every range) were reported clean."""
    kind = RangeType.SEMVER if ecosystem == "crates.io" else RangeType.ECOSYSTEM
    compiled = compile_ranges(ecosystem, [rng((INTRODUCED, "1.0.0"), (FIXED, "1.8.4"), kind=kind)])
    assert compiled.verdict(version) is Verdict.UNDECIDED
    assert compiled.verdict("1.8.0") is Verdict.AFFECTED
    assert compiled.verdict("1.8.4") is Verdict.NOT_AFFECTED
    listed = compile_ranges(ecosystem, [], versions=[version])
    assert listed.verdict(version) is Verdict.AFFECTED  # listed literally: decided


def test_affects_key_is_the_same_check() -> None:
    compiled = compile_ranges("Maven", LOG4SHELL, versions=["2.16.0"])
    key_of = key_function(Scheme.MAVEN)
    assert compiled.scheme is Scheme.MAVEN
    for version in ["2.0", "2.3.1", "2.15.0-rc1", "2.16.0", "2.16", "2.17.0"]:
        assert compiled.affects_key(key_of(version)) is compiled.affects(version), version


def test_affects_key_refuses_mixed_orderings() -> None:
    mixed = compile_ranges(
        "PyPI",
        [rng((INTRODUCED, "1.0.0"), kind=RangeType.SEMVER), rng((INTRODUCED, "2.0"))],
    )
    assert mixed.scheme is None
    assert mixed.affects("2.1")  # the PyPI range says so, whatever SemVer makes of "2.1"
    with pytest.raises(InvalidVersion):
        mixed.affects("1.5")  # only the SemVer range could tell, and it cannot read it
    with pytest.raises(InvalidInput):
        mixed.affects_key(key_function(Scheme.PYPI)("2.1"))


# --- Agreement with a naive walk of the OSV pseudocode ---------------------------------

# PyPI ranges are evaluated as PEP 440 only: legacy strings such as 0.7.10p1 are
# unreadable there (test_a_non_pep440_fix_does_not_clear_every_release).
POOLS = {
    "PyPI": ["0.1", "0.9", "1.0.dev1", "1.0a1", "1.0", "1.0.0", "1.0.post1", "1.1", "2.0",
             "2.0.1", "10.0", "1!0.5"],
    "Maven": ["1.0-alpha1", "1.0-SNAPSHOT", "1.0", "1", "1.0.1", "1.1-rc1", "1.1", "2.0-beta9",
              "2.0", "2.3.1", "5.3.18.RELEASE", "5.3.18", "1.0-sp1"],
    "crates.io": ["0.1.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0", "1.0.1", "1.1.0",
                  "2.0.0-rc.1", "2.0.0", "2.0.0+build", "10.0.0"],
    "RubyGems": ["0.9", "1.0.0.pre", "1.0.0.rc1", "1.0", "1.0.0", "1.0.1", "2.0.a", "2.0"],
}  # fmt: skip
_TIE = {INTRODUCED: 0, FIXED: 1, LAST: 2}


def naive_is_affected(
    ecosystem: str, version: str, ranges: Sequence[VersionRange], versions: Sequence[str]
) -> bool:
    """The OSV pseudocode, literally, with compare() for every comparison."""
    if version in versions:
        return True
    for version_range in ranges:
        if version_range.type is RangeType.GIT:
            continue

        cmp = (
            semver_module.compare
            if version_range.type is RangeType.SEMVER
            else functools.partial(compare, ecosystem)
        )

        limits = [e.value for e in version_range.events if e.kind is LIMIT]
        if limits and not any("*" in limit or cmp(version, limit) < 0 for limit in limits):
            continue

        def order(x: RangeEvent, y: RangeEvent, cmp: Callable[[str, str], int] = cmp) -> int:
            x_zero = x.kind is INTRODUCED and x.value == "0"
            y_zero = y.kind is INTRODUCED and y.value == "0"
            if x_zero or y_zero:
                return y_zero - x_zero
            return cmp(x.value, y.value) or _TIE[x.kind] - _TIE[y.kind]

        events = [e for e in version_range.events if e.kind is not LIMIT]
        vulnerable = False
        for event in sorted(events, key=functools.cmp_to_key(order)):
            if event.kind is INTRODUCED and (event.value == "0" or cmp(version, event.value) >= 0):
                vulnerable = True
            elif (event.kind is FIXED and cmp(version, event.value) >= 0) or (
                event.kind is LAST and cmp(version, event.value) > 0
            ):
                vulnerable = False
        if vulnerable:
            return True
    return False


@st.composite
def osv_entries(draw: st.DrawFn) -> tuple[str, list[VersionRange], list[str], str]:
    ecosystem = draw(st.sampled_from(sorted(POOLS)))
    pool = POOLS[ecosystem]
    kind = RangeType.SEMVER if ecosystem == "crates.io" else RangeType.ECOSYSTEM
    ranges = []
    for _ in range(draw(st.integers(1, 3))):
        closing = draw(st.sampled_from([FIXED, LAST]))
        events = [(INTRODUCED, draw(st.sampled_from(["0", *pool])))]
        events += draw(
            st.lists(
                st.tuples(
                    st.sampled_from([INTRODUCED, closing, closing, LIMIT]), st.sampled_from(pool)
                ),
                max_size=5,
            )
        )
        ranges.append(rng(*draw(st.permutations(events)), kind=kind))
    if draw(st.booleans()):
        ranges.append(rng((INTRODUCED, "0"), kind=RangeType.GIT))
    versions = draw(st.lists(st.sampled_from(pool), max_size=2))
    return ecosystem, ranges, versions, draw(st.sampled_from(pool))


@settings(derandomize=True, max_examples=300, deadline=None)
@given(osv_entries())
def test_compiled_ranges_agree_with_the_naive_walk(
    entry: tuple[str, list[VersionRange], list[str], str],
) -> None:
    ecosystem, ranges, versions, _query = entry
    compiled = compile_ranges(ecosystem, ranges, versions)
    for version in POOLS[ecosystem]:
        naive = naive_is_affected(ecosystem, version, ranges, versions)
        if not naive and versions:
            # Listed versions also match when equal as versions (1.0 == 1.0.0 in PyPI).
            naive = any(compare(ecosystem, version, listed) == 0 for listed in versions)
        assert compiled.affects(version) is naive, (version, ranges, versions)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(osv_entries())
def test_intervals_hold_exactly_the_affected_versions(
    entry: tuple[str, list[VersionRange], list[str], str],
) -> None:
    ecosystem, ranges, _versions, _query = entry
    compiled = compile_ranges(ecosystem, ranges)
    intervals = compiled.intervals()

    def inside(version: str, interval: Interval) -> bool:
        low, high = interval.lower, interval.upper
        above = low is None or compare(ecosystem, version, low) >= (not interval.lower_inclusive)
        below = high is None or compare(ecosystem, version, high) <= -(not interval.upper_inclusive)
        return above and below

    for version in POOLS[ecosystem]:
        in_some = any(inside(version, interval) for interval in intervals)
        assert in_some is compiled.affects(version), (version, [str(i) for i in intervals])


@settings(derandomize=True, max_examples=200)
@given(ecosystem=st.sampled_from(sorted(POOLS)), data=st.data())
def test_boundaries_introduced_zero_fixed_and_last_affected(
    ecosystem: str, data: st.DataObject
) -> None:
    kind = RangeType.SEMVER if ecosystem == "crates.io" else RangeType.ECOSYSTEM
    pool = POOLS[ecosystem]
    low, high = sorted(
        data.draw(st.lists(st.sampled_from(pool), min_size=2, max_size=2, unique=True)),
        key=functools.partial(sort_key, ecosystem),
    )
    if compare(ecosystem, low, high) == 0:
        return  # two spellings of one version
    fixed = compile_ranges(ecosystem, [rng((INTRODUCED, low), (FIXED, high), kind=kind)])
    last = compile_ranges(ecosystem, [rng((INTRODUCED, low), (LAST, high), kind=kind)])
    from_zero = compile_ranges(ecosystem, [rng((INTRODUCED, "0"), (FIXED, high), kind=kind)])
    assert fixed.affects(low)
    assert not fixed.affects(high)
    assert last.affects(low)
    assert last.affects(high)
    for version in pool:
        below_high = compare(ecosystem, version, high) < 0
        assert from_zero.affects(version) is below_high, version
