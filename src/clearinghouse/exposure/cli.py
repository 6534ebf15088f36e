"""``clearinghouse inventory``: upload an SBOM to a running platform, from a CI pipeline.

The platform matches the upload against its advisories (``docs/exposure.md``); the
findings are read with ``GET /api/v1/findings`` or here with ``inventory findings``.
The token is a member's API token with the ``write`` scope (``--token`` or
``CLEARINGHOUSE_TOKEN``). Exit codes as everywhere: 2 bad input (the server's problem
names the component and field of a bad SBOM), 3 not found, 4 conflict, 5 not allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final

import httpx
import typer
from rich.console import Console
from rich.table import Table

from clearinghouse.errors import (
    ClearinghouseError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
)

app = typer.Typer(help="Inventories (SBOMs) on a running platform.", no_args_is_help=True)
TIMEOUT: Final = 120.0
TOKEN_ENV: Final = "CLEARINGHOUSE_TOKEN"  # noqa: S105 (the variable's name)
_BY_STATUS: Final[dict[int, type[ClearinghouseError]]] = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: InvalidInput,
    422: InvalidInput,
    429: RateLimited,
}

Server = Annotated[str, typer.Option(help="the platform's base URL, e.g. https://ch.example")]
Token = Annotated[
    str, typer.Option(envvar=TOKEN_ENV, help=f"an API token (or {TOKEN_ENV})", show_default=False)
]


def _client(server: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )


def _checked(response: httpx.Response) -> Any:
    """The JSON body of a success, or the typed error of the server's problem."""
    if response.is_success:
        return response.json()
    try:
        problem = response.json()
    except ValueError:
        problem = {"detail": response.text[:300]}
    detail = str(problem.get("detail") or problem.get("title") or response.reason_phrase)
    error = _BY_STATUS.get(response.status_code)
    if error is None:
        raise InvalidInput(f"the server answered {response.status_code}: {detail}")
    raise error(detail)


def _call(server: str, token: str, method: str, path: str, **kwargs: Any) -> Any:
    try:
        with _client(server, token) as client:
            return _checked(client.request(method, path, **kwargs))
    except httpx.HTTPError as exc:
        raise InvalidInput(f"{server}: cannot reach the platform ({exc})") from None


def _content_type(data: bytes) -> str:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "application/xml"
    if head.startswith(b"{"):
        return "application/json"
    return "text/plain"


@app.command("upload")
def upload(
    sbom: Annotated[Path, typer.Argument(help="CycloneDX 1.2-1.6 JSON/XML or SPDX 2.3 file")],
    name: Annotated[str, typer.Option(help="the system or product it describes")],
    server: Server,
    token: Token,
    organisation: Annotated[
        str | None, typer.Option(help="the organisation's slug (default: the token's)")
    ] = None,
) -> None:
    """Upload an SBOM as inventory NAME; it replaces the previous upload of that name."""
    try:
        data = sbom.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{sbom}: cannot read the SBOM ({exc.strerror})") from None
    params = {"name": name} | ({"organisation": organisation} if organisation else {})
    done = _call(
        server,
        token,
        "POST",
        "/api/v1/inventories",
        params=params,
        content=data,
        headers={"content-type": _content_type(data)},
    )
    upload_ = done["upload"]
    Console(soft_wrap=True).print(
        f"{'created' if done['created'] else 'replaced'} inventory {done['inventory']['name']!r} "
        f"(upload {upload_['number']}): {upload_['components']} components, "
        f"{upload_['added']} added, {upload_['removed']} removed, {upload_['changed']} changed; "
        f"id {done['inventory']['id']}"
    )


@app.command("findings")
def findings(
    server: Server,
    token: Token,
    inventory: Annotated[str | None, typer.Option(help="one inventory's id")] = None,
    fail_on_new: Annotated[
        bool, typer.Option(help="exit 1 when a finding is still new (nobody answered it)")
    ] = False,
) -> None:
    """List the findings the platform matched (yours), newest first."""
    params: dict[str, str] = {"limit": "500"}
    if inventory:
        params["inventory"] = inventory
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = _call(server, token, "GET", "/api/v1/findings", params=params | _cursor(cursor))
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor or len(items) >= 100_000:
            break
    table = Table("advisory", "record", "package", "version", "state", "fixed")
    for item in items:
        table.add_row(
            item["advisory"],
            item["record"],
            item["package"],
            item["version"],
            item["state"],
            ", ".join(item["fixed"]) or "-",
        )
    out = Console(soft_wrap=True)
    out.print(table)
    out.print(f"{len(items)} finding(s)")
    if fail_on_new and any(item["state"] == "new" for item in items):
        raise typer.Exit(1)


def _cursor(cursor: str | None) -> dict[str, str]:
    return {"cursor": cursor} if cursor else {}
