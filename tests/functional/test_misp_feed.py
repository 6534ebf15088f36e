"""The MISP feed, read the way MISP's feed fetcher reads one: the manifest, then each
event it lists, every attribute checked against hashes.csv; every event loads in PyMISP's
own ``MISPEvent``, with its TLP tag kept. A reader sees only the reports its token may
read, and an event never carries an attribute marked above the report."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

import pytest
from pymisp import MISPEvent

from clearinghouse.accounts.models import Organisation
from clearinghouse.formats.model import Tlp
from clearinghouse.formats.stix import TLP_MARKING
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import service, store
from clearinghouse.sharing.models import Collection
from tests.functional.conftest import Platform
from tests.support.stix_objects import CREATED, indicator, stix_uuid

pytestmark = pytest.mark.slow


def _report(name: str, tlp: Tlp, refs: list[str]) -> dict[str, Any]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": stix_uuid("report", name),
        "created": "2026-09-01T12:00:00.000Z",
        "modified": "2026-09-01T12:00:00.000Z",
        "name": f"Report {name}",
        "published": "2026-09-01T12:00:00.000Z",
        "object_refs": refs,
        "object_marking_refs": [TLP_MARKING[tlp]],
    }


def _vulnerability(tlp: Tlp) -> dict[str, Any]:
    return {
        "type": "vulnerability",
        "spec_version": "2.1",
        "id": stix_uuid("vulnerability", "log4shell"),
        "created": "2026-09-01T12:00:00.000Z",
        "modified": "2026-09-01T12:00:00.000Z",
        "name": "CVE-2021-44228",
        "object_marking_refs": [TLP_MARKING[tlp]],
    }


def _fetch(client: Any) -> list[MISPEvent]:
    """What MISP's fetcher does: manifest, each event, hashes.csv as the check."""
    manifest = client.get("/feeds/misp/manifest.json")
    assert manifest.status_code == 200
    rows = list(csv.reader(io.StringIO(client.get("/feeds/misp/hashes.csv").text)))
    hashes = {(digest, event) for digest, event in rows}
    events = []
    for key, entry in manifest.json().items():
        body = client.get(f"/feeds/misp/{key}.json")
        assert body.status_code == 200
        loaded = MISPEvent()
        loaded.load(body.json())
        assert str(loaded.uuid) == key
        assert [t.name for t in loaded.tags] == [t["name"] for t in entry["Tag"]]
        for attribute in loaded.attributes:
            digest = hashlib.md5(attribute.value.encode(), usedforsecurity=False).hexdigest()
            assert (digest, key) in hashes
        assert len([h for h in hashes if h[1] == key]) == len(loaded.attributes)
        events.append(loaded)
    return events


def test_the_feed_replays_as_misp_fetches_it(platform: Platform) -> None:
    with platform.database.transaction() as s:
        member = s.query(Organisation).filter_by(slug="member").one()
        found = service.create_collection(
            s,
            service.CollectionSpec(alias="intel", title="Intel", public=True, community=True),
            actor=SYSTEM,
            now=platform.clock.now(),
        )
        collection = s.get(Collection, found.id)
        assert collection is not None
        green, amber = indicator("g", Tlp.GREEN), indicator("a", Tlp.AMBER)
        objects = [
            green,
            amber,
            _vulnerability(Tlp.CLEAR),
            _report(
                "green",
                Tlp.GREEN,
                [green["id"], amber["id"], stix_uuid("vulnerability", "log4shell")],
            ),
            _report("clear", Tlp.CLEAR, [stix_uuid("vulnerability", "log4shell")]),
        ]
        outcome = store.add_objects(
            s,
            collection,
            SYSTEM,
            objects,
            now=platform.clock.now(),
            audience=store.Audience(org_ids=frozenset({member.id})),
        )
        assert outcome.failures == []
    anonymous = platform.client()
    (public,) = _fetch(anonymous)
    assert public.info == "Report clear"
    assert [t.name for t in public.tags] == ["tlp:clear"]
    assert [(a.type, a.value) for a in public.attributes] == [("vulnerability", "CVE-2021-44228")]
    token = platform.token(platform.world.member_admin, ["read"])
    member_client = platform.client(headers={"Authorization": f"Bearer {token}"})
    events = {e.info: e for e in _fetch(member_client)}
    assert set(events) == {"Report clear", "Report green"}
    green_event = events["Report green"]
    assert [t.name for t in green_event.tags] == ["tlp:green"]
    # The AMBER indicator is readable by the member but marked above the report: left out.
    assert sorted((a.type, a.value) for a in green_event.attributes) == [
        ("ip-dst", green["pattern"].split("'")[1]),
        ("vulnerability", "CVE-2021-44228"),
    ]
    hidden = anonymous.get(f"/feeds/misp/{stix_uuid('report', 'green').split('--')[1]}.json")
    assert hidden.status_code == 404
    assert CREATED.year == 2026
