"""The TAXII 2.1 server under ``/taxii2/``: discovery, one API root (``/taxii2/root/``),
its collections, objects (GET with every filter, POST, DELETE), one object, its versions,
the manifest, and the status of a POST.

Credentials: a bearer API token, or HTTP Basic with an API token as the password (the
user name is ignored). Basic with an account password is refused before any password
hash is computed: one argon2 hash per request would let anyone load the server at will.
Tokens need the ``taxii`` scope (browser sessions hold it); what each may read and write
is the policy's (:mod:`clearinghouse.policy.sharing`), and the TLP filter is applied in the
query that pages. Each page served writes one access-log row, in its own short
transaction, outside the audit chain.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final, NoReturn

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response

from clearinghouse.accounts.service import TOKEN_PREFIX
from clearinghouse.api.deps import Ctx, admitted_router, in_transaction
from clearinghouse.audit import service as audit
from clearinghouse.errors import Forbidden, NotFound, Unauthenticated
from clearinghouse.formats import jsontext, stix
from clearinghouse.policy import (
    MISSING,
    Channel,
    SharingAction,
    StatusFacts,
    can_collection,
    decide_object,
    decide_status,
    object_scope,
)
from clearinghouse.policy.core import raise_for
from clearinghouse.sharing import access_log, store
from clearinghouse.sharing.models import Collection, TaxiiStatus
from clearinghouse.sharing.store import Filters, Reader
from clearinghouse.sharing.taxii_http import (
    PREFIX,
    STIX_MEDIA,
    TAXII_MEDIA,
    TaxiiBadRequest,
    TaxiiTooLarge,
    decode_next,
    encode_next,
    parse_filters,
    parse_limit,
    require_accept,
    require_content_type,
    taxii_json,
)
from clearinghouse.sharing.taxii_http import taxii_error as taxii_error

__all__ = ["PREFIX", "router", "taxii_error"]

ROOT: Final = "root"
TAXII = Channel.TAXII


def _guard(request: Request) -> None:
    """Before authentication: the media type, and no account passwords over Basic."""
    require_accept(request)
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return
    try:
        password = base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("malformed Basic credentials") from None
    if not password.startswith(TOKEN_PREFIX):
        raise Unauthenticated(
            "TAXII takes an API token (scope taxii) as the Basic password, or as a Bearer "
            "token; account passwords are not accepted here"
        )


async def _serve(request: Request, work: Callable[..., Response], *args: object) -> Response:
    """``work(ctx, *args)`` after :func:`_guard`, in the request's transaction, in one trip
    to the thread pool (a trip per dependency, as ``CtxDep`` takes them, costs ~0.1-0.2 ms
    each, on every page a client walks)."""
    return await in_transaction(request, work, *args, before=_guard)


# The OpenAPI document declares what the TAXII routes answer: TAXII media, not JSON.
_TAXII_ANSWER: dict[str, Any] = {"content": {TAXII_MEDIA: {}}}
router = admitted_router(
    prefix="/taxii2",
    tags=["taxii"],
    default_response_class=Response,
    responses={200: _TAXII_ANSWER},
)


def _base(ctx: Ctx) -> str:
    return str(ctx.request.base_url).rstrip("/") + PREFIX


def _params(ctx: Ctx) -> list[tuple[str, str]]:
    return list(ctx.request.query_params.multi_items())


# ---- discovery, API root, collections ------------------------------------------------------


@router.get("/", summary="TAXII discovery")
async def discovery(request: Request) -> Response:
    return await _serve(request, _discovery)


def _discovery(ctx: Ctx) -> Response:
    root = _base(ctx) + f"{ROOT}/"
    return taxii_json(
        {
            "title": f"{ctx.settings.platform_name} TAXII 2.1",
            "description": "Threat information shared under TLP 2.0",
            "default": root,
            "api_roots": [root],
        }
    )


def _root(api_root: str) -> None:
    if api_root != ROOT:
        raise NotFound(f"no API root {api_root[:60]!r}")


@router.get("/{api_root}/", summary="TAXII API root")
async def api_root_info(api_root: str, request: Request) -> Response:
    return await _serve(request, _api_root_info, api_root)


def _api_root_info(ctx: Ctx, api_root: str) -> Response:
    _root(api_root)
    return taxii_json(
        {
            "title": f"{ctx.settings.platform_name} shared threat information",
            "versions": [TAXII_MEDIA],
            "max_content_length": _max_content(ctx),
        }
    )


def _max_content(ctx: Ctx) -> int:
    return min(ctx.settings.taxii_max_content_length, ctx.settings.max_request_bytes)


def _collection_json(
    ctx: Ctx, collection: Collection | store.CollectionView, facts: Any
) -> dict[str, Any]:
    principal = ctx.principal
    return {
        "id": str(collection.id),
        "title": collection.title,
        "description": collection.description,
        "alias": collection.alias,
        "can_read": can_collection(principal, SharingAction.COLLECTION_READ, facts, TAXII),
        "can_write": can_collection(principal, SharingAction.OBJECT_WRITE, facts, TAXII),
        "media_types": [STIX_MEDIA],
    }


@router.get("/{api_root}/collections/", summary="TAXII collections")
async def collections(api_root: str, request: Request) -> Response:
    return await _serve(request, _collections, api_root)


def _collections(ctx: Ctx, api_root: str) -> Response:
    _root(api_root)
    listed = []
    for collection in ctx.session.scalars(store.select_collections()):
        facts = store.collection_facts(ctx.session, collection)
        if can_collection(ctx.principal, SharingAction.COLLECTION_READ, facts, TAXII):
            listed.append(_collection_json(ctx, collection, facts))
    return taxii_json({"collections": listed} if listed else {})


def _load(ctx: Ctx, api_root: str, key: str, action: SharingAction) -> tuple[Collection, Any]:
    _root(api_root)
    return store.load_collection(ctx.session, ctx.principal, key, action, TAXII)


def _view(ctx: Ctx, api_root: str, key: str) -> tuple[store.CollectionView, Any]:
    """The collection, for a read (:func:`_load` for writes, which need the ORM's)."""
    _root(api_root)
    return store.view_collection(
        ctx.session, ctx.principal, key, SharingAction.COLLECTION_READ, TAXII
    )


@router.get("/{api_root}/collections/{collection_id}/", summary="One TAXII collection")
async def collection(api_root: str, collection_id: str, request: Request) -> Response:
    return await _serve(request, _collection, api_root, collection_id)


def _collection(ctx: Ctx, api_root: str, collection_id: str) -> Response:
    found, facts = _view(ctx, api_root, collection_id)
    return taxii_json(_collection_json(ctx, found, facts))


# ---- reading objects ------------------------------------------------------------------------


def _reader(ctx: Ctx, facts: Any) -> Reader:
    scope = object_scope(ctx.principal, facts, TAXII)
    return Reader(scope)


def _headers(page: store.Page) -> dict[str, str]:
    if page.first is None or page.last is None:
        return {}
    return {
        # Pages are ordered by (date_added, seq): the first and last rows bound them.
        "X-TAXII-Date-Added-First": stix.taxii_time(page.first.date_added),
        "X-TAXII-Date-Added-Last": stix.taxii_time(page.last.date_added),
    }


def _log(ctx: Ctx, collection: store.CollectionView, route: str, page: store.Page) -> None:
    access_log.record_page(ctx, collection.id, TAXII, route, page)


def _page(
    ctx: Ctx,
    collection: store.CollectionView,
    facts: Any,
    filters: Filters,
    *,
    bodies_only: bool = False,
) -> store.Page:
    params = _params(ctx)
    limit = parse_limit(params, ctx.settings.taxii_max_page_size)
    after = decode_next(params)
    reader = _reader(ctx, facts)
    return store.page(
        ctx.session,
        collection.id,
        reader,
        filters,
        limit=limit,
        after=after,
        bodies_only=bodies_only,
    )


def _envelope(page: store.Page, key: str, items: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        out["next"] = encode_next(page.next)
    if items:
        out[key] = items
    return out


def _objects_response(page: store.Page) -> Response:
    if page.pieces:  # from blocks: each piece is objects, comma-separated
        head = orjson.dumps(_envelope(page, "objects", []))[:-1]
        body = b"".join((head, b',"objects":[', b",".join(page.pieces), b"]}"))
        return Response(body, media_type=TAXII_MEDIA, headers=_headers(page))
    bodies = page.bodies or [r.body for r in page.rows]
    envelope = _envelope(page, "objects", [orjson.Fragment(b) for b in bodies])
    return Response(orjson.dumps(envelope), media_type=TAXII_MEDIA, headers=_headers(page))


@router.get("/{api_root}/collections/{collection_id}/objects/", summary="TAXII get objects")
async def get_objects(api_root: str, collection_id: str, request: Request) -> Response:
    return await _serve(request, _get_objects, api_root, collection_id)


def _get_objects(ctx: Ctx, api_root: str, collection_id: str) -> Response:
    found, facts = _view(ctx, api_root, collection_id)
    filters = parse_filters(_params(ctx))
    page = _page(ctx, found, facts, filters, bodies_only=True)
    _log(ctx, found, "objects", page)
    return _objects_response(page)


@router.get("/{api_root}/collections/{collection_id}/manifest/", summary="TAXII manifest")
async def get_manifest(api_root: str, collection_id: str, request: Request) -> Response:
    return await _serve(request, _get_manifest, api_root, collection_id)


def _get_manifest(ctx: Ctx, api_root: str, collection_id: str) -> Response:
    found, facts = _view(ctx, api_root, collection_id)
    page = _page(ctx, found, facts, parse_filters(_params(ctx)))
    _log(ctx, found, "manifest", page)
    items = [
        {
            "id": r.stix_id,
            "date_added": stix.taxii_time(r.date_added),
            "version": store.version_text(r.version),
            "media_type": STIX_MEDIA,
        }
        for r in page.rows
    ]
    return taxii_json(_envelope(page, "objects", items), headers=_headers(page))


def _object_id(object_id: str) -> str:
    if len(object_id) > 300:
        raise NotFound("no such object")
    return object_id


def _no_object(ctx: Ctx, facts: Any) -> NoReturn:
    """No version the caller may see: the answer for one that does not exist."""
    raise_for(decide_object(ctx.principal, facts, MISSING, TAXII), "reading this object")
    raise NotFound("no such object in this collection")


_ONE_OBJECT: Final = frozenset({"version", "spec_version"})


def _one_object(
    ctx: Ctx, api_root: str, collection_id: str, object_id: str, *, versions_route: bool
) -> store.Page:
    """The page of one object's versions that the filters select (404 when none is
    visible); match[version] defaults to last, or to all for the versions route."""
    found, facts = _view(ctx, api_root, collection_id)
    allowed = frozenset({"spec_version"}) if versions_route else _ONE_OBJECT
    filters = parse_filters(_params(ctx), allowed=allowed, default_last=not versions_route)
    filters = dataclasses.replace(filters, ids=(_object_id(object_id),))
    page = _page(ctx, found, facts, filters)
    if not page.rows and decode_next(_params(ctx)) is None:
        _no_object(ctx, facts)
    _log(ctx, found, "versions" if versions_route else "object", page)
    return page


@router.get(
    "/{api_root}/collections/{collection_id}/objects/{object_id}/", summary="TAXII get object"
)
async def get_object(
    api_root: str, collection_id: str, object_id: str, request: Request
) -> Response:
    return await _serve(request, _get_object, api_root, collection_id, object_id)


def _get_object(ctx: Ctx, api_root: str, collection_id: str, object_id: str) -> Response:
    page = _one_object(ctx, api_root, collection_id, object_id, versions_route=False)
    return _objects_response(page)


@router.get(
    "/{api_root}/collections/{collection_id}/objects/{object_id}/versions/",
    summary="TAXII object versions",
)
async def get_versions(
    api_root: str, collection_id: str, object_id: str, request: Request
) -> Response:
    return await _serve(request, _get_versions, api_root, collection_id, object_id)


def _get_versions(ctx: Ctx, api_root: str, collection_id: str, object_id: str) -> Response:
    page = _one_object(ctx, api_root, collection_id, object_id, versions_route=True)
    versions = sorted({r.version for r in page.rows})
    body = _envelope(page, "versions", [store.version_text(v) for v in versions])
    return taxii_json(body, headers=_headers(page))


# ---- writing ----------------------------------------------------------------------------------


async def _body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_body)]


