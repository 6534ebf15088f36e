"""Typed domain errors. Each carries a stable ``code`` and a message that says what to do.

The edges translate them once: REST to RFC 9457 ``application/problem+json``, TAXII to
TAXII error bodies, the CLI to a message and an exit code (see README, "Exit codes").
"""

from __future__ import annotations

from typing import Any, ClassVar


class ClearinghouseError(Exception):
    """Base of every error the platform raises on purpose."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request failed"
    exit_code: ClassVar[int] = 1

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class InvalidInput(ClearinghouseError):
    code = "invalid-input"
    status = 422
    title = "The input is not valid"
    exit_code = 2


class NotFound(ClearinghouseError):
    code = "not-found"
    status = 404
    title = "Not found"
    exit_code = 3


class Conflict(ClearinghouseError):
    code = "conflict"
    status = 409
    title = "Conflicts with the current state"
    exit_code = 4


class Unauthenticated(ClearinghouseError):
    code = "unauthenticated"
    status = 401
    title = "Authentication required"
    exit_code = 5


class Forbidden(ClearinghouseError):
    code = "forbidden"
    status = 403
    title = "Not allowed"
    exit_code = 5


class RateLimited(ClearinghouseError):
    code = "rate-limited"
    status = 429
    title = "Too many requests"
    exit_code = 6


class PayloadTooLarge(ClearinghouseError):
    code = "payload-too-large"
    status = 413
    title = "Payload too large"
    exit_code = 2


class Unavailable(ClearinghouseError):
    """Something the request depends on could not be done now (nothing was applied or
    served); trying again later is safe."""

    code = "unavailable"
    status = 503
    title = "Temporarily unavailable"
    exit_code = 8


class ConfigurationError(ClearinghouseError):
    code = "configuration"
    status = 500
    title = "Misconfigured"
    exit_code = 7
