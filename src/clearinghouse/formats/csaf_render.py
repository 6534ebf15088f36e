"""Write a neutral :class:`Advisory` as a CSAF 2.0 document (security advisory or VEX).

Products: every package becomes a ``vendor -> product_name`` branch whose leaves are
single versions (``product_version``) or single OSV intervals written as ``vers:``
ranges (``product_version_range``); a statement about a package as a whole becomes an
entry of ``product_tree.full_product_names``. Product ids are hashes of what the product
is, so the same product keeps its id across renditions and revisions.

Statuses: OSV ``affected`` ranges give ``known_affected`` (and their fix versions
``fixed``); vendor :class:`ProductStatement` values override them. A statement with no
version covers the package's affected ranges in that vulnerability (or the package as a
whole when there are none); a version starting with ``vers:`` names a range.

What the mandatory tests ask for is always written, in both profiles: notes and ids for
every vulnerability, a remediation (action statement) for every ``known_affected``
product (``vendor_fix`` where a fix version is known, else ``none_available``), and an
impact statement (flag or ``impact`` threat) for every ``known_not_affected`` product.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from cvss import CVSS2, CVSS3
from cvss.exceptions import CVSSError
from packageurl import PackageURL

from clearinghouse import __version__
from clearinghouse.formats.csaf_vocab import (
    CSAF_ECOSYSTEM,
    CSAF_VERSION,
    CWE_NAMES,
    ECOSYSTEM_TO_PURL_TYPE,
    EXTRA_CATEGORY,
    EXTRA_CWE_NAMES,
    EXTRA_DOCUMENT_NOTES,
    EXTRA_SOURCE_LANG,
    GENERATOR_NAME,
    NO_FIX_TEXT,
    NOTE_NO_DESCRIPTION,
    NOTE_TITLE_CWES,
    NOTE_TITLE_DETAILS,
    NOTE_TITLE_SUMMARY,
    REFERENCE_SUMMARY,
    TLP_TEXT,
    TLP_TO_CSAF,
    TLP_URL,
    CsafCategory,
    CsafError,
    CsafProfile,
    digits_key,
    fix_text,
    product_id,
    prohibited_category,
    vers_scheme,
    vers_to_range,
)
from clearinghouse.formats.model import (
    Advisory,
    Affected,
    Credit,
    EventKind,
    Package,
    ProductStatus,
    RangeEvent,
    RangeType,
    Reference,
    Revision,
    Severity,
    VersionRange,
    Vulnerability,
)
from clearinghouse.timeutil import format_instant

Json = dict[str, Any]

REMEDIATION_CATEGORIES = frozenset(
    {"mitigation", "no_fix_planned", "none_available", "vendor_fix", "workaround"}
)
PUBLISHER_CATEGORIES = frozenset(
    {"coordinator", "discoverer", "other", "translator", "user", "vendor"}
)
_VERSION_T = re.compile(
    r"^(0|[1-9][0-9]*)\Z|^((0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?)\Z",
    re.ASCII,  # \d as in the schema (ECMA-262): 0-9 only
)
_CVE = re.compile(r"CVE-[0-9]{4}-[0-9]{4,}\Z")
_DIGIT_RUNS = re.compile(r"([0-9]+)")
_VERS_SAFE = "-._~+:"


@dataclass(frozen=True, slots=True)
class Interval:
    """One OSV interval: from ``lower`` (None: the beginning) to ``upper``."""

    lower: str | None
    upper: str | None
    upper_inclusive: bool = False  # True for last_affected

    def vers(self, scheme: str) -> str:
        parts = []
        if self.lower is not None:
            parts.append(">=" + quote(self.lower, safe=_VERS_SAFE))
        if self.upper is not None:
            op = "<=" if self.upper_inclusive else "<"
            parts.append(op + quote(self.upper, safe=_VERS_SAFE))
        return f"vers:{scheme}/" + ("|".join(parts) if parts else "*")

    @property
    def fixed(self) -> str | None:
        return None if self.upper_inclusive else self.upper


def intervals(version_range: VersionRange) -> list[Interval]:
    """Split an OSV range into intervals, reading events in their given order."""
    out: list[Interval] = []
    lower: str | None = None
    is_open = False
    for event in version_range.events:
        if event.kind is EventKind.INTRODUCED:
            if not is_open:
                lower = None if event.value == "0" else event.value
                is_open = True
        elif event.kind in (EventKind.FIXED, EventKind.LAST_AFFECTED) and is_open:
            inclusive = event.kind is EventKind.LAST_AFFECTED
            out.append(Interval(lower, event.value, inclusive))
            is_open = False
        # 'limit' bounds a GIT walk; it says nothing a vers range could carry.
    if is_open:
        out.append(Interval(lower, None))
    return out


def ranges_from_events(
    events: tuple[RangeEvent, ...], kind: RangeType = RangeType.ECOSYSTEM
) -> tuple[VersionRange, ...]:
    """One OSV range per interval (a vers range may mix ``<`` and ``<=`` bounds, which
    one OSV range may not)."""
    groups: list[list[RangeEvent]] = []
    for event in events:
        if event.kind is EventKind.INTRODUCED or not groups:
            groups.append([])
        groups[-1].append(event)
    return tuple(VersionRange(kind, tuple(g)) for g in groups)


@dataclass(frozen=True, slots=True)
class ProductKey:
    """What one CSAF product is: a package, at one version, in one range, or as a whole."""

    package: Package
    version: str | None = None
    vers: str | None = None

    @staticmethod
    def of(package: Package, *, version: str | None = None, vers: str | None = None) -> ProductKey:
        return ProductKey(package, version, vers)

    def sort_tuple(self) -> tuple[str, ...]:
        pkg = self.package
        return (pkg.ecosystem, pkg.name, pkg.purl or "", self.version or "", self.vers or "")

    @property
    def pid(self) -> str:
        kind, value = ("v", self.version) if self.version is not None else ("r", self.vers)
        pkg = self.package
        return product_id(pkg.ecosystem, pkg.name, pkg.purl or "", kind, value or "")


def _instant(value: datetime) -> str:
    return format_instant(value, micro=value.microsecond != 0)


def package_purl(package: Package, version: str | None = None) -> str | None:
    """The package's purl (built from ecosystem and name when it has none), at ``version``."""
    if package.purl:
        try:
            parsed = PackageURL.from_string(package.purl)
        except ValueError as exc:
            raise CsafError(f"package {package.name!r} has an invalid purl: {exc}") from exc
        as_dict = parsed.to_dict()
        as_dict["version"] = version if version is not None else parsed.version
        return str(PackageURL(**as_dict).to_string())
    purl_type = ECOSYSTEM_TO_PURL_TYPE.get(package.ecosystem)
    if purl_type is None:
        return None
    namespace: str | None = None
    name = package.name
    if purl_type == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif purl_type in ("npm", "golang", "composer", "swift", "github") and "/" in name:
        namespace, name = name.rsplit("/", 1)
    return str(PackageURL(type=purl_type, namespace=namespace, name=name, version=version))


