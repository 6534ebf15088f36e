"""A bare ASGI app for ``bench.taxii``'s bounds: no framework, no middleware, no database.
It serves, as ``GET /<i>``, the bytes of page ``i`` that a walk of our TAXII server
received (the files ``<i>.json`` in ``$BENCH_TAXII_PAGES``), under the same uvicorn as
``clearinghouse serve``: what HTTP/1.1 costs for the same bytes, and nothing else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_FOLDER = Path(os.environ.get("BENCH_TAXII_PAGES", "."))
_PAGES = {int(p.stem): p.read_bytes() for p in _FOLDER.glob("*.json")}
_MEDIA = b"application/taxii+json;version=2.1"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = _PAGES.get(int(scope["path"].strip("/") or "-1"))
    status = 200 if body is not None else 404
    body = body or b""
    headers = [(b"content-type", _MEDIA), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
