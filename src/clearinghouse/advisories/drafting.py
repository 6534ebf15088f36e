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
"""

from __future__ import annotations

from datetime import datetime

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


def _affected(product: AffectedProduct) -> AffectedIn:
    package = _package(product)
    return AffectedIn(
        ecosystem=package.ecosystem,
        name=package.name,
        purl=package.purl,
        ranges=[RangeIn.model_validate(r) for r in product.ranges],
        versions=list(product.versions),
    )


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
        vulnerabilities.append(
            VulnerabilityIn(
                cve=vuln.cve_id,
                summary=vuln.title[:1000],
                details=vuln.description,
                cwes=list(vuln.cwes),
                cvss=[vuln.cvss_vector] if vuln.cvss_vector else [],
                affected=[_affected(p) for p in products],
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
        revision_summary=summary or f"Drafted from case {case.public_id}",
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
