"""SemVer 2.0.0 precedence (OSV ``SEMVER`` ranges, npm, crates.io, Go...), and NuGet's variant.

SemVer: ``MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`` with no leading zeros in numbers.
Precedence compares the three numbers, then the pre-release: a version without one
ranks above any version with one; pre-release identifiers compare left to right,
numeric ones as numbers and below alphanumeric ones, alphanumeric ones in ASCII order,
and a longer list wins when all shared identifiers are equal. Build metadata is ignored
(``1.0.0+a`` equals ``1.0.0+b``). A leading ``v`` is tolerated because Go writes
versions that way; anything else that is not SemVer raises :class:`InvalidVersion`
rather than being guessed at, since a guessed order can silently clear an affected
version.

NuGet: one to four dot-separated numbers (missing ones are zero, leading zeros
allowed), then SemVer-style pre-release labels compared case-insensitively; build
metadata ignored.

Numbers are read with :func:`~clearinghouse.versions.numbers.number_key`, so one of any
length orders by its value instead of raising.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, TypeAlias

from clearinghouse.versions.errors import InvalidVersion, shown
from clearinghouse.versions.numbers import number_key

__all__ = ["SortKey", "compare", "nuget_sort_key", "sort_key"]

SortKey: TypeAlias = tuple[object, ...]

_NUMBER = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_BUILD_ID = r"[0-9A-Za-z-]+"
_SEMVER = re.compile(
    rf"v?({_NUMBER})\.({_NUMBER})\.({_NUMBER})"
    rf"(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?"
    rf"(?:\+{_BUILD_ID}(?:\.{_BUILD_ID})*)?",
    re.ASCII,
)
_NUGET = re.compile(
    r"v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?",
    re.ASCII,
)

_RELEASE: Final = (1,)  # no pre-release: above every pre-release of the same numbers


def _prerelease_key(prerelease: str) -> SortKey:
    identifiers: list[tuple[int, object]] = [
        (0, number_key(part)) if part.isdigit() else (1, part) for part in prerelease.split(".")
    ]
    return (0, *identifiers)


@lru_cache(maxsize=1 << 16)
def sort_key(version: str) -> SortKey:
    """A hashable key ordering versions by SemVer 2.0.0 precedence.

    Raises :class:`InvalidVersion` for a string that is not SemVer (a leading ``v`` is
    allowed).
    """
    match = _SEMVER.fullmatch(version)
    if match is None:
        raise InvalidVersion(
            f"{shown(version)} is not a SemVer 2.0.0 version (expected MAJOR.MINOR.PATCH "
            "with optional -PRERELEASE and +BUILD, numbers without leading zeros)",
            version=version[:200],
        )
    major, minor, patch, prerelease = match.groups()
    pre_key = _RELEASE if prerelease is None else _prerelease_key(prerelease)
    return (number_key(major), number_key(minor), number_key(patch), pre_key)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 by SemVer precedence; raises :class:`InvalidVersion` for non-SemVer."""
    key_a, key_b = sort_key(a), sort_key(b)
    return (key_a > key_b) - (key_a < key_b)


@lru_cache(maxsize=1 << 14)
def nuget_sort_key(version: str) -> SortKey:
    """A hashable key ordering NuGet versions; raises :class:`InvalidVersion` otherwise."""
    match = _NUGET.fullmatch(version)
    if match is None:
        raise InvalidVersion(
            f"{shown(version)} is not a NuGet version (expected 1 to 4 dot-separated "
            "numbers with optional -PRERELEASE and +BUILD)",
            version=version[:200],
        )
    *numbers, prerelease = match.groups()
    parts = tuple(number_key(number) if number else 0 for number in numbers)
    pre_key = _RELEASE if prerelease is None else _prerelease_key(prerelease.lower())
    return (*parts, pre_key)
