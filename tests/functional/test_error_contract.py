"""One error contract per prefix (docs/architecture.md, "Errors"): ``/api/v1`` and every
other path asked without ``text/html`` answer RFC 9457 ``application/problem+json`` with a
stable ``code`` and the request's id (422 for invalid input; a browser asking for a page
gets an error page instead: tests/functional/test_web_pages.py); ``/osv/v1`` answers as
OSV.dev does, ``{"code": ..., "message": ...}`` (400 for a bad query, 404 for an unknown
id), so that OSV clients understand it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.functional.conftest import Platform

PROBLEM = "application/problem+json"


def _problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert body["title"]
    assert body["request_id"] == r.headers["x-request-id"]
    return body


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        (
            "POST",
            "/api/v1/reports",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            422,
            "invalid-input",
        ),
        ("POST", "/api/v1/reports", {"json": {"title": 7}}, 422, "invalid-input"),
        ("GET", "/api/v1/cases", {"params": {"limit": "many"}}, 422, "invalid-input"),
        ("GET", "/api/v1/cases", {}, 401, "unauthenticated"),
        ("GET", "/api/v1/no-such-thing", {}, 404, "not-found"),
        ("DELETE", "/api/v1/me", {}, 405, "method-not-allowed"),
        ("GET", "/.well-known/csaf/purple/index.txt", {}, 404, "not-found"),
        ("GET", "/no/such/page", {}, 404, "not-found"),
    ],
)
def test_api_and_pages_answer_problem_documents(
    platform: Platform,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    code: str,
) -> None:
    with platform.client() as c:
        _problem(c.request(method, path, **kwargs), status, code)


def test_osv_answers_as_osv_dev_does(platform: Platform) -> None:
    with platform.client() as c:
        bad = c.post("/osv/v1/query", json={"package": {"name": "x"}, "version": 1})
        assert bad.status_code == 400
        assert bad.headers["content-type"].startswith("application/json")
        assert bad.json()["code"] == 3
        assert bad.json()["message"]
        missing = c.get("/osv/v1/vulns/CVE-2099-0001")
        assert missing.status_code == 404
        assert missing.json() == {"code": 5, "message": "Bug not found."}
