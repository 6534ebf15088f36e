"""CSAF 2.0 mandatory tests about the document's tracking and languages (section 6.1):
6.1.14 - 6.1.22, 6.1.28 and 6.1.30.

Versions are integers or semantic versions (``version_t``); where the BSI
csaf-validator-lib (the reference, compared on every OASIS vector by the test suite)
reads an integer prefix of a string, so does :func:`_leading_int`.

Numbers are compared as digit strings (:func:`digits_key`), never converted with
``int()``: the schema bounds neither an integer version nor a semantic version's parts,
and ``int()`` refuses more than 4,300 digits. Digits are ASCII only, as semantic
versioning and the BSI library (JavaScript's regular expressions and ``parseInt``)
read them.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from clearinghouse.formats.csaf_checks_tree import dicts
from clearinghouse.formats.csaf_vocab import CsafFinding, digits_key
from clearinghouse.timeutil import parse_instant

Json = dict[str, Any]

_SEMVER = re.compile(
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?\Z"  # \Z: $ passes a final newline
)
_LEADING_INT = re.compile(r"^\s*([+-]?)([0-9]+)")
_INTEGER = re.compile(r"0|-?[1-9][0-9]*")  # an integer written as JavaScript writes it
_REVERSED = str.maketrans("0123456789", "9876543210")
_EXACT_DIGITS = 18  # a number of at most this many significant digits is read as an int
DigitsKey = tuple[int, str]
SemverKey = tuple[DigitsKey, DigitsKey, DigitsKey, tuple[tuple[int, DigitsKey | str], ...]]
IntKey = tuple[int, int, str]  # sign, then the magnitude's order (reversed when negative)


def _semver(version: str) -> SemverKey | None:
    """The precedence key of a semantic version (None when it is not one)."""
    match = _SEMVER.match(version)
    if match is None:
        return None
    pre = match.group(4)
    # A release ranks above its pre-releases: an empty tuple sorts first, so mark it.
    parts: tuple[tuple[int, DigitsKey | str], ...] = (
        tuple((0, digits_key(p)) if p.isdigit() else (1, p) for p in pre.split("."))
        if pre
        else ((2, ""),)
    )
    major, minor, patch = (digits_key(match.group(i)) for i in (1, 2, 3))
    return major, minor, patch, parts


def _is_prerelease(version: str) -> bool:
    match = _SEMVER.match(version)
    return match is not None and match.group(4) is not None


def _int_key(sign: str, digits: str) -> IntKey:
    """An integer (its sign and ASCII digits) ordered as its value, of any length."""
    count, significant = digits_key(digits)
    if not count:
        return 0, 0, ""
    if sign == "-":  # the longer, or the higher digit by digit, the lower
        return -1, -count, significant.translate(_REVERSED)
    return 1, count, significant


def _leading_int(text: str) -> IntKey | None:
    """The key of the integer ``text`` starts with (None when it starts with none)."""
    match = _LEADING_INT.match(text)
    return _int_key(match.group(1), match.group(2)) if match else None


def _value(key: IntKey) -> int | None:
    """The integer of a key, when it has at most ``_EXACT_DIGITS`` significant digits."""
    sign, count, digits = key
    if abs(count) > _EXACT_DIGITS:
        return None
    return sign * int((digits if sign >= 0 else digits.translate(_REVERSED)) or "0")


def _key_of(value: int) -> IntKey:
    return _int_key("-" if value < 0 else "", str(abs(value)))


_ZERO, _ONE = _key_of(0), _key_of(1)


def _instant(text: str) -> datetime | None:
    try:
        return parse_instant(text)
    except ValueError:  # InstantOutOfRange too: out of range in UTC (year 1 at +01:00)
        return None


def _compare_dates(a: str, b: str) -> int:
    first, second = _instant(a), _instant(b)
    if first is None or second is None or first == second:
        return 0
    return -1 if first < second else 1


def _compare_numbers(a: str, b: str) -> int:
    """Ascending revision numbers: semantic versions by precedence, else integers."""
    key_a, key_b = _semver(a), _semver(b)
    if key_a is not None and key_b is not None:
        return -1 if key_a < key_b else 1 if key_a > key_b else 0
    int_a, int_b = _leading_int(a), _leading_int(b)
    if int_a is None or int_b is None:
        return 0
    return -1 if int_a < int_b else 1 if int_a > int_b else 0


def _tracking(doc: Json) -> Json:
    document = doc.get("document")
    tracking = document.get("tracking") if isinstance(document, dict) else None
    return tracking if isinstance(tracking, dict) else {}


def _history(doc: Json) -> list[Json] | None:
    """The revision history when every entry has a string number and date."""
    history = _tracking(doc).get("revision_history")
    if not isinstance(history, list) or not all(
        isinstance(r, dict) and isinstance(r.get("number"), str) and isinstance(r.get("date"), str)
        for r in history
    ):
        return None
    return history


def _by_date(history: list[Json], *, newest_first: bool) -> list[Json]:
    def order(a: Json, b: Json) -> int:
        by_date = _compare_dates(a["date"], b["date"])
        return (-by_date if newest_first else by_date) or (
            -_compare_numbers(a["number"], b["number"])
            if newest_first
            else _compare_numbers(a["number"], b["number"])
        )

    return sorted(history, key=functools.cmp_to_key(order))


def test_6_1_14(doc: Json) -> Iterator[CsafFinding]:
    """Sorted revision history: by date, the numbers ascend."""
    history = _history(doc)
    if history is None:
        return
    numbers = [
        r["number"] if _semver(r["number"]) else f"{r['number']}.0.0"
        for r in _by_date(history, newest_first=False)
    ]
    keys = [k for k in (_semver(n) for n in dict.fromkeys(numbers)) if k is not None]
    if any(later <= earlier for earlier, later in itertools.pairwise(keys)):
        path = "/document/tracking/revision_history"
        yield CsafFinding("6.1.14", path, "the numbers do not ascend with the dates")


def test_6_1_15(doc: Json) -> Iterator[CsafFinding]:
    """Translator: a translation names its source language."""
    document = doc.get("document")
    if not isinstance(document, dict):
        return
    publisher = document.get("publisher")
    translated = isinstance(publisher, dict) and publisher.get("category") == "translator"
    if translated and not document.get("source_lang"):
        path = "/document/publisher/category"
        yield CsafFinding("6.1.15", path, "a translator's document needs source_lang")


def _version_and_status(doc: Json) -> tuple[str, str] | None:
    tracking = _tracking(doc)
    version, status = tracking.get("version"), tracking.get("status")
    if isinstance(version, str) and isinstance(status, str):
        return version, status
    return None


def test_6_1_16(doc: Json) -> Iterator[CsafFinding]:
    """Latest document version: ``version`` is the newest revision's number."""
    history, known = _history(doc), _version_and_status(doc)
    if not history or known is None:
        return
    version, status = known

    def normal(number: str) -> str:
        return re.split(r"[+-]" if status == "draft" else r"\+", number)[0]

    latest = _by_date(history, newest_first=True)[0]["number"]
    if normal(latest) != normal(version):
        message = f"version {version!r} is not the newest revision's ({latest!r})"
        yield CsafFinding("6.1.16", "/document/tracking/version", message)


