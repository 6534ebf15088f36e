"""Exposure matching through the platform (``clearinghouse.exposure``), on SQLite and on
PostgreSQL: the same advisories and fleet as the in-memory benchmark, but imported and
uploaded through the platform's own services, indexed in its tables, and matched by the
code its jobs run.

What is timed (each on a freshly migrated database per backend):

* **import**: the OSV records through ``advisories.imports`` (context, not a target);
* **upload**: every organisation's SBOM (CycloneDX 1.5 JSON built from its fleet rows)
  through ``exposure.inventories.upload``: read, index rows, history, audit, outbox; the
  fleet is uploaded without the schema check, whose cost is measured on its own on one
  SBOM of a thousand components;
* **full match**: every inventory's current upload against the advisory index
  (``exposure.matching.inventory_pairs``, what the inventory job matches with), warm,
  in rows per second; plus the whole job (findings, history, notices) once, cold;
* **a new advisory**: every organisation it affects, end to end from the database with a
  cold range cache (``affected_organisations``), median of at least 11; and its whole
  job (pairs, findings, the members told) once;
* **a new inventory**: a 10,000-component SBOM uploaded (schema checked) and its job run.

Agreement: the organisations a new advisory affects and the (row, advisory) matches of
the full pass are checked against the in-memory side of the same run.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson
from packageurl import PackageURL
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from bench.common import Timings, console, fmt_ms, fmt_rate, time_once
from bench.matching_data import Entry, Fleet, PackageKey
from clearinghouse import migrate
from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import Organisation
from clearinghouse.advisories import imports
from clearinghouse.advisories.index import RangeCache
from clearinghouse.advisories.models import Advisory
from clearinghouse.db import Database
from clearinghouse.exposure import findings, inventories, telling
from clearinghouse.exposure.matching import (
    Checker,
    FullMatch,
    advisory_pairs,
    affected_organisations,
    full_match,
    inventory_pairs,
)
from clearinghouse.exposure.models import Finding, Inventory
from clearinghouse.formats.csaf_vocab import PURL_TYPE_TO_ECOSYSTEM
from clearinghouse.formats.model import Tlp
from clearinghouse.jobs.models import Job
from clearinghouse.principal import SYSTEM
from clearinghouse.vocab import OrgKind

NOW: Final = datetime(2026, 12, 1, tzinfo=UTC)
POSTGRES_ENV: Final = ("CLEARINGHOUSE_BENCH_POSTGRES_URL", "CLEARINGHOUSE_TEST_POSTGRES_URL")
BENCH_DATABASE: Final = "ch_bench_exposure"
NEW_INVENTORY_COMPONENTS: Final = 10_000
TARGET_NEW_INVENTORY_SECONDS: Final = 1.0
_ECOSYSTEM_TO_PURL: Final = {eco.casefold(): kind for kind, eco in PURL_TYPE_TO_ECOSYSTEM.items()}


def postgres_url(given: str | None) -> str | None:
    return given or next((os.environ[k] for k in POSTGRES_ENV if os.environ.get(k)), None)


# ---- the fleet as SBOMs --------------------------------------------------------------------------


def purl_of(package: PackageKey, version: str) -> str | None:
    """The package URL of a fleet row (None for an ecosystem without a purl type here)."""
    ecosystem, name = package
    kind = _ECOSYSTEM_TO_PURL.get(ecosystem.split(":", 1)[0])
    if kind is None:
        return None
    namespace: str | None = None
    if kind == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif "/" in name:
        namespace, name = name.rsplit("/", 1)
    return str(PackageURL(type=kind, namespace=namespace, name=name, version=version).to_string())


def sbom_document(rows: Sequence[tuple[PackageKey, str]], title: str) -> bytes:
    components: list[dict[str, str]] = []
    seen: set[str] = set()
    for package, version in rows:
        purl = purl_of(package, version)
        if purl is None or purl in seen:
            continue
        seen.add(purl)
        components.append(
            {
                "type": "library",
                "bom-ref": f"c{len(components)}",
                "name": package[1].rsplit("/", 1)[-1].rsplit(":", 1)[-1],
                "version": version,
                "purl": purl,
            }
        )
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": title, "bom-ref": "root"}},
        "components": components,
    }
    return orjson.dumps(document)


def fleet_sboms(fleet: Fleet) -> list[bytes]:
    """One SBOM per organisation of the fleet, its rows in order."""
    by_org: dict[int, list[tuple[PackageKey, str]]] = defaultdict(list)
    for package, version, org in zip(fleet.packages, fleet.versions, fleet.orgs, strict=True):
        by_org[org].append((package, version))
    return [sbom_document(by_org[org], f"system-{org}") for org in range(fleet.organisations)]


def distinct_rows(fleet: Fleet, count: int) -> list[tuple[PackageKey, str]]:
    seen: dict[tuple[PackageKey, str], None] = {}
    for package, version in zip(fleet.packages, fleet.versions, strict=True):
        if purl_of(package, version) is not None:
            seen.setdefault((package, version))
        if len(seen) >= count:
            break
    return list(seen)


# ---- a database per backend ----------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, pg_url: str | None) -> Iterator[Database]:
    """A migrated, empty database: a SQLite file in a temporary folder, or a PostgreSQL
    database of its own (dropped and created again) on the server ``pg_url`` names."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ch-bench-") as folder:
            database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
            migrate.upgrade(database.engine, "head")
            try:
                yield database
            finally:
                database.dispose()
        return
    if pg_url is None:
        raise ValueError("PostgreSQL needs --postgres URL")
    import psycopg

    server = make_url(pg_url)
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}"')
        conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    database = Database(server.set(database=BENCH_DATABASE).render_as_string(hide_password=False))
    try:
        migrate.upgrade(database.engine, "head")
        yield database
    finally:
        database.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')


