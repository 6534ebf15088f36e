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
from clearinghouse.advisories.models import RenditionFormat
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
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

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
    return Rendered(fmt, key, None, detail[:MAX_ERROR])


def _csaf(profile: csaf.CsafProfile, fmt: RenditionFormat) -> Renderer:
    def render(doc: m.Advisory, _ctx: RenderContext) -> list[Rendered]:
        try:
            document = csaf.model_to_csaf(doc, profile=profile)
        except (csaf.CsafError, CvssError) as exc:
            return [_failure(fmt, exc)]
        findings = csaf.validate_csaf(document)
        if findings:
            shown = "; ".join(f"{f.test} {f.path or '/'}: {f.message}" for f in findings[:5])
            return [Rendered(fmt, "", None, f"CSAF checks failed: {shown}"[:MAX_ERROR])]
        return [Rendered(fmt, "", document)]

    return render


def osv_view(doc: m.Advisory) -> m.Advisory:
    """The advisory with OSV-acceptable record ids."""
    vulns = tuple(dataclasses.replace(v, id=osv_record_id(v.id)) for v in doc.vulnerabilities)
    return dataclasses.replace(doc, vulnerabilities=vulns)


def render_osv(doc: m.Advisory, _ctx: RenderContext | None = None) -> list[Rendered]:
    fmt = RenditionFormat.OSV
    try:
        records = osv.model_to_osv(osv_view(doc))
    except osv.OsvError as exc:
        return [_failure(fmt, exc)]
    out = []
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
    fmt = RenditionFormat.CVE5
    by_cve: dict[str, list[m.Vulnerability]] = {}
    for vuln in doc.vulnerabilities:
        cve_id = vuln.cve or (vuln.id if vuln.id.startswith("CVE-") else None)
        if cve_id is not None:  # no CVE, no CVE record
            by_cve.setdefault(cve_id, []).append(vuln)
    out = []
    for cve_id, vulns in by_cve.items():
        if len(vulns) > 1:
            named = ", ".join(v.id for v in vulns)
            detail = f"{cve_id} is given to {len(vulns)} vulnerabilities ({named}); a CVE record "
            out.append(Rendered(fmt, cve_id, None, detail + "describes one"))
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
