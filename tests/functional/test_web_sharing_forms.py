"""The sharing forms over HTTP, each checked against what the REST API then answers:
collections created, changed and deleted by the operator; sharing groups created, changed
and deleted by an owning member; a STIX object added with its TLP marking (refusals shown
on the form, nothing stored); the operator's sync sources (configured, shown without the
credential, run, removed); and who sighted, only where the sighter chose to say."""

from __future__ import annotations

import re

import orjson
import pytest

from clearinghouse.formats.model import Tlp
from tests.functional.conftest import Platform
from tests.support.stix_objects import indicator, sighting, stix_uuid
from tests.support.web import HTML, get, submit

pytestmark = pytest.mark.slow
API = "/api/v1/sharing"
SECRET = "remote-secret-never-shown-0123456789"


def _errors(text: str) -> list[str]:
    return re.findall(r'<li><a href="#([^"]+)">', text)


def test_the_operator_creates_changes_and_deletes_a_collection_by_form(
    platform: Platform,
) -> None:
    operator = platform.login(platform.world.operator_analyst)
    created = submit(
        operator,
        "/sharing/collections",
        "/sharing/collections",
        {
            "alias": "intel",
            "title": "Intel",
            "community": "true",
            "readers": "member",
            "default_tlp": "AMBER",
        },
    )
    assert created.status_code == 303, created.text[:500]
    assert created.headers["location"] == "/sharing/collections/intel/settings?created=true"
    listed = {c["alias"]: c for c in operator.get(f"{API}/collections").json()["items"]}
    assert listed["intel"]["default_tlp"] == "AMBER"
    assert listed["intel"]["community"] is True

    # A bad value is shown on the form and nothing is stored.
    refused = submit(
        operator,
        "/sharing/collections",
        "/sharing/collections",
        {"alias": "second", "title": "Second", "readers": "no-such-org"},
    )
    assert refused.status_code == 422
    assert _errors(refused.text) == ["readers"]
    assert "second" not in {c["alias"] for c in operator.get(f"{API}/collections").json()["items"]}
    taken = submit(
        operator, "/sharing/collections", "/sharing/collections", {"alias": "intel", "title": "X"}
    )
    assert taken.status_code == 409
    assert 'class="error-summary"' in taken.text

    # Change readers, writers and the default marking.
    settings = "/sharing/collections/intel/settings"
    page = get(operator, settings)
    assert 'value="member"' in page.text
    changed = submit(
        operator,
        settings,
        settings,
        {
            "title": "Intel, renamed",
            "readers": "member other",
            "writers": "other",
            "default_tlp": "RED",
            "community": "true",
        },
    )
    assert changed.status_code == 303, changed.text[:500]
    after = {c["alias"]: c for c in operator.get(f"{API}/collections").json()["items"]}["intel"]
    assert (after["title"], after["default_tlp"]) == ("Intel, renamed", "RED")
    other = platform.login(platform.world.other_admin)
    writable = {c["alias"]: c["can_write"] for c in other.get(f"{API}/collections").json()["items"]}
    assert writable == {"intel": True}

    # Delete: a confirmation is needed.
    unconfirmed = submit(operator, settings, "/sharing/collections/intel/delete", {})
    assert unconfirmed.status_code == 422
    deleted = submit(operator, settings, "/sharing/collections/intel/delete", {"confirm": "true"})
    assert deleted.status_code == 303
    assert operator.get(f"{API}/collections").json()["items"] == []


def test_collection_forms_answer_others_as_the_api(platform: Platform) -> None:
    operator = platform.login(platform.world.operator_analyst)
    operator.post(f"{API}/collections", json={"alias": "intel", "title": "I", "community": True})
    member = platform.login(platform.world.member_admin)
    form = {"csrf_token": member.headers["X-CSRF-Token"], "alias": "mine", "title": "Mine"}
    # The operator's forms: a member gets 403 for a collection that exists and one that
    # does not (asked before the look-up), as from PATCH /api/v1/sharing/collections/...
    for key in ("intel", "no-such"):
        page = get(member, f"/sharing/collections/{key}/settings")
        api = member.patch(f"{API}/collections/{key}", json={"title": "x"})
        assert page.status_code == api.status_code == 403
    assert member.post("/sharing/collections", data=form, headers=HTML).status_code == 403
    assert "Create a collection" not in get(member, "/sharing/collections").text
    assert get(platform.client(), "/sharing/collections/intel/settings").status_code == 401