def _default_vendor(package: Package) -> str:
    if package.ecosystem == CSAF_ECOSYSTEM:
        return "Unknown vendor"
    purl = package_purl(package)
    if purl:
        namespace = PackageURL.from_string(purl).namespace
        if namespace:
            return str(namespace)
    return package.ecosystem


@dataclass
class VulnProducts:
    """The products one vulnerability speaks about, with what it says of each."""

    status: dict[ProductKey, ProductStatus] = field(default_factory=dict)
    justification: dict[ProductKey, str] = field(default_factory=dict)
    impact: dict[ProductKey, str] = field(default_factory=dict)
    fix: dict[ProductKey, str] = field(default_factory=dict)


def _statement_targets(
    vers: str | None, package: Package, affected_keys: Mapping[Package, list[ProductKey]]
) -> list[ProductKey]:
    if vers is None:
        return list(affected_keys.get(package, ())) or [ProductKey.of(package)]
    parsed = vers_to_range(vers)
    if parsed is None:
        raise CsafError(f"statement version {vers!r} is not a vers range Clearinghouse can write")
    events, exact = parsed
    keys = [ProductKey.of(package, version=v) for v in exact]
    for rng in ranges_from_events(events):
        keys += [ProductKey.of(package, vers=i.vers(vers_scheme(package))) for i in intervals(rng)]
    return keys


