"""What a draft is made of, as it arrives (API body, CLI, a case): typed, bounded input,
and its conversion to the neutral advisory (:mod:`clearinghouse.formats.model`).

Why a separate input shape: the neutral model is a value type for renditions; the input
is what an operator writes. Ranges are OSV's event lists (the same form cases store),
CVSS arrives as vectors and is scored here with the platform's CVSS library, vendor
statuses are VEX product statuses, and every field has a size bound.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clearinghouse.errors import InvalidInput
from clearinghouse.formats import cvss
from clearinghouse.formats import model as m

# \Z, not $ (which also matches before a final newline); [0-9], not \d (any script's digits)
_CVE = re.compile(r"CVE-[0-9]{4}-[0-9]{4,}\Z")
_CWE = re.compile(r"CWE-[0-9]{1,6}\Z")

Text = Annotated[str, Field(max_length=20_000)]
Short = Annotated[str, Field(min_length=1, max_length=300)]
Url = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^https?://")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RangeIn(_In):
    type: m.RangeType = m.RangeType.ECOSYSTEM
    events: list[dict[m.EventKind, Annotated[str, Field(min_length=1, max_length=200)]]] = Field(
        min_length=1,
        max_length=200,
        description='OSV events: [{"introduced": "0"}, {"fixed": "2.15.0"}]',
    )
    repo: Url | None = None


class AffectedIn(_In):
    ecosystem: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="OSV ecosystem: Maven, PyPI, npm, crates.io, Go, NuGet, RubyGems..."
    )
    name: Short = Field(description="package name; Maven: groupId:artifactId")
    purl: Annotated[str, Field(max_length=500)] | None = None
    ranges: list[RangeIn] = Field(default_factory=list, max_length=100)
    versions: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=10_000
    )


class StatementIn(_In):
    """A vendor's VEX status for one product (package, optionally one version)."""

    ecosystem: Annotated[str, Field(min_length=1, max_length=100)]
    name: Short
    purl: Annotated[str, Field(max_length=500)] | None = None
    status: m.ProductStatus
    version: Annotated[str, Field(max_length=200)] | None = None
    justification: m.Justification | None = None
    statement: Text | None = None
    fixed_version: Annotated[str, Field(max_length=200)] | None = None
    vendor: Annotated[str, Field(max_length=200)] | None = None


class ReferenceIn(_In):
    url: Url
    kind: m.ReferenceKind = m.ReferenceKind.WEB
    summary: Annotated[str, Field(max_length=500)] | None = None


class CreditIn(_In):
    name: Short
    kind: Annotated[str, Field(max_length=40)] = "FINDER"
    contact: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list, max_length=10
    )


class RemediationIn(_In):
    category: Annotated[
        str, Field(pattern=r"^(vendor_fix|mitigation|workaround|none_available|no_fix_planned)$")
    ]
    details: Text
    url: Url | None = None
    fixed_versions: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=100
    )


class VulnerabilityIn(_In):
    id: (
        Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")] | None
    ) = Field(None, description="kept across revisions; assigned from the advisory id when absent")
    # CVE-YYYY- and at most 19 digits (the CVE record format); the rendition key holds it
    cve: Annotated[str, Field(max_length=30)] | None = None
    summary: Annotated[str, Field(max_length=1000)] = ""
    details: Text = ""
    aliases: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    cwes: list[str] = Field(default_factory=list, max_length=20)
    cvss: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list,
        max_length=4,
        description="CVSS vectors (2.0, 3.x, 4.0); scored on save",
    )
    affected: list[AffectedIn] = Field(default_factory=list, max_length=500)
    statements: list[StatementIn] = Field(default_factory=list, max_length=2000)
    references: list[ReferenceIn] = Field(default_factory=list, max_length=200)
    credits: list[CreditIn] = Field(default_factory=list, max_length=50)
    remediations: list[RemediationIn] = Field(default_factory=list, max_length=50)

    @field_validator("cve")
    @classmethod
    def _cve(cls, value: str | None) -> str | None:
        if value is not None and not _CVE.match(value):
            raise ValueError("a CVE id looks like CVE-2021-44228")
        return value

    @field_validator("cwes")
    @classmethod
    def _cwes(cls, value: list[str]) -> list[str]:
        for cwe in value:
            if not _CWE.match(cwe):
                raise ValueError(f"{cwe!r} is not a CWE id such as CWE-502")
        return value


