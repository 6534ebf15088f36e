"""Shared objects in the database: collections and their facts, adding objects (checked,
marked, sequenced), and reading pages filtered by the policy's scope **inside** the query
that pages, so a page never holds fewer objects than it could because of filtering
afterwards, and never one the reader may not see.

Ordering and paging: oldest first by ``(date_added, seq)``. ``seq`` is handed out under the
collection row's lock, together with a ``date_added`` that never goes backwards, so two
transactions adding to one collection cannot interleave their sequence numbers and a
reader paging by ``added_after`` or by cursor never misses an object committed later.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    false,
    insert,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import NullType

from clearinghouse.errors import InvalidInput
from clearinghouse.formats import stix
from clearinghouse.formats.model import Tlp
from clearinghouse.policy import (
    MISSING,
    Channel,
    CollectionFacts,
    ObjectFacts,
    ObjectScope,
    SharingAction,
    require_collection,
)
from clearinghouse.principal import Principal
from clearinghouse.sharing.models import (
    Collection,
    SharedAudience,
    SharedObject,
    SharingGroupMember,
)

MAX_OBJECTS_PER_REQUEST: Final = 10_000
MAX_AUDIENCE: Final = 200  # organisations, people or groups named by one request


def _uuids(values: Iterable[str]) -> frozenset[uuid.UUID]:
    return frozenset(uuid.UUID(v) for v in values)


# ---- collections ---------------------------------------------------------------------------


def find_collection(session: Session, key: str) -> Collection | None:
    """By TAXII id (a UUID) or alias."""
    try:
        wanted = uuid.UUID(key)
    except ValueError:
        return session.scalars(select(Collection).where(Collection.alias == key)).first()
    return session.get(Collection, wanted)


def select_collections() -> Any:
    return select(Collection).order_by(Collection.created_at, Collection.alias)


def group_orgs(session: Session, group_ids: Sequence[uuid.UUID]) -> frozenset[uuid.UUID]:
    if not group_ids:
        return frozenset()
    return frozenset(
        session.scalars(
            select(SharingGroupMember.org_id).where(SharingGroupMember.group_id.in_(group_ids))
        )
    )


def groups_of(session: Session, org_id: uuid.UUID | None) -> list[uuid.UUID]:
    if org_id is None:
        return []
    return list(
        session.scalars(
            select(SharingGroupMember.group_id).where(SharingGroupMember.org_id == org_id)
        )
    )


def collection_facts(session: Session, collection: Collection) -> CollectionFacts:
    return CollectionFacts(
        public=collection.public,
        community=collection.community,
        members_write=collection.members_write,
        reader_org_ids=_uuids(collection.reader_org_ids),
        group_org_ids=group_orgs(session, sorted(_uuids(collection.group_ids))),
        reader_user_ids=_uuids(collection.reader_user_ids),
        writer_org_ids=_uuids(collection.writer_org_ids),
    )


def load_collection(
    session: Session,
    principal: Principal,
    key: str,
    action: SharingAction,
    channel: Channel,
) -> tuple[Collection, CollectionFacts]:
    """The collection, if the policy lets ``principal`` do ``action`` on it (else the
    error it answers; a missing collection answers as a hidden one)."""
    collection = find_collection(session, key) if len(key) <= 100 else None
    if collection is None:
        require_collection(principal, action, MISSING, channel)
        raise AssertionError("unreachable: a missing collection is never allowed")
    facts = collection_facts(session, collection)
    require_collection(principal, action, facts, channel)
    return collection, facts


# ---- adding objects ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Audience:
    """Whom the objects of one request name beyond their collection's readers."""

    group_ids: frozenset[uuid.UUID] = frozenset()  # AMBER audience
    org_ids: frozenset[uuid.UUID] = frozenset()  # named organisations
    user_ids: frozenset[uuid.UUID] = frozenset()  # named people (RED)


@dataclass(slots=True)
class Outcome:
    successes: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    added_rows: list[uuid.UUID] = field(default_factory=list)


def version_text(moment: datetime) -> str:
    """A version as TAXII shows it: the STIX timestamp, to the microsecond when needed."""
    if moment.microsecond % 1000:
        return stix.taxii_time(moment)
    return stix.stix_time(moment)


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


@dataclass(frozen=True, slots=True)
class _Accepted:
    checked: stix.Checked
    tlp: Tlp
    applied: bool  # the collection's default marking was given


