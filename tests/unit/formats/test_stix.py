"""The hand-written STIX check against ``stix2-validator`` (the reference), differentially:
on every object the fast check decides, both give the same verdict; objects it does not
decide go to the validator. Plus TLP markings, timestamps and the marking rule."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats import stix
from clearinghouse.formats.model import Tlp

ID = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
T = "2026-04-06T20:03:48.000Z"
GREEN = [stix.TLP_MARKING[Tlp.GREEN]]


def _base(kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--{ID}",
        "created": T,
        "modified": T,
        "object_marking_refs": GREEN,
        **extra,
    }


VALID = [
    _base(
        "indicator",
        name="n",
        description="d",
        pattern="[ipv4-addr:value = '10.0.0.1']",
        pattern_type="stix",
        valid_from="2026-01-01T00:00:00Z",
        indicator_types=["malicious-activity"],
        labels=["x"],
        confidence=50,
    ),
    _base("sighting", sighting_of_ref=f"indicator--{ID}", count=3, first_seen=T, last_seen=T),
    _base(
        "vulnerability",
        name="CVE-2021-44228",
        external_references=[{"source_name": "cve", "external_id": "CVE-2021-44228"}],
    ),
    _base("report", name="r", published=T, object_refs=[f"vulnerability--{ID}"]),
    _base("note", content="c", object_refs=[f"vulnerability--{ID}"], authors=["a"]),
    _base("malware", is_family=True, name="m"),
    _base("identity", name="i", identity_class="organization"),
    _base(
        "relationship",
        relationship_type="indicates",
        source_ref=f"indicator--{ID}",
        target_ref=f"malware--{ID}",
    ),
]
DROP = object()
MUTATIONS: list[tuple[str, object]] = [
    ("created", "2026-04-06T20:03:48Z"),
    ("created", "2026-04-06T20:03:48.123456Z"),
    ("modified", "2026-04-06T20:03:47.000Z"),
    ("modified", "2026-04-06 20:03:48.000Z"),
    ("modified", "2026-02-30T20:03:48.000Z"),
    ("spec_version", DROP),
    ("id", DROP),
    ("created", DROP),
    ("modified", DROP),
    ("id", f"malware--{ID}"),
    ("id", "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f"),
    ("id", "indicator--not-a-uuid"),
    ("object_marking_refs", ["foo"]),
    ("object_marking_refs", "marking"),
    ("created_by_ref", "identity--xyz"),
    ("created_by_ref", f"identity--{ID}"),
    ("revoked", "yes"),
    ("revoked", True),
    ("labels", "x"),
    ("labels", [3]),
    ("confidence", 101),
    ("confidence", -1),
    ("confidence", "high"),
    ("name", 5),
    ("description", ["d"]),
    ("pattern", "[ipv4-addr:value = "),
    ("pattern", "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']"),
    ("pattern", DROP),
    ("pattern_type", "snort"),
    ("valid_from", "2026-01-01T00:00:00"),
    ("valid_until", "2025-01-01T00:00:00Z"),
    ("valid_until", "2027-01-01T00:00:00Z"),
    ("indicator_types", "malicious-activity"),
    ("count", 1_000_000_000),
    ("count", -1),
    ("count", "3"),
    ("last_seen", "2026-04-05T20:03:48.000Z"),
    ("sighting_of_ref", "nothing"),
    ("where_sighted_refs", [f"identity--{ID}"]),
    ("where_sighted_refs", ["x"]),
    ("object_refs", []),
    ("object_refs", ["x"]),
    ("published", "yesterday"),
    ("is_family", "yes"),
    ("is_family", False),
    ("external_references", [{"source_name": "cve", "external_id": "XCVE-1"}]),
    ("external_references", [{"source_name": "capec", "external_id": "CAPEC-66"}]),
    ("external_references", [{"source_name": "capec", "external_id": "66"}]),
    ("source_ref", "x--y"),
    ("relationship_type", 3),
    ("content", DROP),
    ("authors", ["a", 2]),
    ("start_time", T),
    ("stop_time", T),
    ("identity_class", 1),
]


def _variants() -> Iterator[dict[str, Any]]:
    for base in VALID:
        yield copy.deepcopy(base)
        for key, value in MUTATIONS:
            obj = copy.deepcopy(base)
            if value is DROP:
                obj.pop(key, None)
            else:
                obj[key] = value
            yield obj


@pytest.mark.slow
def test_the_fast_check_agrees_with_stix2_validator_on_every_object_it_decides() -> None:
    decided = disagreements = 0
    wrong = []
    for obj in _variants():
        fast = stix.check_fast(obj)
        if fast is None:
            continue
        decided += 1
        reference = stix.validator_problems(obj)
        if fast is not (reference == []):
            disagreements += 1
            wrong.append((obj, fast, reference[:1]))
    assert wrong == []
    assert disagreements == 0
    # Not a vacuous test: most variants are decided by the fast path, both ways.
    assert decided >= 250


def test_the_fast_path_rejects_and_accepts() -> None:
    verdicts = {stix.check_fast(obj) for obj in _variants()}
    assert verdicts == {True, False, None}
    for obj in VALID:
        assert stix.check_fast(obj) is True
        assert stix.check(obj).fast


def test_objects_the_fast_check_does_not_decide_go_to_the_validator() -> None:
    custom = _base("x-thing", x_colour="red")
    checked = stix.check(custom)
    assert not checked.fast
    assert checked.tlp is Tlp.GREEN
    with pytest.raises(stix.StixError):
        stix.check({**custom, "id": "x-thing--nope"})


def test_tlp_is_the_most_restrictive_marking_and_never_assumed() -> None:
    refs = [stix.TLP_MARKING[Tlp.GREEN], stix.TLP_MARKING[Tlp.AMBER_STRICT]]
    assert stix.tlp_of(refs) is Tlp.AMBER_STRICT
    assert stix.tlp_of(["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]) is Tlp.CLEAR
    assert stix.tlp_of([]) is None
    assert stix.tlp_of(None) is None
    unmarked = {k: v for k, v in VALID[0].items() if k != "object_marking_refs"}
    assert stix.check(unmarked).tlp is None
    marked = stix.with_marking(unmarked, Tlp.AMBER)
    assert stix.check(marked).tlp is Tlp.AMBER


def test_timestamps_keep_microseconds_and_refuse_impossible_dates() -> None:
    moment = stix.parse_timestamp("2026-10-01T10:00:00.123456789Z")
    assert moment.microsecond == 123456
    assert stix.taxii_time(moment) == "2026-10-01T10:00:00.123456Z"
    for bad in ("2026-10-01", "2026-02-30T00:00:00Z", "2026-10-01T10:00:00+01:00", 5):
        with pytest.raises(stix.StixError):
            stix.parse_timestamp(bad)


_KIND = st.text(alphabet="az09-_A", min_size=1, max_size=8)
_PATH = st.text(alphabet="az0_.-", min_size=1, max_size=8)
_CONTENT = st.text(alphabet="a'\\ .]", max_size=8)


@settings(max_examples=500)
@given(_KIND, _PATH, _CONTENT, st.sampled_from([" = ", " = ", "=", " != "]))
def test_every_pattern_the_shortcut_accepts_parses_with_stix2_patterns(
    kind: str, path: str, content: str, op: str
) -> None:
    pattern = f"[{kind}:{path}{op}'{content}']"
    if stix.SIMPLE_PATTERN.match(pattern):
        assert stix.parsed_pattern_problem(pattern) is None


@pytest.mark.parametrize(
    "pattern",
    [
        "[ipv4-addr:value = '10.0.0.1']",
        "[file:name = 'a\\'b']",
        "[x-thing:a.b_c = '']",
        "[domain-name:value = 'c\\\\d']",
    ],
)
def test_the_shortcut_covers_the_common_shape(pattern: str) -> None:
    assert stix.SIMPLE_PATTERN.match(pattern)
    assert stix.parsed_pattern_problem(pattern) is None


def test_patterns_outside_the_shortcut_still_go_to_the_parser() -> None:
    assert stix.pattern_problem("[ipv4-addr:value = 'a\\qb']") is not None
    assert stix.pattern_problem("[ipv4-addr:value = '1'] AND [file:name = 'x']") is None


# ---- hostile patterns: a typed refusal, never a crash ------------------------------------


def _indicator(pattern: str, **extra: Any) -> dict[str, Any]:
    return _base("indicator", pattern=pattern, pattern_type="stix", valid_from=T, **extra)


NESTED = "(" * 1000 + "[file:name = 'a']" + ")" * 1000
OR_CHAIN = " OR ".join(f"[file:name = 'a{i}']" for i in range(3000))


@pytest.mark.parametrize("extra", [{}, {"x_custom": 1}], ids=["fast path", "validator path"])
@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        (NESTED, "nested too deeply to check"),
        (OR_CHAIN, "at most 10,000 are checked"),
        ("[file:name = '" + "a" * 10_000 + "']", "at most 10,000 are checked"),
    ],
    ids=["1,000 nested parentheses", "3,000-term OR chain", "a long literal"],
)
def test_a_pattern_too_long_or_too_deep_is_a_stix_error_not_a_recursion_error(
    pattern: str, says: str, extra: dict[str, Any]
) -> None:
    with pytest.raises(stix.StixError) as refused:
        stix.check(_indicator(pattern, **extra))
    assert says in refused.value.detail
    assert refused.value.detail.startswith(f"indicator--{ID}: ")


def test_the_pattern_parser_crashing_is_a_problem_not_an_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import stix2patterns.validator

    def crash(pattern: str, stix_version: str) -> list[str]:
        raise IndexError("list index out of range")

    monkeypatch.setattr(stix2patterns.validator, "run_validator", crash)
    stix.parsed_pattern_problem.cache_clear()
    try:
        problem = stix.parsed_pattern_problem("[file:name = 'a'] AND [file:name = 'b']")
    finally:
        stix.parsed_pattern_problem.cache_clear()
    assert problem == "the pattern parser failed on it (IndexError)"


def test_the_limits_are_the_documented_ones() -> None:
    assert stix.MAX_OBJECT_BYTES == 1024 * 1024
    assert stix.MAX_DEPTH == 32
    assert stix.MAX_PATTERN_CHARS == 10_000
