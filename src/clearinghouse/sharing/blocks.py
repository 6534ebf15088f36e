"""Blocks: a collection's default TAXII pages, pre-joined.

A reader walking a collection with no filter but the cursor (``match[version]=last``,
the default) is served each object's newest version it may see, oldest first. Read row by
row, a page of 1,000 costs the database ~1 ms: an index walk and a table lookup per row.
A block holds the versions whose ``seq`` lies in (``lo``, ``hi``] as that page would serve
them to anyone who sees every marking in the block, already joined, so that such a page is
~10 rows. Within a collection ``seq`` grows with ``date_added`` (both are handed out under
the collection's lock, ``date_added`` never going back), so a range of ``seq`` is a range
of the page order.

Which versions a block serves: every newest version in its range. An older version is
left out, and the marking of its object's newest version is added to the block's
``marks``: whoever is served the block sees that newest version, so the older one is not
its "last" (for a reader who does not, the block is not served). A block is served only
to a reader the policy (:meth:`ObjectScope.admits_all_marked`) lets see every object
marked one of ``marks``; for anyone else, and for a page with any other filter, the page
is read row by row, as before. The two readings must agree: ``tests/db/test_blocks.py``
checks them against each other after every kind of change.

When blocks change: in the transaction that adds or deletes versions, under the
collection's lock (:func:`refresh`): the blocks ``seq`` completes (``hi`` reached by
``Collection.last_seq``: no version will ever be added to the range), and every complete
block holding a version of an object that was given a new newest version or lost one.
The last, incomplete, range has no block: it is read row by row.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Integer, Table, bindparam, delete, insert, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from clearinghouse.formats.model import Tlp
from clearinghouse.policy import ObjectScope
from clearinghouse.prepared import Prepared
from clearinghouse.sharing.models import SharedBlock, SharedObject

SIZE: Final = 100  # sequence numbers per block built (blocks say their own bounds)
UNKNOWN: Final = "?"  # in ``marks``: a newest version could not be found; never served


def _block_of(seq: int, size: int) -> int:
    """The ``lo`` of the block of ``size`` that holds ``seq`` (sequence numbers start at 1)."""
    return (seq - 1) // size * size


def refresh(
    session: Session,
    collection_id: uuid.UUID,
    *,
    before: int,
    after: int,
    touched: Iterable[int] = (),
) -> None:
    """Build the blocks a write completed (``Collection.last_seq`` went from ``before`` to
    ``after``) and rebuild the complete ones holding any of the ``touched`` sequence
    numbers. The caller holds the collection's lock and has written its rows."""
    size = SIZE
    starts = {_block_of(seq, size) for seq in touched if seq <= after}
    starts.update(range(before // size * size, after // size * size, size))
    for lo in sorted(s for s in starts if s + size <= after):
        _build(session, collection_id, lo, lo + size)


def _build(session: Session, collection_id: uuid.UUID, lo: int, hi: int) -> None:
    connection = session.connection()
    rows = _RANGE.rows(connection, {"collection": collection_id, "lo": lo, "hi": hi})
    older = sorted({r.stix_id for r in rows if not r.newest})
    newest_marks: dict[str, Any] = {}
    o = SharedObject
    for start in range(0, len(older), 500):
        newest_marks.update(
            (stix_id, tlp)
            for stix_id, tlp in session.execute(
                select(o.stix_id, type_coerce(o.tlp, NullType())).where(
                    o.collection_id == collection_id,
                    o.stix_id.in_(older[start : start + 500]),
                    o.newest,
                )
            )
        )
    marks: set[str] = set()
    served = []
    for r in rows:
        if r.newest:
            marks.add(_mark(r.tlp))
            served.append(r)
        else:
            marks.add(_mark(newest_marks.get(r.stix_id)))
    at = (instant(served[0].date_added), instant(served[-1].date_added)) if served else (None,) * 2
    _DELETE.run(connection, {"collection": collection_id, "lo": lo})
    _INSERT.run(
        connection,
        {
            "collection_id": collection_id,
            "lo": lo,
            "hi": hi,
            "marks": " ".join(sorted(marks)),
            "count": len(served),
            "first_at": at[0],
            "last_at": at[1],
            "first_seq": served[0].seq if served else None,
            "last_seq": served[-1].seq if served else None,
            "end_at": instant(rows[-1].date_added) if rows else None,
            "body": ",".join(r.body for r in served).encode(),
        },
    )


def _mark(stored: str | None) -> str:
    """A stored marking as ``marks`` holds it (UNKNOWN for none, or one not known here)."""
    try:
        return Tlp(stored).value if stored is not None else UNKNOWN
    except ValueError:
        return UNKNOWN


_O: Final = SharedObject.__table__.c
_RANGE: Final = Prepared(
    select(
        _O.seq,
        type_coerce(_O.date_added, NullType()).label("date_added"),  # raw, as in ``Run``
        _O.stix_id,
        type_coerce(_O.tlp, NullType()).label("tlp"),
        _O.newest,
        _O.body,
    )
    .where(
        _O.collection_id == bindparam("collection"),
        _O.seq > bindparam("lo"),
        _O.seq <= bindparam("hi"),
    )
    .order_by(_O.seq)
)
_BLOCKS: Final[Table] = SharedBlock.__table__  # type: ignore[assignment]
_LAST_ADDED: Final = Prepared(
    select(type_coerce(_O.date_added, NullType()).label("date_added"))
    .where(_O.collection_id == bindparam("collection"), _O.seq <= bindparam("seq"))
    .order_by(_O.seq.desc())
    .limit(1)
)
_B: Final = _BLOCKS.c
_DELETE: Final = Prepared(
    delete(_BLOCKS).where(_B.collection_id == bindparam("collection"), _B.lo == bindparam("lo"))
)
_INSERT: Final = Prepared(insert(_BLOCKS).values({c.key: bindparam(c.key) for c in _B}))


def seqs_of(session: Session, collection_id: uuid.UUID, stix_ids: Sequence[str]) -> set[int]:
    """The sequence numbers of every stored version of ``stix_ids`` in the collection."""
    o = SharedObject
    found: set[int] = set()
    for start in range(0, len(stix_ids), 500):
        found.update(
            session.scalars(
                select(o.seq).where(
                    o.collection_id == collection_id,
                    o.stix_id.in_(stix_ids[start : start + 500]),
                )
            )
        )
    return found


# ---- reading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive blocks served as one page: their bodies, and what the page reports."""

    pieces: list[bytes]  # each block's bodies, comma-separated (none empty)
    count: int
    # (date_added, seq) of the first and last served; the instant raw, as the driver
    # reads it (:func:`instant` converts it), since a page needs it for two headers only
    first: tuple[object, int] | None
    last: tuple[object, int] | None
    end: tuple[datetime, int]  # the cursor after the run's last block
    following: bool | None  # a block after the run is known to serve more; None: unknown


_COLUMNS: Final = (
    SharedBlock.lo,
    SharedBlock.hi,
    SharedBlock.marks,
    SharedBlock.count,
    type_coerce(SharedBlock.first_at, NullType()).label("first_at"),  # raw: see ``Run``
    type_coerce(SharedBlock.last_at, NullType()).label("last_at"),
    SharedBlock.first_seq,
    SharedBlock.last_seq,
    type_coerce(SharedBlock.end_at, NullType()).label("end_at"),
    SharedBlock.body,
)
_SELECT: Final = Prepared(
    select(*_COLUMNS)
    .where(
        SharedBlock.collection_id == bindparam("collection"),
        SharedBlock.lo >= bindparam("start"),
    )
    .order_by(SharedBlock.lo)
    .limit(bindparam("blocks", type_=Integer))
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def run(
    session: Session,
    collection_id: uuid.UUID,
    scope: ObjectScope,
    *,
    limit: int,
    after: tuple[datetime, int] | None,
    added_after: datetime | None,
) -> Run | None:
    """The page after ``after`` (at most ``limit`` versions) served from blocks, or None
    where blocks cannot serve it exactly (the cursor is not at a block's start, the first
    block is missing, holds more than ``limit``, or is not the reader's to see whole)."""
    start = after[1] if after is not None else 0
    rows: Sequence[Any] = _SELECT.rows(
        session.connection(),
        {"collection": collection_id, "start": start, "blocks": limit // SIZE + 2},
    )
    pieces: list[bytes] = []
    count = 0
    first: tuple[object, int] | None = None
    last: tuple[object, int] | None = None
    end_at: object = after[0] if after is not None else _EPOCH
    position = start
    following: bool | None = None
    for lo, hi, marks, n, first_at, last_at, first_seq, last_seq, block_end, body in rows:
        if lo != position or not _whole(scope, marks):
            break
        if n and first is None:  # the first versions served: every later one is later
            at = instant(first_at)
            if (after is not None and at < after[0]) or (
                added_after is not None and at <= added_after
            ):
                break  # not after the cursor or ``added_after``: row by row
        if count + n > limit:
            following = True
            break
        if n:
            pieces.append(body)
            count += n
            first = first or (first_at, first_seq)
            last = (last_at, last_seq)
        if block_end is not None:
            end_at = block_end
        position = hi
    if position == start or (following and not count):
        return None  # (nothing served before a block that would not fit: row by row)
    return Run(pieces, count, first, last, (instant(end_at), position), following)


def last_added(session: Session, collection_id: uuid.UUID, seq: int) -> datetime | None:
    """The ``date_added`` of the last version stored at or before ``seq``: with ``seq``,
    the cursor after which exactly the versions past ``seq`` come, whatever is visible
    (``date_added`` grows with ``seq``)."""
    found = _LAST_ADDED.first(session.connection(), {"collection": collection_id, "seq": seq})
    return instant(found[0]) if found is not None else None


def instant(raw: object) -> datetime:
    """A raw instant column (SQLite: text; PostgreSQL: a datetime) as an aware UTC one."""
    if isinstance(raw, datetime):
        return raw.replace(tzinfo=UTC) if raw.tzinfo is None else raw.astimezone(UTC)
    return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)


def _whole(scope: ObjectScope, marks: str) -> bool:
    wanted = _marks(marks)
    return wanted is not None and scope.admits_all_marked(wanted)


@functools.lru_cache(maxsize=64)
def _marks(text: str) -> frozenset[Tlp] | None:
    try:
        return frozenset(Tlp(m) for m in text.split())
    except ValueError:  # UNKNOWN, or a marking this version does not know: never whole
        return None
