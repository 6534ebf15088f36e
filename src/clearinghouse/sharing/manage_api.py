"""Managing sharing over the REST API (``/api/v1/sharing``): changing and deleting
collections (the operator) and sharing groups (their owner or the operator), a
collection's sync source (configure, read, remove, run now), and the access log (who
read which shared objects; the operator). Collection routes ask
:func:`clearinghouse.policy.decide_sharing` (``sharing.manage``, the operator's editors
with a write-scoped credential) before looking the collection up, so nobody else learns
which collections exist; group routes ask :func:`clearinghouse.policy.decide_group` with
the group's facts (a group one may not see answers as a missing one).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import and_, or_, select

from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.pagination import clamp_limit
from clearinghouse.crypto import SecretBox
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.formats.model import Tlp
from clearinghouse.policy import MISSING, SharingAction, decide_sharing, require_group
from clearinghouse.policy.core import raise_for
from clearinghouse.sharing import service, store, sync
from clearinghouse.sharing.api import group_by_slug, group_facts, org_ids_of
from clearinghouse.sharing.models import Collection, SharedAccess, SharingGroup
from clearinghouse.timeutil import format_instant, parse_instant

router = admitted_router(prefix="/api/v1/sharing", tags=["sharing"])
Slug = Annotated[str, StringConstraints(max_length=64)]
MAX_NAMED = 100


class CollectionPatch(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    public: bool | None = None
    community: bool | None = None
    members_write: bool | None = None
    readers: list[Slug] | None = Field(None, max_length=MAX_NAMED)
    writers: list[Slug] | None = Field(None, max_length=MAX_NAMED)
    sharing_groups: list[Slug] | None = Field(None, max_length=MAX_NAMED)
    default_tlp: Tlp | None = None
    mark_unmarked: bool | None = None
    advisories: bool | None = None


class GroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    members: list[Slug] | None = Field(None, max_length=MAX_NAMED)


class SyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(
        max_length=1990,
        description="the remote TAXII 2.1 collection, e.g. https://host/taxii2/root/collections/ID/",
    )
    username: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, description="set: HTTP Basic with the secret as password; unset: a Bearer token"
    )
    secret: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = Field(
        None, description="the remote's API token or password (stored encrypted, never shown)"
    )
    interval_minutes: int = Field(60, ge=sync.MIN_INTERVAL, le=sync.MAX_INTERVAL)
    enabled: bool = True
    apply_default_marking: bool = Field(
        False, description="give unmarked remote objects the collection's default marking"
    )


def _json(value: object, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json")


def managed_collection(ctx: Ctx, key: str, what: str) -> Collection:
    """The collection ``key`` names, once the policy lets the caller manage collections
    (asked first: nobody else learns which exist)."""
    raise_for(decide_sharing(ctx.principal, SharingAction.MANAGE), what)
    found = store.find_collection(ctx.session, key) if len(key) <= 100 else None
    if found is None:
        raise NotFound(f"no collection {key[:100]!r}")
    return found


@router.put("/collections/{collection}/sync", summary="Configure a collection's sync source")
def put_sync(collection: str, body: SyncIn, ctx: CtxDep) -> Response:
    found = managed_collection(ctx, collection, "configuring a sync source")
    source = sync.configure(
        ctx.session,
        found,
        sync.SyncSpec(
            url=body.url,
            username=body.username,
            secret=body.secret,
            interval_minutes=body.interval_minutes,
            enabled=body.enabled,
            apply_default_marking=body.apply_default_marking,
        ),
        box=SecretBox(ctx.settings.secret_key.get_secret_value()),
        actor=ctx.principal,
        now=ctx.now(),
    )
    return _json(sync.describe(source))


@router.get("/collections/{collection}/sync", summary="A collection's sync source and its state")
def get_sync(collection: str, ctx: CtxDep) -> Response:
    found = managed_collection(ctx, collection, "sync sources")
    source = sync.source_of(ctx.session, found)
    if source is None:
        raise NotFound(f"collection {found.alias!r} has no sync source")
    return _json(sync.describe(source))


@router.delete(
    "/collections/{collection}/sync", status_code=204, summary="Remove a collection's sync source"
)
def delete_sync(collection: str, ctx: CtxDep) -> Response:
    found = managed_collection(ctx, collection, "removing a sync source")
    sync.remove(ctx.session, found, actor=ctx.principal, now=ctx.now())
    return Response(status_code=204)


@router.post(
    "/collections/{collection}/sync/run", status_code=202, summary="Run a collection's sync now"
)
def run_sync(collection: str, ctx: CtxDep) -> Response:
    found = managed_collection(ctx, collection, "running a sync")
    source = sync.source_of(ctx.session, found)
    if source is None:
        raise NotFound(f"collection {found.alias!r} has no sync source")
    job_id = sync.request_run(ctx.session, source, now=ctx.now())
    return _json({"job_id": str(job_id)}, 202)


@router.patch("/collections/{collection}", summary="Change a collection (operator)")
def patch_collection(collection: str, body: CollectionPatch, ctx: CtxDep) -> Response:
    found = managed_collection(ctx, collection, "changing a collection")
    groups = body.sharing_groups
    change = service.CollectionChange(
        title=body.title,
        description=body.description,
        public=body.public,
        community=body.community,
        members_write=body.members_write,
        reader_org_ids=None if body.readers is None else org_ids_of(ctx, body.readers, "readers"),
        writer_org_ids=None if body.writers is None else org_ids_of(ctx, body.writers, "writers"),
        group_ids=None
        if groups is None
        else frozenset(group_by_slug(ctx, slug).id for slug in groups),
        default_tlp=body.default_tlp,
        mark_unmarked=body.mark_unmarked,
        advisories=body.advisories,
    )
    changed = service.change_collection(
        ctx.session, found, change, actor=ctx.principal, now=ctx.now()
    )
    return _json(
        {
            "id": str(changed.id),
            "alias": changed.alias,
            "title": changed.title,
            "public": changed.public,
            "community": changed.community,
            "members_write": changed.members_write,
            "default_tlp": changed.default_tlp.value if changed.default_tlp else None,
            "mark_unmarked": changed.mark_unmarked,
            "advisories": changed.advisories,
        }
    )


@router.delete(
    "/collections/{collection}", status_code=204, summary="Delete a collection and its objects"
)
def delete_collection(collection: str, ctx: CtxDep) -> Response:
    found = managed_collection(ctx, collection, "deleting a collection")
    service.delete_collection(ctx.session, found, actor=ctx.principal, now=ctx.now())
    return Response(status_code=204)


def managed_group(
    ctx: Ctx, slug: str, action: SharingAction = SharingAction.GROUP_MANAGE
) -> SharingGroup:
    """The group ``slug`` names, once the policy lets the caller do ``action`` on it
    (managing it, or reading it for the pages); a group one may not see answers as a
    missing one."""
    found = (
        ctx.session.scalars(select(SharingGroup).where(SharingGroup.slug == slug)).first()
        if len(slug) <= 64
        else None
    )
    if found is None:
        require_group(ctx.principal, action, MISSING)
        raise AssertionError("unreachable: a missing group is never allowed")
    require_group(ctx.principal, action, group_facts(ctx, found))
    return found


@router.patch("/groups/{group}", summary="Rename a sharing group or replace its members")
def patch_group(group: str, body: GroupPatch, ctx: CtxDep) -> Response:
    found = managed_group(ctx, group)
    members = None if body.members is None else org_ids_of(ctx, body.members, "members")
    service.change_group(
        ctx.session,
        found,
        actor=ctx.principal,
        now=ctx.now(),
        name=body.name,
        description=body.description,
        member_org_ids=members,
    )
    return _json(
        {
            "slug": found.slug,
            "name": found.name,
            "members": len(service.members_of(ctx.session, found)),
        }
    )


@router.delete("/groups/{group}", status_code=204, summary="Delete a sharing group")
def delete_group(group: str, ctx: CtxDep) -> Response:
    found = managed_group(ctx, group)
    service.delete_group(ctx.session, found, actor=ctx.principal, now=ctx.now())
    return Response(status_code=204)


def _log_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The position after which the next page starts: ``<RFC 3339 instant>_<row id>``."""
    if not cursor:
        return None
    try:
        at, _, key = cursor.partition("_")
        return parse_instant(at), uuid.UUID(key)
    except (InvalidInput, ValueError):
        raise InvalidInput("cursor is not one this server issued", field="cursor") from None


