"""Sharing forms: create, change and delete collections (the operator), create, change and
delete sharing groups (the operator or an owning member), add a STIX object to a
collection one may write to, and the operator's sync sources.

Every form builds the REST API's own request body and calls its route function
(:mod:`clearinghouse.sharing.api`, :mod:`clearinghouse.sharing.manage_api`) with the
page's request context, so the policy decides exactly as for the API, and a refusal is
answered as the API answers it (401, 403, 404). What the domain refuses (a bad value, a
conflict, a STIX object the store does not accept) is shown on the form, and nothing is
stored: each change runs in a savepoint that a refusal rolls back.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import orjson
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import HTMLResponse, Response

from clearinghouse.accounts.models import Organisation
from clearinghouse.api.deps import admitted_router
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.formats.model import Tlp
from clearinghouse.formats.stix import TLP_MARKING, tlp_of
from clearinghouse.policy import (
    Decision,
    SharingAction,
    decide_group,
    decide_sharing,
    require_group,
)
from clearinghouse.policy.core import raise_for
from clearinghouse.sharing import api, manage_api, store, sync
from clearinghouse.sharing.models import Collection, SharingGroup
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import GENERAL, N_, FieldErrors, errors_of, validation_errors
from clearinghouse.web.pages_sharing import (
    BASE,
    answer,
    collections_page,
    groups_page,
    instant,
    objects_page,
)

router = admitted_router(include_in_schema=False)

STIX_MAX: Final = 1_000_000  # characters of pasted STIX JSON
_SEPARATORS: Final = re.compile(r"[\s,]+")
NOT_JSON: Final = N_("This is not JSON: paste one STIX object, a list of them, or a bundle.")
NOT_OBJECTS: Final = N_("Paste one STIX object, a list of them, or a bundle.")
NEED_MARKING: Final = N_("Choose the TLP marking of what you share.")
OTHER_MARKING: Final = N_("An object is marked otherwise than the marking you chose.")
REFUSED: Final = N_("An object was refused; nothing was added.")
CONFIRM_DELETE: Final = N_("Tick the box to confirm.")


class _Refused(Exception):
    """Raised inside a savepoint to roll back what a form began (its errors are shown)."""

    def __init__(self, errors: FieldErrors, status: int = 422) -> None:
        super().__init__("refused")
        self.errors = errors
        self.status = status  # 422, or 409 for a conflict (an alias or slug taken)


@contextmanager
def _form(page: Page) -> Iterator[None]:
    """A change made in a savepoint; a refusal of the domain rolls it back and becomes the
    form's errors (``_Refused``); the policy's refusals pass through, answered as by the API."""
    try:
        with page.attempt():
            yield
    except ValidationError as exc:
        raise _Refused(validation_errors(page._, exc)) from exc
    except (InvalidInput, Conflict) as exc:
        raise _Refused(errors_of(page._, exc), exc.status) from exc


def _slugs(value: str) -> list[str]:
    return [s for s in _SEPARATORS.split(value.strip()) if s][: api.MAX_NAMED + 1]


def _checked(page: Page, name: str) -> bool:
    return page.field(name) == "true"


def _values(page: Page, names: tuple[str, ...]) -> dict[str, str]:
    return {name: page.field(name) for name in names}


def _slug_map(page: Page, ids: list[str], model: Any) -> str:
    """Stored ids (organisations or groups) as the slugs a form shows."""
    wanted = [uuid.UUID(i) for i in ids]
    if not wanted:
        return ""
    found = page.session.scalars(select(model.slug).where(model.id.in_(wanted)))
    return " ".join(sorted(found))


# ---- collections ----------------------------------------------------------------------------

_COLLECTION_FIELDS: Final = (
    "alias",
    "title",
    "description",
    "readers",
    "writers",
    "sharing_groups",
    "default_tlp",
)
_COLLECTION_FLAGS: Final = ("public", "community", "members_write", "mark_unmarked", "advisories")


def _collection_body(page: Page) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": page.field("title").strip(),
        "description": page.field("description"),
        "readers": _slugs(page.field("readers")),
        "writers": _slugs(page.field("writers")),
        "sharing_groups": _slugs(page.field("sharing_groups")),
        "default_tlp": page.field("default_tlp") or None,
    }
    body.update({flag: _checked(page, flag) for flag in _COLLECTION_FLAGS})
    return body


@router.post(f"{BASE}/collections", response_class=HTMLResponse)
def create_collection(page: PageDep) -> Response:
    raise_for(decide_sharing(page.principal, SharingAction.MANAGE), "managing collections")
    body = {"alias": page.field("alias").strip(), **_collection_body(page)}
    try:
        with _form(page):
            api.create_collection(api.CollectionIn.model_validate(body), page.ctx)
    except _Refused as refused:
        values = _values(page, _COLLECTION_FIELDS) | {
            f: "true" if _checked(page, f) else "" for f in _COLLECTION_FLAGS
        }
        return collections_page(page, errors=refused.errors, values=values, status=refused.status)
    return page.redirect(f"{BASE}/collections/{body['alias']}/settings?created=true")


def _managed(page: Page, collection: str) -> Collection:
    return manage_api.managed_collection(page.ctx, collection, "changing a collection")


def _settings_page(
    page: Page,
    found: Collection,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    notice: str = "",
) -> HTMLResponse:
    current = {
        "title": found.title,
        "description": found.description,
        "readers": _slug_map(page, found.reader_org_ids, Organisation),
        "writers": _slug_map(page, found.writer_org_ids, Organisation),
        "sharing_groups": _slug_map(page, found.group_ids, SharingGroup),
        "default_tlp": found.default_tlp.value if found.default_tlp else "",
    } | {flag: "true" if getattr(found, flag) else "" for flag in _COLLECTION_FLAGS}
    return page.render(
        "sharing_collection_settings.html",
        status=status,
        collection=found,
        values=values or current,
        errors=errors or FieldErrors(),
        tlps=list(Tlp),
        notice=notice,
    )


@router.get(f"{BASE}/collections/{{collection}}/settings", response_class=HTMLResponse)
def collection_settings(
    collection: str, page: PageDep, created: bool = False, changed: bool = False
) -> HTMLResponse:
    notice = "created" if created else "changed" if changed else ""
    return _settings_page(page, _managed(page, collection), notice=notice)


@router.post(f"{BASE}/collections/{{collection}}/settings", response_class=HTMLResponse)
def change_collection(collection: str, page: PageDep) -> Response:
    found = _managed(page, collection)
    body = _collection_body(page)
    try:
        with _form(page):
            patch = manage_api.CollectionPatch.model_validate(body)
            manage_api.patch_collection(found.alias, patch, page.ctx)
    except _Refused as refused:
        page.session.refresh(found)
        values = _values(page, _COLLECTION_FIELDS) | {
            f: "true" if _checked(page, f) else "" for f in _COLLECTION_FLAGS
        }
        return _settings_page(
            page, found, errors=refused.errors, values=values, status=refused.status
        )
    return page.redirect(f"{BASE}/collections/{found.alias}/settings?changed=true")


@router.post(f"{BASE}/collections/{{collection}}/delete", response_class=HTMLResponse)
def delete_collection(collection: str, page: PageDep) -> Response:
    found = _managed(page, collection)
    if not _checked(page, "confirm"):
        errors = FieldErrors()
        errors.add("confirm", page._(CONFIRM_DELETE))
        return _settings_page(page, found, errors=errors, status=422)
    manage_api.delete_collection(found.alias, page.ctx)
    return page.redirect(f"{BASE}/collections?deleted=true")


# ---- adding an object -------------------------------------------------------------------------

_OBJECT_FIELDS: Final = ("stix", "tlp", "sharing_group", "named_organisations")


def _pasted(page: Page, chosen: Tlp | None) -> list[dict[str, Any]]:
    """The pasted STIX objects, each carrying the chosen marking (added where it has no TLP
    marking: the form's choice is explicit; refused where it has another)."""
    errors = FieldErrors()
    if chosen is None:
        errors.add("tlp", page._(NEED_MARKING))
    try:
        parsed = orjson.loads(page.field("stix")[:STIX_MAX])
    except orjson.JSONDecodeError as exc:
        errors.add("stix", page._(NOT_JSON), str(exc)[:200])
        raise _Refused(errors) from exc
    if isinstance(parsed, dict) and parsed.get("type") == "bundle":
        parsed = parsed.get("objects")
    objects = parsed if isinstance(parsed, list) else [parsed]
    if not objects or not all(isinstance(o, dict) for o in objects):
        errors.add("stix", page._(NOT_OBJECTS))
    if errors or chosen is None:
        raise _Refused(errors)
    marked: list[dict[str, Any]] = []
    for obj in objects:
        found = tlp_of(obj.get("object_marking_refs"))
        if found is None:
            refs = obj.get("object_marking_refs")
            obj = obj | {"object_marking_refs": [*(refs or []), TLP_MARKING[chosen]]}
        elif found is not chosen:
            errors.add("tlp", page._(OTHER_MARKING), f"{obj.get('id')}: TLP:{found.value}")
            raise _Refused(errors)
        marked.append(obj)
    return marked


def _chosen_tlp(page: Page) -> Tlp | None:
    try:
        return Tlp(page.field("tlp"))
    except ValueError:
        return None


@router.post(f"{BASE}/collections/{{collection}}/objects", response_class=HTMLResponse)
def add_object(collection: str, page: PageDep) -> Response:
    found, _facts = store.load_collection(
        page.session, page.principal, collection, SharingAction.OBJECT_WRITE, api.API
    )
    named = _slugs(page.field("named_organisations"))
    try:
        with _form(page):
            body = api.ObjectsIn.model_validate(
                {
                    "objects": _pasted(page, _chosen_tlp(page)),
                    "sharing_group": page.field("sharing_group").strip() or None,
                    "named_organisations": named,
                    "reveal_sighter": _checked(page, "reveal_sighter"),
                }
            )
            outcome = answer(api.add_objects(found.alias, body, page.ctx))
            if outcome["failures"]:
                errors = FieldErrors()
                for failure in outcome["failures"]:
                    detail = f"{failure.get('id') or '?'}: {failure['message']}"
                    errors.add("stix", page._(REFUSED), detail)
                raise _Refused(errors)
    except _Refused as refused:
        values = _values(page, _OBJECT_FIELDS) | {
            "reveal_sighter": "true" if _checked(page, "reveal_sighter") else ""
        }
        return objects_page(
            page,
            collection,
            errors=refused.errors,
            values=values,
            status=refused.status,
            listing=False,
        )
    return page.redirect(f"{BASE}/collections/{found.alias}?added={len(outcome['successes'])}")


# ---- sharing groups ---------------------------------------------------------------------------

_GROUP_FIELDS: Final = ("slug", "name", "members")


@router.post(f"{BASE}/groups", response_class=HTMLResponse)
def create_group(page: PageDep) -> Response:
    require_group(page.principal, SharingAction.GROUP_MANAGE, None)
    body = {
        "slug": page.field("slug").strip(),
        "name": page.field("name").strip(),
        "members": _slugs(page.field("members")),
    }
    try:
        with _form(page):
            api.create_group(api.GroupIn.model_validate(body), page.ctx)
    except _Refused as refused:
        values = _values(page, _GROUP_FIELDS)
        return groups_page(page, errors=refused.errors, values=values, status=refused.status)
    return page.redirect(f"{BASE}/groups/{body['slug']}?created=true")


def _group_page(
    page: Page,
    found: SharingGroup,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    notice: str = "",
) -> HTMLResponse:
    facts = api.group_facts(page.ctx, found)
    members = page.session.execute(
        select(Organisation.slug, Organisation.name)
        .where(Organisation.id.in_(facts.member_org_ids))
        .order_by(Organisation.slug)
    ).all()
    owner = page.session.get(Organisation, found.owner_org_id) if found.owner_org_id else None
    may_manage = decide_group(page.principal, SharingAction.GROUP_MANAGE, facts) is Decision.ALLOW
    current = {"name": found.name, "members": " ".join(slug for slug, _ in members)}
    return page.render(
        "sharing_group.html",
        status=status,
        group=found,
        owner=owner,
        members=members,
        may_manage=may_manage,
        values=values or current,
        errors=errors or FieldErrors(),
        notice=notice,
    )


@router.get(f"{BASE}/groups/{{group}}", response_class=HTMLResponse)
def group_view(group: str, page: PageDep, created: bool = False, changed: bool = False) -> Response:
    notice = "created" if created else "changed" if changed else ""
    return _group_page(
        page,
        manage_api.managed_group(page.ctx, group, SharingAction.GROUP_READ),
        notice=notice,
    )


@router.post(f"{BASE}/groups/{{group}}", response_class=HTMLResponse)
def change_group(group: str, page: PageDep) -> Response:
    found = manage_api.managed_group(page.ctx, group)
    body = {"name": page.field("name").strip(), "members": _slugs(page.field("members"))}
    try:
        with _form(page):
            manage_api.patch_group(found.slug, manage_api.GroupPatch.model_validate(body), page.ctx)
    except _Refused as refused:
        page.session.refresh(found)
        values = _values(page, ("name", "members"))
        return _group_page(page, found, errors=refused.errors, values=values, status=refused.status)
    return page.redirect(f"{BASE}/groups/{found.slug}?changed=true")


@router.post(f"{BASE}/groups/{{group}}/delete", response_class=HTMLResponse)
def delete_group(group: str, page: PageDep) -> Response:
    found = manage_api.managed_group(page.ctx, group)
    if not _checked(page, "confirm"):
        errors = FieldErrors()
        errors.add("confirm", page._(CONFIRM_DELETE))
        return _group_page(page, found, errors=errors, status=422)
    manage_api.delete_group(found.slug, page.ctx)
    return page.redirect(f"{BASE}/groups?deleted=true")


# ---- sync sources (the operator) --------------------------------------------------------------

_SYNC_FIELDS: Final = ("url", "username", "interval_minutes")


def _sync_page(
    page: Page,
    *,
    errors: FieldErrors | None = None,
    failed: str = "",
    status: int = 200,
    notice: str = "",
) -> HTMLResponse:
    raise_for(decide_sharing(page.principal, SharingAction.MANAGE), "sync sources")
    rows = []
    for collection in page.session.scalars(store.select_collections()):
        source = sync.source_of(page.session, collection)
        described = sync.describe(source) if source is not None else None
        rows.append({"collection": collection, "source": _shown_source(described)})
    return page.render(
        "sharing_sync.html",
        status=status,
        rows=rows,
        errors=errors or FieldErrors(),
        failed=failed,
        notice=notice,
    )


def _shown_source(described: dict[str, Any] | None) -> dict[str, Any] | None:
    """A source as the page shows it: what :func:`sync.describe` gives (never a secret),
    its instants as instants."""
    if described is None:
        return None
    return described | {
        key: instant(described[key]) for key in ("cursor", "last_run_at", "last_success_at")
    }


@router.get(f"{BASE}/sync", response_class=HTMLResponse)
def sync_sources(page: PageDep, done: str = "") -> HTMLResponse:
    return _sync_page(page, notice=done if done in {"saved", "removed", "run"} else "")


def _source_page(
    page: Page,
    found: Collection,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    source = sync.source_of(page.session, found)
    current = {
        "url": source.url if source else "",
        "username": (source.username or "") if source else "",
        "interval_minutes": str(source.interval_minutes if source else 60),
        "enabled": "true" if source is None or source.enabled else "",
        "apply_default_marking": "true" if source and source.apply_default_marking else "",
    }
    return page.render(
        "sharing_sync_source.html",
        status=status,
        collection=found,
        source=source,
        errors=errors or FieldErrors(),
        values=values or current,
    )


@router.get(f"{BASE}/sync/{{collection}}", response_class=HTMLResponse)
def sync_source(collection: str, page: PageDep) -> HTMLResponse:
    return _source_page(page, manage_api.managed_collection(page.ctx, collection, "sync sources"))


@router.post(f"{BASE}/sync/{{collection}}", response_class=HTMLResponse)
def configure_sync(collection: str, page: PageDep) -> Response:
    found = manage_api.managed_collection(page.ctx, collection, "configuring a sync source")
    interval = page.field("interval_minutes").strip()
    try:
        with _form(page):
            body = manage_api.SyncIn.model_validate(
                {
                    "url": page.field("url").strip(),
                    "username": page.field("username").strip() or None,
                    "secret": page.field("secret") or None,
                    "interval_minutes": interval,
                    "enabled": _checked(page, "enabled"),
                    "apply_default_marking": _checked(page, "apply_default_marking"),
                }
            )
            manage_api.put_sync(found.alias, body, page.ctx)
    except _Refused as refused:
        values = _values(page, _SYNC_FIELDS) | {
            f: "true" if _checked(page, f) else "" for f in ("enabled", "apply_default_marking")
        }
        return _source_page(
            page, found, errors=refused.errors, values=values, status=refused.status
        )
    return page.redirect(f"{BASE}/sync?done=saved#sync-{found.alias}")


def _sync_action(
    page: Page, collection: str, act: Callable[[Collection], object], done: str
) -> Response:
    """Run now or remove: a collection without a source says so on the list (422)."""
    found = manage_api.managed_collection(page.ctx, collection, "sync sources")
    try:
        with _form(page):
            act(found)
    except _Refused as refused:
        return _sync_page(page, errors=refused.errors, failed=found.alias, status=refused.status)
    return page.redirect(f"{BASE}/sync?done={done}#sync-{found.alias}")


@router.post(f"{BASE}/sync/{{collection}}/remove", response_class=HTMLResponse)
def remove_sync(collection: str, page: PageDep) -> Response:
    def remove(found: Collection) -> None:
        try:
            manage_api.delete_sync(found.alias, page.ctx)
        except NotFound as exc:  # nothing configured: said on the form, not a missing page
            raise InvalidInput(exc.detail, field=GENERAL) from exc

    return _sync_action(page, collection, remove, "removed")


@router.post(f"{BASE}/sync/{{collection}}/run", response_class=HTMLResponse)
def run_sync(collection: str, page: PageDep) -> Response:
    def run(found: Collection) -> None:
        try:
            manage_api.run_sync(found.alias, page.ctx)
        except NotFound as exc:
            raise InvalidInput(exc.detail, field=GENERAL) from exc

    return _sync_action(page, collection, run, "run")
