"""An error page looks its reader's session up without ever failing: a database that
cannot be opened, an error that says the database is down or busy, or too many error
pages at once leave the reader a visitor (the page is then in the cookie's or the
browser's language)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from starlette.requests import Request

from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from clearinghouse.web.errors import PageErrors


def _request(runtime: object, cookie: str = "ch_session=abc") -> Request:
    app = SimpleNamespace(state=SimpleNamespace(runtime=runtime))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/nope",
        "headers": [(b"cookie", cookie.encode()), (b"accept", b"text/html")],
        "app": app,
    }
    return Request(scope)


@pytest.fixture
def unreachable(tmp_path: Path) -> Iterator[Database]:
    """A real database that cannot be opened (its directory does not exist)."""
    database = Database(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    yield database
    database.dispose()


def test_a_database_that_cannot_answer_leaves_the_reader_a_visitor(
    unreachable: Database, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = SimpleNamespace(database=unreachable, clock=FixedClock(datetime.now(UTC)))
    assert PageErrors().signed_in(_request(runtime), 404) is None
    assert "without the reader's settings" in caplog.text


@pytest.mark.parametrize("status", [503, 507])
def test_an_error_that_says_the_database_is_down_asks_it_nothing(status: int) -> None:
    no_database = SimpleNamespace()  # any use of it would raise AttributeError
    assert PageErrors().signed_in(_request(no_database), status) is None


def test_without_a_session_cookie_nothing_is_looked_up() -> None:
    assert PageErrors().signed_in(_request(SimpleNamespace(), cookie="ch_lang=en"), 404) is None


def test_past_the_lookups_at_once_the_reader_is_a_visitor() -> None:
    busy = PageErrors(lookups_at_once=1)
    assert busy._lookups.acquire(blocking=False)  # another error page is asking
    try:
        assert busy.signed_in(_request(SimpleNamespace()), 404) is None
    finally:
        busy._lookups.release()