def test_a_member_creates_changes_and_deletes_its_sharing_group(platform: Platform) -> None:
    member = platform.login(platform.world.member_admin)
    created = submit(
        member,
        "/sharing/groups",
        "/sharing/groups",
        {"slug": "ring", "name": "Ring", "members": ""},
    )
    assert created.status_code == 303, created.text[:500]
    page = get(member, "/sharing/groups/ring")
    assert re.findall(r'data-member="([^"]+)"', page.text) == ["member"]  # the owner
    changed = submit(
        member,
        "/sharing/groups/ring",
        "/sharing/groups/ring",
        {"name": "Ring, renamed", "members": "other"},
    )
    assert changed.status_code == 303
    groups = member.get(f"{API}/groups").json()["items"]
    assert groups == [{"slug": "ring", "name": "Ring, renamed", "members": 2}]
    refused = submit(
        member, "/sharing/groups/ring", "/sharing/groups/ring", {"name": "", "members": "nobody"}
    )
    assert refused.status_code == 422
    assert member.get(f"{API}/groups").json()["items"] == groups

    # A member of the group reads it but has no form; outsiders get 404, as from the API.
    other = platform.login(platform.world.other_admin)
    shown = get(other, "/sharing/groups/ring")
    assert shown.status_code == 200
    assert "/sharing/groups/ring/delete" not in shown.text
    token = other.headers["X-CSRF-Token"]
    assert (
        other.post(
            "/sharing/groups/ring", data={"csrf_token": token, "name": "x"}, headers=HTML
        ).status_code
        == other.patch(f"{API}/groups/ring", json={"name": "x"}).status_code
    )
    viewer = platform.login(platform.world.member_viewer)
    assert get(viewer, "/sharing/groups/ring").status_code == 200
    for missing in ("no-such-group", "ring"):
        operator_less = platform.client()
        assert get(operator_less, f"/sharing/groups/{missing}").status_code == 401
    member.post(f"{API}/groups", json={"slug": "closed", "name": "Closed"})
    hidden, absent = get(other, "/sharing/groups/closed"), get(other, "/sharing/groups/no-such")
    assert hidden.status_code == absent.status_code == 404
    assert "Closed" not in hidden.text

    deleted = submit(
        member, "/sharing/groups/ring", "/sharing/groups/ring/delete", {"confirm": "true"}
    )
    assert deleted.status_code == 303
    assert [g["slug"] for g in member.get(f"{API}/groups").json()["items"]] == ["closed"]


def test_an_object_is_added_by_form_with_its_marking_or_nothing_is(platform: Platform) -> None:
    operator = platform.login(platform.world.operator_analyst)
    operator.post(
        f"{API}/collections",
        json={"alias": "intel", "title": "I", "community": True, "members_write": True},
    )
    member = platform.login(platform.world.member_admin)
    page = "/sharing/collections/intel"
    assert "Add an object" in get(member, page).text

    unmarked = indicator("form-1", None)
    added = submit(
        member, page, f"{page}/objects", {"stix": orjson.dumps(unmarked).decode(), "tlp": "AMBER"}
    )
    assert added.status_code == 303, added.text[:800]
    shown = get(member, added.headers["location"])
    assert f'data-stix-id="{unmarked["id"]}"' in shown.text
    stored = member.get(f"{API}/collections/intel/objects").json()["items"]
    assert [o["object_marking_refs"] for o in stored] == [
        ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]
    ]

    def refused(data: dict[str, str], field: str) -> None:
        answer = submit(member, page, f"{page}/objects", data)
        assert answer.status_code == 422, answer.text[:500]
        assert field in _errors(answer.text), _errors(answer.text)
        assert len(member.get(f"{API}/collections/intel/objects").json()["items"]) == 1

    green = orjson.dumps(indicator("form-2", Tlp.GREEN)).decode()
    refused({"stix": green}, "tlp")  # no marking chosen: never a default
    refused({"stix": green, "tlp": "RED"}, "tlp")  # marked otherwise
    refused({"stix": "{not json", "tlp": "GREEN"}, "stix")
    bad = indicator("form-3", Tlp.GREEN) | {"pattern": "[not a pattern"}
    both = orjson.dumps({"type": "bundle", "objects": [indicator("form-4", Tlp.GREEN), bad]})
    refused({"stix": both.decode(), "tlp": "GREEN"}, "stix")  # one refused: none added
    refused({"stix": green, "tlp": "GREEN", "sharing_group": "no-such"}, "sharing_group")

    # Nobody else may write: answered as the API answers.
    other_page = platform.client()
    assert other_page.post(f"{page}/objects", data={"stix": green}).status_code in (401, 403)


