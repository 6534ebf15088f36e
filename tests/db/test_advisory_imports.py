"""Imports on a real database (SQLite and PostgreSQL): files, directories and zips; a
second import of the same revision changes nothing, a newer one adds a revision, an
older one is ignored; limits against oversized input and zip bombs; TLP never defaults
to CLEAR."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from clearinghouse.advisories import imports, publish, renditions, service
from clearinghouse.advisories.export import ExportError, export
from clearinghouse.advisories.models import (
    Advisory,
    AdvisoryPackage,
    AdvisoryRevision,
    RenditionFormat,
    RenditionStatus,
)
from clearinghouse.advisories.schemas import DraftIn
from clearinghouse.audit import service as audit
from clearinghouse.db import Database
from clearinghouse.errors import InvalidInput, PayloadTooLarge
from clearinghouse.formats import csaf
from clearinghouse.formats import model as m
from clearinghouse.principal import SYSTEM
from tests.support.advisories import FIXTURES, log4shell_draft
from tests.unit.formats.csaf_cases import log4shell

NOW = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
OSV = FIXTURES / "osv"
RENDER = publish.render_context("https://clearinghouse.example", "Clearinghouse")


def _options(tlp: m.Tlp | None = m.Tlp.CLEAR, **extra: object) -> imports.ImportOptions:
    return imports.ImportOptions(actor=SYSTEM, now=NOW, tlp=tlp, **extra)  # type: ignore[arg-type]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _fixture_files() -> dict[str, bytes]:
    return {f"vulns/{p.name}": p.read_bytes() for p in sorted(OSV.iterdir())}


def test_zip_import_then_reimport_newer_and_older(database: Database) -> None:
    archive = _zip(_fixture_files())
    with database.transaction() as s:
        report = imports.import_upload(s, "osv.zip", archive, _options())
    assert report.counts()["created"] == 4
    assert {i.source for i in report.items} == {"osv:PyPA", "osv:RustSec"}
    with database.transaction() as s:
        report = imports.import_upload(s, "osv.zip", archive, _options())
    assert report.counts()["unchanged"] == 4

    record = json.loads((OSV / "PYSEC-2099-2.json").read_text())
    newer = {**record, "modified": "2024-06-01T00:00:00Z", "details": "Now with a fix in 1.1.5."}
    older = {**record, "modified": "2023-01-01T00:00:00Z"}
    with database.transaction() as s:
        report = imports.import_upload(s, "new.json", json.dumps(newer).encode(), _options())
        assert [i.outcome for i in report.items] == [imports.Outcome.REVISED]
        report = imports.import_upload(s, "old.json", json.dumps(older).encode(), _options())
        assert [i.outcome for i in report.items] == [imports.Outcome.OLDER]
    with database.transaction(write=False) as s:
        advisory = service.get(s, "PYSEC-2099-2")
        assert advisory.current_revision == 2
        assert advisory.source_revision == "2024-06-01T00:00:00Z"
        assert [r.source_revision for r in service.revisions(s, advisory)] == [
            "2024-02-01T00:00:00Z",
            "2024-06-01T00:00:00Z",
        ]
        served = export(s, advisory, RenditionFormat.OSV, RENDER)
        assert served == newer  # the record as its source wrote it
        paths = {c.path for c in service.diff(s, advisory, 1, 2)}
        assert paths == {
            "current_release",
            "title",  # no summary: the title is the first line of the details
            "vulnerabilities[PYSEC-2099-2].details",
            "vulnerabilities[PYSEC-2099-2].modified",
        }
        assert audit.verify(s).ok


def test_directory_import_and_yaml(database: Database, tmp_path: Path) -> None:
    with database.transaction() as s:
        report = imports.import_path(s, OSV, _options())
    assert report.counts()["created"] == 4
    with database.transaction(write=False) as s:
        rows = s.scalars(select(AdvisoryPackage).where(AdvisoryPackage.name == "example-pkg")).all()
        # PEP 503: "Example_Pkg" is indexed as "example-pkg"
        assert {r.record_id for r in rows} == {"PYSEC-2099-1", "PYSEC-2099-2", "PYSEC-2099-3"}
        assert {r.display_name for r in rows} == {"example-pkg", "Example_Pkg"}


def test_tlp_is_never_assumed(database: Database) -> None:
    with database.transaction() as s:
        report = imports.import_path(s, OSV / "PYSEC-2099-2.json", _options(tlp=None))
    (item,) = report.items
    assert item.outcome is imports.Outcome.FAILED
    assert "TLP" in (item.error or "")


def test_bad_documents_are_reported_and_the_rest_imported(database: Database) -> None:
    files = {
        **_fixture_files(),
        "broken.json": b"{not json",
        "alias-bomb.yaml": b"a: &x [1, 2]\nb: *x\n",
        "no-id.json": b'{"modified": "2024-01-01T00:00:00Z"}',
        "readme.txt": b"ignored: not a document suffix",
    }
    with database.transaction() as s:
        report = imports.import_upload(s, "mixed.zip", _zip(files), _options())
    counts = report.counts()
    assert counts["created"] == 4
    assert counts["failed"] == 3
    failed = {i.name: i.error or "" for i in report.failed}
    assert "aliases" in failed["alias-bomb.yaml"]
    assert "id" in failed["no-id.json"]


def test_zip_limits(database: Database) -> None:
    files = _fixture_files()
    bomb = _zip({"big.json": b"{" + b" " * 200_000 + b"}"})
    assert len(bomb) < 2_000  # compresses to almost nothing
    with database.transaction() as s:
        with pytest.raises(PayloadTooLarge, match="expands"):
            imports.import_upload(
                s, "bomb.zip", bomb, _options(), imports.ImportLimits(max_total_bytes=100_000)
            )
        with pytest.raises(PayloadTooLarge, match="members"):
            imports.import_upload(
                s, "many.zip", _zip(files), _options(), imports.ImportLimits(max_members=3)
            )
        report = imports.import_upload(
            s, "one-big.zip", bomb, _options(), imports.ImportLimits(max_file_bytes=10_000)
        )
        assert report.counts()["failed"] == 1
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Advisory)) == 0


def test_a_member_that_lies_about_its_size_is_cut_off(database: Database) -> None:
    """A zip header claiming a small size cannot make the reader inflate more."""
    data = b'{"id": "PYSEC-2099-7", "modified": "2024-01-01T00:00:00Z"' + b" " * 50_000 + b"}"
    archive = bytearray(_zip({"liar.json": data}))
    # Patch the declared uncompressed size (local header and central directory) to 100.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = archive.find(signature)
        archive[at + offset : at + offset + 4] = (100).to_bytes(4, "little")
    with (
        database.transaction() as s,
        pytest.raises(imports.ImportRefusedError, match=r"liar\.json"),
    ):
        imports.import_upload(
            s, "liar.zip", bytes(archive), _options(), imports.ImportLimits(max_file_bytes=1000)
        )


def test_csaf_import_keeps_the_source_and_refuses_a_clash(database: Database) -> None:
    publisher = m.Publisher("Clearinghouse", "https://clearinghouse.example")
    with database.transaction() as s:
        saved = service.create_draft(
            s, DraftIn.model_validate(log4shell_draft()), actor=SYSTEM, now=NOW, publisher=publisher
        )
        publish.publish(s, saved.advisory, actor=SYSTEM, now=NOW, render=RENDER)
        document = export(s, saved.advisory, RenditionFormat.CSAF, RENDER)
    assert isinstance(document, dict)
    # Our own document, imported back: its id is taken by the local advisory.
    with database.transaction() as s:
        report = imports.import_upload(
            s, "own.json", json.dumps(document).encode(), _options(tlp=None)
        )
    assert (
        report.failed[0].error
        == f"{saved.advisory.public_id} is already stored from source 'local'"
    )
    # The same content published by someone else.
    other = json.loads(json.dumps(document))
    other["document"]["tracking"]["id"] = "VENDOR-2021-0001"
    other["document"]["publisher"]["namespace"] = "https://vendor.example"
    with database.transaction() as s:
        report = imports.import_upload(
            s, "vendor.json", json.dumps(other).encode(), _options(tlp=None)
        )
        (item,) = report.items
        assert item.outcome is imports.Outcome.CREATED, item
        assert item.source == "csaf:https://vendor.example"
        advisory = service.get(s, "VENDOR-2021-0001")
        assert advisory.tlp is m.Tlp.CLEAR  # the document's own label
        again = export(s, advisory, RenditionFormat.CSAF, RENDER)
        assert csaf.validate_csaf(again) == ()
        osv_record = export(s, advisory, RenditionFormat.OSV, RENDER)
        assert isinstance(osv_record, dict)
        assert set(osv_record["aliases"]) == {"GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"}
        stored = s.scalars(
            select(AdvisoryRevision).where(AdvisoryRevision.advisory_id == advisory.id)
        ).one()
        assert stored.source_document == other
        assert stored.source_revision == other["document"]["tracking"]["version"]


def _csaf_document(tracking_id: str) -> dict[str, Any]:
    document = csaf.model_to_csaf(log4shell())
    document["document"]["tracking"]["id"] = tracking_id
    return document


def _same_cve_twice() -> dict[str, Any]:
    """OASIS test 6.1.23's defect: two vulnerabilities with the same CVE."""
    document = _csaf_document("VENDOR-DUPLICATE-CVE")
    document["vulnerabilities"].append(json.loads(json.dumps(document["vulnerabilities"][0])))
    return document


