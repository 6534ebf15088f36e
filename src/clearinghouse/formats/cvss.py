"""CVSS vectors: validate, score and classify them with the pinned ``cvss`` library.

Why a wrapper: the library raises its own exception family and returns ``Decimal`` scores
and title-case severities; every caller here wants one typed :class:`CvssError`, a float,
an upper-case qualitative rating (as CVE 5.x and CSAF write it), the canonical vector
(metric order fixed, ``X`` values dropped, as the CVE 5.x schema patterns require) and the
OSV severity ``type`` the vector belongs under.

Versions: 3.0, 3.1 and 4.0 carry a ``CVSS:x.y/`` prefix. 2.0 vectors have no prefix; they
are accepted too because OSV (``CVSS_V2``) and CVE 5.x (``cvssV2_0``) still carry them.
For 4.0 the score is the one the vector's metrics determine (CVSS-B, or CVSS-BT/-BE/-BTE
when threat or environmental metrics are present), as the library computes it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

from clearinghouse.formats.model import FormatError, Severity

MAX_VECTOR_LENGTH: Final = 512  # the longest valid 4.0 vector is about 280 characters


class CvssError(FormatError):
    """A CVSS vector is malformed, incomplete or of an unsupported version."""

    code = "invalid-cvss-vector"
    title = "The CVSS vector is not valid"


class CvssVersion(enum.StrEnum):
    V2_0 = "2.0"
    V3_0 = "3.0"
    V3_1 = "3.1"
    V4_0 = "4.0"

    @property
    def osv_type(self) -> str:
        """OSV ``severity[].type`` for vectors of this version."""
        match self:
            case CvssVersion.V2_0:
                return OSV_CVSS_V2
            case CvssVersion.V3_0 | CvssVersion.V3_1:
                return OSV_CVSS_V3
            case CvssVersion.V4_0:
                return OSV_CVSS_V4

    @property
    def cve5_key(self) -> str:
        """The CVE 5.x ``metrics[]`` property holding vectors of this version."""
        return "cvssV" + self.value.replace(".", "_")


OSV_CVSS_V2: Final = "CVSS_V2"
OSV_CVSS_V3: Final = "CVSS_V3"
OSV_CVSS_V4: Final = "CVSS_V4"


class Rating(enum.StrEnum):
    """Qualitative severity rating (CVSS 3.x/4.0 specification; 2.0 per NVD's bands)."""

    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True, slots=True)
class CvssScore:
    """A validated vector and what it computes to."""

    version: CvssVersion
    vector: str  # canonical form (see module docstring)
    base_score: float
    rating: Rating
    # CVE 5.x / FIRST JSON field names -> values (3.x only; the names differ for 4.0):
    # enumerations as strings, temporal and environmental scores as numbers, as the
    # CVE schema requires
    metrics: Mapping[str, str | float] = field(default_factory=dict, hash=False)

    @property
    def osv_type(self) -> str:
        return self.version.osv_type


def version_of(vector: str) -> CvssVersion:
    """The CVSS version a vector declares (2.0 when it has no ``CVSS:`` prefix)."""
    if not vector.startswith("CVSS:"):
        if vector.startswith("AV:"):  # CVSS 2.0 vectors carry no prefix
            return CvssVersion.V2_0
        raise CvssError(
            f"{_quote(vector)} is not a CVSS vector: expected CVSS:3.0/, CVSS:3.1/ or "
            "CVSS:4.0/ followed by metrics (or a CVSS 2.0 vector starting with AV:)"
        )
    declared = vector[5:8]
    try:
        return CvssVersion(declared)
    except ValueError:
        raise CvssError(
            f"unsupported CVSS version {declared!r} in {_quote(vector)}; "
            "expected CVSS:3.0, CVSS:3.1 or CVSS:4.0"
        ) from None


def evaluate(vector: str) -> CvssScore:
    """Validate and score ``vector``; raise :class:`CvssError` saying what is wrong."""
    if not isinstance(vector, str) or not vector:
        raise CvssError("a CVSS vector must be a non-empty string")
    if len(vector) > MAX_VECTOR_LENGTH:
        raise CvssError(f"CVSS vector is {len(vector)} characters; no valid vector is that long")
    if vector != vector.strip():
        raise CvssError(f"CVSS vector {_quote(vector)} has surrounding white space")
    version = version_of(vector)
    try:
        match version:
            case CvssVersion.V2_0:
                v2 = CVSS2(vector)
                score = float(v2.base_score)
                return CvssScore(version, v2.clean_vector(), score, _v2_rating(score))
            case CvssVersion.V3_0 | CvssVersion.V3_1:
                v3 = CVSS3(vector)
                rating = Rating(v3.severities()[0].upper())
                details = v3.as_json(minimal=True)
                metrics = {
                    k: float(v) if k.endswith("Score") else str(v)
                    for k, v in details.items()
                    if k not in {"version", "vectorString", "baseScore", "baseSeverity"}
                }
                return CvssScore(
                    version,
                    v3.clean_vector(),
                    float(v3.base_score),
                    rating,
                    MappingProxyType(metrics),
                )
            case CvssVersion.V4_0:
                v4 = CVSS4(vector)
                rating = Rating(str(v4.severity).upper())
                return CvssScore(version, v4.clean_vector(), float(v4.base_score), rating)
    except CVSSError as exc:
        raise CvssError(f"invalid CVSS {version.value} vector {_quote(vector)}: {exc}") from None


def score(vector: str) -> Severity:
    """The model's :class:`~clearinghouse.formats.model.Severity` for ``vector``.

    ``vector`` is kept as given (it is valid; OSV records keep their own spelling); the
    canonical form is :attr:`CvssScore.vector` from :func:`evaluate`.
    """
    result = evaluate(vector)
    return Severity(
        type=result.osv_type,
        vector=vector,
        base_score=result.base_score,
        base_severity=result.rating.value,
    )


def _v2_rating(base: float) -> Rating:
    # CVSS 2.0 defines no ratings; NVD's bands are what everyone (CSAF, CVE) uses.
    if base >= 7.0:
        return Rating.HIGH
    if base >= 4.0:
        return Rating.MEDIUM
    return Rating.LOW


def _quote(vector: str) -> str:
    return repr(vector if len(vector) <= 80 else vector[:77] + "...")