def collect_products(vuln: Vulnerability) -> VulnProducts:
    """Resolve a vulnerability's affected ranges and statements to per-product facts.

    Shared with the CycloneDX VEX renderer so that both VEX forms say the same thing.
    """
    out = VulnProducts()
    affected_keys: dict[Package, list[ProductKey]] = {}
    interval_fixes: list[tuple[ProductKey, str]] = []
    for affected in vuln.affected:
        keys = _affected_keys(affected, interval_fixes)
        affected_keys.setdefault(affected.package, []).extend(keys)
        for key in keys:
            out.status[key] = ProductStatus.AFFECTED
    fixed_versions: list[ProductKey] = []
    for key, version in interval_fixes:
        out.fix[key] = version
        fixed_versions.append(ProductKey.of(key.package, version=version))

    stated: dict[ProductKey, ProductStatus] = {}
    for st in vuln.statements:
        if st.version is not None and not st.version.startswith("vers:"):
            targets = [ProductKey.of(st.package, version=st.version)]
        elif st.status is ProductStatus.FIXED and st.version is None:
            targets = [ProductKey.of(st.package, version=st.fixed_version)]
        else:
            targets = _statement_targets(st.version, st.package, affected_keys)
        for key in targets:
            _check_consistent(vuln, key, stated.setdefault(key, st.status), st.status)
            out.status[key] = st.status
            if st.justification is not None:
                out.justification[key] = st.justification.value
            if st.statement:
                out.impact[key] = st.statement
            if st.fixed_version and st.status is ProductStatus.AFFECTED:
                # An interval's own fix is more precise than the vendor's general advice.
                out.fix.setdefault(key, st.fixed_version)
        if st.fixed_version and st.status is ProductStatus.AFFECTED:
            fixed_versions.append(ProductKey.of(st.package, version=st.fixed_version))
    for key in fixed_versions:
        out.status.setdefault(key, ProductStatus.FIXED)
    return out


def _check_consistent(
    vuln: Vulnerability, key: ProductKey, earlier: ProductStatus, status: ProductStatus
) -> None:
    """Two statements giving one product two statuses cannot both be written (CSAF test
    6.1.6), and dropping one would be silent: refuse."""
    if earlier is not status:
        product = " ".join(p for p in (key.package.name, key.version or key.vers) if p)
        raise CsafError(
            f"{product} is stated both {earlier.value} and {status.value} in {vuln.id}; "
            "CSAF cannot say both (test 6.1.6)"
        )


def _affected_keys(affected: Affected, fixes: list[tuple[ProductKey, str]]) -> list[ProductKey]:
    package = affected.package
    keys: list[ProductKey] = []
    for rng in affected.ranges:
        if rng.type is RangeType.GIT:
            continue  # commit ranges have no CSAF product form
        for interval in intervals(rng):
            key = ProductKey.of(package, vers=interval.vers(vers_scheme(package)))
            keys.append(key)
            if interval.fixed is not None:
                fixes.append((key, interval.fixed))
    if not keys:
        keys = [ProductKey.of(package, version=v) for v in affected.versions]
    return keys or [ProductKey.of(package)]


