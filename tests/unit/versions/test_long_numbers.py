"""Numbers of any length: no ordering raises on a long digit run, and numbers compare
exactly as ``int()`` compared them before (checked against ``int`` itself, the limit on
decimal digits lifted for the test, and against the int-based keys of before on
ordinary versions)."""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from clearinghouse.formats.model import EventKind, RangeEvent, RangeType, VersionRange
from clearinghouse.versions import (
    InvalidVersion,
    Scheme,
    Verdict,
    compile_ranges,
    dpkg,
    generic,
    key_function,
    pypi,
    rpm,
    rubygems,
    semver,
)
from clearinghouse.versions.numbers import EXACT_DIGITS, number_key
from tests.unit.versions.test_generic_and_gems import _gem_reference, dotted, gem_versions
from tests.unit.versions.test_pypi import pep440
from tests.unit.versions.test_semver import _reference as _semver_reference
from tests.unit.versions.test_semver import semver_strings

LONG = "9" * 4400  # over Python's 4,300-digit limit on int()


@contextmanager
def unlimited_int_digits() -> Iterator[None]:
    """``int()`` of any length, for checking against: only inside the block."""
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(before)


def _sign(a: Any, b: Any) -> int:
    return int((a > b) - (a < b))


# ---- the number key -------------------------------------------------------------------------

_digit_runs = st.one_of(
    st.text(alphabet="0123456789", max_size=30),
    st.text(alphabet="09", min_size=15, max_size=25),  # around EXACT_DIGITS
    st.builds(
        lambda zeros, head, size, tail: "0" * zeros + head + "9" * size + tail,
        st.integers(0, 3),
        st.sampled_from(["1", "5", "9"]),
        st.integers(4290, 6000),
        st.text(alphabet="0123456789", max_size=3),
    ),
)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(a=_digit_runs, b=_digit_runs)
def test_number_keys_order_digit_runs_as_int_does(a: str, b: str) -> None:
    with unlimited_int_digits():
        value_a, value_b = int(a or "0"), int(b or "0")
    assert _sign(number_key(a), number_key(b)) == _sign(value_a, value_b)
    assert (number_key(a) == number_key(b)) == (value_a == value_b)


def test_short_runs_keep_their_exact_value() -> None:
    assert number_key("") == number_key("0") == number_key("000") == 0
    assert number_key("0042") == 42
    assert number_key("9" * EXACT_DIGITS) == int("9" * EXACT_DIGITS)
    assert number_key("0" * 50 + "7") == 7
    assert number_key("1" + "0" * EXACT_DIGITS) > number_key("9" * EXACT_DIGITS)


# ---- the same answers as the int-based keys of before, on ordinary versions ------------------


def _generic_int_key(version: str) -> tuple[object, ...]:
    """generic.sort_key as it was, with int()."""
    text = version.strip().lower()
    epoch = 0
    match = re.match(r"\s*([0-9]+):", text)
    if match is not None:
        epoch = int(match.group(1))
        text = text[match.end() :]
    if text[:1] == "v" and text[1:2].isdigit():
        text = text[1:]
    items: list[generic.PaddedItem] = []
    for token in re.findall(r"[0-9]+|[a-z]+|~", text):
        if token.isdigit():
            items.append((1 if int(token) else 0, 3, int(token)))
        else:
            items.append(generic._item(token))
    return (epoch, generic.padded_key(items))


def _nuget_int_key(version: str) -> tuple[object, ...]:
    """semver.nuget_sort_key as it was, with int()."""
    match = semver._NUGET.fullmatch(version)
    assert match is not None
    *numbers, prerelease = match.groups()
    pre: tuple[object, ...] = (1,)
    if prerelease is not None:
        pre = (0, *((0, int(p)) if p.isdigit() else (1, p) for p in prerelease.lower().split(".")))
    return (*(int(n) if n else 0 for n in numbers), pre)


