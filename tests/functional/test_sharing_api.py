"""The sharing REST API (problem+json): the operator creates a sharing group and a
collection; a member adds objects naming an audience; another member reads a page
filtered by TLP; members post sightings of the first member's indicator, whose producer
then sees counts and first/last seen but not who sighted."""

from __future__ import annotations

import pytest

from clearinghouse.formats.model import Tlp
from tests.functional.conftest import Platform
from tests.support.stix_objects import indicator, sighting, stix_uuid

pytestmark = pytest.mark.slow
BASE = "/api/v1/sharing"


def test_collections_groups_objects_and_sightings(platform: Platform) -> None:
    world = platform.world
    operator = platform.login(world.operator_analyst)
    member = platform.login(world.member_admin)
    other = platform.login(world.other_admin)
    group = member.post(f"{BASE}/groups", json={"slug": "ring", "name": "Ring", "members": []})
    assert group.status_code == 201, group.text
    refused = member.post(f"{BASE}/collections", json={"alias": "x", "title": "X"})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    created = operator.post(
        f"{BASE}/collections",
        json={
            "alias": "intel",
            "title": "Intel",
            "community": True,
            "members_write": True,
            "sharing_groups": ["ring"],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["can_write"] is True
    objects = [indicator("g", Tlp.GREEN), indicator("a", Tlp.AMBER), indicator("u", None)]
    added = member.post(
        f"{BASE}/collections/intel/objects", json={"objects": objects, "sharing_group": "ring"}
    )
    assert added.status_code == 201, added.text
    assert len(added.json()["successes"]) == 2
    assert "no TLP marking" in added.json()["failures"][0]["message"]
    page = other.get(f"{BASE}/collections/intel/objects")
    assert [o["id"] for o in page.json()["items"]] == [stix_uuid("indicator", "g")]
    own = member.get(f"{BASE}/collections/intel/objects", params={"limit": 1})
    assert len(own.json()["items"]) == 1
    rest = member.get(
        f"{BASE}/collections/intel/objects", params={"cursor": own.json()["next_cursor"]}
    )
    assert [o["id"] for o in rest.json()["items"]] == [stix_uuid("indicator", "a")]
    assert member.get(f"{BASE}/collections/intel/objects?cursor=zz").status_code == 422
    target = stix_uuid("indicator", "g")
    for n, client in enumerate((other, operator)):
        sent = client.post(
            f"{BASE}/collections/intel/objects",
            json={"objects": [sighting(n, target, Tlp.RED, count=5, days=n)]},
        )
        assert sent.status_code == 201, sent.text
    summary = member.get(f"{BASE}/sightings")
    assert summary.status_code == 200
    (item,) = summary.json()["items"]
    assert item == {
        "object": target,
        "sightings": 2,
        "count": 10,
        "first_seen": "2026-09-01T12:00:00.000000Z",
        "last_seen": "2026-09-02T13:00:00.000000Z",
        "revealed": [],  # neither asked to be named
        "anonymous": 2,
    }
    assert "other" not in summary.text
    assert "operator" not in summary.text
    # The RED sightings themselves stay hidden from the producer.
    assert {o["type"] for o in member.get(f"{BASE}/collections/intel/objects").json()["items"]} == {
        "indicator"
    }
    assert [c["alias"] for c in other.get(f"{BASE}/collections").json()["items"]] == ["intel"]
    assert [g["slug"] for g in member.get(f"{BASE}/groups").json()["items"]] == ["ring"]
    assert other.get(f"{BASE}/groups").json()["items"] == []