# ---- the run -----------------------------------------------------------------------------------


@dataclass
class Side:
    """What the in-memory benchmark computed on the same fleet, to agree with."""

    fleet: Fleet
    headline: str  # the advisory timed as "new"
    headline_orgs: set[int]
    pairs: set[tuple[int, str]]  # (row's organisation, advisory) found in memory


def _organisations(database: Database, count: int) -> list[Organisation]:
    with database.transaction() as s:
        return [
            accounts.create_organisation(
                s,
                actor=SYSTEM,
                now=NOW,
                slug=f"org-{n}",
                name=f"Organisation {n}",
                kind=OrgKind.MEMBER,
                country="CN",
            )
            for n in range(count)
        ]


def _import(database: Database, source: Path | list[dict[str, Any]]) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="ch-bench-osv-") as folder:
        if isinstance(source, list):
            for n, record in enumerate(source):
                (Path(folder) / f"r{n}.json").write_bytes(orjson.dumps(record))
            source = Path(folder)
        with database.transaction() as s:
            report = imports.import_path(
                s, source, imports.ImportOptions(actor=SYSTEM, now=NOW, tlp=Tlp.CLEAR)
            )
    with database.transaction() as s:  # the index_changed jobs: nothing to match yet
        s.execute(delete(Job))
    return report.counts()


def _upload_all(
    database: Database, orgs: list[Organisation], sboms: list[bytes]
) -> list[uuid.UUID]:
    ids = []
    for org, document in zip(orgs, sboms, strict=True):
        with database.transaction() as s:
            done = inventories.upload(
                s,
                actor=SYSTEM,
                org=s.get(Organisation, org.id) or org,  # the same row, this session's
                name="fleet",
                data=document,
                now=NOW,
                validate_schema=False,
            )
            ids.append(done.inventory.id)
    with database.transaction() as s:
        s.execute(delete(Job))
    return ids


def _full_match(database: Database, cache: RangeCache) -> FullMatch:
    with database.transaction(write=False) as s:
        return full_match(s, Checker(cache))


def _full_jobs(database: Database, inventory_ids: list[uuid.UUID], cache: RangeCache) -> None:
    for inventory_id in inventory_ids:
        with database.transaction() as s:
            scope = findings.MatchScope(inventory_id=inventory_id)
            findings.reconcile(s, inventory_pairs(s, inventory_id, Checker(cache)), scope, NOW)
            telling.tell(s, scope, NOW)


def _agrees(
    platform: set[tuple[int, str]], memory: set[tuple[int, str]], undecided: set[tuple[int, str]]
) -> bool:
    """The same pairs, except those the platform lists as undecided (a version or range
    boundary its ordering cannot read: listed, never silently clean), which the in-memory
    side calls not affected unless the record lists the version."""
    return memory <= platform and platform - memory <= undecided


def _platform_pairs(database: Database, orgs: list[Organisation]) -> set[tuple[int, str]]:
    number = {org.id: n for n, org in enumerate(orgs)}
    with database.transaction(write=False) as s:
        return {
            (number[org_id], record)
            for org_id, record in s.execute(
                select(Finding.org_id, Finding.record_id).where(Finding.matching.is_(True))
            )
        }


