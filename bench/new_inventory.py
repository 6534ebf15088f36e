"""A new 10k-component SBOM through the platform, on a fleet built once: the part of
``bench.matching``'s platform path that issue #12's "an SBOM of 10k components matched in
< 1 s" is about, without the full pass, the every-inventory jobs and the new-advisory
measures (a 1M-row ``bench.matching`` run takes about 40 minutes).

Per backend, on a freshly migrated database: the OSV records imported, the fleet's
organisations' SBOMs uploaded (``--fleet-rows``; without the schema check, as in
``bench.matching``), then ``--runs`` times a new inventory of the same 10,000-component
SBOM (every distinct component of a 1M-row fleet, whatever ``--fleet-rows`` is: 9,439
with a purl, 55,739 (component, advisory) pairs; topped up to 10,000 with npm packages no
advisory names), each run its own inventory, timed in sections:

* **upload**: ``inventories.upload`` with the schema check (read, index rows, history,
  audit, outbox), split into the schema check, the read and the rest (the index rows
  stored and the bookkeeping);
* **match**: ``exposure.matching.inventory_pairs`` with the range cache warm, as a
  running worker's is;
* **findings**: ``findings.reconcile`` (findings and their history) and ``telling.tell``.

Medians of the runs; ``--profile DIR`` writes a cProfile of each section of the last
run. ``python -m bench.new_inventory --help`` lists the parameters.
"""

from __future__ import annotations

import argparse
import cProfile
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

from bench import matching_platform as platform
from bench.common import OUT_DIR, SHARED_DATA, console, machine, time_once, write_result
from bench.matching_data import (
    Fleet,
    PackageKey,
    advised_components,
    build_fleet,
    load_advisories,
    records_from_dicts,
    sbom_projects,
    synthetic_projects,
    synthetic_records,
)
from clearinghouse.accounts.models import Organisation
from clearinghouse.advisories.index import RangeCache
from clearinghouse.db import Database
from clearinghouse.exposure import findings, inventories, telling
from clearinghouse.exposure.matching import Checker, inventory_pairs
from clearinghouse.principal import SYSTEM

NAME: Final = "new_inventory"
SBOM_FLEET_ROWS: Final = 1_000_000  # the SBOM is every distinct component of this fleet
COMPONENTS: Final = 10_000
TARGET_SECONDS: Final = 1.0
_T = TypeVar("_T")


def sbom_rows(
    projects: Sequence[Any], advised: dict[PackageKey, list[str]], seed: int, per_org: int
) -> list[tuple[PackageKey, str]]:
    """Every distinct component of a 1M-row fleet (one per purl), topped up with npm
    packages no advisory names."""
    big = build_fleet(projects, advised, rows=SBOM_FLEET_ROWS, advised_per_org=per_org, seed=seed)
    rows: list[tuple[PackageKey, str]] = []
    purls: set[str] = set()  # the document keeps one component per purl

    def add(package: PackageKey, version: str) -> None:
        purl = platform.purl_of(package, version)
        if purl is not None and purl not in purls and len(rows) < COMPONENTS:
            purls.add(purl)
            rows.append((package, version))

    for package, version in platform.distinct_rows(big, COMPONENTS):
        add(package, version)
    padding = 0
    while len(rows) < COMPONENTS:  # packages no advisory names: read, indexed, looked up
        add(("npm", f"@bench-padding/package-{padding}"), "1.0.0")
        padding += 1
    return rows


def _section(
    name: str, work: Callable[[], _T], profile_dir: Path | None, tag: str
) -> tuple[float, _T]:
    if profile_dir is None:
        return time_once(work)
    profiler = cProfile.Profile()
    seconds, result = time_once(lambda: profiler.runcall(work))
    profiler.dump_stats(profile_dir / f"{tag}-{name}.prof")
    return seconds, result


