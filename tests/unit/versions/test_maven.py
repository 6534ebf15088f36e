"""Maven ordering: known facts, and the algebra of the sort key."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.versions import InvalidVersion, maven
from tests.unit.versions.strategies import maven_ish

# Each chain is strictly increasing in Maven's order (checked against Maven in
# test_maven_java via the tricky fixture, which holds these versions too).
ASCENDING = [
    ["1.0-alpha1", "1.0-alpha2", "1.0-beta1", "1.0-m1", "1.0-rc1", "1.0-SNAPSHOT", "1.0",
     "1.0-sp1", "1.0-bar", "1.0-foo", "1.0-1", "1.0.1", "1.1"],
    ["2.0-beta8", "2.0-beta9", "2.0-beta10", "2.0", "2.0.1", "2.3.1", "2.12.2", "2.15.0-rc1",
     "2.15.0-rc2", "2.15.0"],
    ["1.9", "1.10", "1.0000000000.1"],
    ["1.999999999", "1.1000000000", "1.123456789012345678", "1.1234567890123456789"],
    ["r09", "r10"],
    ["31.1-android", "31.1-jre"],
]  # fmt: skip

EQUAL = [
    ["1", "1.0", "1.0.0", "1.0.0.0.0", "1-0", "1.0-", "1.0.0-", "1.ga", "1-final", "1.0.Final",
     "1.0-RELEASE", "1-GA"],
    ["5.3.18", "5.3.18.RELEASE", "5.3.18.release", "5.3.18-Final"],
    ["1.0-rc1", "1.0-RC1", "1.0-cr1", "1.0-CR1", "1.0-rc-1", "1.0rc1"],
    ["1.0-alpha1", "1.0-alpha-1", "1.0alpha1", "1.0a1", "1.0.a1", "1.0-a1"],
    ["1.0-b2", "1.0-beta2", "1.0-beta-2"],
    ["1.0.0-M1", "1.0-m1", "1.0-milestone-1"],
    ["1.0-FOO", "1.0-foo"],
    ["1-1", "1.0-1", "1.0.0-1"],
    ["01.002", "1.2"],
]  # fmt: skip


@pytest.mark.parametrize("chain", ASCENDING, ids=lambda chain: f"{chain[0]}..{chain[-1]}")
def test_chains_are_strictly_increasing(chain: list[str]) -> None:
    for low, high in itertools.pairwise(chain):
        assert maven.compare(low, high) == -1, (low, high)
        assert maven.compare(high, low) == 1, (high, low)
    shuffled = chain[1::2] + chain[::2]
    assert sorted(shuffled, key=maven.sort_key) == chain


@pytest.mark.parametrize("group", EQUAL, ids=lambda group: group[0])
def test_spellings_of_one_version_are_equal(group: list[str]) -> None:
    keys = {maven.sort_key(version) for version in group}
    assert len(keys) == 1, group


def test_release_qualifier_is_the_plain_version() -> None:
    # The case a general-purpose library gets wrong.
    assert maven.compare("5.3.18.RELEASE", "5.3.18") == 0
    assert maven.compare("5.2.20.RELEASE", "5.3.0") == -1


def test_shorthands_need_a_following_digit() -> None:
    assert maven.compare("1.0a1", "1.0-alpha-1") == 0
    # Without a digit "a" is an unknown qualifier, after sp and the release.
    assert maven.compare("1.0-a", "1.0") == 1
    assert maven.compare("1.0-a", "1.0-sp") == 1


def test_keys_are_hashable_and_cached() -> None:
    key = maven.sort_key("2.17.1")
    assert hash(key) == hash(maven.sort_key("2.17.1.0"))
    assert maven.sort_key("2.17.1") is key  # the cache hands back the same tuple
    assert maven.sort_key.cache_info().maxsize is not None


@settings(derandomize=True, max_examples=400)
@given(a=maven_ish, b=maven_ish)
def test_compare_is_antisymmetric_and_matches_key_equality(a: str, b: str) -> None:
    assert maven.compare(a, b) == -maven.compare(b, a)
    assert (maven.compare(a, b) == 0) == (maven.sort_key(a) == maven.sort_key(b))


@settings(derandomize=True, max_examples=200)
@given(st.lists(maven_ish, min_size=3, max_size=12))
def test_order_is_transitive_and_sorting_is_consistent(versions: list[str]) -> None:
    ordered = sorted(versions, key=maven.sort_key)
    for low, high in itertools.pairwise(ordered):
        assert maven.compare(low, high) <= 0
    for a, b, c in itertools.permutations(versions[:6], 3):
        if maven.compare(a, b) <= 0 and maven.compare(b, c) <= 0:
            assert maven.compare(a, c) <= 0, (a, b, c)


@settings(derandomize=True, max_examples=200)
@given(version=maven_ish.filter(lambda text: text[-1:].isdigit()))
def test_null_items_after_a_number_are_trimmed(version: str) -> None:
    # ".0", "-0" and "-" after a number add only null items, which Maven drops.
    for suffix in (".0", "-0", "-", ".0.0-0"):
        assert maven.compare(version, version + suffix) == 0, suffix


def test_overlong_versions_are_refused_and_the_longest_accepted_one_works() -> None:
    longest = "1-" * (maven.MAX_LENGTH // 2)
    assert len(longest) == maven.MAX_LENGTH
    assert maven.compare(longest, longest[:-2]) == 1  # one more nested "-1"
    assert maven.compare(longest, "1-1") == 1
    with pytest.raises(InvalidVersion, match="over the 256"):
        maven.sort_key(longest + "1")
