"""The TAXII 2.1 server driven by the real client, ``taxii2-client`` (``taxii2client.v21``),
over HTTP: discovery, the API root, collections, adding objects (waiting on the status),
getting objects with every filter, the manifest, versions (first, last, all), delete,
paging with ``as_pages`` (no object lost or repeated when hundreds share one
``date_added``), errors and media types. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import requests
from sqlalchemy import select
from taxii2client.exceptions import AccessError
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from clearinghouse.formats.model import Tlp
from clearinghouse.sharing.models import SharedAccess
from clearinghouse.sharing.taxii_http import TAXII_MEDIA
from tests.functional.conftest import Platform
from tests.support.collections import member_writable_collection
from tests.support.stix_objects import CREATED, indicator, stix_uuid

pytestmark = pytest.mark.slow


@dataclass
class Taxii:
    platform: Platform
    token: str
    collection_id: str

    @property
    def discovery(self) -> str:
        return self.platform.url + "/taxii2/"

    def server(self, token: str | None = None) -> Server:
        return Server(self.discovery, user="taxii", password=token or self.token)

    def collection(self, token: str | None = None) -> Collection:
        url = f"{self.discovery}root/collections/{self.collection_id}/"
        return Collection(url, user="taxii", password=token or self.token)

    def http(self, **headers: str) -> httpx.Client:
        return self.platform.client(
            headers={"Authorization": f"Bearer {self.token}", "Accept": TAXII_MEDIA, **headers}
        )


@pytest.fixture
def taxii(platform: Platform) -> Taxii:
    collection_id = member_writable_collection(
        platform.database, platform.clock, "indicators", "Indicators"
    )
    token = platform.token(platform.world.member_admin, ["taxii"])
    return Taxii(platform, token, collection_id)


def _ids(envelope: dict[str, Any]) -> list[str]:
    return [o["id"] for o in envelope.get("objects", [])]


def test_discovery_api_root_and_collections(taxii: Taxii) -> None:
    server = taxii.server()
    assert server.title.endswith("TAXII 2.1")
    (root,) = server.api_roots
    assert isinstance(root, ApiRoot)
    assert root.versions == [TAXII_MEDIA]
    assert root.max_content_length > 0
    (collection,) = root.collections
    assert collection.id == taxii.collection_id
    assert collection.can_read
    assert collection.can_write
    assert collection.media_types == ["application/stix+json;version=2.1"]


def test_add_objects_waits_on_a_complete_status_and_a_duplicate_is_no_error(taxii: Taxii) -> None:
    collection = taxii.collection()
    envelope = {"objects": [indicator(1), indicator(2), indicator(3, tlp=None)]}
    status = collection.add_objects(envelope, wait_for_completion=True, poll_interval=0.1)
    assert status.status == "complete"
    assert (status.total_count, status.success_count, status.failure_count) == (3, 2, 1)
    assert "no TLP marking" in status.failures[0]["message"]
    assert status.failures[0]["id"] == stix_uuid("indicator", 3)
    again = collection.add_objects({"objects": [indicator(1)]}, wait_for_completion=True)
    assert (again.success_count, again.failure_count) == (1, 0)
    assert _ids(collection.get_objects()) == [stix_uuid("indicator", 1), stix_uuid("indicator", 2)]
    fetched = taxii.server().api_roots[0].get_status(status.id)
    assert fetched.success_count == 2


def test_every_filter(taxii: Taxii) -> None:
    collection = taxii.collection()
    clock = taxii.platform.clock
    v1, v2, v3 = (CREATED + timedelta(days=d) for d in (0, 1, 2))
    collection.add_objects({"objects": [indicator("a", modified=v1), indicator("b")]})
    clock.advance(timedelta(seconds=1))
    collection.add_objects({"objects": [indicator("a", modified=v2), indicator("a", modified=v3)]})
    a, b = stix_uuid("indicator", "a"), stix_uuid("indicator", "b")

    def versions(envelope: dict[str, Any]) -> list[str]:
        return [o["modified"] for o in envelope.get("objects", [])]

    assert set(_ids(collection.get_objects())) == {a, b}  # last version by default
    assert versions(collection.get_objects(id=a)) == ["2026-09-03T12:00:00.000Z"]
    assert versions(collection.get_objects(id=a, version="first")) == ["2026-09-01T12:00:00.000Z"]
    assert len(versions(collection.get_objects(id=a, version="all"))) == 3
    assert versions(collection.get_objects(id=a, version="2026-09-02T12:00:00.000Z")) == [
        "2026-09-02T12:00:00.000Z"
    ]
    assert len(collection.get_objects(id=a, version="first,last")["objects"]) == 2
    assert set(_ids(collection.get_objects(type="indicator"))) == {a, b}
    assert collection.get_objects(type="malware").get("objects", []) == []
    assert set(_ids(collection.get_objects(id=[a, b]))) == {a, b}
    assert len(_ids(collection.get_objects(spec_version="2.1"))) == 2
    assert _ids(collection.get_objects(spec_version="2.0")) == []
    first_added = collection.get_objects(id=b)
    after = first_added["objects"][0]["modified"]  # any instant before the second POST:
    response = collection.get_objects(
        added_after=taxii.platform.clock.now() - timedelta(milliseconds=500)
    )
    assert _ids(response) == [a]  # only what the second POST added
    assert after
    one = collection.get_object(a, version="all")
    assert len(one["objects"]) == 3
    listed = collection.object_versions(a)
    assert listed["versions"] == [
        "2026-09-01T12:00:00.000Z",
        "2026-09-02T12:00:00.000Z",
        "2026-09-03T12:00:00.000Z",
    ]
    manifest = collection.get_manifest(id=a, version="all")
    assert [m["version"] for m in manifest["objects"]] == listed["versions"]
    assert {m["media_type"] for m in manifest["objects"]} == {"application/stix+json;version=2.1"}


def test_headers_on_every_200(taxii: Taxii) -> None:
    taxii.collection().add_objects({"objects": [indicator(1)]})
    http = taxii.http()
    base = f"/taxii2/root/collections/{taxii.collection_id}/"
    oid = stix_uuid("indicator", 1)
    for path in ("objects/", "manifest/", f"objects/{oid}/", f"objects/{oid}/versions/"):
        response = http.get(base + path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == TAXII_MEDIA
        assert response.headers["X-TAXII-Date-Added-First"].endswith("Z")
        assert response.headers["X-TAXII-Date-Added-Last"] == "2026-10-01T10:00:00.000000Z"


def test_delete_removes_every_version(taxii: Taxii) -> None:
    collection = taxii.collection()
    later = CREATED + timedelta(days=1)
    collection.add_objects({"objects": [indicator(1), indicator(1, modified=later)]})
    oid = stix_uuid("indicator", 1)
    collection.delete_object(oid)
    with pytest.raises(requests.HTTPError) as refused:
        collection.get_object(oid)
    answer = refused.value.response
    assert answer is not None
    assert answer.status_code == 404
    assert answer.json()["http_status"] == "404"


def test_as_pages_loses_and_repeats_nothing_when_hundreds_share_one_date_added(
    taxii: Taxii,
) -> None:
    collection = taxii.collection()
    objects = [indicator(n) for n in range(450)]
    for start in range(0, 450, 50):  # nine POSTs, all at one frozen instant
        collection.add_objects({"objects": objects[start : start + 50]})
    manifest = collection.get_manifest()
    assert {m["date_added"] for m in manifest["objects"]} == {"2026-10-01T10:00:00.000000Z"}
    seen: list[str] = []
    pages = 0
    for page in as_pages(collection.get_objects, per_request=70):
        pages += 1
        seen.extend(_ids(page))
        assert len(page.get("objects", [])) <= 70
        assert page["more"] is ("next" in page)
    assert pages == 7
    assert len(seen) == len(set(seen)) == 450
    assert set(seen) == {o["id"] for o in objects}
    manifest_ids = [
        m["id"] for p in as_pages(collection.get_manifest, per_request=100) for m in p["objects"]
    ]
    assert manifest_ids == seen


def test_errors_are_taxii_error_bodies_with_the_real_status(taxii: Taxii) -> None:
    http = taxii.http()
    base = f"/taxii2/root/collections/{taxii.collection_id}/objects/"
    for query in (
        "added_after=yesterday",
        "added_after=2026-13-01T00:00:00Z",
        "limit=0",
        "limit=-3",
        "limit=abc",
        "next=garbage!",
        "match[version]=newest",
        "match[colour]=red",
        "match[id]=",
        "added_after=2026-01-01T00:00:00Z&added_after=2026-01-02T00:00:00Z",
    ):
        response = http.get(f"{base}?{query}")
        assert response.status_code == 400, query
        assert response.headers["content-type"] == TAXII_MEDIA
        body = response.json()
        assert body["title"], query
        assert body["http_status"] == "400", query
    missing = http.get("/taxii2/root/collections/00000000-0000-4000-8000-000000000000/")
    assert missing.status_code == 404
    assert missing.json()["http_status"] == "404"
    assert http.get("/taxii2/nowhere/").status_code == 404


def test_media_types_are_negotiated(taxii: Taxii) -> None:
    base = f"/taxii2/root/collections/{taxii.collection_id}/objects/"
    http = taxii.http()
    assert http.get(base, headers={"Accept": "application/json"}).status_code == 406
    assert (
        http.get(base, headers={"Accept": "application/taxii+json;version=2.0"}).status_code == 406
    )
    assert http.get(base, headers={"Accept": "*/*"}).status_code == 200
    envelope = {"objects": [indicator(1)]}
    wrong = http.post(base, json=envelope)  # application/json
    assert wrong.status_code == 415
    assert wrong.json()["http_status"] == "415"
    right = http.post(base, json=envelope, headers={"Content-Type": TAXII_MEDIA})
    assert right.status_code == 202
    assert right.headers["content-type"] == TAXII_MEDIA


def test_authentication_tokens_only_and_a_challenge_on_401(taxii: Taxii) -> None:
    base = f"/taxii2/root/collections/{taxii.collection_id}/objects/"
    anonymous = taxii.platform.client(headers={"Accept": TAXII_MEDIA})
    refused = anonymous.get(base)
    assert refused.status_code == 401
    assert "Basic" in refused.headers["WWW-Authenticate"]
    assert refused.json()["http_status"] == "401"
    password = base64.b64encode(b"admin@member.test:correct horse battery staple").decode()
    account = anonymous.get(base, headers={"Authorization": f"Basic {password}"})
    assert account.status_code == 401  # account passwords are never checked here
    assert "API token" in account.json()["description"]
    read_only = taxii.platform.token(taxii.platform.world.member_admin, ["read"])
    assert anonymous.get(base, headers={"Authorization": f"Bearer {read_only}"}).status_code == 403
    other = taxii.platform.token(taxii.platform.world.other_admin, ["taxii"])
    collection = taxii.collection(other)
    assert collection.get_objects().get("objects", []) == []  # community: it reads
    assert not collection.can_write
    with pytest.raises(AccessError):
        collection.add_objects({"objects": [indicator(9)]})
    denied = anonymous.post(
        base,
        json={"objects": [indicator(9)]},
        headers={"Authorization": f"Bearer {other}", "Content-Type": TAXII_MEDIA},
    )
    assert denied.status_code == 403  # not a writer
    assert denied.json()["http_status"] == "403"


def test_a_new_version_may_not_lower_the_marking(taxii: Taxii) -> None:
    collection = taxii.collection()
    collection.add_objects({"objects": [indicator(1, tlp=Tlp.AMBER)]})
    later = CREATED + timedelta(days=1)
    status = collection.add_objects({"objects": [indicator(1, tlp=Tlp.GREEN, modified=later)]})
    assert status.failure_count == 1
    assert "may not lower" in status.failures[0]["message"]


def test_too_large_and_unprocessable_bodies(taxii: Taxii) -> None:
    base = f"/taxii2/root/collections/{taxii.collection_id}/objects/"
    http = taxii.http(**{"Content-Type": TAXII_MEDIA})
    assert http.post(base, content=b"{not json").status_code == 400
    assert http.post(base, content=b'{"objects": 3}').status_code == 400
    huge = b'{"objects": [' + b",".join([b'{"x": "' + b"a" * 1000 + b'"}'] * 80) + b"]}"
    response = http.post(base, content=huge)  # over this platform's 64 KiB body limit
    assert response.status_code == 413


def _access_rows(taxii: Taxii) -> list[tuple[Any, ...]]:
    with taxii.platform.database.transaction(write=False) as s:
        rows = s.execute(
            select(
                SharedAccess.route,
                SharedAccess.count,
                SharedAccess.first_seq,
                SharedAccess.last_seq,
                SharedAccess.query,
            ).order_by(SharedAccess.at, SharedAccess.first_seq)
        ).all()
    return [tuple(r) for r in rows]


def test_each_page_served_is_logged_with_its_bounds_and_a_refused_read_is_not(
    taxii: Taxii,
) -> None:
    taxii.collection().add_objects({"objects": [indicator(n) for n in range(5)]})
    http = taxii.http()
    base = f"/taxii2/root/collections/{taxii.collection_id}/"
    served: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    while True:
        page = http.get(base + "objects/", params=params)
        assert page.status_code == 200, page.text
        served += [o["id"] for o in page.json()["objects"]]
        if not page.json().get("more"):
            break
        params = {"limit": "2", "next": page.json()["next"]}
    assert sorted(served) == sorted(stix_uuid("indicator", n) for n in range(5))
    logged = _access_rows(taxii)
    assert [(route, count, first, last) for route, count, first, last, _ in logged] == [
        ("objects", 2, 1, 2),
        ("objects", 2, 3, 4),
        ("objects", 1, 5, 5),
    ]
    assert logged[0][4] == "limit=2"
    assert logged[1][4].startswith("limit=2&next=")
    # Refused before anything is read: nothing logged.
    assert (
        http.get(base.replace(taxii.collection_id, str(uuid.uuid4())) + "objects/").status_code
        == 404
    )
    assert taxii.platform.client().get(base + "objects/").status_code == 401
    assert http.get(base + "objects/?limit=0").status_code == 400
    assert len(_access_rows(taxii)) == 3


def test_a_page_that_cannot_be_logged_is_not_served(taxii: Taxii) -> None:
    taxii.collection().add_objects({"objects": [indicator(1)]})
    database = taxii.platform.database
    refuse = {
        "sqlite": [
            "CREATE TRIGGER refuse_access BEFORE INSERT ON shared_access_log "
            "BEGIN SELECT RAISE(ABORT, 'the access log refuses rows'); END"
        ],
        "postgresql": [
            "CREATE FUNCTION refuse_access() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the access log refuses rows'; END $$",
            "CREATE TRIGGER refuse_access BEFORE INSERT ON shared_access_log "
            "FOR EACH ROW EXECUTE FUNCTION refuse_access()",
        ],
    }[database.dialect]
    allow = {
        "sqlite": ["DROP TRIGGER refuse_access"],
        "postgresql": [
            "DROP TRIGGER refuse_access ON shared_access_log",
            "DROP FUNCTION refuse_access()",
        ],
    }[database.dialect]
    http = taxii.http()
    url = f"/taxii2/root/collections/{taxii.collection_id}/objects/"
    with database.engine.begin() as connection:
        for statement in refuse:
            connection.exec_driver_sql(statement)
    try:
        refused = http.get(url)
        assert refused.status_code == 503
        assert refused.headers["retry-after"]
        assert refused.headers["content-type"] == TAXII_MEDIA
        assert stix_uuid("indicator", 1) not in refused.text
    finally:
        with database.engine.begin() as connection:
            for statement in allow:
                connection.exec_driver_sql(statement)
    assert _access_rows(taxii) == []
    served = http.get(url)
    assert served.status_code == 200
    assert [o["id"] for o in served.json()["objects"]] == [stix_uuid("indicator", 1)]
    assert [row[:4] for row in _access_rows(taxii)] == [("objects", 1, 1, 1)]
