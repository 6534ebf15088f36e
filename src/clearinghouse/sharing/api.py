"""Shared objects over the REST API (``/api/v1/sharing``, problem+json errors): collections
and sharing groups (list, create), a collection's objects (read a page, add), and a
producer's sightings summary (counts and first/last seen of what it shared, and the
organisations that chose to name themselves when they posted their sightings). Every
route asks :mod:`clearinghouse.policy.sharing`; reads filter by TLP in the query that
pages, as TAXII does (same store, ``read`` scope instead of ``taxii``), and each page
served writes an access-log row, as TAXII's do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from clearinghouse.accounts.models import Organisation, User
from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.pagination import clamp_limit
from clearinghouse.errors import InvalidInput
from clearinghouse.formats import misp_import, stix
from clearinghouse.formats.model import Tlp
from clearinghouse.policy import (
    Channel,
    Decision,
    GroupFacts,
    SharingAction,
    can_collection,
    decide_group,
    decide_sharing,
    object_scope,
    require_group,
    sighter_reveals,
    sighter_shown,
    sighting_counted,
)
from clearinghouse.policy.core import raise_for
from clearinghouse.sharing import access_log, service, store
from clearinghouse.sharing.models import SharedObject, SharingGroup
from clearinghouse.sharing.taxii_http import TaxiiBadRequest, decode_next_value, encode_next

router = admitted_router(prefix="/api/v1/sharing", tags=["sharing"])
API = Channel.API
Slug = Annotated[str, StringConstraints(max_length=64)]
MAX_NAMED = 100
MAX_MISP_EVENTS = 100


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alias: Slug
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    public: bool = False
    community: bool = False
    members_write: bool = False
    readers: list[Slug] = Field(default_factory=list, max_length=MAX_NAMED)
    writers: list[Slug] = Field(default_factory=list, max_length=MAX_NAMED)
    sharing_groups: list[Slug] = Field(default_factory=list, max_length=MAX_NAMED)
    default_tlp: Tlp | None = None
    mark_unmarked: bool = False
    advisories: bool = False


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    members: list[Slug] = Field(default_factory=list, max_length=MAX_NAMED)


class AudienceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    apply_default_marking: bool = Field(
        False, description="give unmarked objects the collection's default marking (if it has one)"
    )
    sharing_group: Slug | None = None
    named_organisations: list[Slug] = Field(default_factory=list, max_length=MAX_NAMED)
    named_users: list[Annotated[str, StringConstraints(max_length=320)]] = Field(
        default_factory=list, max_length=MAX_NAMED
    )


class ObjectsIn(AudienceIn):
    objects: list[dict[str, Any]] = Field(max_length=store.MAX_OBJECTS_PER_REQUEST)
    reveal_sighter: bool = Field(
        False,
        description="name your organisation to the producers of what the sightings among "
        "these objects sighted (yours only; never read from created_by_ref or "
        "where_sighted_refs); left false, your sightings are counted anonymously",
    )


class MispEventsIn(AudienceIn):
    events: list[dict[str, Any]] = Field(max_length=MAX_MISP_EVENTS)


# What the routes answer. They write their JSON with orjson (objects' stored bodies go out
# as they are), so these models document the answers in the OpenAPI document (and the
# schema fuzzer checks the answers against them) without re-validating each one.


class CollectionOut(BaseModel):
    id: str
    alias: str
    title: str
    description: str
    public: bool
    community: bool
    default_tlp: str | None
    can_write: bool = Field(description="whether you may add objects to it")


class CollectionsOut(BaseModel):
    items: list[CollectionOut]


class GroupSummaryOut(BaseModel):
    slug: str
    name: str
    members: int


class GroupsOut(BaseModel):
    items: list[GroupSummaryOut]


class GroupCreatedOut(BaseModel):
    slug: str
    name: str


class ObjectsPageOut(BaseModel):
    items: list[dict[str, Any]] = Field(description="STIX 2.1 objects, as they were shared")
    next_cursor: str | None


class AddedOut(BaseModel):
    id: str
    version: str | None


class RefusedOut(BaseModel):
    id: str | None
    version: str | None = None
    message: str


class ObjectsAddedOut(BaseModel):
    successes: list[AddedOut]
    failures: list[RefusedOut]


class SighterOut(BaseModel):
    slug: str
    name: str
    sightings: int


class SightingsSummaryOut(BaseModel):
    object: str = Field(description="the STIX id of the object sighted")
    sightings: int
    count: int
    first_seen: str | None
    last_seen: str | None
    revealed: list[SighterOut] = Field(
        description="the organisations that chose to name themselves, with their sightings"
    )
    anonymous: int = Field(description="sightings whose sighter did not name itself")


class SightingsOut(BaseModel):
    shared_objects: int
    items: list[SightingsSummaryOut]


def _documented(model: type[BaseModel], status: int = 200) -> dict[str, Any]:
    return {"responses": {status: {"model": model}}}


def _json(value: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json")


def org_ids_of(ctx: Ctx, slugs: list[str], field: str) -> frozenset[uuid.UUID]:
    found = dict(
        ctx.session.execute(
            select(Organisation.slug, Organisation.id).where(Organisation.slug.in_(slugs))
        ).all()
    )
    unknown = sorted(set(slugs) - set(found))
    if unknown:
        raise InvalidInput(f"no organisation {unknown[0]!r}", field=field)
    return frozenset(found.values())


def group_by_slug(ctx: Ctx, slug: str) -> SharingGroup:
    found = ctx.session.scalars(select(SharingGroup).where(SharingGroup.slug == slug)).first()
    if found is None:
        raise InvalidInput(f"no sharing group {slug!r}", field="sharing_group")
    return found


def _collection_out(ctx: Ctx, collection: Any, facts: Any) -> dict[str, Any]:
    return {
        "id": str(collection.id),
        "alias": collection.alias,
        "title": collection.title,
        "description": collection.description,
        "public": collection.public,
        "community": collection.community,
        "default_tlp": collection.default_tlp.value if collection.default_tlp else None,
        "can_write": can_collection(ctx.principal, SharingAction.OBJECT_WRITE, facts, API),
    }


@router.get("/collections", summary="Collections you may read", **_documented(CollectionsOut))
def list_collections(ctx: CtxDep) -> Response:
    items = []
    for collection in ctx.session.scalars(store.select_collections()):
        facts = store.collection_facts(ctx.session, collection)
        if can_collection(ctx.principal, SharingAction.COLLECTION_READ, facts, API):
            items.append(_collection_out(ctx, collection, facts))
    return _json({"items": items})


@router.post(
    "/collections",
    status_code=201,
    summary="Create a collection (operator)",
    **_documented(CollectionOut, 201),
)
def create_collection(body: CollectionIn, ctx: CtxDep) -> Response:
    raise_for(decide_sharing(ctx.principal, SharingAction.MANAGE), "managing collections")
    groups = [group_by_slug(ctx, slug).id for slug in body.sharing_groups]
    spec = service.CollectionSpec(
        alias=body.alias,
        title=body.title,
        description=body.description,
        public=body.public,
        community=body.community,
        members_write=body.members_write,
        reader_org_ids=org_ids_of(ctx, body.readers, "readers"),
        writer_org_ids=org_ids_of(ctx, body.writers, "writers"),
        group_ids=frozenset(groups),
        default_tlp=body.default_tlp,
        mark_unmarked=body.mark_unmarked,
        advisories=body.advisories,
    )
    created = service.create_collection(ctx.session, spec, actor=ctx.principal, now=ctx.now())
    facts = store.collection_facts(ctx.session, created)
    return _json(_collection_out(ctx, created, facts), 201)


def group_facts(ctx: Ctx, group: SharingGroup) -> GroupFacts:
    return GroupFacts(group.owner_org_id, service.members_of(ctx.session, group))


@router.get(
    "/groups",
    summary="Sharing groups you own, belong to, or (operator) all",
    **_documented(GroupsOut),
)
def list_groups(ctx: CtxDep) -> Response:
    require_group(ctx.principal, SharingAction.GROUP_READ, None)
    items = []
    for group in ctx.session.scalars(select(SharingGroup).order_by(SharingGroup.slug)):
        facts = group_facts(ctx, group)
        if decide_group(ctx.principal, SharingAction.GROUP_READ, facts) is Decision.ALLOW:
            items.append(
                {"slug": group.slug, "name": group.name, "members": len(facts.member_org_ids)}
            )
    return _json({"items": items})


@router.post(
    "/groups",
    status_code=201,
    summary="Create a sharing group",
    **_documented(GroupCreatedOut, 201),
)
def create_group(body: GroupIn, ctx: CtxDep) -> Response:
    require_group(ctx.principal, SharingAction.GROUP_MANAGE, None)
    owner = None if ctx.principal.is_operator else ctx.principal.org_id
    group = service.create_group(
        ctx.session,
        actor=ctx.principal,
        slug=body.slug,
        name=body.name,
        owner_org_id=owner,
        member_org_ids=org_ids_of(ctx, body.members, "members"),
        now=ctx.now(),
    )
    return _json({"slug": group.slug, "name": group.name}, 201)


@router.get(
    "/collections/{collection}/objects",
    summary="A page of a collection's objects",
    **_documented(ObjectsPageOut),
)
def list_objects(
    collection: str,
    ctx: CtxDep,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int | None, Query()] = None,
    type: Annotated[str | None, Query(max_length=250)] = None,
) -> Response:
    found, facts = store.view_collection(
        ctx.session, ctx.principal, collection, SharingAction.COLLECTION_READ, API
    )
    scope = object_scope(ctx.principal, facts, API)
    reader = store.Reader(scope)
    filters = store.Filters(types=(type,) if type else ())
    page = store.page(
        ctx.session,
        found.id,
        reader,
        filters,
        limit=clamp_limit(limit),
        after=_cursor(cursor),
    )
    access_log.record_page(ctx, found.id, API, "objects", page)
    body: dict[str, Any] = {"items": [orjson.Fragment(r.body) for r in page.rows]}
    body["next_cursor"] = encode_next(page.next) if page.next else None
    return _json(body)


def _cursor(cursor: str | None) -> tuple[Any, int] | None:
    if not cursor:
        return None
    try:
        return decode_next_value(cursor)
    except TaxiiBadRequest:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from None


def _audience(ctx: Ctx, body: AudienceIn) -> store.Audience:
    users = frozenset(ctx.session.scalars(select(User.id).where(User.email.in_(body.named_users))))
    if len(users) != len(set(body.named_users)):
        raise InvalidInput("a named user is not known here", field="named_users")
    groups = (
        frozenset({group_by_slug(ctx, body.sharing_group).id})
        if body.sharing_group
        else frozenset()
    )
    return store.Audience(
        group_ids=groups,
        org_ids=org_ids_of(ctx, body.named_organisations, "named_organisations"),
        user_ids=users,
    )


@router.post(
    "/collections/{collection}/objects",
    status_code=201,
    summary="Add STIX objects",
    **_documented(ObjectsAddedOut, 201),
)
def add_objects(collection: str, body: ObjectsIn, ctx: CtxDep) -> Response:
    found, _facts = store.load_collection(
        ctx.session, ctx.principal, collection, SharingAction.OBJECT_WRITE, API
    )
    outcome = store.add_objects(
        ctx.session,
        found,
        ctx.principal,
        body.objects,
        now=ctx.now(),
        apply_default=body.apply_default_marking,
        audience=_audience(ctx, body),
        reveal_sighter=sighter_reveals(ctx.principal, body.reveal_sighter),
    )
    return _json({"successes": outcome.successes, "failures": outcome.failures}, 201)


@router.post("/collections/{collection}/misp-events", status_code=201, summary="Import MISP events")
def import_misp_events(collection: str, body: MispEventsIn, ctx: CtxDep) -> Response:
    """Each MISP event becomes a STIX report and one object per attribute it can express,
    keeping the TLP of the event and of each attribute, never lower
    (:mod:`clearinghouse.formats.misp_import`); then they are added as POSTed objects are."""
    found, _facts = store.load_collection(
        ctx.session, ctx.principal, collection, SharingAction.OBJECT_WRITE, API
    )
    converted = misp_import.convert_events(body.events, store.MAX_OBJECTS_PER_REQUEST)
    objects = [obj for c in converted for obj in c.objects]
    outcome = store.add_objects(
        ctx.session,
        found,
        ctx.principal,
        objects,
        now=ctx.now(),
        apply_default=body.apply_default_marking,
        audience=_audience(ctx, body),
    )
    skipped = [s for c in converted for s in c.skipped]
    return _json(
        {"successes": outcome.successes, "failures": outcome.failures, "skipped": skipped}, 201
    )


@router.get(
    "/sightings",
    summary="Sightings of what your organisation shared",
    **_documented(SightingsOut),
)
def sightings(ctx: CtxDep) -> Response:
    """Per object your organisation shared: how many sightings, the first and last seen,
    over every collection; the organisations that chose to name themselves when they
    posted their sightings (``reveal_sighter``), and how many sightings are anonymous.
    Nobody is named without its consent."""
    raise_for(decide_sharing(ctx.principal, SharingAction.SIGHTINGS_READ), "sightings")
    own = _introduced(ctx.principal.org_id)
    rows = ctx.session.execute(
        select(
            SharedObject.sighting_of,
            SharedObject.stix_id,
            SharedObject.body,
            SharedObject.reveal_sighter,
            SharedObject.producer_org_id,
            SharedObject.tlp,
        )
        .where(SharedObject.sighting_of.in_(own.scalar_subquery()))
        .order_by(SharedObject.sighting_of)
        .limit(100_000)
    ).all()
    latest: dict[str, _Sighting] = {}
    for sighted, sighting_id, raw, revealed, poster, tlp in rows:  # the newest version counts
        if not sighting_counted(ctx.principal, tlp):
            continue
        obj = orjson.loads(raw)
        known = latest.get(sighting_id)
        if known is None or obj.get("modified", "") > known.obj.get("modified", ""):
            latest[sighting_id] = _Sighting(str(sighted), obj, sighter_shown(revealed, poster))
    names = _organisations(ctx, {s.sighter for s in latest.values() if s.sighter is not None})
    summary: dict[str, dict[str, Any]] = {}
    for item in latest.values():
        _tally(summary.setdefault(item.of, _empty_summary(item.of)), item, names)
    for entry in summary.values():
        entry["revealed"] = sorted(entry["revealed"].values(), key=lambda r: r["slug"])
    total = ctx.session.scalar(select(func.count()).select_from(own.distinct().subquery()))
    return _json(
        {"shared_objects": total or 0, "items": sorted(summary.values(), key=lambda e: e["object"])}
    )


def _introduced(org_id: uuid.UUID | None) -> Any:
    """The ids ``org_id`` introduced: one of its versions was the first stored anywhere
    (within a collection, the sequence orders versions added at one instant; across
    collections such a tie leaves the id to nobody). A version of the same id stored
    later by another organisation gains that one nothing, and today it is refused."""
    mine, other = SharedObject, aliased(SharedObject)
    earlier = exists().where(
        other.stix_id == mine.stix_id,
        or_(other.producer_org_id.is_(None), other.producer_org_id != org_id),
        or_(
            other.date_added < mine.date_added,
            and_(
                other.date_added == mine.date_added,
                or_(other.collection_id != mine.collection_id, other.seq < mine.seq),
            ),
        ),
    )
    return select(mine.stix_id).where(mine.producer_org_id == org_id, ~earlier)


@dataclass(frozen=True, slots=True)
class _Sighting:
    of: str
    obj: dict[str, Any]
    sighter: uuid.UUID | None  # named only when its poster chose to (policy.sighter_shown)


def _empty_summary(sighted: str) -> dict[str, Any]:
    return {
        "object": sighted,
        "sightings": 0,
        "count": 0,
        "first_seen": None,
        "last_seen": None,
        "revealed": {},
        "anonymous": 0,
    }


def _organisations(ctx: Ctx, ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    if not ids:
        return {}
    found = ctx.session.execute(
        select(Organisation.id, Organisation.slug, Organisation.name).where(
            Organisation.id.in_(ids)
        )
    ).all()
    return {org_id: (slug, name) for org_id, slug, name in found}


def _tally(entry: dict[str, Any], item: _Sighting, names: dict[uuid.UUID, tuple[str, str]]) -> None:
    obj = item.obj
    entry["sightings"] += 1
    entry["count"] += int(obj.get("count", 1))
    for key, pick in (("first_seen", min), ("last_seen", max)):
        if key in obj:
            moment = stix.taxii_time(stix.parse_timestamp(obj[key]))
            entry[key] = moment if entry[key] is None else pick(entry[key], moment)
    named = names.get(item.sighter) if item.sighter is not None else None
    if named is None:
        entry["anonymous"] += 1
        return
    slug, name = named
    shown = entry["revealed"].setdefault(slug, {"slug": slug, "name": name, "sightings": 0})
    shown["sightings"] += 1
