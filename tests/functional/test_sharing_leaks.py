"""Zero leaks: every TLP level x every reader kind (anonymous, a member in good standing, an
organisation in the audience, a suspended member, a named user), through every TAXII read
(objects, manifest, one object, its versions, with filters) and through the OSV API
(records of advisories marked at each level). Each reader must see exactly what TLP 2.0
entitles it to: nothing more (a leak), nothing less. A hidden object answers exactly as a
missing one. On SQLite and PostgreSQL. The TAXII walks once more with each level's
versions in a block of their own, so that the default pages come from blocks wherever
the reader may see one whole.

The producer shares one indicator per level into a community collection; the AMBER one's
audience is the sharing group holding ``audience``; AMBER+STRICT names ``named`` and
``suspended``; RED names ``named``'s user and ``suspended``'s. Advisories: one per level,
naming ``named`` (AMBER, AMBER+STRICT) and its user (RED), and ``suspended`` likewise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import Organisation, User
from clearinghouse.advisories import publish, service
from clearinghouse.advisories.schemas import DraftIn
from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.formats.model import Tlp
from clearinghouse.formats.stix import TLP_MARKING
from clearinghouse.principal import SYSTEM, Scope, Via
from clearinghouse.sharing import blocks, store
from clearinghouse.sharing import service as sharing
from clearinghouse.sharing.models import SharedBlock
from clearinghouse.sharing.taxii_http import TAXII_MEDIA
from clearinghouse.timeutil import FixedClock
from clearinghouse.vocab import OrgKind, Role
from tests.functional.conftest import make_settings
from tests.support.advisories import log4shell_draft
from tests.support.casework import suspend
from tests.support.server import serve
from tests.support.stix_objects import indicator, stix_uuid

pytestmark = pytest.mark.slow
T0 = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
READERS = ("anonymous", "member", "audience", "suspended", "named")
EXPECTED = {
    Tlp.CLEAR: {"anonymous", "member", "audience", "suspended", "named"},
    Tlp.GREEN: {"member", "audience", "named"},
    Tlp.AMBER: {"audience", "named"},
    Tlp.AMBER_STRICT: {"named"},
    Tlp.RED: {"named"},
}
ADVISORY_EXPECTED = {  # advisories have no sharing group: the named organisation is the audience
    Tlp.CLEAR: {"anonymous", "member", "audience", "suspended", "named"},
    Tlp.GREEN: {"member", "audience", "named"},
    Tlp.AMBER: {"named"},
    Tlp.AMBER_STRICT: {"named"},
    Tlp.RED: {"named"},
}


@dataclass
class World:
    base: str
    collection: str
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    advisories: dict[Tlp, str] = field(default_factory=dict)

    def objects_url(self) -> str:
        return f"/taxii2/root/collections/{self.collection}/"


def _org(session: object, slug: str) -> Organisation:
    return accounts.create_organisation(
        session,  # type: ignore[arg-type]
        actor=SYSTEM,
        now=T0,
        slug=slug,
        name=slug.title(),
        kind=OrgKind.MEMBER,
        country="CN",
    )


def _user(session: object, org: Organisation) -> tuple[User, str]:
    user = accounts.create_user(
        session,  # type: ignore[arg-type]
        actor=SYSTEM,
        now=T0,
        email=f"admin@{org.slug}.test",
        name=org.slug,
        password=None,
        organisation=org,
        role=Role.ADMIN,
    )
    token = accounts.create_token(
        session,  # type: ignore[arg-type]
        actor=SYSTEM,
        user=user,
        org_id=org.id,
        name="t",
        scopes={Scope.TAXII, Scope.READ},
        now=T0,
        expires_at=None,
    ).secret
    return user, token


def _report(tlp: Tlp) -> dict[str, object]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": stix_uuid("report", tlp.value),
        "created": "2026-09-01T12:00:00.000Z",
        "modified": "2026-09-01T12:00:00.000Z",
        "name": f"{tlp.value} report",
        "published": "2026-09-01T12:00:00.000Z",
        "object_refs": [stix_uuid("indicator", tlp.value)],
        "object_marking_refs": [TLP_MARKING[tlp]],
    }


def _build(database: Database, base_url: str) -> tuple[str, dict[str, str], dict[Tlp, str]]:
    settings = make_settings(database.url, base_url=base_url)
    tokens: dict[str, str] = {}
    advisories: dict[Tlp, str] = {}
    with database.transaction() as s:
        orgs = {slug: _org(s, slug) for slug in ("producer", *READERS[1:])}
        users = {}
        for slug, org in orgs.items():
            users[slug], tokens[slug] = _user(s, org)
        suspend(s, orgs["suspended"].id, T0)
        group = sharing.create_group(
            s,
            actor=SYSTEM,
            slug="circle",
            name="Circle",
            owner_org_id=orgs["producer"].id,
            member_org_ids=[orgs["audience"].id, orgs["suspended"].id],
            now=T0,
        )
        collection = sharing.create_collection(
            s,
            sharing.CollectionSpec(
                alias="intel",
                title="Intel",
                public=True,
                community=True,
                writer_org_ids=frozenset({orgs["producer"].id}),
            ),
            actor=SYSTEM,
            now=T0,
        )
        producer = accounts.principal_for(
            accounts.membership_of(s, users["producer"].id), Via.TOKEN
        )
        named_orgs = frozenset({orgs["named"].id, orgs["suspended"].id})
        named_users = frozenset({users["named"].id, users["suspended"].id})
        for tlp in Tlp:
            audience = store.Audience(
                group_ids=frozenset({group.id}), org_ids=named_orgs, user_ids=named_users
            )
            later = T0 - timedelta(days=1)
            versions = [
                indicator(tlp.value, tlp),
                indicator(tlp.value, tlp, modified=later),
                _report(tlp),
            ]
            outcome = store.add_objects(
                s, collection, producer, versions, now=T0, audience=audience
            )
            assert not outcome.failures
        collection_id = str(collection.id)
        publisher = service.platform_publisher(settings)
        render = publish.render_context(settings.base_url, settings.platform_name)
        for tlp in Tlp:
            body = DraftIn.model_validate(
                log4shell_draft(
                    tlp=tlp.value,
                    title=f"{tlp.value} advisory",
                    recipient_org_ids=[str(o) for o in named_orgs],
                    recipient_user_ids=[str(u) for u in named_users],
                )
            )
            saved = service.create_draft(s, body, actor=SYSTEM, now=T0, publisher=publisher)
            publish.publish(s, saved.advisory, actor=SYSTEM, now=T0, render=render)
            advisories[tlp] = saved.advisory.public_id
    return collection_id, tokens, advisories


@pytest.fixture
def world(database: Database) -> Iterator[World]:
    yield from _world(database)


@pytest.fixture
def world_in_blocks(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The same world with blocks of 3 (``sharing/blocks.py``): each level's versions fill
    one, so the default pages are served from blocks to whoever sees them whole."""
    monkeypatch.setattr(blocks, "SIZE", 3)
    built = _world(database)
    found = next(built)
    with database.transaction(write=False) as s:
        assert len(s.scalars(select(SharedBlock.lo)).all()) == len(Tlp)
    yield found
    next(built, None)


