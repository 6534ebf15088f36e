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


MAX_HEAD_BYTES = 16 * 1024  # a request's line and headers (h11's limit in uvicorn too)


class _Refused(Exception):
    """Raised inside the parser's callbacks: the parser turns it into a 400."""


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with its unparseable-request answer as problem+json,
    and what h11 refused and httptools does not: a head (request line and headers) over
    :data:`MAX_HEAD_BYTES` (its bytes are counted as they arrive, so a client cannot make
    the server hold more than that and one read), and an HTTP/1.1 request without exactly
    one Host (RFC 9112, 3.2: a repeated Host would choose the host written into links)."""

    _in_head = False
    _head_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        hosts = sum(1 for name, _ in self.headers if name == b"host")
        if size > MAX_HEAD_BYTES:
            raise _Refused("the request line and headers are over 16 KiB")
        if hosts > 1 or (hosts == 0 and self.parser.get_http_version() == "1.1"):
            raise _Refused("an HTTP/1.1 request has exactly one Host header")
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        whole_in_head = self._in_head  # every byte of ``data`` is the head's if still in it
        super().data_received(data)
        if whole_in_head and self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self.send_400_response("the request line and headers are over 16 KiB")

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
