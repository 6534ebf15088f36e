"""Likely duplicates: has someone already reported this?

Popular bugs are reported many times (Log4Shell reached coordinators from dozens of
finders within hours). Each report gets a :class:`Signature` once, when it arrives;
comparing two signatures is then a few set operations (about 10 microseconds), so a new
report can be compared with thousands of open ones at once, and the signature can be stored
(:meth:`Signature.to_dict`) beside the report.

Signals, strongest first (each becomes a :class:`Reason` on the candidate):

* **same CVE id** (from the CVE field or the text): score 1.0.
* **shared URL** (a reference or a link in the text; normalised, and only URLs with a
  path, so that two reports that both link ``https://github.com`` do not match): 0.7.
* **similar text**: the Jaccard similarity of the two descriptions' sets of 3-word
  shingles, estimated from a bottom-k MinHash sketch (k = 128, a 64-bit BLAKE2b hash per
  shingle). The estimate is exact while each text has at most 128 distinct shingles,
  and otherwise has a standard error of at most about ``sqrt(J(1-J)/128)`` (0.044 at
  worst). The text signal is the estimate when it reaches
  :data:`TEXT_THRESHOLD` (0.5) and both texts have at least :data:`MIN_SHINGLES` (5)
  shingles (a few words match by chance), else 0.
* **same product** (normalised names equal, ignoring spaces): adds 0.15; **similar
  product** (one name, spaces removed, contains the other, of at least 4 characters:
  ``log4j2`` in ``apachelog4j2``): adds 0.05. A product alone never
  reaches the threshold: many distinct bugs share a product.

The score is ``min(1, max(strong signals) + product bonus)``; a candidate is returned
when it reaches :data:`SCORE_THRESHOLD` (0.6): similar text alone from 0.6, about the same
product from 0.5, about a similar product from 0.55; a shared URL or CVE always.

Measured on the 2,661 PyPA advisories (``../shared/data/osv/pypa``; their ``details``
texts, which are more templated than finders' reports): 0.07 % of 20,000 random pairs of
advisories about *different* packages, and 1.3 % of the 137,621 pairs about the *same*
package (mostly TensorFlow's boilerplate paragraphs), reach the threshold on text and
product alone. Comparing one signature with all 2,661 takes about 0.04 s on one core.
These are suggestions for a human, who merges or not; the numbers are documented so that
the operator can judge them.
"""

from __future__ import annotations

import bisect
import enum
import hashlib
import heapq
import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from clearinghouse.errors import InvalidInput

SKETCH_SIZE: Final = 128
SHINGLE_WORDS: Final = 3
MIN_SHINGLES: Final = 5
MIN_PRODUCT_KEY: Final = 4
TEXT_THRESHOLD: Final = 0.5
SCORE_THRESHOLD: Final = 0.6
SIGNATURE_VERSION: Final = 1

W_CVE: Final = 1.0
W_URL: Final = 0.7
W_SAME_PRODUCT: Final = 0.15
W_SIMILAR_PRODUCT: Final = 0.05

K = TypeVar("K", bound=Hashable)

_CVE_RE: Final = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
_URL_RE: Final = re.compile(r"https?://[^\s<>\"'`)\]]+", re.IGNORECASE)
_WORD_RE: Final = re.compile(r"\w+")
# Words that name nobody's product in particular; dropped from product names only.
_PRODUCT_NOISE: Final = frozenset(
    {"the", "inc", "ltd", "llc", "gmbh", "corp", "corporation", "co", "project", "software"}
)
_TRACKING_PARAMS: Final = ("utm_", "fbclid", "gclid", "mc_")


class InvalidSignature(InvalidInput):
    """A stored signature cannot be read back (wrong version or shape)."""

    code = "invalid-duplicate-signature"
    title = "The stored duplicate signature is not valid"