def run_backend(
    backend: str,
    side: Side,
    records: Path | list[dict[str, Any]],
    *,
    pg_url: str | None,
    runs: int,
) -> dict[str, Any]:
    fleet = side.fleet
    sboms = fleet_sboms(fleet)
    result: dict[str, Any] = {
        "backend": backend,
        "rows": len(fleet),
        "organisations": fleet.organisations,
    }
    with fresh_database(backend, pg_url) as database:
        orgs = _organisations(database, fleet.organisations)
        result["import_seconds"], counts = time_once(lambda: _import(database, records))
        result["imported"] = counts
        with console.status(f"{backend}: uploading {len(sboms):,} SBOMs ({len(fleet):,} rows)"):
            seconds, inventory_ids = time_once(lambda: _upload_all(database, orgs, sboms))
        with database.transaction(write=False) as s:
            indexed = s.scalar(select(func.count()).select_from(Inventory)) or 0
        result["upload_seconds"] = seconds
        result["upload_rows_per_second"] = len(fleet) / seconds
        result["inventories"] = indexed
        one_k = sbom_document(distinct_rows(fleet, 1_000), "one thousand")
        result["schema_check_1k_seconds"], _ = time_once(
            lambda: inventories.parse(one_k, inventories.UploadLimits())
        )

        cache = RangeCache(capacity=1_000_000)
        _full_match(database, cache)  # warm-up: compiles every entry once
        times = Timings()
        matched = _full_match(database, cache)
        for _ in range(runs):
            took, matched = time_once(lambda: _full_match(database, cache))
            times.seconds.append(took)
        result["full_match_seconds"] = times.seconds
        result["full_match_rows"] = matched.rows
        result["full_match_distinct_versions"] = matched.distinct
        result["full_match_rows_per_second"] = times.rate(matched.rows)
        result["full_match_pairs"] = len(matched.pairs)
        number = {org.id: n for n, org in enumerate(orgs)}
        in_full = {(number[p.org_id], p.record_id) for p in matched.pairs}
        undecided = {(number[p.org_id], p.record_id) for p in matched.pairs if p.undecided}
        result["full_match_agrees_with_memory"] = _agrees(in_full, side.pairs, undecided)
        result["undecided_pairs"] = len(undecided)
        result["platform_only_examples"] = [
            {"organisation": o, "record": r, "undecided": (o, r) in undecided}
            for o, r in sorted(in_full - side.pairs)[:20]
        ]
        with console.status(
            f"{backend}: the matching jobs (findings, notices) for every inventory"
        ):
            result["full_jobs_seconds"], _ = time_once(
                lambda: _full_jobs(database, inventory_ids, RangeCache())
            )
        found = _platform_pairs(database, orgs)
        result["agrees_with_memory"] = (
            _agrees(found, side.pairs, undecided) and result["full_match_agrees_with_memory"]
        )
        result["jobs_only_not_undecided"] = sorted(found - side.pairs - undecided)[:20]
        result["memory_only_examples"] = sorted(side.pairs - found)[:20]
        result["pairs_platform_only"] = len(found - side.pairs)
        result["pairs_memory_only"] = len(side.pairs - found)

        result["new_advisory"] = _new_advisory(database, orgs, side, runs)
        result["new_inventory"] = _new_inventory(database, orgs[0], fleet, cache)
    return result


def _new_advisory(
    database: Database, orgs: list[Organisation], side: Side, runs: int
) -> dict[str, Any]:
    with database.transaction(write=False) as s:
        advisory_id = s.scalar(select(Advisory.id).where(Advisory.public_id == side.headline))
    assert advisory_id is not None
    times = Timings()
    affected: set[uuid.UUID] = set()
    for _ in range(max(runs, 11)):
        # end to end: a session of its own, a cold range cache (the advisory is new)
        took, affected = time_once(lambda: _affected(database, advisory_id))
        times.seconds.append(took)
    number = {org.id: n for n, org in enumerate(orgs)}
    with database.transaction() as s:
        s.execute(delete(Finding).where(Finding.advisory_id == advisory_id))
    with database.transaction() as s:
        job_seconds, told = time_once(lambda: _advisory_job(s, advisory_id))
    return {
        "advisory": side.headline,
        "affected_organisations": len(affected),
        "agrees_with_memory": {number[o] for o in affected} == side.headline_orgs,
        "seconds": times.seconds,
        "median_seconds": times.median,
        "job_seconds": job_seconds,
        "job_told_organisations": told,
    }


