"""Declaring in the OpenAPI document what a route that answers something other than JSON
sends: ``@router.get(..., **answers("application/zip"))``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response


def answers(*media_types: str, status: int = 200) -> dict[str, Any]:
    """Route keyword arguments: the success response is one of ``media_types``."""
    return {
        "response_class": Response,
        "responses": {status: {"content": {m: {} for m in media_types}}},
    }
