"""Differential test: our Maven ordering against Maven's own ComparableVersion (3.8.7).

Real versions (the GHSA Maven records, the Maven components of the shared SBOMs) must
agree on every pair. Odd generated strings may disagree only where Maven itself is
cyclic: each such pair must come with a witness version w (a prefix of one of the two)
for which Maven answers a < b < w < a (or the reverse), which no total order can match.
"""

from __future__ import annotations

import json
import random
import re
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings

from clearinghouse.versions import maven
from tests.unit.versions.oracle import MavenOracle, tricky_maven_versions
from tests.unit.versions.strategies import SEPARATORS, TOKENS, maven_ish


def _prefixes(text: str) -> set[str]:
    return {text[:end] for end in range(len(text) + 1)}


def _witness(cmp: Callable[[str, str], int], a: str, b: str, maven_ab: int) -> str | None:
    """A version w with Maven's a-b, b-w and w-a answers all equal: a cycle through w."""
    if maven_ab == 0:
        return None
    for w in sorted(_prefixes(a) | _prefixes(b)):
        if cmp(b, w) == maven_ab and cmp(w, a) == maven_ab:
            return w
    return None


def _disagreements(
    oracle: MavenOracle, pairs: Sequence[tuple[str, str]]
) -> list[tuple[str, str, int, int]]:
    answers = oracle.batch(pairs)
    return [
        (a, b, theirs, maven.compare(a, b))
        for (a, b), theirs in zip(pairs, answers, strict=True)
        if theirs != maven.compare(a, b)
    ]


def _unwitnessed(
    oracle: MavenOracle, disagreements: Sequence[tuple[str, str, int, int]]
) -> list[tuple[str, str, int, int]]:
    """The disagreements for which no cycle witness exists (must be empty)."""
    queries = sorted(
        {
            pair
            for a, b, _theirs, _ours in disagreements
            for w in _prefixes(a) | _prefixes(b)
            for pair in ((b, w), (w, a))
        }
    )
    answers = dict(zip(queries, oracle.batch(queries), strict=True))
    return [
        row
        for row in disagreements
        if _witness(lambda x, y: answers[(x, y)], row[0], row[1], row[2]) is None
    ]


def _real_maven_versions(shared: Path) -> set[str]:
    versions: set[str] = set()
    for path in sorted((shared / "osv" / "ghsa").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        for affected in record.get("affected", []):
            if affected["package"]["ecosystem"] != "Maven":
                continue
            versions.update(affected.get("versions", []))
            for version_range in affected.get("ranges", []):
                for event in version_range["events"]:
                    versions.update(value for value in event.values() if value != "0")
    purl = re.compile(r'pkg:maven/[^"@\s]+@([^"?#\s]+)')
    for path in sorted((shared / "sbom").rglob("*.json")):
        for match in purl.finditer(path.read_text(encoding="utf-8", errors="replace")):
            versions.add(urllib.parse.unquote(match.group(1)))
    return versions


@pytest.mark.shared_data
def test_every_pair_of_real_maven_versions_agrees_with_maven(
    maven_oracle: MavenOracle, shared_data: Path
) -> None:
    versions = sorted(_real_maven_versions(shared_data))
    assert len(versions) > 100, "expected the GHSA and SBOM Maven versions"
    pairs = [(a, b) for a in versions for b in versions]
    disagreements = _disagreements(maven_oracle, pairs)
    print(f"real Maven versions: {len(versions)}, pairs: {len(pairs)}, agree: "
          f"{len(pairs) - len(disagreements)}")  # fmt: skip
    assert disagreements == []


def test_every_pair_of_tricky_versions_agrees_with_maven_up_to_its_cycles(
    maven_oracle: MavenOracle,
) -> None:
    versions = tricky_maven_versions()
    pairs = [(a, b) for a in versions for b in versions]
    disagreements = _disagreements(maven_oracle, pairs)
    print(f"tricky: {len(pairs)} pairs, {len(disagreements)} on Maven cycles")
    assert not [row for row in disagreements if 0 in row[2:]], "equality must agree exactly"
    assert _unwitnessed(maven_oracle, disagreements) == []
    # The shipped list is mostly ordinary versions: cycles stay the exception.
    assert len(disagreements) <= len(pairs) // 100


def test_random_maven_ish_versions_agree_with_maven_up_to_its_cycles(
    maven_oracle: MavenOracle,
) -> None:
    rng = random.Random(20211210)
    versions = sorted(
        {
            "".join(rng.choice(TOKENS) + rng.choice(SEPARATORS) for _ in range(rng.randint(1, 6)))
            for _ in range(1500)
        }
    )
    pairs = [(rng.choice(versions), rng.choice(versions)) for _ in range(20000)]
    disagreements = _disagreements(maven_oracle, pairs)
    print(f"random: {len(pairs)} pairs, {len(disagreements)} on Maven cycles")
    assert not [row for row in disagreements if 0 in row[2:]], "equality must agree exactly"
    assert _unwitnessed(maven_oracle, disagreements) == []


@settings(derandomize=True, max_examples=300, deadline=None)
@given(a=maven_ish, b=maven_ish)
def test_hypothesis_versions_agree_with_maven_up_to_its_cycles(
    maven_oracle: MavenOracle, a: str, b: str
) -> None:
    theirs = maven_oracle.compare(a, b)
    ours = maven.compare(a, b)
    if ours != theirs:
        witness = _witness(maven_oracle.compare, a, b, theirs)
        assert witness is not None, f"Maven says {a!r} vs {b!r} = {theirs}, we say {ours}"


def test_the_documented_cycles_are_real(maven_oracle: MavenOracle) -> None:
    # What docs/versions.md and maven.py claim about Maven's own non-transitivity.
    for low, middle, high in [("1.sp.1", "1-alpha", "1"), ("1.0.alpha.1", "1", "1-1")]:
        assert maven_oracle.batch([(low, middle), (middle, high), (high, low)]) == [-1, -1, -1]
