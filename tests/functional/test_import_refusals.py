"""Imports of damaged or hostile input, over HTTP and by the command line as a user runs it
(a real process), on SQLite and PostgreSQL: a zip with a corrupt LZMA, bzip2 or deflate
member or an encrypted one is refused whole with a typed 422 (exit code 2) and stores
nothing; a record with a 4,400-digit version or a YAML integer of 5,000 digits is
reported as failed while the rest of the import is stored (exit code 1). Never a 500,
never "internal error" (exit 70)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from clearinghouse.advisories import imports
from clearinghouse.advisories.models import Advisory
from clearinghouse.db import Database
from clearinghouse.timeutil import FixedClock
from tests.support.advisories import FIXTURES, PROBLEM, AdvisoryPlatform, advisory_platform
from tests.support.cli import run_cli

STORED = FIXTURES / "osv"  # imported first: what a refused import must leave alone
NEW = FIXTURES / "osv_green" / "PYSEC-2099-9.json"  # the good member of each bad zip
LONG = "9" * 4400

_GARBAGE = {
    "lzma": (zipfile.ZIP_LZMA, b"\x09\x14\x05\x00" + b"\xff" * 40),
    "bzip2": (zipfile.ZIP_BZIP2, b"BZh9" + b"\x00" * 30),
    "deflate": (zipfile.ZIP_DEFLATED, b"\xff" * 20),
    "encrypted": (zipfile.ZIP_STORED, b""),
}


def bad_zip(kind: str) -> bytes:
    """A zip holding a good record, then ``b_bad.json``: its compressed data overwritten
    with garbage, or (``encrypted``) flagged as encrypted in both of its headers."""
    method, garbage = _GARBAGE[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a_good.json", NEW.read_bytes())
        archive.writestr(zipfile.ZipInfo("b_bad.json"), bytes(range(256)) * 8, method)
    data = bytearray(buffer.getvalue())
    offset = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("b_bad.json").header_offset
    name_length, extra_length = struct.unpack("<HH", data[offset + 26 : offset + 30])
    start = offset + 30 + name_length + extra_length
    data[start : start + len(garbage)] = garbage
    if kind == "encrypted":
        data[offset + 6] |= 0x1  # local header: general purpose flag bit 0
        central = data.rfind(b"PK\x01\x02")  # b_bad.json's entry is the last
        assert data[central + 46 : central + 56] == b"b_bad.json"
        data[central + 8] |= 0x1
    return bytes(data)


def _record(id_: str, fixed: str) -> dict[str, Any]:
    return {
        "id": id_,
        "modified": "2024-02-01T00:00:00Z",
        "affected": [
            {
                "package": {"name": "example-pkg", "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


BIG_VERSION = json.dumps(_record("PYSEC-2099-78", "1." + LONG)).encode()
BIG_YAML_INT = (
    "id: PYSEC-2099-79\nmodified: 2024-01-01T00:00:00Z\nschema_version: " + "9" * 5000 + "\n"
).encode()


def _advisories(database: Database) -> list[tuple[str, int, str | None]]:
    with database.transaction(write=False) as s:
        rows = s.execute(
            select(Advisory.public_id, Advisory.current_revision, Advisory.source_revision)
        )
        return sorted((str(a), int(b), c) for a, b, c in rows)


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        p.import_osv(STORED)
        yield p


@pytest.mark.parametrize("kind", list(_GARBAGE))
def test_a_zip_with_an_unreadable_member_is_a_422_and_stores_nothing(
    platform: AdvisoryPlatform, kind: str
) -> None:
    before = _advisories(platform.database)
    assert len(before) == 4
    r = platform.operator().post(
        "/api/v1/advisories/import",
        params={"filename": "x.zip", "tlp": "CLEAR"},
        content=bad_zip(kind),
        headers={"content-type": "application/zip"},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["type"].endswith("/invalid-import")
    assert problem["detail"].startswith("b_bad.json: ")
    if kind == "encrypted":
        assert "encrypted zip members cannot be imported" in problem["detail"]
    else:
        assert "corrupt zip member" in problem["detail"]
    assert _advisories(platform.database) == before  # PYSEC-2099-9 neither


def test_a_refusal_after_a_stored_chunk_keeps_nothing_of_the_import(
    platform: AdvisoryPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The good member is inserted (a chunk of one) before the corrupt one is read: the
    refusal still leaves the database as it was, since the import is one transaction."""
    monkeypatch.setattr(imports, "CHUNK", 1)
    before = _advisories(platform.database)
    r = platform.operator().post(
        "/api/v1/advisories/import",
        params={"filename": "x.zip", "tlp": "CLEAR"},
        content=bad_zip("lzma"),
    )
    assert r.status_code == 422, r.text
    assert _advisories(platform.database) == before


def test_a_record_with_an_unreadable_number_fails_alone_over_http(
    platform: AdvisoryPlatform,
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big-version.json", BIG_VERSION)
        archive.writestr("big-int.yaml", BIG_YAML_INT)
        archive.writestr("good.json", NEW.read_bytes())
    op = platform.operator()
    r = op.post(
        "/api/v1/advisories/import",
        params={"filename": "mixed.zip", "tlp": "CLEAR"},
        content=buffer.getvalue(),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"]["created"] == 1
    errors = {i["name"]: i["error"] for i in body["items"] if i["outcome"] == "failed"}
    assert set(errors) == {"big-version.json", "big-int.yaml"}
    assert errors["big-version.json"].startswith("$.affected[0].ranges[0].events[1].fixed: ")
    assert "the limit is 200" in errors["big-version.json"]
    assert "beyond 64 bits" in errors["big-int.yaml"]
    assert "line 3" in errors["big-int.yaml"]
    assert all(len(e) < 500 for e in errors.values())
    assert "PYSEC-2099-9" in [a for a, _, _ in _advisories(platform.database)]
    for name, content in (("x.json", BIG_VERSION), ("x.yaml", BIG_YAML_INT)):
        one = op.post(
            "/api/v1/advisories/import",
            params={"filename": name, "tlp": "CLEAR"},
            content=content,
        )
        assert one.status_code == 200, one.text
        assert one.json()["counts"]["failed"] == 1


# ---- the command line --------------------------------------------------------------------------


def test_the_cli_refuses_each_unreadable_zip_with_exit_code_2(
    database: Database, tmp_path: Path
) -> None:
    for kind in _GARBAGE:
        path = tmp_path / f"{kind}.zip"
        path.write_bytes(bad_zip(kind))
        done = run_cli(database, "advisory", "import", str(path), "--tlp", "CLEAR")
        assert done.returncode == 2, (kind, done.stdout, done.stderr)
        assert "error: b_bad.json: " in done.stderr, (kind, done.stderr)
        assert "internal error" not in done.stderr
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Advisory)) == 0


def test_the_cli_reports_records_it_cannot_read_and_imports_the_rest(
    database: Database, tmp_path: Path
) -> None:
    (tmp_path / "bigver.json").write_bytes(BIG_VERSION)
    (tmp_path / "bigint.yaml").write_bytes(BIG_YAML_INT)
    (tmp_path / "good.json").write_bytes(NEW.read_bytes())
    done = run_cli(database, "advisory", "import", str(tmp_path), "--tlp", "CLEAR")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "bigver.json: $.affected[0].ranges[0].events[1].fixed: " in done.stderr
    assert "bigint.yaml: " in done.stderr
    assert "internal error" not in done.stderr
    assert [a for a, _, _ in _advisories(database)] == ["PYSEC-2099-9"]
