"""Real corpora through the platform's import, storage and export (SQLite and PostgreSQL):

* every PyPA and RustSec OSV record imports, is served exactly as its source wrote it,
  survives storage (the stored neutral document reads back equal), and re-renders as a
  schema-valid OSV record that reads back to the same advisory;
* every OASIS CSAF example (and expected-valid test vector) that an advisory can hold
  imports and re-exports valid, by the platform's checks and by BSI's validator;
* the Log4Shell advisories (GitHub's four records, and the platform's own draft) export
  as CSAF, CSAF VEX, OSV and CVE 5.x, each valid against its schema, CSAF also by BSI.

The counts are pinned so that a change in behaviour is noticed.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from clearinghouse.advisories import imports, publish, renditions, service
from clearinghouse.advisories.export import export
from clearinghouse.advisories.models import Advisory, Rendition, RenditionFormat
from clearinghouse.advisories.render import osv_view
from clearinghouse.advisories.schemas import DraftIn
from clearinghouse.db import Database
from clearinghouse.formats import csaf, cve5, neutral, osv
from clearinghouse.formats import model as m
from clearinghouse.formats.schemas import load_document
from clearinghouse.principal import SYSTEM
from tests.support.advisories import log4shell_draft
from tests.unit.formats.csaf_cases import BsiRunner, bsi, failed_tests

__all__ = ["bsi"]

NOW = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
RENDER = publish.render_context("https://clearinghouse.example", "Clearinghouse")
LOG4SHELL = {
    "GHSA-jfh8-c2jp-5v3q": "CVE-2021-44228",
    "GHSA-7rjr-3q55-vv33": "CVE-2021-45046",
    "GHSA-p6xc-xr62-6r2g": "CVE-2021-45105",
    "GHSA-8489-44mv-ggj8": "CVE-2021-44832",
}

INVALID_SOURCES = 7  # source records the bundled OSV 1.7 schema refuses

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


def _options(tlp: m.Tlp | None = m.Tlp.CLEAR) -> imports.ImportOptions:
    return imports.ImportOptions(actor=SYSTEM, now=NOW, tlp=tlp)


def _sources(directory: Path, pattern: str) -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(directory.glob(pattern)):
        value = load_document(path.read_bytes(), filename=path.name, error=osv.OsvError)
        out[value["id"]] = value
    return out


def test_pypa_and_rustsec_import_and_round_trip(database: Database, shared_data: Path) -> None:
    counts = {}
    sources: dict[str, dict[str, Any]] = {}
    for name, directory, pattern in (
        ("pypa", shared_data / "osv/pypa/vulns", "*/*.yaml"),
        ("rustsec", shared_data / "osv/rustsec/crates", "*.json"),
    ):
        with database.transaction() as s:
            report = imports.import_path(s, directory, _options())
        assert report.failed == [], report.failed[:3]
        counts[name] = report.counts()["created"]
        sources.update(_sources(directory, pattern))
    assert counts == {"pypa": 2661, "rustsec": 1206}

    served = same_storage = rerendered = withdrawn = merged = invalid_sources = 0
    pure_checks = database.dialect == "sqlite"
    with database.transaction(write=False) as s:
        rows = s.execute(
            select(Advisory, Rendition).join(Rendition, Rendition.advisory_id == Advisory.id)
        ).all()
        assert len(rows) == len(sources) == 3867
        for advisory, rendition in rows:
            raw = sources[advisory.public_id]
            # Served exactly as the source wrote it.
            assert rendition.format is RenditionFormat.OSV
            assert rendition.content == raw, advisory.public_id
            served += 1
            # Storage round trip: the stored document reads back to the imported advisory.
            stored = service.document(s, advisory)
            expected = osv.osv_to_model(osv.parse_osv(raw), tlp=m.Tlp.CLEAR, source=advisory.source)
            assert stored == expected, advisory.public_id
            same_storage += 1
            # Rendition round trip (pure: checked once, on the SQLite run): our own OSV
            # rendering reads back to the same advisory and is schema-valid unless its
            # source already was not.
            if not pure_checks:
                continue
            (record,) = osv.model_to_osv(osv_view(stored))
            data = osv.dump_osv(record)
            if osv.osv_schema_violations(data):
                assert osv.osv_schema_violations(raw), advisory.public_id
                invalid_sources += 1
            back = osv.osv_to_model(osv.parse_osv(data), source=advisory.source)
            assert back.vulnerabilities == (_normalised(stored),), advisory.public_id
            rerendered += 1
            merged += len(_unique_urls(stored.vulnerabilities[0])) != len(
                stored.vulnerabilities[0].references
            )
            withdrawn += record.is_withdrawn
    assert (served, same_storage) == (3867, 3867)
    if not pure_checks:
        return
    assert rerendered == 3867
    # Records listing one URL under several reference types (kept as the source wrote
    # them when served; merged by formats.osv.model_to_osv when re-rendered).
    assert merged == 291
    # Source records the OSV schema itself refuses (e.g. a GIT "fixed" that is a file
    # name, not a commit); every other re-rendered record is schema-valid.
    assert invalid_sources == INVALID_SOURCES
    assert withdrawn == sum(1 for raw in sources.values() if raw.get("withdrawn"))


def _unique_urls(vuln: m.Vulnerability) -> tuple[m.Reference, ...]:
    seen: dict[str, m.Reference] = {}
    for ref in vuln.references:
        seen.setdefault(ref.url, ref)
    return tuple(seen.values())


def _normalised(advisory: m.Advisory) -> m.Vulnerability:
    """What formats.osv's rendering is documented to fill in or merge: an absent summary
    becomes the title, an absent ``published`` the initial release, and references
    sharing a URL become one."""
    vuln = advisory.vulnerabilities[0]
    return dataclasses.replace(
        vuln,
        summary=vuln.summary or advisory.title,
        published=vuln.published or advisory.initial_release,
        references=_unique_urls(vuln),
    )


def _csaf_files(shared_data: Path) -> tuple[list[Path], list[Path]]:
    root = shared_data / "csaf"
    examples = sorted((root / "examples/csaf").glob("*.json")) + sorted(
        (root / "examples/csaf/csaf_vex").glob("*.json")
    )
    base = root / "test/validator/data"
    cases = json.loads((base / "testcases.json").read_text())["tests"]
    valid = sorted({c["name"] for t in cases for c in t.get("valid", []) if c["valid"]})
    return examples, [base / name for name in valid]


def test_oasis_csaf_documents_import_and_reexport_valid(
    database: Database, shared_data: Path, bsi: BsiRunner
) -> None:
    """Every OASIS example and expected-valid vector imports (issue #9, item 13) and its
    ``csaf`` export, in the document's own category, is valid by the platform's checks
    and by BSI's validator; OSV renditions are records or stated as not applicable."""
    examples, vectors = _csaf_files(shared_data)
    assert (len(examples), len(vectors)) == (19, 94)
    reexported: list[tuple[str, dict[str, Any]]] = []
    osv_outcomes: dict[str, Counter[str]] = {}
    for label, files in (("examples", examples), ("vectors", vectors)):
        tally: Counter[str] = Counter()
        for path in files:
            raw = json.loads(path.read_text())
            # Each document is imported under a source of its own, so that it can be found.
            options = imports.ImportOptions(actor=SYSTEM, now=NOW, source=f"csaf:test/{path.name}")
            with database.transaction() as s:
                report = imports.import_upload(s, path.name, path.read_bytes(), options)
                (item,) = report.items
                assert item.outcome is imports.Outcome.CREATED, (path.name, item)
                advisory = s.scalars(
                    select(Advisory).where(Advisory.source == options.source)
                ).one()
                again = export(s, advisory, RenditionFormat.CSAF, RENDER)
                tally.update(r.status.value for r in renditions.renditions_of(s, advisory))
            assert isinstance(again, dict)
            assert again["document"]["category"] == raw["document"]["category"]
            assert csaf.validate_csaf(again) == (), path.name
            reexported.append((path.name, again))
        osv_outcomes[label] = tally
    assert len(reexported) == 19 + 94
    # Issue #9, item 16: no OSV rendition fails; records without an OSV package say so.
    assert {k: v["failed"] for k, v in osv_outcomes.items()} == {"examples": 0, "vectors": 0}
    results = bsi([doc for _, doc in reexported])
    failures = {
        name: failed_tests(r)
        for (name, _), r in zip(reexported, results, strict=True)
        if not r["isValid"]
    }
    assert failures == {}


def test_log4shell_exports_validate(database: Database, shared_data: Path, bsi: BsiRunner) -> None:
    with database.transaction() as s:
        report = imports.import_path(s, shared_data / "osv/ghsa", _options())
        assert report.counts()["created"] == 7
        saved = service.create_draft(
            s,
            DraftIn.model_validate(log4shell_draft()),
            actor=SYSTEM,
            now=NOW,
            publisher=m.Publisher("Clearinghouse", "https://clearinghouse.example"),
        )
        result = publish.publish(s, saved.advisory, actor=SYSTEM, now=NOW, render=RENDER)
        assert not result.failed, [(r.format, r.detail) for r in result.failed]
    csaf_documents = []
    with database.transaction(write=False) as s:
        for public_id in [*LOG4SHELL, saved.advisory.public_id]:
            advisory = service.get(s, public_id)
            for fmt in (RenditionFormat.CSAF, RenditionFormat.CSAF_VEX):
                document = export(s, advisory, fmt, RENDER)
                assert isinstance(document, dict)
                assert csaf.validate_csaf(document) == (), (public_id, fmt)
                csaf_documents.append(document)
            record = export(s, advisory, RenditionFormat.OSV, RENDER)
            assert isinstance(record, dict)
            osv.validate_osv_schema(record)
            cve_record = export(s, advisory, RenditionFormat.CVE5, RENDER)
            assert isinstance(cve_record, dict)
            cve5.validate_cve5(cve_record)
            expected_cve = LOG4SHELL.get(public_id, "CVE-2021-44228")
            assert cve_record["cveMetadata"]["cveId"] == expected_cve
            stored = neutral.from_json(neutral.to_json(service.document(s, advisory)))
            assert stored == service.document(s, advisory)
    results = bsi(csaf_documents)
    assert [failed_tests(r) for r in results if not r["isValid"]] == []
    assert len(results) == 10
