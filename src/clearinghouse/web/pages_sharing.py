"""Sharing pages: the collections a principal may read, one collection's shared objects
with each object's TLP 2.0 marking, the sharing groups, and what one's organisation shared
with how often it was sighted.

Read-only. Every page calls the sharing REST API's own route functions
(:mod:`clearinghouse.sharing.api`) with the page's request context, so the policy and the
TLP filtering are the API's: a page shows exactly the objects the API answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

import orjson
from fastapi import APIRouter, Query
from starlette.responses import HTMLResponse, Response

from clearinghouse.formats.stix import tlp_of
from clearinghouse.sharing import api
from clearinghouse.web.context import PageDep

router = APIRouter(include_in_schema=False)

BASE: Final = "/sharing"
PAGE_SIZE: Final = 50
_Cursor = Annotated[str | None, Query(max_length=100)]


def _answer(response: Response) -> Any:
    return orjson.loads(bytes(response.body))


def _instant(value: object) -> datetime | None:
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
        "modified": _instant(obj.get("modified") or obj.get("created")),
        "tlp": tlp.value if tlp is not None else None,
    }


@router.get(f"{BASE}/collections", response_class=HTMLResponse)
def collection_list(page: PageDep) -> HTMLResponse:
    listed = _answer(api.list_collections(page.ctx))
    return page.render("sharing_collections.html", items=listed["items"])


@router.get(f"{BASE}/collections/{{collection}}", response_class=HTMLResponse)
def collection_objects(
    collection: str,
    page: PageDep,
    cursor: _Cursor = None,
) -> HTMLResponse:
    listed = _answer(api.list_objects(collection, page.ctx, cursor=cursor, limit=PAGE_SIZE))
    readable = _answer(api.list_collections(page.ctx))["items"]
    about = next((c for c in readable if collection in (c["id"], c["alias"])), None)
    return page.render(
        "sharing_objects.html",
        collection=collection,
        about=about,
        items=[_shown(obj) for obj in listed["items"]],
        next_cursor=listed["next_cursor"],
    )


@router.get(f"{BASE}/groups", response_class=HTMLResponse)
def group_list(page: PageDep) -> HTMLResponse:
    listed = _answer(api.list_groups(page.ctx))
    return page.render("sharing_groups.html", items=listed["items"])


@router.get(f"{BASE}/sightings", response_class=HTMLResponse)
def sighting_summary(page: PageDep) -> HTMLResponse:
    summary = _answer(api.sightings(page.ctx))
    return page.render(
        "sharing_sightings.html",
        shared_objects=summary["shared_objects"],
        items=[
            item
            | {"first_seen": _instant(item["first_seen"]), "last_seen": _instant(item["last_seen"])}
            for item in summary["items"]
        ],
    )
