"""``clearinghouse match``: which components of an SBOM the advisories affect, offline.

Usable in a CI pipeline with no server: advisories come from a folder of OSV records
(``--advisories DIR``) or from a running platform's OSV API (``--server URL``, which asks
``POST URL/osv/v1/querybatch``). Exit codes: 0 nothing affected, 1 something affected,
2 bad input (an unreadable SBOM or advisory, a bad option, a server that cannot be used).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final

import httpx
import orjson
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from clearinghouse import __version__
from clearinghouse.errors import InvalidInput
from clearinghouse.exposure.engine import Advisory, AdvisoryIndex, Finding, MatchReport
from clearinghouse.formats.inventory import Component, Inventory, SbomError, SbomLimits
from clearinghouse.formats.osv import OsvError, OsvRecord, load_osv
from clearinghouse.formats.sbom import read_sbom

EXIT_AFFECTED: Final = 1
PROGRESS_FROM: Final = 2_000  # components; smaller inputs finish before a bar helps
BATCH: Final = 1_000  # queries per querybatch (the server's limit)
OSV_SUFFIXES: Final = (".json", ".yaml", ".yml")
MAX_ADVISORY_FILES: Final = 500_000
TEXT: Final = {
    "none": "No advisory affects the {count} components checked.",
    "found": "{findings} finding(s): {advisories} advisory(ies) affect {components} component(s).",
    "unmatchable": "{count} component(s) had no package URL or version OSV can match.",
    "need_source": "give --advisories DIR or --server URL",
    "both_sources": "give either --advisories or --server, not both",
}


class OutputFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    CYCLONEDX_VEX = "cyclonedx-vex"


SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI: Final = "https://github.com/clearinghouse/clearinghouse/blob/main/docs/exposure.md"


def match(
    sbom: Annotated[Path, typer.Option(help="the SBOM: CycloneDX 1.2-1.6 JSON/XML, SPDX 2.3")],
    advisories: Annotated[
        Path | None, typer.Option(help="a folder of OSV records (JSON or YAML), searched deeply")
    ] = None,
    server: Annotated[
        str | None, typer.Option(help="a Clearinghouse base URL; its OSV API is asked")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="table, json, sarif (2.1.0) or cyclonedx-vex")
    ] = OutputFormat.TABLE,
    schema: Annotated[
        bool, typer.Option(help="also check CycloneDX JSON against the official schema")
    ] = True,
) -> None:
    """Match an SBOM against advisories; exit 1 when something is affected."""
    if advisories is None and server is None:
        raise InvalidInput(TEXT["need_source"])
    if advisories is not None and server is not None:
        raise InvalidInput(TEXT["both_sources"])
    inventory = _read_inventory(sbom, schema)
    out, err = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    if advisories is not None:
        report = _match_offline(inventory, advisories, err)
    else:
        report = _match_online(inventory, str(server), err)
    _print(report, inventory, output, out, sbom)
    if report.vulnerable:
        raise typer.Exit(EXIT_AFFECTED)


# --- inputs ---------------------------------------------------------------------------------


def _read_inventory(path: Path, schema: bool) -> Inventory:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the SBOM ({exc.strerror})") from None
    try:
        return read_sbom(data, limits=SbomLimits(), validate_schema=schema)
    except SbomError as exc:
        raise SbomError(f"{path}: {exc.detail}") from None


def osv_files(folder: Path) -> Iterator[Path]:
    """The OSV record files under ``folder`` (JSON and YAML; licences and notes skipped)."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder}: not a folder of OSV records")
    count = 0
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in OSV_SUFFIXES and path.is_file():
            count += 1
            if count > MAX_ADVISORY_FILES:
                raise InvalidInput(f"{folder}: more than {MAX_ADVISORY_FILES} OSV files")
            yield path


def load_records(folder: Path) -> list[OsvRecord]:
    records: list[OsvRecord] = []
    for path in osv_files(folder):
        try:
            records.append(load_osv(path.read_bytes(), filename=path.name))
        except OsvError as exc:
            raise InvalidInput(f"{path}: {exc.detail}") from None
    return records


# --- matching -------------------------------------------------------------------------------


def _with_progress(
    components: Sequence[Component], err: Console, label: str
) -> Iterable[Component]:
    if len(components) < PROGRESS_FROM or not err.is_terminal:
        return components
    return _progress(components, err, label)


def _progress(components: Sequence[Component], err: Console, label: str) -> Iterator[Component]:
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(label, total=len(components))
        for number, component in enumerate(components, start=1):
            yield component
            if number % 500 == 0:
                progress.update(task, completed=number)


def _match_offline(inventory: Inventory, folder: Path, err: Console) -> MatchReport:
    index = AdvisoryIndex.from_osv(load_records(folder))
    return index.match(_with_progress(inventory.components, err, "matching"))