def test_a_csaf_document_naming_one_cve_twice_is_refused_alone(
    database: Database, tmp_path: Path
) -> None:
    """Issue #9, item 1: such a document crashed the whole directory import with an
    IntegrityError on advisory_renditions; it is refused with its reason, the rest import."""
    (tmp_path / "a-duplicate.json").write_text(json.dumps(_same_cve_twice()))
    (tmp_path / "b-good.json").write_text(json.dumps(_csaf_document("VENDOR-GOOD")))
    with database.transaction() as s:
        report = imports.import_path(s, tmp_path, _options(tlp=None))
    outcomes = {i.name: (i.outcome, i.error or "") for i in report.items}
    assert outcomes["b-good.json"][0] is imports.Outcome.CREATED
    outcome, error = outcomes["a-duplicate.json"]
    assert outcome is imports.Outcome.FAILED
    assert "6.1.23" in error
    assert "CVE-2021-44228" in error
    with database.transaction(write=False) as s:
        assert service.get(s, "VENDOR-GOOD").source == "csaf:https://clearinghouse.example"


def test_a_failing_csaf_document_can_be_imported_with_its_findings_recorded(
    database: Database,
) -> None:
    """Issue #9, item 14: with the explicit option, the document is imported, the
    findings are kept with it and shown in the report; its two vulnerabilities stay two."""
    options = _options(tlp=None, on_csaf_findings=csaf.OnFindings.RECORD)
    with database.transaction() as s:
        report = imports.import_upload(
            s, "duplicate.json", json.dumps(_same_cve_twice()).encode(), options
        )
        (item,) = report.items
        assert item.outcome is imports.Outcome.CREATED, item
        assert len(item.warnings) == 1
        assert "6.1.23" in item.warnings[0]
        advisory = service.get(s, "VENDOR-DUPLICATE-CVE")
        doc = service.document(s, advisory)
        assert [v.id for v in doc.vulnerabilities] == ["CH-2021-0001", "CH-2021-0001#2"]
        assert doc.extra[csaf.EXTRA_FINDINGS] == [
            {
                "test": "6.1.23",
                "path": "/vulnerabilities/1/cve",
                "message": "CVE-2021-44228 is used by more than one vulnerability",
            }
        ]
        records = export(s, advisory, RenditionFormat.OSV, RENDER)
        assert isinstance(records, list)
        assert sorted(r["id"] for r in records) == ["x_CH-2021-0001", "x_CH-2021-0001#2"]