class Reason(enum.StrEnum):
    SAME_CVE = "same_cve"
    SHARED_URL = "shared_url"
    SIMILAR_TEXT = "similar_text"
    SAME_PRODUCT = "same_product"
    SIMILAR_PRODUCT = "similar_product"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def normalise_product(name: str) -> str:
    """A product name reduced to its words: ``"Apache Log4j-2 (core)"`` -> ``apache log4j 2 core``.

    Case, Unicode compatibility forms, punctuation and corporate noise words (Inc, Ltd,
    Project...) are removed, so that the spellings finders actually use compare equal.
    """
    words = [w for w in _WORD_RE.findall(_fold(name).replace("_", " ")) if w not in _PRODUCT_NOISE]
    return " ".join(words)


def _product_key(normal: str) -> str:
    # "log4j 2" and "log4j2" name the same thing; so do "open ssl" and "openssl".
    return normal.replace(" ", "")


def normalise_url(url: str) -> str | None:
    """Comparable form of a URL, or ``None`` when it is not worth comparing.

    Lower-case scheme and host, ``www.`` dropped, ``http`` and ``https`` merged, no
    fragment, no trailing slash, tracking parameters removed, remaining query sorted. A
    URL without a path (a bare site) says nothing about a specific bug and is ignored.
    """
    text = url.strip().rstrip(".,;:")
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not host:
        return None
    host = host.removeprefix("www.")
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    if not path:
        return None
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PARAMS)
    )
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    return urlunsplit(("https", netloc, path, urlencode(query), ""))


