"""STIX 2.1 objects for tests and benchmarks: indicators and sightings with TLP 2.0
markings, identifiers derived from a seed so that runs are reproducible."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from clearinghouse.formats.model import Tlp
from clearinghouse.formats.stix import TLP_MARKING, stix_time

NAMESPACE = uuid.UUID("0b7a5a3e-1f0e-4f59-9a7e-7d8f3b3c2a10")
CREATED = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def stix_uuid(kind: str, n: int | str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}:{n}')}"


def indicator(
    n: int | str,
    tlp: Tlp | None = Tlp.GREEN,
    *,
    modified: datetime = CREATED,
    name: str | None = None,
) -> dict[str, Any]:
    octets = int(uuid.uuid5(NAMESPACE, str(n))) % (254**3)
    address = f"10.{octets // 254**2 % 254 + 1}.{octets // 254 % 254 + 1}.{octets % 254 + 1}"
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_uuid("indicator", n),
        "created": stix_time(CREATED),
        "modified": stix_time(modified),
        "name": name or f"Callback host {n}",
        "description": "A host seen receiving JNDI lookups",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '{address}']",
        "pattern_type": "stix",
        "valid_from": stix_time(CREATED),
    }
    if tlp is not None:
        obj["object_marking_refs"] = [TLP_MARKING[tlp]]
    return obj


def sighting(
    n: int | str, of: str, tlp: Tlp = Tlp.GREEN, *, count: int = 1, days: int = 0
) -> dict[str, Any]:
    seen = CREATED + timedelta(days=days)
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": stix_uuid("sighting", n),
        "created": stix_time(seen),
        "modified": stix_time(seen),
        "sighting_of_ref": of,
        "count": count,
        "first_seen": stix_time(seen),
        "last_seen": stix_time(seen + timedelta(hours=1)),
        "object_marking_refs": [TLP_MARKING[tlp]],
    }
