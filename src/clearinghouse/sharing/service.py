"""Managing collections and sharing groups (the REST API and the CLI call these; each
change is audited in the caller's transaction; callers have asked the policy)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clearinghouse.audit import service as audit
from clearinghouse.errors import Conflict, InvalidInput
from clearinghouse.formats.model import Tlp
from clearinghouse.principal import Principal
from clearinghouse.sharing.models import (
    Collection,
    SharedAudience,
    SharedBlock,
    SharedObject,
    SharingGroup,
    SharingGroupMember,
    SyncSource,
    TaxiiStatus,
)

_SLUG: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,62}[a-z0-9]\Z")  # \Z: $ passes a final newline
MAX_NAMED: Final = 500  # organisations, people or groups named on one collection


def _slug(value: str, what: str) -> str:
    if _SLUG.match(value) is None:
        raise InvalidInput(
            f"{what} must be 2-64 lower-case letters, digits and hyphens", field=what
        )
    return value


def _ids(values: Iterable[uuid.UUID], what: str) -> list[str]:
    out = sorted({str(v) for v in values})
    if len(out) > MAX_NAMED:
        raise InvalidInput(f"at most {MAX_NAMED} {what}", field=what)
    return out


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    alias: str
    title: str
    description: str = ""
    public: bool = False
    community: bool = False
    members_write: bool = False
    reader_org_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    reader_user_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    group_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    writer_org_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    default_tlp: Tlp | None = None
    mark_unmarked: bool = False
    advisories: bool = False


def create_collection(
    session: Session, spec: CollectionSpec, *, actor: Principal, now: datetime
) -> Collection:
    alias = _slug(spec.alias, "alias")
    if session.scalars(select(Collection).where(Collection.alias == alias)).first():
        raise Conflict(f"a collection {alias!r} exists already")
    if spec.mark_unmarked and spec.default_tlp is None:
        raise InvalidInput("mark_unmarked needs a default_tlp", field="default_tlp")
    if not spec.title or len(spec.title) > 200:
        raise InvalidInput("title: 1 to 200 characters", field="title")
    collection = Collection(
        alias=alias,
        title=spec.title,
        description=spec.description[:5000],
        public=spec.public,
        community=spec.community,
        members_write=spec.members_write,
        reader_org_ids=_ids(spec.reader_org_ids, "reader_org_ids"),
        reader_user_ids=_ids(spec.reader_user_ids, "reader_user_ids"),
        group_ids=_ids(spec.group_ids, "group_ids"),
        writer_org_ids=_ids(spec.writer_org_ids, "writer_org_ids"),
        default_tlp=spec.default_tlp,
        mark_unmarked=spec.mark_unmarked,
        advisories=spec.advisories,
        last_seq=0,
        created_at=now,
    )
    session.add(collection)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="sharing.collection.created",
        object_type="collection",
        object_id=collection.id,
        at=now,
        change={
            "alias": alias,
            "public": spec.public,
            "community": spec.community,
            "readers": collection.reader_org_ids,
            "groups": collection.group_ids,
            "writers": collection.writer_org_ids,
            "default_tlp": spec.default_tlp.value if spec.default_tlp else None,
        },
    )
    return collection


def create_group(
    session: Session,
    *,
    actor: Principal,
    slug: str,
    name: str,
    owner_org_id: uuid.UUID | None,
    member_org_ids: Iterable[uuid.UUID],
    now: datetime,
    description: str = "",
) -> SharingGroup:
    slug = _slug(slug, "slug")
    if session.scalars(select(SharingGroup).where(SharingGroup.slug == slug)).first():
        raise Conflict(f"a sharing group {slug!r} exists already")
    group = SharingGroup(
        slug=slug,
        name=name[:200],
        description=description[:5000],
        owner_org_id=owner_org_id,
        created_at=now,
    )
    session.add(group)
    session.flush()
    members = set(member_org_ids) | ({owner_org_id} if owner_org_id else set())
    set_members(session, group, members, actor=actor, now=now)
    return group


def members_of(session: Session, group: SharingGroup) -> frozenset[uuid.UUID]:
    return frozenset(
        session.scalars(
            select(SharingGroupMember.org_id).where(SharingGroupMember.group_id == group.id)
        )
    )


def set_members(
    session: Session,
    group: SharingGroup,
    org_ids: Iterable[uuid.UUID],
    *,
    actor: Principal,
    now: datetime,
) -> None:
    wanted = set(org_ids)
    if len(wanted) > MAX_NAMED:
        raise InvalidInput(f"at most {MAX_NAMED} organisations per group", field="members")
    session.execute(delete(SharingGroupMember).where(SharingGroupMember.group_id == group.id))
    for org_id in sorted(wanted, key=str):
        session.add(SharingGroupMember(group_id=group.id, org_id=org_id))
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="sharing.group.members",
        object_type="sharing_group",
        object_id=group.id,
        owner_org_id=group.owner_org_id,
        at=now,
        change={"slug": group.slug, "members": sorted(str(o) for o in wanted)},
    )


@dataclass(frozen=True, slots=True)
class CollectionChange:
    """What to change on a collection; ``None`` leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    public: bool | None = None
    community: bool | None = None
    members_write: bool | None = None
    reader_org_ids: frozenset[uuid.UUID] | None = None
    writer_org_ids: frozenset[uuid.UUID] | None = None
    group_ids: frozenset[uuid.UUID] | None = None
    default_tlp: Tlp | None = None
    mark_unmarked: bool | None = None
    advisories: bool | None = None


