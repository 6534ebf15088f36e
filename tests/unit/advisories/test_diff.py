"""Field-level diffs between revisions and the comparison of sources (pure)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.advisories.diff import Op, SourceRecord, compare_sources, json_diff
from clearinghouse.formats import model as m

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "id", "url"]), children, max_size=3)
    ),
    max_leaves=12,
)


@given(json_values)
def test_a_value_has_no_diff_with_itself(value: Any) -> None:
    assert json_diff(value, value) == []


@given(json_values, json_values)
def test_a_diff_is_empty_exactly_when_the_values_are_equal(a: Any, b: Any) -> None:
    assert (json_diff(a, b) == []) == (a == b)


@given(json_values, json_values)
def test_swapping_sides_swaps_added_and_removed(a: Any, b: Any) -> None:
    forward = {(c.path, c.op) for c in json_diff(a, b)}
    backward = {(c.path, c.op) for c in json_diff(b, a)}
    flip = {Op.ADDED: Op.REMOVED, Op.REMOVED: Op.ADDED, Op.CHANGED: Op.CHANGED}
    assert {(path, flip[op]) for path, op in forward} == backward


def test_lists_match_by_identity_not_position() -> None:
    before = {"references": [{"url": "https://a"}, {"url": "https://b"}]}
    after = {"references": [{"url": "https://new"}, {"url": "https://a"}, {"url": "https://b"}]}
    (change,) = json_diff(before, after)
    assert (change.path, change.op, change.after) == (
        "references[https://new]",
        Op.ADDED,
        {"url": "https://new"},
    )


def _range(*events: tuple[str, str]) -> m.VersionRange:
    return m.VersionRange(
        m.RangeType.ECOSYSTEM, tuple(m.RangeEvent(m.EventKind(k), v) for k, v in events)
    )


def _record(
    label: str, package: m.Package, *ranges: m.VersionRange, versions: tuple[str, ...] = ()
) -> SourceRecord:
    vuln = m.Vulnerability(label, affected=(m.Affected(package, ranges, versions),))
    return SourceRecord(label, label, "test", vuln)


LOG4J = m.Package("Maven", "org.apache.logging.log4j:log4j-core")


def test_sources_disagreeing_on_log4j() -> None:
    ghsa = _record(
        "ghsa",
        LOG4J,
        _range(("introduced", "0"), ("fixed", "2.3.1")),
        _range(("introduced", "2.4"), ("fixed", "2.12.2")),
        _range(("introduced", "2.13.0"), ("fixed", "2.15.0")),
    )
    apache = _record(
        "apache",
        LOG4J,
        _range(("introduced", "2.0-beta9"), ("fixed", "2.3.1")),
        _range(("introduced", "2.4"), ("fixed", "2.12.2")),
        _range(("introduced", "2.12.3"), ("fixed", "2.15.0")),
    )
    (package,) = compare_sources([ghsa, apache])
    assert not package.agree
    found = [
        (d.versions, d.affected_according_to, d.not_affected_according_to)
        for d in package.disagreements
    ]
    assert found == [
        ("(-inf, 2.0-beta9)", ("ghsa",), ("apache",)),
        ("[2.12.3, 2.13.0)", ("apache",), ("ghsa",)),
    ]
    assert [s.intervals for s in package.sources][1] == (
        "[2.0-beta9, 2.3.1)",
        "[2.4, 2.12.2)",
        "[2.12.3, 2.15.0)",
    )


def test_fixed_and_last_affected_differ_only_between_releases() -> None:
    """ "fixed 2.10.1" and "last_affected 2.10.0" agree on both releases and differ only
    on what lies strictly between them (2.10.1rc1, 2.10.0.post1...); PEP 440 also makes
    the spellings 2.10 and 2.10.0 one version, and Jinja2 one project with jinja2."""
    one = _record(
        "one", m.Package("PyPI", "Jinja2"), _range(("introduced", "0"), ("fixed", "2.10.1"))
    )
    two = _record(
        "two", m.Package("PyPI", "jinja2"), _range(("introduced", "0"), ("last_affected", "2.10"))
    )
    (package,) = compare_sources([one, two])
    assert package.missing_from == ()
    assert [(d.versions, d.affected_according_to) for d in package.disagreements] == [
        ("(2.10, 2.10.1)", ("one",))
    ]


def test_explicit_versions_and_missing_packages() -> None:
    pkg = m.Package("npm", "left-pad")
    listed = _record("listed", pkg, versions=("1.0.0", "1.1.0"))
    ranged = _record("ranged", pkg, _range(("introduced", "1.0.0"), ("fixed", "1.1.0")))
    other = _record("other", m.Package("npm", "right-pad"), _range(("introduced", "0")))
    left, right = compare_sources([listed, ranged, other])
    # A list names versions, not what lies between them.
    assert [(d.versions, d.affected_according_to) for d in left.disagreements] == [
        ("(1.0.0, 1.1.0)", ("ranged",)),
        ("1.1.0", ("listed",)),
    ]
    assert left.missing_from == ("other",)
    assert right.missing_from == ("listed", "ranged")
