"""Appending to and verifying the hash-chained audit log.

Each entry's ``hash`` is SHA-256 over the previous entry's hash and the entry's own
canonical fields (including its sequence number and the digest of its change), so
altering, deleting or reordering any entry breaks the chain from that point on.
Deleting the newest entries is only detectable against a previously recorded head:
``clearinghouse audit verify`` prints the head so that it can be published or kept.

Entries are chained when their transaction commits, not when they are appended: the
chain has one head, so linking to it serialises every writer (on PostgreSQL an advisory
lock held to the end of the transaction). Taken at :func:`append`, that lock was held
while the request finished its work, went back to the event loop and waited for a thread
to commit, and under load writers queued behind it (``docs/benchmarks.md``, "Open-loop
load"). Taken in ``before_commit``, it covers reading the head, inserting the entries and
the commit itself.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, SessionTransaction

from clearinghouse.audit.models import AuditEntry
from clearinghouse.principal import Principal
from clearinghouse.timeutil import ensure_utc, format_instant

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x61756469  # "audi": serialises appends to the chain on PostgreSQL
_PENDING = "audit_pending"  # session.info key: [(transaction appended in, entry), ...]


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return format_instant(value, micro=True)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} in an audit entry")


def canonical(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UUIDs and instants as strings."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_SORT_KEYS)


def _normalised(change: dict[str, Any]) -> dict[str, Any]:
    # Store exactly what was hashed: a JSON round-trip turns UUIDs/datetimes into strings.
    result: dict[str, Any] = orjson.loads(canonical(change))
    return result


def digest_of(change: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(change)).hexdigest()


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    body = {
        "seq": entry.seq,
        "id": str(entry.id),
        "at": format_instant(entry.at, micro=True),
        "actor_user_id": str(entry.actor_user_id) if entry.actor_user_id else None,
        "actor_org_id": str(entry.actor_org_id) if entry.actor_org_id else None,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "owner_org_id": str(entry.owner_org_id) if entry.owner_org_id else None,
        "digest": entry.digest,
    }
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(body)).hexdigest()


def append(
    session: Session,
    *,
    actor: Principal,
    action: str,
    object_type: str,
    object_id: str | uuid.UUID,
    change: dict[str, Any],
    at: datetime,
    owner_org_id: uuid.UUID | None = None,
) -> AuditEntry:
    """Append an entry to the caller's transaction (never commits). The entry is linked to
    the chain and stored when that transaction commits (its ``seq`` and hashes are set
    then); a rolled-back transaction or savepoint takes its entries with it."""
    stored_change = _normalised(change)
    entry = AuditEntry(
        id=uuid.uuid4(),
        at=ensure_utc(at),
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        owner_org_id=owner_org_id,
        change=stored_change,
        digest=digest_of(stored_change),
    )
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING, []).append((transaction, entry))
    return entry


def _chain_pending(session: Session) -> None:
    """Link the transaction's pending entries to the head, in the order appended (when the
    outermost transaction commits; a savepoint's release keeps them pending)."""
    if session.in_nested_transaction():
        return
    pending: list[tuple[SessionTransaction, AuditEntry]] = session.info.pop(_PENDING, [])
    if not pending:
        return
    session.flush()  # the rest of the transaction's work first, outside the lock
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    # On SQLite the write transaction began IMMEDIATE: we already hold the write lock.
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    prev_seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    for _, entry in pending:
        prev_seq += 1
        entry.seq = prev_seq
        entry.prev_hash = prev_hash
        entry.hash = prev_hash = entry_hash(prev_hash, entry)
        session.add(entry)
    session.flush()


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Forget the entries appended inside a transaction or savepoint that rolled back."""
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [(t, e) for t, e in pending if not _within(t, previous_transaction)]


def _drop_ended(session: Session, transaction: SessionTransaction) -> None:
    """A session's outermost transaction ended without chaining its entries (closed)."""
    if transaction.parent is None:
        _drop_rolled_back(session, transaction)


event.listen(Session, "before_commit", _chain_pending)
event.listen(Session, "after_soft_rollback", _drop_rolled_back)
event.listen(Session, "after_transaction_end", _drop_ended)


@dataclass(frozen=True, slots=True)
class TrailFilter:
    """Which entries a trail shows: all filters AND; ``owner_org_id`` limits a member to
    what its organisation owns (``everything``: the operator); ``at`` shows the trail as
    it stood at an instant (entries recorded by then)."""

    everything: bool
    owner_org_id: uuid.UUID | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None  # exact, or a prefix ending in "." (``member.``)
    at: datetime | None = None


def trail(
    session: Session, where: TrailFilter, *, after_seq: int | None, limit: int
) -> list[AuditEntry]:
    """Entries oldest first, after ``after_seq``, at most ``limit``."""
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if where.object_type:
        query = query.where(AuditEntry.object_type == where.object_type)
    if where.object_id:
        query = query.where(AuditEntry.object_id == where.object_id)
    if where.action:
        if where.action.endswith("."):
            query = query.where(AuditEntry.action.startswith(where.action, autoescape=True))
        else:
            query = query.where(AuditEntry.action == where.action)
    if where.at is not None:
        query = query.where(AuditEntry.at <= ensure_utc(where.at))
    if not where.everything:
        query = query.where(AuditEntry.owner_org_id == where.owner_org_id)
    if after_seq:
        query = query.where(AuditEntry.seq > after_seq)
    return list(session.scalars(query.limit(limit)))


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    problem: str | None = None
    expected_head_seq: int | None = None  # where the kept head was found (``expect_head``)


def _in_order(session: Session, batch: int = 2000) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.seq > after)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()


def verify(session: Session, *, expect_head: str | None = None) -> VerifyResult:
    """Walk the chain; name the first entry that was altered, deleted or reordered.

    ``expect_head``: a head hash kept (or published) earlier. The chain must hold it, as
    its head or as an entry newer ones follow; otherwise the newest entries were deleted
    (truncation, which the chain alone cannot show) or the chain was rewritten."""
    if expect_head is not None:
        expect_head = expect_head.strip().lower()
    found_at = 0 if expect_head == GENESIS else None
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    for entry in _in_order(session):
        if entry.seq != expected_seq:
            return VerifyResult(
                False,
                count,
                prev_hash,
                expected_seq,
                f"entry {expected_seq} is missing (next present entry is {entry.seq})",
            )
        if entry.prev_hash != prev_hash:
            return VerifyResult(
                False,
                count,
                prev_hash,
                entry.seq,
                f"entry {entry.seq} does not follow entry {entry.seq - 1} "
                "(deleted, reordered or re-linked)",
            )
        if digest_of(entry.change) != entry.digest:
            return VerifyResult(
                False, count, prev_hash, entry.seq, f"entry {entry.seq}: its change was altered"
            )
        if entry_hash(prev_hash, entry) != entry.hash:
            return VerifyResult(
                False, count, prev_hash, entry.seq, f"entry {entry.seq}: its fields were altered"
            )
        prev_hash = entry.hash
        if entry.hash == expect_head:
            found_at = entry.seq
        expected_seq += 1
        count += 1
    if expect_head is not None and found_at is None:
        return VerifyResult(
            False,
            count,
            prev_hash,
            expected_seq,
            f"the head you kept ({expect_head}) is not in the chain, which now ends at entry "
            f"{count}: entries were deleted from its end, or the chain was rewritten",
        )
    return VerifyResult(True, count, prev_hash, expected_head_seq=found_at)
