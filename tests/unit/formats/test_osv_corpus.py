"""Every real OSV record in ../shared/data: parse, dump back unchanged, validate, convert.

Corpora: PyPA (2,661 YAML), RustSec (1,206 JSON), GitHub (7 JSON). Skipped, with the reason,
when ../shared/data is absent. Counts and timings are printed (see them with ``-rP``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.formats.cve5 import cve5_schema_violations, model_to_cve5
from clearinghouse.formats.model import Package, Tlp
from clearinghouse.formats.osv import (
    OsvError,
    OsvRecord,
    dump_osv,
    model_to_osv,
    osv_schema_violations,
    osv_to_model,
    parse_osv,
)
from clearinghouse.formats.schemas import load_document

pytestmark = pytest.mark.shared_data

# name: (folder, glob, records, withdrawn, CVE records rendered from every third record)
CORPORA = {
    "pypa": ("osv/pypa/vulns", "*/*.yaml", 2661, 10, 878),
    "rustsec": ("osv/rustsec/crates", "RUSTSEC-*.json", 1206, 13, 171),
    "ghsa": ("osv/ghsa", "GHSA-*.json", 7, 0, 7),
}
# Real defects in the PyPA data: GIT events whose "commit" is abbreviated or carries a
# ".patch" suffix. They parse (parsing does not judge hashes) but the schema rejects them.
PYPA_SHORT_COMMITS = {
    "PYSEC-2017-27",
    "PYSEC-2019-155",
    "PYSEC-2021-371",
    "PYSEC-2021-424",
    "PYSEC-2021-425",
    "PYSEC-2021-436",
    "PYSEC-2023-80",
}


@dataclass(frozen=True)
class Corpus:
    name: str
    files: list[Path]
    raw: list[Any]
    records: list[OsvRecord]
    load_seconds: float
    parse_seconds: float


_cache: dict[str, Corpus] = {}


@pytest.fixture(params=sorted(CORPORA), scope="module")
def corpus(request: pytest.FixtureRequest, shared_data: Path) -> Corpus:
    name: str = request.param
    if name not in _cache:
        folder, pattern, *_ = CORPORA[name]
        files = sorted((shared_data / folder).glob(pattern))
        started = time.perf_counter()
        raw = [load_document(f.read_bytes(), filename=f.name, error=OsvError) for f in files]
        loaded = time.perf_counter()
        records = [parse_osv(x) for x in raw]
        parsed = time.perf_counter()
        _cache[name] = Corpus(name, files, raw, records, loaded - started, parsed - loaded)
    return _cache[name]


def test_every_record_parses_and_dumps_back_unchanged(corpus: Corpus) -> None:
    _, _, expected, withdrawn, _ = CORPORA[corpus.name]
    assert len(corpus.records) == expected, f"{corpus.name}: found {len(corpus.records)} files"
    changed = [
        f.name
        for f, x, r in zip(corpus.files, corpus.raw, corpus.records, strict=True)
        if dump_osv(r) != x
    ]
    assert changed == [], f"{corpus.name}: {len(changed)} records do not dump back: {changed[:5]}"
    assert sum(r.is_withdrawn for r in corpus.records) == withdrawn
    print(
        f"{corpus.name}: {len(corpus.records)} records; read {corpus.load_seconds:.2f} s, "
        f"parsed {corpus.parse_seconds:.2f} s ({withdrawn} withdrawn)"
    )


def test_parsing_is_fast(corpus: Corpus) -> None:
    # Parsing already-read JSON should be a small fraction of reading it.
    per_record = corpus.parse_seconds / len(corpus.records)
    assert per_record < 0.002, f"{corpus.name}: {per_record * 1000:.2f} ms per record"


def _invalid(records: list[OsvRecord], dumps: list[dict[str, Any]]) -> dict[str, list[str]]:
    found = {}
    for record, dumped in zip(records, dumps, strict=True):
        violations = osv_schema_violations(dumped)
        if violations:
            found[record.id] = [v.path for v in violations]
    return found


def _expected_invalid(name: str) -> set[str]:
    return PYPA_SHORT_COMMITS if name == "pypa" else set()


@pytest.mark.slow
def test_every_record_validates_against_the_osv_schema(corpus: Corpus) -> None:
    invalid = _invalid(corpus.records, corpus.raw)
    assert set(invalid) == _expected_invalid(corpus.name), invalid
    for paths in invalid.values():  # and only because of the commit hashes
        assert all(".ranges[0].events[" in p for p in paths), paths
    print(f"{corpus.name}: {len(corpus.records) - len(invalid)}/{len(corpus.records)} schema-valid")


@pytest.mark.slow
def test_every_record_converts_to_the_model_and_back_to_valid_osv(corpus: Corpus) -> None:
    advisories = [osv_to_model(r, tlp=Tlp.CLEAR) for r in corpus.records]
    assert [a.vulnerabilities[0].id for a in advisories] == [r.id for r in corpus.records]
    assert all(
        (a.vulnerabilities[0].withdrawn is not None) == r.is_withdrawn
        for a, r in zip(advisories, corpus.records, strict=True)
    )
    again = [record for a in advisories for record in model_to_osv(a)]
    invalid = _invalid(again, [dump_osv(r) for r in again])
    assert set(invalid) == _expected_invalid(corpus.name), invalid
    print(
        f"{corpus.name}: {len(again)} records through the model; "
        f"{len(again) - len(invalid)} schema-valid"
    )


@pytest.mark.slow
def test_records_with_a_cve_render_valid_cve5(corpus: Corpus) -> None:
    # Every third record (all GitHub ones) keeps this under a few seconds.
    step = 1 if corpus.name == "ghsa" else 3
    rendered = 0
    for record in corpus.records[::step]:
        advisory = osv_to_model(record, tlp=Tlp.CLEAR)
        vulnerability = advisory.vulnerabilities[0]
        if vulnerability.cve is None or record.is_withdrawn:
            continue
        cve = model_to_cve5(
            advisory,
            vulnerability,
            cna_org_id="b3476cb9-2e3d-41a6-98d0-0f47421a65b6",
            cna_short_name="clearinghouse",
        )
        assert cve5_schema_violations(cve) == (), record.id
        rendered += 1
    assert rendered == CORPORA[corpus.name][4]  # the others have no CVE alias
    print(f"{corpus.name}: {rendered} CVE 5.x records rendered, all schema-valid")


def test_github_log4shell_record_reads_as_expected(shared_data: Path) -> None:
    path = shared_data / "osv" / "ghsa" / "GHSA-jfh8-c2jp-5v3q.json"
    record = parse_osv(load_document(path.read_bytes(), filename=path.name, error=OsvError))
    (v,) = osv_to_model(record, tlp=Tlp.CLEAR).vulnerabilities
    assert v.cve == "CVE-2021-44228"
    assert "CWE-502" in v.cwes
    assert any(s.base_score == 10.0 and s.base_severity == "CRITICAL" for s in v.severity)
    core = next(a for a in v.affected if a.package.name == "org.apache.logging.log4j:log4j-core")
    assert core.package == Package(
        "Maven", "org.apache.logging.log4j:log4j-core", core.package.purl
    )
    events = [(e.kind.value, e.value) for r in core.ranges for e in r.events]
    assert ("introduced", "2.13.0") in events
    assert ("fixed", "2.15.0") in events
