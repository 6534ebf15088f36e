"""Pure ASGI middleware: request ids and access logs, security headers, body-size limit."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import uuid
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("clearinghouse.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")  # \Z: $ passes a final newline

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
]


# What a response may depend on besides the URL: who is asking. Shared caches must key on
# these, and must not keep an answer given to someone in particular at all.
CREDENTIAL_HEADERS = (b"authorization", b"cookie", b"x-report-token")
VARY = b"Authorization, Cookie, X-Report-Token"
PRIVATE = b"private, no-store"
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def caching_headers(
    request_headers: list[tuple[bytes, bytes]], response_headers: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """The response's headers with ``Vary`` naming the credentials (every answer may
    depend on them), and ``Cache-Control: private, no-store`` on an answer to a request
    that carried any, or that sets a cookie, whatever the route said."""
    asked_by_someone = any(name.lower() in CREDENTIAL_HEADERS for name, _ in request_headers)
    sets_cookie = any(name.lower() == b"set-cookie" for name, _ in response_headers)
    out = []
    vary: list[bytes] = []
    for name, value in response_headers:
        lower = name.lower()
        if lower == b"vary":
            vary.append(value)
        elif not (lower == b"cache-control" and (asked_by_someone or sets_cookie)):
            out.append((name, value))
    if not any(v.strip() == b"*" for v in vary):
        vary.append(VARY)
    out.append((b"vary", b", ".join(vary)))
    if asked_by_someone or sets_cookie:
        out.append((b"cache-control", PRIVATE))
    return out


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-ID``), logs one line per request, and adds
    the security and caching headers to every response (HSTS when the platform is served
    over https: ``hsts``)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.security_headers = [*SECURITY_HEADERS, HSTS] if hsts else SECURITY_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = caching_headers(scope["headers"], list(message.get("headers", [])))
                present = {k.lower() for k, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(h for h in self.security_headers if h[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


class AnsweredErrors:
    """Outermost, around Starlette's ``ServerErrorMiddleware``, which re-raises every
    unexpected error after answering it, so that the server logs it; the server then
    drops the connection, and a client that reuses it for its next request gets a reset
    instead of an answer. Here an error whose 500 was sent in full (and logged, by
    ``problems._for_unexpected``) ends, and the connection stays open. An error before or
    during an answer still reaches the server, which closes the connection (nothing
    coherent can follow a half-sent body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answered = False

        async def sending(message: Message) -> None:
            nonlocal answered
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered = True

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if not answered:
                raise


class BodyLimitMiddleware:
    """Refuses bodies over ``max_bytes`` with a 413 problem, whether or not the client
    declared a Content-Length (streamed bodies are counted as they arrive)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = True
            if too_big:
                await self._refuse(scope, send)
                return
        seen = 0
        over = False  # the body went past the limit: whatever the app answers, it is a 413
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # The framework may catch _TooLarge while reading the body and answer 400
            # ("error parsing the body"): the answer to a body over the limit is ours.
            nonlocal started, refused
            if started or not over:  # (an answer begun before the limit runs its course)
                started = started or message["type"] == "http.response.start"
                await send(message)
            elif message["type"] == "http.response.start" and not refused:
                refused = True
                await self._refuse(scope, send)

        with contextlib.suppress(_TooLarge):  # answered below
            await self.app(scope, limited_receive, guarded_send)
        if over and not (started or refused):
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = json.dumps(
            {
                "type": "https://clearinghouse.dev/problems/payload-too-large",
                "title": "Payload too large",
                "status": 413,
                "code": "payload-too-large",
                "detail": f"request bodies are limited to {self.max_bytes} bytes",
                "instance": scope.get("path"),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, with any ``extra`` fields the caller passed."""

    _RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {
        "message",
        "asctime",
    }

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in self._RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class ReadableLogFormatter(logging.Formatter):
    """One short line per record for a person at a terminal: the time, the level, and
    for a request ``GET /advisories 200 12.3 ms``; other records their message and any
    ``extra`` fields as ``key=value``."""

    _RESERVED = JsonLogFormatter._RESERVED
    _REQUEST = ("request_id", "method", "path", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        when = self.formatTime(record, "%H:%M:%S")
        extras = {
            k: v
            for k, v in record.__dict__.items()
            if k not in self._RESERVED and not k.startswith("_")
        }
        if record.name == log.name and {"method", "path", "status"} <= extras.keys():
            text = (
                f"{extras['method']} {extras['path']} {extras['status']} "
                f"{extras.get('duration_ms', '?')} ms"
            )
            extras = {k: v for k, v in extras.items() if k not in self._REQUEST}
        else:
            text = f"{record.name.removeprefix('clearinghouse.')}: {record.getMessage()}"
        if extras:
            text += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        line = f"{when} {record.levelname:<7} {text}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str, as_json: bool | None, stream: TextIO | None = None) -> None:
    """Log to ``stream`` (standard error): JSON lines for machines, readable lines for a
    person; ``as_json=None`` decides by whether the stream is a terminal."""
    handler = logging.StreamHandler(stream)
    if as_json is None:
        as_json = not _is_terminal(handler.stream)
    handler.setFormatter(JsonLogFormatter() if as_json else ReadableLogFormatter())
    root = logging.getLogger("clearinghouse")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
