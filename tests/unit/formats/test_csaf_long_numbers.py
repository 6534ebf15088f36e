"""CSAF numbers of any length. The schema bounds neither an integer version nor a semantic
version's parts, and Python's ``int()`` refuses more than 4,300 digits: the tracking
tests (6.1.14, 16-18, 21, 30) and the renderer's orderings compare digit strings instead,
exactly as the numbers compare (checked against ``int`` itself, its limit lifted); the
parser refuses a tracking version or revision number over ``CsafLimits.max_version_length``
characters, naming it, and a date or score Python cannot hold, naming it too."""

from __future__ import annotations

import copy
import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.formats.csaf import (
    CsafError,
    CsafLimits,
    OnFindings,
    check_csaf_mandatory,
    model_to_csaf,
    parse_csaf,
    validate_csaf,
)
from clearinghouse.formats.csaf_checks_tracking import _compare_numbers, _semver
from clearinghouse.formats.model import ProductStatement, ProductStatus, Revision
from tests.unit.formats.csaf_cases import LOG4J_CORE, PMC, log4shell

LONG = "1" + "0" * 5000  # 10**5000: int() refuses it
NINES = "9" * 5000  # 10**5000 - 1: fewer digits, so smaller


@contextmanager
def unlimited_int_digits() -> Iterator[None]:
    """``int()`` of any length, for checking against: only inside the block."""
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(before)


def _doc(*numbers: str, status: str = "final") -> dict[str, Any]:
    """Log4Shell as CSAF, its two revisions (a day apart) numbered ``numbers``."""
    doc: dict[str, Any] = copy.deepcopy(model_to_csaf(log4shell()))
    tracking = doc["document"]["tracking"]
    for revision, number in zip(tracking["revision_history"], numbers, strict=True):
        revision["number"] = number
    tracking["version"] = numbers[-1]
    tracking["status"] = status
    return doc


def _findings(doc: dict[str, Any], test: str) -> list[str]:
    return [f.message for f in check_csaf_mandatory(doc) if f.test == test]


# ---- the tracking tests (csaf_checks_tracking) ---------------------------------------------


def test_a_valid_document_with_a_5001_digit_minor_passes_every_check() -> None:
    assert validate_csaf(_doc("1.0.0", f"1.{LONG}.0")) == ()
    assert validate_csaf(_doc(f"1.{NINES}.0", f"1.{LONG}.0")) == ()


@pytest.mark.parametrize(
    ("earlier", "later", "ascends"),
    [
        (f"1.{NINES}.0", f"1.{LONG}.0", True),
        (f"1.{LONG}.0", f"1.{NINES}.0", False),
        (f"1.0.{LONG}", "1.1.0", True),
        (f"{LONG}.0.0", f"{LONG}.0.1", True),
        (f"{LONG}.0.1", f"{LONG}.0.0", False),
        (NINES, LONG, True),  # integers: read as <n>.0.0
        (LONG, NINES, False),
    ],
)
def test_6_1_14_orders_revision_numbers_of_any_length(
    earlier: str, later: str, ascends: bool
) -> None:
    found = _findings(_doc(earlier, later), "6.1.14")
    assert found == ([] if ascends else ["the numbers do not ascend with the dates"])


def test_6_1_14_orders_pre_releases_of_any_length() -> None:
    ascending = _doc(f"1.0.0-{NINES}", f"1.0.0-{LONG}", status="draft")
    assert _findings(ascending, "6.1.14") == []
    assert _findings(_doc(f"1.0.0-{LONG}", f"1.0.0-{NINES}", status="draft"), "6.1.14")
    assert _findings(_doc(f"1.0.0-{LONG}", "1.0.0-a", status="draft"), "6.1.14") == []


def test_6_1_21_counts_majors_of_any_length() -> None:
    assert _findings(_doc("1", LONG), "6.1.21") == ["major version 2 is missing"]
    assert _findings(_doc(f"1.{LONG}.0", f"2.{LONG}.0"), "6.1.21") == []
    assert _findings(_doc("0", f"0{LONG}"), "6.1.21") == ["major version 1 is missing"]
    # a first major of 10**5000: the history does not start at 0 or 1, and that is all
    assert _findings(_doc(LONG, f"{LONG}1"), "6.1.21") == ["the history does not start at 0 or 1"]


