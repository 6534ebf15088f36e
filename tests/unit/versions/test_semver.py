"""SemVer 2.0.0 precedence and NuGet's variant."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.errors import InvalidInput
from clearinghouse.versions import InvalidVersion, semver

_num = st.integers(min_value=0, max_value=30).map(str)
_identifier = st.one_of(
    _num, st.sampled_from(["alpha", "beta", "rc", "x-y", "0a", "a0", "Z", "-", "11b", "beta2"])
)
semver_strings = st.builds(
    lambda core, pre, build: ".".join(core) + pre + build,
    st.lists(_num, min_size=3, max_size=3),
    st.one_of(
        st.just(""), st.lists(_identifier, min_size=1, max_size=4).map(lambda i: "-" + ".".join(i))
    ),
    st.sampled_from(["", "", "+build.1", "+001", "+sha.5114f85"]),
)


def _reference(a: str, b: str) -> int:
    """Section 11 of the SemVer spec, written out step by step."""

    def split(text: str) -> tuple[list[int], list[str] | None]:
        text = text.split("+", 1)[0]
        core, _, pre = text.partition("-")
        return [int(n) for n in core.split(".")], (pre.split(".") if pre else None)

    (core_a, pre_a), (core_b, pre_b) = split(a), split(b)
    if core_a != core_b:
        return -1 if core_a < core_b else 1
    if pre_a is None or pre_b is None:
        return (pre_a is None) - (pre_b is None)
    for x, y in zip(pre_a, pre_b, strict=False):
        if x == y:
            continue
        if x.isdigit() and y.isdigit():
            return -1 if int(x) < int(y) else 1
        if x.isdigit() != y.isdigit():
            return -1 if x.isdigit() else 1
        return -1 if x < y else 1
    return (len(pre_a) > len(pre_b)) - (len(pre_a) < len(pre_b))


@settings(derandomize=True, max_examples=250)
@given(a=semver_strings, b=semver_strings)
def test_precedence_matches_the_spec(a: str, b: str) -> None:
    assert semver.compare(a, b) == _reference(a, b), (a, b)


def test_spec_example_chain() -> None:
    chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1"]  # fmt: skip
    for low, high in itertools.pairwise(chain):
        assert semver.compare(low, high) == -1, (low, high)


def test_build_metadata_is_ignored_and_a_leading_v_is_tolerated() -> None:
    assert semver.compare("1.0.0+a", "1.0.0+b") == 0
    assert semver.compare("v1.2.3", "1.2.3") == 0
    assert semver.compare("v0.0.0-20210101000000-abcdef123456", "0.0.0") == -1  # Go pseudo
    assert semver.compare("2.0.0+incompatible", "2.0.0") == 0


@pytest.mark.parametrize(
    "text",
    ["1.2", "1.2.3.4", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "V1.2.3", " 1.2.3", "", "x"],
)
def test_non_semver_is_a_typed_error(text: str) -> None:
    with pytest.raises(InvalidVersion) as caught:
        semver.sort_key(text)
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.code == "invalid-version"
    assert repr(text) in caught.value.detail


def test_nuget_versions() -> None:
    chain = ["1.0.0-alpha", "1.0.0-Beta", "1.0.0-beta.2", "1.0.0-RC.1", "1.0.0", "1.0.0.1", "1.0.1"]
    for low, high in itertools.pairwise(chain):
        key_low, key_high = semver.nuget_sort_key(low), semver.nuget_sort_key(high)
        assert key_low < key_high, (low, high)
    assert semver.nuget_sort_key("1.0") == semver.nuget_sort_key("1.0.0.0")
    assert semver.nuget_sort_key("1.0.0-RC") == semver.nuget_sort_key("1.0.0-rc")
    assert semver.nuget_sort_key("01.2") == semver.nuget_sort_key("1.2")
    with pytest.raises(InvalidVersion):
        semver.nuget_sort_key("1.0.0.0.0")