def _shingles(text: str) -> set[str]:
    words = _WORD_RE.findall(_fold(_URL_RE.sub(" ", text)))
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def _hash(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True, slots=True)
class Signature:
    """What duplicate detection needs to know about one report (compact, storable)."""

    product: str  # normalised product name ("" when none was given)
    cves: frozenset[str]
    urls: frozenset[str]
    sketch: tuple[int, ...]  # sorted, the k smallest shingle hashes
    shingles: int  # number of distinct shingles in the text
    _members: frozenset[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_members", frozenset(self.sketch))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form; :meth:`from_dict` reads it back."""
        return {
            "v": SIGNATURE_VERSION,
            "product": self.product,
            "cves": sorted(self.cves),
            "urls": sorted(self.urls),
            "sketch": [format(h, "016x") for h in self.sketch],
            "shingles": self.shingles,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Signature:
        if data.get("v") != SIGNATURE_VERSION:
            raise InvalidSignature(
                f"signature version {data.get('v')!r} is not {SIGNATURE_VERSION}; recompute it"
            )
        try:
            product, cves, urls, sketch, shingles = (
                data["product"],
                data["cves"],
                data["urls"],
                data["sketch"],
                data["shingles"],
            )
            if not (
                isinstance(product, str)
                and isinstance(cves, list)
                and isinstance(urls, list)
                and isinstance(sketch, list)
                and isinstance(shingles, int)
            ):
                raise TypeError("wrong field types")
            hashes = tuple(sorted(int(h, 16) for h in sketch))
            return cls(
                product, frozenset(map(str, cves)), frozenset(map(str, urls)), hashes, shingles
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidSignature(f"stored signature is malformed: {exc}") from exc


def signature(
    product: str,
    text: str,
    *,
    cves: Iterable[str] = (),
    urls: Iterable[str] = (),
) -> Signature:
    """Compute a report's signature from its product, its text and any listed ids and URLs.

    CVE ids and URLs are also collected from ``text``. Cost is linear in the text.
    """
    found_cves = {c.upper() for c in _CVE_RE.findall(text)}
    found_cves.update(c.strip().upper() for c in cves if _CVE_RE.fullmatch(c.strip()))
    found_urls = {u for u in (normalise_url(m) for m in _URL_RE.findall(text)) if u}
    found_urls.update(u for u in (normalise_url(m) for m in urls) if u)
    hashes = {_hash(s) for s in _shingles(text)}
    return Signature(
        product=normalise_product(product),
        cves=frozenset(found_cves),
        urls=frozenset(found_urls),
        sketch=tuple(heapq.nsmallest(SKETCH_SIZE, hashes)),
        shingles=len(hashes),
    )


def text_similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets (bottom-k MinHash).

    A sketch holds every hash of its text up to its own largest one (all of them when
    the text has at most k shingles). Below ``cutoff``, the smaller of the two limits,
    both texts are therefore known exactly, and the share of the hashes there that both
    texts hold estimates ``|A & B| / |A | B|``; it is exact when neither text has more
    than k shingles.
    """
    if not a.sketch or not b.sketch:
        return 0.0
    limits = [s.sketch[-1] for s in (a, b) if s.shingles > len(s.sketch)]
    if not limits:
        both = len(a._members & b._members)
        return both / (len(a.sketch) + len(b.sketch) - both)
    cutoff = min(limits)
    count_a = bisect.bisect_right(a.sketch, cutoff)
    count_b = bisect.bisect_right(b.sketch, cutoff)
    both = sum(1 for h in a._members & b._members if h <= cutoff)
    return both / (count_a + count_b - both)


@dataclass(frozen=True, slots=True)
class Evidence:
    reason: Reason
    detail: str  # the shared CVE id or URL, the similarity, or the product name


@dataclass(frozen=True, slots=True)
class Candidate(Generic[K]):
    """A likely duplicate: whom it duplicates, how sure, and why (strongest first)."""

    key: K
    score: float
    evidence: tuple[Evidence, ...]

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return tuple(e.reason for e in self.evidence)


def compare(a: Signature, b: Signature) -> tuple[float, tuple[Evidence, ...]]:
    """Score (0..1) and evidence for ``a`` and ``b`` being reports of the same bug."""
    evidence: list[Evidence] = []
    strong = 0.0
    shared_cves = sorted(a.cves & b.cves)
    if shared_cves:
        strong = max(strong, W_CVE)
        evidence.extend(Evidence(Reason.SAME_CVE, c) for c in shared_cves)
    shared_urls = sorted(a.urls & b.urls)
    if shared_urls:
        strong = max(strong, W_URL)
        evidence.extend(Evidence(Reason.SHARED_URL, u) for u in shared_urls[:5])
    similarity = 0.0
    if min(a.shingles, b.shingles) >= MIN_SHINGLES:
        similarity = text_similarity(a, b)
    if similarity >= TEXT_THRESHOLD:
        strong = max(strong, similarity)
        evidence.append(Evidence(Reason.SIMILAR_TEXT, f"{similarity:.2f}"))
    bonus = 0.0
    if a.product and b.product:
        if _product_key(a.product) == _product_key(b.product):
            bonus = W_SAME_PRODUCT
            evidence.append(Evidence(Reason.SAME_PRODUCT, a.product))
        else:
            key_a, key_b = _product_key(a.product), _product_key(b.product)
            shorter, longer = sorted((key_a, key_b), key=len)
            if len(shorter) >= MIN_PRODUCT_KEY and shorter in longer:
                bonus = W_SIMILAR_PRODUCT
                evidence.append(Evidence(Reason.SIMILAR_PRODUCT, f"{a.product} ~ {b.product}"))
    return min(1.0, strong + bonus), tuple(evidence)


def find_duplicates(
    new: Signature,
    existing: Iterable[tuple[K, Signature]],
    *,
    threshold: float = SCORE_THRESHOLD,
    limit: int = 10,
) -> list[Candidate[K]]:
    """The existing reports most likely to duplicate ``new``, best first.

    Only candidates scoring at least ``threshold`` are returned, at most ``limit`` of
    them; ties are broken by the order of ``existing`` (pass older reports first to
    prefer the original).
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    found: list[tuple[float, int, Candidate[K]]] = []
    for order, (key, other) in enumerate(existing):
        score, evidence = compare(new, other)
        if score >= threshold:
            found.append((-score, order, Candidate(key, round(score, 4), evidence)))
    found.sort(key=lambda item: (item[0], item[1]))
    return [candidate for _s, _o, candidate in found[:limit]]
