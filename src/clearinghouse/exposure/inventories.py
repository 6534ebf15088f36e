"""Inventories: upload (or replace) an organisation's SBOM for one system or product,
list them, and read their history.

A re-upload replaces the current components in the caller's transaction: the inventory
row is locked, the old index rows deleted and the new ones inserted, the upload recorded
with what changed, the audit entry written and the matching job enqueued, all or nothing.
Readers see the previous upload or the new one, never a mixture.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.audit import service as audit
from clearinghouse.db import bulk_insert
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.exposure.models import Inventory, InventoryComponent, InventoryUpload
from clearinghouse.formats.inventory import DEFAULT_LIMITS, Component, SbomError, SbomLimits
from clearinghouse.formats.inventory import Inventory as SbomInventory
from clearinghouse.formats.purl import (
    OsvCoordinates,
    PurlError,
    ecosystem_key,
    normalise_name,
    osv_coordinates,
    parse_purl,
)
from clearinghouse.formats.sbom import read_sbom
from clearinghouse.jobs.queue import enqueue
from clearinghouse.policy import MISSING, ExposureAction, OwnerFacts, require_exposure
from clearinghouse.principal import Principal
from clearinghouse.timeutil import ensure_utc

KIND_MATCH_INVENTORY: Final = "exposure.match_inventory"
MAX_NAME: Final = 200  # an inventory's name
MAX_VERSION: Final = 200  # index columns: longer values are refused, never cut
MAX_PACKAGE: Final = 300
MAX_RELEASE: Final = 50
CHANGES_KEPT: Final = 500  # per list in an upload's summary (the counts are exact)
INSERT_CHUNK: Final = 5_000


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """What one upload may hold; the SBOM readers' own limits (size, count, depth, text)
    apply first."""

    sbom: SbomLimits = DEFAULT_LIMITS
    max_inventories_per_org: int = 10_000


DEFAULT_UPLOAD_LIMITS: Final = UploadLimits()


@dataclass(frozen=True, slots=True)
class Uploaded:
    inventory: Inventory
    upload: InventoryUpload
    created: bool  # the inventory is new


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One row of ``inventory_components`` before it is stored."""

    ecosystem: str
    name: str
    version: str
    release: str
    ref: str
    label: str
    purl: str | None
    parent: str | None


def check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise InvalidInput(f"an inventory name is 1-{MAX_NAME} characters", field="name")
    if cleaned != name.strip():
        raise InvalidInput(
            "an inventory name has no tabs, line breaks or runs of spaces", field="name"
        )
    return cleaned


# ---- components as matching reads them ---------------------------------------------------------


class Coordinates:
    """OSV coordinates of canonical package URLs, memoised (SBOMs repeat purls)."""

    def __init__(self) -> None:
        self._found: dict[str, OsvCoordinates | None] = {}

    def of(self, component: Component) -> OsvCoordinates | None:
        purl = component.purl
        if not purl:
            return None
        if purl not in self._found:
            try:
                self._found[purl] = osv_coordinates(parse_purl(purl))
            except PurlError as exc:  # the readers checked it; keep the error typed anyway
                raise SbomError(exc.detail, field=component.path, component=component.ref) from None
        return self._found[purl]


def index_rows(inventory: SbomInventory) -> list[IndexRow]:
    """The rows matching reads: one per OSV name of each component (a distribution
    package whose source package differs gets two), one with an empty ecosystem for a
    component OSV cannot match (no purl, a type OSV does not cover, no version).

    Raises :class:`SbomError` naming the component and field when a value is longer than
    the index keeps (rather than cutting it, which could turn a match into a miss)."""
    coordinates = Coordinates()
    rows: list[IndexRow] = []
    for component in inventory.components:
        found = coordinates.of(component)
        version = (found.version if found else None) or component.version or ""
        _bounded(component, "version", version, MAX_VERSION)
        if found is None or not version:
            rows.append(_row(component, "", "", version, ""))
            continue
        base = ecosystem_key(found.ecosystem)
        release = (found.release or "").casefold()
        _bounded(component, "purl", release, MAX_RELEASE)
        for name in found.names:
            normalised = normalise_name(found.ecosystem, name)
            _bounded(component, "purl", normalised, MAX_PACKAGE)
            rows.append(_row(component, base, normalised, version, release))
    return rows


