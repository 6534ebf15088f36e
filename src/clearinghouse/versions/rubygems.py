"""RubyGems version ordering, as ``Gem::Version#<=>`` defines it.

A gem version is read as its segments: digit runs become numbers, letter runs stay
strings (case-sensitive, compared bytewise), and ``-`` means ``.pre.``. Trailing zeros
are dropped from the numeric part and from the part after the first string
(``1.0.a.0`` equals ``1.a``). Segments compare left to right with missing ones as ``0``;
a string sorts before any number, so any version with letters is a pre-release of the
version without them (``1.0.0.rc1 < 1.0.0``).

Strings RubyGems itself would reject as malformed are still ordered by the same rule
rather than refused; the OSV data for RubyGems only carries valid versions. Digit runs
are read with :func:`~clearinghouse.versions.numbers.number_key`, whatever their length.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from clearinghouse.versions.generic import PaddedItem, SortKey, padded_key
from clearinghouse.versions.numbers import number_key

__all__ = ["compare", "sort_key"]

_SEGMENT = re.compile(r"[0-9]+|[a-zA-Z]+")
_STRING: Final = 0
_NUMBER: Final = 1


def _trim_zeros(segments: list[int | str]) -> list[int | str]:
    end = len(segments)
    while end and segments[end - 1] == 0:
        end -= 1
    return segments[:end]


@lru_cache(maxsize=1 << 14)
def sort_key(version: str) -> SortKey:
    """A hashable key ordering gem versions as RubyGems does; accepts every string."""
    text = version.strip().replace("-", ".pre.")
    segments: list[int | str] = [
        number_key(token) if token.isdigit() else token for token in _SEGMENT.findall(text)
    ]
    first_string = next(
        (index for index, segment in enumerate(segments) if isinstance(segment, str)),
        len(segments),
    )
    canonical = _trim_zeros(segments[:first_string]) + _trim_zeros(segments[first_string:])
    items: list[PaddedItem] = [
        (-1, _STRING, segment)
        if isinstance(segment, str)
        else (1 if segment else 0, _NUMBER, segment)
        for segment in canonical
    ]
    return padded_key(items)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``Gem::Version#<=>``."""
    key_a, key_b = sort_key(a), sort_key(b)
    return (key_a > key_b) - (key_a < key_b)
