"""MISP events into STIX 2.1 objects, keeping their TLP (pure).

One event becomes one ``report`` (the event's ``info``, its publication date) referring to
one object per attribute it can express: an ``indicator`` with an equality pattern for
addresses, domain names, URLs, e-mail addresses and file hashes, a ``vulnerability`` for a
``vulnerability`` attribute (its CVE as an external reference). Other attribute types are
listed as skipped, with their type, never dropped silently.

**Markings.** The event's TLP is the most restrictive ``tlp:`` tag on the event (MISP's
TLP taxonomy, 2.0 or 1.0; ``tlp:white`` reads as CLEAR); an attribute's is the most
restrictive of the event's and its own tags: an attribute may be marked above its event,
never below it. An object with no TLP at all (neither the event nor the attribute tagged)
stays unmarked, and the store refuses it unless the collection's default marking is asked
for: a missing TLP is never CLEAR.

Why not ``misp-stix``: its ``MISPtoSTIX21Parser`` (2026.10.12, measured here) puts the
event's TLP marking on the ``report`` only and leaves every indicator, observed-data,
observable and relationship it makes from the attributes **unmarked**: imported through a
collection with a default marking, they would be marked with that default, possibly below
the event's TLP. It also brings twelve packages (the STIX 1 libraries, lxml, pycountry).
The conversion here covers the attribute types our own MISP feed emits and the common
hash types, and is held to that feed by a round-trip test.

**The report names only what its readers may see.** Its ``object_refs`` list the objects
marked at or below the report's own marking (unmarked: only unmarked objects), never one
marked above it, not even as an identifier: an attribute tagged ``tlp:red`` in a
``tlp:green`` event is added, RED, but the GREEN report does not name it. The report is
marked with the event's TLP; when no object is marked that low (every attribute is tagged
above its event), it is raised to the lowest marking among its objects, which lowers
nothing (the event's own fields only gain a stricter marking) and keeps the event's name
and grouping for the readers who may see any of it. An event with no TLP and only marked
objects gets no report: its marking is unknown, so it may not be guessed from theirs.
Each object left out, and each raised or missing report, is listed in ``skipped``.

Identifiers are stable: the MISP uuid itself when it is a valid STIX uuid, else a UUIDv5
of it, so importing an event again adds no second copy (the store keeps one row per
version) and a changed attribute (a newer ``timestamp``) is a new version.

**Limits**, each checked as the event is read, before the work it would cost: at most
:data:`MAX_ATTRIBUTES` attributes (the event's and its MISP objects' together),
:data:`MAX_OBJECTS` MISP objects and :data:`MAX_TAGS` tags on the event (beyond them the
event is refused); an attribute with more than :data:`MAX_TAGS` tags is skipped.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from clearinghouse.errors import InvalidInput
from clearinghouse.formats import stix
from clearinghouse.formats.model import Tlp

NAMESPACE: Final = uuid.UUID("c0b1e7a4-5d2f-4e8b-9a61-3f7d2c8e4b15")  # ours; fixed forever
MAX_ATTRIBUTES: Final = 10_000  # in one event, its MISP objects' included
MAX_OBJECTS: Final = 10_000  # MISP objects in one event
MAX_TAGS: Final = 1_000  # on one event, or one attribute
MAX_VALUE_CHARS: Final = 2048
_STIX_UUID: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z"
)
_CVE: Final = re.compile(r"CVE-[0-9]{4}-[0-9]{4,}\Z")  # \Z: $ passes a final newline
TLP_TAGS: Final = {
    "tlp:clear": Tlp.CLEAR,
    "tlp:white": Tlp.CLEAR,
    "tlp:green": Tlp.GREEN,
    "tlp:amber": Tlp.AMBER,
    "tlp:amber+strict": Tlp.AMBER_STRICT,
    "tlp:red": Tlp.RED,
}
# MISP attribute type -> STIX pattern path (the address family is decided by the value).
_PATHS: Final = {
    "domain": "domain-name:value",
    "hostname": "domain-name:value",
    "url": "url:value",
    "link": "url:value",
    "email": "email-addr:value",
    "email-src": "email-addr:value",
    "email-dst": "email-addr:value",
    "md5": "file:hashes.MD5",
    "sha1": "file:hashes.'SHA-1'",
    "sha256": "file:hashes.'SHA-256'",
    "sha512": "file:hashes.'SHA-512'",
}
_ADDRESSES: Final = frozenset({"ip-src", "ip-dst"})


@dataclass(slots=True)
class Converted:
    """The STIX objects of one event, and what could not be expressed."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    tlp: Tlp | None = None  # the event's
    # Attribute uuid, type, why; or the event's uuid, type "report", why its report is
    # raised or missing.
    skipped: list[dict[str, str]] = field(default_factory=list)


def tlp_of_tags(tags: object) -> Tlp | None:
    """The most restrictive TLP among MISP tags (``[{"name": "tlp:amber"}, ...]``)."""
    found = []
    if isinstance(tags, list):
        for tag in tags:
            name = tag.get("name") if isinstance(tag, dict) else None
            if isinstance(name, str) and name.strip().lower() in TLP_TAGS:
                found.append(TLP_TAGS[name.strip().lower()])
    return max(found, key=stix.TLP_RANK.__getitem__) if found else None