def _envelope_objects(raw: bytes) -> list[Any]:
    try:
        envelope = jsontext.loads(raw)  # exact: orjson would read a huge integer as a float
    except jsontext.JSONTextError as exc:
        raise TaxiiBadRequest(f"the body is not JSON: {exc}") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise TaxiiBadRequest('a TAXII envelope is {"objects": [...]}')
    objects: list[Any] = envelope["objects"]
    if len(objects) > store.MAX_OBJECTS_PER_REQUEST:
        raise TaxiiTooLarge(f"at most {store.MAX_OBJECTS_PER_REQUEST} objects per envelope")
    return objects


def _status_json(status: TaxiiStatus) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(status.id),
        "status": "complete" if status.pending == 0 else "pending",
        "request_timestamp": stix.taxii_time(status.request_timestamp),
        "total_count": status.total,
        "success_count": status.success,
        "failure_count": status.failure,
        "pending_count": status.pending,
    }
    if status.successes:
        out["successes"] = status.successes
    if status.failures:
        out["failures"] = status.failures
    return out


@router.post(
    "/{api_root}/collections/{collection_id}/objects/",
    summary="TAXII add objects",
    status_code=202,
    responses={202: _TAXII_ANSWER},
)
async def add_objects(
    api_root: str, collection_id: str, raw: RawBody, request: Request
) -> Response:
    return await _serve(request, _add_objects, api_root, collection_id, raw)


