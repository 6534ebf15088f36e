"""Drafting an advisory from a case: its vulnerabilities (CVE, CWE, CVSS, affected
packages with OSV ranges), each vendor's current status as a VEX product statement, the
finder's credit as they asked for it, the report's references, and for each
vulnerability with a CVE id its CVE record (so that a CVE rendition has a reference even
when the report gave none).

The draft is an ordinary draft afterwards: the operator revises it, and publication may
be scheduled for the case's embargo end (:func:`clearinghouse.advisories.publish.
schedule` defaults to it). Reading the case's tables is all this module does with them;
what a status means in VEX is the cases rules' answer (``to_product_statement``).

Credit (``Report.credit_preference``): ``name`` and ``handle`` credit ``credit_as`` as
the finder; ``anonymous`` credits nobody, and nothing about the finder is written.

A range or listed version a draft cannot hold (stored before case versions were bounded
to 200 characters) is left out of the draft, and the draft's revision summary says which
and why, so that the operator fixes the draft rather than getting no draft at all.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.advisories import service
from clearinghouse.advisories.index import from_purl
from clearinghouse.advisories.schemas import (
    AffectedIn,
    CreditIn,
    DraftIn,
    RangeIn,
    ReferenceIn,
    RemediationIn,
    StatementIn,
    VulnerabilityIn,
    to_range,
)
from clearinghouse.cases.coordination import find_case
from clearinghouse.cases.models import (
    AffectedProduct,
    Case,
    Participant,
    Report,
    VendorStatusRecord,
)
from clearinghouse.cases.models import Vulnerability as CaseVulnerability
from clearinghouse.cases.rules.reports import CreditPreference
from clearinghouse.cases.rules.vendor_status import (
    VendorStatement,
    VendorStatus,
    to_product_statement,
)
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.formats import model as m
from clearinghouse.policy import AdvisoryAction, require_advisory
from clearinghouse.principal import Principal

_MAX_URL = 2000
_MAX_VERSION = 200  # AffectedIn.versions
_MAX_SUMMARY = 1000  # DraftIn.revision_summary
_MAX_NOTE = 300  # characters of one left-out item in it
CVE_RECORD_URL = "https://www.cve.org/CVERecord?id="


def _package(product: AffectedProduct) -> m.Package:
    """The OSV package of a case product (its purl without a version)."""
    base_purl = product.purl.split("@", 1)[0] if product.purl else None
    if product.ecosystem:
        return m.Package(product.ecosystem, product.name, base_purl)
    try:
        found = from_purl(product.purl)
    except InvalidInput:
        return m.Package("generic", product.name, base_purl)
    return m.Package(found.ecosystem, found.name, base_purl)


def _affected(product: AffectedProduct, left_out: list[str]) -> AffectedIn:
    """The product as a draft holds it; what it cannot hold is added to ``left_out``."""
    package = _package(product)
    ranges: list[RangeIn] = []
    for i, stored in enumerate(product.ranges):
        try:
            checked = RangeIn.model_validate(stored)
            to_range(checked)  # the model's rules: an 'introduced' event, one kind per event...
        except ValidationError as exc:
            left_out.append(f"{product.purl[:100]} ranges.{i}: {_reason(exc)}")
        except InvalidInput as exc:
            left_out.append(f"{product.purl[:100]} ranges.{i}: {exc.detail}")
        else:
            ranges.append(checked)
    versions: list[str] = []
    for i, version in enumerate(product.versions):
        if 0 < len(version) <= _MAX_VERSION:
            versions.append(version)
        else:
            left_out.append(f"{product.purl[:100]} versions.{i}: {_version_reason(version)}")
    return AffectedIn(
        ecosystem=package.ecosystem,
        name=package.name,
        purl=package.purl,
        ranges=ranges,
        versions=versions,
    )


def _version_reason(version: str) -> str:
    if not version:
        return "an empty version"
    return f"a version of {len(version)} characters; the limit is {_MAX_VERSION}"


def _reason(exc: ValidationError) -> str:
    """The first complaint, located, without echoing the value (it may be 4,400 digits)."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    value = error.get("input")
    too_long = error["type"] == "string_too_long" and isinstance(value, str)
    reason = _version_reason(value) if too_long else error["msg"]
    return f"{where}: {reason}" if where else reason


def _revision_summary(case: Case, left_out: list[str]) -> str:
    """'Drafted from case ...', then what was left out and why, as much as fits."""
    summary = f"Drafted from case {case.public_id}"
    if not left_out:
        return summary
    summary += "; left out, as a draft cannot hold them (add them by hand): "
    room = _MAX_SUMMARY - len(summary) - len(f"; and {len(left_out)} more")
    shown: list[str] = []
    for item in left_out:
        clipped = item[:_MAX_NOTE]
        if len("; ".join([*shown, clipped])) > room:
            break
        shown.append(clipped)
    hidden = len(left_out) - len(shown)
    return summary + "; ".join(shown) + (f"; and {hidden} more" if hidden else "")