def _world(database: Database) -> Iterator[World]:
    collection, tokens, advisories = _build(database, "http://test")
    settings = make_settings(database.url, base_url="http://test")
    app = create_app(settings, clock=FixedClock(T0), database=database)
    with serve(app) as base:
        found = World(base, collection, advisories=advisories)
        for who in READERS:
            headers = {"Accept": TAXII_MEDIA}
            if who != "anonymous":
                headers["Authorization"] = f"Bearer {tokens[who]}"
            found.clients[who] = httpx.Client(base_url=base, headers=headers, timeout=30)
        yield found
        for client in found.clients.values():
            client.close()


def _listed(response: httpx.Response, key: str = "objects") -> set[str]:
    assert response.status_code == 200, response.text
    return {o["id"] for o in response.json().get(key, [])}


def _ids(levels: set[Tlp] | list[Tlp], kind: str = "indicator") -> set[str]:
    return {stix_uuid(kind, tlp.value) for tlp in levels}


@pytest.mark.parametrize("who", READERS)
def test_taxii_lists_exactly_what_tlp_entitles(world: World, who: str) -> None:
    _lists_exactly_what_tlp_entitles(world, who)


@pytest.mark.parametrize("who", READERS)
def test_taxii_pages_from_blocks_list_exactly_what_tlp_entitles(
    world_in_blocks: World, who: str
) -> None:
    _lists_exactly_what_tlp_entitles(world_in_blocks, who)