def _add_objects(ctx: Ctx, api_root: str, collection_id: str, raw: bytes) -> Response:
    found, _facts = _load(ctx, api_root, collection_id, SharingAction.OBJECT_WRITE)
    require_content_type(ctx.request)
    if len(raw) > _max_content(ctx):
        raise TaxiiTooLarge(f"the body is over max_content_length ({_max_content(ctx)} bytes)")
    now = ctx.now()
    outcome = store.add_objects(
        ctx.session, found, ctx.principal, _envelope_objects(raw), now=now, apply_default=True
    )
    status = TaxiiStatus(
        collection_id=found.id,
        org_id=ctx.principal.org_id,
        user_id=ctx.principal.user_id,
        request_timestamp=now,
        total=len(outcome.successes) + len(outcome.failures),
        success=len(outcome.successes),
        failure=len(outcome.failures),
        pending=0,
        successes=outcome.successes,
        failures=outcome.failures,
    )
    ctx.session.add(status)
    ctx.session.flush()
    audit.append(
        ctx.session,
        actor=ctx.principal,
        action="sharing.objects.added",
        object_type="collection",
        object_id=found.id,
        owner_org_id=ctx.principal.org_id,
        at=now,
        change={
            "status": str(status.id),
            "added": len(outcome.added_rows),
            "failed": status.failure,
        },
    )
    return taxii_json(_status_json(status), status=202)


