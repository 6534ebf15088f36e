"""Health, readiness, the OpenAPI docs page (assets served locally), security.txt."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.responses import JSONResponse

from clearinghouse import __version__
from clearinghouse.api.deps import runtime
from clearinghouse.api.problems import problem

router = APIRouter(tags=["system"])

_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{name} API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script></body></html>"""


@router.get("/healthz", include_in_schema=False)
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok", "version": __version__})


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> object:
    rt = runtime(request)
    try:
        with rt.database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 (any database failure means not ready)
        return problem(503, "not-ready", "Not ready", f"database unreachable: {type(exc).__name__}")
    return JSONResponse({"status": "ready", "database": rt.database.dialect})


@router.get("/api/docs", include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    return HTMLResponse(_DOCS_PAGE.format(name=runtime(request).settings.platform_name))


@router.get("/.well-known/security.txt", include_in_schema=False)
def security_txt(request: Request) -> PlainTextResponse:
    rt = runtime(request)
    expires = rt.clock.now().replace(microsecond=0)
    expires = expires.replace(year=expires.year + 1)
    base = rt.settings.base_url.rstrip("/")
    body = (
        f"Contact: {base}/report\n"
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        f"Policy: {base}/disclosure-policy\n"
        "Preferred-Languages: en\n"
        f"Canonical: {base}/.well-known/security.txt\n"
    )
    return PlainTextResponse(body)


def mount_static(app: FastAPI) -> None:
    """The API documentation's assets (the pages' own are mounted by ``web``)."""
    import fastapi_offline

    assets = Path(str(files(fastapi_offline))) / "static"
    app.mount("/api/docs/assets", StaticFiles(directory=assets), name="docs-assets")
