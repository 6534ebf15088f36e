"""The generic best-effort ordering, RubyGems' ordering, and the padding they share."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.versions import generic, rubygems

_tokens = st.sampled_from(["0", "1", "2", "10", "a", "b", "rc", "pre", "dev", "sp", "post",
                           "final", "x", "~", "", "alpha", "dfsg"])  # fmt: skip
dotted = st.lists(st.tuples(_tokens, st.sampled_from([".", "-", "", "+", "_"])), max_size=6).map(
    lambda parts: "".join(token + sep for token, sep in parts)
)


def test_generic_chain() -> None:
    chain = ["1.0~rc1", "1.0-dev", "1.0-alpha", "1.0a1", "1.0-beta2", "1.0-rc1", "1.0",
             "1.0-dfsg", "1.0-sp1", "1.0.1", "1.1", "1:0.9"]  # fmt: skip
    for low, high in itertools.pairwise(chain):
        assert generic.compare(low, high) == -1, (low, high)
    assert generic.compare("1.0", "1") == 0
    assert generic.compare("v1.2", "1.2.0") == 0
    assert generic.compare("1.0.final", "1.0") == 0
    assert generic.compare("1.0.0-RC1", "1.0.0-rc1") == 0


def _gem_reference(a: str, b: str) -> int:
    """Gem::Version#<=> on canonical segments, written as RubyGems states it."""

    def canonical(text: str) -> list[int | str]:
        segments: list[int | str] = [
            int(s) if s.isdigit() else s
            for s in re.findall(r"[0-9]+|[a-zA-Z]+", text.strip().replace("-", ".pre."))
        ]
        cut = next((i for i, s in enumerate(segments) if isinstance(s, str)), len(segments))
        parts = [segments[:cut], segments[cut:]]
        for part in parts:
            while part and part[-1] == 0:
                part.pop()
        return parts[0] + parts[1]

    left, right = canonical(a), canonical(b)
    for index in range(max(len(left), len(right))):
        x = left[index] if index < len(left) else 0
        y = right[index] if index < len(right) else 0
        if x == y:
            continue
        if isinstance(x, str) and isinstance(y, int):
            return -1
        if isinstance(x, int) and isinstance(y, str):
            return 1
        return -1 if x < y else 1  # type: ignore[operator]
    return 0


gem_versions = st.lists(
    st.sampled_from(["0", "1", "2", "10", "a", "b", "pre", "rc", "beta", "Z"]),
    min_size=1,
    max_size=6,
).flatmap(
    lambda parts: st.lists(
        st.sampled_from([".", "-"]), min_size=len(parts), max_size=len(parts)
    ).map(lambda seps: "".join(p + s for p, s in zip(parts, seps, strict=True))[:-1])
)


@settings(derandomize=True, max_examples=250)
@given(a=gem_versions, b=gem_versions)
def test_rubygems_matches_the_reference(a: str, b: str) -> None:
    assert rubygems.compare(a, b) == _gem_reference(a, b), (a, b)


def test_rubygems_facts() -> None:
    chain = ["1.0.0.a", "1.0.0.b1", "1.0.0.pre", "1.0.0.rc1", "1.0.0", "1.0.1", "1.1"]
    for low, high in itertools.pairwise(chain):
        assert rubygems.compare(low, high) == -1, (low, high)
    assert rubygems.compare("1.0.0-rc1", "1.0.0.pre.rc1") == 0
    assert rubygems.compare("1.0.a.0", "1.a") == 0
    assert rubygems.compare("1.0", "1") == 0


@settings(derandomize=True, max_examples=150)
@given(st.lists(dotted, min_size=3, max_size=8))
def test_generic_and_gem_orders_are_total(versions: list[str]) -> None:
    for module in (generic, rubygems):
        ordered = sorted(versions, key=module.sort_key)
        for low, high in itertools.pairwise(ordered):
            assert module.compare(low, high) <= 0
            assert module.compare(high, low) >= 0
        for a, b in itertools.combinations(versions, 2):
            assert (module.compare(a, b) == 0) == (module.sort_key(a) == module.sort_key(b))


@settings(derandomize=True, max_examples=300)
@given(a=dotted, b=dotted)
def test_padding_with_zero_parts_changes_nothing(a: str, b: str) -> None:
    # The padded key compares like the sequences padded with zeros, whatever comes after.
    assert generic.compare(a, b) == generic.compare(a + ".0.0", b)
    assert generic.compare(a + "~", a) == -1