def test_6_1_17_and_6_1_18_read_a_zero_major_before_a_long_minor() -> None:
    doc = _doc("0.1.0", f"0.{LONG}.0")
    assert _findings(doc, "6.1.17") == [f"version '0.{LONG}.0' is only allowed in a draft"]
    assert _findings(doc, "6.1.18")
    assert _findings(_doc(f"{LONG}.0.0", f"{LONG}.1.0"), "6.1.17") == []


def test_6_1_30_tells_integer_from_semantic_versioning_at_any_length() -> None:
    assert _findings(_doc(NINES, LONG), "6.1.30") == []
    assert _findings(_doc(f"1.{LONG}.0", f"2.{LONG}.0"), "6.1.30") == []
    mixed = _findings(_doc("1.0.0", LONG), "6.1.30")
    assert len(mixed) == 2  # the revision and the version
    assert all(m.endswith("mixes semantic and other versioning") for m in mixed)
    assert _findings(_doc("1", f"0{LONG}"), "6.1.30")  # a leading zero is not an integer


@pytest.mark.parametrize(
    "number",
    [
        LONG,
        f"-{LONG}",
        f"+{LONG}",
        f" {LONG}",
        "0" * 5000 + "1",
        f"{LONG}.{LONG}.{LONG}",
        f"1.0.0-{LONG}.{LONG}+{LONG}",
        f"1.0.0-{'1' * 5000}a",
        "\u0663" * 5000,  # ARABIC-INDIC DIGIT THREE: a digit to int(), not to CSAF
        "\u00b2" * 10,  # SUPERSCRIPT TWO: str.isdigit() says yes, int() refuses it
        f"1.\u0663{'0' * 5000}.0",
    ],
)
@pytest.mark.parametrize("status", ["final", "draft"])
def test_no_tracking_test_raises_on_a_hostile_number(number: str, status: str) -> None:
    for numbers in ((number, number), ("1", number), (number, "2")):
        assert isinstance(check_csaf_mandatory(_doc(*numbers, status=status)), tuple)


_integers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.builds(
        lambda sign, zeros, digits: f"{sign}{'0' * zeros}{digits}",
        st.sampled_from(["", "-", "+"]),
        st.integers(min_value=0, max_value=3),
        st.text("0123456789", min_size=1, max_size=6000),
    ),
).map(str)


@given(_integers, _integers)
def test_revision_numbers_compare_as_their_integers(a: str, b: str) -> None:
    with unlimited_int_digits():
        expected = (int(a) > int(b)) - (int(a) < int(b))
    assert _compare_numbers(a, b) == expected


_parts = st.one_of(
    st.integers(min_value=0, max_value=10**25).map(str),
    st.builds(lambda d: d.lstrip("0") or "0", st.text("0123456789", min_size=1, max_size=5000)),
)


@given(st.tuples(_parts, _parts, _parts), st.tuples(_parts, _parts, _parts))
def test_semantic_versions_compare_as_their_numbers(
    a: tuple[str, str, str], b: tuple[str, str, str]
) -> None:
    key_a, key_b = _semver(".".join(a)), _semver(".".join(b))
    assert key_a is not None
    assert key_b is not None
    with unlimited_int_digits():
        numbers_a, numbers_b = tuple(map(int, a)), tuple(map(int, b))
    assert (key_a < key_b, key_a == key_b) == (numbers_a < numbers_b, numbers_a == numbers_b)


# ---- the renderer (csaf_render) ------------------------------------------------------------


def test_revisions_of_one_instant_are_ordered_by_numbers_of_any_length() -> None:
    at = datetime(2021, 12, 14, 12, 0, tzinfo=UTC)
    advisory = dataclasses.replace(
        log4shell(),
        revisions=(
            Revision("1.0.0", datetime(2021, 12, 10, tzinfo=UTC), "Initial version."),
            Revision(f"1.{LONG}.0", at, "Later."),
            Revision(f"1.{NINES}.0", at, "Earlier."),
        ),
    )
    tracking = model_to_csaf(advisory)["document"]["tracking"]
    assert [r["summary"] for r in tracking["revision_history"]] == [
        "Initial version.",
        "Earlier.",
        "Later.",
    ]
    assert tracking["version"] == f"1.{LONG}.0"


