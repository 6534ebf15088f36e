"""``scan jars|logs --upload URL``: send a scan's results to a running Clearinghouse.

The scanners' second HTTP edge (httpx; the detectors stay pure). ``scan jars`` posts its
CycloneDX 1.6 document to the exposure upload (``POST {URL}/api/v1/inventories?name=``),
where it replaces the previous upload of that name and is matched against the platform's
advisories. ``scan logs`` posts its STIX 2.1 indicators and sightings, each carrying its
TLP 2.0 marking, as a TAXII 2.1 envelope to a collection (``POST {URL}objects/``) and
reads the status the server answers.

Failures are typed errors with the documented exit codes: 2 bad input (a refused
document, a URL that is not one), 3 no such collection, 5 not allowed (401 or 403),
6 rate limited, 8 the server could not be reached or answered 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

import httpx
import orjson

from clearinghouse.errors import (
    ClearinghouseError,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
)

TIMEOUT_SECONDS: Final = 120.0
TAXII_MEDIA: Final = "application/taxii+json;version=2.1"
MAX_OBJECTS_PER_ENVELOPE: Final = 10_000  # the platform's limit per POST (docs/sharing.md)
TOKEN_ENV: Final = "CLEARINGHOUSE_TOKEN"  # noqa: S105 (the variable's name)


class ServerUnreachable(ClearinghouseError):
    """The server could not be reached, or failed (5xx): nothing is known to be stored."""

    code: ClassVar[str] = "server-unreachable"
    status: ClassVar[int] = 502
    title: ClassVar[str] = "The server could not be reached"
    exit_code: ClassVar[int] = 8


class UploadRefused(InvalidInput):
    code = "upload-refused"
    title = "The server refused part of the upload"


_BY_STATUS: Final[dict[int, type[ClearinghouseError]]] = {
    400: InvalidInput,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    406: InvalidInput,
    413: InvalidInput,
    415: InvalidInput,
    422: InvalidInput,
    429: RateLimited,
}


@dataclass(frozen=True, slots=True)
class InventoryUploaded:
    inventory_id: str
    name: str
    created: bool
    number: int
    components: int
    added: int
    removed: int
    changed: int


@dataclass(frozen=True, slots=True)
class ObjectsUploaded:
    status_id: str
    total: int
    success: int
    failure: int
    pending: int
    failures: tuple[str, ...]


def check_url(url: str, option: str = "--upload") -> str:
    """An http(s) URL with a host, or a typed error naming the option."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{option} {url!r}: an http(s) URL is expected")
    return url


def _failure(response: httpx.Response, what: str) -> ClearinghouseError:
    """The typed error of a refusal, with the server's own words (problem or TAXII body)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = response.reason_phrase
    if isinstance(body, dict):
        words = body.get("detail") or body.get("description") or body.get("title")
        if isinstance(words, str) and words:
            detail = words
    message = f"{what}: the server answered {response.status_code} ({detail})"
    if response.status_code in (401, 403):
        message += "; check the token (--token or CLEARINGHOUSE_TOKEN) and its scope"
    if response.status_code >= 500:
        return ServerUnreachable(message)
    return _BY_STATUS.get(response.status_code, InvalidInput)(message)


def _send(
    client: httpx.Client | None, what: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        response = http.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise ServerUnreachable(f"{what}: cannot reach {url} ({exc})") from None
    finally:
        if own:
            http.close()
    if not response.is_success:
        raise _failure(response, what)
    return response


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InvalidInput(f"{what}: {response.url} did not answer a JSON object")
    return body


def upload_inventory(
    bom: dict[str, Any],
    server: str,
    *,
    name: str,
    token: str,
    organisation: str | None = None,
    client: httpx.Client | None = None,
) -> InventoryUploaded:
    """Post a CycloneDX document as inventory ``name`` of the token's organisation."""
    check_url(server)
    url = server.rstrip("/") + "/api/v1/inventories"
    params = {"name": name} | ({"organisation": organisation} if organisation else {})
    what = f"uploading the inventory {name!r}"
    response = _send(
        client,
        what,
        "POST",
        url,
        params=params,
        content=orjson.dumps(bom),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    body = _json_object(response, what)
    try:
        inventory, upload = body["inventory"], body["upload"]
        return InventoryUploaded(
            inventory_id=str(inventory["id"]),
            name=str(inventory["name"]),
            created=bool(body["created"]),
            number=int(upload["number"]),
            components=int(upload["components"]),
            added=int(upload["added"]),
            removed=int(upload["removed"]),
            changed=int(upload["changed"]),
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"{what}: the answer is not an inventory upload") from None


def collection_objects_url(url: str) -> str:
    """``.../collections/{id}/`` -> ``.../collections/{id}/objects/`` (TAXII paths end in /)."""
    check_url(url)
    path = urlsplit(url).path.rstrip("/")
    head, sep, collection = path.rpartition("/collections/")
    if not sep or not collection or "/" in collection or not head:
        raise InvalidInput(
            f"--upload {url!r}: the URL of a TAXII 2.1 collection is expected, "
            "e.g. https://ch.example/taxii2/root/collections/ID/"
        )
    return url.split("?", 1)[0].rstrip("/") + "/objects/"


def upload_objects(
    objects: list[dict[str, Any]],
    collection_url: str,
    *,
    token: str,
    client: httpx.Client | None = None,
) -> ObjectsUploaded:
    """Post the objects to a TAXII 2.1 collection, in envelopes the server accepts."""
    url = collection_objects_url(collection_url)
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": TAXII_MEDIA,
        "Content-Type": TAXII_MEDIA,
    }
    total = success = failure = pending = 0
    failures: list[str] = []
    status_id = ""
    for start in range(0, len(objects), MAX_OBJECTS_PER_ENVELOPE):
        envelope = {"objects": objects[start : start + MAX_OBJECTS_PER_ENVELOPE]}
        what = f"posting {len(envelope['objects'])} STIX object(s)"
        response = _send(client, what, "POST", url, content=orjson.dumps(envelope), headers=headers)
        status = _json_object(response, what)
        try:
            status_id = str(status["id"])
            total += int(status["total_count"])
            success += int(status["success_count"])
            failure += int(status["failure_count"])
            pending += int(status["pending_count"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(f"{what}: the answer is not a TAXII status") from None
        for item in status.get("failures") or []:
            if isinstance(item, dict):
                failures.append(f"{item.get('id', '?')}: {item.get('message', 'refused')}")
    return ObjectsUploaded(status_id, total, success, failure, pending, tuple(failures))
