"""Inputs of the matching benchmark: advisories, SBOM components, and a fleet built from them.

Advisories are real OSV records (PyPA YAML, RustSec and GHSA JSON under
``../shared/data/osv/``) read with :mod:`clearinghouse.formats.osv`; the fleet is built
from the components of real CycloneDX SBOMs (``../shared/data/sbom/``). Those SBOMs are
Maven, npm, Composer and Go projects while the advisories are mostly PyPI and crates.io,
so on their own they would hardly match anything: each organisation also gets a sample
of "advised" components, whose package appears in an advisory and whose version is one
of that advisory's range boundaries or listed versions, so that both sides of every
boundary are exercised and matches really happen.

A tiny synthetic data set (:func:`synthetic_records`, :func:`synthetic_projects`) lets
the smoke test run without the shared data.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import Any, Final

import orjson
from packageurl import PackageURL

from clearinghouse.formats.csaf_vocab import PURL_TYPE_TO_ECOSYSTEM
from clearinghouse.formats.model import EventKind, FormatError, RangeType, Tlp, VersionRange
from clearinghouse.formats.osv import OsvError, OsvRecord, load_osv, osv_to_model, parse_osv

# (casefolded OSV ecosystem, normalised package name): what both indexes are keyed by.
PackageKey = tuple[str, str]
Component = tuple[PackageKey, str]  # a package and an installed version

OSV_SUFFIXES: Final = frozenset({".json", ".yaml", ".yml"})
_PEP503: Final = re.compile(r"[-_.]+")
_BEFORE_EVERYTHING: Final = "0"


def package_key(ecosystem: str, name: str) -> PackageKey:
    """How a package is looked up. PyPI names are normalised (PEP 503), as the platform's
    advisory index does (``advisories.index.normalise_name``); other ecosystems keep
    their names as written; the ecosystem is matched without regard to case."""
    folded = ecosystem.casefold()
    if folded.split(":", 1)[0] == "pypi":
        name = _PEP503.sub("-", name).lower()
    return folded, name


@dataclass(frozen=True, slots=True)
class Entry:
    """One OSV ``affected`` entry, the unit both implementations evaluate."""

    advisory: str  # the record id
    ecosystem: str  # as written in the record ("PyPI", "crates.io", "Maven")
    name: str
    ranges: tuple[VersionRange, ...]
    versions: tuple[str, ...]

    @property
    def key(self) -> PackageKey:
        return package_key(self.ecosystem, self.name)


@dataclass(slots=True)
class AdvisoryLoad:
    """What reading a folder of OSV records produced, and what it skipped and why."""

    entries: list[Entry] = field(default_factory=list)
    records: int = 0
    withdrawn: int = 0
    unreadable: Counter[str] = field(default_factory=Counter)  # file -> error, counted by kind
    by_ecosystem: Counter[str] = field(default_factory=Counter)

    @property
    def advisories(self) -> int:
        return len({entry.advisory for entry in self.entries})


def entries_of(record: OsvRecord) -> list[Entry]:
    """The package entries of one record (withdrawn records give none: they match nothing)."""
    if record.is_withdrawn:
        return []
    advisory = osv_to_model(record, tlp=Tlp.CLEAR)
    found = []
    for vulnerability in advisory.vulnerabilities:
        for affected in vulnerability.affected:
            if affected.package.ecosystem == "GIT":  # repository-only: no package to match
                continue
            found.append(
                Entry(
                    advisory=record.id,
                    ecosystem=affected.package.ecosystem,
                    name=affected.package.name,
                    ranges=affected.ranges,
                    versions=affected.versions,
                )
            )
    return found


def load_advisories(osv_dir: Path, *, limit: int | None = None) -> AdvisoryLoad:
    """Every OSV record under ``osv_dir`` (sorted by path, so runs are reproducible)."""
    load = AdvisoryLoad()
    paths = sorted(p for p in osv_dir.rglob("*") if p.suffix in OSV_SUFFIXES and p.is_file())
    for path in paths[:limit]:
        try:
            record = load_osv(path.read_bytes(), filename=path.name)
            entries = entries_of(record)
        except (OsvError, FormatError) as exc:
            load.unreadable[type(exc).__name__] += 1
            continue
        load.records += 1
        if record.is_withdrawn:
            load.withdrawn += 1
        load.entries.extend(entries)
        load.by_ecosystem.update(entry.ecosystem for entry in entries)
    return load


def records_from_dicts(documents: Iterable[Mapping[str, Any]]) -> AdvisoryLoad:
    """The same as :func:`load_advisories`, for records already parsed from JSON."""
    load = AdvisoryLoad()
    for document in documents:
        record = parse_osv(document)
        load.records += 1
        load.withdrawn += record.is_withdrawn
        entries = entries_of(record)
        load.entries.extend(entries)
        load.by_ecosystem.update(entry.ecosystem for entry in entries)
    return load


# --- SBOM components ----------------------------------------------------------------------


def component_of_purl(text: str) -> Component | None:
    """(package, version) of a package URL, or None when it names no OSV ecosystem/version."""
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return None
    ecosystem = PURL_TYPE_TO_ECOSYSTEM.get(purl.type)
    if ecosystem is None or not purl.version:
        return None
    name = str(purl.name)
    if purl.namespace:
        name = f"{purl.namespace}{':' if ecosystem == 'Maven' else '/'}{name}"
    return package_key(ecosystem, name), str(purl.version)


def _walk(components: object) -> Iterator[Mapping[str, Any]]:
    if not isinstance(components, list):
        return
    for component in components:
        if isinstance(component, dict):
            yield component
            yield from _walk(component.get("components"))


def sbom_projects(sbom_dir: Path) -> dict[str, list[Component]]:
    """Distinct component lists of the CycloneDX JSON SBOMs under ``sbom_dir``, by file.

    Files whose component set repeats another's (the same project in several spec
    versions) are dropped, so no project weighs double in the fleet.
    """
    projects: dict[str, list[Component]] = {}
    seen: set[frozenset[Component]] = set()
    for path in sorted(sbom_dir.rglob("*.json")):
        try:
            document = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue
        if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
            continue
        components = sorted(
            {
                found
                for item in _walk(document.get("components"))
                if isinstance(item.get("purl"), str)
                and (found := component_of_purl(item["purl"])) is not None
            }
        )
        signature = frozenset(components)
        if components and signature not in seen:
            seen.add(signature)
            projects[str(path.relative_to(sbom_dir))] = components
    return projects


def advised_components(
    entries: Sequence[Entry], listed_per_entry: int = 3
) -> dict[PackageKey, list[str]]:
    """Versions that exercise the advisories, by package: every range boundary of every
    entry, and the first, middle and last of its listed versions (lists run to hundreds).
    """
    found: dict[PackageKey, set[str]] = {}
    for entry in entries:
        versions = found.setdefault(entry.key, set())
        for version_range in entry.ranges:
            if version_range.type is RangeType.GIT:
                continue  # commit hashes, not versions
            for event in version_range.events:
                if event.kind is EventKind.LIMIT and "*" in event.value:
                    continue
                if event.kind is EventKind.INTRODUCED and event.value == _BEFORE_EVERYTHING:
                    continue
                versions.add(event.value)
        listed = entry.versions
        if listed:
            picks = sorted({0, len(listed) // 2, len(listed) - 1})[:listed_per_entry]
            versions.update(listed[i] for i in picks)
    return {key: sorted(versions) for key, versions in sorted(found.items()) if versions}


# --- the fleet -------------------------------------------------------------------------


@dataclass(slots=True)
class Fleet:
    """Component rows as parallel lists (row i: ``packages[i]`` at ``versions[i]`` in
    organisation ``orgs[i]``). Package keys are shared objects, as a database's
    normalised package ids would be, so neither side pays for building them per row."""

    packages: list[PackageKey]
    versions: list[str]
    orgs: list[int]
    organisations: int

    def __len__(self) -> int:
        return len(self.versions)


def build_fleet(
    projects: Sequence[Sequence[Component]],
    advised: Mapping[PackageKey, Sequence[str]],
    *,
    rows: int,
    advised_per_org: int,
    seed: int,
) -> Fleet:
    """Organisations until ``rows`` rows: each runs one SBOM project (chosen at random)
    plus ``advised_per_org`` advised packages, each at one of its advised versions.

    Packages are drawn uniformly, not versions: drawing from all (package, version)
    pairs would fill the fleet with the few packages that have hundreds of advisories
    (Django, TensorFlow), which no real fleet looks like. Deterministic per seed.
    """
    if not projects and not advised:
        raise ValueError("no components to build a fleet from")
    rng = random.Random(seed)
    advised_packages = list(advised)
    packages: list[PackageKey] = []
    versions: list[str] = []
    orgs: list[int] = []
    org = 0
    while len(versions) < rows:
        chosen: list[Component] = list(rng.choice(projects)) if projects else []
        for package in rng.sample(advised_packages, min(advised_per_org, len(advised))):
            chosen.append((package, rng.choice(advised[package])))
        for package, version in chosen[: rows - len(versions)]:
            packages.append(package)
            versions.append(version)
            orgs.append(org)
        org += 1
    return Fleet(packages, versions, orgs, org)


class _Memo(dict[tuple[PackageKey, str], tuple[int, ...]]):
    """Answers by (package, version), each asked of ``answer`` the first time it is read."""

    __slots__ = ("answer",)

    def __init__(self, answer: Callable[[PackageKey, str], tuple[int, ...]]) -> None:
        super().__init__()
        self.answer = answer

    def __missing__(self, pair: tuple[PackageKey, str]) -> tuple[int, ...]:
        found = self[pair] = self.answer(*pair)
        return found


def expand(
    fleet: Fleet,
    stride: int,
    answer: Callable[[PackageKey, str], tuple[int, ...]],
    advised: Callable[[PackageKey], bool],
) -> list[int]:
    """Matches as ``row * stride + advisory number``, rows in order: ``answer`` is asked
    once per distinct (package, version) of the fleet (a fresh memo every call), and the
    answers are spread over the rows with the loops in C (``map``, ``compress``), so
    per-row Python work is spent only on rows that match.

    Rows are first sifted by package alone (``advised``: does the index hold it? one
    hash of the shared package key, no tuple built), then only the rows of advised
    packages are looked up by (package, version), in one pass that fills the memo as it
    goes (its ``__missing__``): no separate pass to collect the distinct pairs."""
    packages, versions = fleet.packages, fleet.versions
    sifted = list(map(advised, packages))
    rows = list(compress(range(len(packages)), sifted))
    memo = _Memo(answer)
    pairs = zip(compress(packages, sifted), compress(versions, sifted), strict=True)
    answers = list(map(memo.__getitem__, pairs))
    return [
        rows[i] * stride + number
        for i in compress(range(len(answers)), answers)
        for number in answers[i]
    ]


# --- synthetic data for the smoke test ---------------------------------------------------------


def _record(ident: str, ecosystem: str, name: str, *ranges: Any, versions: Any = None) -> Any:
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
    affected["ranges"] = [
        {
            "type": kind,
            "events": events,
            **({"repo": "https://example.org/r"} if kind == "GIT" else {}),
        }
        for kind, events in ranges
    ]
    if versions is not None:
        affected["versions"] = versions
    return {"id": ident, "modified": "2024-01-01T00:00:00Z", "affected": [affected]}


def synthetic_records() -> list[dict[str, Any]]:
    """A handful of OSV records covering each evaluation rule both sides must agree on."""
    withdrawn = _record("PYSEC-0000-9", "PyPI", "jinja2", ("ECOSYSTEM", [{"introduced": "0"}]))
    withdrawn["withdrawn"] = "2024-02-01T00:00:00Z"
    return [
        _record(
            "PYSEC-0000-1",
            "PyPI",
            "Jinja2",
            ("ECOSYSTEM", [{"introduced": "0"}, {"fixed": "2.11.3"}]),
            versions=["2.10", "2.11.2"],
        ),
        _record(
            "PYSEC-0000-2",
            "PyPI",
            "django",
            (
                "ECOSYSTEM",
                [
                    {"introduced": "3.2"},
                    {"fixed": "3.2.19"},
                    {"introduced": "4.0"},
                    {"fixed": "4.1.9"},
                ],
            ),
            ("ECOSYSTEM", [{"introduced": "4.2a1"}, {"last_affected": "4.2.1"}]),
        ),
        _record(
            "PYSEC-0000-3",
            "PyPI",
            "requests",
            ("ECOSYSTEM", [{"introduced": "2.0.0"}, {"fixed": "2.31.0"}, {"limit": "3.0"}]),
        ),
        _record(
            "PYSEC-0000-4",
            "PyPI",
            "pillow",
            ("GIT", [{"introduced": "0" * 40}, {"fixed": "1" * 40}]),
            versions=["8.0.0", "8.0.1"],
        ),
        _record(
            "RUSTSEC-0000-0001",
            "crates.io",
            "smallvec",
            ("SEMVER", [{"introduced": "0.6.3"}, {"fixed": "0.6.14"}]),
            ("SEMVER", [{"introduced": "1.0.0"}, {"fixed": "1.6.1"}]),
        ),
        _record(
            "GHSA-0000-0000-0001",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            ("ECOSYSTEM", [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]),
            ("ECOSYSTEM", [{"introduced": "2.0-beta9"}, {"fixed": "2.12.2"}]),
        ),
        _record(
            "GHSA-0000-0000-0002",
            "npm",
            "lodash",
            ("ECOSYSTEM", [{"introduced": "0"}, {"fixed": "4.17.21"}]),
        ),
        withdrawn,
    ]


def synthetic_projects() -> list[list[Component]]:
    """Three small "SBOMs", as package URLs, some of whose components are advised."""
    purls = [
        [
            "pkg:pypi/jinja2@2.10.1",
            "pkg:pypi/django@3.2.18",
            "pkg:pypi/requests@2.31.0",
            "pkg:pypi/pillow@8.0.1",
            "pkg:npm/express@4.18.2",
            "pkg:npm/lodash@4.17.20",
        ],
        [
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1",
            "pkg:cargo/smallvec@1.6.0",
            "pkg:pypi/Django@4.2.1",
            "pkg:pypi/Jinja_2@3.1.2",
        ],
        [
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
            "pkg:npm/%40babel/core@7.22.0",
            "pkg:cargo/smallvec@0.6.2",
            "pkg:pypi/django@4.2.2",
            "pkg:golang/github.com/gin-gonic/gin@v1.9.1",
        ],
    ]
    projects = []
    for project in purls:
        components = [component_of_purl(p) for p in project]
        projects.append([c for c in components if c is not None])
    return projects