def _bounded(component: Component, what: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise SbomError(
            f"the {what} is {len(value)} characters; the inventory keeps at most {limit}",
            field=f"{component.path}.{what}",
            component=component.ref,
        )


def _row(component: Component, ecosystem: str, name: str, version: str, release: str) -> IndexRow:
    return IndexRow(
        ecosystem=ecosystem,
        name=name,
        version=version,
        release=release,
        ref=component.ref,
        label=component.name,
        purl=component.purl,
        parent=component.parent,
    )


# ---- what changed ------------------------------------------------------------------------------


Package = tuple[str, str]  # (ecosystem, name), or ("", component name) when OSV cannot match


def _versions(rows: Sequence[tuple[str, str, str, str]]) -> dict[Package, set[str]]:
    """(ecosystem, name, version, label) rows -> package -> versions (first name only)."""
    found: dict[Package, set[str]] = defaultdict(set)
    for ecosystem, name, version, label in rows:
        found[(ecosystem, name) if ecosystem else ("", label)].add(version)
    return found


def changes(
    before: Sequence[tuple[str, str, str, str]], after: Sequence[tuple[str, str, str, str]]
) -> tuple[dict[str, Any], tuple[int, int, int]]:
    """What an upload changed: packages added, removed, and whose versions changed."""
    old, new = _versions(before), _versions(after)
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(p for p in set(old) & set(new) if old[p] != new[p])

    def label(package: Package) -> str:
        ecosystem, name = package
        return f"{ecosystem}:{name}" if ecosystem else name

    summary = {
        "added": [{"package": label(p), "versions": sorted(new[p])} for p in added[:CHANGES_KEPT]],
        "removed": [
            {"package": label(p), "versions": sorted(old[p])} for p in removed[:CHANGES_KEPT]
        ],
        "changed": [
            {"package": label(p), "from": sorted(old[p]), "to": sorted(new[p])}
            for p in changed[:CHANGES_KEPT]
        ],
    }
    return summary, (len(added), len(removed), len(changed))


# ---- uploading -----------------------------------------------------------------------------


def parse(data: bytes, limits: UploadLimits, *, validate_schema: bool = True) -> SbomInventory:
    """The SBOM's inventory, or a :class:`SbomError` naming the component and field."""
    if not data.strip():
        raise SbomError("the request body is empty: send the SBOM document itself")
    return read_sbom(data, limits=limits.sbom, validate_schema=validate_schema)


def upload(
    session: Session,
    *,
    actor: Principal,
    org: Organisation,
    name: str,
    data: bytes,
    now: datetime,
    limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
    validate_schema: bool = True,
) -> Uploaded:
    """Store ``data`` (an SBOM) as the current upload of inventory ``name`` of ``org``,
    replacing the previous one atomically, and enqueue its matching."""
    require_exposure(actor, ExposureAction.INVENTORY_UPLOAD, OwnerFacts(org.id))
    name = check_name(name)
    now = ensure_utc(now)
    sbom = parse(data, limits, validate_schema=validate_schema)
    rows = index_rows(sbom)
    inventory, created = _locked_inventory(session, org, name, now, limits)
    before = _current_rows(session, inventory.id) if not created else []
    number = inventory.current_upload + 1
    session.execute(
        delete(InventoryComponent).where(InventoryComponent.inventory_id == inventory.id)
    )
    _insert_rows(session, inventory, rows)
    first_names = _first_names(rows)
    summary, (added, removed, changed) = changes(before, first_names)
    record = InventoryUpload(
        id=uuid.uuid4(),
        inventory_id=inventory.id,
        number=number,
        uploaded_at=now,
        uploaded_by_label=actor.label,
        uploaded_by_user_id=actor.user_id,
        format=sbom.format.value,
        spec_version=sbom.spec_version[:40],
        subject=(sbom.name or None) and str(sbom.name)[:500],
        digest=hashlib.sha256(data).hexdigest(),
        size=len(data),
        components=len(sbom.components),
        matchable=sum(1 for r in first_names if r[0]),
        dependencies=sum(len(v) for v in sbom.dependencies.values()),
        added=added,
        removed=removed,
        changed=changed,
        changes=summary,
    )
    session.add(record)
    inventory.current_upload = number
    inventory.components = len(sbom.components)
    inventory.updated_at = now
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="inventory.uploaded",
        object_type="inventory",
        object_id=inventory.id,
        at=now,
        owner_org_id=org.id,
        change={
            "organisation": org.slug,
            "name": name,
            "upload": number,
            "digest": record.digest,
            "components": record.components,
            "added": added,
            "removed": removed,
            "changed": changed,
        },
    )
    enqueue(
        session,
        KIND_MATCH_INVENTORY,
        {"inventory_id": str(inventory.id), "upload": number},
        now=now,
        idempotency_key=f"{KIND_MATCH_INVENTORY}:{inventory.id}:{number}",
    )
    return Uploaded(inventory, record, created)


