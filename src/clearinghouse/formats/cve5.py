"""CVE Record Format 5.x: render a vulnerability as a CVE record, validate it, import one.

Rendering (:func:`model_to_cve5`) produces a complete PUBLISHED record (``dataVersion``
5.1) whose CNA container carries what a CNA submits: title, English description, affected
products with version ranges, CWE problem types, CVSS metrics (scores recomputed from the
vectors, never copied), references, credits, remediations, ``datePublic`` and ``source``.
OSV ranges become CVE version entries: an ``introduced``/``fixed`` pair is ``{version,
lessThan}``, ``last_affected`` is ``lessThanOrEqual``, an open range ends at ``"*"``, and
``introduced: "0"`` stays ``"0"`` (the CVE convention for "from the first version").
Events are paired in the order written; OSV databases write them sorted.

Importing (:func:`parse_cve5`) reads the CNA container of a PUBLISHED record (a REJECTED
one becomes a withdrawn vulnerability); ADP containers are ignored. Products identified by
``collectionURL`` + ``packageName`` map to OSV ecosystems; others become a ``generic``
package whose purl carries vendor and product. ``changes`` inside a version entry are
followed, so "unaffected from 2.1.0 except 2.1.6 up to 2.1.9" imports as [2.1.6, 2.1.9).
Entries with status ``unaffected`` or ``unknown`` and no changes add nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from packageurl import PackageURL

from clearinghouse.formats import cvss
from clearinghouse.formats.model import (
    Advisory,
    Affected,
    Credit,
    EventKind,
    FormatError,
    Package,
    Publisher,
    RangeEvent,
    RangeType,
    Reference,
    ReferenceKind,
    Remediation,
    Severity,
    Tlp,
    VersionRange,
    Vulnerability,
)
from clearinghouse.formats.schemas import (
    BundledSchema,
    SchemaViolation,
    json_path,
    require_valid,
    schema_violations,
)
from clearinghouse.timeutil import ensure_utc

DATA_VERSION: Final = "5.1"
GENERIC_ECOSYSTEM: Final = "generic"  # products known only by vendor and product name
CVE_NAMESPACE: Final = "https://www.cve.org"
_MAX_TEXT: Final = 4096  # descriptions, solutions, credits
_MAX_MEDIA: Final = 16384  # supportingMedia values
_MAX_TITLE: Final = 256
_MAX_REFERENCES: Final = 512


class Cve5Error(FormatError):
    """A CVE record is malformed, or a vulnerability cannot be rendered as one."""

    code = "invalid-cve-record"
    title = "The CVE record is not valid"

    def __init__(self, detail: str, *, path: str = "$", **extensions: Any) -> None:
        super().__init__(detail if path == "$" else f"{path}: {detail}", path=path, **extensions)
        self.path = path


# OSV ecosystem -> (collectionURL as the CVE schema lists it, versionType)
_ECOSYSTEMS: Final = {
    "Maven": ("https://repo.maven.apache.org/maven2", "maven"),
    "PyPI": ("https://pypi.python.org", "python"),
    "npm": ("https://registry.npmjs.org", "semver"),
    "crates.io": ("https://crates.io", "semver"),
    "Go": ("https://golang.org/pkg", "semver"),
    "RubyGems": ("https://rubygems.org", "custom"),
    "NuGet": ("https://nuget.org/packages", "custom"),
    "Packagist": ("https://packagist.org", "custom"),
    "Hex": ("https://repo.hex.pm", "semver"),
    "Pub": ("https://pub.dev", "semver"),
    "Hackage": ("https://hackage.haskell.org", "custom"),
    "CRAN": ("https://cran.r-project.org", "custom"),
    "opam": ("https://opam.ocaml.org/packages", "custom"),
    "Debian": ("https://packages.debian.org", "custom"),
    "ConanCenter": ("https://conan.io/center", "custom"),
}
_COLLECTION_ALIASES: Final = {  # other spellings seen in real records
    "https://pypi.org": "PyPI",
    "https://pypi.org/project": "PyPI",
    "https://www.npmjs.com": "npm",
    "https://pkg.go.dev": "Go",
    "https://proxy.golang.org": "Go",
    "https://www.nuget.org/packages": "NuGet",
    "https://repo1.maven.org/maven2": "Maven",
}
_ECOSYSTEM_BY_COLLECTION: Final = {
    **{url: eco for eco, (url, _) in _ECOSYSTEMS.items()},
    **_COLLECTION_ALIASES,
}
_REFERENCE_TAGS: Final = {
    ReferenceKind.ADVISORY: "vendor-advisory",
    ReferenceKind.ARTICLE: "technical-description",
    ReferenceKind.DETECTION: "signature",
    ReferenceKind.DISCUSSION: "mailing-list",
    ReferenceKind.REPORT: "issue-tracking",
    ReferenceKind.FIX: "patch",
    ReferenceKind.PACKAGE: "product",
    ReferenceKind.EVIDENCE: "exploit",
}
_KIND_BY_TAG: Final = {
    **{tag: kind for kind, tag in _REFERENCE_TAGS.items()},
    "third-party-advisory": ReferenceKind.ADVISORY,
    "vdb-entry": ReferenceKind.ADVISORY,
    "release-notes": ReferenceKind.FIX,
    "mitigation": ReferenceKind.ADVISORY,
}
_CREDIT_TYPES: Final = frozenset(
    {
        "finder",
        "reporter",
        "analyst",
        "coordinator",
        "remediation developer",
        "remediation reviewer",
        "remediation verifier",
        "tool",
        "sponsor",
        "other",
    }
)
_WORKAROUNDS: Final = frozenset({"workaround", "mitigation"})


# --- rendering --------------------------------------------------------------------------


def model_to_cve5(
    advisory: Advisory,
    vulnerability: Vulnerability,
    *,
    cna_org_id: str,
    cna_short_name: str,
) -> dict[str, Any]:
    """A complete CVE 5.1 record for ``vulnerability`` (one of ``advisory``'s).

    Raises :class:`Cve5Error` when the vulnerability has no CVE id, no description or no
    reference (the CVE program requires them), or the CNA identity is malformed; and
    :class:`~clearinghouse.formats.cvss.CvssError` for an invalid CVSS vector.
    """
    cve_id = vulnerability.cve or (
        vulnerability.id if vulnerability.id.startswith("CVE-") else None
    )
    if not cve_id:
        raise Cve5Error(f"vulnerability {vulnerability.id} has no CVE id")
    try:
        org_id = str(uuid.UUID(cna_org_id))
    except ValueError:
        raise Cve5Error(f"cna_org_id {cna_org_id!r} is not a UUID") from None
    if not 2 <= len(cna_short_name) <= 32:
        raise Cve5Error("cna_short_name must be 2 to 32 characters long")
    published = vulnerability.published or advisory.initial_release
    updated = vulnerability.modified or advisory.current_release
    cna: dict[str, Any] = {
        "providerMetadata": {
            "orgId": org_id,
            "shortName": cna_short_name,
            "dateUpdated": cve_time(updated),
        },
        "title": _clip(vulnerability.summary or advisory.title, _MAX_TITLE),
        "datePublic": cve_time(published),
        "descriptions": [_description(vulnerability, advisory, cve_id)],
        "affected": _products(vulnerability),
    }
    if vulnerability.cwes:
        cna["problemTypes"] = [
            {
                "descriptions": [
                    {"lang": "en", "cweId": cwe, "description": cwe, "type": "CWE"}
                    for cwe in dict.fromkeys(vulnerability.cwes)
                ]
            }
        ]
    metrics = [_metric(s) for s in vulnerability.severity if s.type != "Ubuntu"]
    if metrics:
        cna["metrics"] = metrics
    cna["references"] = _references((*vulnerability.references, *advisory.references), cve_id)
    if vulnerability.credits:
        cna["credits"] = _unique_dicts(
            {"lang": "en", "value": _clip(c.name, _MAX_TEXT), "type": _credit_type(c.kind)}
            for c in vulnerability.credits
        )
    solutions, workarounds = _remediations(vulnerability.remediations)
    if solutions:
        cna["solutions"] = solutions
    if workarounds:
        cna["workarounds"] = workarounds
    cna["source"] = {"advisory": advisory.id, "discovery": "UNKNOWN"}
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": DATA_VERSION,
        "cveMetadata": {
            "cveId": cve_id,
            "assignerOrgId": org_id,
            "assignerShortName": cna_short_name,
            "state": "PUBLISHED",
            "datePublished": cve_time(published),
            "dateUpdated": cve_time(updated),
        },
        "containers": {"cna": cna},
    }


def cve_time(value: datetime) -> str:
    """CVE 5.x timestamp: UTC, milliseconds, ``Z`` (as CVE Services writes them)."""
    utc = ensure_utc(value).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"  # strftime's %Y: "1" for year 1


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _description(vulnerability: Vulnerability, advisory: Advisory, cve_id: str) -> dict[str, Any]:
    text = (
        vulnerability.details or vulnerability.summary or advisory.summary or advisory.title
    ).strip()
    if not text:
        raise Cve5Error(f"{cve_id} needs a description")
    out: dict[str, Any] = {"lang": "en", "value": _clip(text, _MAX_TEXT)}
    if len(text) > _MAX_TEXT:  # the full text travels as supporting media
        out["supportingMedia"] = [
            {"type": "text/markdown", "base64": False, "value": _clip(text, _MAX_MEDIA)}
        ]
    return out


def _products(vulnerability: Vulnerability) -> list[dict[str, Any]]:
    vendors = {
        (s.package.ecosystem, s.package.name): s.vendor
        for s in vulnerability.statements
        if s.vendor
    }
    products = [
        _product(a, vendors.get((a.package.ecosystem, a.package.name)))
        for a in vulnerability.affected
    ]
    if not products:
        raise Cve5Error(f"vulnerability {vulnerability.id} lists no affected package")
    return _unique_dicts(products)


def _product(item: Affected, vendor: str | None) -> dict[str, Any]:
    package = item.package
    ecosystem = package.ecosystem.split(":", 1)[0]
    out: dict[str, Any] = {}
    if ecosystem == GENERIC_ECOSYSTEM and package.purl:
        vendor = vendor or PackageURL.from_string(package.purl).namespace
    collection, version_type = _ECOSYSTEMS.get(ecosystem, (None, "custom"))
    if vendor or collection is None:
        out["vendor"] = _clip(vendor or "n/a", 512)
        out["product"] = _clip(package.name, 2048)
    if collection is not None:
        out["collectionURL"] = collection
        out["packageName"] = _clip(package.name, 2048)
    repo = next((r.repo for r in item.ranges if r.type is RangeType.GIT and r.repo), None)
    if repo:
        out["repo"] = repo
    versions = _versions(item, version_type)
    if versions:
        out["versions"] = versions
        out["defaultStatus"] = "unaffected"
    else:
        out["defaultStatus"] = "unknown"
    return out


def _versions(item: Affected, ecosystem_type: str) -> list[dict[str, Any]]:
    has_versions = any(r.type is not RangeType.GIT for r in item.ranges)
    out: list[dict[str, Any]] = []
    for r in item.ranges:
        if r.type is RangeType.GIT and has_versions:
            continue  # commits only when nothing better describes the range
        vt = {RangeType.GIT: "git", RangeType.SEMVER: "semver"}.get(r.type, ecosystem_type)
        start: str | None = None
        for event in r.events:
            if event.kind is EventKind.INTRODUCED:
                start = event.value if start is None else start
            elif start is not None:
                bound = "lessThanOrEqual" if event.kind is EventKind.LAST_AFFECTED else "lessThan"
                out.append(_entry(start, vt, **{bound: event.value}))
                start = None
        if start is not None:
            out.append(_entry(start, vt, lessThan="*"))
    if not has_versions:
        out.extend({"version": v, "status": "affected"} for v in item.versions)
    return _unique_dicts(out)


def _entry(start: str, version_type: str, **bound: str) -> dict[str, Any]:
    return {"version": start, "status": "affected", **bound, "versionType": version_type}


def _metric(severity: Severity) -> dict[str, Any]:
    result = cvss.evaluate(severity.vector)
    body: dict[str, Any] = {"version": result.version.value, "vectorString": result.vector}
    body.update(result.metrics)
    body["baseScore"] = result.base_score
    if result.version is not cvss.CvssVersion.V2_0:
        body["baseSeverity"] = result.rating.value
    return {
        "format": "CVSS",
        "scenarios": [{"lang": "en", "value": "GENERAL"}],
        result.version.cve5_key: body,
    }


def _references(references: Iterable[Reference], cve_id: str) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for ref in references:
        if ref.url in out:
            continue
        entry: dict[str, Any] = {"url": ref.url}
        if ref.summary:
            entry["name"] = _clip(ref.summary, 512)
        tag = _REFERENCE_TAGS.get(ref.kind)
        if tag:
            entry["tags"] = [tag]
        out[ref.url] = entry
    if not out:
        raise Cve5Error(f"{cve_id} needs at least one reference")
    if len(out) > _MAX_REFERENCES:
        raise Cve5Error(f"{cve_id} has {len(out)} references; a CVE record holds {_MAX_REFERENCES}")
    return list(out.values())


def _credit_type(kind: str) -> str:
    text = kind.lower().replace("_", " ")
    return text if text in _CREDIT_TYPES else "other"


def _remediations(
    items: Sequence[Remediation],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    solutions: list[dict[str, Any]] = []
    workarounds: list[dict[str, Any]] = []
    for r in items:
        if not r.details.strip():
            continue
        target = workarounds if r.category in _WORKAROUNDS else solutions
        target.append({"lang": "en", "value": _clip(r.details, _MAX_TEXT)})
    return _unique_dicts(solutions), _unique_dicts(workarounds)


def _unique_dicts(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    # CVE arrays are uniqueItems; equal dicts are dropped, order kept.
    out: list[dict[str, Any]] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


# --- validation -------------------------------------------------------------------------


def cve5_schema_violations(record: Mapping[str, Any]) -> tuple[SchemaViolation, ...]:
    """Violations of the bundled CVE 5.x JSON schema (empty: valid)."""
    return schema_violations(BundledSchema.CVE5, record)


def validate_cve5(record: Mapping[str, Any]) -> None:
    """Raise :class:`Cve5Error` (every violation in ``extensions``) unless ``record`` is valid."""
    require_valid(BundledSchema.CVE5, record, error=Cve5Error)


# --- importing --------------------------------------------------------------------------

_Path = tuple[str | int, ...]


def parse_cve5(
    record: Mapping[str, Any],
    *,
    tlp: Tlp,
    publisher: Publisher | None = None,
    validate: bool = True,
) -> Advisory:
    """The neutral advisory for a CVE record (one vulnerability, from the CNA container).

    ``tlp`` is required: a CVE record carries no marking, and a draft shared before
    publication is not public. ``validate`` checks the bundled schema first (recommended
    for anything received from outside); the reader itself checks every value it uses.
    """
    if validate:
        validate_cve5(record)
    root = _obj(record, ())
    meta = _obj(root.get("cveMetadata"), ("cveMetadata",))
    cve_id = _text(meta, "cveId", ("cveMetadata",), required=True)
    state = _text(meta, "state", ("cveMetadata",), required=True)
    containers = _obj(root.get("containers"), ("containers",))
    cna = _obj(containers.get("cna"), ("containers", "cna"))
    path: _Path = ("containers", "cna")
    provider = _obj(cna.get("providerMetadata", {}), (*path, "providerMetadata"))
    updated = _first_time(
        (meta, "dateUpdated", ("cveMetadata",)),
        (provider, "dateUpdated", (*path, "providerMetadata")),
    )
    published = _first_time(
        (cna, "datePublic", path),
        (meta, "datePublished", ("cveMetadata",)),
        (provider, "dateUpdated", (*path, "providerMetadata")),
    )
    published = published or updated
    if published is None:
        raise Cve5Error(f"{cve_id} carries no publication or update date", path="$.cveMetadata")
    updated = max(updated or published, published)
    if state == "REJECTED":
        reasons = _english(_list(cna, "rejectedReasons", path), (*path, "rejectedReasons"))
        vulnerability = Vulnerability(
            id=cve_id,
            details=reasons,
            cve=cve_id,
            published=published,
            modified=updated,
            withdrawn=_first_time((meta, "dateRejected", ("cveMetadata",))) or updated,
        )
        title = f"Rejected: {cve_id}"
    elif state == "PUBLISHED":
        details = _english(_list(cna, "descriptions", path), (*path, "descriptions"))
        title = _text(cna, "title", path) or _clip(details.split("\n", 1)[0], 200) or cve_id
        vulnerability = Vulnerability(
            id=cve_id,
            summary=_text(cna, "title", path) or "",
            details=details,
            cve=cve_id,
            cwes=_cwes(cna, path),
            severity=_severities(cna, path),
            affected=tuple(
                a
                for i, p in enumerate(_list(cna, "affected", path))
                if (a := _affected(_obj(p, (*path, "affected", i)), (*path, "affected", i)))
            ),
            references=tuple(
                _reference(r, (*path, "references", i))
                for i, r in enumerate(_list(cna, "references", path))
            ),
            credits=tuple(
                _credit(c, (*path, "credits", i)) for i, c in enumerate(_list(cna, "credits", path))
            ),
            remediations=_remediations_of(cna, path),
            published=published,
            modified=updated,
        )
    else:
        raise Cve5Error(f"unknown record state {state!r}", path="$.cveMetadata.state")
    short_name = _text(meta, "assignerShortName", ("cveMetadata",)) or _text(
        provider, "shortName", (*path, "providerMetadata")
    )
    return Advisory(
        id=cve_id,
        title=title,
        publisher=publisher
        or Publisher(name=short_name or "CVE Program", namespace=CVE_NAMESPACE, category="other"),
        tlp=tlp,
        initial_release=published,
        current_release=updated,
        vulnerabilities=(vulnerability,),
        summary=vulnerability.summary,
        source=f"{CVE_NAMESPACE}/CVERecord?id={cve_id}",
    )


def _obj(value: object, path: _Path) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Cve5Error("expected an object", path=json_path(path))
    return value


def _list(obj: Mapping[str, Any], key: str, path: _Path) -> Sequence[Any]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise Cve5Error("expected an array", path=json_path((*path, key)))
    return value


def _text(obj: Mapping[str, Any], key: str, path: _Path, *, required: bool = False) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise Cve5Error("expected a non-empty string", path=json_path((*path, key)))
    return value


def _time(text: str, path: _Path) -> datetime:
    # CVE timestamps may omit the offset; the format defines that as UTC.
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        return ensure_utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    except ValueError:  # InstantOutOfRange too: 0001-01-01T00:00:00+01:00 is before year 1
        raise Cve5Error(f"{text!r} is not a timestamp", path=json_path(path)) from None


def _first_time(*candidates: tuple[Mapping[str, Any], str, _Path]) -> datetime | None:
    for obj, key, path in candidates:
        text = _text(obj, key, path)
        if text:
            return _time(text, (*path, key))
    return None


def _english(items: Sequence[Any], path: _Path) -> str:
    """The English text of a descriptions-like array (else the first one)."""
    texts = []
    for i, item in enumerate(items):
        entry = _obj(item, (*path, i))
        texts.append((_text(entry, "lang", (*path, i)).lower(), _text(entry, "value", (*path, i))))
    chosen = next((t for lang, t in texts if lang.startswith("en")), texts[0][1] if texts else "")
    return chosen.strip()


def _cwes(cna: Mapping[str, Any], path: _Path) -> tuple[str, ...]:
    found: list[str] = []
    for i, problem in enumerate(_list(cna, "problemTypes", path)):
        where = (*path, "problemTypes", i)
        for j, desc in enumerate(_list(_obj(problem, where), "descriptions", where)):
            cwe = _text(
                _obj(desc, (*where, "descriptions", j)), "cweId", (*where, "descriptions", j)
            )
            if cwe and cwe not in found:
                found.append(cwe)
    return tuple(found)


_METRIC_KEYS: Final = tuple(version.cve5_key for version in reversed(cvss.CvssVersion))


def _severities(cna: Mapping[str, Any], path: _Path) -> tuple[Severity, ...]:
    found: dict[str, Severity] = {}
    for i, metric in enumerate(_list(cna, "metrics", path)):
        where = (*path, "metrics", i)
        entry = _obj(metric, where)
        for key in _METRIC_KEYS:
            if key in entry:
                body = _obj(entry[key], (*where, key))
                vector = _text(body, "vectorString", (*where, key), required=True)
                try:
                    found.setdefault(vector, cvss.score(vector))
                except cvss.CvssError as exc:
                    raise Cve5Error(
                        exc.detail, path=json_path((*where, key, "vectorString"))
                    ) from None
    return tuple(found.values())


@dataclass
class _Interval:
    start: str
    end: str | None  # None: open ("*")
    inclusive: bool = False


def _affected(product: Mapping[str, Any], path: _Path) -> Affected | None:
    package = _package(product, path)
    repo = _text(product, "repo", path) or None
    exact: list[str] = []
    spans: dict[RangeType, list[_Interval]] = {}
    for i, item in enumerate(_list(product, "versions", path)):
        where = (*path, "versions", i)
        entry = _obj(item, where)
        version = _text(entry, "version", where, required=True)
        status = _text(entry, "status", where, required=True)
        upper = _text(entry, "lessThan", where) or _text(entry, "lessThanOrEqual", where)
        if not upper:
            if status == "affected":
                exact.append(version)
            continue
        version_type = _text(entry, "versionType", where)
        kind = {"git": RangeType.GIT, "semver": RangeType.SEMVER}.get(
            version_type, RangeType.ECOSYSTEM
        )
        if kind is RangeType.GIT and not repo:
            continue  # commits mean nothing without the repository
        inclusive = "lessThanOrEqual" in entry and "lessThan" not in entry
        spans.setdefault(kind, []).extend(
            _intervals(entry, version, status, upper, inclusive, where)
        )
    if _text(product, "defaultStatus", path) == "affected" and not spans and not exact:
        spans[RangeType.ECOSYSTEM] = [_Interval("0", None)]
    ranges = [r for kind, intervals in spans.items() for r in _ranges(kind, intervals, repo)]
    if not ranges and not exact:
        return None
    try:
        return Affected(package=package, ranges=tuple(ranges), versions=tuple(exact))
    except FormatError as exc:
        raise Cve5Error(exc.detail, path=json_path(path)) from None


def _intervals(
    entry: Mapping[str, Any], start: str, status: str, upper: str, inclusive: bool, path: _Path
) -> list[_Interval]:
    """The affected stretches of one version entry, following its ``changes``."""
    changes = []
    for j, change in enumerate(_list(entry, "changes", path)):
        c = _obj(change, (*path, "changes", j))
        changes.append(
            (
                _text(c, "at", (*path, "changes", j), required=True),
                _text(c, "status", (*path, "changes", j)),
            )
        )
    out: list[_Interval] = []
    current = _Interval(_lower(start), None) if status == "affected" else None
    for at, new_status in changes:  # CVE writes changes in version order
        if new_status == "affected" and current is None:
            current = _Interval(at, None)
        elif new_status != "affected" and current is not None:
            current.end = at
            out.append(current)
            current = None
    if current is not None:
        if upper != "*":
            current.end, current.inclusive = upper, inclusive
        out.append(current)
    return out


def _lower(version: str) -> str:
    return "0" if version in {"*", "0", "-"} else version


def _ranges(kind: RangeType, intervals: list[_Interval], repo: str | None) -> list[VersionRange]:
    # Exclusive intervals share one range (introduced/fixed pairs); an inclusive end is
    # a last_affected, which may not share a range with fixed events.
    repo = repo if kind is RangeType.GIT else None
    shared: list[RangeEvent] = []
    out: list[VersionRange] = []
    for span in intervals:
        events = [RangeEvent(EventKind.INTRODUCED, span.start)]
        if span.end is not None:
            end_kind = EventKind.LAST_AFFECTED if span.inclusive else EventKind.FIXED
            events.append(RangeEvent(end_kind, span.end))
        if span.inclusive:
            out.append(VersionRange(kind, tuple(events), repo))
        else:
            shared.extend(events)
    if shared:
        out.insert(0, VersionRange(kind, tuple(shared), repo))
    return out


def _package(product: Mapping[str, Any], path: _Path) -> Package:
    collection = _text(product, "collectionURL", path).rstrip("/").lower()
    name = _text(product, "packageName", path)
    ecosystem = next(
        (eco for url, eco in _ECOSYSTEM_BY_COLLECTION.items() if url.lower() == collection), None
    )
    if ecosystem and name:
        return Package(ecosystem, name)
    vendor = _text(product, "vendor", path)
    name = _text(product, "product", path) or name
    if not name:
        raise Cve5Error("a product needs 'product' or 'packageName'", path=json_path(path))
    namespace = vendor if vendor and vendor.lower() != "n/a" else None
    purl = PackageURL(type=GENERIC_ECOSYSTEM, namespace=namespace, name=name).to_string()
    return Package(GENERIC_ECOSYSTEM, name, purl)


def _reference(item: object, path: _Path) -> Reference:
    entry = _obj(item, path)
    tags = [t for t in _list(entry, "tags", path) if isinstance(t, str)]
    kind = next((_KIND_BY_TAG[t] for t in tags if t in _KIND_BY_TAG), ReferenceKind.WEB)
    return Reference(
        _text(entry, "url", path, required=True), kind, _text(entry, "name", path) or None
    )


def _credit(item: object, path: _Path) -> Credit:
    entry = _obj(item, path)
    kind = _text(entry, "type", path) or "finder"
    return Credit(_text(entry, "value", path, required=True), kind.upper().replace(" ", "_"))


def _remediations_of(cna: Mapping[str, Any], path: _Path) -> tuple[Remediation, ...]:
    out = []
    for key, category in (("solutions", "vendor_fix"), ("workarounds", "workaround")):
        for i, item in enumerate(_list(cna, key, path)):
            text = _text(_obj(item, (*path, key, i)), "value", (*path, key, i))
            if text:
                out.append(Remediation(category, text))
    return tuple(out)
