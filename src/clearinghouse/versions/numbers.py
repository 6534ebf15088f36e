"""Digit runs as comparable numbers, whatever their length.

Version strings come from outside, and Python refuses to turn a run of more than 4,300
digits into an ``int`` (``sys.get_int_max_str_digits``: the conversion is quadratic), so
``int()`` on an attacker's ``1.<5,000 nines>`` is a ``ValueError``, not an answer.

:func:`number_key` never converts more than :data:`EXACT_DIGITS` digits. A shorter run
(every real version number) is its value, exactly as ``int()`` gave it, so keys and
their speed are unchanged. A longer run is bigger than any such value, and longer runs
order among themselves as numbers do: by how many significant digits, then digit by
digit. Its key is that pair packed into one ``int`` without a decimal conversion::

    digits << 8 * digits | the digits' ASCII bytes read as a big-endian number

which lies in ``[digits * 256**digits, (digits + 1) * 256**digits)``: ranges that grow
with the count of digits and never overlap, each above ``10**EXACT_DIGITS``. Equal keys
mean equal values. ``tests/unit/versions/test_long_numbers.py`` checks the order against
``int`` itself (with the limit lifted) on runs of up to 6,000 digits.

Only for ASCII digits (every scheme using it reads ``[0-9]``). Maven, which reads every
Unicode decimal digit, keeps ``int`` under its 256-character cap
(:mod:`clearinghouse.versions.maven`), as do dpkg, rpm and apk under theirs.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EXACT_DIGITS", "number_key"]

EXACT_DIGITS: Final = 18  # at most this many significant digits: the exact value


def number_key(digits: str) -> int:
    """A number ordered as the value of ``digits`` (ASCII digits; empty counts as 0)."""
    if len(digits) <= EXACT_DIGITS:  # the usual case, first: int() is cheap and exact
        return int(digits) if digits else 0
    significant = digits.lstrip("0")
    count = len(significant)
    if count <= EXACT_DIGITS:
        return int(significant) if significant else 0
    return count << (8 * count) | int.from_bytes(significant.encode("ascii"), "big")
