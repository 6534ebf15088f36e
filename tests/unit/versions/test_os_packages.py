"""Debian (dpkg), RPM and Alpine (apk) orderings.

dpkg and rpm are checked differentially against the real tools: ``dpkg --compare-versions``
and ``rpm.labelCompare`` from Debian's ``python3-rpm``, run by the system ``python3`` in
one subprocess (the venv cannot import it). Each test skips, with the reason, where its
tool is missing. Debian ships no apk, so apk is checked against vectors written from its
rules (marked as such below) and by the total-order properties.
"""

from __future__ import annotations

import functools
import itertools
import random
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.versions import InvalidVersion, apk, compare, dpkg, rpm

SYSTEM_PYTHON = Path("/usr/bin/python3")
_RPM_ORACLE = """
import sys
import rpm
for line in sys.stdin:
    e1, v1, r1, e2, v2, r2 = line.rstrip("\\n").split("\\t")
    try:
        print(rpm.labelCompare((e1, v1, r1), (e2, v2, r2)))
    except ValueError:
        print("invalid")
"""

# --- generators -----------------------------------------------------------------------------

_DEB_PARTS = ["0", "1", "2", "9", "10", "01", "a", "b", "z", "A", "rc", "~", "~~", "+", ".",
              "-", "dfsg", "ubuntu", "deb", "~rc1", "+b1", "1.2", "0.0"]  # fmt: skip
_RPM_PARTS = ["0", "1", "2", "10", "007", "a", "b", "Z", "rc", "~", "^", ".", "_", "+",
              "el8", "el8_4", "git", "~rc1", "^post1", "1.2", ".."]  # fmt: skip
_APK_CHAINS = [
    # version, then what may follow it in apk's grammar
    ["1", "2", "10", "0", "01", "001", "20230101"],
    [".0", ".1", ".2", ".01", ".10", ".00"],
    ["", "", "a", "b", "z"],
    ["", "", "_alpha", "_beta", "_pre", "_rc", "_p", "_git", "_cvs", "_svn", "_hg"],
    ["", "1", "2", "10"],
    ["", "", "-r0", "-r1", "-r2", "-r10"],
]


def _joined(parts: Sequence[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(parts), min_size=1, max_size=6).map("".join)


deb_versions = st.tuples(
    st.sampled_from(["", "", "", "1:", "2:"]), st.sampled_from(["0", "1", "2", "10"]),
    _joined(_DEB_PARTS),
).map(lambda t: f"{t[0]}{t[1]}{t[2]}".rstrip("-") or "0")  # fmt: skip
rpm_strings = _joined(_RPM_PARTS).map(lambda s: "1" + s.replace("-", "."))
rpm_versions = st.tuples(
    st.sampled_from(["", "0:", "1:"]), rpm_strings, st.sampled_from(["", "-1", "-2.el8"])
).map("".join)


def _apk_version(rng: random.Random) -> str:
    head = rng.choice(_APK_CHAINS[0]) if rng.random() < 0.9 else "1"
    head = head.lstrip("0") or "0"
    dotted = "".join(rng.choice(_APK_CHAINS[1]) for _ in range(rng.randint(0, 3)))
    letter = rng.choice(_APK_CHAINS[2])
    suffixes = ""
    for _ in range(rng.randint(0, 2)):
        suffix = rng.choice(_APK_CHAINS[3])
        if suffix:
            suffixes += suffix + rng.choice(_APK_CHAINS[4])
    return head + dotted + letter + suffixes + rng.choice(_APK_CHAINS[5])


apk_versions = st.randoms(use_true_random=False).map(_apk_version)


# --- oracles --------------------------------------------------------------------------------


def _dpkg_compare(a: str, b: str) -> int | None:
    """dpkg's answer, or None when dpkg refuses or warns about either version."""
    lower = subprocess.run(
        ["dpkg", "--compare-versions", a, "lt", b], capture_output=True, timeout=30
    )
    if lower.stderr:
        return None
    if lower.returncode == 0:
        return -1
    equal = subprocess.run(
        ["dpkg", "--compare-versions", a, "eq", b], capture_output=True, timeout=30
    )
    return 0 if equal.returncode == 0 else 1


@pytest.fixture(scope="session")
def dpkg_oracle() -> Callable[[str, str], int | None]:
    if shutil.which("dpkg") is None:
        pytest.skip("dpkg not installed: the Debian differential test needs it")
    return _dpkg_compare


def _rpm_answers(pairs: Sequence[tuple[str, str]]) -> list[int | None]:
    rows = []
    for a, b in pairs:
        rows.append("\t".join((*_evr(a), *_evr(b))))
    done = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", _RPM_ORACLE],
        input="\n".join(rows) + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return [None if line == "invalid" else int(line) for line in done.stdout.split()]


def _evr(version: str) -> tuple[str, str, str]:
    epoch, colon, rest = version.partition(":")
    if not colon:
        epoch, rest = "0", version
    head, dash, release = rest.rpartition("-")
    return (epoch, head, release) if dash else (epoch, rest, "")


@pytest.fixture(scope="session")
def rpm_oracle() -> Callable[[Sequence[tuple[str, str]]], list[int | None]]:
    if not SYSTEM_PYTHON.is_file():
        pytest.skip("no system python3: the RPM differential test runs python3-rpm there")
    probe = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import rpm"], capture_output=True, timeout=60
    )
    if probe.returncode != 0:
        pytest.skip("python3-rpm is not installed (apt-get install python3-rpm)")
    return _rpm_answers


