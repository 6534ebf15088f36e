"""Exposure over HTTP: inventories (upload, list, history, components), findings (list,
one with its history, state changes), VEX statements, withdrawing an aware event a match
recorded, declared products, and the operator's view of who a case affects.

Every route asks :func:`clearinghouse.policy.decide_exposure` (through the service that
loads the resource): an inventory and its findings are their organisation's and the
operator's; a finding of a draft or an embargoed advisory is, for a member, one that does
not exist. Errors are problem documents (``invalid-sbom`` names the component and field).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from clearinghouse.accounts.models import Organisation
from clearinghouse.advisories import service as advisories
from clearinghouse.advisories.models import Advisory
from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.pagination import Page, clamp_limit, issue_cursor, read_cursor
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.exposure import cases as case_exposure
from clearinghouse.exposure import findings, inventories, telling, vex
from clearinghouse.exposure.models import (
    Finding,
    FindingEvent,
    FindingState,
    Inventory,
    InventoryComponent,
    InventoryUpload,
    VexFormat,
    VexStatement,
)
from clearinghouse.formats.model import Justification
from clearinghouse.policy import MISSING, ExposureAction, OwnerFacts, require_exposure

router = admitted_router(prefix="/api/v1", tags=["exposure"])

Slug = Annotated[str, StringConstraints(max_length=64)]
Cursor = Annotated[str | None, Query(max_length=512)]
Limit = Annotated[int | None, Query()]


class InventoryOut(BaseModel):
    id: uuid.UUID
    organisation: str
    name: str
    current_upload: int
    components: int
    created_at: datetime
    updated_at: datetime


class UploadOut(BaseModel):
    number: int
    uploaded_at: datetime
    uploaded_by: str
    format: str
    spec_version: str
    subject: str | None
    digest: str
    size: int
    components: int
    matchable: int
    dependencies: int
    added: int
    removed: int
    changed: int
    changes: dict[str, Any]


class UploadedOut(BaseModel):
    inventory: InventoryOut
    upload: UploadOut
    created: bool


class ComponentOut(BaseModel):
    id: int
    ref: str
    name: str
    purl: str | None
    version: str
    ecosystem: str
    package: str
    release: str
    parent: str | None


class FindingOut(BaseModel):
    id: uuid.UUID
    organisation: str
    inventory: uuid.UUID
    advisory: str
    advisory_state: str
    record: str
    component: str
    purl: str | None
    ecosystem: str
    package: str
    version: str
    fixed: list[str]
    undecided: str | None
    state: FindingState
    justification: Justification | None
    detail: str | None
    matching: bool
    first_matched_at: datetime
    last_matched_at: datetime
    unmatched_at: datetime | None
    told_at: datetime | None
    aware_event: uuid.UUID | None


class FindingEventOut(BaseModel):
    at: datetime
    source: str
    actor: str
    from_state: FindingState | None
    to_state: FindingState
    justification: Justification | None
    reason: str


class FindingDetailOut(FindingOut):
    history: list[FindingEventOut]


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: FindingState
    justification: Justification | None = Field(
        None, description="required with not_affected (CSAF 2.0 flag labels)"
    )
    reason: str = Field("", max_length=findings.MAX_REASON)


class VexIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: VexFormat = VexFormat.CYCLONEDX


class VexOut(BaseModel):
    id: uuid.UUID
    organisation: str
    advisory: str
    record: str
    format: VexFormat
    status: str
    justification: Justification | None
    published_at: datetime
    published_by: str
    document: dict[str, Any]


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=telling.MAX_REASON)


class EventOut(BaseModel):
    id: uuid.UUID
    type: str
    subject: str | None
    occurred_at: datetime
    recorded_at: datetime
    supersedes_id: uuid.UUID | None
    data: dict[str, Any]
    evidence: str | None


class AffectedOut(BaseModel):
    organisation: str
    name: str
    inventories: list[str]
    packages: list[str]
    components: int
    participant: bool
    advisories: list[str]


class InviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisations: list[Slug] | None = Field(
        None,
        max_length=case_exposure.MAX_INVITED,
        description="slugs to invite; omit for every affected member not taking part yet",
    )


class InvitedOut(BaseModel):
    invited: list[str]


class VendorOut(BaseModel):
    organisation: str
    name: str
    kind: str
    packages: list[str]
    participant: bool


class ProductsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purls: list[Annotated[str, StringConstraints(min_length=1, max_length=500)]] = Field(
        max_length=case_exposure.MAX_DECLARED,
        description="package URLs without a version (pkg:maven/org.example/product)",
    )


class ProductsOut(BaseModel):
    organisation: str
    purls: list[str]


# ---- helpers -----------------------------------------------------------------------------------


def organisation_for(ctx: Ctx, slug: str | None, action: ExposureAction) -> Organisation:
    """The organisation named (default: the caller's), after asking the policy: naming
    one the caller may not see answers as naming one that does not exist."""
    if slug is None:
        org = ctx.session.get(Organisation, ctx.principal.org_id) if ctx.principal.org_id else None
    else:
        org = ctx.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if org is None:
        require_exposure(ctx.principal, action, MISSING if slug else OwnerFacts(None))
        raise NotFound(f"no organisation {slug!r}")
    require_exposure(ctx.principal, action, OwnerFacts(org.id))
    return org


def _inventory_out(inventory: Inventory, slug: str) -> InventoryOut:
    return InventoryOut(
        id=inventory.id,
        organisation=slug,
        name=inventory.name,
        current_upload=inventory.current_upload,
        components=inventory.components,
        created_at=inventory.created_at,
        updated_at=inventory.updated_at,
    )


def _upload_out(upload: InventoryUpload) -> UploadOut:
    return UploadOut(
        number=upload.number,
        uploaded_at=upload.uploaded_at,
        uploaded_by=upload.uploaded_by_label,
        format=upload.format,
        spec_version=upload.spec_version,
        subject=upload.subject,
        digest=upload.digest,
        size=upload.size,
        components=upload.components,
        matchable=upload.matchable,
        dependencies=upload.dependencies,
        added=upload.added,
        removed=upload.removed,
        changed=upload.changed,
        changes=upload.changes,
    )


def _slugs(ctx: Ctx, org_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not org_ids:
        return {}
    query = select(Organisation.id, Organisation.slug).where(Organisation.id.in_(org_ids))
    return dict(ctx.session.execute(query).all())


def _finding_out(finding: Finding, advisory: Advisory, slug: str) -> FindingOut:
    return FindingOut(
        id=finding.id,
        organisation=slug,
        inventory=finding.inventory_id,
        advisory=advisory.public_id,
        advisory_state=advisory.state.value,
        record=finding.record_id,
        component=finding.component_ref,
        purl=finding.purl,
        ecosystem=finding.ecosystem,
        package=finding.package,
        version=finding.version,
        fixed=list(finding.fixed),
        undecided=finding.undecided,
        state=finding.state,
        justification=finding.justification,
        detail=finding.detail,
        matching=finding.matching,
        first_matched_at=finding.first_matched_at,
        last_matched_at=finding.last_matched_at,
        unmatched_at=finding.unmatched_at,
        told_at=finding.told_at,
        aware_event=finding.aware_event_id,
    )


def _event_out(event: FindingEvent) -> FindingEventOut:
    return FindingEventOut(
        at=event.at,
        source=event.source.value,
        actor=event.actor_label,
        from_state=event.from_state,
        to_state=event.to_state,
        justification=event.justification,
        reason=event.reason,
    )


def _detail(ctx: Ctx, finding: Finding) -> FindingDetailOut:
    advisory = ctx.session.get(Advisory, finding.advisory_id)
    if advisory is None:  # pragma: no cover (the foreign key cascades)
        raise NotFound("no such finding")
    slug = _slugs(ctx, {finding.org_id})[finding.org_id]
    return FindingDetailOut(
        **_finding_out(finding, advisory, slug).model_dump(),
        history=[_event_out(e) for e in findings.history(ctx.session, finding)],
    )


def _vex_out(ctx: Ctx, statement: VexStatement) -> VexOut:
    advisory = ctx.session.get(Advisory, statement.advisory_id)
    return VexOut(
        id=statement.id,
        organisation=_slugs(ctx, {statement.org_id})[statement.org_id],
        advisory=advisory.public_id if advisory else "",
        record=statement.record_id,
        format=statement.format,
        status=statement.status,
        justification=statement.justification,
        published_at=statement.published_at,
        published_by=statement.published_by_label,
        document=statement.document,
    )


def _cursor(ctx: Ctx, cursor: str | None, size: int) -> list[Any] | None:
    after = read_cursor(ctx, cursor)
    if after is not None and len(after) != size:
        raise InvalidInput("cursor is not one this server issued", field="cursor")
    return after


# ---- inventories -------------------------------------------------------------------------------


@router.post(
    "/inventories",
    response_model=UploadedOut,
    status_code=201,
    summary="Upload an SBOM as an inventory (replaces the current upload of that name)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "CycloneDX 1.2-1.6 (JSON or XML) or SPDX 2.2/2.3 (JSON or "
            "tag-value), sent as the body itself",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/xml": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    },
)
async def upload_inventory(
    request: Request,
    ctx: CtxDep,
    name: Annotated[
        str, Query(min_length=1, max_length=inventories.MAX_NAME, description="system or product")
    ],
    organisation: Annotated[Slug | None, Query(description="default: yours")] = None,
) -> UploadedOut:
    org = organisation_for(ctx, organisation, ExposureAction.INVENTORY_UPLOAD)
    data = await request.body()
    done = await run_in_threadpool(
        inventories.upload,
        ctx.session,
        actor=ctx.principal,
        org=org,
        name=name,
        data=data,
        now=ctx.now(),
    )
    return UploadedOut(
        inventory=_inventory_out(done.inventory, org.slug),
        upload=_upload_out(done.upload),
        created=done.created,
    )


@router.get(
    "/inventories", response_model=Page[InventoryOut], summary="Inventories, latest upload first"
)
def list_inventories(
    ctx: CtxDep,
    organisation: Annotated[Slug | None, Query(description="operator: one organisation's")] = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[InventoryOut]:
    if organisation is None and ctx.principal.is_operator:
        require_exposure(ctx.principal, ExposureAction.INVENTORY_READ)
        org_id = None
    else:
        org_id = organisation_for(ctx, organisation, ExposureAction.INVENTORY_READ).id
    n = clamp_limit(limit)
    after = _cursor(ctx, cursor, 2)
    try:
        rows = inventories.page(ctx.session, org_id, after=after, limit=n + 1)
    except ValueError:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from None
    slugs = _slugs(ctx, {r.org_id for r in rows})
    last = rows[n - 1] if len(rows) > n else None
    key = [last.updated_at.isoformat(), str(last.id)] if last else None
    return Page(
        items=[_inventory_out(r, slugs[r.org_id]) for r in rows[:n]],
        next_cursor=issue_cursor(ctx, key) if key else None,
    )


@router.get("/inventories/{inventory_id}", response_model=InventoryOut, summary="One inventory")
def get_inventory(inventory_id: str, ctx: CtxDep) -> InventoryOut:
    inventory = inventories.get(ctx.session, ctx.principal, inventory_id)
    return _inventory_out(inventory, _slugs(ctx, {inventory.org_id})[inventory.org_id])


@router.get(
    "/inventories/{inventory_id}/history",
    response_model=Page[UploadOut],
    summary="Uploads of an inventory, newest first, with what each changed",
)
def inventory_history(
    inventory_id: str, ctx: CtxDep, cursor: Cursor = None, limit: Limit = None
) -> Page[UploadOut]:
    inventory = inventories.get(ctx.session, ctx.principal, inventory_id)
    n = clamp_limit(limit)
    after = _cursor(ctx, cursor, 1)
    before = int(after[0]) if after and isinstance(after[0], int) else None
    rows = inventories.history(ctx.session, inventory, before=before, limit=n + 1)
    return Page(
        items=[_upload_out(u) for u in rows[:n]],
        next_cursor=issue_cursor(ctx, [rows[n - 1].number]) if len(rows) > n else None,
    )


@router.get(
    "/inventories/{inventory_id}/components",
    response_model=Page[ComponentOut],
    summary="The current upload's components as matching reads them",
)
def inventory_components(
    inventory_id: str, ctx: CtxDep, cursor: Cursor = None, limit: Limit = None
) -> Page[ComponentOut]:
    inventory = inventories.get(ctx.session, ctx.principal, inventory_id)
    n = clamp_limit(limit)
    after = _cursor(ctx, cursor, 1)
    start = int(after[0]) if after and isinstance(after[0], int) else None
    rows: list[InventoryComponent] = list(
        inventories.components(ctx.session, inventory, after=start, limit=n + 1)
    )
    return Page(
        items=[
            ComponentOut(
                id=r.id,
                ref=r.ref,
                name=r.label,
                purl=r.purl,
                version=r.version,
                ecosystem=r.ecosystem,
                package=r.name,
                release=r.release,
                parent=r.parent,
            )
            for r in rows[:n]
        ],
        next_cursor=issue_cursor(ctx, [rows[n - 1].id]) if len(rows) > n else None,
    )


# ---- findings ----------------------------------------------------------------------------------


@router.get(
    "/findings",
    response_model=Page[FindingOut],
    summary="Findings: components an advisory affects (yours; the operator: anyone's)",
)
def list_findings(
    ctx: CtxDep,
    organisation: Annotated[Slug | None, Query(description="operator: one organisation's")] = None,
    inventory: Annotated[uuid.UUID | None, Query()] = None,
    advisory: Annotated[str | None, Query(max_length=200, description="public id")] = None,
    state: Annotated[FindingState | None, Query()] = None,
    matching: Annotated[
        bool | None, Query(description="default true: still matching; false: closed ones")
    ] = True,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[FindingOut]:
    if organisation is None and ctx.principal.is_operator:
        require_exposure(ctx.principal, ExposureAction.FINDING_READ)
        org_id = None
    else:
        org_id = organisation_for(ctx, organisation, ExposureAction.FINDING_READ).id
    advisory_id = None
    if advisory is not None:
        try:
            advisory_id = advisories.get(ctx.session, advisory).id
        except NotFound:
            advisory_id = uuid.UUID(int=0)  # matches nothing: unknown and hidden look alike
    if inventory is not None:
        found = inventories.get(ctx.session, ctx.principal, inventory)
        if org_id is not None and found.org_id != org_id:
            raise NotFound("no such inventory")
    n = clamp_limit(limit)
    after = _cursor(ctx, cursor, 2)
    where = findings.FindingFilter(
        org_id=org_id,
        inventory_id=inventory,
        advisory_id=advisory_id,
        state=state,
        matching=matching,
    )
    try:
        rows = findings.page(ctx.session, ctx.principal, where, after=after, limit=n + 1)
    except ValueError:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from None
    slugs = _slugs(ctx, {f.org_id for f, _ in rows})
    key = findings.cursor_of(rows[n - 1][0]) if len(rows) > n else None
    return Page(
        items=[_finding_out(f, a, slugs[f.org_id]) for f, a in rows[:n]],
        next_cursor=issue_cursor(ctx, key) if key else None,
    )


@router.get(
    "/findings/{finding_id}", response_model=FindingDetailOut, summary="One finding, with history"
)
def get_finding(finding_id: str, ctx: CtxDep) -> FindingDetailOut:
    return _detail(ctx, findings.get(ctx.session, ctx.principal, finding_id))


@router.post(
    "/findings/{finding_id}/state",
    response_model=FindingDetailOut,
    summary="Acknowledge a finding, mark it fixed, or not affected with a VEX justification",
)
def set_finding_state(finding_id: str, body: StateIn, ctx: CtxDep) -> FindingDetailOut:
    finding = findings.get(
        ctx.session, ctx.principal, finding_id, ExposureAction.FINDING_UPDATE, for_update=True
    )
    findings.set_state(
        ctx.session,
        actor=ctx.principal,
        finding=finding,
        state=body.state,
        justification=body.justification,
        reason=body.reason,
        now=ctx.now(),
    )
    return _detail(ctx, finding)


@router.post(
    "/findings/{finding_id}/vex",
    response_model=VexOut,
    status_code=201,
    summary="Publish a VEX statement about a finding, in your organisation's name",
)
def publish_vex(finding_id: str, body: VexIn, ctx: CtxDep) -> VexOut:
    finding = findings.get(ctx.session, ctx.principal, finding_id, ExposureAction.VEX_PUBLISH)
    statement = vex.publish(
        ctx.session,
        actor=ctx.principal,
        finding=finding,
        fmt=body.format,
        now=ctx.now(),
        base_url=ctx.settings.base_url,
    )
    return _vex_out(ctx, statement)


@router.get("/vex/{statement_id}", response_model=VexOut, summary="A published VEX statement")
def get_vex(statement_id: str, ctx: CtxDep) -> VexOut:
    return _vex_out(ctx, vex.get(ctx.session, ctx.principal, statement_id))


@router.post(
    "/exposure/aware-events/{event_id}/withdrawal",
    response_model=EventOut,
    status_code=201,
    summary="Withdraw an aware event exposure matching recorded (the match was wrong)",
)
def withdraw_aware(event_id: str, body: WithdrawIn, ctx: CtxDep) -> EventOut:
    event = telling.withdraw_aware(
        ctx.session, actor=ctx.principal, event_id=event_id, reason=body.reason, now=ctx.now()
    )
    return EventOut(
        id=event.id,
        type=event.type,
        subject=event.subject,
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        supersedes_id=event.supersedes_id,
        data=event.data,
        evidence=event.evidence,
    )


# ---- declared products -------------------------------------------------------------------------


@router.get(
    "/organisations/{slug}/products",
    response_model=ProductsOut,
    summary="The packages an organisation declares it makes",
)
def get_products(slug: str, ctx: CtxDep) -> ProductsOut:
    org = organisation_for(ctx, slug, ExposureAction.PRODUCTS_READ)
    return ProductsOut(
        organisation=org.slug, purls=[d.purl for d in case_exposure.declared(ctx.session, org.id)]
    )


@router.put(
    "/organisations/{slug}/products",
    response_model=ProductsOut,
    summary="Declare the packages your organisation makes (replaces the list)",
)
def put_products(slug: str, body: ProductsIn, ctx: CtxDep) -> ProductsOut:
    org = organisation_for(ctx, slug, ExposureAction.PRODUCTS_WRITE)
    rows = case_exposure.declare(
        ctx.session, actor=ctx.principal, org=org, purls=body.purls, now=ctx.now()
    )
    return ProductsOut(organisation=org.slug, purls=[r.purl for r in rows])


# ---- a case, seen through exposure (operator) --------------------------------------------------


@router.get(
    "/cases/{ref}/exposure",
    response_model=list[AffectedOut],
    summary="Which members a case affects (their inventories hold an affected version)",
)
def case_affected(ref: str, ctx: CtxDep) -> list[AffectedOut]:
    case = case_exposure.load_case(
        ctx.session, ctx.principal, ref, ExposureAction.CASE_EXPOSURE_READ
    )
    return [
        AffectedOut(
            organisation=e.org.slug,
            name=e.org.name,
            inventories=sorted(e.inventories),
            packages=sorted(e.packages),
            components=e.components,
            participant=e.participant,
            advisories=sorted(e.via_advisories),
        )
        for e in case_exposure.affected_members(ctx.session, case)
    ]


@router.post(
    "/cases/{ref}/exposure/invitations",
    response_model=InvitedOut,
    status_code=201,
    summary="Add affected members to the case (as members)",
)
def invite_affected(ref: str, body: InviteIn, ctx: CtxDep) -> InvitedOut:
    case = case_exposure.load_case(
        ctx.session, ctx.principal, ref, ExposureAction.CASE_EXPOSURE_INVITE
    )
    added = case_exposure.invite_affected(
        ctx.session,
        actor=ctx.principal,
        case=case,
        slugs=body.organisations,
        now=ctx.now(),
        base_url=ctx.settings.base_url,
        secret=ctx.settings.secret_key.get_secret_value(),
        platform=ctx.settings.platform_name,
    )
    slugs = _slugs(ctx, {p.org_id for p in added if p.org_id is not None})
    return InvitedOut(invited=sorted(slugs.values()))


@router.get(
    "/cases/{ref}/exposure/vendors",
    response_model=list[VendorOut],
    summary="Vendors proposed for a case: organisations declaring an affected package",
)
def case_vendors(ref: str, ctx: CtxDep) -> list[VendorOut]:
    case = case_exposure.load_case(
        ctx.session, ctx.principal, ref, ExposureAction.CASE_EXPOSURE_READ
    )
    return [
        VendorOut(
            organisation=v.org.slug,
            name=v.org.name,
            kind=v.org.kind.value,
            packages=sorted(v.packages),
            participant=v.participant,
        )
        for v in case_exposure.proposed_vendors(ctx.session, case)
    ]
