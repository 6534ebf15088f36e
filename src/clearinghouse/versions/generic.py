"""A best-effort ordering for ecosystems without a dedicated scheme, and its padding helper.

Used for Packagist, Debian, Alpine, Hackage and every ecosystem this package does not
know. It is a reasonable reading of "dotted numbers with words", not any ecosystem's
exact rule, so results near unusual versions should be checked against the ecosystem's
own tools. The rule:

* An optional numeric epoch ``N:`` compares first (Debian style); a leading ``v`` before
  a digit is ignored; letters are case-insensitive.
* The rest splits into digit runs, letter runs and ``~``; every other character only
  separates (``1.2-3`` reads as 1, 2, 3).
* Missing parts count as ``0``, so ``1.0`` equals ``1`` and ``1.0.0``; ``final``,
  ``ga``, ``release`` and ``stable`` also count as ``0``.
* ``~`` sorts before everything, including the end (``1.0~rc1 < 1.0``, as in Debian).
  Pre-release words sort before the end too, in the order
  ``dev < snapshot < alpha = a < beta = b < milestone = m < rc = c = cr = pre = preview``.
* Other words (``sp``, ``post``, ``patch``, ``dfsg``...) sort after the end and before
  any number at the same place, alphabetically among themselves (``1.0 < 1.0-sp1 <
  1.0.1``).

Numbers (the epoch too) are read with :func:`~clearinghouse.versions.numbers.number_key`,
so a digit run of any length orders by its value instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final, TypeAlias

from clearinghouse.versions.numbers import number_key

__all__ = ["PaddedItem", "SortKey", "compare", "padded_key", "sort_key"]

SortKey: TypeAlias = tuple[object, ...]
# (sign against a missing part, kind rank, value): the building block of padded keys.
PaddedItem: TypeAlias = tuple[int, int, object]

_END: Final = (0,)

_EPOCH = re.compile(r"\s*([0-9]+):")
_TOKEN = re.compile(r"[0-9]+|[a-z]+|~")

_TILDE: Final = 0
_PRE_WORD: Final = 1
_WORD: Final = 2
_NUMBER: Final = 3

_PRE_WORDS: Final[dict[str, int]] = {
    "dev": 0,
    "snapshot": 1,
    "alpha": 2,
    "a": 2,
    "beta": 3,
    "b": 3,
    "milestone": 4,
    "m": 4,
    "rc": 5,
    "c": 5,
    "cr": 5,
    "pre": 5,
    "preview": 5,
}
_RELEASE_WORDS: Final = frozenset({"final", "ga", "release", "stable"})
_ZERO: Final[PaddedItem] = (0, _NUMBER, 0)


def padded_key(items: Iterable[PaddedItem]) -> SortKey:
    """Key for a sequence compared item by item, a missing item counting as "nothing".

    Each item states its sign against "nothing" (-1 below, 0 equal, 1 above), a kind
    rank and a value, and items are ordered by (kind rank, value) consistently with
    those signs. Tuples cannot pad the shorter side, so each element carries first the
    sign of the rest of the sequence from there on, and the key ends with ``(0,)``:
    a sequence that runs out then sorts exactly where padding would put it.
    """
    ordered = list(items)
    while ordered and ordered[-1][0] == 0:
        ordered.pop()
    elements: list[object] = [_END]
    tail = 0
    for sign, rank, value in reversed(ordered):
        if sign:
            tail = sign
        elements.append((tail, rank, value))
    elements.reverse()
    return tuple(elements)


def _item(token: str) -> PaddedItem:
    if token.isdigit():
        number = number_key(token)
        return (1 if number else 0, _NUMBER, number)
    if token == "~":  # noqa: S105 - a version character, not a password
        return (-1, _TILDE, 0)
    pre = _PRE_WORDS.get(token)
    if pre is not None:
        return (-1, _PRE_WORD, pre)
    if token in _RELEASE_WORDS:
        return _ZERO
    return (1, _WORD, token)


@lru_cache(maxsize=1 << 16)
def sort_key(version: str) -> SortKey:
    """A hashable best-effort key (see the module notes); accepts every string."""
    text = version.strip().lower()
    epoch = 0
    match = _EPOCH.match(text)
    if match is not None:
        epoch = number_key(match.group(1))
        text = text[match.end() :]
    if text[:1] == "v" and text[1:2].isdigit():
        text = text[1:]
    return (epoch, padded_key(_item(token) for token in _TOKEN.findall(text)))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 under the generic ordering."""
    key_a, key_b = sort_key(a), sort_key(b)
    return (key_a > key_b) - (key_a < key_b)
