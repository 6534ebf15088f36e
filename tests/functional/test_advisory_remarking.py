"""An advisory published TLP:CLEAR, re-marked RED for one person and published, then
marked CLEAR and published again: nothing of the RED publication reaches anyone else, in
any channel. Found by an independent probe (2026-12-07): the CLEAR document's revision
history carried the RED publication's words (CSAF, the API, every later revision), and an
``advisory.share`` job that ran after the CLEAR re-publication shared the RED title and
summary marked CLEAR over TAXII and the MISP feed."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

import httpx
import pytest

from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import service as sharing
from clearinghouse.timeutil import FixedClock
from tests.support.advisories import AdvisoryPlatform, advisory_platform, create_draft

SECRETS = ("REDTITLE", "REDSUMMARY", "REDNOTE", "REDPUBNOTE")
TAXII = {"Accept": "application/taxii+json;version=2.1"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 10, 1, 10, 0, tzinfo=UTC))


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


def _collections(p: AdvisoryPlatform) -> list[str]:
    specs = (
        sharing.CollectionSpec(alias="public", title="Public", public=True, advisories=True),
        sharing.CollectionSpec(alias="members", title="Members", community=True, advisories=True),
    )
    with p.database.transaction() as s:
        return [
            str(sharing.create_collection(s, spec, actor=SYSTEM, now=p.clock.now()).id)
            for spec in specs
        ]


def _read_everything(c: httpx.Client, ref: str, collections: list[str]) -> dict[str, str]:
    """What ``c`` is answered on every channel that carries the advisory."""
    paths = [
        f"/api/v1/advisories/{ref}",
        f"/api/v1/advisories/{ref}/revisions",
        *(f"/api/v1/advisories/{ref}/revisions/{n}" for n in range(1, 7)),
        *(f"/api/v1/advisories/{ref}/diff?from={a}&to=6" for a in range(1, 6)),
        *(
            f"/api/v1/advisories/{ref}/export?format={f}{rev}"
            for f in ("csaf", "csaf_vex", "osv", "cve5", "cyclonedx_vex")
            for rev in ("", "&revision=5")
        ),
        f"/advisories/{ref}",
        "/feeds/advisories.atom",
        "/feeds/misp/manifest.json",
    ]
    index = c.get("/.well-known/csaf/white/index.txt")
    if index.status_code == 200:
        paths += [f"/.well-known/csaf/white/{line}" for line in index.text.split()]
    seen = {path: c.get(path).text for path in paths}
    manifest = c.get("/feeds/misp/manifest.json")
    if manifest.status_code == 200:
        for key in manifest.json():
            seen[f"misp:{key}"] = c.get(f"/feeds/misp/{key}.json").text
    for cid in collections:
        seen[f"taxii:{cid}"] = c.get(f"/taxii2/root/collections/{cid}/objects/", headers=TAXII).text
    return seen


def _leaks(seen: dict[str, str]) -> dict[str, list[str]]:
    found = {key: [s for s in SECRETS if s in text] for key, text in seen.items()}
    return {key: secrets for key, secrets in found.items() if secrets}


def _publish(
    p: AdvisoryPlatform, ref: str, summary: str, change: Mapping[str, object] | None
) -> None:
    """As the operator's analyst (signed in again: the clock moves between steps)."""
    op = p.operator()
    if change is not None:
        r = op.patch(f"/api/v1/advisories/{ref}", json=change)
        assert r.status_code == 200, r.text
    r = op.post(f"/api/v1/advisories/{ref}/publish", json={"summary": summary})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("share_jobs", ["after each publication", "late"])