def _prepare(raw: object, collection: Collection, apply_default: bool) -> _Accepted:
    try:
        checked = stix.check(raw)
    except InvalidInput as exc:
        raise _Refused(exc.detail) from None
    if checked.tlp is not None:
        return _Accepted(checked, checked.tlp, False)
    default = collection.default_tlp
    if apply_default and collection.mark_unmarked and default is not None:
        return _Accepted(stix.check(stix.with_marking(checked.obj, default)), default, True)
    raise _Refused(
        f"{checked.id}: no TLP marking (object_marking_refs); unmarked objects are refused"
        + (
            ", unless the collection's default marking is asked for"
            if collection.mark_unmarked
            else ""
        )
    )


def _existing(
    session: Session, collection_id: uuid.UUID, ids: list[str]
) -> tuple[set[tuple[str, datetime]], dict[str, Tlp]]:
    """Versions already stored, and each object's most restrictive marking so far."""
    versions: set[tuple[str, datetime]] = set()
    highest: dict[str, Tlp] = {}
    for start in range(0, len(ids), 500):
        for stix_id, version, tlp in session.execute(
            select(SharedObject.stix_id, SharedObject.version, SharedObject.tlp).where(
                SharedObject.collection_id == collection_id,
                SharedObject.stix_id.in_(ids[start : start + 500]),
            )
        ):
            versions.add((stix_id, version))
            if stix_id not in highest or stix.TLP_RANK[tlp] > stix.TLP_RANK[highest[stix_id]]:
                highest[stix_id] = tlp
    return versions, highest


def _lock(
    session: Session, collection: Collection, count: int, now: datetime
) -> tuple[int, datetime]:
    """Reserve ``count`` sequence numbers and the instant they are added at."""
    locked = session.execute(
        select(Collection.last_seq, Collection.last_added_at)
        .where(Collection.id == collection.id)
        .with_for_update()
    ).one()
    added_at = now if locked.last_added_at is None else max(now, locked.last_added_at)
    collection.last_seq = locked.last_seq + count
    collection.last_added_at = added_at
    session.flush()
    return locked.last_seq, added_at


def add_objects(
    session: Session,
    collection: Collection,
    principal: Principal,
    objects: Sequence[object],
    *,
    now: datetime,
    apply_default: bool = False,
    audience: Audience = Audience(),
    reveal_sighter: bool = False,
) -> Outcome:
    """Check and store ``objects`` (the caller has asked the policy for the write). Each
    succeeds or fails alone; a version already stored succeeds without a second row;
    a version marked less restrictively than an earlier one of the same object fails
    (no path lowers a marking). ``reveal_sighter``: the caller has asked
    :func:`clearinghouse.policy.sighter_reveals` (sightings only name their poster)."""
    if len(objects) > MAX_OBJECTS_PER_REQUEST:
        raise InvalidInput(f"at most {MAX_OBJECTS_PER_REQUEST} objects per request")
    outcome = Outcome()
    accepted: list[_Accepted] = []
    for raw in objects:
        try:
            accepted.append(_prepare(raw, collection, apply_default))
        except _Refused as refused:
            obj_id = raw.get("id") if isinstance(raw, dict) else None
            outcome.failures.append(
                {"id": str(obj_id)[:300] if obj_id else None, "message": refused.message}
            )
    ids = sorted({a.checked.id for a in accepted})
    stored, highest = _existing(session, collection.id, ids)
    fresh: list[_Accepted] = []
    seen: set[tuple[str, datetime | None]] = set()
    for item in accepted:
        checked = item.checked
        key = (checked.id, checked.modified)
        top = highest.get(checked.id)
        if top is not None and stix.TLP_RANK[item.tlp] < stix.TLP_RANK[top]:
            outcome.failures.append(
                {
                    "id": checked.id,
                    "version": _version_of(checked, None),
                    "message": f"an earlier version is marked TLP:{top.value}; a new version "
                    f"may not lower it to TLP:{item.tlp.value}",
                }
            )
            continue
        if key in seen or (checked.modified is not None and key in stored):
            outcome.successes.append({"id": checked.id, "version": _version_of(checked, None)})
            continue
        seen.add(key)
        highest[checked.id] = item.tlp
        fresh.append(item)
    if not fresh:
        return outcome
    last_seq, added_at = _lock(session, collection, len(fresh), now)
    rows = []
    audience_rows = []
    for n, item in enumerate(fresh, start=1):
        checked, row_id = item.checked, uuid.uuid4()
        version = checked.modified if checked.modified is not None else added_at
        rows.append(
            {
                "id": row_id,
                "collection_id": collection.id,
                "stix_id": checked.id,
                "type": checked.type,
                "spec_version": checked.spec_version,
                "version": version,
                "date_added": added_at,
                "seq": last_seq + n,
                "tlp": item.tlp,
                "marking_applied": item.applied,
                "producer_org_id": principal.org_id,
                "producer_user_id": principal.user_id,
                "sighting_of": _sighting_of(checked),
                "reveal_sighter": reveal_sighter and checked.type == "sighting",
                "body": orjson.dumps(checked.obj).decode(),
            }
        )
        audience_rows.extend(_audience_rows(row_id, audience))
        outcome.added_rows.append(row_id)
        outcome.successes.append({"id": checked.id, "version": version_text(version)})
    session.execute(insert(SharedObject), rows)
    if audience_rows:
        session.execute(insert(SharedAudience), audience_rows)
    return outcome


