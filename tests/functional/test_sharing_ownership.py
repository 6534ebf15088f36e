"""Who may add a version of a shared object, and whose sightings summary counts it.

An organisation versions only the ids it introduced (STIX 2.1, 3.6: a new version comes
from the object's creator); the platform's jobs and the operator curate any. A member's
refusal reads the same whether or not it may read the stored versions, and names no
marking, so posting cannot tell a member what a hidden object is marked. The sightings
summary counts sightings of the ids an organisation introduced, not of every id it ever
stored, and a suspended organisation's counts only TLP:CLEAR sightings."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from clearinghouse.accounts.models import Organisation
from clearinghouse.formats.model import Tlp
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import service, store
from clearinghouse.sharing.models import SharedObject
from tests.functional.conftest import Platform
from tests.support.casework import suspend
from tests.support.stix_objects import indicator, sighting

pytestmark = pytest.mark.slow
BASE = "/api/v1/sharing"
ANOTHERS = "this id belongs to an object another organisation shared"


def _org(platform: Platform, slug: str) -> uuid.UUID:
    with platform.database.transaction(write=False) as s:
        return s.scalars(select(Organisation.id).where(Organisation.slug == slug)).one()


def _collections(platform: Platform) -> None:
    other = frozenset({_org(platform, "other")})
    specs = [
        service.CollectionSpec(alias="open", title="Open", community=True, members_write=True),
        service.CollectionSpec(
            alias="closed", title="Closed", reader_org_ids=other, writer_org_ids=other
        ),
    ]
    with platform.database.transaction() as s:
        for spec in specs:
            service.create_collection(s, spec, actor=SYSTEM, now=platform.clock.now())


def _post(client: httpx.Client, alias: str, *objects: dict[str, Any], **extra: Any) -> Any:
    sent = client.post(f"{BASE}/collections/{alias}/objects", json={"objects": objects, **extra})
    assert sent.status_code == 201, sent.text
    return sent.json()


def _later(obj: dict[str, Any], day: int, **changes: Any) -> dict[str, Any]:
    return {**obj, "modified": f"2026-09-{day:02d}T12:00:00.000Z", **changes}


def _rows(platform: Platform, stix_id: str) -> list[tuple[str, uuid.UUID | None]]:
    with platform.database.transaction(write=False) as s:
        found = s.execute(
            select(SharedObject.tlp, SharedObject.producer_org_id)
            .where(SharedObject.stix_id == stix_id)
            .order_by(SharedObject.seq)
        )
        return [(tlp.value, producer) for tlp, producer in found]


def test_a_member_versions_only_the_ids_it_introduced(platform: Platform) -> None:
    _collections(platform)
    world = platform.world
    member, other = platform.login(world.member_admin), platform.login(world.other_admin)
    visible = indicator("seen", Tlp.GREEN)
    hidden = indicator("hidden", Tlp.RED)
    assert _post(other, "open", visible)["failures"] == []
    assert _post(other, "closed", hidden)["failures"] == []
    assert member.get(f"{BASE}/collections/closed/objects").status_code == 404

    # A newer version of another's object: refused, with one message whether the member
    # reads the stored versions (GREEN, open) or not (RED, in a collection it cannot read),
    # and never the stored marking.
    answers = [
        _post(member, "open", _later(visible, 2, name="replaced")),
        _post(
            member, "open", _later(hidden, 2, object_marking_refs=visible["object_marking_refs"])
        ),
    ]
    messages = [a["failures"][0]["message"] for a in answers]
    assert [a["successes"] for a in answers] == [[], []]
    assert messages[0] == messages[1]
    assert messages[0].startswith(ANOTHERS)
    assert not any(level in messages[0] for level in ("RED", "GREEN", "AMBER", "CLEAR"))
    # The producer's readers still get the producer's version as the last one.
    (served,) = other.get(f"{BASE}/collections/open/objects").json()["items"]
    assert served == visible
    assert _rows(platform, visible["id"]) == [("GREEN", _org(platform, "other"))]
    assert _rows(platform, hidden["id"]) == [("RED", _org(platform, "other"))]

    # A re-sent copy of a stored version is not an error, and stores nothing.
    again = _post(member, "open", visible)
    assert (again["successes"], again["failures"]) == (
        [{"id": visible["id"], "version": visible["modified"]}],
        [],
    )
    assert len(_rows(platform, visible["id"])) == 1

    # The creator versions its own object, and still may not lower its marking.
    mine = _post(other, "open", _later(visible, 3, name="v2"))
    assert mine["failures"] == []
    lowered = _post(
        other, "closed", _later(hidden, 3, object_marking_refs=visible["object_marking_refs"])
    )
    assert "TLP:RED" in lowered["failures"][0]["message"]
    # A new id is anyone's; the operator curates every object.
    assert _post(member, "open", indicator("new", Tlp.GREEN))["failures"] == []
    operator = platform.login(world.operator_analyst)
    assert _post(operator, "open", _later(visible, 4, name="curated"))["failures"] == []


def test_the_refusal_is_the_same_over_taxii(platform: Platform) -> None:
    _collections(platform)
    other = platform.login(platform.world.other_admin)
    hidden = indicator("hidden", Tlp.RED)
    assert _post(other, "closed", hidden)["failures"] == []
    token = platform.token(platform.world.member_admin, ["taxii"])
    with platform.database.transaction(write=False) as s:
        found = store.find_collection(s, "open")
        assert found is not None
        open_id = found.id
    taxii = platform.client(headers={"Authorization": f"Bearer {token}"})
    sent = taxii.post(
        f"/taxii2/root/collections/{open_id}/objects/",
        json={
            "objects": [
                _later(
                    hidden, 2, object_marking_refs=indicator("x", Tlp.CLEAR)["object_marking_refs"]
                )
            ]
        },
        headers={
            "Content-Type": "application/taxii+json;version=2.1",
            "Accept": "application/taxii+json;version=2.1",
        },
    )
    assert sent.status_code == 202, sent.text
    status = sent.json()
    assert status["failure_count"] == 1
    assert status["failures"][0]["message"].startswith(ANOTHERS)
    assert "RED" not in sent.text


def test_the_sightings_summary_counts_only_ids_an_organisation_introduced(
    platform: Platform,
) -> None:
    _collections(platform)
    world = platform.world
    member, other = platform.login(world.member_admin), platform.login(world.other_admin)
    shared = indicator("ioc", Tlp.GREEN)
    _post(other, "open", shared)
    _post(other, "closed", sighting(1, shared["id"], Tlp.RED, count=42), reveal_sighter=True)
    # A version of the same id stored later under the member's name (as a release before
    # ownership allowed; today it is refused): it gives the member nothing.
    with platform.database.transaction() as s:
        found = store.find_collection(s, "open")
        assert found is not None
        later = _later(shared, 5)
        outcome = store.add_objects(s, found, SYSTEM, [later], now=platform.clock.now())
        s.execute(
            update(SharedObject)
            .where(SharedObject.id.in_(outcome.added_rows))
            .values(producer_org_id=_org(platform, "member"))
        )
    stolen = member.get(f"{BASE}/sightings").json()
    assert stolen == {"shared_objects": 0, "items": []}
    (item,) = other.get(f"{BASE}/sightings").json()["items"]
    assert (item["object"], item["count"]) == (shared["id"], 42)
    assert other.get(f"{BASE}/sightings").json()["shared_objects"] == 2  # and its sighting


def test_a_suspended_organisation_counts_only_tlp_clear_sightings(platform: Platform) -> None:
    _collections(platform)
    world = platform.world
    member, other = platform.login(world.member_admin), platform.login(world.other_admin)
    shared = indicator("ioc", Tlp.GREEN)
    _post(member, "open", shared)
    _post(other, "closed", sighting(1, shared["id"], Tlp.RED, count=40))
    _post(other, "open", sighting(2, shared["id"], Tlp.CLEAR, count=2))
    (item,) = member.get(f"{BASE}/sightings").json()["items"]
    assert (item["sightings"], item["count"]) == (2, 42)
    with platform.database.transaction() as s:
        suspend(s, _org(platform, "member"), platform.clock.now())
    (item,) = member.get(f"{BASE}/sightings").json()["items"]
    assert (item["sightings"], item["count"]) == (1, 2)