def test_the_operator_configures_runs_and_removes_a_sync_source(platform: Platform) -> None:
    operator = platform.login(platform.world.operator_admin)
    operator.post(f"{API}/collections", json={"alias": "mirror", "title": "Mirror"})
    page = "/sharing/sync/mirror"
    bad = submit(operator, page, page, {"url": "not a url", "interval_minutes": "60"})
    assert bad.status_code == 422
    assert operator.get(f"{API}/collections/mirror/sync").status_code == 404
    saved = submit(
        operator,
        page,
        page,
        {
            "url": "https://peer.test/taxii2/root/collections/abc/",
            "username": "puller",
            "secret": SECRET,
            "interval_minutes": "30",
            "enabled": "true",
        },
    )
    assert saved.status_code == 303, saved.text[:500]
    api = operator.get(f"{API}/collections/mirror/sync").json()
    assert (api["interval_minutes"], api["has_credential"]) == (30, True)
    listing = get(operator, "/sharing/sync")
    assert 'data-sync-url="https://peer.test/taxii2/root/collections/abc/"' in listing.text
    for shown in (listing, get(operator, page)):
        assert SECRET not in shown.text
    ran = submit(operator, "/sharing/sync", "/sharing/sync/mirror/run", {})
    assert ran.status_code == 303
    removed = submit(operator, "/sharing/sync", "/sharing/sync/mirror/remove", {})
    assert removed.status_code == 303
    assert operator.get(f"{API}/collections/mirror/sync").status_code == 404
    again = submit(operator, "/sharing/sync", "/sharing/sync/mirror/run", {})
    assert again.status_code == 422

    # Members: 403 for the page and every form, whether the collection exists or not.
    member = platform.login(platform.world.member_admin)
    for path in ("/sharing/sync", "/sharing/sync/mirror", "/sharing/sync/no-such"):
        assert get(member, path).status_code == 403
    assert get(platform.client(), "/sharing/sync").status_code == 401


def test_the_summary_names_only_the_sighters_that_chose_to(platform: Platform) -> None:
    world = platform.world
    operator = platform.login(world.operator_analyst)
    operator.post(
        f"{API}/collections",
        json={"alias": "intel", "title": "I", "community": True, "members_write": True},
    )
    member = platform.login(world.member_admin)
    other = platform.login(world.other_admin)
    target = indicator("sighted", Tlp.GREEN)
    assert member.post(f"{API}/collections/intel/objects", json={"objects": [target]}).is_success
    named_other = {
        # other's sighting claims to be by "member": the claim names nobody
        "created_by_ref": stix_uuid("identity", "member"),
        "where_sighted_refs": [stix_uuid("identity", "member")],
    }
    posts = [
        (other, sighting("revealed", target["id"]) | named_other, True),
        (operator, sighting("anonymous", target["id"]), False),
        (other, sighting("claimed", target["id"]) | named_other, False),
    ]
    for client, obj, reveal in posts:
        sent = client.post(
            f"{API}/collections/intel/objects", json={"objects": [obj], "reveal_sighter": reveal}
        )
        assert sent.status_code == 201, sent.text
        assert not sent.json()["failures"], sent.text
    summary = member.get(f"{API}/sightings").json()["items"]
    assert summary == [
        {
            "object": target["id"],
            "sightings": 3,
            "count": 3,
            "first_seen": summary[0]["first_seen"],
            "last_seen": summary[0]["last_seen"],
            "revealed": [{"slug": "other", "name": "Other", "sightings": 1}],
            "anonymous": 2,
        }
    ]
    page = get(member, "/sharing/sightings")
    assert re.findall(r'data-sighter="([^"]+)"', page.text) == ["other"]
    assert 'data-anonymous="2"' in page.text
    assert "Operator" not in page.text.split("<main", 1)[1]

    # A later version without the flag withdraws the name.
    newer = sighting("revealed", target["id"]) | {"modified": "2026-12-01T00:00:00.000Z"}
    other.post(f"{API}/collections/intel/objects", json={"objects": [newer]})
    again = member.get(f"{API}/sightings").json()["items"][0]
    assert (again["revealed"], again["anonymous"]) == ([], 3)

    # The form's checkbox sets the flag; a TAXII-posted sighting never reveals.
    form = sighting("by-form", target["id"])
    answer = submit(
        other,
        "/sharing/collections/intel",
        "/sharing/collections/intel/objects",
        {"stix": orjson.dumps(form).decode(), "tlp": "GREEN", "reveal_sighter": "true"},
    )
    assert answer.status_code == 303, answer.text[:500]
    last = member.get(f"{API}/sightings").json()["items"][0]
    assert (last["revealed"], last["anonymous"]) == (
        [{"slug": "other", "name": "Other", "sightings": 1}],
        3,
    )


def test_what_the_forms_show_back_stays_text(platform: Platform) -> None:
    payload = '<script>alert("x")</script>'
    operator = platform.login(platform.world.operator_analyst)
    member = platform.login(platform.world.member_admin)
    member.post(f"{API}/groups", json={"slug": "ring", "name": payload})
    operator.post(f"{API}/collections", json={"alias": "intel", "title": payload})
    operator.put(
        f"{API}/collections/intel/sync",
        json={"url": "https://peer.test/taxii2/root/collections/x/", "username": payload},
    )
    for client, path in (
        (member, "/sharing/groups/ring"),
        (operator, "/sharing/collections/intel/settings"),
        (operator, "/sharing/sync"),
        (operator, "/sharing/sync/intel"),
    ):
        shown = get(client, path)
        assert shown.status_code == 200, path
        assert "<script>alert" not in shown.text, path
        assert "&lt;script&gt;" in shown.text, path