_big = st.integers(0, 10**25).map(str) | st.sampled_from(["0", "00", "007", "10", "2021"])
nuget_strings = st.builds(
    lambda numbers, pre: ".".join(numbers) + pre,
    st.lists(_big, min_size=1, max_size=4),
    st.sampled_from(["", "-rc.1", "-beta.11", "-Alpha", "-rc.007"]),
)
generic_strings = dotted | st.builds(
    lambda epoch, numbers: epoch + ".".join(numbers),
    st.sampled_from(["", "1:", "10:"]),
    st.lists(_big, min_size=1, max_size=4),
)


@settings(derandomize=True, max_examples=300)
@given(a=generic_strings, b=generic_strings)
def test_generic_agrees_with_its_int_based_key(a: str, b: str) -> None:
    assert generic.compare(a, b) == _sign(_generic_int_key(a), _generic_int_key(b)), (a, b)


@settings(derandomize=True, max_examples=300)
@given(a=nuget_strings, b=nuget_strings)
def test_nuget_agrees_with_its_int_based_key(a: str, b: str) -> None:
    expected = _sign(_nuget_int_key(a), _nuget_int_key(b))
    assert _sign(semver.nuget_sort_key(a), semver.nuget_sort_key(b)) == expected, (a, b)


_pep440_big = pep440 | st.builds(
    lambda release, tail: ".".join(release) + tail,
    st.lists(_big, min_size=1, max_size=4),
    st.sampled_from(["", "rc" + "1" * 20, ".post" + "2" * 19, ".dev0", "+local." + "3" * 22]),
)


@settings(derandomize=True, max_examples=300)
@given(a=_pep440_big, b=_pep440_big)
def test_pypi_agrees_with_packaging_on_long_ordinary_numbers(a: str, b: str) -> None:
    """packaging's Version (int-based) was the key's source before; it still is the oracle."""
    assert pypi.compare(a, b) == _sign(Version(a), Version(b)), (a, b)
    assert pypi.strict_sort_key(a) == pypi.sort_key(a)
    assert pypi.is_pep440(a)


@settings(derandomize=True, max_examples=200)
@given(a=semver_strings, b=semver_strings)
def test_semver_and_gems_agree_with_their_int_based_references(a: str, b: str) -> None:
    assert semver.compare(a, b) == _semver_reference(a, b), (a, b)
    assert rubygems.compare(a, b) == _gem_reference(a, b), (a, b)


# ---- numbers too long for int() ---------------------------------------------------------------


_DIGIT_RUN = re.compile(r"[0-9]+")
# SemVer compares an identifier mixing digits and letters as text: only whole numbers.
_SEMVER_NUMBER = re.compile(r"(?<![0-9A-Za-z-])[0-9]+(?![0-9A-Za-z-])")


def _inflate(version: str, numbers: re.Pattern[str] = _DIGIT_RUN) -> str:
    """Every non-zero number made longer than int() reads, keeping the order of values:
    n -> 10**4400 + n (zero stays zero)."""

    def longer(match: re.Match[str]) -> str:
        digits = match.group(0).lstrip("0")
        return "1" + digits.rjust(4400, "0") if digits else match.group(0)

    return numbers.sub(longer, version)


_Compare = Callable[[str, str], int]
_SCHEMES: list[tuple[str, _Compare, st.SearchStrategy[str], re.Pattern[str]]] = [
    ("pypi", pypi.compare, _pep440_big, _DIGIT_RUN),
    ("semver", semver.compare, semver_strings, _SEMVER_NUMBER),
    (
        "nuget",
        lambda a, b: _sign(semver.nuget_sort_key(a), semver.nuget_sort_key(b)),
        nuget_strings,
        _DIGIT_RUN,
    ),
    ("generic", generic.compare, generic_strings, _DIGIT_RUN),
    ("rubygems", rubygems.compare, gem_versions, _DIGIT_RUN),
]