def _product_tree(keys: Iterable[ProductKey], vendors: Mapping[Package, str]) -> Json:
    by_vendor: dict[str, dict[Package, list[ProductKey]]] = {}
    whole: list[ProductKey] = []
    for key in sorted(set(keys), key=ProductKey.sort_tuple):
        if key.version is None and key.vers is None:
            whole.append(key)
            continue
        vendor = vendors.get(key.package) or _default_vendor(key.package)
        by_vendor.setdefault(vendor, {}).setdefault(key.package, []).append(key)
    tree: Json = {}
    branches = []
    for vendor in sorted(by_vendor):
        packages = by_vendor[vendor]
        product_branches = []
        for package in sorted(packages, key=lambda p: (p.name, p.ecosystem, p.purl or "")):
            leaves = [_leaf(key) for key in packages[package]]
            leaves.sort(key=lambda b: (b["category"], _natural(b["name"])))
            product_branches.append(
                {"category": "product_name", "name": package.name, "branches": leaves}
            )
        branches.append({"category": "vendor", "name": vendor, "branches": product_branches})
    if branches:
        tree["branches"] = branches
    if whole:
        tree["full_product_names"] = [_full_product_name(k, k.package.name) for k in whole]
    return tree


def _natural(text: str) -> tuple[tuple[int, tuple[int, str], str], ...]:
    """Sort key that puts 2.3.1 before 2.12.2 (runs of ASCII digits compare as numbers,
    of any length: :func:`digits_key`)."""
    return tuple(
        (0, digits_key(part), "") if part.isascii() and part.isdigit() else (1, (0, ""), part)
        for part in _DIGIT_RUNS.split(text)
        if part
    )


def _leaf(key: ProductKey) -> Json:
    if key.version is not None:
        name = f"{key.package.name} {key.version}"
        return {
            "category": "product_version",
            "name": key.version,
            "product": _full_product_name(key, name),
        }
    if key.vers is None:  # pragma: no cover - whole packages are not leaves
        raise CsafError("internal: a package-level product cannot be a branch leaf")
    return {
        "category": "product_version_range",
        "name": key.vers,
        "product": _full_product_name(key, f"{key.package.name} {key.vers}"),
    }


def _full_product_name(key: ProductKey, name: str) -> Json:
    product: Json = {"name": name, "product_id": key.pid}
    purl = package_purl(key.package, key.version)
    if purl:
        product["product_identification_helper"] = {"purl": purl}
    return product


_STATUS_KEY = {
    ProductStatus.AFFECTED: "known_affected",
    ProductStatus.NOT_AFFECTED: "known_not_affected",
    ProductStatus.FIXED: "fixed",
    ProductStatus.UNDER_INVESTIGATION: "under_investigation",
}


def _grouped(mapping: Mapping[ProductKey, str]) -> list[tuple[str, list[str]]]:
    groups: dict[str, set[str]] = {}
    for key, value in mapping.items():
        groups.setdefault(value, set()).add(key.pid)
    return [(value, sorted(pids)) for value, pids in sorted(groups.items())]


def _scores(severities: Iterable[Severity], products: list[str]) -> list[Json]:
    """One CVSS object per CSAF key (test 6.1.7), computed here, never copied."""
    score: Json = {}
    for sev in severities:
        vector = sev.vector.strip()
        try:
            if vector.startswith(("CVSS:3.0/", "CVSS:3.1/")) and "cvss_v3" not in score:
                score["cvss_v3"] = CVSS3(vector).as_json(minimal=True)
            elif sev.type == "CVSS_V2" and "cvss_v2" not in score:
                score["cvss_v2"] = CVSS2(vector).as_json(minimal=True)
        except CVSSError as exc:
            raise CsafError(f"severity vector {vector!r} is not valid CVSS: {exc}") from exc
        # CVSS v4 and other systems have no place in CSAF 2.0.
    if not score or not products:
        return []
    score["products"] = products
    return [score]


