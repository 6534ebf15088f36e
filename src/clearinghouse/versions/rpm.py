"""RPM's version ordering (``rpmvercmp`` and ``labelCompare``), for Red Hat, SUSE and the
other RPM-based OSV ecosystems.

A version is ``[epoch:]version[-release]``: epochs compare as numbers (0 when absent),
then the version, then the release (empty when absent), each with ``rpmvercmp``:

* characters other than ASCII letters, digits, ``~`` and ``^`` only separate segments
  (how many of them, and which, does not matter: ``1.0 = 1_0``);
* a segment is a run of digits or a run of letters; digit runs compare as numbers,
  letter runs as byte strings, and a digit run is newer than a letter run;
* ``~`` sorts before everything, the end of the string included (``1.0~rc1 < 1.0``);
* ``^`` sorts after the end of the string but before any segment
  (``1.0 < 1.0^git1 < 1.0.1``);
* when one string runs out, the other is newer if it still has a segment.

The key is the list of tokens ending with an end marker ranked between ``~`` and ``^``,
so plain tuple comparison gives rpm's answer.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, TypeAlias

from clearinghouse.versions.errors import InvalidVersion, shown

__all__ = ["SortKey", "compare", "sort_key"]

SortKey: TypeAlias = tuple[object, ...]

_MAX_LENGTH: Final = 256
_TOKENS: Final = re.compile(r"[0-9]+|[A-Za-z]+|~|\^")
_TILDE: Final = (0,)
_END: Final = (1,)
_CARET: Final = (2,)
_LETTERS: Final = 3
_DIGITS: Final = 4


def _segments(text: str) -> SortKey:
    tokens: list[tuple[object, ...]] = []
    for segment in _TOKENS.findall(text):
        if segment == "~":
            tokens.append(_TILDE)
        elif segment == "^":
            tokens.append(_CARET)
        elif segment.isdigit():
            tokens.append((_DIGITS, int(segment)))
        else:
            tokens.append((_LETTERS, segment))
    tokens.append(_END)
    return tuple(tokens)


def _split(evr: str) -> tuple[int, str, str]:
    text = evr.strip()
    if not text or len(text) > _MAX_LENGTH:
        raise InvalidVersion(f"{shown(evr)} is not an RPM version (empty or too long)")
    epoch = 0
    head, colon, rest = text.partition(":")
    if colon:
        if not (head.isascii() and head.isdigit()):  # int() refuses "²"
            raise InvalidVersion(f"{shown(evr)}: the epoch before ':' must be a number")
        epoch, text = int(head), rest
    version, dash, release = text.rpartition("-")
    if not dash:
        version, release = text, ""
    return epoch, version, release


@lru_cache(maxsize=1 << 16)
def sort_key(evr: str) -> SortKey:
    """A hashable key ordering ``[epoch:]version[-release]`` strings as rpm does."""
    epoch, version, release = _split(evr)
    return (epoch, _segments(version), _segments(release))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1, as ``rpm.labelCompare`` answers for the parsed (epoch, version, release)."""
    key_a, key_b = sort_key(a), sort_key(b)
    return (key_a > key_b) - (key_a < key_b)
