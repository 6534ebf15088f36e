"""Read a CSAF 2.0 document into the neutral :class:`Advisory` (import).

Input is attacker-controlled: size, nesting depth and counts are bounded before any
work, the schema is checked (by default), and every failure, whatever its cause, is
one :class:`CsafError` whose message says what is wrong.

Products become packages: through their package URL when they carry one (Maven, PyPI,
npm...), else a package of the synthetic ecosystem ``csaf`` named after the product.
A ``product_version`` gives the statement's version, a readable ``vers:`` range gives a
version of the form ``vers:...`` (and, for affected products, an OSV range). Two CSAF
products never collapse into one package/version: on a clash the later one is kept
apart under its full product name.

Lost on import (the neutral model has no place for them): product groups as such, the
product scope of free-text remediations (they apply to every affected product), threats
other than impact statements, ``recommended`` status, scores beyond the first per CVSS
version, per-product score scoping, involvements, document acknowledgments.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from packageurl import PackageURL

from clearinghouse.formats.csaf_render import ranges_from_events
from clearinghouse.formats.csaf_validate import (
    CsafFinding,
    check_csaf_mandatory,
    validate_csaf_schema,
)
from clearinghouse.formats.csaf_vocab import (
    AMBER_STRICT_MARK,
    CREDIT_KINDS,
    CSAF_ECOSYSTEM,
    CSAF_TO_TLP,
    EXTRA_CATEGORY,
    EXTRA_CWE_NAMES,
    EXTRA_DOCUMENT_NOTES,
    EXTRA_FINDINGS,
    EXTRA_SOURCE_LANG,
    EXTRA_TLP_MISSING,
    NO_FIX_TEXT,
    NOT_AFFECTED_WITHOUT_REASON,
    NOTE_NO_DESCRIPTION,
    NOTE_TITLE_CWES,
    PURL_TYPE_TO_ECOSYSTEM,
    SUMMARY_REFERENCE,
    CsafError,
    OnFindings,
    vers_to_range,
)
from clearinghouse.formats.model import (
    Advisory,
    Affected,
    Credit,
    FormatError,
    Justification,
    Package,
    ProductStatement,
    ProductStatus,
    Publisher,
    RangeType,
    Reference,
    ReferenceKind,
    Remediation,
    Revision,
    Severity,
    Tlp,
    Vulnerability,
)
from clearinghouse.timeutil import InstantOutOfRange, parse_instant

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CsafLimits:
    """Bounds on an imported document; the defaults hold every real advisory seen."""

    max_bytes: int = 32 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 2_000_000
    max_products: int = 100_000
    max_vulnerabilities: int = 10_000
    # characters of /document/tracking/version and of each revision number (the longest
    # in the OASIS corpus has 21; an import keeps the version as the source's revision,
    # at most 100 characters)
    max_version_length: int = 100


DEFAULT_LIMITS = CsafLimits()

_STATUS_ORDER: tuple[tuple[str, ProductStatus], ...] = (
    ("known_affected", ProductStatus.AFFECTED),
    ("first_affected", ProductStatus.AFFECTED),
    ("last_affected", ProductStatus.AFFECTED),
    ("known_not_affected", ProductStatus.NOT_AFFECTED),
    ("fixed", ProductStatus.FIXED),
    ("first_fixed", ProductStatus.FIXED),
    ("under_investigation", ProductStatus.UNDER_INVESTIGATION),
)
_FIX_TEXT = re.compile(r"Update (?P<name>.+) to version (?P<version>.+) or later\.\Z")
_CWE = re.compile(r"CWE-[0-9]+")


def parse_csaf_json(
    data: bytes | str,
    *,
    limits: CsafLimits = DEFAULT_LIMITS,
    check_schema: bool = True,
    default_tlp: Tlp = Tlp.AMBER,
    on_findings: OnFindings = OnFindings.REFUSE,
) -> Advisory:
    """Parse CSAF JSON text; refuses input over ``limits.max_bytes`` before reading it."""
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise CsafError(f"document is {size} bytes; the limit is {limits.max_bytes}")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise CsafError(f"document is not JSON: {exc}") from exc
    return parse_csaf(
        doc,
        limits=limits,
        check_schema=check_schema,
        default_tlp=default_tlp,
        on_findings=on_findings,
    )


def parse_csaf(
    doc: Any,
    *,
    limits: CsafLimits = DEFAULT_LIMITS,
    check_schema: bool = True,
    default_tlp: Tlp = Tlp.AMBER,
    on_findings: OnFindings = OnFindings.REFUSE,
) -> Advisory:
    """Map a CSAF 2.0 document (parsed JSON) to an :class:`Advisory`.

    ``default_tlp`` is used when the document has no TLP label (a missing label is
    never read as CLEAR); ``advisory.extra["csaf_tlp_missing"]`` then says so.

    The mandatory tests of ``check_csaf_mandatory`` always run: a document failing one is
    a :class:`CsafError` naming the tests, unless ``on_findings`` is ``RECORD``, which
    imports it with the findings in ``advisory.extra["csaf_findings"]``.
    """
    _check_limits(doc, limits)
    _check_versions(doc, limits)
    if check_schema:
        findings = validate_csaf_schema(doc)
        if findings:
            shown = "; ".join(f"{f.path or '/'}: {f.message}" for f in findings[:3])
            raise CsafError(
                f"not a valid CSAF 2.0 document ({len(findings)} schema errors): {shown}",
                findings=[_finding_json(f) for f in findings[:50]],
            )
    failed = check_csaf_mandatory(doc)
    if failed and on_findings is OnFindings.REFUSE:
        raise _mandatory_error(failed)
    try:
        advisory = _Reader(doc, limits, default_tlp).advisory()
        if failed:
            advisory.extra[EXTRA_FINDINGS] = [_finding_json(f) for f in failed[:50]]
        return advisory
    except CsafError:
        raise
    except FormatError as exc:  # a model invariant the document breaks
        raise CsafError(f"document cannot be represented: {exc.detail}") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CsafError(f"document has an unexpected shape: {exc!r}") from exc


def _finding_json(finding: CsafFinding) -> dict[str, str]:
    return {"test": finding.test, "path": finding.path, "message": finding.message}


def _mandatory_error(findings: tuple[CsafFinding, ...]) -> CsafError:
    tests = ", ".join(dict.fromkeys(f.test for f in findings))
    shown = "; ".join(f"{f.test} {f.path or '/'}: {f.message}" for f in findings[:3])
    return CsafError(
        f"fails CSAF mandatory test(s) {tests}: {shown}",
        findings=[_finding_json(f) for f in findings[:50]],
    )


def _check_limits(doc: Any, limits: CsafLimits) -> None:
    nodes = 0
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            raise CsafError(f"document has more than {limits.max_nodes} JSON values")
        if depth > limits.max_depth:
            raise CsafError(f"document is nested deeper than {limits.max_depth} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    if not isinstance(doc, dict):
        raise CsafError("a CSAF document is a JSON object")


def _check_versions(doc: Json, limits: CsafLimits) -> None:
    """Refuse a tracking version or revision number over ``limits.max_version_length``
    characters, naming it (the schema bounds neither: ``1`` and 5,000 zeros is a valid
    integer version)."""
    document = doc.get("document")
    tracking = document.get("tracking") if isinstance(document, dict) else None
    if not isinstance(tracking, dict):
        return
    located = [("/document/tracking/version", tracking.get("version"))]
    history = tracking.get("revision_history")
    if isinstance(history, list):
        located += [
            (f"/document/tracking/revision_history/{i}/number", revision.get("number"))
            for i, revision in enumerate(history)
            if isinstance(revision, dict)
        ]
    limit = limits.max_version_length
    for path, value in located:
        if isinstance(value, str) and len(value) > limit:
            raise CsafError(
                f"{path}: a version of {len(value)} characters; the limit is {limit}", path=path
            )


@dataclass(frozen=True, slots=True)
class _ProductInfo:
    """What the product tree says about one product id."""

    name: str
    purl: str | None = None
    vendor: str | None = None
    product_name: str | None = None
    version: str | None = None
    vers: str | None = None


def _obj(value: Any, what: str) -> Json:
    if not isinstance(value, dict):
        raise CsafError(f"{what} must be an object")
    return value


def _objs(value: Any) -> Iterator[Json]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, dict))


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise CsafError(f"{what} must be a non-empty string")
    return value


def _opt_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _instant(value: Any, what: str) -> Any:
    try:
        return parse_instant(_text(value, what))
    except InstantOutOfRange as exc:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise CsafError(f"{what} is beyond the dates UTC can hold: {value!r}") from exc
    except ValueError as exc:
        raise CsafError(f"{what} is not an RFC 3339 date-time: {value!r}") from exc


class _Reader:
    def __init__(self, doc: Json, limits: CsafLimits, default_tlp: Tlp) -> None:
        self.doc = doc
        self.limits = limits
        self.default_tlp = default_tlp
        self.document = _obj(doc.get("document"), "document")
        self.extra: dict[str, object] = {}
        self.cwe_names: dict[str, str] = {}
        self.products = self._product_infos()
        self.groups = {
            g["group_id"]: [p for p in g.get("product_ids", []) if isinstance(p, str)]
            for g in _objs(_obj(doc.get("product_tree", {}), "product_tree").get("product_groups"))
            if isinstance(g.get("group_id"), str)
        }
        self.keys: dict[str, tuple[Package, str | None]] = {}
        self.vulnerability_ids: set[str] = set()

    # ------------------------------------------------------------------ products

    def _product_infos(self) -> dict[str, _ProductInfo]:
        tree = _obj(self.doc.get("product_tree", {}), "product_tree")
        found: dict[str, _ProductInfo] = {}

        def add(product: Json, **context: str | None) -> None:
            pid = _text(product.get("product_id"), "product_id")
            if pid in found:
                raise CsafError(f"product id {pid!r} is defined more than once (CSAF 6.1.2)")
            if len(found) >= self.limits.max_products:
                raise CsafError(f"document defines more than {self.limits.max_products} products")
            helper = product.get("product_identification_helper")
            purl = _opt_text(helper.get("purl")) if isinstance(helper, dict) else None
            context.setdefault("purl", purl)
            found[pid] = _ProductInfo(name=_text(product.get("name"), "product name"), **context)

        stack: list[tuple[Any, dict[str, str]]] = [(tree.get("branches"), {})]
        while stack:
            branches, context = stack.pop()
            for branch in _objs(branches):
                inner = dict(context)
                category, name = branch.get("category"), branch.get("name")
                if isinstance(category, str) and isinstance(name, str):
                    inner[category] = name
                if isinstance(branch.get("product"), dict):
                    add(
                        branch["product"],
                        vendor=inner.get("vendor"),
                        product_name=inner.get("product_name"),
                        version=inner.get("product_version"),
                        vers=inner.get("product_version_range"),
                    )
                stack.append((branch.get("branches"), inner))
        for product in _objs(tree.get("full_product_names")):
            add(product)
        for rel in _objs(tree.get("relationships")):
            component = found.get(str(rel.get("product_reference")))
            add(
                _obj(rel.get("full_product_name"), "relationship product"),
                purl=component.purl if component else None,
            )
        return found

    def _assign_keys(self, referenced: list[str]) -> None:
        """Give every referenced product a distinct (package, version-or-range) key."""
        used: set[tuple[Package, str | None]] = set()
        versioned: set[Package] = set()
        whole: list[str] = []
        for pid in dict.fromkeys(referenced):
            info = self.products.get(pid)
            if info is None:
                raise CsafError(f"product id {pid!r} is referenced but not defined (CSAF 6.1.1)")
            package, spec = _candidate(info)
            if spec is None:
                whole.append(pid)
                continue
            if (package, spec) in used:
                package, spec = Package(CSAF_ECOSYSTEM, f"{info.name} [{pid}]"), None
                whole.append(pid)
                self.keys[pid] = (package, None)
                continue
            used.add((package, spec))
            versioned.add(package)
            self.keys[pid] = (package, spec)
        names: set[Package] = set()
        for pid in whole:
            if pid in self.keys:
                package = self.keys[pid][0]
            else:
                package, _ = _candidate(self.products[pid])
            if package in versioned or package in names:
                package = Package(CSAF_ECOSYSTEM, self.products[pid].name)
                if package in versioned or package in names:
                    package = Package(CSAF_ECOSYSTEM, f"{self.products[pid].name} [{pid}]")
            names.add(package)
            self.keys[pid] = (package, None)

    def _expand(self, item: Json) -> list[str]:
        pids = [p for p in item.get("product_ids", []) if isinstance(p, str)]
        for gid in item.get("group_ids", []) if isinstance(item.get("group_ids"), list) else []:
            pids.extend(self.groups.get(gid, []))
        return pids

    # ------------------------------------------------------------------ document

    def advisory(self) -> Advisory:
        doc, document = self.doc, self.document
        vulns = doc.get("vulnerabilities", [])
        if not isinstance(vulns, list):
            raise CsafError("vulnerabilities must be a list")
        self.extra[EXTRA_CATEGORY] = _text(document.get("category"), "document.category")
        source_lang = _opt_text(document.get("source_lang"))
        if source_lang is not None:
            self.extra[EXTRA_SOURCE_LANG] = source_lang
        if len(vulns) > self.limits.max_vulnerabilities:
            raise CsafError(f"more than {self.limits.max_vulnerabilities} vulnerabilities")
        referenced = [
            pid
            for vuln in _objs(vulns)
            for key, _ in _STATUS_ORDER
            for pid in _obj(vuln.get("product_status", {}), "product_status").get(key, [])
            if isinstance(pid, str)
        ]
        self._assign_keys(referenced)
        tracking = _obj(document.get("tracking"), "document.tracking")
        publisher = _obj(document.get("publisher"), "document.publisher")
        revisions = tuple(
            Revision(
                number=_text(r.get("number"), "revision number"),
                date=_instant(r.get("date"), "revision date"),
                summary=_text(r.get("summary"), "revision summary"),
            )
            for r in _objs(tracking.get("revision_history"))
        )
        summary, other_notes = "", []
        for note in _objs(document.get("notes")):
            if note.get("category") == "summary" and not summary and note.get("text"):
                summary = str(note["text"])
            else:
                other_notes.append({k: v for k, v in note.items() if isinstance(v, str)})
        if other_notes:
            self.extra[EXTRA_DOCUMENT_NOTES] = other_notes
        refs = list(_objs(document.get("references")))
        source = next((r.get("url") for r in refs if r.get("category") == "self"), None)
        return Advisory(
            id=_text(tracking.get("id"), "document.tracking.id"),
            title=_text(document.get("title"), "document.title"),
            publisher=Publisher(
                name=_text(publisher.get("name"), "publisher name"),
                namespace=_text(publisher.get("namespace"), "publisher namespace"),
                category=_text(publisher.get("category"), "publisher category"),
                contact=_opt_text(publisher.get("contact_details")),
            ),
            tlp=self._tlp(),
            initial_release=_instant(tracking.get("initial_release_date"), "initial_release_date"),
            current_release=_instant(tracking.get("current_release_date"), "current_release_date"),
            vulnerabilities=tuple(
                self._vulnerability(v, i) for i, v in enumerate(vulns) if isinstance(v, dict)
            ),
            summary=summary,
            status=_text(tracking.get("status"), "tracking status"),
            revisions=revisions,
            references=tuple(_reference(r) for r in refs),
            lang=_opt_text(document.get("lang")) or "en",
            source=source if isinstance(source, str) else None,
            extra=self.extra,
        )

    def _tlp(self) -> Tlp:
        distribution = self.document.get("distribution")
        if not isinstance(distribution, dict):
            distribution = {}
        tlp = distribution.get("tlp")
        label = tlp.get("label") if isinstance(tlp, dict) else None
        if not isinstance(label, str) or label not in CSAF_TO_TLP:
            self.extra[EXTRA_TLP_MISSING] = True
            return self.default_tlp
        text = distribution.get("text")
        if label == "AMBER" and isinstance(text, str) and AMBER_STRICT_MARK in text:
            return Tlp.AMBER_STRICT
        return CSAF_TO_TLP[label]

    # ------------------------------------------------------------------ vulnerability

    def _vulnerability(self, vuln: Json, index: int) -> Vulnerability:
        ids = [_text(i.get("text"), "ids[].text") for i in _objs(vuln.get("ids"))]
        cve = _opt_text(vuln.get("cve"))
        ident = ids[0] if ids else cve or f"{self.document['tracking']['id']}#{index + 1}"
        if ident in self.vulnerability_ids:  # the same CVE or id twice (test 6.1.23)
            ident = f"{ident}#{index + 1}"
        self.vulnerability_ids.add(ident)
        aliases = tuple(dict.fromkeys(a for a in ([cve] if cve else []) + ids[1:] if a != ident))
        summary, details, cwes = "", [], []
        cwe = vuln.get("cwe")
        if isinstance(cwe, dict) and isinstance(cwe.get("id"), str):
            cwes.append(cwe["id"])
            if isinstance(cwe.get("name"), str):
                self.cwe_names[cwe["id"]] = cwe["name"]
                self.extra[EXTRA_CWE_NAMES] = self.cwe_names
        for note in _objs(vuln.get("notes")):
            text = note.get("text")
            if not isinstance(text, str) or text == NOTE_NO_DESCRIPTION:
                continue
            if note.get("title") == NOTE_TITLE_CWES:
                cwes.extend(_CWE.findall(text))
            elif note.get("category") == "summary" and not summary:
                summary = text
            else:
                details.append(text)
        if not summary and isinstance(vuln.get("title"), str):
            summary = vuln["title"]
        release = vuln.get("release_date")
        statements, affected, fixes = self._statements(vuln)
        return Vulnerability(
            id=ident,
            summary=summary,
            details="\n\n".join(details),
            aliases=aliases,
            cve=cve,
            cwes=tuple(dict.fromkeys(cwes)),
            severity=_severities(vuln, index),
            affected=affected,
            statements=statements,
            references=tuple(_reference(r) for r in _objs(vuln.get("references"))),
            credits=tuple(c for c in map(_credit, _objs(vuln.get("acknowledgments"))) if c),
            remediations=self._remediations(vuln, fixes),
            published=_instant(release, "release_date") if release is not None else None,
        )

    def _fixes(self, vuln: Json) -> dict[str, str]:
        """Product id -> fix version, from vendor_fix texts the renderer writes."""
        fixes: dict[str, str] = {}
        for rem in _objs(vuln.get("remediations")):
            match = _FIX_TEXT.match(str(rem.get("details", "")))
            pids = self._expand(rem)
            if rem.get("category") != "vendor_fix" or not match or not pids:
                continue
            if all(pid in self.keys and self.keys[pid][0].name == match["name"] for pid in pids):
                for pid in pids:
                    fixes.setdefault(pid, match["version"])
        return fixes

    def _statements(
        self, vuln: Json
    ) -> tuple[tuple[ProductStatement, ...], tuple[Affected, ...], dict[str, str]]:
        status = _obj(vuln.get("product_status", {}), "product_status")
        flags: dict[str, Justification] = {}
        for flag in _objs(vuln.get("flags")):
            try:
                label = Justification(str(flag.get("label")))
            except ValueError as exc:
                raise CsafError(f"unknown flag label {flag.get('label')!r}") from exc
            for pid in self._expand(flag):
                flags.setdefault(pid, label)
        impact: dict[str, str] = {}
        for threat in _objs(vuln.get("threats")):
            if threat.get("category") == "impact" and isinstance(threat.get("details"), str):
                for pid in self._expand(threat):
                    impact.setdefault(pid, threat["details"])
        fixes = self._fixes(vuln)
        # One statement per product and status: known_affected and first_affected say the
        # same; known_affected and known_not_affected contradict (6.1.6), and both are kept.
        seen: set[tuple[str, ProductStatus]] = set()
        statements: list[ProductStatement] = []
        affected: list[Affected] = []
        for key, value in _STATUS_ORDER:
            for pid in status.get(key, []):
                if not isinstance(pid, str) or (pid, value) in seen:
                    continue
                seen.add((pid, value))
                package, spec = self.keys[pid]
                text = impact.get(pid)
                justification = flags.get(pid) if value is ProductStatus.NOT_AFFECTED else None
                if value is ProductStatus.NOT_AFFECTED and justification is None and not text:
                    text = NOT_AFFECTED_WITHOUT_REASON
                statements.append(
                    ProductStatement(
                        package=package,
                        status=value,
                        version=spec,
                        justification=justification,
                        statement=text,
                        fixed_version=fixes.get(pid) if value is ProductStatus.AFFECTED else None,
                        vendor=self.products[pid].vendor,
                    )
                )
                if value is ProductStatus.AFFECTED:
                    affected.append(_affected(package, spec))
        return tuple(statements), tuple(affected), fixes

    def _remediations(self, vuln: Json, fixes: dict[str, str]) -> tuple[Remediation, ...]:
        out: list[Remediation] = []
        for rem in _objs(vuln.get("remediations")):
            category = _text(rem.get("category"), "remediation category")
            details = _text(rem.get("details"), "remediation details")
            pids = self._expand(rem)
            if category == "none_available" and details == NO_FIX_TEXT:
                continue
            if category == "vendor_fix" and pids and all(p in fixes for p in pids):
                match = _FIX_TEXT.match(details)
                if match and all(fixes[p] == match["version"] for p in pids):
                    continue
            item = Remediation(category=category, details=details, url=_opt_text(rem.get("url")))
            if item not in out:
                out.append(item)
        return tuple(out)


def _candidate(info: _ProductInfo) -> tuple[Package, str | None]:
    """The (package, version or vers range or None) a product stands for."""
    purl = None
    if info.purl:
        try:
            purl = PackageURL.from_string(info.purl)
        except ValueError:
            purl = None
    version = info.version
    if purl is not None:
        ecosystem = PURL_TYPE_TO_ECOSYSTEM.get(purl.type)
        base = purl.to_dict()
        base["version"] = None
        base_purl = str(PackageURL(**base).to_string())
        if ecosystem is not None:
            package = Package(ecosystem, _purl_name(purl, ecosystem), base_purl)
        else:
            package = Package(CSAF_ECOSYSTEM, info.product_name or info.name, base_purl)
        version = version or purl.version
    elif info.product_name and (info.version or info.vers):
        package = Package(CSAF_ECOSYSTEM, info.product_name)
    else:
        return Package(CSAF_ECOSYSTEM, info.name), None
    if info.vers is not None:
        if vers_to_range(info.vers) is not None:
            return package, info.vers
        return Package(CSAF_ECOSYSTEM, info.name), None
    return package, version


def _purl_name(purl: PackageURL, ecosystem: str) -> str:
    if not purl.namespace:
        return str(purl.name)
    separator = ":" if ecosystem == "Maven" else "/"
    return f"{purl.namespace}{separator}{purl.name}"


def _affected(package: Package, spec: str | None) -> Affected:
    if spec is None:
        return Affected(package)
    if not spec.startswith("vers:"):
        return Affected(package, versions=(spec,))
    parsed = vers_to_range(spec)
    if parsed is None:  # pragma: no cover - _candidate only keeps readable ranges
        raise CsafError(f"unreadable vers range {spec!r}")
    events, exact = parsed
    if not events:
        return Affected(package, versions=exact)
    scheme = spec[len("vers:") :].split("/", 1)[0]
    kind = RangeType.SEMVER if scheme == "semver" else RangeType.ECOSYSTEM
    return Affected(package, ranges=ranges_from_events(events, kind), versions=exact)


def _reference(ref: Json) -> Reference:
    url = _text(ref.get("url"), "reference url")
    summary = _opt_text(ref.get("summary"))
    kind = SUMMARY_REFERENCE.get(summary or "")
    if kind is not None:
        return Reference(url=url, kind=kind)
    return Reference(url=url, kind=ReferenceKind.WEB, summary=summary)


def _credit(ack: Json) -> Credit | None:
    names = [n for n in ack.get("names", []) if isinstance(n, str) and n]
    org = _opt_text(ack.get("organization"))
    if names:
        name = ", ".join(names) + (f" of {org}" if org else "")
    elif org:
        name = org
    else:
        return None
    summary = _opt_text(ack.get("summary")) or ""
    kind = summary.upper().replace(" ", "_")
    urls = tuple(u for u in ack.get("urls", []) if isinstance(u, str))
    return Credit(name=name, kind=kind if kind in CREDIT_KINDS else "OTHER", contact=urls)


def _severities(vuln: Json, index: int) -> tuple[Severity, ...]:
    out: list[Severity] = []
    scores = vuln.get("scores")
    for position, score in enumerate(scores if isinstance(scores, list) else ()):
        if not isinstance(score, dict):
            continue
        for key, kind in (("cvss_v3", "CVSS_V3"), ("cvss_v2", "CVSS_V2")):
            cvss = score.get(key)
            if not isinstance(cvss, dict) or not isinstance(cvss.get("vectorString"), str):
                continue
            path = f"/vulnerabilities/{index}/scores/{position}/{key}/baseScore"
            sev = Severity(
                type=kind,
                vector=cvss["vectorString"],
                base_score=_base_score(cvss.get("baseScore"), path),
                base_severity=_opt_text(cvss.get("baseSeverity")),
            )
            if all(s.vector != sev.vector for s in out):
                out.append(sev)
    return tuple(out)


def _base_score(value: Any, path: str) -> float | None:
    """A score as a float (None when it is not a number). Only a document parsed without
    the schema check (which allows 0 to 10) can hold an integer too large for a float:
    Python's ``json`` reads one of up to 4,300 digits."""
    if not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError as exc:
        raise CsafError(f"{path}: a score beyond the range of numbers", path=path) from exc
