"""The sharing pages in a real browser, on the Log4Shell replay: the operator opens a
community collection with a sharing group, a member shares one indicator per TLP 2.0
marking through the API and another sights one. The member reads the collection (each
marking in its colours), its groups and what it shared; a member outside the group does
not see the AMBER one. Screenshots in English and Chinese, axe-core on each; any console
error, uncaught exception, dialog or 5xx fails it."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from clearinghouse import demo
from clearinghouse.app import build_runtime, create_app
from clearinghouse.db import Database
from clearinghouse.formats.model import Tlp
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.browser import Watch, axe_source, axe_violations, screenshot
from tests.support.server import serve
from tests.support.stix_objects import indicator, sighting, stix_uuid

PASSWORD = "sharing-pages-demo-1"
OPERATOR = "analyst@nvdb.example"
MEMBER = "psirt@hosting.example"
OUTSIDER = "psirt@alibaba-cloud.example"
API = "/api/v1/sharing"
COLOURS = {
    "CLEAR": "rgb(255, 255, 255)",
    "GREEN": "rgb(51, 255, 0)",
    "AMBER": "rgb(255, 192, 0)",
    "AMBER+STRICT": "rgb(255, 192, 0)",
    "RED": "rgb(255, 43, 43)",
}


def _login(url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    answer = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


@pytest.fixture
def shared(database: Database) -> Iterator[tuple[str, dict[Tlp, str]]]:
    settings = make_settings(database.url)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the replay runs its own event loop
        pool.submit(
            demo.load, build_runtime(settings, database=database), password=PASSWORD
        ).result()
    clock = FixedClock(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    with serve(create_app(settings, clock=clock, database=database)) as url:
        clients = [_login(url, who) for who in (OPERATOR, MEMBER, OUTSIDER)]
        operator, member, outsider = clients
        try:
            ring = {"slug": "ring", "name": "Hosting ring", "members": []}
            assert member.post(f"{API}/groups", json=ring).status_code == 201
            collection = {
                "alias": "log4shell-iocs",
                "title": "Log4Shell indicators",
                "community": True,
                "members_write": True,
                "sharing_groups": ["ring"],
            }
            assert operator.post(f"{API}/collections", json=collection).status_code == 201
            marked = {tlp: indicator(tlp.name, tlp) for tlp in Tlp}
            added = member.post(
                f"{API}/collections/log4shell-iocs/objects",
                json={"objects": list(marked.values()), "sharing_group": "ring"},
            )
            assert added.status_code == 201, added.text
            seen = sighting(1, marked[Tlp.GREEN]["id"], Tlp.GREEN, count=4)
            sent = outsider.post(
                f"{API}/collections/log4shell-iocs/objects", json={"objects": [seen]}
            )
            assert sent.status_code == 201, sent.text
        finally:
            for client in clients:
                client.close()
        yield url, {tlp: obj["id"] for tlp, obj in marked.items()}


def _sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url + "/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_member_reads_shared_objects_by_tlp(
    shared: tuple[str, dict[Tlp, str]], browser: Any
) -> None:
    url, ids = shared
    axe = axe_source()
    violations: list[str] = []
    shots: list[Path] = []

    def step(page: Any, name: str, language: str = "en") -> None:
        shots.append(screenshot(page, f"sharing-{name}", language))
        violations.extend(f"{name}: {v}" for v in axe_violations(page, axe))

    watch = Watch()
    page = watch.attach(browser.new_context(timezone_id="Europe/Berlin").new_page())
    _sign_in(page, url, MEMBER)
    page.get_by_role("link", name="Sharing", exact=True).click()
    page.wait_for_url("**/sharing/collections")
    step(page, "collections")
    page.get_by_role("link", name="Log4Shell indicators").click()
    page.wait_for_url("**/sharing/collections/*")
    for tlp, stix_id in ids.items():
        label = page.locator(f'tr[data-stix-id="{stix_id}"] .tlp')
        assert label.inner_text() == f"TLP:{tlp.value}"
        assert label.evaluate("e => getComputedStyle(e).color") == COLOURS[tlp.value]
        assert label.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 0, 0)"
    step(page, "objects")
    page.get_by_role("link", name="Sharing groups").click()
    page.wait_for_url("**/sharing/groups")
    assert page.locator('tr[data-group="ring"]').is_visible()
    step(page, "groups")
    page.get_by_role("link", name="What we shared").click()
    page.wait_for_url("**/sharing/sightings")
    assert page.locator("tr[data-object]").count() == 1
    assert page.locator(f'tr[data-object="{ids[Tlp.GREEN]}"]').is_visible()
    step(page, "sightings")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    step(page, "sightings", "zh-Hans")
    page.goto(url + "/sharing/collections/log4shell-iocs")
    step(page, "objects", "zh-Hans")

    outsider = watch.attach(browser.new_context(timezone_id="Asia/Shanghai").new_page())
    _sign_in(outsider, url, OUTSIDER)
    outsider.goto(url + "/sharing/collections/log4shell-iocs")
    shown = set(
        outsider.locator("tr[data-stix-id]").evaluate_all("rows => rows.map(r => r.dataset.stixId)")
    )
    # its own sighting, and of the member's only what the marking lets it read
    assert shown == {ids[Tlp.CLEAR], ids[Tlp.GREEN], stix_uuid("sighting", 1)}
    assert ids[Tlp.AMBER] not in outsider.content()

    assert violations == [], "\n".join(violations)
    watch.check()
    assert all(p.stat().st_size > 5000 for p in shots)


def test_the_sharing_forms_by_clicking_and_typing(
    shared: tuple[str, dict[Tlp, str]], browser: Any
) -> None:
    """The operator creates a collection and configures its sync source (the secret never
    comes back); a member creates a sharing group, and another member sights an indicator
    by pasting STIX and chooses to be named, which the producer then reads. On SQLite and
    PostgreSQL; both languages; axe-core on each page."""
    url, ids = shared
    axe = axe_source()
    violations: list[str] = []
    shots: list[Path] = []

    def step(page: Any, name: str, language: str = "en") -> None:
        shots.append(screenshot(page, f"sharing-{name}", language))
        violations.extend(f"{name}: {v}" for v in axe_violations(page, axe))

    watch = Watch(expected={422})  # the form re-shown with its errors, on purpose
    operator = watch.attach(browser.new_context(timezone_id="Asia/Shanghai").new_page())
    _sign_in(operator, url, OPERATOR)
    operator.goto(url + "/sharing/collections")
    operator.get_by_label("Alias").fill("mirror")
    operator.get_by_label("Title").fill("Mirrored indicators")
    operator.get_by_label("Open to every member in good standing").check()
    operator.get_by_role("button", name="Create the collection").click()
    operator.wait_for_url("**/sharing/collections/mirror/settings?created=true")
    step(operator, "collection-settings")
    operator.get_by_role("link", name="Sync sources").click()
    operator.wait_for_url("**/sharing/sync")
    operator.goto(url + "/sharing/sync/mirror")
    operator.get_by_label("Remote collection URL").fill(
        "https://peer.example/taxii2/root/collections/abc/"
    )
    operator.get_by_label("Token or password").fill("a-remote-secret-0123456789")
    operator.get_by_role("button", name="Save the source").click()
    operator.wait_for_url("**/sharing/sync?done=saved*")
    assert operator.locator('[data-sync-url="https://peer.example/taxii2/root/collections/abc/"]')
    assert "a-remote-secret-0123456789" not in operator.content()
    step(operator, "sync")
    operator.get_by_role("button", name="简体中文").click()
    operator.wait_for_load_state()
    step(operator, "sync", "zh-Hans")

    member = watch.attach(browser.new_context(timezone_id="Europe/Berlin").new_page())
    _sign_in(member, url, MEMBER)
    member.goto(url + "/sharing/groups")
    member.get_by_label("Slug").fill("circle")
    member.get_by_label("Name", exact=True).fill("Hosting circle")
    member.get_by_role("button", name="Create the group").click()
    member.wait_for_url("**/sharing/groups/circle?created=true")
    assert member.locator("[data-member]").count() == 1  # the owner, always a member
    step(member, "group")

    outsider = watch.attach(browser.new_context(timezone_id="Asia/Shanghai").new_page())
    _sign_in(outsider, url, OUTSIDER)
    outsider.goto(url + "/sharing/collections/log4shell-iocs")
    seen = sighting("by-form", ids[Tlp.GREEN], Tlp.GREEN, count=2)
    del seen["object_marking_refs"]  # the form's marking gives it one
    outsider.get_by_label("Marking").select_option("GREEN")
    outsider.get_by_label("STIX 2.1 JSON").fill(orjson.dumps(seen).decode())
    outsider.get_by_label("Name my organisation to the producers").check()
    outsider.get_by_role("button", name="Add", exact=True).click()
    outsider.wait_for_url("**/sharing/collections/log4shell-iocs?added=1")
    step(outsider, "objects-added")
    outsider.get_by_label("Marking").select_option("RED")
    outsider.get_by_label("STIX 2.1 JSON").fill("{not json")
    outsider.get_by_role("button", name="Add", exact=True).click()
    outsider.wait_for_load_state()
    assert outsider.locator("#error-summary").is_visible()
    step(outsider, "objects-error")

    member.goto(url + "/sharing/sightings")
    sighters = member.locator("[data-sighter]").evaluate_all("s => s.map(e => e.dataset.sighter)")
    assert sighters == ["alibaba-cloud"]
    assert member.locator("[data-anonymous]").get_attribute("data-anonymous") == "1"
    step(member, "sightings-named")

    assert violations == [], "\n".join(violations)
    watch.check()
    assert all(p.stat().st_size > 5000 for p in shots)
