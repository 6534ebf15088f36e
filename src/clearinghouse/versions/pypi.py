"""PyPI version ordering: PEP 440, with a legacy fallback for strings that are not PEP 440.

PEP 440 versions are parsed by ``packaging.version.Version`` and turned into a plain
tuple that orders exactly as ``Version`` does (the test suite checks the two agree), so
comparisons on hot paths are tuple comparisons rather than calls into ``Version``.

About 75 strings in the PyPA advisory database are not PEP 440 (``0.7.10p1``,
``1.0-SNAPSHOT``...). They get the ordering setuptools and ``packaging`` used to give
``LegacyVersion`` before it was removed: such a version sorts before every PEP 440
version, and legacy versions compare by their parts: digit runs compare as numbers,
letter runs as words with ``pre``/``preview``/``rc`` read as ``c`` and ``dev`` read as
``@`` (so it sorts first), every version ends in an implicit ``final`` (so ``alpha``,
``beta`` and ``c`` parts sort before the plain release), and trailing zero runs are
dropped. The two kinds never compare equal: the first element of the key tells them
apart.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, TypeAlias

from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from clearinghouse.versions.errors import InvalidVersion

__all__ = ["SortKey", "compare", "is_pep440", "sort_key", "strict_sort_key"]

SortKey: TypeAlias = tuple[object, ...]

_LEGACY: Final = 0
_PEP440: Final = 1

# Legacy parts: a digit run, a letter run, or a single "." or "-"; anything else is
# part of the separators between them.
_LEGACY_PART = re.compile(r"(\d+|[a-z]+|\.|-)")
_LEGACY_SPELLINGS: Final[dict[str, str]] = {
    "pre": "c",
    "preview": "c",
    "-": "final-",
    "rc": "c",
    "dev": "@",
}
_NUMBER_WIDTH: Final = 8  # digit runs are zero-padded to this width, as setuptools did
_ZERO_RUN: Final = "0" * _NUMBER_WIDTH
_FINAL: Final = "*final"
_FINAL_DASH: Final = "*final-"


def _legacy_parts(version: str) -> tuple[str, ...]:
    pieces: list[str] = []
    for raw in _LEGACY_PART.split(version.lower()):
        part = _LEGACY_SPELLINGS.get(raw, raw)
        if not part or part == ".":
            continue
        pieces.append(part.zfill(_NUMBER_WIDTH) if part[:1].isdigit() else "*" + part)
    pieces.append(_FINAL)

    parts: list[str] = []
    for piece in pieces:
        if piece.startswith("*"):
            if piece < _FINAL:  # a pre-release word: drop the "-" that led to it
                while parts and parts[-1] == _FINAL_DASH:
                    parts.pop()
            while parts and parts[-1] == _ZERO_RUN:  # 1.0 == 1.0.0 within a series
                parts.pop()
        parts.append(piece)
    return tuple(parts)


def _pep440_key(version: Version) -> SortKey:
    release = version.release
    end = len(release)
    while end and release[end - 1] == 0:
        end -= 1
    pre = version.pre
    post = version.post
    dev = version.dev
    # A bare .devN (no pre, no post) sorts before the pre-releases of its release.
    if pre is None and post is None and dev is not None:
        pre_key: tuple[object, ...] = (0,)
    elif pre is None:
        pre_key = (2,)
    else:
        pre_key = (1, pre[0], pre[1])
    post_key = (0,) if post is None else (1, post)
    dev_key = (1,) if dev is None else (0, dev)
    local = version.local
    if local is None:
        local_key: tuple[object, ...] = (0,)
    else:
        # Within a local label, words sort before numbers; numbers compare as numbers.
        local_key = (1, tuple((1, int(s)) if s.isdigit() else (0, s) for s in local.split(".")))
    return (_PEP440, version.epoch, release[:end], pre_key, post_key, dev_key, local_key)


def is_pep440(version: str) -> bool:
    """True when ``packaging`` accepts ``version`` as PEP 440."""
    try:
        Version(version)
    except _PackagingInvalid:
        return False
    return True


@lru_cache(maxsize=1 << 16)
def sort_key(version: str) -> SortKey:
    """A hashable key ordering PEP 440 versions as ``packaging`` does, legacy ones first.

    Every string is accepted. Equal keys mean equal versions (``1.0`` and ``1.0.0``).
    """
    try:
        parsed = Version(version)
    except _PackagingInvalid:
        return (_LEGACY, _legacy_parts(version))
    return _pep440_key(parsed)


@lru_cache(maxsize=1 << 16)
def strict_sort_key(version: str) -> SortKey:
    """:func:`sort_key` for PEP 440 versions only; anything else raises
    :class:`~clearinghouse.versions.errors.InvalidVersion`.

    What range evaluation uses: the legacy ordering puts every non-PEP 440 string below
    every PEP 440 version, so a legacy ``fixed`` boundary (``0.2.0-n653``) would clear every
    real version, and a legacy query (``not-a-version``) would fall below every range.
    """
    try:
        parsed = Version(version)
    except _PackagingInvalid:
        raise InvalidVersion(
            f"{version!r} is not a PEP 440 version", version=version[:200]
        ) from None
    return _pep440_key(parsed)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 comparing two PyPI versions (see :func:`sort_key`)."""
    key_a, key_b = sort_key(a), sort_key(b)
    return (key_a > key_b) - (key_a < key_b)