def _lists_exactly_what_tlp_entitles(world: World, who: str) -> None:
    client = world.clients[who]
    entitled = [tlp for tlp in Tlp if who in EXPECTED[tlp]]
    base = world.objects_url()
    for params in ({}, {"match[version]": "all"}, {"match[version]": "first"}, {"limit": "1"}):
        seen: set[str] = set()
        query = dict(params)
        while True:  # every page, following next
            response = client.get(base + "objects/", params=query)
            seen |= _listed(response)
            if not response.json()["more"]:
                break
            query = {**params, "next": response.json()["next"]}
        assert seen == _ids(entitled) | _ids(entitled, "report"), params
    manifest = client.get(base + "manifest/", params={"limit": "100"})
    assert _listed(manifest) == _ids(entitled) | _ids(entitled, "report")
    for tlp in Tlp:
        oid = stix_uuid("indicator", tlp.value)
        assert _listed(client.get(base + "objects/", params={"match[id]": oid})) == (
            {oid} if tlp in entitled else set()
        )


@pytest.mark.parametrize("who", READERS)
def test_the_misp_feed_lists_exactly_what_tlp_entitles(world: World, who: str) -> None:
    client = world.clients[who]
    entitled = [tlp for tlp in Tlp if who in EXPECTED[tlp]]
    wanted = {i.split("--")[1] for i in _ids(entitled, "report")}
    manifest = client.get("/feeds/misp/manifest.json")
    assert set(manifest.json()) == wanted
    hashes = client.get("/feeds/misp/hashes.csv").text
    for tlp in Tlp:
        key = stix_uuid("report", tlp.value).split("--")[1]
        answer = client.get(f"/feeds/misp/{key}.json")
        if tlp in entitled:
            tags = [t["name"] for t in answer.json()["Event"]["Tag"]]
            assert tags == [f"tlp:{tlp.value.lower()}"]
            assert key in hashes
        else:
            assert answer.status_code == 404, tlp
            assert key not in hashes


@pytest.mark.parametrize("who", READERS)
def test_a_hidden_object_answers_as_a_missing_one(world: World, who: str) -> None:
    client = world.clients[who]
    base = world.objects_url()
    missing = client.get(base + "objects/indicator--00000000-0000-4000-8000-000000000000/")
    assert missing.status_code in (401, 404)
    for tlp in Tlp:
        oid = stix_uuid("indicator", tlp.value)
        for path in (f"objects/{oid}/", f"objects/{oid}/versions/"):
            answer = client.get(base + path)
            if who in EXPECTED[tlp]:
                assert answer.status_code == 200, (tlp, path)
                if path.endswith("versions/"):
                    assert len(answer.json()["versions"]) == 2
                else:
                    assert _listed(answer) == {oid}
            else:
                assert answer.status_code == missing.status_code, (tlp, path)
                assert answer.json()["description"] == missing.json()["description"]


