"""The HTTP server's configuration, one for ``clearinghouse serve`` and the tests.

uvicorn (h11) answers a request it cannot parse (a negative or malformed Content-Length,
a broken chunk) before the application sees it, with a plain-text 400.
:class:`ProblemH11Protocol` answers those with a problem document like every other error
on the platform, with the security headers, and closes the connection as before.
"""

from __future__ import annotations

import json
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

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


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with its unparseable-request answer as problem+json."""

    def send_400_response(self, msg: str) -> None:
        import h11

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
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for the platform (h11 with problem documents, no proxy
    headers trusted)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=ProblemH11Protocol,
        proxy_headers=False,
        log_level="warning",
        **options,
    )