def test_a_rendition_clash_no_check_foresaw_refuses_that_document_only(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunk's bulk insert falls back to one document at a time: a renderer that
    (wrongly) gives two renditions one key costs that document, not the import."""
    real = renditions.source_renditions

    def doubled(doc: m.Advisory, raw: dict[str, Any], withdrawn: Any = None) -> Any:
        renditions = real(doc, raw, withdrawn)
        return renditions * 2 if doc.id == "VENDOR-BROKEN" else renditions

    monkeypatch.setattr(imports, "source_renditions", doubled)
    files = {
        "broken.json": json.dumps(_csaf_document("VENDOR-BROKEN")).encode(),
        "good.json": json.dumps(_csaf_document("VENDOR-FINE")).encode(),
    }
    with database.transaction() as s:
        report = imports.import_upload(s, "two.zip", _zip(files), _options(tlp=None))
    outcomes = {i.name: (i.outcome, i.error or "") for i in report.items}
    assert outcomes["good.json"] == (imports.Outcome.CREATED, "")
    assert outcomes["broken.json"][0] is imports.Outcome.FAILED
    assert "cannot be stored" in outcomes["broken.json"][1]
    with database.transaction(write=False) as s:
        assert service.get(s, "VENDOR-FINE").current_revision == 1
        assert audit.verify(s).ok


def test_a_csaf_document_without_vulnerabilities_imports_and_exports_back(
    database: Database,
) -> None:
    """Issue #9, item 13: it was refused ("no vulnerabilities"). Its OSV rendition is
    stated as not applicable, and its CSAF export is the document's own category."""
    document = _csaf_document("VENDOR-NOTICE")
    document["document"]["category"] = "csaf_informational_advisory"
    del document["vulnerabilities"], document["product_tree"]
    with database.transaction() as s:
        report = imports.import_upload(s, "notice.json", json.dumps(document).encode(), _options())
        (item,) = report.items
        assert item.outcome is imports.Outcome.CREATED, item
        advisory = service.get(s, "VENDOR-NOTICE")
        [osv_rendition] = renditions.renditions_of(s, advisory)
        assert (osv_rendition.format, osv_rendition.status) == (
            RenditionFormat.OSV,
            RenditionStatus.NOT_APPLICABLE,
        )
        again = export(s, advisory, RenditionFormat.CSAF, RENDER)
        assert isinstance(again, dict)
        assert again["document"]["category"] == "csaf_informational_advisory"
        assert "vulnerabilities" not in again
        assert csaf.validate_csaf(again) == ()
        with pytest.raises(ExportError, match="does not apply: the advisory describes no"):
            export(s, advisory, RenditionFormat.OSV, RENDER)


def test_values_longer_than_their_columns_refuse_that_document_alone(database: Database) -> None:
    """On PostgreSQL such a value failed the whole import (a DataError: a 500, or exit 70);
    on SQLite it was stored. Now each such document is refused by name, on both, and the
    rest of the import is stored."""
    long_tracking_id = _csaf_document("X" * 201)
    long_vulnerability_id = _csaf_document("VENDOR-LONG-VULN-ID")
    long_vulnerability_id["vulnerabilities"][0]["ids"] = [
        {"system_name": "vendor", "text": "V" * 300}
    ]
    record = json.loads((OSV / "PYSEC-2099-2.json").read_text())
    long_osv_id = {**record, "id": "PYSEC-" + "9" * 250}
    long_modified = {
        **record,
        "id": "PYSEC-2099-77",
        "modified": "2024-06-01T00:00:00." + "0" * 100 + "Z",
    }
    files = {
        **_fixture_files(),
        "long-tracking-id.json": json.dumps(long_tracking_id).encode(),
        "long-vulnerability-id.json": json.dumps(long_vulnerability_id).encode(),
        "long-osv-id.json": json.dumps(long_osv_id).encode(),
        "long-modified.json": json.dumps(long_modified).encode(),
    }
    with database.transaction() as s:
        report = imports.import_upload(s, "long.zip", _zip(files), _options())
    assert report.counts()["created"] == 4
    failed = {i.name: i.error for i in report.failed}
    assert failed == {
        "long-tracking-id.json": "document.tracking.id is 201 characters long; "
        "at most 200 can be stored",
        "long-vulnerability-id.json": "cannot be stored: advisory_renditions.key is 302 "
        "characters long; at most 200 can be stored",
        "long-osv-id.json": "id is 256 characters long; at most 200 can be stored",
        "long-modified.json": "modified is 121 characters long; at most 100 can be stored",
    }
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Advisory)) == 4


