"""Hypothesis strategies and vocabularies shared by the versions tests."""

from __future__ import annotations

from hypothesis import strategies as st

TOKENS = [
    "0", "1", "2", "3", "10", "09", "00", "alpha", "a", "b", "m", "c", "beta", "rc", "cr",
    "milestone", "snapshot", "SNAPSHOT", "sp", "ga", "final", "Final", "release", "RELEASE",
    "foo", "x", "z", "jre", "android", "", "0000000000", "00000000000000000000",
    "12345678901", "1234567890123456789012",
]  # fmt: skip
SEPARATORS = [".", "-", "", ".", "-"]

maven_ish = st.one_of(
    st.lists(
        st.tuples(st.sampled_from(TOKENS), st.sampled_from(SEPARATORS)), min_size=1, max_size=6
    ).map(lambda parts: "".join(token + sep for token, sep in parts)),
    st.text(alphabet="0123456789.-abcmprsfilngxAB", max_size=12),
)
