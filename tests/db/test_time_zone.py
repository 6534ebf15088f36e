"""Every PostgreSQL session runs in UTC, whatever the server's or the client's default
(``PGTZ``): read in New York, an instant of year 1 (an OSV import keeps
``0001-01-01T00:00:00Z``) is a date of 1 BC and reading its row was a DataError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import literal, select, text

from clearinghouse.db import Database, UTCDateTime

YEAR_ONE = datetime(1, 1, 1, tzinfo=UTC)


def test_instants_of_year_one_come_back_under_any_client_zone(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGTZ", "America/New_York")  # libpq's default zone for the session
    database = Database(db_url)
    try:
        with database.transaction(write=False) as session:
            if database.dialect == "postgresql":
                assert session.execute(text("SHOW TimeZone")).scalar() == "UTC"
            value = session.execute(select(literal(YEAR_ONE, UTCDateTime()))).scalar()
            assert value == YEAR_ONE
            assert value.tzinfo is not None
            assert value.utcoffset() == timedelta(0)
    finally:
        database.dispose()
