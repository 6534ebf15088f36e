"""Which ordering an OSV ecosystem uses, and ordering by ecosystem name.

OSV ecosystem strings may carry a suffix after ``:`` (``Debian:11``, ``Maven:https://
maven.google.com``, ``Ubuntu:22.04:LTS``); only the part before the first ``:`` picks the
scheme. Names are matched case-insensitively; an unknown ecosystem gets the generic
best-effort ordering (see :mod:`clearinghouse.versions.generic`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import lru_cache
from typing import Final, TypeAlias

from clearinghouse.versions import apk, dpkg, generic, maven, pypi, rpm, rubygems, semver

__all__ = ["KeyFunction", "Scheme", "compare", "key_function", "scheme_for", "sort_key"]

SortKey: TypeAlias = tuple[object, ...]
KeyFunction: TypeAlias = Callable[[str], SortKey]


class Scheme(enum.StrEnum):
    """The version orderings this package implements."""

    MAVEN = "maven"
    PYPI = "pypi"
    SEMVER = "semver"
    NUGET = "nuget"
    RUBYGEMS = "rubygems"
    DPKG = "dpkg"
    RPM = "rpm"
    APK = "apk"
    GENERIC = "generic"


_BY_ECOSYSTEM: Final[dict[str, Scheme]] = {
    "maven": Scheme.MAVEN,
    "pypi": Scheme.PYPI,
    "npm": Scheme.SEMVER,
    "crates.io": Scheme.SEMVER,
    "go": Scheme.SEMVER,
    "hex": Scheme.SEMVER,
    "pub": Scheme.SEMVER,
    "swifturl": Scheme.SEMVER,
    "nuget": Scheme.NUGET,
    "rubygems": Scheme.RUBYGEMS,
    # dpkg: Debian and its derivatives
    "debian": Scheme.DPKG,
    "ubuntu": Scheme.DPKG,
    # rpm: Red Hat and the distributions built the same way
    "red hat": Scheme.RPM,
    "rocky linux": Scheme.RPM,
    "almalinux": Scheme.RPM,
    "suse": Scheme.RPM,
    "opensuse": Scheme.RPM,
    "mageia": Scheme.RPM,
    "openeuler": Scheme.RPM,
    "photon os": Scheme.RPM,
    "azure linux": Scheme.RPM,
    # apk: Alpine and the distributions that use apk-tools
    "alpine": Scheme.APK,
    "wolfi": Scheme.APK,
    "chainguard": Scheme.APK,
    "alpaquita": Scheme.APK,
    "bellsoft hardened containers": Scheme.APK,
    "minimos": Scheme.APK,
}

_KEY_FUNCTIONS: Final[dict[Scheme, KeyFunction]] = {
    Scheme.MAVEN: maven.sort_key,
    Scheme.PYPI: pypi.sort_key,
    Scheme.SEMVER: semver.sort_key,
    Scheme.NUGET: semver.nuget_sort_key,
    Scheme.RUBYGEMS: rubygems.sort_key,
    Scheme.DPKG: dpkg.sort_key,
    Scheme.RPM: rpm.sort_key,
    Scheme.APK: apk.sort_key,
    Scheme.GENERIC: generic.sort_key,
}


@lru_cache(maxsize=1024)
def scheme_for(ecosystem: str) -> Scheme:
    """The ordering for an OSV ecosystem name; unknown names get :attr:`Scheme.GENERIC`."""
    base = ecosystem.split(":", 1)[0].strip().casefold()
    return _BY_ECOSYSTEM.get(base, Scheme.GENERIC)


def key_function(scheme: Scheme) -> KeyFunction:
    """The cached ``str -> key`` function of a scheme (for loops that resolve it once)."""
    return _KEY_FUNCTIONS[scheme]


def sort_key(ecosystem: str, version: str) -> SortKey:
    """A hashable, comparable key for ``version`` under ``ecosystem``'s ordering.

    Keys are only comparable with keys of the same scheme. Raises
    :class:`~clearinghouse.versions.errors.InvalidVersion` where the scheme is strict
    (SemVer ecosystems, NuGet) and the string does not follow it.
    """
    return _KEY_FUNCTIONS[scheme_for(ecosystem)](version)


def compare(ecosystem: str, a: str, b: str) -> int:
    """-1, 0 or 1 comparing two versions of one ecosystem."""
    function = _KEY_FUNCTIONS[scheme_for(ecosystem)]
    key_a, key_b = function(a), function(b)
    return (key_a > key_b) - (key_a < key_b)
