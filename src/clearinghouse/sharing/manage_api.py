"""The operator's sharing management over the REST API (``/api/v1/sharing``): a
collection's sync source (configure, read, remove, run now). Every route asks
:func:`clearinghouse.policy.decide_sharing` for ``sharing.manage`` first (the operator's
editors with a write-scoped credential), so nobody else learns which collections exist.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from clearinghouse.api.deps import Ctx, CtxDep
from clearinghouse.crypto import SecretBox
from clearinghouse.errors import NotFound
from clearinghouse.policy import SharingAction, decide_sharing
from clearinghouse.policy.core import raise_for
from clearinghouse.sharing import store, sync
from clearinghouse.sharing.models import Collection

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing"])


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


def _managed(ctx: Ctx, key: str, what: str) -> Collection:
    raise_for(decide_sharing(ctx.principal, SharingAction.MANAGE), what)
    found = store.find_collection(ctx.session, key) if len(key) <= 100 else None
    if found is None:
        raise NotFound(f"no collection {key[:100]!r}")
    return found


@router.put("/collections/{collection}/sync", summary="Configure a collection's sync source")
def put_sync(collection: str, body: SyncIn, ctx: CtxDep) -> Response:
    found = _managed(ctx, collection, "configuring a sync source")
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
    found = _managed(ctx, collection, "sync sources")
    source = sync.source_of(ctx.session, found)
    if source is None:
        raise NotFound(f"collection {found.alias!r} has no sync source")
    return _json(sync.describe(source))


@router.delete(
    "/collections/{collection}/sync", status_code=204, summary="Remove a collection's sync source"
)
def delete_sync(collection: str, ctx: CtxDep) -> Response:
    found = _managed(ctx, collection, "removing a sync source")
    sync.remove(ctx.session, found, actor=ctx.principal, now=ctx.now())
    return Response(status_code=204)


@router.post(
    "/collections/{collection}/sync/run", status_code=202, summary="Run a collection's sync now"
)
def run_sync(collection: str, ctx: CtxDep) -> Response:
    found = _managed(ctx, collection, "running a sync")
    source = sync.source_of(ctx.session, found)
    if source is None:
        raise NotFound(f"collection {found.alias!r} has no sync source")
    job_id = sync.request_run(ctx.session, source, now=ctx.now())
    return _json({"job_id": str(job_id)}, 202)
