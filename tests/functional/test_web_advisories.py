"""Published advisories in the pages: the home page lists the latest TLP:CLEAR ones, the
list searches by identifier, package or text as the API's ``q`` does, and each advisory
page offers its renditions to download."""

from __future__ import annotations

import re

import pytest

from tests.functional.conftest import Platform
from tests.support.advisories import log4shell_draft
from tests.support.web import get

ROW = re.compile(r'<tr data-advisory-id="([^"]+)">')


@pytest.fixture
def published(platform: Platform) -> dict[str, str]:
    """A published TLP:CLEAR Log4Shell advisory, a published TLP:AMBER one, a draft."""
    operator = platform.login(platform.world.operator_admin)
    out: dict[str, str] = {}
    for name, overrides in [
        ("clear", {}),
        ("amber", {"tlp": "AMBER", "title": "Amber: JNDI in a private product"}),
        ("draft", {"title": "Draft: not yet"}),
    ]:
        body = log4shell_draft(**overrides)
        if name != "clear":
            body["vulnerabilities"] = [
                {**body["vulnerabilities"][0], "cve": "CVE-2099-0002", "aliases": []}
            ]
        made = operator.post("/api/v1/advisories", json=body)
        assert made.status_code == 201, made.text
        out[name] = made.json()["id"]
        if name != "draft":
            done = operator.post(f"/api/v1/advisories/{out[name]}/publish", json={})
            assert done.status_code == 200, done.text
    return out


def _listed(platform: Platform, query: str) -> list[str]:
    return ROW.findall(get(platform.client(), "/advisories", params={"q": query}).text)


def test_the_home_page_lists_the_latest_clear_advisories(
    platform: Platform, published: dict[str, str]
) -> None:
    home = get(platform.client(), "/").text
    assert ROW.findall(home) == [published["clear"]]
    for link in ("/api/docs#/osv", "/.well-known/csaf/provider-metadata.json", "/feeds/"):
        assert link in home
    assert 'href="/report"' in home


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("CVE-2021-44228", True),
        ("cve-2021-44228", True),
        ("GHSA-jfh8-c2jp-5v3q", True),
        ("log4j-core", True),
        ("pkg:maven/org.apache.logging.log4j/log4j-core", True),
        ("JNDI lookups", True),
        ("CVE-2021-4422", False),
        ("%", False),
        ("nothing like it", False),
    ],
)
def test_search_by_identifier_package_or_text(
    platform: Platform, published: dict[str, str], query: str, found: bool
) -> None:
    assert _listed(platform, query) == ([published["clear"]] if found else [])
    api = platform.client().get("/api/v1/advisories", params={"q": query}).json()
    assert [i["id"] for i in api["items"]] == _listed(platform, query)


def test_a_search_finds_only_what_the_searcher_may_read(
    platform: Platform, published: dict[str, str]
) -> None:
    assert _listed(platform, "CVE-2099-0002") == []
    assert _listed(platform, "Draft: not yet") == []
    operator = platform.login(platform.world.operator_admin)
    seen = ROW.findall(get(operator, "/advisories", params={"q": "CVE-2099-0002"}).text)
    assert sorted(seen) == sorted([published["amber"], published["draft"]])


def test_an_advisory_page_offers_every_rendition_to_download(
    platform: Platform, published: dict[str, str]
) -> None:
    c = platform.client()
    page = get(c, f"/advisories/{published['clear']}").text
    assert "CVE-2021-44228" in page
    assert "org.apache.logging.log4j:log4j-core" in page
    assert 'data-tlp="CLEAR"' in page
    links = re.findall(r'<li data-rendition="([a-z_0-9]+)">\s*<a href="([^"]+)" download', page)
    assert {f for f, _ in links} >= {"csaf", "osv", "cve5"}
    for _format, href in links:
        r = c.get(href.replace("&amp;", "&"))
        assert r.status_code == 200, href
        assert r.json()
