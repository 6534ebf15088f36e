"""VEX statements an organisation publishes about its own findings, in its own name.

The statement is a one-vulnerability neutral advisory (:mod:`clearinghouse.formats.model`)
whose publisher is the organisation (CSAF category ``vendor``: it speaks about what it
ships or runs), rendered by the platform's own renderers: CycloneDX 1.6 VEX
(:func:`clearinghouse.formats.vex.model_to_cyclonedx_vex`) or CSAF 2.0 with the
``csaf_vex`` profile (:func:`clearinghouse.formats.csaf_render.model_to_csaf`). Its
marking is the advisory's: a statement never travels further than what it answers.

Finding state -> VEX status: new -> under_investigation, acknowledged -> affected,
fixed -> fixed, not_affected -> not_affected (with the finding's justification).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.advisories import service as advisories
from clearinghouse.advisories.models import Advisory, AdvisoryIdentifier
from clearinghouse.audit import service as audit
from clearinghouse.errors import NotFound
from clearinghouse.exposure.models import Finding, FindingState, Inventory, VexFormat, VexStatement
from clearinghouse.formats import model as m
from clearinghouse.formats.csaf_render import model_to_csaf
from clearinghouse.formats.csaf_vocab import CsafProfile
from clearinghouse.formats.vex import model_to_cyclonedx_vex
from clearinghouse.policy import MISSING, ExposureAction, VexFacts, can_exposure, require_exposure
from clearinghouse.principal import Principal
from clearinghouse.timeutil import ensure_utc

STATUS: Final = {
    FindingState.NEW: m.ProductStatus.UNDER_INVESTIGATION,
    FindingState.ACKNOWLEDGED: m.ProductStatus.AFFECTED,
    FindingState.FIXED: m.ProductStatus.FIXED,
    FindingState.NOT_AFFECTED: m.ProductStatus.NOT_AFFECTED,
}
MAX_LISTED: Final = 100  # statements shown with one finding (each answer may publish two)


def statement_model(
    *,
    org: Organisation,
    inventory: Inventory,
    finding: Finding,
    aliases: list[str],
    tlp: m.Tlp,
    number: str,
    base_url: str,
    now: datetime,
) -> m.Advisory:
    """The organisation's statement about one finding, as a neutral advisory."""
    status = STATUS[finding.state]
    package = m.Package(finding.ecosystem, finding.package, _versionless(finding.purl))
    words = finding.detail or None
    if status is m.ProductStatus.NOT_AFFECTED and finding.justification is None and not words:
        words = "Not affected."  # pragma: no cover (set_state requires a justification)
    statement = m.ProductStatement(
        package=package,
        status=status,
        version=finding.version,
        justification=finding.justification if status is m.ProductStatus.NOT_AFFECTED else None,
        statement=words,
        fixed_version=None,
        vendor=org.name,
    )
    cve = next((a for a in [finding.record_id, *aliases] if a.startswith("CVE-")), None)
    vulnerability = m.Vulnerability(
        id=finding.record_id,
        summary=f"{org.name}: {finding.record_id} in {inventory.name}",
        aliases=tuple(a for a in aliases if a != finding.record_id),
        cve=cve,
        affected=(m.Affected(package, versions=(finding.version,)),),
        statements=(statement,),
        published=now,
        modified=now,
    )
    return m.Advisory(
        id=number,
        title=f"{org.name}: {finding.record_id} in {inventory.name} ({status.value})",
        publisher=m.Publisher(
            name=org.name,
            namespace=f"{base_url.rstrip('/')}/organisations/{org.slug}",
            category="vendor",
            contact=org.contact_email,
        ),
        tlp=tlp,
        initial_release=now,
        current_release=now,
        vulnerabilities=(vulnerability,),
        summary=f"{org.name} states {status.value} for {finding.package} {finding.version} "
        f"in {inventory.name}.",
        revisions=(m.Revision("1", now, "Initial statement"),),
    )


