"""Versions of a case's affected products, on SQLite and PostgreSQL: a range event or a
listed version over 200 characters is a 422 naming the field, and a value stored before
that bound existed (a 4,400-digit number, over Python's limit on int()) never makes the
case's exposure pages fail: it is read as the number it is, or, where the ordering
refuses it (Maven's 256 characters), it cannot narrow its range."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from clearinghouse.cases.models import AffectedProduct, Case, Vulnerability
from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.conftest import REPO
from tests.support.advisories import PROBLEM, AdvisoryPlatform, advisory_platform

LONG = "9" * 4400
SBOM = REPO / "tests" / "fixtures" / "exposure" / "sbom" / "log4j-core-2.14.1.cdx.json"


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


def _product(purl: str, fixed: str, kind: str = "ECOSYSTEM", **extra: Any) -> dict[str, Any]:
    events = [{"introduced": "0"}, {"fixed": fixed}]
    return {"purl": purl, "ranges": [{"type": kind, "events": events}], **extra}


@pytest.mark.parametrize(
    ("product", "field"),
    [
        (_product("pkg:pypi/example-pkg", "1." + LONG), "products.0.ranges.0.events.1.fixed"),
        (
            _product("pkg:npm/left-pad", LONG + ".0.0", "SEMVER"),
            "products.0.ranges.0.events.1.fixed",
        ),
        (
            _product("pkg:pypi/example-pkg", "1.0", versions=["1." + "0" * 199]),
            "products.0.versions.0",
        ),
    ],
)
def test_a_version_over_200_characters_is_a_422_naming_the_field(
    platform: AdvisoryPlatform, product: dict[str, Any], field: str
) -> None:
    op = platform.operator()
    case = op.post("/api/v1/cases", json={"title": "T"}).json()["public_id"]
    r = op.post(f"/api/v1/cases/{case}/vulnerabilities", json={"title": "v", "products": [product]})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["field"] == field
    assert "200 characters" in problem["detail"]
    assert len(r.text) < 2000  # the problem does not echo the value
    assert op.get(f"/api/v1/cases/{case}").json()["vulnerabilities"] == []
    fits = _product("pkg:pypi/example-pkg", "1." + "9" * 198, versions=["1." + "0" * 198])
    r = op.post(f"/api/v1/cases/{case}/vulnerabilities", json={"title": "v", "products": [fits]})
    assert r.status_code == 201, r.text


def test_ranges_stored_before_the_bound_never_break_the_exposure_pages(
    platform: AdvisoryPlatform,
) -> None:
    bom = json.loads(SBOM.read_text())
    bom["components"].append(
        {
            "type": "library",
            "bom-ref": "example",
            "name": "example-pkg",
            "version": "1.5",
            "purl": "pkg:pypi/example-pkg@1.5",
        }
    )
    member = platform.login(platform.world.member_admin)
    uploaded = member.post(
        "/api/v1/inventories",
        params={"name": "app"},
        content=json.dumps(bom),
        headers={"content-type": "application/json"},
    )
    assert uploaded.status_code == 201, uploaded.text
    op = platform.operator()
    case = op.post("/api/v1/cases", json={"title": "T"}).json()["public_id"]
    r = op.post(f"/api/v1/cases/{case}/vulnerabilities", json={"title": "v", "products": []})
    assert r.status_code == 201, r.text
    with platform.database.transaction() as s:  # as an older release could have stored them
        vulnerability = s.scalars(
            select(Vulnerability).join(Case).where(Case.public_id == case)
        ).one()
        for purl, ecosystem, name, fixed, kind in [
            ("pkg:pypi/example-pkg", "PyPI", "example-pkg", "1." + LONG, "ECOSYSTEM"),
            ("pkg:npm/left-pad", "npm", "left-pad", LONG + ".0.0", "SEMVER"),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core",
                "Maven",
                "org.apache.logging.log4j:log4j-core",
                "2." + LONG,
                "ECOSYSTEM",
            ),
        ]:
            s.add(
                AffectedProduct(
                    vulnerability_id=vulnerability.id,
                    purl=purl,
                    ecosystem=ecosystem,
                    name=name,
                    ranges=[{"type": kind, "events": [{"introduced": "0"}, {"fixed": fixed}]}],
                    versions=["1." + LONG],
                )
            )
    affected = op.get(f"/api/v1/cases/{case}/exposure")
    assert affected.status_code == 200, affected.text
    # PyPI reads the long number: 1.5 is below it. Maven cannot read its 4,402 characters,
    # so that boundary cannot clear 2.14.1: listed, never silently clean.
    assert [(a["organisation"], sorted(a["packages"])) for a in affected.json()] == [
        ("member", ["example-pkg 1.5", "org.apache.logging.log4j:log4j-core 2.14.1"])
    ]
    vendors = op.get(f"/api/v1/cases/{case}/exposure/vendors")
    assert vendors.status_code == 200, vendors.text
    assert op.get(f"/api/v1/cases/{case}").status_code == 200