def _version_of(checked: stix.Checked, fallback: datetime | None) -> str | None:
    moment = checked.modified or fallback
    return version_text(moment) if moment is not None else None


def _sighting_of(checked: stix.Checked) -> str | None:
    if checked.type != "sighting":
        return None
    ref = checked.obj.get("sighting_of_ref")
    return ref if isinstance(ref, str) else None


def _audience_rows(object_id: uuid.UUID, audience: Audience) -> list[dict[str, Any]]:
    base = {"object_id": object_id, "org_id": None, "user_id": None, "group_id": None}
    rows = [{**base, "id": uuid.uuid4(), "named": False, "group_id": g} for g in audience.group_ids]
    rows += [{**base, "id": uuid.uuid4(), "named": True, "org_id": o} for o in audience.org_ids]
    rows += [{**base, "id": uuid.uuid4(), "named": True, "user_id": u} for u in audience.user_ids]
    return rows


# ---- reading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionFilter:
    """``match[version]``: any of first, last, all, or exact versions (OR)."""

    first: bool = False
    last: bool = True
    all: bool = False
    exact: frozenset[datetime] = frozenset()


@dataclass(frozen=True, slots=True)
class Filters:
    added_after: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: VersionFilter = VersionFilter()
    spec_versions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads: the policy's scope for the collection, and the sharing groups of the
    reader's organisation (for objects whose audience is a group)."""

    scope: ObjectScope
    group_ids: tuple[uuid.UUID, ...] = ()


def _visible(reader: Reader, o: Any) -> ColumnElement[bool]:
    scope = reader.scope
    if scope.nothing:
        return false()
    if scope.everything:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if scope.tlps:
        clauses.append(o.tlp.in_(sorted(scope.tlps)))
    if scope.own_org_id is not None:
        clauses.append(o.producer_org_id == scope.own_org_id)
    a = SharedAudience
    if scope.audience_org_id is not None and Tlp.AMBER not in scope.tlps:
        whom = [a.org_id == scope.audience_org_id]
        if reader.group_ids:
            whom.append(a.group_id.in_(reader.group_ids))
        clauses.append(and_(o.tlp == Tlp.AMBER, exists().where(a.object_id == o.id, or_(*whom))))
    if scope.named_org_id is not None and Tlp.AMBER_STRICT not in scope.tlps:
        clauses.append(
            and_(
                o.tlp == Tlp.AMBER_STRICT,
                exists().where(a.object_id == o.id, a.named, a.org_id == scope.named_org_id),
            )
        )
    if scope.named_user_id is not None and Tlp.RED not in scope.tlps:
        clauses.append(
            and_(
                o.tlp == Tlp.RED,
                exists().where(a.object_id == o.id, a.named, a.user_id == scope.named_user_id),
            )
        )
    return or_(*clauses) if clauses else false()


def _versions(reader: Reader, wanted: VersionFilter) -> ColumnElement[bool] | None:
    """First/last among the versions the reader may see: an object's newest visible
    version is its "last" for that reader, so a hidden newer version leaves no trace."""
    if wanted.all:
        return None
    o2 = aliased(SharedObject)
    choices: list[ColumnElement[bool]] = []
    for flag, newer in ((wanted.last, True), (wanted.first, False)):
        if not flag:
            continue
        beyond = o2.version > SharedObject.version if newer else o2.version < SharedObject.version
        choices.append(
            ~exists().where(
                o2.collection_id == SharedObject.collection_id,
                o2.stix_id == SharedObject.stix_id,
                beyond,
                _visible(reader, o2),
            )
        )
    if wanted.exact:
        choices.append(SharedObject.version.in_(sorted(wanted.exact)))
    return or_(*choices)


def _query(collection_id: uuid.UUID, reader: Reader, filters: Filters) -> Any:
    o = SharedObject
    query: Any = select(
        o.id,
        o.stix_id,
        type_coerce(o.version, NullType()).label("version"),
        type_coerce(o.date_added, NullType()).label("date_added"),
        o.seq,
        o.body,
    ).where(o.collection_id == collection_id, _visible(reader, o))
    if filters.added_after is not None:
        query = query.where(o.date_added > filters.added_after)
    if filters.ids:
        query = query.where(o.stix_id.in_(filters.ids))
    if filters.types:
        query = query.where(o.type.in_(filters.types))
    if filters.spec_versions:
        query = query.where(o.spec_version.in_(filters.spec_versions))
    versions = _versions(reader, filters.versions)
    if versions is not None:
        query = query.where(versions)
    return query


