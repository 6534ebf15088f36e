"""PyPI version ordering: PEP 440, with a legacy fallback for strings that are not PEP 440.

PEP 440 versions are read with ``packaging``'s own pattern (``VERSION_PATTERN``) and
turned into a plain tuple that orders exactly as ``packaging.version.Version`` does (the
test suite checks the two agree), so comparisons on hot paths are tuple comparisons
rather than calls into ``Version``. Numbers are read with
:func:`~clearinghouse.versions.numbers.number_key`: ``Version`` itself raises
``ValueError`` (not ``InvalidVersion``) for a number of more than 4,300 digits.

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

from packaging.version import VERSION_PATTERN

from clearinghouse.versions.errors import InvalidVersion, shown
from clearinghouse.versions.numbers import number_key

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


# packaging's own reading of PEP 440 (what ``Version`` matches), so both accept the same.
_PEP440_PATTERN: Final = re.compile(r"\s*" + VERSION_PATTERN + r"\s*", re.VERBOSE | re.IGNORECASE)
_LETTER_SPELLINGS: Final[dict[str, str]] = {
    "alpha": "a",
    "beta": "b",
    "c": "rc",
    "pre": "rc",
    "preview": "rc",
}
_LOCAL_SEPARATORS: Final = re.compile(r"[._-]")


def _pep440_key(match: re.Match[str]) -> SortKey:
    """The key of a PEP 440 match: (1, epoch, release without trailing zeros, pre, post,
    dev, local), each number a :func:`~clearinghouse.versions.numbers.number_key`."""
    release = [number_key(part) for part in match["release"].split(".")]
    while release and release[-1] == 0:
        release.pop()
    pre_letter = match["pre_l"]
    has_post = match["post"] is not None
    has_dev = match["dev"] is not None
    # A bare .devN (no pre, no post) sorts before the pre-releases of its release.
    if pre_letter is None and not has_post and has_dev:
        pre_key: tuple[object, ...] = (0,)
    elif pre_letter is None:
        pre_key = (2,)
    else:
        letter = pre_letter.lower()
        pre_key = (1, _LETTER_SPELLINGS.get(letter, letter), number_key(match["pre_n"] or ""))
    post_number = match["post_n1"] or match["post_n2"] or ""
    post_key = (1, number_key(post_number)) if has_post else (0,)
    dev_key = (0, number_key(match["dev_n"] or "")) if has_dev else (1,)
    local = match["local"]
    if local is None:
        local_key: tuple[object, ...] = (0,)
    else:
        # Within a local label, words sort before numbers; numbers compare as numbers.
        local_key = (
            1,
            tuple(
                (1, number_key(part)) if part.isdigit() else (0, part.lower())
                for part in _LOCAL_SEPARATORS.split(local)
            ),
        )
    epoch = number_key(match["epoch"] or "")
    return (_PEP440, epoch, tuple(release), pre_key, post_key, dev_key, local_key)


def is_pep440(version: str) -> bool:
    """True when ``packaging`` accepts ``version`` as PEP 440."""
    return _PEP440_PATTERN.fullmatch(version) is not None


@lru_cache(maxsize=1 << 16)
def sort_key(version: str) -> SortKey:
    """A hashable key ordering PEP 440 versions as ``packaging`` does, legacy ones first.

    Every string is accepted, numbers of any length included. Equal keys mean equal
    versions (``1.0`` and ``1.0.0``).
    """
    match = _PEP440_PATTERN.fullmatch(version)
    if match is None:
        return (_LEGACY, _legacy_parts(version))
    return _pep440_key(match)


@lru_cache(maxsize=1 << 16)
def strict_sort_key(version: str) -> SortKey:
    """:func:`sort_key` for PEP 440 versions only; anything else raises
    :class:`~clearinghouse.versions.errors.InvalidVersion`.

    What range evaluation uses: the legacy ordering puts every non-PEP 440 string below
    every PEP 440 version, so a legacy ``fixed`` boundary (``0.2.0-n653``) would clear every
    real version, and a legacy query (``not-a-version``) would fall below every range.
    """
    match = _PEP440_PATTERN.fullmatch(version)
    if match is None:
        raise InvalidVersion(f"{shown(version)} is not a PEP 440 version", version=version[:200])
    return _pep440_key(match)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 comparing two PyPI versions (see :func:`sort_key`)."""
    key_a, key_b = sort_key(a), sort_key(b)
    return (key_a > key_b) - (key_a < key_b)
