"""The operator's view of a case through exposure: which members it affects (their
inventories hold an affected package version), inviting them, and which vendors declare
the affected packages as their products.

Affected members are found from the case's own affected products (package URL and OSV
ranges), so the operator sees them while the case is still under embargo, before any
advisory exists; the members themselves are told nothing until an advisory is published
(:mod:`clearinghouse.exposure.telling`). Matches of advisories drafted from the case are
added.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.advisories.index import ranges_from_json
from clearinghouse.advisories.models import Advisory
from clearinghouse.audit import service as audit
from clearinghouse.cases import participants
from clearinghouse.cases.access import participant_of
from clearinghouse.cases.coordination import find_case
from clearinghouse.cases.models import AffectedProduct, Case, Participant, Vulnerability
from clearinghouse.db import require_fits
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.exposure.models import DeclaredProduct, Finding, Inventory, InventoryComponent
from clearinghouse.formats.purl import (
    PurlError,
    canonical_purl,
    ecosystem_key,
    normalise_name,
    osv_coordinates,
    parse_purl,
)
from clearinghouse.policy import (
    MISSING,
    CaseExposureFacts,
    ExposureAction,
    OwnerFacts,
    require_exposure,
)
from clearinghouse.principal import Principal
from clearinghouse.versions import CompiledRanges, InvalidVersion, Verdict, compile_ranges
from clearinghouse.vocab import OrgKind, ParticipantRole

MAX_DECLARED: Final = 1_000
MAX_INVITED: Final = 200


def load_case(session: Session, principal: Principal, ref: str, action: ExposureAction) -> Case:
    """The case, for the operator; a participant who may know it is refused (403), and
    anyone else told it does not exist (404), like for a case that does not."""
    case = find_case(session, ref)
    if case is None:
        require_exposure(principal, action, MISSING)
        raise NotFound(f"no case {ref}")
    knows = participant_of(session, principal, case) is not None
    require_exposure(principal, action, CaseExposureFacts(may_know_case=knows))
    return case


# ---- the packages a case names -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CasePackage:
    base: str  # casefolded OSV ecosystem, no release
    name: str  # normalised
    purl: str
    compiled: CompiledRanges | None  # None: no ranges or versions given (every version)


def case_packages(session: Session, case: Case) -> list[CasePackage]:
    rows = session.execute(
        select(AffectedProduct)
        .join(Vulnerability, Vulnerability.id == AffectedProduct.vulnerability_id)
        .where(Vulnerability.case_id == case.id)
    ).scalars()
    found: list[CasePackage] = []
    for product in rows:
        try:
            coordinates = osv_coordinates(parse_purl(product.purl))
        except PurlError:
            continue
        if coordinates is None:
            continue
        compiled: CompiledRanges | None = None
        if product.ranges or product.versions:
            try:
                compiled = compile_ranges(
                    coordinates.ecosystem,
                    ranges_from_json(product.ranges),
                    tuple(product.versions),
                )
            except InvalidVersion:
                compiled = None
        for name in coordinates.names:
            found.append(
                CasePackage(
                    base=ecosystem_key(coordinates.ecosystem),
                    name=normalise_name(coordinates.ecosystem, name),
                    purl=product.purl,
                    compiled=compiled,
                )
            )
    return found


# ---- who a case affects ------------------------------------------------------------------------


@dataclass
class AffectedMember:
    org: Organisation
    inventories: set[str] = field(default_factory=set)
    packages: set[str] = field(default_factory=set)  # "name version"
    components: int = 0
    participant: bool = False
    via_advisories: set[str] = field(default_factory=set)


def affected_members(session: Session, case: Case) -> list[AffectedMember]:
    """Organisations whose current inventories hold a version the case's products name
    (undecided versions included), and those matched by advisories drafted from it."""
    found: dict[uuid.UUID, AffectedMember] = {}
    orgs: dict[uuid.UUID, Organisation] = {}

    def member(org_id: uuid.UUID) -> AffectedMember:
        if org_id not in found:
            org = orgs.get(org_id) or session.get(Organisation, org_id)
            if org is None:  # pragma: no cover (foreign keys cascade)
                raise NotFound(f"no organisation {org_id}")
            orgs[org_id] = org
            found[org_id] = AffectedMember(org)
        return found[org_id]

    names = dict(session.execute(select(Inventory.id, Inventory.name)).all())
    for package in case_packages(session, case):
        versions = [
            version
            for (version,) in session.execute(
                select(InventoryComponent.version)
                .where(
                    InventoryComponent.ecosystem == package.base,
                    InventoryComponent.name == package.name,
                )
                .distinct()
            )
            if _affected(package.compiled, version)
        ]
        for start in range(0, len(versions), 300):
            for org_id, inventory_id, version in session.execute(
                select(
                    InventoryComponent.org_id,
                    InventoryComponent.inventory_id,
                    InventoryComponent.version,
                ).where(
                    InventoryComponent.ecosystem == package.base,
                    InventoryComponent.name == package.name,
                    InventoryComponent.version.in_(versions[start : start + 300]),
                )
            ):
                entry = member(org_id)
                entry.inventories.add(names.get(inventory_id, str(inventory_id)))
                entry.packages.add(f"{package.name} {version}")
                entry.components += 1
    for org_id, inventory_id, package_name, version, public_id in session.execute(
        select(
            Finding.org_id,
            Finding.inventory_id,
            Finding.package,
            Finding.version,
            Advisory.public_id,
        )
        .join(Advisory, Advisory.id == Finding.advisory_id)
        .where(Advisory.case_id == case.id, Finding.matching.is_(True))
    ):
        entry = member(org_id)
        entry.inventories.add(names.get(inventory_id, str(inventory_id)))
        entry.packages.add(f"{package_name} {version}")
        entry.via_advisories.add(public_id)
    taking_part = _participants(session, case)
    for org_id, entry in found.items():
        entry.participant = org_id in taking_part
    return sorted(
        (e for e in found.values() if e.org.kind is not OrgKind.OPERATOR),
        key=lambda e: e.org.slug,
    )


def _affected(compiled: CompiledRanges | None, version: str) -> bool:
    if compiled is None:
        return True
    return compiled.verdict(version) is not Verdict.NOT_AFFECTED


def _participants(session: Session, case: Case) -> set[uuid.UUID]:
    return {
        org_id
        for org_id in session.scalars(
            select(Participant.org_id).where(
                Participant.case_id == case.id, Participant.removed_at.is_(None)
            )
        )
        if org_id is not None
    } | {case.coordinator_org_id}


def invite_affected(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    slugs: Sequence[str] | None,
    now: datetime,
    base_url: str,
    secret: str,
    platform: str,
) -> list[Participant]:
    """Add affected members to the case as members (``slugs`` None: every affected one
    not yet taking part). Naming an organisation the case does not affect is refused."""
    affected = {e.org.slug: e for e in affected_members(session, case)}
    if slugs is None:
        chosen = [e for e in affected.values() if not e.participant]
    else:
        if len(slugs) > MAX_INVITED:
            raise InvalidInput(
                f"at most {MAX_INVITED} organisations at once", field="organisations"
            )
        unknown = sorted(set(slugs) - set(affected))
        if unknown:
            raise InvalidInput(
                f"the case affects no inventory of {', '.join(unknown)}", field="organisations"
            )
        chosen = [affected[s] for s in dict.fromkeys(slugs)]
        already = sorted(e.org.slug for e in chosen if e.participant)
        if already:
            raise Conflict(f"already taking part: {', '.join(already)}")
    added = []
    for entry in chosen:
        added.append(
            participants.add(
                session,
                actor=actor,
                case=case,
                role=ParticipantRole.MEMBER,
                org=entry.org,
                now=now,
                base_url=base_url,
                secret=secret,
                platform=platform,
            ).participant
        )
    return added


# ---- declared products and proposed vendors ------------------------------------------------


def product_package(purl: str) -> tuple[str, str, str]:
    """(ecosystem, name, canonical versionless purl) of a declared product; a purl that
    cannot be declared is an :class:`InvalidInput` saying why."""
    try:
        parsed = parse_purl(purl)
    except PurlError as exc:
        raise InvalidInput(exc.detail, field="purls") from None
    if parsed.version:
        raise InvalidInput(
            f"{purl}: declare the package without a version (it covers every version)",
            field="purls",
        )
    coordinates = osv_coordinates(parsed)
    if coordinates is None:
        raise InvalidInput(f"{purl}: a package URL type OSV does not cover", field="purls")
    ecosystem = ecosystem_key(coordinates.ecosystem)
    name = normalise_name(coordinates.ecosystem, coordinates.name)
    canonical = canonical_purl(purl)
    # percent-encoding can make the canonical form several times longer than the input
    require_fits(
        DeclaredProduct,
        {"ecosystem": ecosystem, "name": name, "purl": canonical},
        field="purls",
        what=f"{purl[:100]}: the package URL written canonically, or its package name",
    )
    return ecosystem, name, canonical


def declared(session: Session, org_id: uuid.UUID) -> list[DeclaredProduct]:
    return list(
        session.scalars(
            select(DeclaredProduct)
            .where(DeclaredProduct.org_id == org_id)
            .order_by(DeclaredProduct.ecosystem, DeclaredProduct.name)
        )
    )


def declare(
    session: Session, *, actor: Principal, org: Organisation, purls: Iterable[str], now: datetime
) -> list[DeclaredProduct]:
    """Replace what ``org`` declares it makes (audited)."""
    require_exposure(actor, ExposureAction.PRODUCTS_WRITE, OwnerFacts(org.id))
    wanted = list(purls)
    if len(wanted) > MAX_DECLARED:
        raise InvalidInput(f"at most {MAX_DECLARED} products", field="purls")
    packages = {p[:2]: p for p in (product_package(purl) for purl in wanted)}
    before = [d.purl for d in declared(session, org.id)]
    session.execute(delete(DeclaredProduct).where(DeclaredProduct.org_id == org.id))
    rows = [
        DeclaredProduct(
            id=uuid.uuid4(), org_id=org.id, ecosystem=e, name=n, purl=purl, created_at=now
        )
        for (e, n), (_e, _n, purl) in sorted(packages.items())
    ]
    session.add_all(rows)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="organisation.products_declared",
        object_type="organisation",
        object_id=org.id,
        at=now,
        owner_org_id=org.id,
        change={"before": before, "after": [r.purl for r in rows]},
    )
    return rows


@dataclass
class ProposedVendor:
    org: Organisation
    packages: set[str] = field(default_factory=set)  # declared purls the case names
    participant: bool = False


def proposed_vendors(session: Session, case: Case) -> list[ProposedVendor]:
    """Organisations declaring a package the case names, as its possible vendors."""
    found: dict[uuid.UUID, ProposedVendor] = {}
    by_package: dict[tuple[str, str], set[str]] = defaultdict(set)
    for package in case_packages(session, case):
        by_package[(package.base, package.name)].add(package.purl)
    for (base, name), _purls in sorted(by_package.items()):
        for row in session.scalars(
            select(DeclaredProduct).where(
                DeclaredProduct.ecosystem == base, DeclaredProduct.name == name
            )
        ):
            if row.org_id not in found:
                org = session.get(Organisation, row.org_id)
                if org is None:  # pragma: no cover (foreign keys cascade)
                    continue
                found[row.org_id] = ProposedVendor(org)
            found[row.org_id].packages.add(row.purl)
    taking_part = _participants(session, case)
    for org_id, vendor in found.items():
        vendor.participant = org_id in taking_part
    return sorted(found.values(), key=lambda v: v.org.slug)
