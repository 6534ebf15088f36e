"""Maven version ordering, written to agree with Maven's own ``ComparableVersion``.

Why by hand: general-purpose version libraries approximate Maven and get real versions
wrong (``5.3.18.RELEASE`` equals ``5.3.18`` in Maven; one such library orders them
apart). This module follows the algorithm of ``org.apache.maven.artifact.versioning.
ComparableVersion`` as shipped in ``maven-artifact`` 3.8.7, and the test suite checks
it differentially against that very class (``tests/unit/versions/test_maven_java.py``).

How Maven reads a version (lower-cased first):

* ``.`` ends an item; ``-`` ends an item and opens a nested list; a switch between
  digits and letters also ends an item and opens a nested list. An empty item is ``0``.
* A letter run followed by a digit (``rc1``, ``.a1``) opens its own nested list when the
  current list already holds something, and so does a letter run ending the string
  (``1.0.Final`` reads like ``1.0-Final``).
* Numbers compare numerically, with three widths (up to 9 digits, up to 18, more): a
  wider kind always sorts after a narrower one.
* Qualifiers: ``alpha < beta < milestone < rc = cr < snapshot < "" = ga = final =
  release < sp``; ``a``, ``b``, ``m`` mean alpha, beta, milestone when a digit follows;
  any other qualifier sorts after ``sp``, alphabetically.
* Items compare by kind first: qualifier < nested list < number.
* A missing item ("null") compares as: equal to ``0`` and to the release qualifier,
  above the pre-release qualifiers, below ``sp`` and unknown qualifiers, and against a
  nested list as that list's first item that is not null-equal does.
* Trailing null items are dropped from every list (``1.0.0`` is ``1``; ``1.0-1`` is
  ``1-1``).

The sort key
------------
The comparison is lexicographic with missing items padded by "null", and null has no
fixed place in the item order (it sits among the qualifiers, among the lists and at
``0``). A plain tuple cannot pad, so every element of the key carries, first, the sign
of the rest of its list against null (the first non-null-equal item from there on), and
every list ends with a marker ``(0,)``. A list that runs out then compares exactly as
Maven's padding does, and everything else compares item by item as Maven does.

Maven's own relation is not transitive on a few odd shapes, e.g. ``1.sp.1 < 1-alpha <
1 < 1.sp.1`` (a qualifier that sorts above null, met by a list that sorts below it), or
``1.0.alpha.1 < 1 < 1-1 < 1.0.alpha.1``. No total order can agree with every pair of
such a cycle; this key agrees with Maven on every pair except pairs whose first
difference puts a null-below item against a null-above item of a kind Maven ranks the
other way, and each of those pairs lies on a Maven cycle with the common prefix of the
two versions. The differential test asserts exactly that: every disagreement comes with
a witness version that makes Maven's answers cyclic.

Strings longer than 256 characters are refused with :class:`InvalidVersion`: no real
version comes close, and every ``-`` nests a list, so the bound also bounds the depth
of the key an uploaded SBOM can make us build and compare.

Non-ASCII input follows Java's rules as far as Python mirrors them (Unicode decimal
digits are digits; unknown qualifiers compare by UTF-16 code units); lower-casing uses
Python's ``str.lower``, which matches Java's English-locale rules on everything the
differential test covers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final, TypeAlias

from clearinghouse.versions.errors import InvalidVersion

__all__ = ["SortKey", "compare", "sort_key"]

SortKey: TypeAlias = tuple[object, ...]

# Item kinds in Maven's cross-kind order: qualifier < list < int < long < big integer.
_STRING: Final = 0
_LIST: Final = 1
_INT: Final = 2
_LONG: Final = 3
_BIG: Final = 4

MAX_LENGTH: Final = 256
_MAX_INT_DIGITS: Final = 9
_MAX_LONG_DIGITS: Final = 18

_QUALIFIER_RANK: Final[dict[str, int]] = {
    "alpha": 0,
    "beta": 1,
    "milestone": 2,
    "rc": 3,
    "snapshot": 4,
    "": 5,
    "sp": 6,
}
_RELEASE_RANK: Final = 5
_UNKNOWN_RANK: Final = 7
_ALIASES: Final[dict[str, str]] = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORTHANDS: Final[dict[str, str]] = {"a": "alpha", "b": "beta", "m": "milestone"}

# An item during parsing: (kind, comparable value, sign against null).
_Item: TypeAlias = tuple[int, object, int]
_ZERO: Final[_Item] = (_INT, 0, 0)
_END: Final = (0,)
_EMPTY: Final = (_END,)  # the key of an empty list


class _List(list["_Item | _List"]):
    """A nested list while parsing; becomes an item once normalised."""

    __slots__ = ()


def _is_digit(char: str) -> bool:
    # Java's Character.isDigit(char): Unicode decimal digits of the Basic Multilingual
    # Plane (a supplementary character is two non-digit UTF-16 units there).
    return char.isdecimal() and ord(char) < 0x10000


def _number(digits: str) -> _Item:
    stripped = digits.lstrip("0") or digits  # Maven keeps an all-zero run whole
    value = int(stripped)
    width = len(stripped)
    kind = _INT if width <= _MAX_INT_DIGITS else _LONG if width <= _MAX_LONG_DIGITS else _BIG
    return (kind, value, 1 if value else 0)


def _qualifier(text: str, followed_by_digit: bool) -> _Item:
    if followed_by_digit and len(text) == 1:
        text = _SHORTHANDS.get(text, text)
    text = _ALIASES.get(text, text)
    rank = _QUALIFIER_RANK.get(text)
    if rank is None:
        # Java orders unknown qualifiers as the strings "7-<qualifier>", after every
        # known one, comparing UTF-16 code units.
        return (_STRING, (_UNKNOWN_RANK, text.encode("utf-16-be")), 1)
    sign = (rank > _RELEASE_RANK) - (rank < _RELEASE_RANK)
    return (_STRING, (rank, b""), sign)


def _token(is_digit: bool, text: str) -> _Item:
    return _number(text) if is_digit else _qualifier(text, followed_by_digit=False)


def _parse(version: str) -> _List:
    """Tokenise ``version`` into Maven's nested lists (before normalisation)."""
    text = version.lower()
    root = _List()
    current = root

    def open_list() -> None:
        nonlocal current
        nested = _List()
        current.append(nested)
        current = nested

    is_digit = False
    start = 0
    for index, char in enumerate(text):
        if char in ".-":
            current.append(_ZERO if index == start else _token(is_digit, text[start:index]))
            start = index + 1
            if char == "-":
                open_list()
        elif _is_digit(char):
            if not is_digit and index > start:
                if current:
                    open_list()
                current.append(_qualifier(text[start:index], followed_by_digit=True))
                start = index
                open_list()
            is_digit = True
        else:
            if is_digit and index > start:
                current.append(_number(text[start:index]))
                start = index
                open_list()
            is_digit = False
    if len(text) > start:
        if not is_digit and current:
            open_list()
        current.append(_token(is_digit, text[start:]))
    return root