def _match_online(inventory: Inventory, server: str, err: Console) -> MatchReport:
    """Ask the server which advisories affect each component, then build the report with
    the same engine (the server's answers become one-version entries)."""
    index = AdvisoryIndex()
    base = server.rstrip("/")
    components = list(inventory.components)
    queries: list[tuple[str, str, str]] = []  # (ecosystem, name, version)
    for component in components:
        coordinates = index.coordinates(component.purl) if component.purl else None
        version = (coordinates.version if coordinates else None) or component.version
        if coordinates is None or not version:
            continue
        queries.extend((coordinates.ecosystem, name, version) for name in coordinates.names)
    unique = list(dict.fromkeys(queries))
    answers: dict[tuple[str, str, str], list[str]] = {}
    try:
        with httpx.Client(base_url=base, timeout=60.0) as client:
            for start in range(0, len(unique), BATCH):
                chunk = unique[start : start + BATCH]
                for query, ids in zip(chunk, _query_batch(client, chunk), strict=True):
                    answers[query] = ids
            details = {vid: _advisory(client, vid) for ids in answers.values() for vid in ids}
    except httpx.HTTPError as exc:
        raise InvalidInput(f"{base}: the OSV API cannot be used ({exc})") from None
    numbers: dict[str, int] = {}
    for (ecosystem, name, version), ids in answers.items():
        for vid in ids:
            if vid not in numbers:
                numbers[vid] = len(index.advisories)
                index.advisories.append(details[vid])
            index.add_entry(numbers[vid], ecosystem, name, (), (version,))
    return index.match(_with_progress(components, err, "matching"))


def _query_batch(client: httpx.Client, chunk: Sequence[tuple[str, str, str]]) -> list[list[str]]:
    body = {
        "queries": [
            {"package": {"ecosystem": ecosystem, "name": name}, "version": version}
            for ecosystem, name, version in chunk
        ]
    }
    response = client.post("/osv/v1/querybatch", content=orjson.dumps(body))
    if response.status_code != 200:
        raise InvalidInput(f"querybatch answered {response.status_code}: {response.text[:200]}")
    results = response.json().get("results", [])
    if len(results) != len(chunk):
        raise InvalidInput("querybatch answered a different number of results")
    found = []
    for query, result in zip(chunk, results, strict=True):
        ids = [str(v["id"]) for v in result.get("vulns", [])]
        token = result.get("next_page_token")
        while token:  # more than a page of advisories for one package version
            ecosystem, name, version = query
            page = client.post(
                "/osv/v1/query",
                content=orjson.dumps(
                    {
                        "package": {"ecosystem": ecosystem, "name": name},
                        "version": version,
                        "page_token": token,
                    }
                ),
            ).json()
            ids.extend(str(v["id"]) for v in page.get("vulns", []))
            token = page.get("next_page_token")
        found.append(ids)
    return found


def _advisory(client: httpx.Client, vuln_id: str) -> Advisory:
    response = client.get(f"/osv/v1/vulns/{vuln_id}")
    if response.status_code != 200:
        return Advisory(id=vuln_id)
    record = response.json()
    return Advisory(
        id=vuln_id,
        aliases=tuple(record.get("aliases") or ()),
        summary=str(record.get("summary") or ""),
        modified=str(record.get("modified") or ""),
    )


# --- output ---------------------------------------------------------------------------------


def _print(
    report: MatchReport, inventory: Inventory, output: OutputFormat, out: Console, path: Path
) -> None:
    match output:
        case OutputFormat.TABLE:
            _print_table(report, out)
        case OutputFormat.JSON:
            text = orjson.dumps(report_json(report, inventory), option=orjson.OPT_INDENT_2)
            out.out(text.decode(), highlight=False)
        case OutputFormat.SARIF:
            text = orjson.dumps(sarif(report, path), option=orjson.OPT_INDENT_2)
            out.out(text.decode(), highlight=False)
        case OutputFormat.CYCLONEDX_VEX:
            document = cyclonedx_vex(report, inventory)
            out.out(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode(), highlight=False)


def _print_table(report: MatchReport, out: Console) -> None:
    if not report.findings:
        out.print(TEXT["none"].format(count=report.matchable))
    else:
        table = Table("advisory", "aliases", "package", "version", "fixed", "component")
        for finding in report.findings:
            table.add_row(
                finding.advisory.id,
                ", ".join(finding.advisory.aliases),
                f"{finding.ecosystem} {finding.package}",
                finding.version,
                ", ".join(finding.fixed) or "-",
                finding.component.ref,
            )
        out.print(table)
        out.print(
            TEXT["found"].format(
                findings=len(report.findings),
                advisories=len(report.by_advisory()),
                components=len({f.component.ref for f in report.findings}),
            )
        )
    if report.unmatchable:
        out.print(TEXT["unmatchable"].format(count=len(report.unmatchable)))