@pytest.mark.parametrize("who", READERS)
def test_the_osv_api_serves_exactly_what_tlp_entitles(world: World, who: str) -> None:
    client = world.clients[who]
    for tlp, public_id in world.advisories.items():
        answer = client.get(f"/osv/v1/vulns/{public_id}")
        if who in ADVISORY_EXPECTED[tlp]:
            assert answer.status_code == 200, (tlp, answer.text)
        else:
            assert answer.status_code == 404, tlp
            assert answer.json() == {"code": 5, "message": "Bug not found."}


# ---- the pages and their forms ------------------------------------------------------------

PAGE = {"Accept": "text/html"}
_STIX_ROW = re.compile(r'data-stix-id="([^"]+)"')


def _page(client: httpx.Client, path: str) -> httpx.Response:
    return client.get(path, headers=PAGE)


@pytest.mark.parametrize("who", READERS)
def test_the_collection_page_lists_exactly_what_tlp_entitles(world: World, who: str) -> None:
    client = world.clients[who]
    entitled = [tlp for tlp in Tlp if who in EXPECTED[tlp]]
    page = _page(client, f"/sharing/collections/{world.collection}")
    assert page.status_code == 200, page.text[:300]
    assert set(_STIX_ROW.findall(page.text)) == _ids(entitled) | _ids(entitled, "report")
    for tlp in Tlp:  # nothing of an object one may not read, anywhere on the page
        if tlp not in entitled:
            assert stix_uuid("indicator", tlp.value) not in page.text
            assert f"{tlp.value} report" not in page.text


@pytest.mark.parametrize("who", READERS)
def test_the_sharing_forms_answer_a_hidden_thing_as_a_missing_one(world: World, who: str) -> None:
    """The group page, its forms, the operator's collection and sync pages: whoever may
    not see the group or collection gets the same answer as for one that does not exist,
    never a 403 that a 404 would not give."""
    client = world.clients[who]
    for real, missing in (
        ("/sharing/groups/circle", "/sharing/groups/no-such-group"),
        (f"/sharing/collections/{world.collection}/settings", "/sharing/collections/no/settings"),
        (f"/sharing/sync/{world.collection}", "/sharing/sync/no-such-collection"),
    ):
        shown, absent = _page(client, real), _page(client, missing)
        member_of_circle = who in ("audience", "suspended") and "groups" in real
        if member_of_circle:
            assert shown.status_code == 200, (real, shown.status_code)
            assert absent.status_code == 404
        else:
            assert shown.status_code == absent.status_code, (real, shown.status_code)
            assert "Circle" not in shown.text
    for path in (f"/sharing/collections/{world.collection}/settings", "/sharing/sync"):
        assert _page(client, path).status_code in (401, 403)  # the operator's alone


@pytest.mark.parametrize("who", READERS)
def test_the_add_object_form_answers_as_the_api(world: World, who: str) -> None:
    client = world.clients[who]
    # A bearer token needs no CSRF token (the anonymous sends the double-submit pair); the
    # form is refused exactly as the API refuses.
    csrf = "leak-test-csrf-token-0123456789"
    form = client.post(
        f"/sharing/collections/{world.collection}/objects",
        data={"stix": "{}", "tlp": "GREEN", "csrf_token": csrf},
        headers=PAGE | {"Cookie": f"ch_csrf={csrf}"},
    )
    api = client.post(
        f"/api/v1/sharing/collections/{world.collection}/objects",
        json={"objects": []},
        headers={"Accept": "application/json"},
    )
    assert form.status_code == api.status_code, (form.status_code, api.status_code)
    assert form.status_code in (401, 403)  # none of them writes to the producer's collection


@pytest.mark.parametrize("who", READERS)
def test_the_sightings_page_never_names_a_sighter_that_did_not_choose_to(
    world: World, who: str
) -> None:
    client = world.clients[who]
    page = _page(client, "/sharing/sightings")
    if who == "anonymous":
        assert page.status_code == 401
        return
    assert page.status_code == 200
    assert 'data-sighter="' not in page.text  # nobody here shared, nobody revealed