def _freeze(items: _List) -> tuple[SortKey, int]:
    """Normalise a parsed list and turn it into (key, sign against null).

    Normalising drops, from the end, every null item, stepping over a non-empty
    trailing list but stopping at the first item that is neither.
    """
    frozen: list[_Item] = []
    trimming = True
    for raw in reversed(items):
        item = _as_item(raw) if isinstance(raw, _List) else raw
        if trimming:
            is_list = item[0] == _LIST
            if (item[1] == _EMPTY) if is_list else item[2] == 0:
                continue
            if not is_list:
                trimming = False
        frozen.append(item)
    elements: list[object] = [_END]
    tail = 0
    for kind, value, sign in frozen:  # from the last item to the first
        if sign:
            tail = sign
        elements.append((tail, kind, value))
    elements.reverse()
    return tuple(elements), tail


def _as_item(nested: _List) -> _Item:
    key, sign = _freeze(nested)
    return (_LIST, key, sign)


@lru_cache(maxsize=1 << 16)
def sort_key(version: str) -> SortKey:
    """A hashable key; ``sort_key(a) < sort_key(b)`` iff Maven orders ``a`` before ``b``.

    Equal keys mean Maven calls the versions equal (``1.0`` and ``1``). Every string is
    accepted, as in Maven, up to :data:`MAX_LENGTH` characters (longer ones raise
    :class:`InvalidVersion`). Cached: hot paths pay a dictionary look-up.
    """
    if len(version) > MAX_LENGTH:
        raise InvalidVersion(
            f"a Maven version of {len(version)} characters is over the {MAX_LENGTH} accepted",
            version=version[:MAX_LENGTH],
        )
    key, _sign = _freeze(_parse(version))
    return key


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as Maven's ``ComparableVersion.compareTo`` (see the module notes)."""
    key_a, key_b = sort_key(a), sort_key(b)
    return (key_a > key_b) - (key_a < key_b)