# --- dpkg -----------------------------------------------------------------------------------


def test_dpkg_documented_facts() -> None:
    chain = ["1.0~~", "1.0~~a", "1.0~", "1.0~rc1", "1.0", "1.0-0.1", "1.0-1", "1.0a",
             "1.0+b1", "1.0.0", "1.0.1", "1.1", "1:0.1"]  # fmt: skip
    for low, high in itertools.pairwise(chain):
        assert dpkg.compare(low, high) == -1, (low, high)
    assert dpkg.compare("1.0", "1.0-0") == 0
    assert dpkg.compare("0:1.0", "1.0") == 0
    assert dpkg.compare("1.01", "1.1") == 0
    assert compare("Debian:12", "2.17.1-1~deb12u1", "2.17.1-1") == -1


@pytest.mark.parametrize("bad", ["", "a b", "x:1.0", "1:", "1:-1"])
def test_dpkg_refuses_what_dpkg_refuses(bad: str) -> None:
    with pytest.raises(InvalidVersion):
        dpkg.sort_key(bad)


def test_dpkg_agrees_with_dpkg_on_fixed_seed_pairs(
    dpkg_oracle: Callable[[str, str], int | None],
) -> None:
    rng = random.Random(20211210)
    checked = 0
    for _ in range(600):
        a = str(rng.choice([0, 1, 2])) + "".join(rng.choice(_DEB_PARTS) for _ in range(4))
        b = str(rng.choice([0, 1, 2])) + "".join(rng.choice(_DEB_PARTS) for _ in range(4))
        if rng.random() < 0.2:
            a = "1:" + a
        theirs = dpkg_oracle(a, b)
        if theirs is None:
            continue
        assert dpkg.compare(a, b) == theirs, (a, b)
        checked += 1
    assert checked >= 300  # most generated pairs are versions dpkg accepts silently


@settings(derandomize=True, max_examples=150, deadline=None)
@given(a=deb_versions, b=deb_versions)
def test_dpkg_agrees_with_dpkg_on_generated_versions(
    dpkg_oracle: Callable[[str, str], int | None], a: str, b: str
) -> None:
    theirs = dpkg_oracle(a, b)
    if theirs is not None:
        assert dpkg.compare(a, b) == theirs


# --- rpm ------------------------------------------------------------------------------------


def test_rpm_documented_facts() -> None:
    chain = ["1.0~rc1", "1.0", "1.0^git1", "1.0a", "1.0.1", "1.1", "1:0.1"]
    for low, high in itertools.pairwise(chain):
        assert rpm.compare(low, high) == -1, (low, high)
    assert rpm.compare("1.0", "1_0") == 0
    assert rpm.compare("1.0", "1.0-1") == -1  # no release sorts first, as labelCompare does
    assert rpm.compare("2.14.1-1.el8", "2.14.1-1.el8_5") == -1
    assert compare("Red Hat", "0:2.14.1-1.el8", "2.14.1-1.el8") == 0


def test_rpm_agrees_with_label_compare(
    rpm_oracle: Callable[[Sequence[tuple[str, str]]], list[int | None]],
) -> None:
    rng = random.Random(20211213)
    pairs = []
    for _ in range(5000):
        versions = []
        for _side in range(2):
            version = "1" + "".join(rng.choice(_RPM_PARTS) for _ in range(rng.randint(0, 5)))
            release = "".join(rng.choice(_RPM_PARTS) for _ in range(rng.randint(0, 3)))
            epoch = rng.choice(["", "", "0:", "1:"])
            versions.append(f"{epoch}{version}-{release}" if release else epoch + version)
        pairs.append((versions[0], versions[1]))
    answers = rpm_oracle(pairs)
    checked = 0
    for (a, b), theirs in zip(pairs, answers, strict=True):
        if theirs is not None:
            assert rpm.compare(a, b) == theirs, (a, b)
            checked += 1
    assert checked >= 4000


@settings(derandomize=True, max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(rpm_versions, rpm_versions), min_size=1, max_size=25))
def test_rpm_agrees_with_label_compare_on_generated_versions(
    rpm_oracle: Callable[[Sequence[tuple[str, str]]], list[int | None]],
    pairs: list[tuple[str, str]],
) -> None:
    for (a, b), theirs in zip(pairs, rpm_oracle(pairs), strict=True):
        if theirs is not None:
            assert rpm.compare(a, b) == theirs, (a, b)


