"""Health, readiness, the OpenAPI docs page (assets served locally), security.txt and the
disclosure policy it points at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.responses import JSONResponse

from clearinghouse import __version__
from clearinghouse.api.deps import admitted_router, runtime
from clearinghouse.api.problems import problem
from clearinghouse.settings import Settings

router = admitted_router(tags=["system"])

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
    """RFC 9116, from the settings: where to report, until when this holds, the policy,
    and (CSAF 2.0 section 7.1.8) where the provider metadata is."""
    rt = runtime(request)
    return PlainTextResponse(
        security_txt_body(rt.settings, rt.clock.now()),
        headers={"Cache-Control": "public, max-age=86400"},
    )


def security_txt_body(settings: Settings, now: datetime) -> str:
    base = settings.base_url.rstrip("/")
    contacts = settings.security_contacts or [f"mailto:{settings.mail_from}"]
    # Whole days from now: defined on every day of every year, 29 February included.
    expires = now.astimezone(UTC).replace(microsecond=0) + timedelta(
        days=settings.security_txt_days
    )
    lines = [f"Contact: {uri}" for uri in contacts]
    lines.append(f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    if settings.security_encryption_url:
        lines.append(f"Encryption: {settings.security_encryption_url}")
    lines += [
        f"Policy: {settings.security_policy_url or base + DISCLOSURE_POLICY}",
        "Preferred-Languages: en, zh",
        f"Canonical: {base}/.well-known/security.txt",
        f"CSAF: {base}/.well-known/csaf/provider-metadata.json",
    ]
    return "\n".join(lines) + "\n"


DISCLOSURE_POLICY = "/disclosure-policy"


@router.get(DISCLOSURE_POLICY, include_in_schema=False)
def disclosure_policy(request: Request) -> PlainTextResponse:
    """The platform's disclosure policy (English, then Simplified Chinese), the Policy of
    security.txt unless CLEARINGHOUSE_SECURITY_POLICY_URL names another."""
    base = runtime(request).settings.base_url.rstrip("/")
    text = (files("clearinghouse.api") / "disclosure_policy.txt").read_text(encoding="utf-8")
    return PlainTextResponse(
        text.replace("{base}", base),
        headers={"Content-Language": "en, zh-Hans", "Cache-Control": "public, max-age=86400"},
    )


def mount_static(app: FastAPI) -> None:
    """The API documentation's assets (the pages' own are mounted by ``web``)."""
    import fastapi_offline

    assets = Path(str(files(fastapi_offline))) / "static"
    app.mount("/api/docs/assets", StaticFiles(directory=assets), name="docs-assets")