def _statements(
    session: Session, vuln: CaseVulnerability, products: list[AffectedProduct]
) -> tuple[list[StatementIn], list[RemediationIn]]:
    rows = session.execute(
        select(VendorStatusRecord, Participant)
        .join(Participant, Participant.id == VendorStatusRecord.participant_id)
        .where(
            VendorStatusRecord.vulnerability_id == vuln.id,
            VendorStatusRecord.current.is_(True),
            Participant.removed_at.is_(None),
        )
        .order_by(Participant.added_at, Participant.id)
    ).all()
    statements: list[StatementIn] = []
    remediations: list[RemediationIn] = []
    for record, participant in rows:
        vendor_products = [p for p in products if p.vendor_participant_id == participant.id]
        if not vendor_products:
            vendor_products = [p for p in products if p.vendor_participant_id is None]
        said = VendorStatement(
            VendorStatus(record.status),
            justification=m.Justification(record.justification) if record.justification else None,
            fixed_version=record.fixed_version,
            statement=record.statement,
        )
        for product in vendor_products:
            package = _package(product)
            statement = to_product_statement(said, package, vendor=participant.name)
            if statement is None:
                continue  # not yet assessed: nothing to publish
            statements.append(
                StatementIn(
                    ecosystem=package.ecosystem,
                    name=package.name,
                    purl=package.purl,
                    status=statement.status,
                    justification=statement.justification,
                    statement=statement.statement,
                    fixed_version=statement.fixed_version,
                    vendor=statement.vendor,
                )
            )
            if statement.fixed_version:
                remediations.append(
                    RemediationIn(
                        category="vendor_fix",
                        details=f"Upgrade {package.name} to {statement.fixed_version} or later "
                        f"({participant.name}).",
                        fixed_versions=[statement.fixed_version],
                    )
                )
    return statements, remediations


def _credits(report: Report | None) -> list[CreditIn]:
    if report is None or not report.credit_as:
        return []
    if CreditPreference(report.credit_preference) is CreditPreference.ANONYMOUS:
        return []
    return [CreditIn(name=report.credit_as[:300], kind="FINDER")]


def _references(report: Report | None) -> list[ReferenceIn]:
    if report is None:
        return []
    return [
        ReferenceIn(url=url, kind=m.ReferenceKind.REPORT)
        for url in report.references
        if url.startswith(("https://", "http://")) and len(url) <= _MAX_URL
    ]


def _cve_record(cve_id: str | None) -> list[ReferenceIn]:
    """The CVE record of a vulnerability with a CVE id: a reference every CVE rendition
    can carry (a CVE record needs at least one), even when the report gave none."""
    if cve_id is None:
        return []
    return [
        ReferenceIn(url=CVE_RECORD_URL + cve_id, kind=m.ReferenceKind.WEB, summary="CVE record")
    ]


def case_draft(session: Session, case: Case, *, tlp: m.Tlp, summary: str = "") -> DraftIn:
    """The draft input a case gives (nothing stored)."""
    report = session.get(Report, case.report_id) if case.report_id else None
    vulnerabilities: list[VulnerabilityIn] = []
    left_out: list[str] = []
    for vuln in session.scalars(
        select(CaseVulnerability)
        .where(CaseVulnerability.case_id == case.id)
        .order_by(CaseVulnerability.created_at, CaseVulnerability.id)
    ):
        products = list(
            session.scalars(
                select(AffectedProduct)
                .where(AffectedProduct.vulnerability_id == vuln.id)
                .order_by(AffectedProduct.purl, AffectedProduct.id)
            )
        )
        statements, remediations = _statements(session, vuln, products)
        skipped: list[str] = []
        affected = [_affected(p, skipped) for p in products]
        left_out += (f"vulnerability {vuln.title[:80]!r}: {item}" for item in skipped)
        vulnerabilities.append(
            VulnerabilityIn(
                cve=vuln.cve_id,
                summary=vuln.title[:1000],
                details=vuln.description,
                cwes=list(vuln.cwes),
                cvss=[vuln.cvss_vector] if vuln.cvss_vector else [],
                affected=affected,
                statements=statements,
                references=_cve_record(vuln.cve_id),
                credits=_credits(report),
                remediations=remediations,
            )
        )
    if not vulnerabilities:
        raise InvalidInput(f"case {case.public_id} has no vulnerability to publish yet")
    return DraftIn(
        title=case.title,
        summary=case.summary,
        tlp=tlp,
        vulnerabilities=vulnerabilities,
        references=_references(report),
        revision_summary=summary or _revision_summary(case, left_out),
    )


def draft_from_case(
    session: Session,
    case: Case,
    *,
    actor: Principal,
    now: datetime,
    publisher: m.Publisher,
    tlp: m.Tlp,
) -> service.Saved:
    """Create a draft from ``case`` (the operator's; the case's participants may read it)."""
    require_advisory(actor, AdvisoryAction.WRITE)
    body = case_draft(session, case, tlp=tlp)
    return service.create_draft(
        session, body, actor=actor, now=now, publisher=publisher, case_id=case.id
    )


def case_of(session: Session, ref: str) -> Case:
    case = find_case(session, ref)
    if case is None:
        raise NotFound(f"no case {ref!r}")
    return case