def test_a_newer_revision_holding_an_overlong_value_is_refused_and_the_stored_one_kept(
    database: Database,
) -> None:
    document = _csaf_document("VENDOR-2021-0002")
    with database.transaction() as s:
        (item,) = imports.import_upload(
            s, "v1.json", json.dumps(document).encode(), _options(tlp=None)
        ).items
    assert item.outcome is imports.Outcome.CREATED, item
    newer = json.loads(json.dumps(document))
    tracking = newer["document"]["tracking"]
    tracking["version"] = "3"
    tracking["current_release_date"] = "2026-01-01T00:00:00Z"
    tracking["revision_history"].append(
        {"number": "3", "date": "2026-01-01T00:00:00Z", "summary": "Another vendor id."}
    )
    newer["vulnerabilities"][0]["ids"] = [{"system_name": "vendor", "text": "V" * 300}]
    with database.transaction() as s:
        (item,) = imports.import_upload(
            s, "v2.json", json.dumps(newer).encode(), _options(tlp=None)
        ).items
    assert item.outcome is imports.Outcome.FAILED, item
    assert item.error is not None
    assert "at most 200 can be stored" in item.error
    with database.transaction(write=False) as s:
        advisory = service.get(s, "VENDOR-2021-0002")
        assert advisory.current_revision == 1


def test_a_source_longer_than_advisories_keep_is_refused_before_reading(
    database: Database,
) -> None:
    with database.transaction() as s, pytest.raises(InvalidInput) as refused:
        imports.import_path(s, OSV, _options(source="osv:" + "x" * 300))
    assert refused.value.extensions["field"] == "source"
