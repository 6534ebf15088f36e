"""PyPI ordering: exactly packaging's for PEP 440, legacy strings before all of them."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from clearinghouse.versions import pypi

_number = st.integers(min_value=0, max_value=12).map(str) | st.sampled_from(["00", "010", "2021"])
pep440 = st.builds(
    lambda epoch, release, pre, post, dev, local: (
        epoch + ".".join(release) + pre + post + dev + local
    ),
    st.sampled_from(["", "", "", "1!", "2!"]),
    st.lists(_number, min_size=1, max_size=4),
    st.sampled_from(["", "", "a", "b", "rc", "c", "alpha", "beta", "pre", "preview"]).flatmap(
        lambda tag: st.just("") if not tag else _number.map(lambda n: tag + n)
    ),
    st.sampled_from(["", "", ".post", "-", "post", ".rev", "-r"]).flatmap(
        lambda tag: st.just("") if not tag else _number.map(lambda n: tag + n)
    ),
    st.sampled_from(["", "", ".dev", "dev"]).flatmap(
        lambda tag: st.just("") if not tag else _number.map(lambda n: tag + n)
    ),
    st.sampled_from(["", "", "+ubuntu", "+1", "+abc.2", "+1.abc", "+local.7.x"]),
)


def _sign(a: Version, b: Version) -> int:
    return (a > b) - (a < b)


@settings(derandomize=True, max_examples=300)
@given(a=pep440, b=pep440)
def test_pep440_order_is_packagings(a: str, b: str) -> None:
    assert pypi.compare(a, b) == _sign(Version(a), Version(b)), (a, b)


@settings(derandomize=True, max_examples=100)
@given(st.lists(pep440, min_size=2, max_size=10))
def test_sorting_by_key_equals_sorting_versions(versions: list[str]) -> None:
    by_key = [Version(v) for v in sorted(versions, key=pypi.sort_key)]
    assert by_key == sorted(by_key)


def test_known_pep440_facts() -> None:
    chain = ["1.0.dev1", "1.0a1.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0+local",
             "1.0.post1.dev1", "1.0.post1", "1.0.1", "1!0.1"]  # fmt: skip
    for low, high in itertools.pairwise(chain):
        assert pypi.compare(low, high) == -1, (low, high)
    assert pypi.compare("1.0", "1.0.0") == 0
    assert pypi.compare("1.0-1", "1.0.post1") == 0


def test_legacy_versions_sort_before_every_pep440_version() -> None:
    for legacy in ["0.7.10p1", "2.0.0-final", "trunk", "2019-09-12", "0.3m1"]:
        assert not pypi.is_pep440(legacy)
        assert pypi.compare(legacy, "0.0.0.dev0") == -1
        assert pypi.compare("0.0.0.dev0", legacy) == 1


def test_legacy_versions_compare_by_their_parts() -> None:
    chain = ["0.3m1", "0.3m2", "0.3m5", "0.7.10p1", "0.7.11p1", "0.7.11p2", "0.8.1p1"]
    for low, high in itertools.pairwise(chain):
        assert pypi.compare(low, high) == -1, (low, high)
    # Pre-release words sort before the implicit "final"; "-" does not count before them.
    assert pypi.compare("0.3.2d.dev", "0.3.2d") == -1
    assert pypi.compare("4.11-final", "4.11-final") == 0
    assert pypi.compare("1.0.0-abc", "1.0-abc") == 0  # trailing zeros of a series drop


@settings(derandomize=True, max_examples=300)
@given(a=st.text(max_size=10) | pep440, b=st.text(max_size=10) | pep440)
def test_any_strings_form_a_total_order(a: str, b: str) -> None:
    assert pypi.compare(a, b) == -pypi.compare(b, a)
    assert (pypi.compare(a, b) == 0) == (pypi.sort_key(a) == pypi.sort_key(b))
