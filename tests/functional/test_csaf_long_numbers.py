"""CSAF documents whose tracking version, a revision number or a product version runs to
thousands of digits, imported over HTTP and by the command line as a user runs it (a real
process), on SQLite and PostgreSQL. Python's ``int()`` refuses more than 4,300 digits:
such a number made the import answer 500 (exit code 70). A version or revision number
over 100 characters (more than the platform keeps) now fails its document alone, named
by its JSON pointer (exit code 1), and the rest of the batch is stored; a long product
version is stored and rendered."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from clearinghouse.advisories.models import Advisory
from clearinghouse.db import Database
from clearinghouse.formats import csaf
from clearinghouse.timeutil import FixedClock
from tests.support.advisories import AdvisoryPlatform, advisory_platform
from tests.support.cli import run_cli
from tests.unit.formats.csaf_cases import log4shell

LONG = "1" + "0" * 5000  # int() refuses it: 5,001 digits


def _document(tracking_id: str, *numbers: str) -> dict[str, Any]:
    """Log4Shell as CSAF under ``tracking_id``, its two revisions numbered ``numbers``."""
    doc: dict[str, Any] = copy.deepcopy(csaf.model_to_csaf(log4shell()))
    tracking = doc["document"]["tracking"]
    tracking["id"] = tracking_id
    for revision, number in zip(tracking["revision_history"], numbers, strict=True):
        revision["number"] = number
    tracking["version"] = numbers[-1]
    return doc


BATCH: dict[str, dict[str, Any]] = {
    # integer versioning: 1, then 10**5000
    "long-integer.json": _document("VENDOR-LONG-INTEGER", "1", LONG),
    # semantic versioning: 1.0.0, then 1.<10**5000>.0 (valid CSAF: the schema bounds neither)
    "long-semver.json": _document("VENDOR-LONG-SEMVER", "1.0.0", f"1.{LONG}.0"),
    # only an earlier revision's number is long
    "long-history.json": _document("VENDOR-LONG-HISTORY", LONG, "2"),
    "good.json": _document("VENDOR-GOOD", "1", "2"),
}
REASONS = {
    "long-integer.json": "/document/tracking/version: a version of 5001 characters; "
    "the limit is 100",
    "long-semver.json": "/document/tracking/version: a version of 5005 characters; "
    "the limit is 100",
    "long-history.json": "/document/tracking/revision_history/0/number: a version of 5001 "
    "characters; the limit is 100",
}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, doc in BATCH.items():
            archive.writestr(name, json.dumps(doc))
    return buffer.getvalue()


def _stored(database: Database) -> list[str]:
    with database.transaction(write=False) as s:
        return sorted(s.scalars(select(Advisory.public_id)))


@pytest.fixture
def platform(database: Database, clock: FixedClock) -> Iterator[AdvisoryPlatform]:
    with advisory_platform(database, clock) as p:
        yield p


@pytest.mark.parametrize("findings", ["refuse", "record"])
def test_a_csaf_document_with_a_5001_digit_version_fails_alone_over_http(
    platform: AdvisoryPlatform, findings: str
) -> None:
    op = platform.operator()
    r = op.post(
        "/api/v1/advisories/import",
        params={"filename": "batch.zip", "tlp": "CLEAR", "csaf_findings": findings},
        content=_zip(),
    )
    assert r.status_code == 200, r.text[:2000]
    body = r.json()
    assert body["counts"]["created"] == 1
    assert body["counts"]["failed"] == 3
    errors = {i["name"]: i["error"] for i in body["items"] if i["outcome"] == "failed"}
    assert errors == REASONS
    assert _stored(platform.database) == ["VENDOR-GOOD"]
    one = op.post(
        "/api/v1/advisories/import",
        params={"filename": "one.json", "tlp": "CLEAR"},
        content=json.dumps(BATCH["long-integer.json"]).encode(),
    )
    assert one.status_code == 200, one.text[:2000]
    assert one.json()["items"][0]["error"] == REASONS["long-integer.json"]


def test_a_product_version_of_5001_digits_is_stored_and_rendered(
    platform: AdvisoryPlatform,
) -> None:
    """The renderer orders product versions by their numbers (2.3.1 before 2.12.2) without
    ``int()``: the CSAF rendition of such a document was a 500."""
    long_version = f"2.{LONG}"
    doc = json.dumps(_document("VENDOR-LONG-PRODUCT", "1", "2")).replace("2.14.1", long_version)
    op = platform.operator()
    r = op.post(
        "/api/v1/advisories/import",
        params={"filename": "product.json", "tlp": "CLEAR"},
        content=doc.encode(),
    )
    assert r.status_code == 200, r.text[:2000]
    assert r.json()["counts"]["created"] == 1, r.text[:2000]
    exported = op.get("/api/v1/advisories/VENDOR-LONG-PRODUCT/export", params={"format": "csaf"})
    assert exported.status_code == 200, exported.text[:2000]
    assert long_version in exported.text
    assert csaf.validate_csaf(exported.json()) == ()


# ---- the command line --------------------------------------------------------------------------


def test_the_cli_reports_each_long_version_and_imports_the_rest(
    database: Database, tmp_path: Path
) -> None:
    for name, doc in BATCH.items():
        (tmp_path / name).write_text(json.dumps(doc))
    done = run_cli(database, "advisory", "import", str(tmp_path), "--tlp", "CLEAR")
    assert done.returncode == 1, (done.stdout, done.stderr[:2000])
    for name, reason in REASONS.items():
        assert f"{name}: {reason}" in done.stderr, done.stderr[:2000]
    assert "internal error" not in done.stderr
    assert _stored(database) == ["VENDOR-GOOD"]
