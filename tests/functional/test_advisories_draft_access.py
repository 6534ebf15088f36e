"""Who sees an advisory's unpublished revisions, over real HTTP on SQLite and PostgreSQL.

A revision is decided on its own marking as well as the advisory's: a draft re-marked
TLP:RED after a TLP:CLEAR publication reaches its named people only, through every path
that shows a revision (the advisory, its revisions, diff, input and export, the reader
and editor pages); drafts are shown in order, up to the first one a reader may not see;
a revision of the history marked beyond the reader stays hidden. Whoever may not see the
drafts learns nothing of them: the revision number and last-updated instant it is given
are the served revision's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.support.advisories import AdvisoryPlatform, advisory_platform, create_draft, log4j_case
from tests.support.web import get

RED = "RED ONLY: the exploit chain of the second bug, for the named analyst"
RED_NOTE = "re-marked RED for the named analyst"


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


def _user_id(platform: AdvisoryPlatform, email: str) -> str:
    return str(platform.login(email).get("/api/v1/me").json()["user_id"])


def _from_case(platform: AdvisoryPlatform, tlp: str) -> str:
    """A draft from a case the member organisation takes part in."""
    op = platform.operator()
    case = log4j_case(op)
    r = op.post(
        f"/api/v1/cases/{case}/participants", json={"organisation": "member", "response_days": 7}
    )
    assert r.status_code == 201, r.text
    r = op.post(f"/api/v1/advisories/from-case/{case}", json={"tlp": tlp})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _revise(platform: AdvisoryPlatform, pid: str, **body: object) -> dict[str, object]:
    r = platform.operator().patch(f"/api/v1/advisories/{pid}", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["revision_created"] is True
    return dict(r.json())


def _re_marked_red(platform: AdvisoryPlatform) -> str:
    """Published from the case as CLEAR (revision 2), then revised to RED for the operator's
    admin and the member's admin (revision 3): the member's viewer is not named."""
    pid = _from_case(platform, "CLEAR")
    r = platform.operator().post(f"/api/v1/advisories/{pid}/publish", json={})
    assert r.status_code == 200, r.text
    named = [
        _user_id(platform, platform.world.operator_admin),
        _user_id(platform, platform.world.member_admin),
    ]
    saved = _revise(
        platform, pid, tlp="RED", recipient_user_ids=named, summary=RED, revision_summary=RED_NOTE
    )
    assert saved["current_revision"] == 3
    return pid


def _status(client: httpx.Client, path: str, **params: object) -> int:
    return client.get(path, params=params).status_code  # type: ignore[arg-type]


def _numbers(client: httpx.Client, pid: str) -> list[int]:
    r = client.get(f"/api/v1/advisories/{pid}/revisions")
    assert r.status_code == 200, r.text
    return [int(x["number"]) for x in r.json()]


def test_a_draft_re_marked_red_after_a_clear_publication_reaches_its_named_people_only(
    platform: AdvisoryPlatform,
) -> None:
    pid = _re_marked_red(platform)
    base = f"/api/v1/advisories/{pid}"
    viewer = platform.login(platform.world.member_viewer)  # a participant, not named

    detail = viewer.get(base).json()
    assert detail["document"]["tlp"] == "CLEAR"
    assert detail["document"].get("summary") != RED
    assert detail["current_revision"] == 2
    assert _numbers(viewer, pid) == [1, 2]
    missing = viewer.get(f"{base}/revisions/99")
    hidden = viewer.get(f"{base}/revisions/3")
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json()["title"] == missing.json()["title"]
    assert _status(viewer, f"{base}/diff", **{"from": 2, "to": 3}) == 404
    assert viewer.get(f"{base}/diff").json()["to_revision"] == 2
    with platform.client() as anonymous:
        assert viewer.get(f"{base}/input").json() == anonymous.get(f"{base}/input").json()
    assert _status(viewer, f"{base}/export", format="csaf", revision=3) == 404
    csaf = viewer.get(f"{base}/export", params={"format": "csaf"})
    assert csaf.json()["document"]["distribution"]["tlp"]["label"] == "WHITE"
    assert RED not in csaf.text
    for page in (
        f"/advisories/{pid}",
        f"/editor/advisories/{pid}",
        f"/editor/advisories/{pid}?from=2&to=3",
        f"/editor/advisories/{pid}/preview/csaf",
    ):
        shown = get(viewer, page)
        assert shown.status_code == 200, page
        assert RED not in shown.text, page
        assert RED_NOTE not in shown.text, page

    # The people it names, and the operator, read the RED draft.
    for email in (platform.world.member_admin, platform.world.operator_admin):
        named = platform.login(email)
        detail = named.get(base).json()
        assert (detail["current_revision"], detail["document"]["tlp"]) == (3, "RED"), email
        assert detail["document"]["summary"] == RED
        assert _numbers(named, pid) == [1, 2, 3]
        assert named.get(f"{base}/revisions/3").json()["document"]["summary"] == RED
        assert RED in get(named, f"/editor/advisories/{pid}").text


def test_drafts_are_shown_in_order_up_to_the_first_the_reader_may_not_see(
    platform: AdvisoryPlatform,
) -> None:
    pid = _re_marked_red(platform)
    _revise(platform, pid, tlp="AMBER", summary="Amber again", revision_summary="AMBER")
    base = f"/api/v1/advisories/{pid}"
    viewer = platform.login(platform.world.member_viewer)
    assert viewer.get(base).json()["current_revision"] == 2
    assert _numbers(viewer, pid) == [1, 2]
    assert _status(viewer, f"{base}/revisions/4") == 404
    assert _status(viewer, f"{base}/diff", **{"from": 3, "to": 4}) == 404
    editor = get(viewer, f"/editor/advisories/{pid}?from=3&to=4")
    assert RED not in editor.text
    assert RED_NOTE not in editor.text

    named = platform.login(platform.world.member_admin)
    assert named.get(base).json()["current_revision"] == 4
    assert _numbers(named, pid) == [1, 2, 3, 4]


def test_an_earlier_draft_keeps_its_own_stricter_marking(platform: AdvisoryPlatform) -> None:
    pid = _from_case(platform, "RED")
    _revise(platform, pid, summary=RED, revision_summary=RED_NOTE)  # revision 2, RED
    _revise(platform, pid, tlp="AMBER", summary="For the participants")  # revision 3
    base = f"/api/v1/advisories/{pid}"
    viewer = platform.login(platform.world.member_viewer)
    assert viewer.get(base).json()["document"]["tlp"] == "AMBER"
    assert _numbers(viewer, pid) == [3]
    for number in (1, 2):
        assert _status(viewer, f"{base}/revisions/{number}") == 404
        assert _status(viewer, f"{base}/diff", **{"from": number, "to": 3}) == 404
        assert _status(viewer, f"{base}/export", format="csaf", revision=number) == 404
    diff = viewer.get(f"{base}/diff").json()
    assert (diff["from_revision"], diff["to_revision"], diff["changes"]) == (3, 3, [])
    # The editor page lists, and compares, only the revisions the viewer may see.
    for query in ("", "?from=2&to=3", "?from=1&to=2", "?to=2"):
        editor = get(viewer, f"/editor/advisories/{pid}{query}")
        assert editor.status_code == 200, query
        assert RED not in editor.text, query
        assert RED_NOTE not in editor.text, query
    assert RED in get(platform.operator(), f"/editor/advisories/{pid}?from=2&to=3").text
    assert _numbers(platform.operator(), pid) == [1, 2, 3]


def test_the_history_of_a_published_advisory_hides_revisions_marked_beyond_the_reader(
    platform: AdvisoryPlatform,
) -> None:
    op = platform.operator()
    pid = create_draft(op, tlp="AMBER", summary=RED)["id"]  # revision 1
    _revise(platform, pid, tlp="CLEAR", summary="Public")  # revision 2
    assert op.post(f"/api/v1/advisories/{pid}/publish", json={}).status_code == 200  # 3
    base = f"/api/v1/advisories/{pid}"
    member = platform.login(platform.world.member_admin)
    with platform.client() as anonymous:
        for reader in (anonymous, member):
            assert _numbers(reader, pid) == [2, 3]
            assert _status(reader, f"{base}/revisions/1") == 404
            assert _status(reader, f"{base}/diff", **{"from": 1, "to": 3}) == 404
            assert _status(reader, f"{base}/export", format="osv", revision=1) == 404
            assert reader.get(f"{base}/diff", params={"to": 2}).json()["from_revision"] == 2
    assert _numbers(op, pid) == [1, 2, 3]


def test_a_reader_who_may_not_see_drafts_is_given_the_served_revision_and_its_instant(
    platform: AdvisoryPlatform,
) -> None:
    op = platform.operator()
    pid = create_draft(op)["id"]
    published = op.post(f"/api/v1/advisories/{pid}/publish", json={}).json()["advisory"]
    platform.clock.advance(timedelta(hours=1))
    _revise(platform, pid, summary="Pending, not yet published")
    base = f"/api/v1/advisories/{pid}"
    member = platform.login(platform.world.member_admin)
    with platform.client() as anonymous:
        for reader in (anonymous, member):
            detail = reader.get(base).json()
            (listed,) = [
                a for a in reader.get("/api/v1/advisories").json()["items"] if a["id"] == pid
            ]
            for shown in (detail, listed):
                assert shown["current_revision"] == shown["published_revision"] == 2
                assert shown["updated_at"] == published["updated_at"]
                assert shown["updated_at"] == shown["last_published_at"]
            assert "<dd>3</dd>" not in get(reader, f"/advisories/{pid}").text
            assert "<dd>2</dd>" in get(reader, f"/advisories/{pid}").text
    detail = op.get(base).json()
    assert detail["current_revision"] == 3
    assert detail["updated_at"] != published["updated_at"]


def test_recipients_named_by_a_draft_receive_nothing_until_it_is_published(
    platform: AdvisoryPlatform,
) -> None:
    op = platform.operator()
    admin = _user_id(platform, platform.world.member_admin)
    viewer_id = _user_id(platform, platform.world.member_viewer)
    pid = create_draft(op, tlp="RED", recipient_user_ids=[admin])["id"]
    published = op.post(f"/api/v1/advisories/{pid}/publish", json={}).json()["advisory"]
    served = published["published_revision"]
    base = f"/api/v1/advisories/{pid}"
    viewer = platform.login(platform.world.member_viewer)
    named = platform.login(platform.world.member_admin)
    assert (_status(viewer, base), _status(named, base)) == (404, 200)

    # A draft that only adds a person: a revision of its own, and the published one still
    # reaches the people it names, no one more.
    saved = _revise(platform, pid, recipient_user_ids=[admin, viewer_id])
    assert saved["current_revision"] == served + 1
    assert _status(viewer, base) == 404
    assert _status(viewer, f"{base}/revisions/{served}") == 404
    assert named.get(base).json()["current_revision"] == served  # a draft: not theirs yet
    listed = viewer.get("/api/v1/advisories").json()["items"]
    assert pid not in {a["id"] for a in listed}

    again = op.post(f"/api/v1/advisories/{pid}/publish", json={}).json()["advisory"]
    assert viewer.get(base).json()["current_revision"] == again["published_revision"]
    # A draft that drops a person takes nothing from them until it is published either.
    _revise(platform, pid, recipient_user_ids=[admin])
    assert viewer.get(base).json()["current_revision"] == again["published_revision"]
    assert op.post(f"/api/v1/advisories/{pid}/publish", json={}).status_code == 200
    assert _status(viewer, base) == 404
