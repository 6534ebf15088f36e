"""Renditions: one neutral advisory revision as every format the ecosystem consumes.

Each renderer returns documents or one error; a failure of one never stops another
(publication records what failed and alerts the operator). Every document is validated
before it is called a rendition: CSAF against the OASIS schema and the mandatory tests
the platform implements (the BSI validator runs in the test suite), OSV and CVE 5.x
against their bundled schemas.

OSV ids: OSV only accepts registered prefixes (or the private ``x_``), so the platform's
own vulnerability ids are published as ``x_<id>`` (:func:`~clearinghouse.advisories.
index.osv_record_id`); imported ids (GHSA-, PYSEC-...) stay as they are.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from clearinghouse.advisories.index import osv_record_id
from clearinghouse.advisories.models import RenditionFormat, RenditionStatus
from clearinghouse.errors import ClearinghouseError
from clearinghouse.formats import csaf, cve5, osv, vex
from clearinghouse.formats import model as m
from clearinghouse.formats.cvss import CvssError

MAX_ERROR: Final = 4000


@dataclass(frozen=True, slots=True)
class CnaIdentity:
    """Who the CVE records name as their CNA (``assignerOrgId`` / ``shortName``)."""

    org_id: str
    short_name: str

    @classmethod
    def for_platform(cls, base_url: str, name: str) -> CnaIdentity:
        """A stable identity derived from the platform's URL and name (until a CNA's
        real CVE Services identity is configured)."""
        short = re.sub(r"[^A-Za-z0-9_-]+", "_", name)[:32].strip("_") or "clearinghouse"
        if len(short) < 2:
            short = "clearinghouse"
        # The CVE schema wants a version-4 UUID: a hash of the URL, with the version bits set.
        digest = hashlib.sha256(base_url.encode("utf-8")).digest()
        return cls(str(uuid.UUID(bytes=digest[:16], version=4)), short)


@dataclass(frozen=True, slots=True)
class Rendered:
    format: RenditionFormat
    key: str  # "" for one-document formats
    content: dict[str, Any] | None
    status: RenditionStatus = RenditionStatus.RENDERED
    detail: str | None = None  # why it failed, or why the format does not apply

    @property
    def ok(self) -> bool:
        return self.status is RenditionStatus.RENDERED

    @property
    def modified(self) -> str | None:
        """An OSV record's ``modified`` text (kept beside it for batch queries)."""
        if self.format is not RenditionFormat.OSV or self.content is None:
            return None
        value = self.content.get("modified")
        return value[:40] if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class RenderContext:
    cna: CnaIdentity


Renderer = Callable[[m.Advisory, RenderContext], list[Rendered]]


def _failure(fmt: RenditionFormat, exc: ClearinghouseError, key: str = "") -> Rendered:
    detail = exc.detail
    findings = exc.extensions.get("violations") or exc.extensions.get("findings")
    if findings:
        detail = f"{detail} ({findings!r})"
    return _failed(fmt, key, detail)


def _failed(fmt: RenditionFormat, key: str, detail: str) -> Rendered:
    return Rendered(fmt, key, None, RenditionStatus.FAILED, detail[:MAX_ERROR])


def _not_applicable(fmt: RenditionFormat, key: str, reason: str) -> Rendered:
    return Rendered(fmt, key, None, RenditionStatus.NOT_APPLICABLE, reason[:MAX_ERROR])


NO_VULNERABILITIES: Final = "the advisory describes no vulnerability"


def _csaf(profile: csaf.CsafProfile, fmt: RenditionFormat) -> Renderer:
    """The CSAF rendition in ``profile``; the ``csaf`` rendition of an imported CSAF
    document keeps that document's own category (csaf_base, an informational advisory...)."""

    def render(doc: m.Advisory, _ctx: RenderContext) -> list[Rendered]:
        category = csaf.document_category(doc) if fmt is RenditionFormat.CSAF else None
        rules = csaf.CsafCategory.of(category or profile.value)
        if rules.needs_products and not doc.vulnerabilities:
            return [_not_applicable(fmt, "", f"{rules.value}: {NO_VULNERABILITIES}")]
        try:
            document = csaf.model_to_csaf(doc, profile=category or profile)
        except (csaf.CsafError, CvssError) as exc:
            return [_failure(fmt, exc)]
        findings = csaf.validate_csaf(document)
        if findings:
            shown = "; ".join(f"{f.test} {f.path or '/'}: {f.message}" for f in findings[:5])
            return [_failed(fmt, "", f"CSAF checks failed: {shown}")]
        return [Rendered(fmt, "", document)]

    return render