def one_run(
    database: Database,
    org: Organisation,
    document: bytes,
    cache: RangeCache,
    n: int,
    profile_dir: Path | None,
    tag: str,
) -> dict[str, float | int]:
    limits = inventories.UploadLimits()
    out: dict[str, float | int] = {}
    # the schema check and the read on their own (upload does both again, inside)
    out["schema_check_and_read"], _ = time_once(lambda: inventories.parse(document, limits))
    out["read"], _ = time_once(lambda: inventories.parse(document, limits, validate_schema=False))
    with database.transaction() as s:
        owner = s.get(Organisation, org.id)
        assert owner is not None
        out["upload"], done = _section(
            "upload",
            lambda: inventories.upload(
                s,
                actor=SYSTEM,
                org=owner,
                name=f"new system {n}",
                data=document,
                now=platform.NOW,
            ),
            profile_dir,
            tag,
        )
        inventory_id = done.inventory.id
    with database.transaction() as s:
        scope = findings.MatchScope(inventory_id=inventory_id)
        out["match"], pairs = _section(
            "match", lambda: inventory_pairs(s, inventory_id, Checker(cache)), profile_dir, tag
        )
        out["reconcile"], _ = _section(
            "reconcile",
            lambda: findings.reconcile(s, pairs, scope, platform.NOW),
            profile_dir,
            tag,
        )
        out["tell"], _ = _section(
            "tell",
            lambda: telling.tell(s, scope, platform.NOW),
            profile_dir,
            tag,
        )
    out["pairs"] = len(pairs)
    out["upload_and_match"] = out["upload"] + out["match"]
    out["job"] = out["match"] + out["reconcile"] + out["tell"]
    out["end_to_end"] = out["upload"] + out["job"]
    return out


def run_backend(
    backend: str,
    fleet: Fleet,
    records: Path | list[dict[str, Any]],
    document: bytes,
    args: argparse.Namespace,
) -> dict[str, Any]:
    sboms = platform.fleet_sboms(fleet)
    with platform.fresh_database(backend, args.postgres) as database:
        orgs = platform._organisations(database, fleet.organisations)
        with console.status(f"{backend}: importing the advisories"):
            platform._import(database, records)
        with console.status(f"{backend}: uploading {len(sboms):,} SBOMs ({len(fleet):,} rows)"):
            fleet_seconds, ids = time_once(lambda: platform._upload_all(database, orgs, sboms))
        cache = RangeCache(capacity=1_000_000)
        warming = console.status(f"{backend}: warming the range cache (every inventory matched)")
        with warming, database.transaction(write=False) as s:
            for inventory_id in ids:
                inventory_pairs(s, inventory_id, Checker(cache))
        runs = []
        for n in range(args.runs):
            last = n == args.runs - 1
            profile_dir = args.profile if last else None
            runs.append(one_run(database, orgs[0], document, cache, n, profile_dir, backend))
            console.print(f"{backend} run {n + 1}: " + _line(runs[-1]))
    medians = {k: statistics.median(float(r[k]) for r in runs) for k in runs[0]}
    return {
        "backend": backend,
        "fleet_rows": len(fleet),
        "fleet_upload_rows_per_second": len(fleet) / fleet_seconds,
        "runs": runs,
        "median": medians,
    }


def _line(values: dict[str, Any]) -> str:
    keys = ("schema_check_and_read", "read", "upload", "match", "reconcile", "tell")
    timed = ", ".join(f"{k} {values[k] * 1000:.0f} ms" for k in keys)
    return (
        f"{timed}; upload+match {values['upload_and_match'] * 1000:.0f} ms, "
        f"whole job {values['job'] * 1000:.0f} ms, pairs {int(values['pairs']):,}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.new_inventory",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--fleet-rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", default="sqlite", help="sqlite,postgresql")
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--synthetic", action="store_true", help="built-in data, not ../shared")
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--advised-per-org", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20211209)
    parser.add_argument("--profile", type=Path, help="cProfile of the last run's sections here")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    args.platform = tuple(b for b in args.platform.split(",") if b)
    args.postgres = platform.postgres_url(args.postgres)
    if "postgresql" in args.platform and not args.postgres:
        parser.error("--platform postgresql needs --postgres URL")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.synthetic:
        load = records_from_dicts(synthetic_records())
        projects: Sequence[Any] = synthetic_projects()
        records: Path | list[dict[str, Any]] = synthetic_records()
    else:
        with console.status("reading OSV records and SBOMs"):
            load = load_advisories(args.data / "osv")
            projects = list(sbom_projects(args.data / "sbom").values())
        records = args.data / "osv"
    advised = {k: list(v) for k, v in advised_components(load.entries).items()}
    rows = sbom_rows(projects, advised, args.seed, args.advised_per_org)
    document = platform.sbom_document(rows, "ten thousand")
    fleet = build_fleet(
        projects,
        advised,
        rows=args.fleet_rows,
        advised_per_org=args.advised_per_org,
        seed=args.seed,
    )
    results = [run_backend(b, fleet, records, document, args) for b in args.platform]
    for result in results:
        console.print(
            f"{result['backend']}, {result['fleet_rows']:,}-row fleet, median of "
            f"{len(result['runs'])}: " + _line(result["median"])
        )
    payload = {
        "components": len(rows),
        "target_seconds": TARGET_SECONDS,
        "machine": machine(),
        "backends": results,
    }
    path = write_result(NAME, payload, args.out_dir)
    console.print(f"written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
