"""Alpine's version ordering (apk-tools), for Alpine, Wolfi, Chainguard and the other
apk-based OSV ecosystems.

Alpine versions follow the Gentoo-style shape ``{number}{.number}...{letter}{_suffix
{number}}...{-r{number}}`` (Alpine's APKBUILD reference, "pkgver"/"pkgrel"). apk reads a
version as a sequence of typed tokens and compares two versions token by token:

* tokens of the same type compare by value: numbers as numbers, the letter by its
  character, suffixes in the order ``alpha < beta < pre < rc < (none) < cvs < svn < git
  < hg < p``, suffix and revision numbers as numbers;
* a number after a ``.`` that starts with ``0`` is special: its leading zeros form a
  token of their own, worth minus their count, and the digits after them form the next
  token; so ``1.01 < 1.1`` and ``1.001 < 1.01`` (string-like, as for dates);
* when the types differ at some position, a pre-release suffix (``_alpha``, ``_beta``,
  ``_pre``, ``_rc``) is older than anything; otherwise the version that goes on with the
  "earlier" part of the shape is newer: another ``.number`` beats a letter, which beats
  a suffix, which beats a suffix number, which beats ``-r``, which beats the end. So
  ``1.0_rc1 < 1.0 < 1.0-r1 < 1.0_p1 < 1.0a < 1.0.1``.

There is no apk binary for Debian, so the tests check this module against vectors
written from these rules (marked as such), not against the tool. Strings apk itself
reports as invalid (an unknown suffix, ``-`` not followed by ``r``, a letter after a
suffix...) raise :class:`InvalidVersion`.
"""

from __future__ import annotations

import enum
from functools import lru_cache
from typing import Final, TypeAlias

from clearinghouse.versions.errors import InvalidVersion

__all__ = ["SortKey", "compare", "sort_key"]

SortKey: TypeAlias = tuple[object, ...]

_MAX_LENGTH: Final = 256
_PRE_SUFFIXES: Final = ("alpha", "beta", "pre", "rc")
_POST_SUFFIXES: Final = ("cvs", "svn", "git", "hg", "p")


class _Part(enum.IntEnum):
    """Where a token sits in the version's shape, in the order the shape allows them."""

    DOTTED_NUMBER = 0  # after "." (leading zeros treated apart)
    NUMBER = 1
    LETTER = 2
    SUFFIX = 3
    SUFFIX_NUMBER = 4
    REVISION = 5
    END = 6


# Rank of a token when two versions disagree on the part at one position: lower is older.
_PRE_RELEASE_RANK: Final = 0
_RANK: Final = {
    _Part.END: 1,
    _Part.REVISION: 2,
    _Part.SUFFIX_NUMBER: 3,
    _Part.SUFFIX: 4,  # post-release suffixes; pre-release ones take _PRE_RELEASE_RANK
    _Part.LETTER: 5,
    _Part.NUMBER: 6,
    _Part.DOTTED_NUMBER: 7,
}
_MAY_FOLLOW: Final = {  # a part may go back to an earlier one only in these pairs
    (_Part.NUMBER, _Part.DOTTED_NUMBER),
    (_Part.SUFFIX_NUMBER, _Part.SUFFIX),
    (_Part.LETTER, _Part.NUMBER),
}


class _Reader:
    """Walks one version string, yielding (part, value) tokens as apk reads them."""

    def __init__(self, version: str) -> None:
        self.text = version
        self.position = 0

    def invalid(self, why: str) -> InvalidVersion:
        return InvalidVersion(f"{self.text!r} is not an Alpine version: {why}")

    def value(self, part: _Part) -> tuple[int, _Part | None]:
        """The value of the token of ``part`` here, and the part forced next (if any)."""
        text, start = self.text, self.position
        if part is _Part.DOTTED_NUMBER and text.startswith("0", start):
            end = start
            while end < len(text) and text[end] == "0":
                end += 1
            self.position = end
            return -(end - start), _Part.NUMBER
        if part in (_Part.DOTTED_NUMBER, _Part.NUMBER, _Part.SUFFIX_NUMBER, _Part.REVISION):
            end = start
            while end < len(text) and text[end].isdigit() and text[end].isascii():
                end += 1
            self.position = end
            return (int(text[start:end]) if end > start else 0), None
        if part is _Part.LETTER:
            self.position = start + 1
            return ord(text[start]), None
        for index, suffix in enumerate(_PRE_SUFFIXES):
            if text.startswith(suffix, start):
                self.position = start + len(suffix)
                return index - len(_PRE_SUFFIXES), None
        for index, suffix in enumerate(_POST_SUFFIXES):
            if text.startswith(suffix, start):
                self.position = start + len(suffix)
                return index, None
        raise self.invalid(f"unknown suffix at {text[start:]!r}")

    def next_part(self, current: _Part) -> _Part:
        """Which part the rest of the string starts with (consuming its separator)."""
        text, at = self.text, self.position
        if at >= len(text):
            return _Part.END
        character = text[at]
        following: _Part
        if current in (_Part.NUMBER, _Part.DOTTED_NUMBER) and "a" <= character <= "z":
            following = _Part.LETTER
        elif current is _Part.LETTER and character.isascii() and character.isdigit():
            following = _Part.NUMBER
        elif current is _Part.SUFFIX and character.isascii() and character.isdigit():
            following = _Part.SUFFIX_NUMBER
        elif character == ".":
            following, self.position = _Part.DOTTED_NUMBER, at + 1
        elif character == "_":
            following, self.position = _Part.SUFFIX, at + 1
        elif character == "-" and text.startswith("r", at + 1):
            following, self.position = _Part.REVISION, at + 2
        else:
            raise self.invalid(f"unexpected {character!r} at position {at}")
        if following < current and (current, following) not in _MAY_FOLLOW:
            raise self.invalid(f"{following.name.lower()} cannot follow {current.name.lower()}")
        return following


def _tokens(version: str) -> list[tuple[int, int]]:
    reader = _Reader(version)
    part = _Part.NUMBER
    tokens: list[tuple[int, int]] = []
    if not version:
        return [(_RANK[_Part.END], 0)]
    while part is not _Part.END:
        value, forced = reader.value(part)
        if part is _Part.SUFFIX and value < 0:
            tokens.append((_PRE_RELEASE_RANK, value))
        else:
            tokens.append((_RANK[part], value))
        if reader.position >= len(version):
            part = _Part.END
        elif forced is not None:
            part = forced
        else:
            part = reader.next_part(part)
    tokens.append((_RANK[_Part.END], 0))
    return tokens


@lru_cache(maxsize=1 << 16)
def sort_key(version: str) -> SortKey:
    """A hashable key ordering Alpine versions as apk does.

    Each token is (rank of its part, value); apk compares values while the parts agree
    and ranks where they first differ, which is exactly tuple order here.
    """
    text = version.strip()
    if len(text) > _MAX_LENGTH:
        raise InvalidVersion(f"{version[:40]!r}...: longer than {_MAX_LENGTH} characters")
    return tuple(_tokens(text))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 under apk's ordering."""
    key_a, key_b = sort_key(a), sort_key(b)
    return (key_a > key_b) - (key_a < key_b)