# --- apk ------------------------------------------------------------------------------------

# Test vectors written from apk-tools' documented rules (no apk binary is packaged for
# Debian): each line is "a OP b" as apk's comparison answers it.
APK_VECTORS_FROM_THE_RULES = """
1.0 < 1.1
1.9 < 1.10
1.0.1 > 1.0
1.0-r1 > 1.0
1.0-r1 < 1.0-r2
1.0-r10 > 1.0-r9
1.1_alpha1 < 1.1
1.1_alpha1 < 1.1_beta1
1.1_beta1 < 1.1_pre1
1.1_pre1 < 1.1_rc1
1.1_rc1 < 1.1
1.1_rc1 < 1.1_rc2
1.1_p1 > 1.1
1.1_p1 > 1.1-r5
1.1_cvs < 1.1_svn
1.1_svn < 1.1_git
1.1_git < 1.1_hg
1.1_hg < 1.1_p
1.1a > 1.1
1.1a < 1.1b
1.1a > 1.1_p1
1.1a < 1.1.1
1.01 < 1.1
1.001 < 1.01
1.0 = 1.0
2.3.0b-r1 < 2.3.0b-r2
3.1_p16 < 3.1_p17
4.5_p1-r1 > 4.5_p1
1.2.12.1 < 1.2.13
20050718-r1 < 20050718-r2
0.1_pre20060810 < 0.1_pre20060817
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
2.14.1-r0 < 2.15.0-r0
"""


def _apk_vectors() -> list[tuple[str, int, str]]:
    found = []
    for line in APK_VECTORS_FROM_THE_RULES.strip().splitlines():
        a, op, b = line.split()
        found.append((a, {"<": -1, "=": 0, ">": 1}[op], b))
    return found


@pytest.mark.parametrize(("a", "expected", "b"), _apk_vectors())
def test_apk_vectors_written_from_the_rules(a: str, expected: int, b: str) -> None:
    assert apk.compare(a, b) == expected
    assert apk.compare(b, a) == -expected


def test_apk_keeps_the_leading_zero_rule_of_apk_tools() -> None:
    # apk reads the zeros that open a dotted number as a token of their own, so a
    # version ending in ".0" sorts before the same version with a suffix: apk-tools 2.x
    # answers this way, and matching must answer as the distribution's tool does.
    assert apk.compare("1.0", "1.0_rc1") == -1
    assert apk.compare("1.1", "1.1_rc1") == 1


@pytest.mark.parametrize(
    "bad", ["1.0-1", "1.0_foo", "1.0a_alpha1b", "1.0-rc", "1.0-r1.2", "1.0_rc1a"]
)
def test_apk_refuses_what_apk_reports_invalid(bad: str) -> None:
    with pytest.raises(InvalidVersion):
        apk.sort_key(bad)


def test_alpine_ecosystems_use_apk() -> None:
    assert compare("Alpine:v3.18", "2.17.1-r0", "2.17.1-r1") == -1
    assert compare("Wolfi", "1.0_rc1", "1.0.1") == -1


# --- total order ----------------------------------------------------------------------------

_ORDERINGS: dict[str, tuple[Callable[[str], object], st.SearchStrategy[str]]] = {
    "dpkg": (dpkg.sort_key, deb_versions),
    "rpm": (rpm.sort_key, rpm_versions),
    "apk": (apk.sort_key, apk_versions),
}


@pytest.mark.parametrize("name", sorted(_ORDERINGS))
def test_each_ordering_is_a_total_order(name: str) -> None:
    key, versions = _ORDERINGS[name]

    @settings(derandomize=True, max_examples=300)
    @given(a=versions, b=versions, c=versions)
    def check(a: str, b: str, c: str) -> None:
        ka, kb, kc = key(a), key(b), key(c)
        assert (ka < kb) + (ka == kb) + (ka > kb) == 1  # type: ignore[operator]
        if ka <= kb and kb <= kc:  # type: ignore[operator]
            assert ka <= kc  # type: ignore[operator]
        assert hash(ka) == hash(key(a))

    check()


def test_apk_generated_versions_are_valid() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        apk.sort_key(_apk_version(rng))


@functools.cache
def _sorted_by(name: str) -> tuple[str, ...]:
    key, _ = _ORDERINGS[name]
    rng = random.Random(3)
    if name == "apk":
        sample = {_apk_version(rng) for _ in range(300)}
    else:
        sample = {
            f"{rng.randint(0, 3)}.{rng.randint(0, 12)}-{rng.randint(0, 3)}" for _ in range(80)
        }
    return tuple(sorted(sample, key=key))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(_ORDERINGS))
def test_sorting_agrees_with_pairwise_compare(name: str) -> None:
    ordered = _sorted_by(name)
    module = {"dpkg": dpkg, "rpm": rpm, "apk": apk}[name]
    for low, high in itertools.pairwise(ordered):
        assert module.compare(low, high) <= 0
