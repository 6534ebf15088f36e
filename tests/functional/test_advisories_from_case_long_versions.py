"""Drafting an advisory from a case whose products hold ranges or versions a draft cannot
(stored before case versions were bounded to 200 characters, inserted here as an older
release could have; or accepted by the case API but not by a draft), over real HTTP on
SQLite and PostgreSQL. It was a 500; now the draft is made without them, and its
revision summary, shown in the API's revision list and on the editor page, says which
and why, so that the operator can add them by hand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from clearinghouse.cases.models import AffectedProduct, Case, Vulnerability
from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.support.advisories import AdvisoryPlatform, advisory_platform, log4j_case

LONG = "9" * 4400  # over the 200-character bound, and over Python's limit on int()
PURL = "pkg:pypi/example-pkg"


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


def _range(fixed: str) -> dict[str, Any]:
    return {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}


def _add_stored_product(
    platform: AdvisoryPlatform, case: str, ranges: list[dict[str, Any]], versions: list[str]
) -> None:
    """A product of the case's vulnerability, written to the table directly."""
    with platform.database.transaction() as s:
        vulnerability = s.scalars(
            select(Vulnerability).join(Case).where(Case.public_id == case)
        ).one()
        s.add(
            AffectedProduct(
                vulnerability_id=vulnerability.id,
                purl=PURL,
                ecosystem="PyPI",
                name="example-pkg",
                ranges=ranges,
                versions=versions,
            )
        )


def _summary(platform: AdvisoryPlatform, advisory: str) -> str:
    r = platform.operator().get(f"/api/v1/advisories/{advisory}/revisions")
    assert r.status_code == 200, r.text
    [revision] = r.json()
    return str(revision["summary"])


def test_a_range_over_200_characters_is_left_out_of_the_draft_with_the_reason(
    platform: AdvisoryPlatform,
) -> None:
    op = platform.operator()
    case = log4j_case(op)
    _add_stored_product(
        platform, case, [_range("1.2"), _range("1." + LONG)], ["1.0", "1." + LONG, ""]
    )
    r = op.post(f"/api/v1/advisories/from-case/{case}", json={"tlp": "AMBER"})
    assert r.status_code == 201, r.text[:2000]
    draft = r.json()
    assert LONG not in r.text
    [vuln] = draft["document"]["vulnerabilities"]
    by_name = {a["package"]["name"]: a for a in vuln["affected"]}
    assert set(by_name) == {"org.apache.logging.log4j:log4j-core", "example-pkg"}
    example = by_name["example-pkg"]
    assert [r["events"] for r in example["ranges"]] == [
        [{"kind": "introduced", "value": "0"}, {"kind": "fixed", "value": "1.2"}]
    ]
    assert example["versions"] == ["1.0"]
    summary = _summary(platform, draft["id"])
    assert summary == (
        f"Drafted from case {case}; left out, as a draft cannot hold them (add them by hand): "
        f"vulnerability 'JNDI lookups': {PURL} ranges.1: events.1.fixed: a version of 4402 "
        f"characters; the limit is 200; vulnerability 'JNDI lookups': {PURL} versions.1: "
        f"a version of 4402 characters; the limit is 200; vulnerability 'JNDI lookups': {PURL} "
        "versions.2: an empty version"
    )
    page = op.get(f"/editor/advisories/{draft['id']}")
    assert page.status_code == 200
    assert f"{PURL} ranges.1: events.1.fixed: a version of 4402 characters" in page.text


def test_the_reasons_are_bounded_however_many_ranges_are_left_out(
    platform: AdvisoryPlatform,
) -> None:
    op = platform.operator()
    case = log4j_case(op)
    _add_stored_product(platform, case, [_range(f"{i}." + LONG) for i in range(40)], [])
    r = op.post(f"/api/v1/advisories/from-case/{case}", json={"tlp": "AMBER"})
    assert r.status_code == 201, r.text[:2000]
    [vuln] = r.json()["document"]["vulnerabilities"]
    example = next(a for a in vuln["affected"] if a["package"]["name"] == "example-pkg")
    assert example.get("ranges", []) == []
    summary = _summary(platform, r.json()["id"])
    assert len(summary) <= 1000
    assert f"{PURL} ranges.0: events.1.fixed: a version of 4402 characters" in summary
    assert summary.endswith(" more")


def test_a_range_the_case_api_takes_but_a_draft_cannot_is_left_out_too(
    platform: AdvisoryPlatform,
) -> None:
    """The case API takes any repository text for a GIT range; a draft takes an http(s)
    URL."""
    op = platform.operator()
    case = op.post("/api/v1/cases", json={"title": "T"}).json()["public_id"]
    git = {"type": "GIT", "repo": "git@example.org:pkg.git", "events": [{"introduced": "0"}]}
    products = [{"purl": PURL, "ranges": [git, _range("1.5")], "versions": ["1.4"]}]
    r = op.post(f"/api/v1/cases/{case}/vulnerabilities", json={"title": "v", "products": products})
    assert r.status_code == 201, r.text
    r = op.post(f"/api/v1/advisories/from-case/{case}", json={"tlp": "AMBER"})
    assert r.status_code == 201, r.text[:2000]
    [vuln] = r.json()["document"]["vulnerabilities"]
    [example] = vuln["affected"]
    assert [r["events"] for r in example["ranges"]] == [
        [{"kind": "introduced", "value": "0"}, {"kind": "fixed", "value": "1.5"}]
    ]
    assert example["versions"] == ["1.4"]
    summary = _summary(platform, r.json()["id"])
    assert summary == (
        f"Drafted from case {case}; left out, as a draft cannot hold them (add them by hand): "
        f"vulnerability 'v': {PURL} ranges.0: repo: String should match pattern '^https?://'"
    )