def osv_view(doc: m.Advisory) -> m.Advisory:
    """The advisory as OSV can say it: record ids OSV accepts, and only the packages of
    OSV ecosystems (CSAF products without a package URL have no OSV form)."""
    vulns = tuple(
        dataclasses.replace(
            v,
            id=osv_record_id(v.id),
            affected=tuple(a for a in v.affected if osv.has_osv_ecosystem(a.package)),
        )
        for v in doc.vulnerabilities
    )
    return dataclasses.replace(doc, vulnerabilities=vulns)


def render_osv(doc: m.Advisory, _ctx: RenderContext | None = None) -> list[Rendered]:
    """One OSV record per vulnerability. A vulnerability whose products all lie outside
    OSV's ecosystems has no OSV record (not applicable), nor has an advisory without
    vulnerabilities."""
    fmt = RenditionFormat.OSV
    if not doc.vulnerabilities:
        return [_not_applicable(fmt, "", NO_VULNERABILITIES)]
    view = osv_view(doc)
    out: list[Rendered] = []
    described = []
    for original, shown in zip(doc.vulnerabilities, view.vulnerabilities, strict=True):
        if original.affected and not shown.affected:
            reason = "none of its products has a package URL of an OSV ecosystem"
            out.append(_not_applicable(fmt, shown.id, reason))
        else:
            described.append(shown)
    try:
        records = osv.model_to_osv(dataclasses.replace(view, vulnerabilities=tuple(described)))
    except osv.OsvError as exc:
        return [*out, _failure(fmt, exc)]
    for record in records:
        data = osv.dump_osv(record)
        try:
            osv.validate_osv_schema(data)
        except osv.OsvError as exc:
            out.append(_failure(fmt, exc, record.id))
            continue
        out.append(Rendered(fmt, record.id, data))
    return out


def _cve5(doc: m.Advisory, ctx: RenderContext) -> list[Rendered]:
    """One CVE record per CVE; a vulnerability without a CVE id has none (not applicable)."""
    fmt = RenditionFormat.CVE5
    if not doc.vulnerabilities:
        return [_not_applicable(fmt, "", NO_VULNERABILITIES)]
    by_cve: dict[str, list[m.Vulnerability]] = {}
    out = []
    for vuln in doc.vulnerabilities:
        cve_id = vuln.cve or (vuln.id if vuln.id.startswith("CVE-") else None)
        if cve_id is None:
            out.append(_not_applicable(fmt, vuln.id, f"{vuln.id} has no CVE id"))
        else:
            by_cve.setdefault(cve_id, []).append(vuln)
    for cve_id, vulns in by_cve.items():
        if len(vulns) > 1:
            named = ", ".join(v.id for v in vulns)
            detail = f"{cve_id} is given to {len(vulns)} vulnerabilities ({named}); a CVE record "
            out.append(_failed(fmt, cve_id, detail + "describes one"))
            continue
        try:
            record = cve5.model_to_cve5(
                doc, vulns[0], cna_org_id=ctx.cna.org_id, cna_short_name=ctx.cna.short_name
            )
            cve5.validate_cve5(record)
        except (cve5.Cve5Error, CvssError) as exc:
            out.append(_failure(fmt, exc, cve_id))
            continue
        out.append(Rendered(fmt, cve_id, record))
    return out


def _cyclonedx_vex(doc: m.Advisory, _ctx: RenderContext) -> list[Rendered]:
    fmt = RenditionFormat.CYCLONEDX_VEX
    if not doc.vulnerabilities:
        return [_not_applicable(fmt, "", NO_VULNERABILITIES)]
    try:
        document = vex.model_to_cyclonedx_vex(doc)
    except (m.FormatError, CvssError) as exc:
        return [_failure(fmt, exc)]
    return [Rendered(fmt, "", document)]


RENDERERS: Final[dict[RenditionFormat, Renderer]] = {
    RenditionFormat.CSAF: _csaf(csaf.CsafProfile.SECURITY_ADVISORY, RenditionFormat.CSAF),
    RenditionFormat.CSAF_VEX: _csaf(csaf.CsafProfile.VEX, RenditionFormat.CSAF_VEX),
    RenditionFormat.OSV: render_osv,
    RenditionFormat.CVE5: _cve5,
    RenditionFormat.CYCLONEDX_VEX: _cyclonedx_vex,
}


def render(doc: m.Advisory, fmt: RenditionFormat, ctx: RenderContext) -> list[Rendered]:
    return RENDERERS[fmt](doc, ctx)


def render_all(doc: m.Advisory, ctx: RenderContext) -> list[Rendered]:
    """Every rendition of ``doc``; failures are values, never exceptions."""
    out: list[Rendered] = []
    for fmt in RenditionFormat:
        out.extend(render(doc, fmt, ctx))
    return out
