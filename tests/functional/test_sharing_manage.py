"""Managing sharing over the REST API: changing and deleting collections (the operator),
changing and deleting sharing groups (their owner or the operator), and the access log
(the operator), each through the policy, with problem documents for bad input."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from clearinghouse.audit.models import AuditEntry
from clearinghouse.formats.model import Tlp
from clearinghouse.sharing.models import Collection, SharedAccess
from tests.functional.conftest import Platform
from tests.support.stix_objects import indicator

API = "/api/v1/sharing"


def _ids(client: httpx.Client, alias: str) -> list[str]:
    r = client.get(f"{API}/collections/{alias}/objects")
    assert r.status_code == 200, r.text
    return [o["id"] for o in r.json()["items"]]


def _collection(operator: httpx.Client, **fields: Any) -> None:
    r = operator.post(f"{API}/collections", json={"alias": "notes", "title": "Notes", **fields})
    assert r.status_code == 201, r.text


def test_the_operator_widens_a_collection_and_markings_still_decide(platform: Platform) -> None:
    operator = platform.login(platform.world.operator_analyst)
    _collection(operator, readers=["member"], writers=["member"])
    member = platform.login(platform.world.member_admin)
    other = platform.login(platform.world.other_admin)
    shared = [indicator("g", Tlp.GREEN), indicator("a", Tlp.AMBER)]
    r = member.post(f"{API}/collections/notes/objects", json={"objects": shared})
    assert r.status_code == 201, r.text
    assert other.get(f"{API}/collections/notes/objects").status_code == 404
    # Opened to the community: the other member reads GREEN, never the AMBER object.
    r = operator.patch(f"{API}/collections/notes", json={"community": True, "title": "Open notes"})
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Open notes"
    assert _ids(other, "notes") == [shared[0]["id"]]
    assert sorted(_ids(member, "notes")) == sorted(o["id"] for o in shared)
    with platform.database.transaction(write=False) as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "sharing.collection.changed")
        ).one()
        assert entry.change["before"]["community"] is False
        assert entry.change["after"]["community"] is True
    # Bad input: problem documents, nothing changed.
    for bad, field in (
        ({"readers": ["no-such-org"]}, "readers"),
        ({"mark_unmarked": True}, "default_tlp"),
        ({"title": ""}, None),
        ({"colour": "red"}, None),
    ):
        r = operator.patch(f"{API}/collections/notes", json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        if field:
            assert r.json()["field"] == field
    assert member.patch(f"{API}/collections/notes", json={"public": True}).status_code == 403
    assert operator.patch(f"{API}/collections/nope", json={"public": True}).status_code == 404


def test_deleting_a_collection_removes_its_objects_and_keeps_the_access_log(
    platform: Platform,
) -> None:
    operator = platform.login(platform.world.operator_analyst)
    _collection(operator, community=True, writers=["member"])
    member = platform.login(platform.world.member_admin)
    r = member.post(f"{API}/collections/notes/objects", json={"objects": [indicator("x")]})
    assert r.status_code == 201, r.text
    assert len(_ids(member, "notes")) == 1  # one page read: one access-log row
    assert member.delete(f"{API}/collections/notes").status_code == 403
    assert operator.delete(f"{API}/collections/notes").status_code == 204
    assert member.get(f"{API}/collections/notes/objects").status_code == 404
    assert operator.delete(f"{API}/collections/notes").status_code == 404
    with platform.database.transaction(write=False) as s:
        assert s.scalars(select(Collection)).all() == []
        assert len(s.scalars(select(SharedAccess)).all()) == 1


def test_a_group_owner_changes_and_deletes_its_group_others_do_not_see_it(
    platform: Platform,
) -> None:
    member = platform.login(platform.world.member_admin)
    r = member.post(f"{API}/groups", json={"slug": "circle", "name": "Circle"})
    assert r.status_code == 201, r.text
    other = platform.login(platform.world.other_admin)
    assert other.patch(f"{API}/groups/circle", json={"name": "Mine"}).status_code == 404
    assert other.patch(f"{API}/groups/absent", json={"name": "Mine"}).status_code == 404
    r = member.patch(f"{API}/groups/circle", json={"name": "Inner circle", "members": ["other"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"slug": "circle", "name": "Inner circle", "members": 2}  # owner stays
    # A member of the group, not its owner, may read it but not change it.
    assert other.patch(f"{API}/groups/circle", json={"name": "Mine"}).status_code == 403
    operator = platform.login(platform.world.operator_analyst)
    _collection(operator, community=True, sharing_groups=["circle"], writers=["member"])
    amber = indicator("for-the-circle", Tlp.AMBER)
    r = member.post(
        f"{API}/collections/notes/objects", json={"objects": [amber], "sharing_group": "circle"}
    )
    assert r.status_code == 201, r.text
    assert _ids(other, "notes") == [amber["id"]]  # the audience reads AMBER
    assert member.delete(f"{API}/groups/circle").status_code == 204
    assert _ids(other, "notes") == []  # the audience is gone: fewer readers, never more
    assert _ids(member, "notes") == [amber["id"]]
    with platform.database.transaction(write=False) as s:
        assert s.scalars(select(Collection.group_ids)).one() == []


def test_the_operator_pages_through_the_access_log(platform: Platform) -> None:
    operator = platform.login(platform.world.operator_analyst)
    _collection(operator, community=True, writers=["member"])
    member = platform.login(platform.world.member_admin)
    member.post(f"{API}/collections/notes/objects", json={"objects": [indicator("x")]})
    for _ in range(3):
        _ids(member, "notes")
    assert member.get(f"{API}/access-log").status_code == 403
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": "2", "collection": "notes", **({"cursor": cursor} if cursor else {})}
        r = operator.get(f"{API}/access-log", params=params)
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3
    assert len({(e["at"], e["principal"]) for e in seen}) >= 1
    assert all(e["collection_alias"] == "notes" and e["count"] == 1 for e in seen)
    assert all(e["principal"].endswith("member.test") or e["org_id"] for e in seen)
    assert [e["at"] for e in seen] == sorted((e["at"] for e in seen), reverse=True)
    r = operator.get(f"{API}/access-log", params={"cursor": "not-ours"})
    assert r.status_code == 422
    assert r.json()["field"] == "cursor"
    assert operator.get(f"{API}/access-log", params={"collection": "nope"}).status_code == 404
