"""A MISP feed of shared reports: ``/feeds/misp/manifest.json``, ``hashes.csv`` and one
``<uuid>.json`` event per shared STIX ``report`` (advisories shared as STIX included),
as a MISP instance's feed fetcher reads them (MISP's "feed" format, the one MISP itself
exports with ``misp_feed``).

Each event keeps the report's marking as its ``tlp:`` tag (the MISP TLP 2.0 taxonomy:
``tlp:clear``, ``tlp:green``, ``tlp:amber``, ``tlp:amber+strict``, ``tlp:red``); its
attributes are the report's referenced indicators of one equality (IP addresses, domain
names, URLs, e-mail addresses) and vulnerabilities (their CVE). The feed is per caller: a
subscribing MISP sends an API token (MISP feeds take custom headers) and receives only
the reports the policy lets that token read, latest versions, from every collection it
may read. Each request writes access-log rows (route ``misp-feed``): one for the reports
of each collection it read, one for each report's referenced objects. The event's
marking is the report's, never lower: an attribute from an object
marked more restrictively than the report is left out rather than lowered.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any, Final

import orjson
from fastapi.responses import Response

from clearinghouse.api.deps import Ctx, CtxDep, admitted_router
from clearinghouse.api.media import answers
from clearinghouse.errors import NotFound
from clearinghouse.formats import stix
from clearinghouse.formats.model import Tlp
from clearinghouse.policy import Channel, SharingAction, can_collection, object_scope
from clearinghouse.sharing import access_log, store

router = admitted_router(prefix="/feeds/misp", tags=["feeds"])
MAX_EVENTS: Final = 1000  # reports per collection in one feed
NAMESPACE: Final = uuid.UUID("8a6f0f3e-2b1d-4c7e-9d5a-1e3b7c9f0a24")  # ours; fixed forever
_EQUALS: Final = re.compile(r"\[([a-z0-9-]+):([a-z_.]+) = '((?:[^'\\]|\\['\\])*)'\]\Z")
# (STIX observable type, property) -> (MISP attribute type, category)
_ATTRIBUTES: Final = {
    ("ipv4-addr", "value"): ("ip-dst", "Network activity"),
    ("ipv6-addr", "value"): ("ip-dst", "Network activity"),
    ("domain-name", "value"): ("domain", "Network activity"),
    ("url", "value"): ("url", "Network activity"),
    ("email-addr", "value"): ("email-src", "Payload delivery"),
}


def tlp_tag(tlp: Tlp) -> str:
    return f"tlp:{tlp.value.lower()}"


def _epoch(text: str) -> str:
    return str(int(stix.parse_timestamp(text).timestamp()))


def _attribute(obj: dict[str, Any]) -> dict[str, Any] | None:
    stamp = _epoch(str(obj.get("modified", obj.get("created"))))
    common = {"uuid": str(uuid.uuid5(NAMESPACE, obj["id"])), "timestamp": stamp}
    if obj.get("type") == "vulnerability":
        return {**common, "type": "vulnerability", "category": "External analysis",
                "value": str(obj.get("name", "")), "to_ids": False}  # fmt: skip
    if obj.get("type") != "indicator" or obj.get("pattern_type") != "stix":
        return None
    found = _EQUALS.match(str(obj.get("pattern", "")))
    if found is None or (found.group(1), found.group(2)) not in _ATTRIBUTES:
        return None
    kind, category = _ATTRIBUTES[(found.group(1), found.group(2))]
    value = found.group(3).replace("\\'", "'").replace("\\\\", "\\")
    return {**common, "type": kind, "category": category, "value": value, "to_ids": True}


def event(report: dict[str, Any], referenced: list[dict[str, Any]], org: str) -> dict[str, Any]:
    """A MISP event (feed format) of one STIX report (pure)."""
    tlp = stix.tlp_of(report.get("object_marking_refs")) or Tlp.RED
    rank = stix.TLP_RANK[tlp]
    attributes = []
    for obj in referenced:
        marking = stix.tlp_of(obj.get("object_marking_refs"))
        if marking is None or stix.TLP_RANK[marking] > rank:
            continue  # never shown under a marking lower than its own
        attribute = _attribute(obj)
        if attribute is not None:
            attributes.append(attribute)
    published = str(report.get("published", report.get("created", "")))
    return {
        "Event": {
            "uuid": report["id"].split("--", 1)[1],
            "info": str(report.get("name", ""))[:65535],
            "date": published[:10],
            "timestamp": _epoch(str(report.get("modified", published))),
            "published": True,
            "analysis": "2",
            "threat_level_id": "4",
            "Orgc": {"name": org, "uuid": str(uuid.uuid5(NAMESPACE, org))},
            "Tag": [{"name": tlp_tag(tlp), "colour": "#000000"}],
            "Attribute": attributes,
        }
    }


@dataclass(frozen=True, slots=True)
class _Shared:
    report: dict[str, Any]
    event: dict[str, Any]


def _events(ctx: Ctx) -> dict[str, _Shared]:
    """Every report the caller may read (newest visible version), as MISP events."""
    found: dict[str, _Shared] = {}
    for collection in ctx.session.scalars(store.select_collections()):
        facts = store.collection_facts(ctx.session, collection)
        if not can_collection(ctx.principal, SharingAction.COLLECTION_READ, facts, Channel.API):
            continue
        scope = object_scope(ctx.principal, facts, Channel.API)
        reader = store.Reader(scope)
        reports = store.page(
            ctx.session, collection.id, reader, store.Filters(types=("report",)), limit=MAX_EVENTS
        )
        if reports.rows:
            access_log.record_page(ctx, collection.id, Channel.API, "misp-feed", reports)
        for row in reports.rows:
            report = orjson.loads(row.body)
            refs = tuple(r for r in report.get("object_refs", []) if isinstance(r, str))[:100]
            objects = store.page(
                ctx.session, collection.id, reader, store.Filters(ids=refs), limit=100
            )
            referenced = [orjson.loads(r.body) for r in objects.rows]
            if objects.rows:
                access_log.record_page(ctx, collection.id, Channel.API, "misp-feed", objects)
            shared = _Shared(report, event(report, referenced, ctx.settings.platform_name))
            found[shared.event["Event"]["uuid"]] = shared
    return found


def _manifest_entry(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("info", "date", "timestamp", "published", "analysis", "threat_level_id", "Orgc", "Tag")
    return {k: item["Event"][k] for k in keys}


@router.get("/manifest.json", summary="MISP feed manifest")
def manifest(ctx: CtxDep) -> Response:
    events = _events(ctx)
    body = {key: _manifest_entry(shared.event) for key, shared in sorted(events.items())}
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/hashes.csv", summary="MISP feed attribute hashes", **answers("text/csv"))
def hashes(ctx: CtxDep) -> Response:
    lines = []
    for key, shared in sorted(_events(ctx).items()):
        for attribute in shared.event["Event"]["Attribute"]:
            digest = hashlib.md5(attribute["value"].encode(), usedforsecurity=False).hexdigest()
            lines.append(f"{digest},{key}\n")
    return Response("".join(lines), media_type="text/csv; charset=utf-8")


@router.get("/{event_file}", summary="One MISP event")
def event_file(event_file: str, ctx: CtxDep) -> Response:
    key = event_file.removesuffix(".json")
    shared = _events(ctx).get(key) if event_file.endswith(".json") else None
    if shared is None:
        raise NotFound("no such event in this feed")
    return Response(orjson.dumps(shared.event), media_type="application/json")
