"""Advisories over HTTP: drafts and revisions, diffs, scheduling, publication, withdrawal,
renditions and exports, imports, and the comparison of sources."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from clearinghouse.advisories import compare as comparing
from clearinghouse.advisories import drafting, imports, publish, renditions, search, service
from clearinghouse.advisories.export import export
from clearinghouse.advisories.models import (
    Advisory,
    AdvisoryState,
    Rendition,
    RenditionFormat,
    RenditionStatus,
)
from clearinghouse.advisories.render import RenderContext
from clearinghouse.advisories.schemas import DraftIn, VulnerabilityIn
from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.instants import Instant
from clearinghouse.api.pagination import Page, clamp_limit, issue_cursor, read_cursor
from clearinghouse.errors import NotFound
from clearinghouse.formats import model as m
from clearinghouse.formats.csaf import OnFindings
from clearinghouse.policy import AdvisoryAction, require_advisory

router = admitted_router(prefix="/api/v1", tags=["advisories"])


class AdvisoryOut(BaseModel):
    id: str = Field(description="public id: CHSA-YYYY-NNNN, or the source's id for imports")
    title: str
    state: AdvisoryState
    tlp: m.Tlp
    source: str
    source_id: str
    source_revision: str | None
    case_id: uuid.UUID | None
    current_revision: int
    published_revision: int | None
    served_revision: int
    scheduled_at: datetime | None
    published_at: datetime | None
    last_published_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    created_at: datetime
    updated_at: datetime


class AdvisoryDetailOut(AdvisoryOut):
    document: dict[str, Any] = Field(description="the served revision, as neutral JSON")


class SavedOut(AdvisoryDetailOut):
    revision_created: bool


class RevisionOut(BaseModel):
    number: int
    summary: str
    author: str
    created_at: datetime
    digest: str
    source_revision: str | None


class RevisionDetailOut(RevisionOut):
    document: dict[str, Any]


class DiffOut(BaseModel):
    from_revision: int
    to_revision: int
    changes: list[dict[str, Any]]


class FromCaseIn(BaseModel):
    tlp: m.Tlp = Field(description="required: there is no default marking")


class ScheduleIn(BaseModel):
    at: Instant | None = Field(None, description="default: the end of the case's embargo")


class PublishIn(BaseModel):
    summary: str = Field("", max_length=500, description="revision-history entry")


class WithdrawIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class RenditionOut(BaseModel):
    format: RenditionFormat
    key: str
    revision: int
    status: RenditionStatus
    detail: str | None = Field(description="why it failed, or why the format does not apply")


class PublishOut(BaseModel):
    advisory: AdvisoryOut
    revision: int
    already: bool = Field(description="nothing to do: this revision was published before")
    renditions: list[RenditionOut]


class ImportItemOut(BaseModel):
    name: str
    outcome: imports.Outcome
    id: str | None
    source: str | None
    source_revision: str | None
    error: str | None
    warnings: list[str]


class ImportOut(BaseModel):
    counts: dict[str, int]
    items: list[ImportItemOut]


def _out(ctx: Ctx, advisory: Advisory, newest: int | None = None) -> AdvisoryOut:
    """The advisory as the caller may know it. Whoever is not shown every revision is given
    the newest it is shown (``newest``, :func:`service.visible_revision`) as the current
    one, and that revision's instant as the last update: nothing of the drafts withheld."""
    if newest is None:
        newest = _newest_visible(ctx, advisory)
    updated_at = advisory.updated_at
    if newest != advisory.current_revision:
        updated_at = service.revision(ctx.session, advisory, newest).created_at
    return AdvisoryOut(
        id=advisory.public_id,
        title=advisory.title,
        state=advisory.state,
        tlp=advisory.tlp,
        source=advisory.source,
        source_id=advisory.source_id,
        source_revision=advisory.source_revision,
        case_id=advisory.case_id,
        current_revision=newest,
        published_revision=advisory.published_revision,
        served_revision=service.served_revision(advisory),
        scheduled_at=advisory.scheduled_at,
        published_at=advisory.published_at,
        last_published_at=advisory.last_published_at,
        withdrawn_at=advisory.withdrawn_at,
        withdrawn_reason=advisory.withdrawn_reason,
        created_at=advisory.created_at,
        updated_at=updated_at,
    )


def _detail(ctx: Ctx, advisory: Advisory) -> AdvisoryDetailOut:
    number = _newest_visible(ctx, advisory)
    document = service.revision(ctx.session, advisory, number).document
    return AdvisoryDetailOut(**_out(ctx, advisory, number).model_dump(), document=document)


