from __future__ import annotations

import itertools
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.cases.rules import duplicates as d
from clearinghouse.cases.rules.duplicates import InvalidSignature, Reason, Signature

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "cases" / "duplicate_reports.json"


def _fixture() -> list[dict[str, Any]]:
    reports: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["reports"]
    return reports


def _sig(report: dict[str, Any]) -> Signature:
    return d.signature(report["product"], report["text"], cves=report["cves"], urls=report["urls"])


def test_fixture_pairs_are_flagged_exactly_as_expected() -> None:
    reports = _fixture()
    sigs = {r["id"]: _sig(r) for r in reports}
    expected = {(r["id"], e) for r in reports for e in r["expect"]}
    expected |= {(b, a) for a, b in expected}  # being a duplicate is symmetric
    for a, b in itertools.permutations(sigs, 2):
        score, _evidence = d.compare(sigs[a], sigs[b])
        flagged = score >= d.SCORE_THRESHOLD
        assert flagged == ((a, b) in expected), (a, b, score)


def test_resent_report_is_similar_text_about_a_similar_product() -> None:
    reports = {r["id"]: _sig(r) for r in _fixture()}
    score, evidence = d.compare(reports["log4shell-resent"], reports["log4shell-first"])
    reasons = [e.reason for e in evidence]
    assert Reason.SIMILAR_TEXT in reasons
    assert Reason.SIMILAR_PRODUCT in reasons  # "log4j2" is contained in "Apache Log4j 2"
    assert score >= d.SCORE_THRESHOLD


def test_shared_url_and_cve_reasons_name_what_is_shared() -> None:
    reports = {r["id"]: _sig(r) for r in _fixture()}
    _score, evidence = d.compare(reports["log4shell-poc-link"], reports["log4shell-blog"])
    assert d.Evidence(Reason.SHARED_URL, "https://research.example.net/posts/logging-rce") in (
        evidence
    )
    score, evidence = d.compare(reports["log4shell-cve"], reports["log4shell-cve-field"])
    assert score == 1.0
    assert evidence[0] == d.Evidence(Reason.SAME_CVE, "CVE-2021-44228")


def test_same_product_alone_is_not_a_duplicate() -> None:
    reports = {r["id"]: _sig(r) for r in _fixture()}
    score, evidence = d.compare(reports["log4j-jdbc-appender"], reports["log4shell-first"])
    assert [e.reason for e in evidence] == [Reason.SAME_PRODUCT]
    assert score == pytest.approx(d.W_SAME_PRODUCT)


def test_find_duplicates_orders_by_score_and_limits() -> None:
    reports = _fixture()
    sigs = [(r["id"], _sig(r)) for r in reports]
    new = d.signature(
        "Apache Log4j 2",
        reports[0]["text"] + " Also CVE-2021-44228.",
    )
    found = d.find_duplicates(new, sigs)
    ids = [c.key for c in found]
    # Three score 1.0 (two share the CVE, one is the same text about the same product);
    # ties keep the order of the input, so the oldest report comes first.
    assert ids[:3] == ["log4shell-first", "log4shell-cve", "log4shell-cve-field"]
    assert [c.score for c in found[:3]] == [1.0, 1.0, 1.0]
    assert found[1].reasons[0] is Reason.SAME_CVE
    assert found[0].reasons == (Reason.SIMILAR_TEXT, Reason.SAME_PRODUCT)
    assert all(c.score >= d.SCORE_THRESHOLD for c in found)
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    assert len(d.find_duplicates(new, sigs, limit=1)) == 1
    with pytest.raises(ValueError, match="threshold"):
        d.find_duplicates(new, sigs, threshold=0)


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("Apache Log4j 2", "apache log4j 2"),
        ("  APACHE   log4j-2 ", "apache log4j 2"),
        ("Ｌｏｇ４ｊ", "log4j"),  # full-width forms
        ("Acme Software, Inc.", "acme"),
        ("spring_framework", "spring framework"),
        ("", ""),
    ],
)
def test_normalise_product(name: str, normal: str) -> None:
    assert d.normalise_product(name) == normal


def test_product_match_ignores_spaces_and_detects_containment() -> None:
    log4j2 = d.signature("log4j2", "")
    spaced = d.signature("Log4j 2", "")
    apache = d.signature("Apache Log4j", "")
    log4j = d.signature("Log4j", "")
    assert [e.reason for e in d.compare(log4j2, spaced)[1]] == [Reason.SAME_PRODUCT]
    assert [e.reason for e in d.compare(apache, log4j)[1]] == [Reason.SIMILAR_PRODUCT]
    assert d.compare(d.signature("", ""), d.signature("", ""))[1] == ()


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTP://WWW.Example.COM/a/b/", "https://example.com/a/b"),
        ("https://example.com//a//b#frag", "https://example.com/a/b"),
        ("https://example.com/a?utm_source=x&b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a.", "https://example.com/a"),
        ("https://example.com/", None),
        ("https://github.com", None),
        ("ftp://example.com/file", None),
        ("https://[::1/a", None),
        ("not a url", None),
    ],
)
def test_normalise_url(url: str, normal: str | None) -> None:
    assert d.normalise_url(url) == normal


