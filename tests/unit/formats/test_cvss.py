"""CVSS vectors: scores, ratings, canonical form, OSV types, and typed errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.formats import cvss
from clearinghouse.formats.cvss import CvssError, CvssVersion, Rating, evaluate, score
from clearinghouse.formats.model import FormatError, Severity

LOG4SHELL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
V4_CRITICAL = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


def test_log4shell_vector_scores_ten_critical() -> None:
    assert score(LOG4SHELL) == Severity("CVSS_V3", LOG4SHELL, 10.0, "CRITICAL")


def test_cvss_30_vector_is_a_cvss_v3_severity() -> None:
    result = evaluate("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N")
    assert (result.version, result.base_score, result.rating) == (
        CvssVersion.V3_0,
        5.4,
        Rating.MEDIUM,
    )
    assert result.osv_type == "CVSS_V3"


def test_cvss_40_vector_scores() -> None:
    severity = score(V4_CRITICAL)
    assert severity == Severity("CVSS_V4", V4_CRITICAL, 9.3, "CRITICAL")
    # threat metrics change the CVSS 4.0 score (CVSS-BT)
    assert evaluate(V4_CRITICAL + "/E:U").base_score < 9.3


def test_cvss_20_vector_without_prefix_scores() -> None:
    result = evaluate("AV:N/AC:L/Au:N/C:P/I:P/A:P")
    assert (result.version, result.base_score, result.rating) == (
        CvssVersion.V2_0,
        7.5,
        Rating.HIGH,
    )
    assert result.osv_type == "CVSS_V2"


def test_canonical_vector_orders_metrics_and_drops_not_defined() -> None:
    result = evaluate("CVSS:3.1/A:H/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/E:X")
    assert result.vector == LOG4SHELL
    # score() keeps the caller's spelling: OSV records keep theirs
    assert score("CVSS:3.1/A:H/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H").vector.startswith("CVSS:3.1/A:H")


def test_v3_metrics_use_cve5_field_names() -> None:
    metrics = evaluate(LOG4SHELL).metrics
    assert metrics["attackVector"] == "NETWORK"
    assert metrics["scope"] == "CHANGED"
    assert "baseScore" not in metrics


@pytest.mark.parametrize(
    ("version", "osv_type", "cve5_key"),
    [
        (CvssVersion.V2_0, "CVSS_V2", "cvssV2_0"),
        (CvssVersion.V3_0, "CVSS_V3", "cvssV3_0"),
        (CvssVersion.V3_1, "CVSS_V3", "cvssV3_1"),
        (CvssVersion.V4_0, "CVSS_V4", "cvssV4_0"),
    ],
)
def test_version_names_in_osv_and_cve5(version: CvssVersion, osv_type: str, cve5_key: str) -> None:
    assert (version.osv_type, version.cve5_key) == (osv_type, cve5_key)


@pytest.mark.parametrize(
    ("vector", "fragment"),
    [
        ("", "non-empty"),
        ("garbage", "is not a CVSS vector"),
        ("AV:N/AC:L/Au:N/C:P/I:P", "invalid CVSS 2.0 vector"),
        (LOG4SHELL + "/", "trailing"),
        (LOG4SHELL.lower(), "is not a CVSS vector"),
        (" " + LOG4SHELL, "white space"),
        ("CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "unsupported CVSS version '3.2'"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H", "Missing mandatory"),
        (LOG4SHELL + "/AV:L", "Duplicate metric"),
        (LOG4SHELL + "/FOO:BAR", "Unknown metric"),
        ("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "invalid CVSS 3.1 vector"),
        ("CVSS:4.0/AV:N/AC:L", "invalid CVSS 4.0 vector"),
        ("CVSS:3.1/" + "AV:N/" * 200 + "A:H", "no valid vector is that long"),
    ],
)
def test_bad_vectors_raise_cvss_error(vector: str, fragment: str) -> None:
    with pytest.raises(CvssError) as caught:
        score(vector)
    assert fragment in caught.value.detail
    assert isinstance(caught.value, FormatError)
    assert caught.value.code == "invalid-cvss-vector"


def test_non_string_vector_is_a_typed_error() -> None:
    with pytest.raises(CvssError):
        evaluate(None)  # type: ignore[arg-type]


_V31_BASE = st.tuples(
    st.sampled_from("NALP"),
    st.sampled_from("LH"),
    st.sampled_from("NLH"),
    st.sampled_from("NR"),
    st.sampled_from("UC"),
    st.sampled_from("NLH"),
    st.sampled_from("NLH"),
    st.sampled_from("NLH"),
).map(lambda m: "CVSS:3.1/AV:{}/AC:{}/PR:{}/UI:{}/S:{}/C:{}/I:{}/A:{}".format(*m))
_V40_BASE = st.tuples(
    st.sampled_from("NALP"),
    st.sampled_from("LH"),
    st.sampled_from("NP"),
    st.sampled_from("NLH"),
    st.sampled_from("NPA"),
    *[st.sampled_from("HLN") for _ in range(6)],
).map(
    lambda m: "CVSS:4.0/AV:{}/AC:{}/AT:{}/PR:{}/UI:{}/VC:{}/VI:{}/VA:{}/SC:{}/SI:{}/SA:{}".format(
        *m
    )
)


def _band(value: float) -> Rating:
    # CVSS v3.1 / v4.0 specification, qualitative severity rating scale
    if value == 0:
        return Rating.NONE
    if value < 4.0:
        return Rating.LOW
    if value < 7.0:
        return Rating.MEDIUM
    if value < 9.0:
        return Rating.HIGH
    return Rating.CRITICAL


@given(st.one_of(_V31_BASE, _V40_BASE))
def test_rating_always_matches_the_score_band(vector: str) -> None:
    result = evaluate(vector)
    assert 0.0 <= result.base_score <= 10.0
    assert result.rating is _band(result.base_score)


@given(st.one_of(_V31_BASE, _V40_BASE))
def test_canonical_form_is_a_fixed_point(vector: str) -> None:
    once = evaluate(vector)
    twice = evaluate(once.vector)
    assert twice == once
    assert once.vector == vector  # generated in canonical order already


@given(_V31_BASE, st.randoms())
def test_metric_order_does_not_change_the_score(vector: str, rnd: object) -> None:
    prefix, *metrics = vector.split("/")
    rnd.shuffle(metrics)  # type: ignore[attr-defined]
    shuffled = "/".join([prefix, *metrics])
    assert evaluate(shuffled) == evaluate(vector)


def test_version_of_rejects_unknown_prefix() -> None:
    with pytest.raises(CvssError, match="unsupported CVSS version"):
        cvss.version_of("CVSS:9.9/AV:N")