@pytest.mark.parametrize(
    ("name", "compare", "versions", "numbers"), _SCHEMES, ids=[s[0] for s in _SCHEMES]
)
def test_long_numbers_order_as_their_short_counterparts(
    name: str,
    compare: _Compare,
    versions: st.SearchStrategy[str],
    numbers: re.Pattern[str],
) -> None:
    @settings(derandomize=True, max_examples=60, deadline=None)
    @given(a=versions, b=versions)
    def check(a: str, b: str) -> None:
        try:
            expected = compare(a, b)
        except InvalidVersion:
            return
        assert compare(_inflate(a, numbers), _inflate(b, numbers)) == expected, (name, a, b)

    check()


@pytest.mark.parametrize("scheme", list(Scheme))
def test_no_ordering_raises_anything_but_invalid_version_on_long_numbers(scheme: Scheme) -> None:
    key = key_function(scheme)
    shapes = [LONG, f"1.{LONG}", f"{LONG}.0.0", f"1.0.0-{LONG}", f"1:{LONG}", f"{LONG}:1.0",
              f"1.0+{LONG}", f"1.0rc{LONG}", f"1.0.post{LONG}", f"{LONG}!1.0",
              f"1.0-r{LONG}"]  # fmt: skip
    refusals = []
    for version in shapes:
        try:
            key(version)
        except InvalidVersion as exc:
            refusals.append(exc.detail)
    assert all(len(detail) < 300 for detail in refusals)  # no message echoes the version
    if scheme in (Scheme.PYPI, Scheme.SEMVER, Scheme.GENERIC, Scheme.RUBYGEMS):
        assert key(f"1.{LONG}.0") > key(f"1.{LONG[:-1]}.0") > key("1.99999.0")
        assert key(f"1.{LONG}.0") < key(f"2.{LONG}.0")
        assert scheme is Scheme.SEMVER or key(f"1.0{LONG}.0") == key(f"1.{LONG}.0")


def test_ranges_with_long_numbers_compile_and_decide() -> None:
    """The import and the exposure pages compile stored ranges: a boundary with a long
    number is read (PyPI, SemVer) or unreadable (Maven's 256 characters), never a crash."""

    def entry(kind: RangeType, fixed: str) -> list[VersionRange]:
        return [
            VersionRange(
                kind, (RangeEvent(EventKind.INTRODUCED, "0"), RangeEvent(EventKind.FIXED, fixed))
            )
        ]

    pypi_ranges = compile_ranges("PyPI", entry(RangeType.ECOSYSTEM, f"1.{LONG}"))
    assert pypi_ranges.unreadable == ()
    assert pypi_ranges.verdict("1.5") is Verdict.AFFECTED
    assert pypi_ranges.verdict("2.0") is Verdict.NOT_AFFECTED
    assert pypi_ranges.verdict(f"1.{LONG}") is Verdict.NOT_AFFECTED
    npm = compile_ranges("npm", entry(RangeType.SEMVER, f"{LONG}.0.0"))
    assert npm.verdict("99.0.0") is Verdict.AFFECTED
    maven = compile_ranges("Maven", entry(RangeType.ECOSYSTEM, f"2.{LONG}"))
    assert [bound.kind for bound in maven.unreadable] == [EventKind.FIXED]
    assert len(maven.unreadable[0].reason) < 300
    assert maven.verdict("2.14.1") is Verdict.UNDECIDED
    assert str(pypi_ranges).startswith("(-inf, 1.99999")


@pytest.mark.parametrize("module", [dpkg, rpm])
def test_an_epoch_of_non_ascii_digits_is_a_typed_error(module: object) -> None:
    """``"²".isdigit()`` is true, but int() refuses it: the epoch must be ASCII digits."""
    with pytest.raises(InvalidVersion, match="epoch"):
        module.sort_key("²:1.0")  # type: ignore[attr-defined]


def test_sorting_long_and_short_versions_together_is_a_total_order() -> None:
    versions = [f"1.{LONG}", f"1.{LONG[:-1]}", "1.0", "1.99", f"1.{LONG}.1", f"0{LONG}", "2"]
    for module in (pypi, generic, rubygems):
        ordered = sorted(versions, key=module.sort_key)
        for low, high in itertools.pairwise(ordered):
            assert module.compare(low, high) <= 0
