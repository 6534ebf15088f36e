"""Storage: engine, sessions, the declarative base and shared column types.

SQLite by default (zero set-up) and PostgreSQL in production and CI. The request (or
the job) owns the transaction; helpers flush, never commit.

On SQLite, write transactions start with ``BEGIN IMMEDIATE`` so that concurrent writers
queue on the database lock instead of failing on upgrade; read-only sessions use a
plain deferred ``BEGIN``.

Text lengths: SQLite ignores ``String(n)``, PostgreSQL refuses a longer value with a
``DataError`` that nothing expects. Input is bounded where it arrives (request schemas, the
format parsers); :func:`overlong` checks a row against its table where rows are built from
documents (imports, Core inserts), and every session refuses, before it flushes, an object
whose text would not fit (:class:`ValueTooLong`), so both backends answer alike.
"""

from __future__ import annotations

import enum
import functools
import sqlite3
import threading
import uuid
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import JSON, DateTime, Enum, MetaData, String, Table, create_engine, event, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from clearinghouse.errors import InvalidInput

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored as an instant")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONDoc = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDoc,
        list[str]: JSONDoc,
        list[dict[str, Any]]: JSONDoc,
    }


def enum_column(cls: type[enum.Enum]) -> Enum:
    """A closed set stored as its string values (portable, readable in raw SQL)."""
    return Enum(cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


# ---- text that would not fit its column ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Overlong:
    """A text value longer than its column holds."""

    table: str
    column: str  # the column's key: the attribute, or the row's key in a Core insert
    length: int
    limit: int

    def __str__(self) -> str:
        return f"{self.column} is {self.length} characters long; at most {self.limit} can be stored"


class ValueTooLong(InvalidInput):
    """A text longer than the column that would hold it, refused before the database sees
    it (PostgreSQL would fail the statement, SQLite would keep it): 422, exit 2. The input
    should have been bounded where it arrived; this is the last line, which names the
    column."""

    def __init__(self, found: Overlong) -> None:
        super().__init__(f"{found}: shorten it", field=found.column, max_length=found.limit)
        self.found = found


def string_limits(table: Table | type[Base]) -> Mapping[str, int]:
    """The length of every length-bounded text column of ``table``, by column key."""
    return _string_limits(_table(table))


def overlong(table: Table | type[Base], row: Mapping[str, Any]) -> Overlong | None:
    """The first text of ``row`` (column key -> value, as a Core insert takes it) longer
    than its column of ``table`` holds, or None."""
    target = _table(table)
    for key, limit in _string_limits(target).items():
        value = row.get(key)
        if isinstance(value, str) and len(value) > limit:
            return Overlong(target.name, key, len(value), limit)
    return None


def require_fits(
    table: Table | type[Base], row: Mapping[str, Any], *, field: str, what: str
) -> None:
    """:class:`InvalidInput` naming ``field`` when a value of ``row`` (derived from it:
    ``what`` says how) is longer than its column of ``table`` keeps."""
    found = overlong(table, row)
    if found is not None:
        raise InvalidInput(
            f"{what}: {found.length} characters, where at most {found.limit} can be stored",
            field=field,
            max_length=found.limit,
        )


def _table(table: Table | type[Base]) -> Table:
    return table if isinstance(table, Table) else cast(Table, table.__table__)


@functools.cache
def _string_limits(table: Table) -> Mapping[str, int]:
    return {
        column.key: column.type.length
        for column in table.columns
        if isinstance(column.type, String) and column.type.length is not None
    }


@functools.cache
def _attribute_limits(mapper: Mapper[Any]) -> tuple[tuple[str, int], ...]:
    out = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if isinstance(column.type, String) and column.type.length is not None:
            out.append((prop.key, column.type.length))
    return tuple(out)


def overlong_attributes(obj: Base) -> Overlong | None:
    """The first text attribute of a mapped object longer than its column holds, or None."""
    state = inspect(obj)
    values = state.dict
    for key, limit in _attribute_limits(state.mapper):
        value = values.get(key)
        if isinstance(value, str) and len(value) > limit:
            return Overlong(state.mapper.local_table.name, key, len(value), limit)  # type: ignore[attr-defined]
    return None


def refuse_overlong(session: Session, _context: Any, _instances: Any) -> None:
    """``before_flush``: :class:`ValueTooLong` for a new or changed object whose text would
    not fit its column (on PostgreSQL a DataError, on SQLite kept as it is)."""
    for obj in (*session.new, *session.dirty):
        found = overlong_attributes(obj)
        if found is not None:
            raise ValueTooLong(found)


class DatabaseBusy(TimeoutError):
    """This process waited too long for the database (its write lock): the platform is
    overloaded; the request changed nothing and may be tried again later."""


# PostgreSQL's SQLSTATE disk_full (class 53, insufficient resources).
_PG_DISK_FULL = "53100"


def bulk_insert(
    session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]], *, chunk: int = 5_000
) -> None:
    """Insert ``rows`` (dicts with the same keys, one per row) into ``model``'s table in the
    session's transaction, with each column's bind processing looked up once instead of
    once per value: ``session.execute(insert(Model), rows)`` spends most of a 50,000-row
    insert in SQLAlchemy's per-row, per-parameter bookkeeping. SQLite: one executemany
    per ``chunk`` rows; PostgreSQL: ``COPY``. The values are what the
    ORM would take (UUIDs, aware datetimes, enum members, lists for JSON); column
    defaults are not applied, so every column without a server default must be given."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    processors = {
        key: table.c[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys
    }
    order = list(compiled.positiontup or ()) if dialect.positional else keys
    if set(order) != set(keys):  # pragma: no cover (bind names are the column keys)
        raise ValueError(f"unexpected bind names {order!r} for {keys!r}")
    # (position, processor) for the columns that have one; the others pass as they are
    processed = [(i, _memoised(processors[key])) for i, key in enumerate(order) if processors[key]]

    def values(row: Mapping[str, Any]) -> list[Any]:
        found = [row[key] for key in order]
        for i, process in processed:
            found[i] = process(found[i])
        return found

    if dialect.name == "postgresql":
        _copy_rows(connection, table, order, map(values, rows))
        return
    sql = str(compiled)
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        params: list[Any]
        if dialect.positional:
            params = [tuple(values(row)) for row in part]
        else:
            params = [dict(zip(order, values(row), strict=True)) for row in part]
        connection.exec_driver_sql(sql, params)


def _copy_rows(
    connection: Any, table: Table, keys: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL: the rows through ``COPY ... FROM STDIN`` on the session's own
    connection (its transaction), several times faster than an executemany."""
    preparer = connection.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(table.c[key].name) for key in keys)
    driver = connection.connection.driver_connection
    statement = f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _memoised(processor: Any) -> Any:
    """A bind processor remembering its answers for hashable values (a bulk insert
    repeats one instant, organisation or advisory over thousands of rows)."""
    done: dict[Any, Any] = {}

    def process(value: Any) -> Any:
        if value is None or isinstance(value, list | dict):
            return processor(value)
        found = done.get(value, done)
        if found is done:
            found = done[value] = processor(value)
        return found

    return process


