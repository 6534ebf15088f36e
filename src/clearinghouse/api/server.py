"""The HTTP server's configuration, one for ``clearinghouse serve`` and the tests.

uvicorn parses HTTP/1.1 with httptools (C; h11, pure Python, cost ~70 us more a request,
measured with ``bench.taxii_transport``, which every TAXII page paid). Either answers a
request it cannot parse (a negative or malformed Content-Length, a broken chunk) before
the application sees it, with a plain-text 400. :class:`ProblemHttpToolsProtocol` answers
those with a problem document like every other error on the platform, with the security
headers, and closes the connection as before.
"""

from __future__ import annotations

import json
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from clearinghouse.api.middleware import SECURITY_HEADERS
from clearinghouse.api.problems import PROBLEM_JSON, TYPE_BASE


def bad_request_body(detail: str) -> bytes:
    return json.dumps(
        {
            "type": TYPE_BASE + "bad-request",
            "title": "Bad request",
            "status": 400,
            "code": "bad-request",
            "detail": detail,
        }
    ).encode()


def _unparseable(msg: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The problem document for a request the parser refused, and its headers."""
    body = bad_request_body(
        "the request is not valid HTTP/1.1 (for instance a negative or malformed "
        f"Content-Length, or a broken chunk): {msg}"
    )
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *SECURITY_HEADERS,
    ]
    return body, headers


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with its unparseable-request answer as problem+json."""

    def send_400_response(self, msg: str) -> None:
        body, headers = _unparseable(msg)
        head = b"".join(b"%s: %s\r\n" % (name, value) for name, value in headers)
        self.transport.write(b"HTTP/1.1 400 Bad Request\r\n" + head + b"\r\n" + body)
        self.transport.close()


def config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for the platform (httptools with problem documents; no
    proxy headers trusted)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=ProblemHttpToolsProtocol,
        proxy_headers=False,
        log_level="warning",
        **options,
    )