class DraftIn(_In):
    """A whole draft (create) or the fields to change (revise: unset fields are kept)."""

    title: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    summary: Text | None = None
    tlp: m.Tlp | None = Field(None, description="required when creating: there is no default")
    vulnerabilities: list[VulnerabilityIn] | None = Field(None, max_length=100)
    references: list[ReferenceIn] | None = Field(None, max_length=200)
    recipient_org_ids: list[str] | None = Field(None, max_length=500)
    recipient_user_ids: list[str] | None = Field(None, max_length=500)
    revision_summary: Annotated[str, Field(max_length=1000)] = ""


def to_range(item: RangeIn) -> m.VersionRange:
    events: list[m.RangeEvent] = []
    for event in item.events:
        if len(event) != 1:
            raise InvalidInput(
                "each range event has exactly one of introduced, fixed, last_affected, limit"
            )
        ((kind, value),) = event.items()
        events.append(m.RangeEvent(kind, value))
    return m.VersionRange(item.type, tuple(events), item.repo)


def to_affected(item: AffectedIn) -> m.Affected:
    return m.Affected(
        package=m.Package(item.ecosystem, item.name, item.purl),
        ranges=tuple(to_range(r) for r in item.ranges),
        versions=tuple(item.versions),
    )


def to_vulnerability(item: VulnerabilityIn, vuln_id: str) -> m.Vulnerability:
    severities: list[m.Severity] = []
    for vector in item.cvss:
        severities.append(cvss.score(vector))
    return m.Vulnerability(
        id=vuln_id,
        summary=item.summary,
        details=item.details,
        aliases=tuple(item.aliases),
        cve=item.cve,
        cwes=tuple(item.cwes),
        severity=tuple(severities),
        affected=tuple(to_affected(a) for a in item.affected),
        statements=tuple(
            m.ProductStatement(
                package=m.Package(s.ecosystem, s.name, s.purl),
                status=s.status,
                version=s.version,
                justification=s.justification,
                statement=s.statement,
                fixed_version=s.fixed_version,
                vendor=s.vendor,
            )
            for s in item.statements
        ),
        references=tuple(m.Reference(r.url, r.kind, r.summary) for r in item.references),
        credits=tuple(m.Credit(c.name, c.kind, tuple(c.contact)) for c in item.credits),
        remediations=tuple(
            m.Remediation(r.category, r.details, r.url, tuple(r.fixed_versions))
            for r in item.remediations
        ),
    )


def vulnerability_in(v: m.Vulnerability) -> VulnerabilityIn:
    """The input shape of a stored vulnerability (to revise one field and keep the rest)."""
    return VulnerabilityIn(
        id=v.id,
        cve=v.cve,
        summary=v.summary,
        details=v.details,
        aliases=list(v.aliases),
        cwes=list(v.cwes),
        cvss=[s.vector for s in v.severity],
        affected=[
            AffectedIn(
                ecosystem=a.package.ecosystem,
                name=a.package.name,
                purl=a.package.purl,
                ranges=[
                    RangeIn(type=r.type, events=[{e.kind: e.value} for e in r.events], repo=r.repo)
                    for r in a.ranges
                ],
                versions=list(a.versions),
            )
            for a in v.affected
        ],
        statements=[
            StatementIn(
                ecosystem=s.package.ecosystem,
                name=s.package.name,
                purl=s.package.purl,
                status=s.status,
                version=s.version,
                justification=s.justification,
                statement=s.statement,
                fixed_version=s.fixed_version,
                vendor=s.vendor,
            )
            for s in v.statements
        ],
        references=[ReferenceIn(url=r.url, kind=r.kind, summary=r.summary) for r in v.references],
        credits=[CreditIn(name=c.name, kind=c.kind, contact=list(c.contact)) for c in v.credits],
        remediations=[
            RemediationIn(
                category=r.category,
                details=r.details,
                url=r.url,
                fixed_versions=list(r.fixed_versions),
            )
            for r in v.remediations
        ],
    )


def plain(value: Any) -> Any:
    """JSON-ready form of an input model (enums as values) for audit entries."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
