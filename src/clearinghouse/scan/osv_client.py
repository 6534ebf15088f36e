"""``scan jars --server URL``: ask an OSV API (``POST {URL}/v1/querybatch``) which
advisories affect the found components, e.g. a Clearinghouse at ``http://host/osv``.

The only module of the scanners that talks HTTP (httpx). Answers are ids; each distinct
id is then read once (``GET {URL}/v1/vulns/{id}``) for its aliases and summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import httpx

from clearinghouse.errors import InvalidInput
from clearinghouse.scan.advisories import queries
from clearinghouse.scan.model import AdvisoryMatch, Component

BATCH: Final = 1000  # the OSV API's (and the platform's) largest batch
MAX_PAGES: Final = 100  # follow-ups of one query's next_page_token
TIMEOUT_SECONDS: Final = 60.0


class OsvServerError(InvalidInput):
    code = "osv-server"
    title = "The OSV server did not answer as expected"


def match_with_server(
    components: Sequence[Component], base_url: str, *, client: httpx.Client | None = None
) -> None:
    """Set each component's advisories from the server's answers."""
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        asked = queries(components)
        ids = _ids_by_query(http, base_url.rstrip("/"), asked)
        details = {
            vid: _details(http, base_url.rstrip("/"), vid)
            for vid in sorted(set().union(*ids.values()))
        }
    finally:
        if own:
            http.close()
    for component in components:
        if component.version is None:
            continue
        found = ids.get(("Maven", component.name, component.version), set())
        component.advisories = tuple(details[vid] for vid in sorted(found))


def _post(http: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = http.post(url, json=body)
    except httpx.HTTPError as exc:
        raise OsvServerError(f"cannot reach {url}: {exc}") from exc
    if response.status_code != 200:
        raise OsvServerError(f"{url} answered {response.status_code}: {response.text[:200]}")
    answer = response.json()
    if not isinstance(answer, dict):
        raise OsvServerError(f"{url} did not answer a JSON object")
    return answer


def _ids_by_query(
    http: httpx.Client, base: str, asked: list[tuple[str, str, str]]
) -> dict[tuple[str, str, str], set[str]]:
    found: dict[tuple[str, str, str], set[str]] = {q: set() for q in asked}
    pending: list[tuple[tuple[str, str, str], str | None]] = [(q, None) for q in asked]
    pages = 0
    while pending and pages <= MAX_PAGES:
        pages += 1
        batch, pending = pending[:BATCH], pending[BATCH:]
        body = {"queries": [_query(q, token) for q, token in batch]}
        results = _post(http, f"{base}/v1/querybatch", body).get("results")
        if not isinstance(results, list) or len(results) != len(batch):
            raise OsvServerError("querybatch answered a different number of results")
        for (question, _), result in zip(batch, results, strict=True):
            for vuln in result.get("vulns", []) if isinstance(result, dict) else []:
                if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                    found[question].add(vuln["id"])
            token = result.get("next_page_token") if isinstance(result, dict) else None
            if isinstance(token, str) and token:
                pending.append((question, token))
    return found


def _query(question: tuple[str, str, str], token: str | None) -> dict[str, Any]:
    ecosystem, name, version = question
    query: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}, "version": version}
    if token:
        query["page_token"] = token
    return query


def _details(http: httpx.Client, base: str, vuln_id: str) -> AdvisoryMatch:
    try:
        response = http.get(f"{base}/v1/vulns/{vuln_id}")
    except httpx.HTTPError:
        return AdvisoryMatch(vuln_id)
    if response.status_code != 200:
        return AdvisoryMatch(vuln_id)
    record = response.json()
    aliases = record.get("aliases") if isinstance(record, dict) else None
    summary = record.get("summary") if isinstance(record, dict) else None
    return AdvisoryMatch(
        vuln_id,
        tuple(a for a in aliases if isinstance(a, str)) if isinstance(aliases, list) else (),
        summary if isinstance(summary, str) else None,
    )