def _rendition_out(r: Rendition) -> RenditionOut:
    return RenditionOut(
        format=r.format, key=r.key, revision=r.revision, status=r.status, detail=r.detail
    )


def _render_ctx(ctx: Ctx) -> RenderContext:
    return publish.render_context(ctx.settings.base_url, ctx.settings.platform_name)


def _newest_visible(ctx: Ctx, advisory: Advisory) -> int:
    """The newest revision number the caller may see."""
    return service.visible_revision(ctx.session, ctx.principal, advisory)


@router.get("/advisories", response_model=Page[AdvisoryOut], summary="Advisories you may read")
def list_advisories(
    ctx: CtxDep,
    state: AdvisoryState | None = None,
    source: Annotated[str | None, Query(max_length=300)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=search.QUERY_MAX,
            description="an identifier (CVE, GHSA, CHSA; exact, any case), or text found "
            "in the title or an affected package's name or purl",
        ),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[AdvisoryOut]:
    require_advisory(ctx.principal, AdvisoryAction.READ)
    size = clamp_limit(limit)
    found = search.readable_page(
        ctx.session,
        ctx.principal,
        search.Filters(q=q, state=state, source=source),
        size=size,
        after=search.after_key(read_cursor(ctx, cursor)),
    )
    return Page(
        items=[_out(ctx, a) for a in found.items],
        next_cursor=issue_cursor(ctx, found.next_key) if found.next_key else None,
    )


@router.post("/advisories", response_model=SavedOut, status_code=201, summary="Create a draft")
def create_advisory(body: DraftIn, ctx: CtxDep) -> SavedOut:
    saved = service.create_draft(
        ctx.session,
        body,
        actor=ctx.principal,
        now=ctx.now(),
        publisher=service.platform_publisher(ctx.settings),
    )
    return SavedOut(**_detail(ctx, saved.advisory).model_dump(), revision_created=True)


@router.post(
    "/advisories/from-case/{case_ref}",
    response_model=SavedOut,
    status_code=201,
    summary="Draft an advisory from a case",
)
def create_from_case(case_ref: str, body: FromCaseIn, ctx: CtxDep) -> SavedOut:
    require_advisory(ctx.principal, AdvisoryAction.WRITE)  # before saying whether it exists
    case = drafting.case_of(ctx.session, case_ref)
    saved = drafting.draft_from_case(
        ctx.session,
        case,
        actor=ctx.principal,
        now=ctx.now(),
        publisher=service.platform_publisher(ctx.settings),
        tlp=body.tlp,
    )
    return SavedOut(**_detail(ctx, saved.advisory).model_dump(), revision_created=True)


@router.post(
    "/advisories/import", response_model=ImportOut, summary="Import OSV records or CSAF documents"
)
async def import_advisories(
    request: Request,
    ctx: CtxDep,
    filename: Annotated[
        str, Query(min_length=1, max_length=300, description="tells JSON, YAML and zip apart")
    ] = "upload.json",
    tlp: Annotated[
        m.Tlp | None, Query(description="marking for records that carry none (OSV)")
    ] = None,
    source: Annotated[str | None, Query(max_length=300, pattern=r"^(osv|csaf):.+")] = None,
    csaf_findings: Annotated[
        OnFindings,
        Query(
            description="CSAF documents failing a mandatory test: refuse them, or record the "
            "findings and import them anyway (each listed in the item's warnings)"
        ),
    ] = OnFindings.REFUSE,
) -> ImportOut:
    data = await request.body()
    options = imports.ImportOptions(
        actor=ctx.principal,
        now=ctx.now(),
        tlp=tlp,
        source=source,
        on_csaf_findings=csaf_findings,
    )
    report = await run_in_threadpool(
        imports.import_upload,
        ctx.session,
        filename,
        data,
        options,
        imports.limits_for(ctx.settings),
    )
    return ImportOut(
        counts=report.counts(),
        items=[
            ImportItemOut(
                name=i.name,
                outcome=i.outcome,
                id=i.public_id,
                source=i.source,
                source_revision=i.source_revision,
                error=i.error,
                warnings=list(i.warnings),
            )
            for i in report.items
        ],
    )


class CompareRecordOut(BaseModel):
    label: str
    advisory: str
    source: str
    record: str


class CompareSourceOut(BaseModel):
    label: str
    ranges: list[dict[str, Any]] = Field(description="OSV-style ranges, as the source wrote them")
    versions: list[str]
    intervals: list[str]
    error: str | None


class CompareDisagreementOut(BaseModel):
    versions: str
    lower: str | None
    lower_inclusive: bool
    upper: str | None
    upper_inclusive: bool
    affected_according_to: list[str]
    not_affected_according_to: list[str]


class ComparePackageOut(BaseModel):
    ecosystem: str
    name: str
    agree: bool
    missing_from: list[str]
    sources: list[CompareSourceOut]
    disagreements: list[CompareDisagreementOut]


class CompareOut(BaseModel):
    id: str
    identifiers: list[str]
    records: list[CompareRecordOut]
    packages: list[ComparePackageOut]


@router.get(
    "/advisories/compare",
    response_model=CompareOut,
    summary="Compare the sources of one vulnerability",
)
def compare_sources(
    ctx: CtxDep, id: Annotated[str, Query(min_length=1, max_length=200)]
) -> dict[str, Any]:
    result = comparing.compare(ctx.session, ctx.principal, id)
    return {
        "id": result.identifier,
        "identifiers": list(result.identifiers),
        "records": [
            {
                "label": r.label,
                "advisory": r.advisory_id,
                "source": r.source,
                "record": r.vulnerability.id,
            }
            for r in result.records
        ],
        "packages": [
            {
                "ecosystem": p.ecosystem,
                "name": p.name,
                "agree": p.agree,
                "missing_from": list(p.missing_from),
                "sources": [
                    {
                        "label": s.label,
                        "ranges": list(s.ranges),
                        "versions": list(s.versions),
                        "intervals": list(s.intervals),
                        "error": s.error,
                    }
                    for s in p.sources
                ],
                "disagreements": [
                    {
                        "versions": d.versions,
                        "lower": d.lower,
                        "lower_inclusive": d.lower_inclusive,
                        "upper": d.upper,
                        "upper_inclusive": d.upper_inclusive,
                        "affected_according_to": list(d.affected_according_to),
                        "not_affected_according_to": list(d.not_affected_according_to),
                    }
                    for d in p.disagreements
                ],
            }
            for p in result.packages
        ],
    }


@router.get("/advisories/{advisory_id}", response_model=AdvisoryDetailOut, summary="One advisory")
def get_advisory(advisory_id: str, ctx: CtxDep) -> AdvisoryDetailOut:
    return _detail(ctx, service.readable(ctx.session, ctx.principal, advisory_id))


@router.patch("/advisories/{advisory_id}", response_model=SavedOut, summary="Revise a draft")
def revise_advisory(advisory_id: str, body: DraftIn, ctx: CtxDep) -> SavedOut:
    advisory = service.writable(ctx.session, ctx.principal, advisory_id, AdvisoryAction.WRITE)
    saved = service.revise(ctx.session, advisory, body, actor=ctx.principal, now=ctx.now())
    return SavedOut(**_detail(ctx, advisory).model_dump(), revision_created=saved.created)


@router.get(
    "/advisories/{advisory_id}/input",
    response_model=list[VulnerabilityIn],
    summary="Vulnerabilities in input form",
)
def advisory_input(advisory_id: str, ctx: CtxDep) -> list[VulnerabilityIn]:
    advisory = service.readable(ctx.session, ctx.principal, advisory_id)
    doc = service.document(ctx.session, advisory, _newest_visible(ctx, advisory))
    return service.draft_input(doc)


@router.get(
    "/advisories/{advisory_id}/revisions",
    response_model=list[RevisionOut],
    summary="Revision history",
)
def list_revisions(advisory_id: str, ctx: CtxDep) -> list[RevisionOut]:
    advisory = service.readable(ctx.session, ctx.principal, advisory_id)
    return [
        RevisionOut(
            number=r.number,
            summary=r.summary,
            author=r.author_label,
            created_at=r.created_at,
            digest=r.digest,
            source_revision=r.source_revision,
        )
        for r in service.visible_revisions(ctx.session, ctx.principal, advisory)
    ]


@router.get(
    "/advisories/{advisory_id}/revisions/{number}",
    response_model=RevisionDetailOut,
    summary="One revision",
)
def get_revision(advisory_id: str, number: int, ctx: CtxDep) -> RevisionDetailOut:
    advisory = service.readable(ctx.session, ctx.principal, advisory_id)
    r = service.visible(ctx.session, ctx.principal, advisory, number)
    return RevisionDetailOut(
        number=r.number,
        summary=r.summary,
        author=r.author_label,
        created_at=r.created_at,
        digest=r.digest,
        source_revision=r.source_revision,
        document=r.document,
    )


@router.get(
    "/advisories/{advisory_id}/diff",
    response_model=DiffOut,
    summary="Field-level diff of two revisions",
)
def diff_revisions(
    advisory_id: str,
    ctx: CtxDep,
    from_: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to: Annotated[int | None, Query(ge=1)] = None,
) -> DiffOut:
    advisory = service.readable(ctx.session, ctx.principal, advisory_id)
    shown = [r.number for r in service.visible_revisions(ctx.session, ctx.principal, advisory)]
    after = _newest_visible(ctx, advisory) if to is None else to
    # By default, from the revision before ``after`` that the caller may see.
    before = max((n for n in shown if n < after), default=after) if from_ is None else from_
    for number in (before, after):
        if number not in shown:
            raise NotFound(f"{advisory_id} has no revision {number}")
    changes = service.diff(ctx.session, advisory, before, after)
    return DiffOut(from_revision=before, to_revision=after, changes=[c.as_json() for c in changes])


@router.post(
    "/advisories/{advisory_id}/schedule",
    response_model=AdvisoryOut,
    summary="Publish at the embargo's end",
)
def schedule_advisory(advisory_id: str, body: ScheduleIn, ctx: CtxDep) -> AdvisoryOut:
    advisory = service.writable(ctx.session, ctx.principal, advisory_id, AdvisoryAction.PUBLISH)
    publish.schedule(ctx.session, advisory, actor=ctx.principal, now=ctx.now(), at=body.at)
    return _out(ctx, advisory)


@router.delete(
    "/advisories/{advisory_id}/schedule",
    response_model=AdvisoryOut,
    summary="Cancel a scheduled publication",
)
def unschedule_advisory(advisory_id: str, ctx: CtxDep) -> AdvisoryOut:
    advisory = service.writable(ctx.session, ctx.principal, advisory_id, AdvisoryAction.PUBLISH)
    publish.unschedule(ctx.session, advisory, actor=ctx.principal, now=ctx.now())
    return _out(ctx, advisory)


def _publish_out(ctx: Ctx, result: publish.PublishResult) -> PublishOut:
    return PublishOut(
        advisory=_out(ctx, result.advisory),
        revision=result.revision,
        already=result.already,
        renditions=[_rendition_out(r) for r in result.renditions],
    )


@router.post(
    "/advisories/{advisory_id}/publish",
    response_model=PublishOut,
    summary="Publish every rendition now",
)
def publish_advisory(advisory_id: str, body: PublishIn, ctx: CtxDep) -> PublishOut:
    advisory = service.writable(ctx.session, ctx.principal, advisory_id, AdvisoryAction.PUBLISH)
    result = publish.publish(
        ctx.session,
        advisory,
        actor=ctx.principal,
        now=ctx.now(),
        render=_render_ctx(ctx),
        summary=body.summary,
    )
    return _publish_out(ctx, result)


@router.post(
    "/advisories/{advisory_id}/withdraw",
    response_model=PublishOut,
    summary="Withdraw (an audited correction)",
)
def withdraw_advisory(advisory_id: str, body: WithdrawIn, ctx: CtxDep) -> PublishOut:
    advisory = service.writable(ctx.session, ctx.principal, advisory_id, AdvisoryAction.PUBLISH)
    result = publish.withdraw(
        ctx.session,
        advisory,
        actor=ctx.principal,
        now=ctx.now(),
        reason=body.reason,
        render=_render_ctx(ctx),
    )
    return _publish_out(ctx, result)


@router.get(
    "/advisories/{advisory_id}/renditions",
    response_model=list[RenditionOut],
    summary="Renditions of the served revision",
)
def list_renditions(advisory_id: str, ctx: CtxDep) -> list[RenditionOut]:
    advisory = service.readable(ctx.session, ctx.principal, advisory_id)
    return [_rendition_out(r) for r in renditions.renditions_of(ctx.session, advisory)]


@router.get("/advisories/{advisory_id}/export", summary="The advisory in one format (JSON)")
def export_advisory(
    advisory_id: str,
    ctx: CtxDep,
    format: Annotated[RenditionFormat, Query()],
    key: Annotated[str | None, Query(max_length=200, description="OSV record id or CVE id")] = None,
    revision: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    advisory = service.readable(ctx.session, ctx.principal, advisory_id)
    if revision is None:
        number = _newest_visible(ctx, advisory)
    else:
        number = service.visible(ctx.session, ctx.principal, advisory, revision).number
    content = export(ctx.session, advisory, format, _render_ctx(ctx), revision=number, key=key)
    return Response(orjson.dumps(content), media_type="application/json")