def change_collection(
    session: Session,
    collection: Collection,
    change: CollectionChange,
    *,
    actor: Principal,
    now: datetime,
) -> Collection:
    """Change who reads and writes a collection, and its defaults (audited, before and
    after). The objects keep their markings: a wider audience reads only what TLP allows."""
    before = _collection_record(collection)
    if change.title is not None:
        if not 0 < len(change.title) <= 200:
            raise InvalidInput("title: 1 to 200 characters", field="title")
        collection.title = change.title
    if change.description is not None:
        collection.description = change.description[:5000]
    for name in ("public", "community", "members_write", "mark_unmarked", "advisories"):
        value = getattr(change, name)
        if value is not None:
            setattr(collection, name, value)
    if change.reader_org_ids is not None:
        collection.reader_org_ids = _ids(change.reader_org_ids, "reader_org_ids")
    if change.writer_org_ids is not None:
        collection.writer_org_ids = _ids(change.writer_org_ids, "writer_org_ids")
    if change.group_ids is not None:
        collection.group_ids = _ids(change.group_ids, "group_ids")
    if change.default_tlp is not None:
        collection.default_tlp = change.default_tlp
    if collection.mark_unmarked and collection.default_tlp is None:
        raise InvalidInput("mark_unmarked needs a default_tlp", field="default_tlp")
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="sharing.collection.changed",
        object_type="collection",
        object_id=collection.id,
        at=now,
        change={"before": before, "after": _collection_record(collection)},
    )
    return collection


def _collection_record(c: Collection) -> dict[str, object]:
    return {
        "alias": c.alias,
        "title": c.title,
        "public": c.public,
        "community": c.community,
        "members_write": c.members_write,
        "readers": list(c.reader_org_ids),
        "writers": list(c.writer_org_ids),
        "groups": list(c.group_ids),
        "default_tlp": c.default_tlp.value if c.default_tlp else None,
        "mark_unmarked": c.mark_unmarked,
        "advisories": c.advisories,
    }


def delete_collection(
    session: Session, collection: Collection, *, actor: Principal, now: datetime
) -> int:
    """Delete a collection with its objects, statuses and sync source (audited with the
    count); the access log keeps its rows (who read what stays on record). Returns the
    number of object versions deleted."""
    objects = select(SharedObject.id).where(SharedObject.collection_id == collection.id)
    session.execute(
        delete(SharedAudience).where(SharedAudience.object_id.in_(objects.scalar_subquery()))
    )
    session.execute(delete(SharedBlock).where(SharedBlock.collection_id == collection.id))
    removed = session.execute(
        delete(SharedObject).where(SharedObject.collection_id == collection.id)
    )
    session.execute(delete(TaxiiStatus).where(TaxiiStatus.collection_id == collection.id))
    session.execute(delete(SyncSource).where(SyncSource.collection_id == collection.id))
    count = int(getattr(removed, "rowcount", 0) or 0)
    record = _collection_record(collection)
    collection_id = collection.id
    session.delete(collection)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="sharing.collection.deleted",
        object_type="collection",
        object_id=collection_id,
        at=now,
        change={**record, "object_versions": count},
    )
    return count


def change_group(
    session: Session,
    group: SharingGroup,
    *,
    actor: Principal,
    now: datetime,
    name: str | None = None,
    description: str | None = None,
    member_org_ids: Iterable[uuid.UUID] | None = None,
) -> SharingGroup:
    """Rename a group or replace its members (its owner stays a member)."""
    if name is not None:
        if not 0 < len(name) <= 200:
            raise InvalidInput("name: 1 to 200 characters", field="name")
        group.name = name
    if description is not None:
        group.description = description[:5000]
    if name is not None or description is not None:
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="sharing.group.changed",
            object_type="sharing_group",
            object_id=group.id,
            owner_org_id=group.owner_org_id,
            at=now,
            change={"slug": group.slug, "name": group.name},
        )
    if member_org_ids is not None:
        owner = {group.owner_org_id} if group.owner_org_id else set()
        set_members(session, group, set(member_org_ids) | owner, actor=actor, now=now)
    return group


def delete_group(session: Session, group: SharingGroup, *, actor: Principal, now: datetime) -> None:
    """Delete a group: collections stop naming it, and objects shared to it lose that
    audience (they become readable by fewer, never by more)."""
    key = str(group.id)
    for collection in session.scalars(select(Collection)):
        if key in collection.group_ids:
            collection.group_ids = [g for g in collection.group_ids if g != key]
    session.execute(delete(SharedAudience).where(SharedAudience.group_id == group.id))
    session.execute(delete(SharingGroupMember).where(SharingGroupMember.group_id == group.id))
    record = {"slug": group.slug, "name": group.name}
    group_id, owner = group.id, group.owner_org_id
    session.delete(group)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="sharing.group.deleted",
        object_type="sharing_group",
        object_id=group_id,
        owner_org_id=owner,
        at=now,
        change=record,
    )