def _finding_json(finding: Finding) -> dict[str, Any]:
    component = finding.component
    return {
        "advisory": finding.advisory.id,
        "aliases": list(finding.advisory.aliases),
        "summary": finding.advisory.summary,
        "ecosystem": finding.ecosystem,
        "package": finding.package,
        "version": finding.version,
        "fixed": list(finding.fixed),
        "component": {"ref": component.ref, "name": component.name, "purl": component.purl},
    }


def report_json(report: MatchReport, inventory: Inventory) -> dict[str, Any]:
    return {
        "sbom": {
            "format": inventory.format.value,
            "spec_version": inventory.spec_version,
            "name": inventory.name,
            "components": report.components,
            "matchable": report.matchable,
        },
        "vulnerable": report.vulnerable,
        "findings": [_finding_json(f) for f in report.findings],
        "unmatchable": [c.ref for c in report.unmatchable],
    }


def _sarif_rule(advisory: Advisory) -> dict[str, Any]:
    text = advisory.summary or advisory.id
    return {
        "id": advisory.id,
        "name": "VulnerableComponent",
        "shortDescription": {"text": text[:1000]},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", "vulnerability", *advisory.aliases]},
    }


def _sarif_result(finding: Finding, rule_index: int, uri: str) -> dict[str, Any]:
    component = finding.component
    aliases = f" ({', '.join(finding.advisory.aliases)})" if finding.advisory.aliases else ""
    fixed = f"; fixed in {', '.join(finding.fixed)}" if finding.fixed else ""
    return {
        "ruleId": finding.advisory.id,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {
            "text": f"{finding.package} {finding.version} ({component.ref}) is affected by "
            f"{finding.advisory.id}{aliases}{fixed}"
        },
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": uri}},
                "logicalLocations": [
                    {"fullyQualifiedName": component.purl or component.ref, "kind": "module"}
                ],
            }
        ],
        "partialFingerprints": {"componentAdvisory/v1": f"{component.ref}|{finding.advisory.id}"},
        "properties": {
            "purl": component.purl,
            "ecosystem": finding.ecosystem,
            "package": finding.package,
            "version": finding.version,
            "fixed": list(finding.fixed),
        },
    }


def sarif(report: MatchReport, sbom: Path) -> dict[str, Any]:
    """SARIF 2.1.0: one rule per advisory, one result per (component, advisory), located
    in the SBOM file (the component's purl as the logical location)."""
    uri = sbom.as_posix() if not sbom.is_absolute() else sbom.as_uri()
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for finding in report.findings:
        if finding.advisory.id not in index:
            index[finding.advisory.id] = len(rules)
            rules.append(_sarif_rule(finding.advisory))
        results.append(_sarif_result(finding, index[finding.advisory.id], uri))
    driver = {
        "name": "clearinghouse match",
        "version": __version__,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "artifacts": [{"location": {"uri": uri}}],
                "results": results,
            }
        ],
    }


def cyclonedx_vex(report: MatchReport, inventory: Inventory) -> dict[str, Any]:
    """A CycloneDX 1.6 VEX of the matches: the affected components and one vulnerability
    per advisory, ``analysis.state`` ``in_triage`` (a match is not yet an assessment)."""
    components: dict[str, dict[str, Any]] = {}
    for finding in report.findings:
        component = finding.component
        entry: dict[str, Any] = {
            "type": component.kind.value if component.kind.value in _CDX_TYPES else "library",
            "bom-ref": component.ref,
            "name": component.name,
        }
        if component.version:
            entry["version"] = component.version
        if component.purl:
            entry["purl"] = component.purl
        components.setdefault(component.ref, entry)
    vulnerabilities = []
    for advisory_id, findings in report.by_advisory().items():
        advisory = findings[0].advisory
        vulnerability: dict[str, Any] = {
            "bom-ref": f"vuln-{advisory_id}",
            "id": advisory_id,
            "analysis": {"state": "in_triage"},
            "affects": [{"ref": ref} for ref in dict.fromkeys(f.component.ref for f in findings)],
        }
        if advisory.summary:
            vulnerability["description"] = advisory.summary
        if advisory.aliases:
            vulnerability["references"] = [
                {"id": alias, "source": {"name": "alias"}} for alias in advisory.aliases
            ]
        vulnerabilities.append(vulnerability)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {
                "components": [
                    {"type": "application", "name": "clearinghouse", "version": __version__}
                ]
            },
        },
        "components": list(components.values()),
        "vulnerabilities": vulnerabilities,
    }


_CDX_TYPES: Final = frozenset(
    {"application", "framework", "library", "container", "platform", "operating-system",
     "device", "device-driver", "firmware", "file", "machine-learning-model", "data",
     "cryptographic-asset"}
)  # fmt: skip
