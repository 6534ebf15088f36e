"""Caching and transport headers (issue #9, item 8): an answer given to someone in
particular (an embargoed case, a TLP:AMBER CSAF file, a feed or an OSV record for a
signed-in caller) is never stored by a shared cache, every answer names the credentials
it may depend on in ``Vary``, and HSTS is sent when the platform is served over https."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.functional.test_route_table import (
    QUERIES,
    ROWS,
    Platform,
    Row,
    _url,
    running_platform,
)
from tests.support.everyone import T0, Who
from tests.support.server import serve

GETS = [r for r in ROWS if r.method == "GET"]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("headers")) as running:
        yield running


def _vary(response: httpx.Response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("vary", "").split(",")}


@pytest.mark.parametrize("row", GETS, ids=[r.name for r in GETS])
def test_an_answer_to_a_signed_in_caller_is_private_and_every_answer_varies(
    platform: Platform, row: Row
) -> None:
    ids = platform.world.ids
    url = _url(row.path, ids, row.binding)
    query_of = QUERIES.get(f"{row.method} {row.path}")
    params = query_of(ids) if query_of is not None else None
    for who in (Who.OP_ADMIN, Who.READ, Who.FINDER, Who.INVITE, Who.ANONYMOUS):
        response = platform.clients[who].get(url, params=params)
        assert {"authorization", "cookie", "x-report-token"} <= _vary(response), (who, response)
        if who is not Who.ANONYMOUS:
            assert response.headers.get_list("cache-control") == ["private, no-store"], (
                who,
                response.status_code,
            )


def test_the_issue_examples_are_private(platform: Platform) -> None:
    ids = platform.world.ids
    member = platform.clients[Who.READ]
    for path in (
        f"/api/v1/cases/{ids['case']}",  # embargoed
        f"/.well-known/csaf/amber/2026/{ids['csaf:amber']}",  # TLP:AMBER
        "/feeds/advisories.atom",
        f"/osv/v1/vulns/{ids['advisory:amber']}",
    ):
        response = member.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["cache-control"] == "private, no-store", path


def test_setting_a_cookie_is_never_cached(platform: Platform) -> None:
    with httpx.Client(base_url=platform.url) as anonymous:
        response = anonymous.post(
            "/api/v1/auth/login", json={"email": "admin@member.test", "password": "x" * 12}
        )
        assert response.status_code == 401
        signed = anonymous.post(
            "/api/v1/auth/login",
            json={"email": "admin@member.test", "password": "correct horse battery staple"},
        )
    assert signed.status_code == 200, signed.text
    assert "set-cookie" in signed.headers
    assert signed.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize(("base_url", "hsts"), [("https://ch.example", True), ("http://x", False)])
def test_hsts_when_served_over_https(database: Database, base_url: str, hsts: bool) -> None:
    settings = make_settings(database.url, base_url=base_url)
    app = create_app(settings, clock=FixedClock(T0), database=database)
    with serve(app) as url, httpx.Client(base_url=url) as client:
        for path in ("/healthz", "/api/v1/cases", "/no/such/page"):
            header = client.get(path).headers.get("strict-transport-security")
            if hsts:
                assert header == "max-age=31536000; includeSubDomains", path
            else:
                assert header is None
