"""The sharing pages over HTTP: a collection's objects with their TLP markings as the API
answers them (an AMBER object shared with a group is absent for a member outside it, from
the page as from the API), the groups, the producer's sightings summary, payloads kept as
text, and the pages' refusals."""

from __future__ import annotations

import re

import httpx
import pytest

from clearinghouse.formats.model import Tlp
from clearinghouse.web.pages_sharing import _shown
from tests.functional.conftest import Platform
from tests.support.stix_objects import indicator, sighting, stix_uuid
from tests.support.web import get

pytestmark = pytest.mark.slow
API = "/api/v1/sharing"
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
_ROW = re.compile(r'<tr data-stix-id="([^"]+)">\s*<td><span class="tlp ([a-z-]+)"[^>]*>([^<]+)<')


def _rows(page: httpx.Response) -> dict[str, tuple[str, str]]:
    """STIX id -> (CSS class of its TLP label, the label's text)."""
    assert page.status_code == 200, page.text[:300]
    return {sid: (css, text) for sid, css, text in _ROW.findall(page.text)}


def test_sharing_pages_show_what_the_api_shows(platform: Platform) -> None:
    world = platform.world
    operator = platform.login(world.operator_analyst)
    member = platform.login(world.member_admin)
    other = platform.login(world.other_admin)
    ring = member.post(f"{API}/groups", json={"slug": "ring", "name": PAYLOAD, "members": []})
    assert ring.status_code == 201, ring.text
    created = operator.post(
        f"{API}/collections",
        json={
            "alias": "intel",
            "title": PAYLOAD,
            "community": True,
            "members_write": True,
            "sharing_groups": ["ring"],
        },
    )
    assert created.status_code == 201, created.text
    marked = {tlp: indicator(tlp.name, tlp, name=f"{PAYLOAD} {tlp.name}") for tlp in Tlp}
    added = member.post(
        f"{API}/collections/intel/objects",
        json={"objects": list(marked.values()), "sharing_group": "ring"},
    )
    assert added.status_code == 201, added.text
    amber = marked[Tlp.AMBER]["id"]

    # The producer sees all five, each in its TLP 2.0 colours.
    own = _rows(get(member, "/sharing/collections/intel"))
    assert own == {
        marked[Tlp.CLEAR]["id"]: ("tlp-clear", "TLP:CLEAR"),
        marked[Tlp.GREEN]["id"]: ("tlp-green", "TLP:GREEN"),
        marked[Tlp.AMBER]["id"]: ("tlp-amber", "TLP:AMBER"),
        marked[Tlp.AMBER_STRICT]["id"]: ("tlp-amber", "TLP:AMBER+STRICT"),
        marked[Tlp.RED]["id"]: ("tlp-red", "TLP:RED"),
    }

    # A member outside the AMBER audience: the AMBER object is absent from the page, as
    # from the API, and so is every other identifier the API does not give it.
    page = get(other, "/sharing/collections/intel")
    api = other.get(f"{API}/collections/intel/objects")
    assert set(_rows(page)) == {o["id"] for o in api.json()["items"]}
    assert amber not in page.text
    assert amber not in api.text
    assert set(_rows(page)) == {marked[Tlp.CLEAR]["id"], marked[Tlp.GREEN]["id"]}

    # Payloads stay text: in the title, the objects' names, the group's name.
    for client, path in (
        (member, "/sharing/collections"),
        (member, "/sharing/collections/intel"),
        (member, "/sharing/groups"),
    ):
        shown = get(client, path)
        assert shown.status_code == 200
        assert "<script>alert" not in shown.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in shown.text
    groups = get(member, "/sharing/groups")
    assert re.findall(r'data-group="([^"]+)"', groups.text) == ["ring"]
    assert re.findall(r'data-group="([^"]+)"', get(other, "/sharing/groups").text) == []

    # Sightings: counts and first/last seen of what the member shared, never who.
    target = marked[Tlp.GREEN]["id"]
    for n, client in enumerate((other, operator)):
        sent = client.post(
            f"{API}/collections/intel/objects",
            json={"objects": [sighting(n, target, Tlp.RED, count=3, days=n)]},
        )
        assert sent.status_code == 201, sent.text
    summary = get(member, "/sharing/sightings")
    assert summary.status_code == 200
    assert re.findall(r'data-object="([^"]+)"', summary.text) == [target]
    row = summary.text.split(f'data-object="{target}"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"<td>([^<]*)</td>", row)[:2] == ["2", "6"]
    # first and last seen as instants in the viewer's zone (UTC here), the zone named
    assert re.findall(r'<time datetime="([^"]+)"', row) == [
        "2026-09-01T12:00:00Z",
        "2026-09-02T13:00:00Z",
    ]
    assert "UTC" in row
    for who in (world.other_admin, world.operator_analyst):
        assert who not in summary.text
    assert stix_uuid("sighting", 0) not in summary.text
    # The RED sightings are not the member's to read: absent from its collection page.
    assert stix_uuid("sighting", 0) not in get(member, "/sharing/collections/intel").text


def test_sharing_pages_refuse_as_the_api(platform: Platform) -> None:
    anonymous = platform.client()
    assert get(anonymous, "/sharing/groups").status_code == 401
    assert get(anonymous, "/sharing/sightings").status_code == 401
    member = platform.login(platform.world.member_admin)
    missing = get(member, "/sharing/collections/no-such-collection")
    api = member.get(f"{API}/collections/no-such-collection/objects")
    assert missing.status_code == api.status_code
    assert missing.headers["content-type"].startswith("text/html")
    long = get(member, "/sharing/collections/intel", params={"cursor": "z" * 101})
    assert long.status_code == 422


def test_an_object_without_a_tlp_marking_is_never_shown_as_clear() -> None:
    unmarked = indicator("u", None)
    assert _shown(unmarked)["tlp"] is None
    assert _shown(indicator("c", Tlp.CLEAR))["tlp"] == "CLEAR"
    tlp1_white = indicator("w", None) | {
        "object_marking_refs": ["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]
    }
    assert (
        _shown(tlp1_white)["tlp"] == "CLEAR"
    )  # TLP 1.0 WHITE reads as CLEAR, as the store reads it
