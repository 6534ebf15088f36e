"""Read any SBOM the platform accepts: CycloneDX 1.2-1.6 (JSON, XML) or SPDX 2.2/2.3
(JSON, tag-value), recognised by content (the file name is only a hint)."""

from __future__ import annotations

from typing import Any

import orjson

from clearinghouse.formats.cyclonedx import (
    cyclonedx_schema_violations,
    parse_cyclonedx_json,
    parse_cyclonedx_xml,
)
from clearinghouse.formats.inventory import DEFAULT_LIMITS, Inventory, SbomError, SbomLimits
from clearinghouse.formats.spdx import parse_spdx_json, parse_spdx_tag_value

__all__ = ["read_sbom"]


def read_sbom(
    data: bytes, *, limits: SbomLimits = DEFAULT_LIMITS, validate_schema: bool = True
) -> Inventory:
    """The inventory of one SBOM document.

    ``validate_schema``: CycloneDX JSON is also checked against its official schema (the
    typed reading always checks the fields it takes). Raises :class:`SbomError`.
    """
    if len(data) > limits.max_bytes:
        raise SbomError(f"the document is {len(data)} bytes; the limit is {limits.max_bytes}")
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return parse_cyclonedx_xml(data, limits=limits)
    if head.startswith(b"{"):
        try:
            document: Any = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise SbomError(f"not JSON: {exc}") from None
        if not isinstance(document, dict):
            raise SbomError("an SBOM is a JSON object")
        if "spdxVersion" in document:
            return parse_spdx_json(document, limits=limits)
        inventory = parse_cyclonedx_json(document, limits=limits)
        if validate_schema:
            _require_schema_valid(document)
        return inventory
    if b"SPDXVersion:" in data[:65536]:
        return parse_spdx_tag_value(data, limits=limits)
    raise SbomError(
        "not an SBOM this platform reads: CycloneDX JSON or XML, SPDX JSON or tag-value"
    )


def _require_schema_valid(document: dict[str, Any]) -> None:
    found = cyclonedx_schema_violations(document)
    if found:
        first = found[0]
        raise SbomError(
            f"not valid against the CycloneDX {document.get('specVersion')} schema: "
            + first.message,
            field=first.path,
            violations=[{"path": v.path, "message": v.message} for v in found],
        )