def _is_zero_major(number: str) -> bool:
    key = _semver(number)
    return number == "0" or (key is not None and key[0] == digits_key("0"))


def test_6_1_17(doc: Json) -> Iterator[CsafFinding]:
    """Document status draft: version 0, 0.y.z or a pre-release is a draft."""
    known = _version_and_status(doc)
    if known is None:
        return
    version, status = known
    if status != "draft" and (_is_zero_major(version) or _is_prerelease(version)):
        message = f"version {version!r} is only allowed in a draft"
        yield CsafFinding("6.1.17", "/document/tracking/status", message)


def test_6_1_18(doc: Json) -> Iterator[CsafFinding]:
    """Released revision history: a final or interim document has no 0 or 0.y.z revision."""
    history, known = _history(doc), _version_and_status(doc)
    if history is None or known is None or known[1] not in ("final", "interim"):
        return
    if any(_is_zero_major(r["number"]) for r in history):
        message = f"a {known[1]} document's history holds a draft revision (0 or 0.y.z)"
        yield CsafFinding("6.1.18", "/document/tracking/status", message)


def test_6_1_19(doc: Json) -> Iterator[CsafFinding]:
    """Revision history entries for pre-release versions."""
    history = _history(doc)
    if history is None or _version_and_status(doc) is None:
        return
    for i, revision in enumerate(history):
        if _is_prerelease(revision["number"]):
            path = f"/document/tracking/revision_history/{i}/number"
            yield CsafFinding("6.1.19", path, "a revision number has a pre-release part")


