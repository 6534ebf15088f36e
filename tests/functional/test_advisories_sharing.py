"""Imports over HTTP, the comparison of sources (Apache's Log4j ranges against GitHub's),
and the feeds: CSAF provider metadata and directory distribution, Atom."""

from __future__ import annotations

import hashlib
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.support.advisories import (
    FIXTURES,
    PROBLEM,
    AdvisoryPlatform,
    advisory_platform,
    create_draft,
)

ATOM = "{http://www.w3.org/2005/Atom}"
CSAF_SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "src/clearinghouse/formats/schemas/csaf/csaf_json_schema.json"
)


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock, max_request_bytes=256 * 1024) as p:
        yield p


def _zip(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.iterdir()):
            archive.writestr(path.name, path.read_bytes())
    return buffer.getvalue()


def test_import_over_http(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    archive = _zip(FIXTURES / "osv")
    r = op.post(
        "/api/v1/advisories/import", params={"filename": "osv.zip", "tlp": "CLEAR"}, content=archive
    )
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["created"] == 4
    r = op.post(
        "/api/v1/advisories/import", params={"filename": "osv.zip", "tlp": "CLEAR"}, content=archive
    )
    assert r.json()["counts"]["unchanged"] == 4
    detail = op.get("/api/v1/advisories/PYSEC-2099-1").json()
    assert (detail["source"], detail["source_revision"]) == ("osv:PyPA", "2024-01-02T00:00:00Z")
    assert detail["state"] == "published"
    # Without a TLP an OSV record is refused, not assumed CLEAR.
    one = (FIXTURES / "osv_green" / "PYSEC-2099-9.json").read_bytes()
    r = op.post("/api/v1/advisories/import", params={"filename": "x.json"}, content=one)
    assert r.json()["counts"]["failed"] == 1
    # Members may not import; oversized uploads are refused before they are read.
    member = platform.login(platform.world.member_admin)
    assert member.post("/api/v1/advisories/import", content=one).status_code == 403
    r = op.post(
        "/api/v1/advisories/import", params={"filename": "big.json"}, content=b" " * 300_000
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM


@pytest.mark.shared_data
def test_sources_that_disagree_are_both_kept_and_compared(
    platform: AdvisoryPlatform, shared_data: Path
) -> None:
    report = platform.import_osv(shared_data / "osv" / "ghsa")
    assert report.counts()["created"] == 7
    op = platform.operator()
    local = create_draft(op)["id"]  # Apache's own ranges (tests/fixtures/advisories)
    op.post(f"/api/v1/advisories/{local}/publish", json={})
    with platform.client() as anonymous:
        r = anonymous.get("/api/v1/advisories/compare", params={"id": "CVE-2021-44228"})
        assert r.status_code == 200, r.text
        body = r.json()
        labels = {rec["label"] for rec in body["records"]}
        assert labels == {"GHSA-jfh8-c2jp-5v3q (osv:GHSA)", f"x_{local} (local)"}
        (core,) = [
            p for p in body["packages"] if p["name"] == "org.apache.logging.log4j:log4j-core"
        ]
        assert core["agree"] is False
        by_range = {d["versions"]: d for d in core["disagreements"]}
        # GitHub: everything before 2.3.1 ("introduced 0"); Apache: from 2.0-beta9.
        assert by_range["(-inf, 2.0-beta9)"]["affected_according_to"] == [
            "GHSA-jfh8-c2jp-5v3q (osv:GHSA)"
        ]
        # Apache counts 2.12.3 up to 2.13.0 affected; GitHub does not.
        assert by_range["[2.12.3, 2.13.0)"]["affected_according_to"] == [f"x_{local} (local)"]
        assert set(by_range) == {"(-inf, 2.0-beta9)", "[2.12.3, 2.13.0)"}
        # log4j-api: only the local advisory names it (as not affected, without ranges).
        # Asking by the GHSA id finds the same records through the shared CVE.
        again = anonymous.get(
            "/api/v1/advisories/compare", params={"id": "GHSA-jfh8-c2jp-5v3q"}
        ).json()
        assert {rec["label"] for rec in again["records"]} == labels
        assert (
            anonymous.get("/api/v1/advisories/compare", params={"id": "CVE-1999-0001"}).status_code
            == 404
        )


def _csaf_registry() -> Registry[Any]:
    schema = json.loads(CSAF_SCHEMA.read_text())
    registry: Registry[Any] = Registry().with_resource(
        "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
        Resource.from_contents(schema),
    )
    return registry


@pytest.mark.shared_data
def test_csaf_provider_and_directory(platform: AdvisoryPlatform, shared_data: Path) -> None:
    op = platform.operator()
    clear = create_draft(op)["id"]
    amber = create_draft(op, tlp="AMBER")["id"]
    draft = create_draft(op)["id"]  # never published: never distributed
    for pid in (clear, amber):
        assert op.post(f"/api/v1/advisories/{pid}/publish", json={}).status_code == 200
    with platform.client() as anonymous:
        metadata = anonymous.get("/.well-known/csaf/provider-metadata.json").json()
        schema = json.loads(
            (shared_data / "schemas/csaf_2.0/json_schema/provider_json_schema.json").read_text()
        )
        errors = list(Draft202012Validator(schema, registry=_csaf_registry()).iter_errors(metadata))
        assert errors == [], [e.message for e in errors]
        assert metadata["role"] == "csaf_provider"
        assert metadata["canonical_url"].endswith("/.well-known/csaf/provider-metadata.json")
        white = anonymous.get("/.well-known/csaf/white/index.txt").text.split()
        assert white == [f"2026/{clear.lower()}.json"]
        changes = anonymous.get("/.well-known/csaf/white/changes.csv").text.strip().split("\n")
        assert changes == [f'"2026/{clear.lower()}.json","2026-10-01T10:00:00Z"']
        doc = anonymous.get(f"/.well-known/csaf/white/{white[0]}")
        assert doc.json()["document"]["tracking"]["id"] == clear
        digest = anonymous.get(f"/.well-known/csaf/white/{white[0]}.sha256").text.split()[0]
        assert digest == hashlib.sha256(doc.content).hexdigest()
        digest = anonymous.get(f"/.well-known/csaf/white/{white[0]}.sha512").text.split()[0]
        assert digest == hashlib.sha512(doc.content).hexdigest()
        # AMBER is access-protected: nothing for anonymous callers.
        assert anonymous.get("/.well-known/csaf/amber/index.txt").text == ""
        assert (
            anonymous.get(f"/.well-known/csaf/amber/2026/{amber.lower()}.json").status_code == 404
        )
        assert anonymous.get("/.well-known/csaf/purple/index.txt").status_code == 404
    assert op.get("/.well-known/csaf/amber/index.txt").text.split() == [
        f"2026/{amber.lower()}.json"
    ]
    assert draft.lower() not in op.get("/.well-known/csaf/white/index.txt").text


def test_atom_feed(platform: AdvisoryPlatform) -> None:
    op = platform.operator()
    published = create_draft(op)["id"]
    hidden = create_draft(op, tlp="GREEN")["id"]
    for pid in (published, hidden):
        op.post(f"/api/v1/advisories/{pid}/publish", json={})
    with platform.client() as anonymous:
        r = anonymous.get("/feeds/advisories.atom")
        assert r.headers["content-type"] == "application/atom+xml"
        feed = ET.fromstring(r.content)  # noqa: S314 (our own feed)
        entries = feed.findall(f"{ATOM}entry")
        assert [e.findtext(f"{ATOM}title", "").split(":")[0] for e in entries] == [published]
        terms = {c.get("term") for c in entries[0].findall(f"{ATOM}category")}
        assert terms == {"CVE-2021-44228", "TLP:CLEAR"}
        assert feed.findtext(f"{ATOM}updated") == "2026-10-01T10:00:00Z"
    member = platform.login(platform.world.member_admin)
    feed = ET.fromstring(member.get("/feeds/advisories.atom").content)  # noqa: S314
    assert len(feed.findall(f"{ATOM}entry")) == 2