@router.delete(
    "/{api_root}/collections/{collection_id}/objects/{object_id}/", summary="TAXII delete object"
)
async def delete_object(
    api_root: str, collection_id: str, object_id: str, request: Request
) -> Response:
    return await _serve(request, _delete_object, api_root, collection_id, object_id)


def _delete_object(ctx: Ctx, api_root: str, collection_id: str, object_id: str) -> Response:
    found, facts = _load(ctx, api_root, collection_id, SharingAction.OBJECT_DELETE)
    filters = parse_filters(_params(ctx), allowed=_ONE_OBJECT, default_last=False)
    reader = _reader(ctx, facts)
    rows = store.version_rows(ctx.session, found.id, reader, _object_id(object_id), filters)
    if not rows:
        _no_object(ctx, facts)
    ids = [r.id for r in rows if r.id is not None]
    if not ctx.principal.is_operator:
        producers = store.producers(ctx.session, ids)
        if any(org != ctx.principal.org_id for org in producers.values()):
            raise Forbidden(
                "only the organisation that shared an object, or the operator, deletes it"
            )
    store.delete_versions(ctx.session, ids)
    audit.append(
        ctx.session,
        actor=ctx.principal,
        action="sharing.object.deleted",
        object_type="collection",
        object_id=found.id,
        owner_org_id=ctx.principal.org_id,
        at=ctx.now(),
        change={"object": object_id, "versions": [store.version_text(r.version) for r in rows]},
    )
    return taxii_json({}, status=200)


@router.get("/{api_root}/status/{status_id}/", summary="TAXII status of a POST")
async def get_status(api_root: str, status_id: str, request: Request) -> Response:
    return await _serve(request, _get_status, api_root, status_id)


def _get_status(ctx: Ctx, api_root: str, status_id: str) -> Response:
    _root(api_root)
    try:
        found = ctx.session.get(TaxiiStatus, uuid.UUID(status_id))
    except ValueError:
        found = None
    if found is None:
        raise_for(decide_status(ctx.principal, MISSING), SharingAction.STATUS_READ.value)
        raise NotFound("no such status")
    facts = StatusFacts(found.org_id, found.user_id)
    raise_for(decide_status(ctx.principal, facts), SharingAction.STATUS_READ.value)
    return taxii_json(_status_json(found))