@router.get("/access-log", summary="Who read which shared objects (operator)")
def access_log(
    ctx: CtxDep,
    collection: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Newest first, one row per page of objects served (TAXII and the REST API): when,
    the collection, the channel and route, who (principal, organisation, user), how many
    objects, their ``seq`` range, and the query."""
    raise_for(decide_sharing(ctx.principal, SharingAction.ACCESS_LOG_READ), "the access log")
    query = select(SharedAccess)
    if collection is not None:
        found = store.find_collection(ctx.session, collection)
        if found is None:
            raise NotFound(f"no collection {collection!r}")
        query = query.where(SharedAccess.collection_id == found.id)
    after = _log_cursor(cursor)
    if after is not None:
        at, key = after
        query = query.where(
            or_(SharedAccess.at < at, and_(SharedAccess.at == at, SharedAccess.id < key))
        )
    size = clamp_limit(limit)
    rows = list(
        ctx.session.scalars(
            query.order_by(SharedAccess.at.desc(), SharedAccess.id.desc()).limit(size + 1)
        )
    )
    more = len(rows) > size
    rows = rows[:size]
    aliases = dict(ctx.session.execute(select(Collection.id, Collection.alias)).all())
    items: list[dict[str, Any]] = [
        {
            "at": format_instant(r.at, micro=True),
            "collection": str(r.collection_id),
            "collection_alias": aliases.get(r.collection_id),
            "channel": r.channel,
            "route": r.route,
            "principal": r.principal,
            "org_id": str(r.org_id) if r.org_id else None,
            "user_id": str(r.user_id) if r.user_id else None,
            "count": r.count,
            "first_seq": r.first_seq,
            "last_seq": r.last_seq,
            "query": r.query,
        }
        for r in rows
    ]
    last = rows[-1] if rows else None
    next_cursor = (
        f"{format_instant(last.at, micro=True)}_{last.id}" if more and last is not None else None
    )
    return _json({"items": items, "next_cursor": next_cursor})