def _affected(database: Database, advisory_id: uuid.UUID) -> set[uuid.UUID]:
    with database.transaction(write=False) as s:
        return affected_organisations(s, advisory_id, Checker(RangeCache()))


def _advisory_job(session: Any, advisory_id: uuid.UUID) -> int:
    scope = findings.MatchScope(advisory_id=advisory_id)
    pairs = advisory_pairs(session, advisory_id, Checker(RangeCache()))
    findings.reconcile(session, pairs, scope, NOW)
    return telling.tell(session, scope, NOW).organisations


def _new_inventory(
    database: Database, org: Organisation, fleet: Fleet, cache: RangeCache
) -> dict[str, Any]:
    """A 10k-component upload and its job, with the range cache warm as a running
    worker's is (its ranges were compiled by earlier jobs; a new advisory's cold compile
    is timed in the new-advisory measure)."""
    rows = distinct_rows(fleet, NEW_INVENTORY_COMPONENTS)
    document = sbom_document(rows, "ten thousand")
    with database.transaction() as s:
        owner = s.get(Organisation, org.id)
        assert owner is not None
        upload_seconds, done = time_once(
            lambda: inventories.upload(
                s, actor=SYSTEM, org=owner, name="new system", data=document, now=NOW
            )
        )
        inventory_id = done.inventory.id
    with database.transaction() as s:
        scope = findings.MatchScope(inventory_id=inventory_id)
        match_seconds, pairs = time_once(lambda: inventory_pairs(s, inventory_id, Checker(cache)))

        def rest() -> None:
            findings.reconcile(s, pairs, scope, NOW)
            telling.tell(s, scope, NOW)

        findings_seconds, _ = time_once(rest)
    return {
        "components": len(rows),
        "upload_seconds": upload_seconds,  # read, schema check, index, history, audit
        "match_seconds": match_seconds,  # its (component, advisory) pairs (warm cache)
        "job_seconds": match_seconds + findings_seconds,  # + findings, history, notices
        "pairs": len(pairs),
        "target_seconds": TARGET_NEW_INVENTORY_SECONDS,
    }


def memory_side(
    fleet: Fleet, found: list[int], advisories: list[str], headline: str, orgs: set[int]
) -> Side:
    stride = len(advisories)
    pairs = {(fleet.orgs[code // stride], advisories[code % stride]) for code in found}
    return Side(fleet=fleet, headline=headline, headline_orgs=orgs, pairs=pairs)


def headline_orgs(fleet: Fleet, entries: Sequence[Entry], headline: str) -> set[int]:
    from bench.matching import affected_orgs_ours, build_org_index

    return affected_orgs_ours(
        build_org_index(fleet), [e for e in entries if e.advisory == headline]
    )


def print_platform(rows: list[dict[str, Any]], memory_rate: float | None) -> None:
    from rich.table import Table

    table = Table(title="Exposure through the platform (exposure/: import, upload, index, match)")
    for column in (
        "backend",
        "rows",
        "upload rows/s",
        "full match rows/s",
        "vs memory",
        "new advisory (orgs)",
        "its job",
        "10k SBOM: upload",
        "10k SBOM: match / job",
        "agree",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        new_advisory, new_inventory = row["new_advisory"], row["new_inventory"]
        ratio = row["full_match_rows_per_second"] / memory_rate if memory_rate else float("nan")
        table.add_row(
            row["backend"],
            f"{row['rows']:,}",
            fmt_rate(row["upload_rows_per_second"]),
            fmt_rate(row["full_match_rows_per_second"]),
            f"{ratio:.2f}x",
            f"{fmt_ms(new_advisory['median_seconds'])} "
            f"({new_advisory['affected_organisations']:,})",
            fmt_ms(new_advisory["job_seconds"]),
            fmt_ms(new_inventory["upload_seconds"]),
            f"{fmt_ms(new_inventory['match_seconds'])} / {fmt_ms(new_inventory['job_seconds'])}",
            "yes" if row["agrees_with_memory"] and new_advisory["agrees_with_memory"] else "NO",
        )
    console.print(table)
    for row in rows:
        console.print(
            f"{row['backend']}: import {fmt_ms(row['import_seconds'])} {row['imported']}; "
            f"schema check of 1,000 components {fmt_ms(row['schema_check_1k_seconds'])}; "
            f"every inventory's matching job (findings, notices) {fmt_ms(row['full_jobs_seconds'])}"
        )
