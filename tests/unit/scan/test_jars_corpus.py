"""The archive scanner on the hard corpus built from the real upstream Log4j jars
(``tests/support/jar_corpus.py``), and on Debian's liblog4j2-java where installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearinghouse.scan.archives import JarLimits
from clearinghouse.scan.jars import scan_jars
from clearinghouse.scan.model import Component, Confidence, JarScan, Mitigation, ProblemKind
from tests.support.jar_corpus import CLASS_RANGES, SHADE_PREFIX, Corpus, build

pytestmark = pytest.mark.shared_data

DEBIAN_LOG4J = Path("/usr/share/java/log4j-core.jar")


@pytest.fixture(scope="module")
def corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return build(
        shared_data / "jars" / "log4j", tmp_path_factory.mktemp("jars"), bomb_bytes=16 * 1024**2
    )


@pytest.fixture(scope="module")
def scanned(corpus: Corpus) -> JarScan:
    return scan_jars([corpus.root])


def _relative(location: str, root: Path) -> str:
    return location.removeprefix(f"{root}/")


def _cores(scan: JarScan, root: Path) -> dict[str, Component]:
    return {
        _relative(c.location, root): c
        for c in scan.components
        if c.group == "org.apache.logging.log4j" and c.artifact == "log4j-core"
    }


def test_every_log4j_core_is_found_where_it_is_with_the_right_version(
    corpus: Corpus, scanned: JarScan
) -> None:
    found = _cores(scanned, corpus.root)
    assert sorted(found) == sorted(e.location for e in corpus.expected)
    for expected in corpus.expected:
        component = found[expected.location]
        if expected.evidence == "classes":
            assert not component.version_exact
            assert component.version_range == CLASS_RANGES[expected.version], expected.location
        else:
            assert component.version == expected.version, expected.location
            assert component.version_exact


def test_evidence_sets_the_confidence(corpus: Corpus, scanned: JarScan) -> None:
    found = _cores(scanned, corpus.root)
    confidence = {
        "pom": Confidence.HIGH,
        "manifest": Confidence.MEDIUM,
        "classes": Confidence.MEDIUM,
    }
    for expected in corpus.expected:
        component = found[expected.location]
        assert component.confidence is confidence[expected.evidence], expected.location
        assert component.evidence[0].kind.value.startswith(
            {"pom": "pom", "manifest": "manifest", "classes": "classes"}[expected.evidence]
        )


def test_class_inference_brackets_the_true_version_of_each_real_jar(
    corpus: Corpus, scanned: JarScan
) -> None:
    from clearinghouse.versions import compare

    found = _cores(scanned, corpus.root)
    for expected in (e for e in corpus.expected if e.evidence == "classes"):
        component = found[expected.location]
        assert component.version is not None
        assert compare("Maven", component.version, expected.version) <= 0
        upper = (component.version_range or "").partition("<")[2]
        if upper:
            assert compare("Maven", expected.version, upper) < 0


def test_shaded_copies_name_their_prefix(corpus: Corpus, scanned: JarScan) -> None:
    found = _cores(scanned, corpus.root)
    for expected in corpus.expected:
        assert (found[expected.location].shaded_prefix == SHADE_PREFIX) is expected.shaded


def test_mitigation_state_comes_from_the_classes(corpus: Corpus, scanned: JarScan) -> None:
    found = _cores(scanned, corpus.root)
    assert found["mitigated/log4j-core-2.14.1.jar"].mitigations == (Mitigation.JNDI_LOOKUP_REMOVED,)
    assert found["plain/log4j-core-2.14.1.jar"].mitigations == ()
    assert found["plain/log4j-core-2.16.0.jar"].mitigations == (
        Mitigation.JNDI_DISABLED_BY_DEFAULT,
    )
    assert found["plain/log4j-core-2.17.1.jar"].mitigations == (
        Mitigation.JNDI_DISABLED_BY_DEFAULT,
        Mitigation.JNDI_LOOKUP_GUARDED,
    )


def test_broken_archives_are_reported_and_the_scan_goes_on(
    corpus: Corpus, scanned: JarScan
) -> None:
    problems = {_relative(p.location, corpus.root): p for p in scanned.problems}
    for location, kind in corpus.broken.items():
        matching = [p for where, p in problems.items() if where.startswith(location)]
        assert matching, f"{location} not reported"
        assert matching[0].kind is ProblemKind(kind), (location, matching[0])
        assert matching[0].reason
    # the sibling of the truncated member in partial.war was still scanned
    assert "broken/partial.war > lib/log4j-core-2.17.1.jar" in _cores(scanned, corpus.root)


def test_a_tight_depth_limit_stops_nesting(corpus: Corpus) -> None:
    scan = scan_jars([corpus.root / "nested" / "app.ear"], JarLimits(max_depth=1))
    assert {p.kind for p in scan.problems} == {ProblemKind.TOO_DEEP}
    assert len(scan.problems) == 2  # web.war's two jars
    assert not [c for c in scan.components if c.artifact == "log4j-core"]


def test_the_decompression_budget_bounds_one_file(corpus: Corpus) -> None:
    limits = JarLimits(max_total_bytes=1024 * 1024)
    scan = scan_jars([corpus.root / "nested" / "app.ear"], limits)
    assert [p.kind for p in scan.problems] == [ProblemKind.TOO_LARGE]
    assert "budget" in scan.problems[0].reason


@pytest.mark.skipif(not DEBIAN_LOG4J.exists(), reason="Debian's liblog4j2-java is not installed")
def test_debian_liblog4j2_java_is_reported_at_its_real_version() -> None:
    scan = scan_jars([DEBIAN_LOG4J])
    (core,) = [c for c in scan.components if c.artifact == "log4j-core"]
    assert core.version == "2.19.0"
    assert core.confidence is Confidence.HIGH
    # the class markers agree with the pom: every one of them is present
    assert len([e for e in core.evidence if e.kind.value == "classes"]) == 5
