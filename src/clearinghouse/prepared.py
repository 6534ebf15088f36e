"""Statements compiled once and run on the driver's own connection.

For the few statements every TAXII page runs (the token, the collection, the blocks, the
access-log row), SQLAlchemy's work per execution (the cache key, the execution context,
events, the ``Result``) costs three to nine times what the driver does: ~50-100 us each,
measured in process, on a page whose whole budget is ~1.8 ms. A :class:`Prepared` statement
is compiled by SQLAlchemy once per dialect, and each execution applies the same bind and
result processors SQLAlchemy would (its public ``bind_processor``/``result_processor`` of
each type, so UUIDs, instants, JSON and booleans are stored and read exactly as through
SQLAlchemy), then hands the SQL and values to the driver's cursor in the connection's open
transaction. ``tests/db/test_prepared.py`` checks every statement here returns and stores
what SQLAlchemy's own execution does, on both backends.

Only what that cannot go wrong for: no expanding ``IN`` lists (one SQL text per
statement), no ORM entities; the driver's errors are raised as SQLAlchemy raises them
(``DBAPIError.instance``), so a full disk or an unreachable database gets the same answer
as anywhere else. SQLAlchemy's events (echo, query counting) do not see these statements.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # the parameters in the order the driver takes them (positional)
    positional: bool
    defaults: Mapping[str, Any]  # the statement's own values (constants), by name
    binds: Mapping[str, Callable[[Any], Any] | None]
    results: tuple[Callable[[Any], Any] | None, ...]
    row: Any  # a named tuple of the result's columns


class Prepared:
    """One Core statement, compiled once per dialect; see the module's docstring."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._plans: dict[str, _Plan] = {}

    @property
    def statement(self) -> ClauseElement:
        return self._statement

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = self._compile(dialect)
        return plan

    def _compile(self, dialect: Dialect) -> _Plan:
        compiled = cast(SQLCompiler, self._statement.compile(dialect=dialect))
        binds = compiled.binds
        if any(b.expanding for b in binds.values()):
            raise ValueError("a prepared statement cannot expand IN lists")
        columns = list(getattr(self._statement, "selected_columns", ()))
        keys = [c.key or f"c{i}" for i, c in enumerate(columns)]
        results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
        # The statement's own values (constants) are processed with each execution, like
        # the values given.
        positional = bool(dialect.positional)
        names = tuple(compiled.positiontup or ()) if positional else tuple(binds)
        return _Plan(
            sql=compiled.string,
            names=names,
            positional=positional,
            defaults={n: b.effective_value for n, b in binds.items() if not b.required},
            binds={
                name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                for name, bind in binds.items()
            },
            results=results,
            row=collections.namedtuple("Row", keys, rename=True),
        )

    def _execute(self, connection: Connection, values: Mapping[str, Any]) -> tuple[_Plan, Any]:
        driver = connection.connection.driver_connection
        if driver is None:  # a connection invalidated in this transaction
            raise DBAPIError.instance(None, None, RuntimeError("connection closed"), Exception)
        return self._on_driver(driver, connection.dialect, values)

    def _on_driver(
        self, driver: Any, dialect: Dialect, values: Mapping[str, Any]
    ) -> tuple[_Plan, Any]:
        plan = self._plan(dialect)
        given: dict[str, Any] = {}
        for name in plan.names:
            value = values[name] if name in values else plan.defaults[name]
            process = plan.binds[name]
            given[name] = process(value) if process is not None else value
        parameters: Any = [given[n] for n in plan.names] if plan.positional else given
        cursor = driver.cursor()
        try:
            cursor.execute(plan.sql, parameters)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise DBAPIError.instance(
                plan.sql, parameters, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        return plan, cursor

    def run(self, connection: Connection, values: Mapping[str, Any]) -> None:
        """Execute (an insert, an update), in the connection's transaction."""
        _, cursor = self._execute(connection, values)
        cursor.close()

    def run_on_driver(self, driver: Any, dialect: Dialect, values: Mapping[str, Any]) -> None:
        """Execute on a driver connection SQLAlchemy holds no transaction on (SQLite in
        autocommit: the statement is its own transaction)."""
        _, cursor = self._on_driver(driver, dialect, values)
        cursor.close()

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Every row, as named tuples with the types SQLAlchemy would give."""
        plan, cursor = self._execute(connection, values)
        try:
            raw = cursor.fetchall()
        finally:
            cursor.close()
        results = plan.results
        if not any(results):
            return [plan.row._make(r) for r in raw]
        return [
            plan.row._make(v if p is None else p(v) for p, v in zip(results, r, strict=True))
            for r in raw
        ]

    def first(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The first row, or None."""
        found = self.rows(connection, values)
        return found[0] if found else None
