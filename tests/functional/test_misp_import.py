"""MISP import: MISP events into STIX objects keeping their TLP, over the REST API.

Two sources: the events of our own MISP feed (fetched as MISP fetches them, imported into
another collection: every marking and value comes back), and a hand-made event whose
attributes carry TLP tags of their own (above the event's: kept; below: raised to the
event's; none anywhere: refused, never CLEAR)."""

from __future__ import annotations

import re
from typing import Any

import orjson
from sqlalchemy import select

from clearinghouse.formats.model import Tlp
from clearinghouse.formats.stix import TLP_MARKING
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import service, store
from clearinghouse.sharing.models import Collection, SharedAccess, SharedObject
from clearinghouse.sharing.taxii_http import TAXII_MEDIA
from tests.functional.conftest import Platform
from tests.support.stix_objects import indicator, stix_uuid

API = "/api/v1/sharing"
EQUALS = re.compile(r"^\[([a-z0-9-]+:[^ ]+) = '(.*)'\]$")


def _collections(platform: Platform) -> None:
    with platform.database.transaction() as s:
        for alias in ("source", "imported"):
            service.create_collection(
                s,
                service.CollectionSpec(
                    alias=alias, title=alias, community=True, members_write=True
                ),
                actor=SYSTEM,
                now=platform.clock.now(),
            )


def _stored(platform: Platform, alias: str) -> dict[str, tuple[Tlp, dict[str, Any]]]:
    with platform.database.transaction(write=False) as s:
        collection = s.scalars(select(Collection).where(Collection.alias == alias)).one()
        rows = s.execute(
            select(SharedObject.tlp, SharedObject.body).where(
                SharedObject.collection_id == collection.id
            )
        ).all()
    return {orjson.loads(body)["id"]: (tlp, orjson.loads(body)) for tlp, body in rows}


def _values(stored: dict[str, tuple[Tlp, dict[str, Any]]]) -> set[tuple[str, str, Tlp]]:
    """(kind, value, marking) of every indicator and vulnerability."""
    out = set()
    for tlp, obj in stored.values():
        if obj["type"] == "vulnerability":
            out.add(("vulnerability", obj["name"], tlp))
        elif obj["type"] == "indicator":
            found = EQUALS.match(obj["pattern"])
            assert found is not None, obj["pattern"]
            out.add((found.group(1), found.group(2), tlp))
    return out


def test_the_events_of_our_own_feed_come_back_with_their_markings(platform: Platform) -> None:
    _collections(platform)
    shared = [
        indicator("ip", Tlp.AMBER),
        {**indicator("dom", Tlp.AMBER), "pattern": "[domain-name:value = 'evil.example']"},
        {**indicator("url", Tlp.GREEN), "pattern": "[url:value = 'https://evil.example/x']"},
        {**indicator("mail", Tlp.AMBER), "pattern": "[email-addr:value = 'a@evil.example']"},
        {
            "type": "vulnerability",
            "spec_version": "2.1",
            "id": stix_uuid("vulnerability", "log4shell"),
            "created": "2026-09-01T12:00:00.000Z",
            "modified": "2026-09-01T12:00:00.000Z",
            "name": "CVE-2021-44228",
            "object_marking_refs": [TLP_MARKING[Tlp.AMBER]],
        },
    ]
    report = {
        "type": "report",
        "spec_version": "2.1",
        "id": stix_uuid("report", "campaign"),
        "created": "2026-09-01T12:00:00.000Z",
        "modified": "2026-09-01T12:00:00.000Z",
        "name": "A campaign",
        "published": "2026-09-01T12:00:00.000Z",
        "object_refs": [o["id"] for o in shared],
        "object_marking_refs": [TLP_MARKING[Tlp.AMBER]],
    }
    with platform.database.transaction() as s:
        source = store.find_collection(s, "source")
        assert source is not None
        outcome = store.add_objects(s, source, SYSTEM, [*shared, report], now=platform.clock.now())
        assert outcome.failures == []
    operator = platform.login(platform.world.operator_analyst)
    manifest = operator.get("/feeds/misp/manifest.json").json()
    events = [operator.get(f"/feeds/misp/{key}.json").json() for key in manifest]
    assert len(events) == 1
    assert [t["name"] for t in events[0]["Event"]["Tag"]] == ["tlp:amber"]
    with platform.database.transaction(write=False) as s:
        logged = s.scalars(select(SharedAccess).where(SharedAccess.route == "misp-feed")).all()
    # Manifest and event file: each read the report and its referenced objects.
    assert sorted(r.count for r in logged) == [1, 1, len(shared), len(shared)]
    assert {r.principal for r in logged} == {platform.world.operator_analyst}
    r = operator.post(f"{API}/collections/imported/misp-events", json={"events": events})
    assert r.status_code == 201, r.text
    assert (r.json()["failures"], r.json()["skipped"]) == ([], [])

    imported = _stored(platform, "imported")
    # Every value comes back; each marking is its own or the event's, whichever is higher
    # (the feed tags the event only: the GREEN URL comes back AMBER, raised, not lowered).
    expected = {
        (kind, value, Tlp.AMBER if tlp is Tlp.GREEN else tlp)
        for kind, value, tlp in _values(_stored(platform, "source"))
    }
    assert _values(imported) == expected
    # The feed's event is the report: same identifier, same marking.
    report_id = str(report["id"])
    assert imported[report_id][0] is Tlp.AMBER
    assert len(imported[report_id][1]["object_refs"]) == len(shared)
    # Again: nothing new (stable identifiers, one row per version).
    again = operator.post(f"{API}/collections/imported/misp-events", json={"events": events})
    assert again.status_code == 201
    assert len(_stored(platform, "imported")) == len(imported)


