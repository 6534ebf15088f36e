"""Exposure matching: every component row of a fleet against every advisory of its package.

Ours: an index from (ecosystem, normalised name) to the advisories' ranges compiled by
:func:`clearinghouse.versions.compile_ranges`; per row one sort key of the installed
version (cached by the key function), then one bisect per advisory entry
(:meth:`CompiledRanges.affects_key`). Peer: :mod:`bench.matching_peer`. Both run on the
same fleet in the same process, interleaved run by run; the table quotes medians and
the ratio, and whether both found the same (row, advisory) matches.

Second measurement: "a new advisory finds all affected organisations" in the largest
fleet, through an index from package to installed versions to the organisations that
run them; one look-up compiles the advisory and checks each distinct installed version
once.

``python -m bench.matching --help`` lists the parameters; ``--quick --synthetic`` is the
smoke test's few-second run on built-in data.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

from rich.table import Table

from bench import matching_peer as peer
from bench import matching_platform as platform
from bench.common import (
    OUT_DIR,
    SHARED_DATA,
    Timings,
    console,
    fmt_ms,
    fmt_rate,
    package_version,
    percentile,
    time_once,
    write_result,
)
from bench.matching_data import (
    AdvisoryLoad,
    Component,
    Entry,
    Fleet,
    PackageKey,
    advised_components,
    build_fleet,
    expand,
    load_advisories,
    records_from_dicts,
    sbom_projects,
    synthetic_projects,
    synthetic_records,
)
from clearinghouse.formats.model import RangeType
from clearinghouse.versions import (
    CompiledRanges,
    InvalidVersion,
    KeyFunction,
    Scheme,
    compile_ranges,
    key_function,
    range_key_function,
    scheme_for,
)

NAME: Final = "matching"
DEFAULT_SIZES: Final = (10_000, 100_000, 1_000_000)
QUICK_SIZES: Final = (2_000, 5_000)
HEADLINE_ADVISORY: Final = "GHSA-jfh8-c2jp-5v3q"  # Log4Shell, when the data has it
TARGET_ROWS_PER_SECOND: Final = 1_000_000
TARGET_NEW_ADVISORY_SECONDS: Final = 0.100
PLATFORM_ROWS: Final = 1_000_000
QUICK_PLATFORM_ROWS: Final = 5_000
EXAMPLES_KEPT: Final = 20


# --- ours --------------------------------------------------------------------------------


def compile_entry(entry: Entry) -> CompiledRanges:
    """The entry compiled (a boundary its ordering cannot read widens its range, as in
    the platform's range cache)."""
    return compile_ranges(entry.ecosystem, entry.ranges, entry.versions)


def affects(compiled: CompiledRanges, version: str) -> bool:
    """A version the ordering cannot read is affected only if listed (never an error)."""
    try:
        return compiled.affects(version)
    except InvalidVersion:
        return False  # affects() has already compared the listed strings


@dataclass(frozen=True, slots=True)
class OurPackage:
    """One package's advisories: (number, ((compiled, shares the key?), ...)) each."""

    key: KeyFunction
    advisories: tuple[tuple[int, tuple[tuple[CompiledRanges, bool], ...]], ...]


def build_ours(entries: Sequence[Entry], numbers: dict[str, int]) -> dict[PackageKey, OurPackage]:
    grouped: dict[PackageKey, dict[int, list[CompiledRanges]]] = defaultdict(dict)
    schemes: dict[PackageKey, Scheme] = {}
    for entry in entries:
        key = entry.key
        schemes.setdefault(key, scheme_for(entry.ecosystem))
        grouped[key].setdefault(numbers[entry.advisory], []).append(compile_entry(entry))
    index = {}
    for key, by_advisory in grouped.items():
        scheme = schemes[key]
        index[key] = OurPackage(
            key=range_key_function(scheme),
            advisories=tuple(
                (number, tuple((c, c.scheme is scheme) for c in compiled))
                for number, compiled in by_advisory.items()
            ),
        )
    return index


def advisories_affecting(known: OurPackage, version: str) -> tuple[int, ...]:
    """The numbers of the package's advisories that affect ``version``: one sort key of
    the version, then one bisect per entry until one matches."""
    try:
        key: tuple[object, ...] | None = known.key(version)
    except InvalidVersion:
        key = None
    found = []
    for number, compiled in known.advisories:
        for ranges, shares_key in compiled:
            if key is not None and shares_key:
                if ranges.affects_key(key):
                    found.append(number)
                    break
            elif affects(ranges, version):
                found.append(number)
                break
    return tuple(found)


def match_ours(index: dict[PackageKey, OurPackage], fleet: Fleet, stride: int) -> list[int]:
    """Matches as ``row * stride + advisory number``, rows in order.

    Each distinct (package, version) is evaluated once per run and the answers spread
    over the fleet's rows (:func:`bench.matching_data.expand`), as the platform's engine
    and its database pass over distinct versions do."""
    get = index.get

    def answer(package: PackageKey, version: str) -> tuple[int, ...]:
        known = get(package)
        return () if known is None else advisories_affecting(known, version)

    return expand(fleet, stride, answer, index.__contains__)


# --- agreement ---------------------------------------------------------------------------


def disagreements(
    ours: list[int], theirs: list[int], fleet: Fleet, advisories: Sequence[str], stride: int
) -> dict[str, Any]:
    """How the two sets of matches differ: counts by ecosystem and side, a few examples."""
    if ours == theirs:
        return {"count": 0, "by_ecosystem": {}, "examples": []}
    only_ours = set(ours) - set(theirs)
    only_peer = set(theirs) - set(ours)
    by_ecosystem: Counter[str] = Counter()
    examples: list[dict[str, str]] = []
    for side, codes in (("ours only", only_ours), ("peer only", only_peer)):
        for code in sorted(codes):
            row, number = divmod(code, stride)
            (ecosystem, name), version = fleet.packages[row], fleet.versions[row]
            by_ecosystem[f"{ecosystem} ({side})"] += 1
            if len(examples) < EXAMPLES_KEPT:
                examples.append(
                    {
                        "side": side,
                        "ecosystem": ecosystem,
                        "package": name,
                        "version": version,
                        "advisory": advisories[number],
                    }
                )
    return {
        "count": len(only_ours) + len(only_peer),
        "ours_only": len(only_ours),
        "peer_only": len(only_peer),
        "by_ecosystem": dict(by_ecosystem),
        "examples": examples,
    }


def maven_order_differences(
    versions: Sequence[str], theirs: peer.PeerIndex, limit: int = 400
) -> dict[str, Any]:
    """Pairs of real Maven versions (from the SBOMs and the advisories) that univers and
    our comparator order differently: context for the disagreement count, since the
    matching fleet only meets a difference when a row sits between two such versions."""
    parse = theirs.parser("Maven", RangeType.ECOSYSTEM)
    ours_key = key_function(Scheme.MAVEN)
    parsed = {v: p for v in sorted(set(versions))[:limit] if (p := parse(v)) is not None}
    readable = list(parsed)
    differing = [
        (a, b)
        for i, a in enumerate(readable)
        for b in readable[i + 1 :]
        if _order(parsed[a], parsed[b]) != _order(ours_key(a), ours_key(b))
    ]
    pairs = len(readable) * (len(readable) - 1) // 2
    examples = [
        {
            "a": a,
            "b": b,
            "ours": _order(ours_key(a), ours_key(b)),
            "univers": _order(parsed[a], parsed[b]),
        }
        for a, b in differing[:EXAMPLES_KEPT]
    ]
    return {
        "versions": len(readable),
        "pairs": pairs,
        "differing": len(differing),
        "examples": examples,
    }


def _order(a: Any, b: Any) -> str:
    return "<" if a < b else ">" if b < a else "="


# --- a new advisory against the whole fleet ---------------------------------------------------


OrgIndex = dict[PackageKey, dict[str, set[int]]]


def build_org_index(fleet: Fleet) -> OrgIndex:
    """Package -> installed version -> organisations running it."""
    index: OrgIndex = defaultdict(lambda: defaultdict(set))
    for package, version, org in zip(fleet.packages, fleet.versions, fleet.orgs, strict=True):
        index[package][version].add(org)
    return index


def affected_orgs_ours(index: OrgIndex, entries: Sequence[Entry]) -> set[int]:
    """Compile the new advisory, then test each distinct installed version once."""
    found: set[int] = set()
    for entry in entries:
        installed = index.get(entry.key)
        if not installed:
            continue
        compiled = compile_entry(entry)
        for version, orgs in installed.items():
            if affects(compiled, version):
                found |= orgs
    return found


def affected_orgs_peer(
    index: OrgIndex, entries: Sequence[Entry], build: peer.PeerIndex
) -> set[int]:
    found: set[int] = set()
    for entry in entries:
        installed = index.get(entry.key)
        if not installed:
            continue
        prepared = build.entry(entry)
        for version, orgs in installed.items():
            if peer.entry_affects(prepared, version):
                found |= orgs
    return found


# --- the run ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Inputs:
    load: AdvisoryLoad
    projects: list[list[Component]]
    advised: dict[PackageKey, list[str]]
    source: str


def load_inputs(args: argparse.Namespace) -> Inputs | str:
    """The advisories and SBOM projects, or the reason they are not there."""
    if args.synthetic:
        load = records_from_dicts(synthetic_records())
        return Inputs(load, synthetic_projects(), advised_components(load.entries), "synthetic")
    data: Path = args.data
    osv_dir, sbom_dir = data / "osv", data / "sbom"
    if not osv_dir.is_dir() or not sbom_dir.is_dir():
        return f"shared data not found ({osv_dir} and {sbom_dir} are needed); try --synthetic"
    with console.status("reading OSV records and SBOMs"):
        load = load_advisories(osv_dir, limit=args.limit_records)
        projects = list(sbom_projects(sbom_dir).values())
    if not load.entries:
        return f"no OSV package entries under {osv_dir}"
    return Inputs(load, projects, advised_components(load.entries), str(data))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.matching", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes and 3 runs (smoke)")
    parser.add_argument("--synthetic", action="store_true", help="built-in data, not ../shared")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the shared data folder")
    parser.add_argument(
        "--sizes",
        type=lambda s: tuple(int(x) for x in s.split(",")),
        help=f"fleet sizes in component rows (default {','.join(map(str, DEFAULT_SIZES))})",
    )
    parser.add_argument("--runs", type=int, help="timed runs per side and size (default 5; >= 3)")
    parser.add_argument(
        "--advised-per-org",
        type=int,
        default=200,
        help="advised components added to each organisation's SBOM",
    )
    parser.add_argument("--limit-records", type=int, help="read only the first N OSV files")
    parser.add_argument("--seed", type=int, default=20211209)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="where the JSON goes")
    parser.add_argument(
        "--platform",
        type=lambda s: tuple(b for b in s.split(",") if b),
        help="the platform path on these backends: sqlite,postgresql (default: sqlite, and "
        "postgresql when a URL is known; 'none' to skip)",
    )
    parser.add_argument(
        "--platform-rows",
        type=int,
        help=f"fleet rows for the platform path (default {PLATFORM_ROWS:,}; quick "
        f"{QUICK_PLATFORM_ROWS:,})",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server (postgresql+psycopg://...; else CLEARINGHOUSE_BENCH_POSTGRES_URL "
        "or CLEARINGHOUSE_TEST_POSTGRES_URL); the benchmark makes its own database there",
    )
    args = parser.parse_args(argv)
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.runs = args.runs or (3 if args.quick else 5)
    args.postgres = platform.postgres_url(args.postgres)
    if args.platform is None:
        args.platform = ("sqlite", "postgresql") if args.postgres else ("sqlite",)
    args.platform = tuple(b for b in args.platform if b != "none")
    if any(b not in ("sqlite", "postgresql") for b in args.platform):
        parser.error("--platform takes sqlite, postgresql or none")
    if "postgresql" in args.platform and not args.postgres:
        parser.error("--platform postgresql needs --postgres URL")
    args.platform_rows = args.platform_rows or (
        QUICK_PLATFORM_ROWS if args.quick else PLATFORM_ROWS
    )
    if args.runs < 3:
        parser.error("--runs must be at least 3 (medians of fewer say little here)")
    return args


def measure_size(
    inputs: Inputs,
    args: argparse.Namespace,
    size: int,
    ours: dict[PackageKey, OurPackage],
    theirs: peer.PeerIndex,
    advisories: list[str],
) -> tuple[dict[str, Any], Fleet, list[int]]:
    stride = len(advisories)
    fleet = build_fleet(
        inputs.projects,
        inputs.advised,
        rows=size,
        advised_per_org=args.advised_per_org,
        seed=args.seed,
    )
    in_advised = sum(1 for p in fleet.packages if p in ours)

    def run_ours() -> list[int]:
        return match_ours(ours, fleet, stride)

    def run_peer() -> list[int]:
        return peer.match(theirs, fleet, stride)

    run_ours()  # warm-up: key caches, memoised parses
    run_peer()
    times = {"ours": Timings(), "peer": Timings()}
    results: dict[str, list[int]] = {}
    for attempt in range(args.runs):
        order = ("ours", "peer") if attempt % 2 == 0 else ("peer", "ours")
        for side in order:
            results.pop(side, None)
            gc.collect()
            seconds, found = time_once(run_ours if side == "ours" else run_peer)
            times[side].seconds.append(seconds)
            results[side] = found
    differ = disagreements(results["ours"], results["peer"], fleet, advisories, stride)
    ours_rate, peer_rate = times["ours"].rate(size), times["peer"].rate(size)
    row = {
        "rows": size,
        "organisations": fleet.organisations,
        "rows_in_advised_packages": in_advised,
        "matches_ours": len(results["ours"]),
        "matches_peer": len(results["peer"]),
        "ours_seconds": times["ours"].seconds,
        "peer_seconds": times["peer"].seconds,
        "ours_rows_per_second_median": ours_rate,
        "peer_rows_per_second_median": peer_rate,
        "ratio": ours_rate / peer_rate,
        "disagreements": differ,
    }
    return row, fleet, results["ours"]


def measure_new_advisory(
    fleet: Fleet,
    found: list[int],
    entries: Sequence[Entry],
    advisories: list[str],
    theirs: peer.PeerIndex,
    runs: int,
) -> dict[str, Any]:
    stride = len(advisories)
    seconds, index = time_once(lambda: build_org_index(fleet))
    by_advisory: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_advisory[entry.advisory].append(entry)

    # Every advisory in turn, as if it had just been published (key caches are warm from
    # the matching runs, as they would be in a running service).
    sweep: list[tuple[float, str, int]] = []
    for advisory, group in by_advisory.items():
        took, orgs = time_once(partial(affected_orgs_ours, index, group))
        sweep.append((took, advisory, len(orgs)))
    headline = (
        HEADLINE_ADVISORY if HEADLINE_ADVISORY in by_advisory else max(sweep, key=lambda s: s[2])[1]
    )
    headline_entries = by_advisory[headline]

    ours_times, peer_times = Timings(), Timings()
    orgs_ours: set[int] = set()
    orgs_peer: set[int] = set()
    for _ in range(max(runs, 11)):
        took, orgs_ours = time_once(partial(affected_orgs_ours, index, headline_entries))
        ours_times.seconds.append(took)
        took, orgs_peer = time_once(partial(affected_orgs_peer, index, headline_entries, theirs))
        peer_times.seconds.append(took)

    number = advisories.index(headline)
    from_matching = {fleet.orgs[code // stride] for code in found if code % stride == number}
    durations = [s[0] for s in sweep]
    slowest = max(sweep)
    return {
        "fleet_rows": len(fleet),
        "organisations": fleet.organisations,
        "org_index_build_seconds": seconds,
        "packages_indexed": len(index),
        "advisory": headline,
        "affected_organisations": len(orgs_ours),
        "agrees_with_full_matching": orgs_ours == from_matching,
        "agrees_with_peer": orgs_ours == orgs_peer,
        "ours_seconds": ours_times.seconds,
        "peer_seconds": peer_times.seconds,
        "ours_median_seconds": ours_times.median,
        "peer_median_seconds": peer_times.median,
        "ratio": peer_times.median / ours_times.median if ours_times.median else None,
        "all_advisories": {
            "count": len(sweep),
            "median_seconds": percentile(durations, 50),
            "p99_seconds": percentile(durations, 99),
            "max_seconds": slowest[0],
            "slowest_advisory": slowest[1],
        },
        "target_seconds": TARGET_NEW_ADVISORY_SECONDS,
    }


def measure_platform(
    args: argparse.Namespace,
    inputs: Inputs,
    ours: dict[PackageKey, OurPackage],
    advisories: list[str],
    payload: dict[str, Any],
) -> list[dict[str, Any]]:
    """The platform path on each backend, on a fleet of ``--platform-rows`` rows."""
    fleet = build_fleet(
        inputs.projects,
        inputs.advised,
        rows=args.platform_rows,
        advised_per_org=args.advised_per_org,
        seed=args.seed,
    )
    found = match_ours(ours, fleet, len(advisories))
    headline = payload.get("new_advisory", {}).get("advisory") or HEADLINE_ADVISORY
    if headline not in advisories:
        headline = advisories[0]
    side = platform.memory_side(
        fleet,
        found,
        advisories,
        headline,
        platform.headline_orgs(fleet, inputs.load.entries, headline),
    )
    records: Path | list[dict[str, Any]] = (
        synthetic_records() if args.synthetic else args.data / "osv"
    )
    return [
        platform.run_backend(backend, side, records, pg_url=args.postgres, runs=args.runs)
        for backend in args.platform
    ]


def print_tables(payload: dict[str, Any]) -> None:
    table = Table(
        title=f"Exposure matching, warm, median of {payload['runs']} runs "
        f"({payload['source']}; {payload['advisories']} advisories)"
    )
    for column in (
        "rows",
        "orgs",
        "in advised pkgs",
        "matches",
        "ours rows/s",
        "peer rows/s",
        "ours/peer",
        "disagree",
    ):
        table.add_column(column, justify="right")
    for row in payload["sizes"]:
        table.add_row(
            f"{row['rows']:,}",
            f"{row['organisations']:,}",
            f"{row['rows_in_advised_packages'] / row['rows']:.0%}",
            f"{row['matches_ours']:,}",
            fmt_rate(row["ours_rows_per_second_median"]),
            fmt_rate(row["peer_rows_per_second_median"]),
            f"{row['ratio']:.1f}x",
            str(row["disagreements"]["count"]),
        )
    console.print(table)
    largest = payload["sizes"][-1]
    rate = largest["ours_rows_per_second_median"]
    verdict = "met" if rate >= TARGET_ROWS_PER_SECOND else "not met"
    console.print(
        f"target >= {fmt_rate(TARGET_ROWS_PER_SECOND)} rows/s warm: {verdict} at "
        f"{largest['rows']:,} rows (ours {fmt_rate(rate)}/s)"
    )
    for row in payload["sizes"]:
        differ = row["disagreements"]
        if differ["count"]:
            console.print(
                f"[yellow]{row['rows']:,} rows: {differ['count']} disagreements "
                f"({differ['by_ecosystem']}); examples in the JSON[/]"
            )
    maven = payload["maven_order_differences"]
    if maven["pairs"]:
        shown = ", ".join(
            f"ours {e['a']} {e['ours']} {e['b']}, univers {e['univers']}"
            for e in maven["examples"][:2]
        )
        console.print(
            f"Maven ordering, univers vs ours: {maven['differing']} of {maven['pairs']:,} pairs "
            f"of the data's {maven['versions']} Maven versions differ"
            + (f" (e.g. {shown})" if shown else "")
        )
    lookup = payload.get("new_advisory")
    if lookup:
        table = Table(
            title=f"A new advisory against {lookup['fleet_rows']:,} component rows "
            f"({lookup['organisations']:,} organisations)"
        )
        for column in (
            "advisory",
            "orgs affected",
            "ours (median)",
            "peer (median)",
            "peer/ours",
            "all advisories p99",
            "max",
            "target",
        ):
            table.add_column(column, justify="right")
        sweep = lookup["all_advisories"]
        table.add_row(
            lookup["advisory"],
            f"{lookup['affected_organisations']:,}",
            fmt_ms(lookup["ours_median_seconds"]),
            fmt_ms(lookup["peer_median_seconds"]),
            f"{lookup['ratio']:.1f}x",
            fmt_ms(sweep["p99_seconds"]),
            f"{fmt_ms(sweep['max_seconds'])} ({sweep['slowest_advisory']})",
            f"< {fmt_ms(lookup['target_seconds'])}",
        )
        console.print(table)
        checks = (lookup["agrees_with_full_matching"], lookup["agrees_with_peer"])
        console.print(
            "organisations found agree with the full matching pass and with the peer"
            if all(checks)
            else "[red]organisations found differ (see the JSON)[/]"
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not peer.univers_available():
        console.print(f"[red]{peer.INSTALL_HINT}[/]")
        return 2
    inputs = load_inputs(args)
    if isinstance(inputs, str):
        console.print(f"[yellow]matching benchmark skipped: {inputs}[/]")
        write_result(NAME, {"skipped": inputs}, args.out_dir)
        return 0
    entries = inputs.load.entries
    advisories = sorted({entry.advisory for entry in entries})
    numbers = {advisory: n for n, advisory in enumerate(advisories)}
    build_seconds, ours = time_once(lambda: build_ours(entries, numbers))
    peer_seconds, theirs = time_once(lambda: peer.PeerIndex(entries, numbers))
    console.print(
        f"{inputs.load.records} OSV records ({inputs.load.withdrawn} withdrawn, "
        f"{sum(inputs.load.unreadable.values())} unreadable), {len(entries)} package entries "
        f"{dict(inputs.load.by_ecosystem)}, {len(inputs.projects)} SBOM projects; "
        f"index build: ours {fmt_ms(build_seconds)}, peer {fmt_ms(peer_seconds)}"
    )
    sizes: list[dict[str, Any]] = []
    fleet: Fleet | None = None
    found: list[int] = []
    for size in args.sizes:
        fleet, found = None, []  # free the previous fleet before building the next
        with console.status(f"{size:,} rows: warm-up and {args.runs} runs per side"):
            row, fleet, found = measure_size(inputs, args, size, ours, theirs, advisories)
        sizes.append(row)
        console.print(
            f"{size:,} rows: ours {fmt_rate(row['ours_rows_per_second_median'])}/s, "
            f"peer {fmt_rate(row['peer_rows_per_second_median'])}/s, "
            f"disagreements {row['disagreements']['count']}"
        )
    payload: dict[str, Any] = {
        "source": inputs.source,
        "runs": args.runs,
        "advisories": len(advisories),
        "package_entries": len(entries),
        "records": inputs.load.records,
        "withdrawn": inputs.load.withdrawn,
        "unreadable": dict(inputs.load.unreadable),
        "sbom_projects": len(inputs.projects),
        "advised_per_org": args.advised_per_org,
        "index_build_seconds": {"ours": build_seconds, "peer": peer_seconds},
        "versions": {p: package_version(p) for p in ("univers", "packaging", "clearinghouse")},
        "sizes": sizes,
        "target_rows_per_second": TARGET_ROWS_PER_SECOND,
    }
    maven = [v for project in inputs.projects for (eco, _), v in project if eco == "maven"]
    maven += [v for (eco, _), vs in inputs.advised.items() if eco == "maven" for v in vs]
    payload["maven_order_differences"] = maven_order_differences(maven, theirs)
    if fleet is not None:
        with console.status("a new advisory against the largest fleet"):
            payload["new_advisory"] = measure_new_advisory(
                fleet, found, entries, advisories, theirs, args.runs
            )
    print_tables(payload)
    if args.platform:
        payload["platform"] = measure_platform(args, inputs, ours, advisories, payload)
        rate = payload["sizes"][-1]["ours_rows_per_second_median"] if payload["sizes"] else None
        platform.print_platform(payload["platform"], rate)
    path = write_result(NAME, payload, args.out_dir)
    console.print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
