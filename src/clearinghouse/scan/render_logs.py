"""``scan logs`` results as JSON (our own shape) and as a STIX 2.1 bundle.

The bundle holds one indicator per callback (a domain name, an IP address, or the JNDI URL
when the host embeds lookups) and one sighting of it that counts the lines; every object
carries the chosen TLP 2.0 marking (never none: there is no default CLEAR). Identifiers are
UUIDv5 of what they describe, so a re-scan produces the same objects (a TAXII server
recognises them as the same).
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from clearinghouse import __version__
from clearinghouse.formats.model import Tlp
from clearinghouse.scan.logs import LogFinding, LogScan

Json = dict[str, Any]
TOOL: Final = "clearinghouse-scan-logs"
NAMESPACE: Final = uuid.UUID("5b0e4a55-0c4f-4c53-8b9e-3f6f7d1a4b21")  # ours; fixed forever
MAX_SIGHTING_COUNT: Final = 999_999_999  # STIX 2.1's upper bound
EXAMPLES: Final = 5  # places named in a sighting's description


# TLP 2.0 marking definitions (STANDARDS.md; cti-stix-common-objects).
TLP_MARKING: Final = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def finding_json(finding: LogFinding) -> Json:
    payload = finding.payload
    return {
        "file": finding.file,
        "line": finding.line,
        "offset": finding.offset,
        "payload": payload.decoded,
        "protocol": payload.protocol,
        "host": payload.host,
        "port": payload.port,
        "excerpt": finding.excerpt,
    }


def to_json(scan: LogScan) -> Json:
    return {
        "tool": {"name": TOOL, "version": __version__},
        "summary": {
            "files": scan.files,
            "lines": scan.lines,
            "bytes": scan.bytes,
            "findings": len(scan.findings) + scan.dropped_findings,
            "problems": len(scan.problems),
        },
        "findings": [finding_json(f) for f in scan.findings],
        "problems": [{"file": p.file, "reason": p.reason} for p in scan.problems],
    }


# --- STIX 2.1 ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Callback:
    pattern: str
    label: str
    findings: list[LogFinding] = field(default_factory=list)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _pattern(finding: LogFinding) -> tuple[str, str]:
    """The STIX pattern of a finding's callback, and a short label for it."""
    host = finding.payload.host
    if host and "${" not in host:
        bare = host.strip("[]")
        try:
            address = ipaddress.ip_address(bare)
        except ValueError:
            return f"[domain-name:value = '{_quote(host)}']", host
        kind = "ipv4-addr" if address.version == 4 else "ipv6-addr"
        return f"[{kind}:value = '{address}']", str(address)
    url = finding.payload.decoded.removeprefix("${").removesuffix("}").partition(":")[2]
    return f"[url:value = '{_quote(url)}']", url


def _callbacks(findings: Iterable[LogFinding]) -> list[_Callback]:
    grouped: dict[str, _Callback] = {}
    for finding in findings:
        pattern, label = _pattern(finding)
        grouped.setdefault(pattern, _Callback(pattern, label)).findings.append(finding)
    return [grouped[key] for key in sorted(grouped)]


def stix_time(moment: datetime) -> str:
    """STIX timestamps: UTC with milliseconds and a ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_stix(scan: LogScan, *, tlp: Tlp, now: datetime) -> Json:
    """A bundle of indicators and sightings for the scan's findings (``now`` is UTC)."""
    stamp = stix_time(now)
    marking = [TLP_MARKING[tlp]]
    objects: list[Json] = []
    for callback in _callbacks(scan.findings):
        indicator_id = f"indicator--{uuid.uuid5(NAMESPACE, callback.pattern)}"
        protocols = sorted({f.payload.protocol or "?" for f in callback.findings})
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": indicator_id,
                "created": stamp,
                "modified": stamp,
                "name": f"Log4Shell JNDI callback: {callback.label}"[:250],
                "description": "JNDI lookup injection (CVE-2021-44228 style) calling back over "
                + ", ".join(protocols),
                "indicator_types": ["malicious-activity"],
                "pattern": callback.pattern,
                "pattern_type": "stix",
                "valid_from": stamp,
                "labels": ["log4shell", "jndi-injection"],
                "object_marking_refs": marking,
            }
        )
        places = ", ".join(f"{f.file}:{f.line}" for f in callback.findings[:EXAMPLES])
        objects.append(
            {
                "type": "sighting",
                "spec_version": "2.1",
                "id": f"sighting--{uuid.uuid5(NAMESPACE, callback.pattern + '|' + stamp)}",
                "created": stamp,
                "modified": stamp,
                "first_seen": stamp,
                "last_seen": stamp,
                "count": min(len(callback.findings), MAX_SIGHTING_COUNT),
                "sighting_of_ref": indicator_id,
                "description": f"Seen in {len(callback.findings)} log line(s) by {TOOL}"
                f" {__version__} (e.g. {places})"[:1000],
                "object_marking_refs": marking,
            }
        )
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