def _versionless(purl: str | None) -> str | None:
    if not purl:
        return None
    head = purl.split("?", 1)[0].split("#", 1)[0]
    return head.rsplit("@", 1)[0] if "@" in head.rsplit("/", 1)[-1] else head


def render(doc: m.Advisory, fmt: VexFormat, now: datetime) -> dict[str, Any]:
    match fmt:
        case VexFormat.CYCLONEDX:
            return model_to_cyclonedx_vex(doc)
        case VexFormat.CSAF:
            return model_to_csaf(doc, profile=CsafProfile.VEX, generated_at=now)


def publish(
    session: Session,
    *,
    actor: Principal,
    finding: Finding,
    fmt: VexFormat,
    now: datetime,
    base_url: str,
) -> VexStatement:
    """Publish a statement about ``finding`` in its organisation's name (audited)."""
    now = ensure_utc(now)
    advisory = session.get(Advisory, finding.advisory_id)
    org = session.get(Organisation, finding.org_id)
    inventory = session.get(Inventory, finding.inventory_id)
    if advisory is None or org is None or inventory is None:  # pragma: no cover (cascades)
        raise NotFound("no such finding")
    facts = advisories.facts(session, advisory)
    require_exposure(actor, ExposureAction.VEX_PUBLISH, VexFacts(finding.org_id, facts))
    statement_id = uuid.uuid4()
    aliases = sorted(
        set(
            session.scalars(
                select(AdvisoryIdentifier.identifier).where(
                    AdvisoryIdentifier.advisory_id == advisory.id,
                    AdvisoryIdentifier.record_id == finding.record_id,
                )
            )
        )
    )
    doc = statement_model(
        org=org,
        inventory=inventory,
        finding=finding,
        aliases=aliases,
        tlp=advisory.tlp,
        number=f"{org.slug}-vex-{statement_id.hex[:12]}",
        base_url=base_url,
        now=now,
    )
    row = VexStatement(
        id=statement_id,
        org_id=org.id,
        finding_id=finding.id,
        advisory_id=advisory.id,
        record_id=finding.record_id,
        format=fmt,
        status=STATUS[finding.state].value,
        justification=finding.justification,
        document=render(doc, fmt, now),
        published_at=now,
        published_by_label=actor.label,
        published_by_user_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="vex.published",
        object_type="vex_statement",
        object_id=row.id,
        at=now,
        owner_org_id=org.id,
        change={
            "finding": str(finding.id),
            "record": finding.record_id,
            "format": fmt.value,
            "status": row.status,
            "justification": finding.justification.value if finding.justification else None,
        },
    )
    return row


def get(session: Session, actor: Principal, statement_id: uuid.UUID | str) -> VexStatement:
    """A statement, if ``actor`` may read it (its organisation, the operator, or whoever
    may read the published advisory it answers)."""
    try:
        found = session.get(VexStatement, uuid.UUID(str(statement_id)))
    except ValueError:
        found = None
    advisory = session.get(Advisory, found.advisory_id) if found is not None else None
    if found is None or advisory is None:
        require_exposure(actor, ExposureAction.VEX_READ, MISSING)
        raise NotFound("no such VEX statement")
    facts = VexFacts(found.org_id, advisories.facts(session, advisory))
    require_exposure(actor, ExposureAction.VEX_READ, facts)
    return found


def of_finding(session: Session, actor: Principal, finding: Finding) -> list[VexStatement]:
    """The statements published about ``finding`` that ``actor`` may read, newest first."""
    advisory = session.get(Advisory, finding.advisory_id)
    if advisory is None:  # pragma: no cover (the foreign key cascades)
        return []
    facts = VexFacts(finding.org_id, advisories.facts(session, advisory))
    if not can_exposure(actor, ExposureAction.VEX_READ, facts):
        return []
    query = (
        select(VexStatement)
        .where(VexStatement.finding_id == finding.id)
        .order_by(VexStatement.published_at.desc(), VexStatement.id)
        .limit(MAX_LISTED)
    )
    return list(session.scalars(query))