def _remediations(vuln: Vulnerability, products: VulnProducts) -> list[Json]:
    affected = sorted(k.pid for k, s in products.status.items() if s is ProductStatus.AFFECTED)
    everything = sorted({k.pid for k in products.status})
    merged: dict[tuple[str, str, str | None], set[str]] = {}
    for key, version in products.fix.items():
        if products.status.get(key) is ProductStatus.AFFECTED:
            merged.setdefault(("vendor_fix", fix_text(key.package, version), None), set()).add(
                key.pid
            )
    for rem in vuln.remediations:
        if rem.category not in REMEDIATION_CATEGORIES:
            raise CsafError(f"remediation category {rem.category!r} is not a CSAF 2.0 category")
        details = rem.details.strip() or rem.category.replace("_", " ").capitalize() + "."
        missing = [v for v in rem.fixed_versions if v not in details]
        if missing:
            details += " Fixed versions: " + ", ".join(missing) + "."
        scope = affected or everything
        merged.setdefault((rem.category, details, rem.url), set()).update(scope)
    covered = set().union(*merged.values()) if merged else set()
    uncovered = [pid for pid in affected if pid not in covered]
    if uncovered:
        merged.setdefault(("none_available", NO_FIX_TEXT, None), set()).update(uncovered)
    out = []
    for (category, details, url), pids in sorted(merged.items(), key=lambda i: (i[0][0], i[0][1])):
        rem_json: Json = {"category": category, "details": details, "product_ids": sorted(pids)}
        if url:
            rem_json["url"] = url
        out.append(rem_json)
    return out


def _reference(ref: Reference) -> Json:
    return {
        "category": "external",
        "summary": ref.summary or REFERENCE_SUMMARY[ref.kind],
        "url": ref.url,
    }


def _acknowledgment(credit: Credit) -> Json:
    ack: Json = {"names": [credit.name], "summary": credit.kind.lower().replace("_", " ")}
    urls = [c for c in credit.contact if c.startswith(("http://", "https://", "mailto:"))]
    if urls:
        ack["urls"] = urls
    return ack


def _cwe_names(advisory: Advisory) -> dict[str, str]:
    names = dict(CWE_NAMES)
    extra = advisory.extra.get(EXTRA_CWE_NAMES)
    if isinstance(extra, Mapping):
        names.update({str(k): str(v) for k, v in extra.items() if v})
    return names


def _vulnerability(
    vuln: Vulnerability, products: VulnProducts, cwe_names: Mapping[str, str]
) -> Json:
    """One entry of ``vulnerabilities``: who it is, what it is, which products it concerns
    and what to do about it."""
    out: Json = {**_identity(vuln), **_description(vuln, cwe_names)}
    out.update(_product_facts(products))
    remediations = _remediations(vuln, products)
    if remediations:
        out["remediations"] = remediations
    scores = _scores(vuln.severity, _affected_pids(products))
    if scores:
        out["scores"] = scores
    if vuln.references:
        out["references"] = [_reference(r) for r in vuln.references]
    if vuln.credits:
        out["acknowledgments"] = [_acknowledgment(c) for c in vuln.credits]
    return out


def _identity(vuln: Vulnerability) -> Json:
    """``cve`` (the CVE field, else a CVE-shaped id or alias) and ``ids`` (the others)."""
    out: Json = {}
    cve = vuln.cve or next((a for a in (vuln.id, *vuln.aliases) if _CVE.match(a)), None)
    if cve is not None:
        if not _CVE.match(cve):
            raise CsafError(f"{cve!r} is not a CVE id")
        out["cve"] = cve
    ids = [i for i in dict.fromkeys((vuln.id, *vuln.aliases)) if i != cve and not _CVE.match(i)]
    if ids:
        out["ids"] = [{"system_name": _system_name(i), "text": i} for i in ids]
    return out


def _description(vuln: Vulnerability, cwe_names: Mapping[str, str]) -> Json:
    """``cwe`` (the first weakness with a known name), ``notes``, ``title``, ``release_date``."""
    out: Json = {}
    named = [c for c in vuln.cwes if c in cwe_names]
    if named:
        out["cwe"] = {"id": named[0], "name": cwe_names[named[0]]}
    notes = []
    if vuln.summary:
        notes.append({"category": "summary", "text": vuln.summary, "title": NOTE_TITLE_SUMMARY})
    if vuln.details:
        notes.append({"category": "description", "text": vuln.details, "title": NOTE_TITLE_DETAILS})
    rest = [c for c in vuln.cwes if not named or c != named[0]]
    if rest:
        notes.append({"category": "other", "text": ", ".join(rest), "title": NOTE_TITLE_CWES})
    if not (vuln.summary or vuln.details):
        notes.append({"category": "description", "text": NOTE_NO_DESCRIPTION})
    out["notes"] = notes
    if vuln.summary:
        out["title"] = vuln.summary.splitlines()[0][:200]
    if vuln.published is not None:
        out["release_date"] = _instant(vuln.published)
    return out