def _event(tags: list[str], attributes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Event": {
            "uuid": "6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c",
            "info": "Hand-made event",
            "date": "2026-09-02",
            "timestamp": "1788345600",
            "Tag": [{"name": name} for name in tags],
            "Attribute": attributes,
        }
    }


def _attribute(n: int, kind: str, value: str, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "uuid": f"0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c{n:02d}",
        "type": kind,
        "category": "Network activity",
        "value": value,
        "to_ids": True,
        "timestamp": "1788345600",
        "Tag": [{"name": name} for name in tags],
    }


def test_a_hand_made_event_keeps_each_tlp_and_never_lowers_one(platform: Platform) -> None:
    _collections(platform)
    member = platform.login(platform.world.member_admin)
    event = _event(
        ["tlp:amber", 'misp-galaxy:threat-actor="x"'],
        [
            _attribute(1, "ip-dst", "198.51.100.7", ("tlp:red",)),  # above the event: kept
            _attribute(2, "domain", "c2.example", ("tlp:green",)),  # below: raised to AMBER
            _attribute(3, "sha256", "a" * 64),
            _attribute(4, "ip-src", "2001:db8::1"),
            _attribute(5, "vulnerability", "CVE-2021-44228"),
            _attribute(6, "text", "free text"),  # no STIX form here: listed as skipped
        ],
    )
    r = member.post(f"{API}/collections/imported/misp-events", json={"events": [event]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["failures"] == []
    # The free text has no STIX form; the RED address is added but not named by the AMBER
    # report.
    assert [(s["type"], s["uuid"][-2:]) for s in body["skipped"]] == [
        ("text", "06"),
        ("ip-dst", "01"),
    ]
    assert "left out of the event's report" in body["skipped"][1]["reason"]
    stored = _stored(platform, "imported")
    assert _values(stored) == {
        ("ipv4-addr:value", "198.51.100.7", Tlp.RED),
        ("domain-name:value", "c2.example", Tlp.AMBER),
        ("ipv6-addr:value", "2001:db8::1", Tlp.AMBER),
        ("vulnerability", "CVE-2021-44228", Tlp.AMBER),
        ("file:hashes.'SHA-256'", "a" * 64, Tlp.AMBER),
    }
    (report,) = [o for _t, o in stored.values() if o["type"] == "report"]
    assert stored[report["id"]][0] is Tlp.AMBER
    assert report["id"] == "report--6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c"
    red = "indicator--0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c01"
    assert stored[red][0] is Tlp.RED
    assert red not in report["object_refs"]
    assert len(report["object_refs"]) == 4
    # Another member of the community reads up to GREEN: none of these.
    other = platform.login(platform.world.other_admin)
    assert other.get(f"{API}/collections/imported/objects").json()["items"] == []


def test_a_green_report_never_names_a_red_attribute_to_the_community(
    platform: Platform,
) -> None:
    _collections(platform)
    member = platform.login(platform.world.member_admin)
    event = _event(
        ["tlp:green"],
        [
            _attribute(1, "domain", "evil.example"),
            _attribute(2, "ip-dst", "203.0.113.9", ("tlp:red",)),
        ],
    )
    r = member.post(f"{API}/collections/imported/misp-events", json={"events": [event]})
    assert r.status_code == 201, r.text
    assert r.json()["failures"] == []
    assert [(s["type"], s["uuid"][-2:]) for s in r.json()["skipped"]] == [("ip-dst", "02")]
    green = "indicator--0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c01"
    red = "indicator--0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c02"
    assert _stored(platform, "imported")[red][0] is Tlp.RED  # added all the same
    # Another member of the community reads up to GREEN: the report and the GREEN
    # indicator, and nowhere the RED indicator's identifier (nor a count that implies it).
    other = platform.login(platform.world.other_admin)
    page = other.get(f"{API}/collections/imported/objects")
    assert page.status_code == 200
    items = {o["id"]: o for o in page.json()["items"]}
    assert set(items) == {green, "report--6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c"}
    assert items["report--6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c"]["object_refs"] == [green]
    assert red.split("--")[1] not in page.text
    token = platform.token(platform.world.other_admin, ["taxii"])
    collection_id = str(_collection_id(platform, "imported"))
    taxii = platform.client(
        headers={"Authorization": f"Bearer {token}", "Accept": TAXII_MEDIA}
    ).get(f"/taxii2/root/collections/{collection_id}/objects/")
    assert taxii.status_code == 200
    assert len(taxii.json()["objects"]) == 2
    assert red.split("--")[1] not in taxii.text


def _collection_id(platform: Platform, alias: str) -> object:
    with platform.database.transaction(write=False) as s:
        return s.scalars(select(Collection.id).where(Collection.alias == alias)).one()


def test_an_event_without_tlp_is_refused_never_clear(platform: Platform) -> None:
    _collections(platform)
    member = platform.login(platform.world.member_admin)
    event = _event([], [_attribute(1, "url", "https://unmarked.example/")])
    r = member.post(f"{API}/collections/imported/misp-events", json={"events": [event]})
    assert r.status_code == 201, r.text
    assert len(r.json()["failures"]) == 2  # the indicator and the report
    assert all("no TLP marking" in f["message"] for f in r.json()["failures"])
    assert _stored(platform, "imported") == {}
    no_uuid = {"Event": {"Attribute": [{"type": "url", "value": "https://x.example/"}]}}
    bad_events: list[list[dict[str, Any]]] = [[{"Event": []}], [no_uuid]]
    for bad in bad_events:
        r = member.post(f"{API}/collections/imported/misp-events", json={"events": bad})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