def _locked_inventory(
    session: Session, org: Organisation, name: str, now: datetime, limits: UploadLimits
) -> tuple[Inventory, bool]:
    """The inventory row, locked for this transaction; created when new. Two concurrent
    first uploads of one name: the database's unique constraint decides, and the loser
    replaces the winner's upload in turn."""
    query = select(Inventory).where(Inventory.org_id == org.id, Inventory.name == name)
    found = session.scalars(query.with_for_update()).first()
    if found is not None:
        return found, False
    count = session.scalar(select(func.count()).where(Inventory.org_id == org.id)) or 0
    if count >= limits.max_inventories_per_org:
        raise InvalidInput(
            f"an organisation keeps at most {limits.max_inventories_per_org} inventories; "
            "replace one instead",
            field="name",
        )
    session.flush()
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new_id = uuid.uuid4()
    session.execute(
        insert_(Inventory)
        .values(
            id=new_id,
            org_id=org.id,
            name=name,
            current_upload=0,
            components=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["org_id", "name"])
    )
    inventory = session.scalars(
        query.with_for_update().execution_options(populate_existing=True)
    ).one()
    return inventory, inventory.id == new_id


def _current_rows(session: Session, inventory_id: uuid.UUID) -> list[tuple[str, str, str, str]]:
    rows = session.execute(
        select(
            InventoryComponent.ecosystem,
            InventoryComponent.name,
            InventoryComponent.version,
            InventoryComponent.label,
            InventoryComponent.ref,
        )
        .where(InventoryComponent.inventory_id == inventory_id)
        .order_by(InventoryComponent.id)
    ).all()
    seen: set[str] = set()
    out = []
    for ecosystem, name, version, label, ref in rows:
        if ref in seen:  # a source-package row of a component already counted
            continue
        seen.add(ref)
        out.append((ecosystem, name, version, label))
    return out


def _first_names(rows: Sequence[IndexRow]) -> list[tuple[str, str, str, str]]:
    seen: set[str] = set()
    out = []
    for row in rows:
        if row.ref in seen:
            continue
        seen.add(row.ref)
        out.append((row.ecosystem, row.name, row.version, row.label))
    return out


def _insert_rows(session: Session, inventory: Inventory, rows: Sequence[IndexRow]) -> None:
    values = [
        {
            "inventory_id": inventory.id,
            "org_id": inventory.org_id,
            "ecosystem": r.ecosystem,
            "name": r.name,
            "version": r.version,
            "release": r.release,
            "ref": r.ref,
            "label": r.label,
            "purl": r.purl,
            "parent": r.parent,
        }
        for r in rows
    ]
    bulk_insert(session, InventoryComponent, values, chunk=INSERT_CHUNK)


# ---- reading -----------------------------------------------------------------------------------


def get(session: Session, actor: Principal, inventory_id: uuid.UUID | str) -> Inventory:
    """One inventory, if ``actor`` may read it (else the 401/404 the policy says)."""
    found = None
    try:
        found = session.get(Inventory, uuid.UUID(str(inventory_id)))
    except ValueError:
        found = None
    if found is None:
        require_exposure(actor, ExposureAction.INVENTORY_READ, MISSING)
        raise NotFound("no such inventory")
    require_exposure(actor, ExposureAction.INVENTORY_READ, OwnerFacts(found.org_id))
    return found


def page(
    session: Session,
    org_id: uuid.UUID | None,
    *,
    after: Sequence[Any] | None,
    limit: int,
) -> list[Inventory]:
    """Inventories, most recently updated first (``org_id`` None: every organisation's)."""
    query = select(Inventory)
    if org_id is not None:
        query = query.where(Inventory.org_id == org_id)
    if after:
        at, last = datetime.fromisoformat(str(after[0])), uuid.UUID(str(after[1]))
        query = query.where(
            or_(Inventory.updated_at < at, and_(Inventory.updated_at == at, Inventory.id < last))
        )
    query = query.order_by(Inventory.updated_at.desc(), Inventory.id.desc()).limit(limit)
    return list(session.scalars(query))


def history(
    session: Session, inventory: Inventory, *, before: int | None, limit: int
) -> list[InventoryUpload]:
    """Uploads, newest first (``before``: an upload number, to page on)."""
    query = select(InventoryUpload).where(InventoryUpload.inventory_id == inventory.id)
    if before is not None:
        query = query.where(InventoryUpload.number < before)
    return list(session.scalars(query.order_by(InventoryUpload.number.desc()).limit(limit)))


def components(
    session: Session, inventory: Inventory, *, after: int | None, limit: int
) -> Iterator[InventoryComponent]:
    query = select(InventoryComponent).where(InventoryComponent.inventory_id == inventory.id)
    if after is not None:
        query = query.where(InventoryComponent.id > after)
    yield from session.scalars(query.order_by(InventoryComponent.id).limit(limit))