def test_cves_and_urls_are_collected_from_text() -> None:
    sig = d.signature(
        "x",
        "see cve-2021-44228 and https://a.example/advisory, also CVE-2021-45046.",
        cves=["not-a-cve", "CVE-2022-22965"],
        urls=["https://b.example/x"],
    )
    assert sig.cves == {"CVE-2021-44228", "CVE-2021-45046", "CVE-2022-22965"}
    assert sig.urls == {"https://a.example/advisory", "https://b.example/x"}


def test_signature_round_trips_through_json() -> None:
    sig = _sig(_fixture()[0])
    data = json.loads(json.dumps(sig.to_dict()))
    assert Signature.from_dict(data) == sig
    assert d.text_similarity(Signature.from_dict(data), sig) == 1.0


@pytest.mark.parametrize(
    "data",
    [
        {"v": 0},
        {"v": 1},
        {"v": 1, "product": "", "cves": [], "urls": [], "sketch": ["zz"], "shingles": 1},
        {"v": 1, "product": 3, "cves": [], "urls": [], "sketch": [], "shingles": 0},
    ],
)
def test_bad_stored_signature_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(InvalidSignature):
        Signature.from_dict(data)


def test_short_texts_do_not_match_on_text() -> None:
    a, b = (
        d.signature("Widget", "XSS in the login page"),
        d.signature("Gadget", "XSS in the login page"),
    )
    assert d.text_similarity(a, b) == 1.0  # the sets are equal ...
    assert d.compare(a, b)[0] == 0.0  # ... but four words prove nothing


def _exact(a: str, b: str) -> float:
    sa, sb = d._shingles(a), d._shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


words = st.lists(
    st.sampled_from(["alpha", "beta", "gamma", "delta", "log", "jndi", "ldap", "class"]),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(words, words)
def test_similarity_is_symmetric_bounded_and_exact_for_small_texts(
    wa: list[str], wb: list[str]
) -> None:
    a, b = " ".join(wa), " ".join(wb)
    sa, sb = d.signature("p", a), d.signature("p", b)
    sim = d.text_similarity(sa, sb)
    assert sim == d.text_similarity(sb, sa)
    assert 0.0 <= sim <= 1.0
    if sa.sketch:
        assert d.text_similarity(sa, sa) == 1.0
    # Fewer than 128 distinct shingles together: the bottom-k estimate is exact.
    if sa.sketch and sb.sketch and len(d._shingles(a) | d._shingles(b)) <= d.SKETCH_SIZE:
        assert sim == pytest.approx(_exact(a, b))


def test_estimate_is_close_for_long_texts() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(400)]
    base = [rng.choice(vocab) for _ in range(1200)]
    edited = list(base)
    for i in range(0, len(edited), 5):
        edited[i] = rng.choice(vocab)
    a, b = " ".join(base), " ".join(edited)
    estimate = d.text_similarity(d.signature("p", a), d.signature("p", b))
    assert abs(estimate - _exact(a, b)) < 0.15  # > 3 standard errors at k = 128


def test_signature_of_a_maximal_report_is_fast() -> None:
    text = " ".join(f"word{i % 2500}" for i in range(3300))  # about 20,000 characters
    start = time.perf_counter()
    sig = d.signature("p", text)
    assert time.perf_counter() - start < 0.5
    assert len(sig.sketch) == d.SKETCH_SIZE


# -------------------------------------------------------------- real corpus (shared data)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _pypa(shared_data: Path, limit: int) -> list[tuple[str, str, str]]:
    files = sorted((shared_data / "osv" / "pypa" / "vulns").glob("*/*.yaml"))
    rng = random.Random(2024)
    out = []
    for path in rng.sample(files, min(limit, len(files))):
        record = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506
        affected = record.get("affected") or [{}]
        package = affected[0].get("package", {}).get("name", "")
        out.append((record["id"], package, record.get("details") or ""))
    return out


@pytest.mark.shared_data
@pytest.mark.slow
def test_pypa_corpus_false_positives_and_edited_resends(shared_data: Path) -> None:
    records = _pypa(shared_data, 700)
    sigs = [(rid, d.signature(pkg, text)) for rid, pkg, text in records]
    packages = {rid: pkg for rid, pkg, _ in records}
    rng = random.Random(1)

    # Different packages, text and product only: almost never flagged.
    drawn = [rng.sample(range(len(sigs)), 2) for _ in range(5000)]
    pairs = [(i, j) for i, j in drawn if packages[sigs[i][0]] != packages[sigs[j][0]]]
    flagged = sum(d.compare(sigs[i][1], sigs[j][1])[0] >= d.SCORE_THRESHOLD for i, j in pairs)
    assert flagged / len(pairs) < 0.005

    # A re-sent report with a word changed every 20 words finds its original first.
    long_records = [r for r in records if len(r[2].split()) >= 60][:100]
    for rid, pkg, text in long_records:
        tokens = text.split()
        for k in range(0, len(tokens), 20):
            tokens[k] = "edited"
        found = d.find_duplicates(d.signature(pkg, " ".join(tokens)), sigs, limit=3)
        assert found, rid
        assert rid in [c.key for c in found], rid
