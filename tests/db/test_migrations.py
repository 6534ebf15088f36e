"""Alembic is the only way the schema changes: the migrated schema must equal the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clearinghouse.db import Database
from clearinghouse.models import Base


def test_models_and_migrations_agree(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; run `make migration`: {diff}"


def test_every_table_is_migrated(database: Database) -> None:
    with database.engine.connect() as conn:
        names = set(conn.dialect.get_table_names(conn))
    assert set(Base.metadata.tables) <= names