def storage_full(exc: BaseException) -> bool:
    """Whether a database error says its storage is full: SQLite's ``SQLITE_FULL``
    (the disk, or the database's page limit) or PostgreSQL's ``disk_full``."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, sqlite3.Error):
        return getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return getattr(orig, "sqlstate", None) == _PG_DISK_FULL


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for ``url``, with the SQLite pragmas the platform relies on."""
    if url.startswith("sqlite"):
        # A small pool of connections (opening one and setting its pragmas costs more
        # than a whole intake request); connections move between threads, never shared.
        memory = url in ("sqlite://", "sqlite:///:memory:")
        pool: dict[str, Any] = {} if memory else {"pool_size": 8, "max_overflow": 8}
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}, **pool
        )
        _configure_sqlite(engine)
        return engine
    # Every session in UTC, whatever the server's or the client's (PGTZ) default: instants
    # come back as UTC, and year 1 (an import may keep 0001-01-01T00:00:00Z) is still a
    # date Python holds (in New York it is 1 BC: a DataError on reading the row).
    engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    event.listen(engine, "connect", _session_in_utc)
    return engine


def _session_in_utc(dbapi_connection: Any, _record: Any) -> None:
    """``connect`` (PostgreSQL): the session's time zone set to UTC (a startup option
    would lose to the client's ``PGTZ``)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def write_lock(engine: Engine) -> threading.Lock | None:
    """The lock this process's writers of a SQLite database take before writing (None on
    PostgreSQL): whoever writes outside SQLAlchemy's transactions takes it too."""
    return _WRITERS.get(engine)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # Writers in this process queue on a lock before BEGIN IMMEDIATE: SQLite's own busy
    # handler polls with sleeps of up to 100 ms, which turns contention into long tails;
    # a lock hands over at once. (Other processes still meet SQLite's busy timeout.)
    writers = _WRITERS[engine] = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode == "IMMEDIATE":
            if not writers.acquire(timeout=30):
                raise DatabaseBusy("waited 30 s for the database write lock")
            conn.info["ch_writer"] = True
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            _release(conn)
            raise

    def _release(conn: Any) -> None:
        if conn.info.pop("ch_writer", False):
            writers.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


class Database:
    """The engine and its session factory; built once by ``create_app`` or the CLI."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info={"write": True})
        self._read_sessions = sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"),
            expire_on_commit=False,
            info={"write": False},
        )
        for factory in (self._sessions, self._read_sessions):
            event.listen(factory, "before_flush", refuse_overlong)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool = True) -> Session:
        return self._sessions() if write else self._read_sessions()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        session = self.session(write=write)
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
