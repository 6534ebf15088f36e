"""The OSV API over real HTTP (SQLite and PostgreSQL): queries by name and by purl,
version matching, batches, pagination, records, withdrawn records, OSV-style errors,
TLP filtering and the per-ecosystem export."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearinghouse.db import Database
from clearinghouse.formats import model as m
from clearinghouse.timeutil import FixedClock
from tests.support.advisories import FIXTURES, AdvisoryPlatform, advisory_platform

OSV = FIXTURES / "osv"
PKG = {"name": "example-pkg", "ecosystem": "PyPI"}


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        report = p.import_osv(OSV)
        assert report.counts()["created"] == 4, report.items
        yield p


def _ids(body: dict[str, object]) -> list[str]:
    vulns = body.get("vulns", [])
    assert isinstance(vulns, list)
    return [v["id"] for v in vulns]


def test_query_by_name_and_version(platform: AdvisoryPlatform) -> None:
    with platform.client() as c:
        assert _ids(c.post("/osv/v1/query", json={"package": PKG, "version": "1.1.2"}).json()) == [
            "PYSEC-2099-1",
            "PYSEC-2099-2",
        ]
        assert _ids(c.post("/osv/v1/query", json={"package": PKG, "version": "1.0"}).json()) == [
            "PYSEC-2099-1"
        ]
        # Not affected: an empty object, as OSV.dev answers.
        assert c.post("/osv/v1/query", json={"package": PKG, "version": "1.2.0"}).json() == {}
        # PEP 503 names: the query and the records may spell the project differently.
        spelled = {"name": "Example.PKG", "ecosystem": "PyPI"}
        assert _ids(
            c.post("/osv/v1/query", json={"package": spelled, "version": "1.1.4"}).json()
        ) == [
            "PYSEC-2099-1",
            "PYSEC-2099-2",
        ]
        # No version: every live record of the package (the withdrawn one is skipped).
        assert _ids(c.post("/osv/v1/query", json={"package": PKG}).json()) == [
            "PYSEC-2099-1",
            "PYSEC-2099-2",
        ]
        record = c.post("/osv/v1/query", json={"package": PKG, "version": "1.0"}).json()["vulns"][0]
        assert record["aliases"] == ["CVE-2099-0001"]
        assert record["affected"][0]["versions"] == [
            "1.0",
            "1.1.0",
        ]  # the record as its source wrote it


def test_query_without_content_type_like_pip_audit(platform: AdvisoryPlatform) -> None:
    with platform.client() as c:
        r = c.post("/osv/v1/query", content=json.dumps({"package": PKG, "version": "1.1.0"}))
        assert r.status_code == 200
        assert _ids(r.json()) == ["PYSEC-2099-1", "PYSEC-2099-2"]


def test_query_by_purl(platform: AdvisoryPlatform) -> None:
    with platform.client() as c:
        r = c.post("/osv/v1/query", json={"package": {"purl": "pkg:pypi/example-pkg@1.1.0"}})
        assert _ids(r.json()) == ["PYSEC-2099-1", "PYSEC-2099-2"]
        r = c.post(
            "/osv/v1/query",
            json={"package": {"purl": "pkg:cargo/example-crate"}, "version": "0.3.0"},
        )
        assert _ids(r.json()) == ["RUSTSEC-2099-0001"]
        r = c.post("/osv/v1/query", json={"package": {"purl": "pkg:cargo/example-crate@0.3.1"}})
        assert r.json() == {}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"package": {"purl": "pkg:pypi/example-pkg@1.0"}, "version": "1.0"}, "twice"),
        ({"package": {"purl": "not a purl"}}, "package URL"),
        ({"package": {"name": "example-pkg"}}, "ecosystem"),
        ({"version": "1.0"}, "package"),
        ({"package": PKG, "commit": "abc"}, "commit"),
        ({"package": PKG, "page_token": "garbage!"}, "page_token"),
        ({"package": PKG, "surprise": 1}, "unknown"),
        ([1, 2], "object"),
    ],
)
def test_bad_queries_get_osv_style_errors(
    platform: AdvisoryPlatform, body: object, fragment: str
) -> None:
    with platform.client() as c:
        r = c.post("/osv/v1/query", json=body)
        assert r.status_code == 400
        assert r.json()["code"] == 3
        assert fragment in r.json()["message"]
        r = c.post("/osv/v1/query", content=b"{not json")
        assert r.status_code == 400


def test_querybatch(platform: AdvisoryPlatform) -> None:
    with platform.client() as c:
        r = c.post(
            "/osv/v1/querybatch",
            json={
                "queries": [
                    {"package": PKG, "version": "1.1.0"},
                    {"package": PKG, "version": "9.9"},
                    {"package": {"purl": "pkg:cargo/example-crate@0.1.0"}},
                ]
            },
        )
        assert r.status_code == 200
        results = r.json()["results"]
        assert results[0] == {
            "vulns": [
                {"id": "PYSEC-2099-1", "modified": "2024-01-02T00:00:00Z"},
                {"id": "PYSEC-2099-2", "modified": "2024-02-01T00:00:00Z"},
            ]
        }
        assert results[1] == {}
        assert results[2]["vulns"][0]["id"] == "RUSTSEC-2099-0001"
        r = c.post("/osv/v1/querybatch", json={"queries": [{"package": PKG}, {"version": "1"}]})
        assert r.status_code == 400
        assert r.json()["code"] == 3


def test_pagination_with_next_page_token(database: Database, clock: FixedClock) -> None:
    with advisory_platform(database, clock, osv_page_size=1) as platform, platform.client() as c:
        platform.import_osv(OSV)
        first = c.post("/osv/v1/query", json={"package": PKG, "version": "1.1.0"}).json()
        assert _ids(first) == ["PYSEC-2099-1"]
        token = first["next_page_token"]
        second = c.post(
            "/osv/v1/query", json={"package": PKG, "version": "1.1.0", "page_token": token}
        ).json()
        assert _ids(second) == ["PYSEC-2099-2"]
        assert "next_page_token" not in second
        batch = c.post(
            "/osv/v1/querybatch", json={"queries": [{"package": PKG, "version": "1.1.0"}]}
        ).json()
        assert batch["results"][0]["next_page_token"]


def test_get_vuln_and_withdrawn_records(platform: AdvisoryPlatform) -> None:
    with platform.client() as c:
        r = c.get("/osv/v1/vulns/PYSEC-2099-2")
        assert r.status_code == 200
        assert r.json()["affected"][0]["package"]["name"] == "Example_Pkg"
        withdrawn = c.get("/osv/v1/vulns/PYSEC-2099-3").json()
        assert withdrawn["withdrawn"] == "2024-03-02T00:00:00Z"
        r = c.get("/osv/v1/vulns/PYSEC-2099-404")
        assert r.status_code == 404
        assert r.json() == {"code": 5, "message": "Bug not found."}
        # Aliases are not record ids.
        assert c.get("/osv/v1/vulns/CVE-2099-0001").status_code == 404


def test_only_what_the_caller_may_see(platform: AdvisoryPlatform) -> None:
    report = platform.import_osv(FIXTURES / "osv_green", tlp=m.Tlp.GREEN)
    assert report.counts()["created"] == 1, report.items
    token = platform.token(platform.world.member_viewer, ["read"])
    q = {"package": PKG, "version": "1.1.0"}
    with platform.client() as anonymous:
        assert "PYSEC-2099-9" not in _ids(anonymous.post("/osv/v1/query", json=q).json())
        assert anonymous.get("/osv/v1/vulns/PYSEC-2099-9").status_code == 404
    with platform.client(headers={"Authorization": f"Bearer {token}"}) as member:
        assert "PYSEC-2099-9" in _ids(member.post("/osv/v1/query", json=q).json())
        assert member.get("/osv/v1/vulns/PYSEC-2099-9").status_code == 200
    with platform.client(headers={"Authorization": "Bearer chk_wrong"}) as bad:
        assert bad.post("/osv/v1/query", json=q).status_code == 401


def test_ecosystem_export_zip(platform: AdvisoryPlatform) -> None:
    with platform.client() as c:
        r = c.get("/osv/v1/export/PyPI/all.zip")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
            names = sorted(archive.namelist())
            assert names == ["PYSEC-2099-1.json", "PYSEC-2099-2.json", "PYSEC-2099-3.json"]
            assert json.loads(archive.read("PYSEC-2099-3.json"))["withdrawn"]
        assert c.get("/osv/v1/export/NoSuchEcosystem/all.zip").status_code == 404


@pytest.mark.parametrize(
    ("package", "version", "record"),
    [
        ({"name": "example-crate", "ecosystem": "crates.io"}, "0.3", "RUSTSEC-2099-0001"),
        ({"name": "example-crate", "ecosystem": "crates.io"}, "not-semver", "RUSTSEC-2099-0001"),
        (PKG, "not-a-version", "PYSEC-2099-2"),
    ],
)
def test_an_unreadable_version_lists_what_cannot_be_excluded(
    platform: AdvisoryPlatform, package: dict[str, str], version: str, record: str
) -> None:
    """Issue #9, item 3: such versions got ``{}`` (crates.io ``tokio`` ``1.8``, although
    1.8.0 has advisories). They get every record of the package whose ranges cannot exclude
    them, flagged as undecided with the reason, in query and querybatch alike (an error
    would abort a whole pip-audit run)."""
    query = {"package": package, "version": version}
    with platform.client() as c:
        body = c.post("/osv/v1/query", json=query).json()
        batch = c.post("/osv/v1/querybatch", json={"queries": [query]}).json()["results"][0]
    assert record in _ids(body)
    flagged = {item["id"]: item["reason"] for item in body["undecided"]}
    assert record in flagged
    assert repr(version) in flagged[record]
    assert [v["id"] for v in batch["vulns"]] == _ids(body)
    assert batch["undecided"] == body["undecided"]


def test_a_record_whose_fix_version_cannot_be_read_is_never_clean(
    platform: AdvisoryPlatform, tmp_path: Path
) -> None:
    """Issue #9, item 4: PYSEC-2021-371's fix ``0.2.0-n653`` is not PEP 440; read as a
    legacy version it sorted below every release, and binderhub 0.1.0 was reported clean."""
    record = {
        "id": "PYSEC-2099-9",
        "modified": "2024-05-01T00:00:00Z",
        "affected": [
            {
                "package": {"name": "binder-example", "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.2.0-n653"}]}
                ],
            }
        ],
    }
    (tmp_path / "PYSEC-2099-9.json").write_text(json.dumps(record))
    report = platform.import_osv(tmp_path)
    [item] = report.items
    assert item.outcome.value == "created"
    assert any("0.2.0-n653" in warning for warning in item.warnings), item.warnings
    query = {"package": {"name": "binder-example", "ecosystem": "PyPI"}, "version": "0.1.0"}
    with platform.client() as c:
        body = c.post("/osv/v1/query", json=query).json()
    assert _ids(body) == ["PYSEC-2099-9"]
    [flag] = body["undecided"]
    assert "0.2.0-n653" in flag["reason"]