def _affected_pids(products: VulnProducts) -> list[str]:
    return sorted(k.pid for k, s in products.status.items() if s is ProductStatus.AFFECTED)


def _product_facts(products: VulnProducts) -> Json:
    """``product_status`` and the impact statements: ``flags`` (justifications of the
    not-affected products) and ``threats`` (each statement's text)."""
    out: Json = {}
    status: dict[str, list[str]] = {}
    for key, value in products.status.items():
        status.setdefault(_STATUS_KEY[value], []).append(key.pid)
    if status:
        out["product_status"] = {k: sorted(v) for k, v in sorted(status.items())}
    not_affected = {k for k, s in products.status.items() if s is ProductStatus.NOT_AFFECTED}
    flags = _grouped({k: v for k, v in products.justification.items() if k in not_affected})
    if flags:
        out["flags"] = [{"label": label, "product_ids": pids} for label, pids in flags]
    threats = _grouped({k: v for k, v in products.impact.items() if k in products.status})
    if threats:
        out["threats"] = [
            {"category": "impact", "details": text, "product_ids": pids} for text, pids in threats
        ]
    return out


def _system_name(identifier: str) -> str:
    prefix = identifier.split("-", 1)[0]
    return prefix if prefix.isalpha() and prefix != identifier else "Clearinghouse"


def _document_notes(advisory: Advisory) -> list[Json]:
    notes: list[Json] = []
    if advisory.summary:
        notes.append({"category": "summary", "text": advisory.summary, "title": NOTE_TITLE_SUMMARY})
    extra = advisory.extra.get(EXTRA_DOCUMENT_NOTES)
    if isinstance(extra, list):
        for note in extra:
            if isinstance(note, Mapping) and note.get("category") and note.get("text"):
                notes.append(
                    {
                        k: str(v)
                        for k, v in note.items()
                        if k in ("audience", "category", "text", "title")
                    }
                )
    return notes


def _revision_order(revision: Revision) -> tuple[datetime, tuple[tuple[int, str], ...]]:
    """By date, then by number (two revisions of one instant: the higher number is later;
    numbers of any length, :func:`digits_key`)."""
    release = revision.number.split("+", 1)[0]
    core, _, pre = release.partition("-")
    numbers = tuple(digits_key(p) for p in core.split(".") if p.isascii() and p.isdigit())
    return revision.date, (*numbers, digits_key("0" if pre else "1"))


def _tracking(advisory: Advisory, generated_at: datetime | None) -> Json:
    revisions = sorted(advisory.revisions, key=_revision_order)
    history = [
        {"date": _instant(r.date), "number": r.number, "summary": r.summary or "Revised."}
        for r in revisions
    ] or [
        {"date": _instant(advisory.initial_release), "number": "1", "summary": "Initial version."}
    ]
    for entry in history:
        if not _VERSION_T.match(entry["number"]):
            raise CsafError(
                f"revision number {entry['number']!r} is neither an integer nor a semantic version"
            )
    if advisory.status not in ("draft", "interim", "final"):
        raise CsafError(f"tracking status {advisory.status!r} is not draft, interim or final")
    engine = {"name": GENERATOR_NAME, "version": __version__}
    generator: Json = {"engine": engine}
    if generated_at is not None:
        generator["date"] = _instant(generated_at)
    return {
        "current_release_date": _instant(advisory.current_release),
        "generator": generator,
        "id": advisory.id,
        "initial_release_date": _instant(advisory.initial_release),
        "revision_history": history,
        "status": advisory.status,
        "version": history[-1]["number"],
    }