def _instant(raw: object) -> datetime:
    """A raw instant column (SQLite: text; PostgreSQL: a datetime) as an aware UTC one."""
    if isinstance(raw, datetime):
        return raw.replace(tzinfo=UTC) if raw.tzinfo is None else raw.astimezone(UTC)
    return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)


class Row:
    """One version as a page holds it: instants are converted only when asked for (a page
    of 1,000 objects needs two of them), and the body is served as stored."""

    __slots__ = ("_date_added", "_version", "body", "id", "seq", "stix_id")

    def __init__(
        self,
        id: uuid.UUID | None,
        stix_id: str,
        version: object,
        date_added: object,
        seq: int,
        body: str,
    ) -> None:
        self.id = id
        self.stix_id = stix_id
        self._version = version
        self._date_added = date_added
        self.seq = seq
        self.body = body

    @property
    def version(self) -> datetime:
        return _instant(self._version)

    @property
    def date_added(self) -> datetime:
        return _instant(self._date_added)


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]
    more: bool
    next: tuple[datetime, int] | None  # the cursor position after the last row


def page(
    session: Session,
    collection_id: uuid.UUID,
    reader: Reader,
    filters: Filters,
    *,
    limit: int,
    after: tuple[datetime, int] | None = None,
) -> Page:
    o = SharedObject
    query = _query(collection_id, reader, filters)
    if after is not None:
        at, seq = after
        # The first condition alone bounds an index range scan (both backends); the OR
        # alone would make SQLite scan from the start, a cost growing with the position.
        query = query.where(
            o.date_added >= at, or_(o.date_added > at, and_(o.date_added == at, o.seq > seq))
        )
    query = query.with_only_columns(*query.selected_columns[1:])  # no ids: no UUIDs to build
    found = session.execute(query.order_by(o.date_added, o.seq).limit(limit + 1)).all()
    rows = [Row(None, r.stix_id, r.version, r.date_added, r.seq, r.body) for r in found[:limit]]
    more = len(found) > limit
    return Page(rows, more, (rows[-1].date_added, rows[-1].seq) if more and rows else None)


def object_facts(session: Session, row_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ObjectFacts]:
    """The policy's facts of stored versions (for single-object decisions)."""
    audience: dict[uuid.UUID, list[SharedAudience]] = {}
    for item in session.scalars(
        select(SharedAudience).where(SharedAudience.object_id.in_(row_ids))
    ):
        audience.setdefault(item.object_id, []).append(item)
    out = {}
    for row in session.scalars(select(SharedObject).where(SharedObject.id.in_(row_ids))):
        items = audience.get(row.id, [])
        groups = sorted({i.group_id for i in items if i.group_id is not None})
        out[row.id] = ObjectFacts(
            tlp=row.tlp,
            producer_org_id=row.producer_org_id,
            audience_org_ids=group_orgs(session, groups)
            | {i.org_id for i in items if i.org_id is not None and not i.named},
            named_org_ids=frozenset(i.org_id for i in items if i.org_id is not None and i.named),
            named_user_ids=frozenset(i.user_id for i in items if i.user_id is not None),
        )
    return out


def producers(session: Session, row_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID | None]:
    found: dict[uuid.UUID, uuid.UUID | None] = {}
    for start in range(0, len(row_ids), 500):
        for row_id, org in session.execute(
            select(SharedObject.id, SharedObject.producer_org_id).where(
                SharedObject.id.in_(row_ids[start : start + 500])
            )
        ):
            found[row_id] = org
    return found


def delete_versions(session: Session, row_ids: Sequence[uuid.UUID]) -> int:
    for start in range(0, len(row_ids), 500):
        session.execute(
            delete(SharedObject).where(SharedObject.id.in_(row_ids[start : start + 500]))
        )
    return len(row_ids)


def version_rows(
    session: Session, collection_id: uuid.UUID, reader: Reader, stix_id: str, filters: Filters
) -> list[Row]:
    """Every visible version of one object that ``filters`` select, oldest first."""
    query = _query(
        collection_id,
        reader,
        Filters(
            ids=(stix_id,),
            versions=filters.versions,
            spec_versions=filters.spec_versions,
            added_after=filters.added_after,
            types=filters.types,
        ),
    )
    found = session.execute(query.order_by(SharedObject.version, SharedObject.seq)).all()
    return [Row(r.id, r.stix_id, r.version, r.date_added, r.seq, r.body) for r in found]
