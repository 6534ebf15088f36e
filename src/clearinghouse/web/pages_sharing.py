"""Sharing pages: the collections a principal may read, one collection's shared objects
with each object's TLP 2.0 marking, the sharing groups, and what one's organisation shared
with how often it was sighted (and by whom, where the sighter chose to say).

Every page calls the sharing REST API's own route functions
(:mod:`clearinghouse.sharing.api`) with the page's request context, so the policy and the
TLP filtering are the API's: a page shows exactly the objects the API answers. The forms
these pages hold post to :mod:`clearinghouse.web.pages_sharing_manage`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any, Final

import orjson
from fastapi import Query
from starlette.responses import HTMLResponse, Response

from clearinghouse.api.deps import admitted_router
from clearinghouse.formats.model import Tlp
from clearinghouse.formats.stix import tlp_of
from clearinghouse.policy import Decision, SharingAction, decide_group, decide_sharing
from clearinghouse.sharing import api
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import FieldErrors

router = admitted_router(include_in_schema=False)

BASE: Final = "/sharing"
PAGE_SIZE: Final = 50
_Cursor = Annotated[str | None, Query(max_length=100)]


def answer(response: Response) -> Any:
    return orjson.loads(bytes(response.body))


def instant(value: object) -> datetime | None:
    """A STIX timestamp as an instant (shown in the viewer's zone), ``None`` when absent
    or not one."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def _shown(obj: dict[str, Any]) -> dict[str, Any]:
    """What a row shows of one STIX object: its marking read as the store reads it (the
    most restrictive TLP marking; ``None`` when it names none, never CLEAR)."""
    tlp = tlp_of(obj.get("object_marking_refs"))
    name = obj.get("name")
    return {
        "id": str(obj.get("id", "")),
        "type": str(obj.get("type", "")),
        "name": name if isinstance(name, str) else "",
        "modified": instant(obj.get("modified") or obj.get("created")),
        "tlp": tlp.value if tlp is not None else None,
    }


def _listing(
    page: Page,
    template: str,
    listed: dict[str, Any],
    may_create: bool,
    form: tuple[FieldErrors | None, dict[str, str] | None],
    status: int,
    deleted: bool,
    **extra: Any,
) -> HTMLResponse:
    """A list of what one may read, with its create form (re-shown with errors)."""
    errors, values = form
    return page.render(
        template,
        status=status,
        items=listed["items"],
        may_create=may_create,
        errors=errors or FieldErrors(),
        values=defaultdict(str, values or {}),
        deleted=deleted,
        **extra,
    )


def collections_page(
    page: Page,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    deleted: bool = False,
) -> HTMLResponse:
    listed = answer(api.list_collections(page.ctx))
    may_create = decide_sharing(page.principal, SharingAction.MANAGE) is Decision.ALLOW
    return _listing(
        page, "sharing_collections.html", listed, may_create, (errors, values), status,
        deleted, tlps=list(Tlp),
    )  # fmt: skip


@router.get(f"{BASE}/collections", response_class=HTMLResponse)
def collection_list(page: PageDep, deleted: bool = False) -> HTMLResponse:
    return collections_page(page, deleted=deleted)


def objects_page(
    page: Page,
    collection: str,
    *,
    cursor: str | None = None,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    added: int | None = None,
    listing: bool = True,
) -> HTMLResponse:
    """``listing=False``: the form alone, re-shown with its errors. Listing objects writes
    an access-log row in its own transaction, which must not wait on the form's (SQLite
    has one writer)."""
    empty: dict[str, Any] = {"items": [], "next_cursor": None}
    listed = (
        answer(api.list_objects(collection, page.ctx, cursor=cursor, limit=PAGE_SIZE))
        if listing
        else empty
    )
    readable = answer(api.list_collections(page.ctx))["items"]
    about = next((c for c in readable if collection in (c["id"], c["alias"])), None)
    return page.render(
        "sharing_objects.html",
        status=status,
        collection=collection,
        about=about,
        items=[_shown(obj) for obj in listed["items"]],
        next_cursor=listed["next_cursor"],
        may_manage=decide_sharing(page.principal, SharingAction.MANAGE) is Decision.ALLOW,
        errors=errors or FieldErrors(),
        values=defaultdict(str, values or {}),
        tlps=list(Tlp),
        added=added,
        listing=listing,
    )


@router.get(f"{BASE}/collections/{{collection}}", response_class=HTMLResponse)
def collection_objects(
    collection: str,
    page: PageDep,
    cursor: _Cursor = None,
    added: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> HTMLResponse:
    return objects_page(page, collection, cursor=cursor, added=added)


def groups_page(
    page: Page,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    deleted: bool = False,
) -> HTMLResponse:
    listed = answer(api.list_groups(page.ctx))
    may_create = decide_group(page.principal, SharingAction.GROUP_MANAGE, None) is Decision.ALLOW
    return _listing(
        page, "sharing_groups.html", listed, may_create, (errors, values), status, deleted
    )


@router.get(f"{BASE}/groups", response_class=HTMLResponse)
def group_list(page: PageDep, deleted: bool = False) -> HTMLResponse:
    return groups_page(page, deleted=deleted)


@router.get(f"{BASE}/sightings", response_class=HTMLResponse)
def sighting_summary(page: PageDep) -> HTMLResponse:
    summary = answer(api.sightings(page.ctx))
    return page.render(
        "sharing_sightings.html",
        shared_objects=summary["shared_objects"],
        items=[
            item
            | {"first_seen": instant(item["first_seen"]), "last_seen": instant(item["last_seen"])}
            for item in summary["items"]
        ],
    )