def test_product_versions_are_ordered_by_numbers_of_any_length() -> None:
    advisory = log4shell()
    [vuln] = advisory.vulnerabilities
    extra = tuple(
        ProductStatement(LOG4J_CORE, ProductStatus.FIXED, version=v, vendor=PMC)
        for v in (f"2.{LONG}", "2.99", f"2.{NINES}", f"2.\u0663{LONG}")
    )
    advisory = dataclasses.replace(
        advisory, vulnerabilities=(dataclasses.replace(vuln, statements=vuln.statements + extra),)
    )
    doc = model_to_csaf(advisory)
    [vendor] = doc["product_tree"]["branches"]
    [core] = [b for b in vendor["branches"] if b["name"] == LOG4J_CORE.name]
    versions = [leaf["name"] for leaf in core["branches"] if leaf["category"] == "product_version"]
    assert versions == [
        "2.3.1",
        "2.12.2",
        "2.15.0",
        "2.99",
        f"2.{NINES}",
        f"2.{LONG}",
        f"2.\u0663{LONG}",  # not an ASCII digit: after every number, as text
    ]
    assert validate_csaf(doc) == ()


# ---- the parser (csaf_parse) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("numbers", "path", "length"),
    [
        (("1", LONG), "/document/tracking/version", 5001),
        (("1.0.0", f"1.{LONG}.0"), "/document/tracking/version", 5005),
        ((LONG, "2"), "/document/tracking/revision_history/0/number", 5001),
        (("1", "2" * 101), "/document/tracking/version", 101),
    ],
)
@pytest.mark.parametrize("check_schema", [True, False])
def test_a_version_over_the_limit_is_refused_naming_it(
    numbers: tuple[str, str], path: str, length: int, check_schema: bool
) -> None:
    for on_findings in OnFindings:
        with pytest.raises(CsafError) as raised:
            parse_csaf(_doc(*numbers), check_schema=check_schema, on_findings=on_findings)
        assert raised.value.detail == (
            f"{path}: a version of {length} characters; the limit is 100"
        )
        assert raised.value.extensions["path"] == path


def test_the_version_limit_is_the_only_reason_to_refuse_a_valid_long_version() -> None:
    doc = _doc("1.0.0", f"1.{LONG}.0")
    advisory = parse_csaf(doc, limits=CsafLimits(max_version_length=6000))
    assert [r.number for r in advisory.revisions] == ["1.0.0", f"1.{LONG}.0"]
    assert model_to_csaf(advisory)["document"]["tracking"] == doc["document"]["tracking"]
    at_the_limit = f"1.{'2' * 96}.0"  # 100 characters
    assert parse_csaf(_doc("1.0.0", at_the_limit)).revisions[-1].number == at_the_limit


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("initial_release_date", "0001-01-01T00:00:00+01:00"),
        ("current_release_date", "9999-12-31T23:59:59-01:00"),
        ("revision_history/0/date", "0001-01-01T00:00:00+01:00"),
    ],
)
def test_a_date_beyond_what_utc_can_hold_is_refused(field: str, value: str) -> None:
    doc = _doc("1", "2")
    node: Any = doc["document"]["tracking"]
    *parents, last = field.split("/")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value
    assert isinstance(check_csaf_mandatory(doc), tuple)
    with pytest.raises(CsafError, match="beyond the dates UTC can hold"):
        parse_csaf(doc, on_findings=OnFindings.RECORD)


def test_a_score_too_large_for_a_float_is_refused_naming_it() -> None:
    """Only without the schema check: Python's json reads an integer of 400 digits."""
    doc = _doc("1", "2")
    doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = 10**400
    path = "/vulnerabilities/0/scores/0/cvss_v3/baseScore"
    with pytest.raises(CsafError) as raised:
        parse_csaf(doc, check_schema=False, on_findings=OnFindings.RECORD)
    assert raised.value.detail == f"{path}: a score beyond the range of numbers"
    assert raised.value.extensions["path"] == path
