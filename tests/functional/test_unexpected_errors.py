"""An unexpected error (a bug, not bad input) is answered as a 500 in the route's own
error form and logged with its traceback, and the connection stays open: the client's
next request on it is answered, not reset. Starlette re-raises such an error after
answering it, so that the server logs it, and the server then dropped the connection;
``api.middleware.AnsweredErrors`` ends an error whose answer was sent in full."""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI

from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.server import serve

pytestmark = pytest.mark.slow


class _Bug(Exception):
    pass


def _crash() -> None:
    raise _Bug("a bug, not bad input")


@pytest.fixture
def connection(database: Database, clock: FixedClock) -> Iterator[http.client.HTTPConnection]:
    app: FastAPI = create_app(make_settings(database.url), clock=clock, database=database)
    for path in ("/api/v1/crash", "/taxii2/crash/now/", "/crash"):
        app.add_api_route(path, _crash)
    with serve(app) as url:
        parts = urlsplit(url)
        assert parts.hostname is not None
        assert parts.port is not None
        opened = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        yield opened
        opened.close()


def _get(
    connection: http.client.HTTPConnection, path: str, accept: str = "*/*"
) -> tuple[int, str, bytes]:
    connection.request("GET", path, headers={"Accept": accept})
    response = connection.getresponse()
    return response.status, response.getheader("content-type") or "", response.read()


def test_a_500_keeps_the_connection_for_the_next_request(
    connection: http.client.HTTPConnection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="clearinghouse")
    status, kind, body = _get(connection, "/api/v1/crash")
    assert (status, kind) == (500, "application/problem+json")
    problem = json.loads(body)
    assert problem["title"] == "Internal error"
    assert "a bug" not in body.decode()  # the cause is logged, not told
    quoted = [problem["request_id"]]
    status, kind, body = _get(connection, "/taxii2/crash/now/")
    assert (status, kind) == (500, "application/taxii+json;version=2.1")
    assert json.loads(body)["http_status"] == "500"
    quoted.append(json.loads(body)["error_id"])
    status, kind, _body = _get(connection, "/crash", "text/html")
    assert (status, kind.split(";")[0]) == (500, "text/html")
    # The same connection, three errors later, still answers.
    status, _kind, body = _get(connection, "/healthz")
    assert status == 200, body
    logged = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert len(logged) == 3
    assert all(r.exc_info is not None and r.exc_info[0] is _Bug for r in logged)
    # Each traceback carries the request id its answer quoted.
    assert [getattr(r, "request_id", None) for r in logged[:2]] == quoted
