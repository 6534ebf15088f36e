"""RFC 9457 problem details: the one place domain errors become HTTP responses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from clearinghouse.db import DatabaseBusy, storage_full
from clearinghouse.errors import ClearinghouseError, RateLimited, Unauthenticated, Unavailable

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://clearinghouse.dev/problems/"

log = logging.getLogger("clearinghouse.http")

_STATUS_CODES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-input", "The input is not valid"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal", "Internal error"),
}


# Another protocol's error body for the paths under a prefix (TAXII under /taxii2/):
# (request, status, title, detail, headers) -> the response.
ErrorRenderer = Callable[[Request, int, str, str, dict[str, str]], Response]


def _edge(request: Request) -> ErrorRenderer | None:
    edges: Sequence[tuple[str, ErrorRenderer]] = getattr(request.app.state, "error_edges", ())
    path = request.url.path
    for prefix, render in edges:
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return render
    return None


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _for_error(request: Request, exc: Exception) -> Response:
    exc = cast(ClearinghouseError, exc)  # registered for this class only
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="clearinghouse"'
    if isinstance(exc, RateLimited) and "retry_after" in exc.extensions:
        headers["Retry-After"] = str(exc.extensions["retry_after"])
    if isinstance(exc, Unavailable):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    edge = _edge(request)
    if edge is not None:
        return edge(request, exc.status, exc.title, exc.detail, headers)
    return problem(
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        request=request,
        headers=headers,
        **exc.extensions,
    )


def _for_validation(request: Request, exc: Exception) -> Response:
    exc = cast(RequestValidationError, exc)  # registered for this class only
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type")}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid"}
    where = ".".join(first["loc"]) or "request"
    edge = _edge(request)
    if edge is not None:
        return edge(request, 400, "Bad request", f"{where}: {first['msg']}", {})
    # the offending field, as domain errors name it: the location without body/query/path
    extensions: dict[str, Any] = {"errors": errors}
    if len(first["loc"]) > 1:
        extensions["field"] = ".".join(first["loc"][1:])
    return problem(
        422,
        "invalid-input",
        "The input is not valid",
        f"{where}: {first['msg']}",
        request=request,
        **extensions,
    )


def _for_http(request: Request, exc: Exception) -> Response:
    exc = cast(StarletteHTTPException, exc)  # registered for this class only
    code, title = _STATUS_CODES.get(exc.status_code, ("error", "Request failed"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = dict(exc.headers) if exc.headers else None
    edge = _edge(request)
    if edge is not None:
        return edge(request, exc.status_code, title, detail, headers or {})
    return problem(exc.status_code, code, title, detail, request=request, headers=headers)


RETRY_AFTER_SECONDS = 5


def _for_unavailable(request: Request, exc: Exception) -> Response:
    """The database cannot be reached (restarting, failing over) or is too busy: the
    request's transaction was rolled back, so trying again later is safe. Its storage
    being full is told apart: retrying in seconds will not help, the operator must act."""
    if storage_full(exc):
        log.error(
            "database storage full: writes refused until the operator frees space",
            extra={"path": request.url.path, "error": type(exc).__name__},
        )
        return problem(
            507,
            "storage-full",
            "Storage full",
            "The platform's storage is full, so nothing you sent was stored. The operator "
            "has been alerted; try again later.",
            request=request,
        )
    log.warning(
        "database unavailable",
        extra={"path": request.url.path, "error": type(exc).__name__},
    )
    return problem(
        503,
        "unavailable",
        "Temporarily unavailable",
        "The database could not be reached; nothing you sent was applied. Try again in a "
        f"few seconds (Retry-After: {RETRY_AFTER_SECONDS}).",
        request=request,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _for_busy(request: Request, exc: Exception) -> Response:
    """Every database connection of this process was taken, or the write lock could not
    be had, for the whole wait: overload. Nothing was applied; later is safe."""
    log.warning("database busy", extra={"path": request.url.path, "error": type(exc).__name__})
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    edge = _edge(request)
    if edge is not None:
        return edge(request, 503, "Too busy", "Try again in a few seconds.", headers)
    return problem(
        503,
        "busy",
        "Too busy",
        "The platform is too busy to take this request now; nothing you sent was applied. "
        f"Try again in a few seconds (Retry-After: {RETRY_AFTER_SECONDS}).",
        request=request,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _for_unexpected(request: Request, exc: Exception) -> Response:
    request_id = getattr(request.state, "request_id", None)  # the one the answer quotes
    log.error(
        "unhandled error",
        extra={"path": request.url.path, "request_id": request_id},
        exc_info=exc,
    )
    edge = _edge(request)
    if edge is not None:
        return edge(request, 500, "Internal error", "Something went wrong on our side.", {})
    return problem(
        500,
        "internal",
        "Internal error",
        "Something went wrong on our side; nothing you sent was half-applied. Quote the "
        "request_id when reporting this.",
        request=request,
    )


class PageErrors(Protocol):
    """How the pages show an error (``clearinghouse.web`` plugs one in): the problem
    response as HTML for a request that is a page's, or ``None`` to keep the problem."""

    def __call__(self, request: Request, problem: Response) -> Response | None: ...


Handler = Callable[[Request, Exception], Response]


def _shown(handler: Handler, pages: PageErrors | None) -> Handler:
    if pages is None:
        return handler

    def handle(request: Request, exc: Exception) -> Response:
        answer = handler(request, exc)
        return pages(request, answer) or answer

    return handle


def install(
    app: FastAPI,
    pages: PageErrors | None = None,
    edges: Sequence[tuple[str, ErrorRenderer]] = (),
) -> None:
    """Every error becomes a problem document, except under the prefixes of ``edges``,
    whose protocols have error bodies of their own; ``pages`` may show it as a page
    instead (never under ``/api/v1`` and the other machine prefixes: it decides by path)."""
    app.state.error_edges = tuple(edges)
    app.add_exception_handler(ClearinghouseError, _shown(_for_error, pages))
    app.add_exception_handler(RequestValidationError, _shown(_for_validation, pages))
    app.add_exception_handler(StarletteHTTPException, _shown(_for_http, pages))
    app.add_exception_handler(OperationalError, _shown(_for_unavailable, pages))
    app.add_exception_handler(InterfaceError, _shown(_for_unavailable, pages))
    app.add_exception_handler(PoolTimeout, _shown(_for_busy, pages))
    app.add_exception_handler(DatabaseBusy, _shown(_for_busy, pages))
    app.add_exception_handler(Exception, _shown(_for_unexpected, pages))