def model_to_csaf(
    advisory: Advisory,
    *,
    profile: CsafProfile | str = CsafProfile.SECURITY_ADVISORY,
    generated_at: datetime | None = None,
) -> Json:
    """Render ``advisory`` as a CSAF 2.0 document of the given profile.

    ``profile`` is one of the two profiles the platform publishes, or any document
    category (an imported document is rendered back under its own: see
    :func:`document_category`); a category that is not a profile's follows csaf_base.
    ``generated_at`` fills ``tracking.generator.date`` (left out when None, so that a
    rendition is a pure function of the advisory). Raises :class:`CsafError` when the
    advisory holds something the profile cannot carry (an invalid CVSS vector or purl,
    no vulnerability or a vulnerability with no product in a security advisory or VEX,
    a vulnerability in an informational advisory, a revision number that is not a
    version).
    """
    category = _category(str(profile))
    rules = CsafCategory.of(category)
    if advisory.publisher.category not in PUBLISHER_CATEGORIES:
        raise CsafError(f"publisher category {advisory.publisher.category!r} is not CSAF's")
    collected = [(v, collect_products(v)) for v in advisory.vulnerabilities]
    _check_profile(collected, rules)
    vendors: dict[Package, str] = {}
    for vuln in advisory.vulnerabilities:
        for st in vuln.statements:
            if st.vendor:
                vendors.setdefault(st.package, st.vendor)
    out: Json = {"document": _document(advisory, category, generated_at)}
    tree = _product_tree([key for _, products in collected for key in products.status], vendors)
    if tree or rules.needs_products:
        out["product_tree"] = tree
    if collected:
        cwe_names = _cwe_names(advisory)
        out["vulnerabilities"] = [_vulnerability(v, p, cwe_names) for v, p in collected]
    return out


def document_category(advisory: Advisory) -> str | None:
    """The category of the CSAF document an advisory was imported from (None otherwise)."""
    category = advisory.extra.get(EXTRA_CATEGORY)
    return category if isinstance(category, str) and category else None


def _category(category: str) -> str:
    if not category.strip():
        raise CsafError("a CSAF document category must not be empty")
    reason = prohibited_category(category)
    if reason is not None:
        raise CsafError(f"unknown CSAF profile: {reason}")
    return category


def _check_profile(
    collected: list[tuple[Vulnerability, VulnProducts]], rules: CsafCategory
) -> None:
    if rules is CsafCategory.INFORMATIONAL_ADVISORY and collected:
        raise CsafError("an informational advisory has no vulnerabilities (CSAF 6.1.27.3)")
    if not rules.needs_products:
        return
    if not collected:
        raise CsafError(f"a {rules.value} document needs at least one vulnerability")
    for vuln, products in collected:
        if not products.status:
            raise CsafError(f"vulnerability {vuln.id} names no product; CSAF needs at least one")


def _document(advisory: Advisory, category: str, generated_at: datetime | None) -> Json:
    publisher: Json = {
        "category": advisory.publisher.category,
        "name": advisory.publisher.name,
        "namespace": advisory.publisher.namespace,
    }
    if advisory.publisher.contact:
        publisher["contact_details"] = advisory.publisher.contact
    distribution: Json = {"tlp": {"label": TLP_TO_CSAF[advisory.tlp], "url": TLP_URL}}
    if advisory.tlp in TLP_TEXT:
        distribution["text"] = TLP_TEXT[advisory.tlp]
    document: Json = {
        "category": category,
        "csaf_version": CSAF_VERSION,
        "distribution": distribution,
        "lang": advisory.lang,
        "publisher": publisher,
        "title": advisory.title,
        "tracking": _tracking(advisory, generated_at),
    }
    source_lang = advisory.extra.get(EXTRA_SOURCE_LANG)
    if isinstance(source_lang, str) and source_lang:
        document["source_lang"] = source_lang
    notes = _document_notes(advisory)
    if notes:
        document["notes"] = notes
    if advisory.references:
        document["references"] = [_reference(r) for r in advisory.references]
    return document