def test_a_red_publication_between_two_clear_ones_reaches_nobody_else(
    platform: AdvisoryPlatform, clock: FixedClock, share_jobs: str
) -> None:
    p = platform
    collections = _collections(p)
    ref = create_draft(p.operator(), title="Public title", summary="Public summary")["id"]
    _publish(p, ref, "First", None)
    p.run_jobs()
    clock.set(datetime(2026, 10, 2, 13, 37, 11, tzinfo=UTC))
    named = str(p.login(p.world.operator_admin).get("/api/v1/me").json()["user_id"])
    red = {
        "tlp": "RED",
        "recipient_user_ids": [named],
        "title": "REDTITLE secret",
        "summary": "REDSUMMARY secret",
        "revision_summary": "REDNOTE",
    }
    _publish(p, ref, "REDPUBNOTE", red)
    if share_jobs == "after each publication":
        p.run_jobs()
    clock.set(datetime(2026, 10, 5, 9, 0, tzinfo=UTC))
    clear = {
        "tlp": "CLEAR",
        "recipient_user_ids": [],
        "title": "Public again",
        "summary": "Public again summary",
        "revision_summary": "back",
    }
    _publish(p, ref, "Third", clear)
    p.run_jobs()

    readers = {
        "anonymous": p.client(),
        "a member": p.login(p.world.member_viewer),
        "another member's administrator": p.login(p.world.other_admin),
    }
    for who, c in readers.items():
        seen = _read_everything(c, ref, collections)
        assert _leaks(seen) == {}, who
        # the CLEAR publication itself was shared, and its history keeps the RED entry's
        # place (a number and an instant), not its words
        assert "Public again" in seen[f"taxii:{collections[0]}"], who
        tracking = json.loads(seen[f"/api/v1/advisories/{ref}/export?format=csaf"])["document"][
            "tracking"
        ]
        assert [(e["number"], e["summary"]) for e in tracking["revision_history"]] == [
            ("1", "First"),
            ("2", "Revised."),
            ("3", "Third"),
        ], who

    # the person the RED revision named still reads it, words and all
    red_reader = p.login(p.world.operator_admin)
    red_csaf = red_reader.get(f"/api/v1/advisories/{ref}/export?format=csaf&revision=4")
    assert red_csaf.status_code == 200
    assert "REDPUBNOTE" in red_csaf.text


def test_a_withdrawal_reaches_those_the_published_revision_named_not_a_drafts(
    platform: AdvisoryPlatform,
) -> None:
    # RED for one member's viewer; a draft names another organisation's administrator too
    # and is not published; the withdrawal is the published revision's, for its reader.
    p = platform
    collections = _collections(p)
    viewer = str(p.login(p.world.member_viewer).get("/api/v1/me").json()["user_id"])
    other = str(p.login(p.world.other_admin).get("/api/v1/me").json()["user_id"])
    red = {"tlp": "RED", "recipient_user_ids": [viewer], "title": "REDTITLE a"}
    ref = create_draft(p.operator(), **red)["id"]
    _publish(p, ref, "REDPUBNOTE", None)
    widened = {"recipient_user_ids": [viewer, other], "revision_summary": "REDNOTE"}
    assert p.operator().patch(f"/api/v1/advisories/{ref}", json=widened).status_code == 200
    r = p.operator().post(f"/api/v1/advisories/{ref}/withdraw", json={"reason": "Duplicate"})
    assert r.status_code == 200, r.text
    p.run_jobs()

    outsider = p.login(p.world.other_admin)
    assert outsider.get(f"/api/v1/advisories/{ref}").status_code == 404
    assert _leaks(_read_everything(outsider, ref, collections)) == {}
    reader = p.login(p.world.member_viewer)
    shown = reader.get(f"/api/v1/advisories/{ref}")
    assert shown.status_code == 200
    assert shown.json()["state"] == "withdrawn"


def test_a_draft_pending_when_the_advisory_is_withdrawn_stays_a_draft(
    platform: AdvisoryPlatform,
) -> None:
    # the withdrawal is of the published revision: the draft between them was never
    # published, although numbered below the withdrawal that is now served
    p = platform
    ref = create_draft(p.operator(), title="Public title")["id"]
    _publish(p, ref, "First", None)
    draft = {"summary": "REDSUMMARY not published", "revision_summary": "REDNOTE"}
    assert p.operator().patch(f"/api/v1/advisories/{ref}", json=draft).status_code == 200
    r = p.operator().post(f"/api/v1/advisories/{ref}/withdraw", json={"reason": "Duplicate"})
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 4
    p.run_jobs()
    for c in (p.client(), p.login(p.world.member_viewer)):
        assert [v["number"] for v in c.get(f"/api/v1/advisories/{ref}/revisions").json()] == [
            1,
            2,
            4,
        ]
        assert c.get(f"/api/v1/advisories/{ref}/revisions/3").status_code == 404
        assert _leaks(_read_everything(c, ref, [])) == {}
    # its writers still read it
    assert p.operator().get(f"/api/v1/advisories/{ref}/revisions/3").status_code == 200