def test_6_1_20(doc: Json) -> Iterator[CsafFinding]:
    """Non-draft document version: a final or interim document has no pre-release."""
    known = _version_and_status(doc)
    if known is not None and known[1] in ("final", "interim") and _is_prerelease(known[0]):
        message = f"a {known[1]} document's version has a pre-release part"
        yield CsafFinding("6.1.20", "/document/tracking/version", message)


def test_6_1_21(doc: Json) -> Iterator[CsafFinding]:
    """Missing item in revision history: by date, the major versions start at 0 or 1 and
    skip none.

    Revisions of one instant are ordered by number, as OASIS's test cases expect (the BSI
    library keeps their document order, and so fails the valid vectors 6-1-14-12,
    6-1-16-16 and 6-1-16-17, whose history lists "2" before "1" at one instant).

    Majors of any length are compared; when the first is longer than ``_EXACT_DIGITS``
    digits (so the history does not start at 0 or 1), the majors missing after it are not
    counted out: that finding stands alone.
    """
    history = _history(doc)
    if not history:
        return
    ordered = _by_date(history, newest_first=False)
    majors = list(dict.fromkeys(_leading_int(r["number"]) for r in ordered))
    path = "/document/tracking/revision_history"
    first = majors[0]
    if first not in (_ZERO, _ONE):
        yield CsafFinding("6.1.21", path, "the history does not start at 0 or 1")
    start = None if first is None else _value(first)
    if start is None:
        return
    for offset, major in enumerate(majors):
        if major is not None and major > _key_of(start + offset):
            yield CsafFinding("6.1.21", path, f"major version {start + offset} is missing")


def test_6_1_22(doc: Json) -> Iterator[CsafFinding]:
    """Multiple definition in revision history: one number twice."""
    history = _history(doc)
    if history is None or _version_and_status(doc) is None:
        return
    seen: set[str] = set()
    for i, revision in enumerate(history):
        if revision["number"] in seen:
            path = f"/document/tracking/revision_history/{i}/number"
            yield CsafFinding("6.1.22", path, f"number {revision['number']!r} is used twice")
        seen.add(revision["number"])


def test_6_1_28(doc: Json) -> Iterator[CsafFinding]:
    """Translation: a document is not a translation into its own source language."""
    document = doc.get("document")
    if not isinstance(document, dict):
        return
    lang, source = document.get("lang"), document.get("source_lang")
    if isinstance(lang, str) and lang == source:
        yield CsafFinding("6.1.28", "/document/lang", "is the same as /document/source_lang")


def _scheme(number: str) -> str:
    return "integer" if _INTEGER.fullmatch(number) else "semantic"


def test_6_1_30(doc: Json) -> Iterator[CsafFinding]:
    """Mixed integer and semantic versioning in the revision history and version."""
    tracking = _tracking(doc)
    numbers = [
        (f"/document/tracking/revision_history/{i}/number", r["number"])
        for i, r in dicts(tracking.get("revision_history"))
        if isinstance(r.get("number"), str)
    ]
    if isinstance(tracking.get("version"), str) and numbers:
        numbers.append(("/document/tracking/version", tracking["version"]))
    if not numbers:
        return
    first = _scheme(numbers[0][1])
    for path, number in numbers:
        if _scheme(number) != first:
            yield CsafFinding("6.1.30", path, f"{number!r} mixes {first} and other versioning")


TRACKING_TESTS = {
    "6.1.14": test_6_1_14,
    "6.1.15": test_6_1_15,
    "6.1.16": test_6_1_16,
    "6.1.17": test_6_1_17,
    "6.1.18": test_6_1_18,
    "6.1.19": test_6_1_19,
    "6.1.20": test_6_1_20,
    "6.1.21": test_6_1_21,
    "6.1.22": test_6_1_22,
    "6.1.28": test_6_1_28,
    "6.1.30": test_6_1_30,
}
