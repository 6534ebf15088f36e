"""Debian's version ordering (``dpkg --compare-versions``), for Debian and Ubuntu.

A version is ``[epoch:]upstream[-revision]``: the epoch is the number before the first
``:`` (0 when absent), the revision is what follows the last ``-`` (empty when absent,
which compares equal to ``0``). Epochs compare as numbers; upstream parts, then
revisions, compare by dpkg's rule (deb-version(7)):

* a string is read as alternating runs: a run of non-digits, then a run of digits;
* non-digit runs compare character by character where ``~`` sorts before everything,
  even the end of the run, letters come next (in ASCII order) and every other character
  after all letters; so ``1.0~rc1 < 1.0 < 1.0a < 1.0+b1``;
* digit runs compare as numbers (an empty run is 0);
* a missing pair at the end counts as an empty non-digit run and the number 0, which is
  why ``1.0`` sorts before ``1.0.0`` (``.`` is more than nothing) but ``1.0~`` before ``1.0``.

Strings dpkg refuses outright (empty, white space inside, an epoch that is not a
number, nothing after the epoch) raise :class:`InvalidVersion`; what dpkg only warns
about (a version not starting with a digit) is ordered by the same rule.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, TypeAlias

from clearinghouse.versions.errors import InvalidVersion, shown
from clearinghouse.versions.generic import PaddedItem, padded_key

__all__ = ["SortKey", "compare", "sort_key"]

SortKey: TypeAlias = tuple[object, ...]

_MAX_LENGTH: Final = 256
_RUNS: Final = re.compile(r"([^0-9]*)([0-9]*)")
_END_OF_RUN: Final = 0  # the value a finished non-digit run contributes
_NOTHING: Final[tuple[object, ...]] = ((_END_OF_RUN,), 0)


def _character_weight(character: str) -> int:
    """dpkg's weight of one non-digit character: ``~`` lowest, letters, then the rest."""
    if character == "~":
        return -1
    if character.isascii() and character.isalpha():
        return ord(character)
    return ord(character) + 256


def _part_items(text: str) -> list[PaddedItem]:
    """One item per (non-digit run, number) pair, each signed against a missing pair."""
    items: list[PaddedItem] = []
    position = 0
    while position < len(text):
        match = _RUNS.match(text, position)
        if (
            match is None or match.end() == position
        ):  # pragma: no cover - the pattern always advances
            break
        letters, digits = match.group(1), match.group(2)
        value = (
            (*(_character_weight(c) for c in letters), _END_OF_RUN),
            int(digits) if digits else 0,
        )
        sign = (value > _NOTHING) - (value < _NOTHING)
        items.append((sign, 0, value))
        position = match.end()
    return items


def _split(version: str) -> tuple[int, str, str]:
    text = version.strip()
    if not text or len(text) > _MAX_LENGTH:
        raise InvalidVersion(f"{shown(version)} is not a Debian version (empty or too long)")
    if any(character.isspace() for character in text):
        raise InvalidVersion(f"{shown(version)} is not a Debian version (white space inside)")
    epoch = 0
    if ":" in text:
        epoch_text, text = text.split(":", 1)
        if not (epoch_text.isascii() and epoch_text.isdigit()):  # int() refuses "²"
            raise InvalidVersion(f"{shown(version)}: the epoch before ':' must be a number")
        epoch = int(epoch_text)
    upstream, separator, revision = text.rpartition("-")
    if not separator:
        upstream, revision = text, ""
    if not upstream:
        raise InvalidVersion(f"{shown(version)}: nothing before the Debian revision")
    return epoch, upstream, revision


@lru_cache(maxsize=1 << 16)
def sort_key(version: str) -> SortKey:
    """A hashable key ordering Debian versions exactly as dpkg does."""
    epoch, upstream, revision = _split(version)
    return (epoch, padded_key(_part_items(upstream)), padded_key(_part_items(revision)))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1, as ``dpkg --compare-versions a lt/eq/gt b`` answers."""
    key_a, key_b = sort_key(a), sort_key(b)
    return (key_a > key_b) - (key_a < key_b)