def _higher(a: Tlp | None, b: Tlp | None) -> Tlp | None:
    if a is None or b is None:
        return a or b
    return a if stix.TLP_RANK[a] >= stix.TLP_RANK[b] else b


def _text(value: object) -> str:
    """A string or number as text; anything else (an object, an array, however deeply
    nested) as empty: never ``str()`` of a whole structure."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int | float) else ""


def _printable(value: object, limit: int) -> str:
    """At most ``limit`` characters of ``value`` as text JSON can carry (a lone surrogate,
    which the standard library's JSON parser lets through, shown escaped)."""
    return _text(value)[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def _stix_id(kind: str, misp_uuid: object) -> str:
    text = _text(misp_uuid).strip().lower()
    try:
        text.encode("utf-8")  # uuid5 hashes it as UTF-8
    except UnicodeEncodeError:
        text = ""
    if not text or len(text) > 100:
        raise InvalidInput("every MISP event and attribute needs its uuid", field="uuid")
    if _STIX_UUID.match(text):
        return f"{kind}--{text}"
    return f"{kind}--{uuid.uuid5(NAMESPACE, text)}"


def _instant(epoch: object, fallback: datetime) -> datetime:
    try:
        seconds = int(_text(epoch))
    except ValueError:
        return fallback
    if not 0 <= seconds < 253402300800:  # before year 10000
        return fallback
    return datetime.fromtimestamp(seconds, UTC)


def _literal(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _pattern(kind: str, value: str) -> str | None:
    if kind in _ADDRESSES:
        path = "ipv6-addr:value" if ":" in value else "ipv4-addr:value"
    else:
        found = _PATHS.get(kind)
        if found is None:
            return None
        path = found
    return f"[{path} = '{_literal(value)}']"


def _marked(obj: dict[str, Any], tlp: Tlp | None) -> dict[str, Any]:
    if tlp is not None:
        obj["object_marking_refs"] = [stix.TLP_MARKING[tlp]]
    return obj


def _attribute_object(
    attribute: dict[str, Any], event_tlp: Tlp | None, event_time: datetime
) -> tuple[dict[str, Any] | None, str]:
    kind = _text(attribute.get("type", ""))
    value = attribute.get("value")
    tags = attribute.get("Tag")
    if isinstance(tags, list) and len(tags) > MAX_TAGS:
        return None, f"more than {MAX_TAGS} tags"
    if not isinstance(value, str) or not value or len(value) > MAX_VALUE_CHARS:
        return None, f"no value of at most {MAX_VALUE_CHARS} characters"
    moment = stix.stix_time(_instant(attribute.get("timestamp"), event_time))
    tlp = _higher(event_tlp, tlp_of_tags(tags))
    common = {"spec_version": "2.1", "created": moment, "modified": moment}
    if kind == "vulnerability":
        obj: dict[str, Any] = {
            "type": "vulnerability",
            "id": _stix_id("vulnerability", attribute.get("uuid")),
            **common,
            "name": value,
        }
        if _CVE.match(value):
            obj["external_references"] = [{"source_name": "cve", "external_id": value}]
        return _marked(obj, tlp), ""
    pattern = _pattern(kind, value)
    if pattern is None:
        return None, f"MISP attribute type {kind[:100]!r} has no STIX pattern here"
    obj = {
        "type": "indicator",
        "id": _stix_id("indicator", attribute.get("uuid")),
        **common,
        "name": f"{kind}: {value}"[:256],
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": moment,
    }
    comment = attribute.get("comment")
    if isinstance(comment, str) and comment:
        obj["description"] = comment[:5000]
    return _marked(obj, tlp), ""


def convert_events(documents: Iterable[Any], max_objects: int) -> list[Converted]:
    """Each event converted in turn, refused (:class:`InvalidInput`) as soon as the objects
    so far pass ``max_objects``: the work a request costs stops at its limit."""
    converted: list[Converted] = []
    total = 0
    for document in documents:
        converted.append(convert_event(document))
        total += len(converted[-1].objects)
        if total > max_objects:
            raise InvalidInput(f"at most {max_objects} objects per request")
    return converted


def convert_event(document: Any) -> Converted:
    """One MISP event (``{"Event": {...}}`` or the bare event) as STIX 2.1 objects."""
    event = document.get("Event", document) if isinstance(document, dict) else None
    if not isinstance(event, dict):
        raise InvalidInput('a MISP event is a JSON object, {"Event": {...}}')
    attributes = _attributes(event)
    tags = event.get("Tag")
    if isinstance(tags, list) and len(tags) > MAX_TAGS:
        raise InvalidInput(f"a MISP event carries at most {MAX_TAGS} tags")
    event_tlp = tlp_of_tags(tags)
    event_time = _instant(event.get("timestamp"), datetime(1970, 1, 1, tzinfo=UTC))
    out = Converted(tlp=event_tlp)
    placed: list[tuple[dict[str, Any], Tlp | None, dict[str, Any]]] = []
    for attribute in attributes:
        if not isinstance(attribute, dict):
            raise InvalidInput("a MISP attribute is a JSON object")
        obj, why = _attribute_object(attribute, event_tlp, event_time)
        if obj is None:
            out.skipped.append(_skip(attribute, why))
        else:
            out.objects.append(obj)
            placed.append((obj, stix.tlp_of(obj.get("object_marking_refs")), attribute))
    if placed:  # else no report: a report must refer to something, nothing here to share
        report = _report(event, event_tlp, event_time, placed, out.skipped)
        if report is not None:
            out.objects.append(report)
    return out


def _attributes(event: dict[str, Any]) -> list[Any]:
    """The event's attributes, then its MISP objects' (copied once, in place); refused as
    soon as a count passes its limit."""
    own = event.get("Attribute", [])
    if not isinstance(own, list):
        raise InvalidInput("a MISP event's Attribute is a list of attributes")
    too_many = InvalidInput(f"a MISP event holds at most {MAX_ATTRIBUTES} attributes")
    if len(own) > MAX_ATTRIBUTES:
        raise too_many
    attributes = list(own)
    objects = event.get("Object")
    if not isinstance(objects, list):
        return attributes
    if len(objects) > MAX_OBJECTS:
        raise InvalidInput(f"a MISP event holds at most {MAX_OBJECTS} objects")
    for obj in objects:
        more = obj.get("Attribute") if isinstance(obj, dict) else None
        if isinstance(more, list):
            if len(attributes) + len(more) > MAX_ATTRIBUTES:
                raise too_many
            attributes.extend(more)
    return attributes


def _report(
    event: dict[str, Any],
    event_tlp: Tlp | None,
    event_time: datetime,
    placed: list[tuple[dict[str, Any], Tlp | None, dict[str, Any]]],
    skipped: list[dict[str, str]],
) -> dict[str, Any] | None:
    """The event's report, naming only the objects marked at or below its own marking;
    what it leaves out, and why, added to ``skipped``."""
    report_tlp = event_tlp
    if event_tlp not in (tlp for _obj, tlp, _attribute in placed):
        if event_tlp is None:
            # Unmarked, it could name only unmarked objects, and there are none; marked from
            # its objects, its marking would be a guess (a missing TLP is never assumed).
            reason = "no report: the event has no TLP tag and every object it gave is marked"
            skipped.append(_skip_report(event, reason))
            return None
        # STIX wants a report's object_refs non-empty: raise it to the lowest marking among
        # its objects (never lowers; names only what its readers may see).
        report_tlp = min(
            (tlp for _obj, tlp, _attribute in placed if tlp is not None),
            key=stix.TLP_RANK.__getitem__,
        )
        skipped.append(
            _skip_report(
                event,
                f"the report is marked {_label(report_tlp)}, above the event's "
                f"{_label(event_tlp)}: no object of the event is marked that low",
            )
        )
    refs: list[str] = []
    for obj, tlp, attribute in placed:
        if _within(tlp, report_tlp):
            refs.append(obj["id"])
        else:
            # Naming it would tell the report's readers that it exists, and how many do.
            reason = (
                f"added as {_label(tlp)} but left out of the event's report, marked "
                f"{_label(report_tlp)}: a report never names an object marked above it"
            )
            skipped.append(_skip(attribute, reason))
    report: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": _stix_id("report", event.get("uuid")),
        "created": stix.stix_time(event_time),
        "modified": stix.stix_time(event_time),
        "name": (_text(event.get("info", "")) or "MISP event")[:1024],
        "report_types": ["threat-report"],
        "published": stix.stix_time(_published(event, event_time)),
        "object_refs": refs,
    }
    return _marked(report, report_tlp)


def _within(tlp: Tlp | None, report_tlp: Tlp | None) -> bool:
    """May a report marked ``report_tlp`` name an object marked ``tlp``? Unmarked reports
    only unmarked objects: both may be given the same default marking later, or refused."""
    if tlp is None or report_tlp is None:
        return tlp is None and report_tlp is None
    return stix.TLP_RANK[tlp] <= stix.TLP_RANK[report_tlp]


def _label(tlp: Tlp | None) -> str:
    return "no TLP" if tlp is None else f"TLP:{tlp.value}"


def _skip(attribute: dict[str, Any], reason: str) -> dict[str, str]:
    return {
        "uuid": _printable(attribute.get("uuid", ""), 100),
        "type": _printable(attribute.get("type", ""), 100),
        "reason": reason,
    }


def _skip_report(event: dict[str, Any], reason: str) -> dict[str, str]:
    return {"uuid": _printable(event.get("uuid", ""), 100), "type": "report", "reason": reason}


def _published(event: dict[str, Any], fallback: datetime) -> datetime:
    date = event.get("date")
    if isinstance(date, str) and re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", date):
        try:
            return datetime.fromisoformat(date).replace(tzinfo=UTC)
        except ValueError:
            return fallback
    return fallback
