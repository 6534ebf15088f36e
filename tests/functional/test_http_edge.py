"""The HTTP edge over a real socket: what reaches the server before any route can judge
it (a body over the limit sent in chunks, a Content-Length that is not a length) is
answered with a problem document too (issue #9, item 6)."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.functional.conftest import Platform

LIMIT = 64 * 1024  # the platform fixture's max_request_bytes


def _exchange(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (the server closes the connection)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as s:
        s.sendall(request)
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def _chunked(body: bytes, size: int = 8192) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def _problem(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    assert headers["content-type"].startswith("application/problem+json"), headers
    document: dict[str, Any] = json.loads(body)
    return document


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/auth/login", "application/json"),  # a JSON body the framework parses
        ("/api/v1/organisations", "application/json"),
        ("/api/v1/reports", "application/json"),
    ],
)
def test_a_chunked_body_over_the_limit_is_413(
    platform: Platform, path: str, content_type: str
) -> None:
    """It was a 400 "There was an error parsing the body": the framework caught the
    limit's exception while reading the body."""
    body = b'{"email": "' + b"x" * (LIMIT + 1024) + b'"}'
    status, headers, answer = _exchange(
        platform.url,
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
        + _chunked(body),
    )
    assert status == 413, answer
    problem = _problem(headers, answer)
    assert problem["code"] == "payload-too-large"
    assert problem["status"] == 413


def test_a_chunked_body_within_the_limit_is_read(platform: Platform) -> None:
    body = json.dumps({"email": "nobody@example.test", "password": "wrong"}).encode()
    status, _, answer = _exchange(
        platform.url,
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + _chunked(body, 7),
    )
    assert status == 401, answer


@pytest.mark.parametrize("length", ["-1", "-100", "abc", "1e3", "0x10"])
def test_a_content_length_that_is_not_a_length_is_a_problem_400(
    platform: Platform, length: str
) -> None:
    """The server's HTTP parser refuses these before the application sees them; it said
    so in plain text."""
    status, headers, answer = _exchange(
        platform.url,
        b"POST /api/v1/reports HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {length}\r\n\r\n".encode()
        + b"{}",
    )
    assert status == 400, answer
    problem = _problem(headers, answer)
    assert problem["code"] == "bad-request"
    assert problem["status"] == 400
    assert headers["x-content-type-options"] == "nosniff"


def _answer_to(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """As :func:`_exchange`, for a request the server may refuse before it is all sent."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as s:
        try:
            for start in range(0, len(request), 65536):
                s.sendall(request[start : start + 65536])
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused midway: the answer was sent first
        received = b""
        try:
            while chunk := s.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("head", "refused"),
    [
        (b"Host: test\r\nX-Big: " + b"a" * 3_000_000 + b"\r\n", True),  # arrives in pieces
        (b"Host: test\r\nX-Big: " + b"a" * 20_000 + b"\r\n", True),  # in one read
        (b"Host: test\r\nX-Big: " + b"a" * 8_000 + b"\r\n", False),
        (b"X-No-Host: 1\r\n", True),
        (b"Host: a\r\nHost: b\r\n", True),
    ],
)
def test_a_head_over_16_kib_or_without_exactly_one_host_is_a_problem_400(
    platform: Platform, head: bytes, refused: bool
) -> None:
    """What uvicorn's h11 parser refused and httptools does not (issue #11's lean path
    moved the server to httptools): a head past 16 KiB (memory a client could make the
    server hold) and a Host missing or repeated (RFC 9112, 3.2)."""
    status, headers, answer = _answer_to(
        platform.url, b"GET /healthz HTTP/1.1\r\n" + head + b"Connection: close\r\n\r\n"
    )
    if not refused:
        assert status == 200, answer
        return
    assert status == 400, answer
    assert _problem(headers, answer)["code"] == "bad-request"


def test_http_1_0_without_host_is_answered(platform: Platform) -> None:
    status, _, answer = _answer_to(platform.url, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert status == 200, answer
