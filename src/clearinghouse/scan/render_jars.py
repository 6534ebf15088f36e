"""``scan jars`` results as JSON (our own shape), SARIF 2.1.0 and CycloneDX 1.6.

Pure renderers: a :class:`JarScan` in, a JSON-ready dict out. Every unreadable or corrupt
archive appears in each format: ``problems`` in JSON, a ``warning`` result of the rule
``archive-not-scanned`` in SARIF, a ``clearinghouse:scan:problem`` property in CycloneDX.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import PurePath
from typing import Any, Final
from urllib.parse import quote

from clearinghouse import __version__
from clearinghouse.scan.model import (
    AdvisoryMatch,
    ArchiveProblem,
    Component,
    Confidence,
    Evidence,
    EvidenceKind,
    JarScan,
)
from clearinghouse.timeutil import format_instant

Json = dict[str, Any]
TOOL: Final = "clearinghouse-scan-jars"
INFORMATION_URI: Final = "https://github.com/clearinghouse/clearinghouse/blob/main/docs/scanners.md"
SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
PROBLEM_RULE: Final = "archive-not-scanned"
CONFIDENCE_SHARE: Final = {Confidence.HIGH: 1.0, Confidence.MEDIUM: 0.7, Confidence.LOW: 0.3}
TECHNIQUE: Final = {
    EvidenceKind.POM_PROPERTIES: "manifest-analysis",
    EvidenceKind.POM_XML: "manifest-analysis",
    EvidenceKind.MANIFEST: "manifest-analysis",
    EvidenceKind.CLASSES: "binary-analysis",
}


# --- JSON --------------------------------------------------------------------------------------


def _evidence(item: Evidence) -> Json:
    return {"kind": item.kind.value, "location": item.location, "detail": item.detail}


def _advisory(item: AdvisoryMatch) -> Json:
    return {"id": item.id, "aliases": list(item.aliases), "summary": item.summary}


def component_json(component: Component) -> Json:
    return {
        "location": component.location,
        "chain": list(component.chain),
        "group": component.group,
        "artifact": component.artifact,
        "version": component.version,
        "version_exact": component.version_exact,
        "version_range": component.version_range,
        "purl": component.purl,
        "confidence": component.confidence.value,
        "evidence": [_evidence(e) for e in component.evidence],
        "shaded_prefix": component.shaded_prefix,
        "mitigations": [m.value for m in component.mitigations],
        "vulnerable": component.vulnerable,
        "advisories": [_advisory(a) for a in component.advisories],
    }


def problem_json(problem: ArchiveProblem) -> Json:
    return {
        "location": problem.location,
        "chain": list(problem.chain),
        "kind": problem.kind.value,
        "reason": problem.reason,
    }


def to_json(scan: JarScan, advisory_source: str | None) -> Json:
    return {
        "tool": {"name": TOOL, "version": __version__},
        "advisory_source": advisory_source,
        "summary": {
            "files": scan.files,
            "archives": scan.archives,
            "components": len(scan.components),
            "vulnerable": len(scan.vulnerable),
            "problems": len(scan.problems),
        },
        "components": [component_json(c) for c in scan.components],
        "problems": [problem_json(p) for p in scan.problems],
    }


# --- SARIF 2.1.0 -------------------------------------------------------------------------------


def _uri(path: str) -> str:
    pure = PurePath(path)
    return pure.as_uri() if pure.is_absolute() else quote(pure.as_posix())


def _location(chain: tuple[str, ...], logical: str) -> Json:
    return {
        "physicalLocation": {"artifactLocation": {"uri": _uri(chain[0])}},
        "logicalLocations": [{"fullyQualifiedName": logical, "kind": "module"}],
    }


def _rule(advisory: AdvisoryMatch) -> Json:
    text = advisory.summary or advisory.id
    rule: Json = {
        "id": advisory.id,
        "name": "VulnerableComponent",
        "shortDescription": {"text": text[:1000]},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", "vulnerability", *advisory.aliases]},
    }
    return rule


def _vulnerable_result(component: Component, advisory: AdvisoryMatch, rule_index: int) -> Json:
    aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
    version = component.version if component.version_exact else component.version_range
    return {
        "ruleId": advisory.id,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {
            "text": f"{component.name} {version} at {component.location} is affected by "
            f"{advisory.id}{aliases}"
        },
        "locations": [_location(component.chain, component.location)],
        "partialFingerprints": {"componentLocation/v1": f"{component.purl}@{component.location}"},
        "properties": {
            "purl": component.purl,
            "confidence": component.confidence.value,
            "mitigations": [m.value for m in component.mitigations],
            "evidence": [e.detail for e in component.evidence],
        },
    }


def _problem_result(problem: ArchiveProblem, rule_index: int) -> Json:
    return {
        "ruleId": PROBLEM_RULE,
        "ruleIndex": rule_index,
        "level": "warning",
        "message": {"text": f"{problem.location}: {problem.kind.value}: {problem.reason}"},
        "locations": [_location(problem.chain, problem.location)],
        "properties": {"kind": problem.kind.value},
    }


def to_sarif(scan: JarScan) -> Json:
    rules: list[Json] = []
    index: dict[str, int] = {}
    results: list[Json] = []
    for component in scan.vulnerable:
        for advisory in component.advisories:
            if advisory.id not in index:
                index[advisory.id] = len(rules)
                rules.append(_rule(advisory))
            results.append(_vulnerable_result(component, advisory, index[advisory.id]))
    if scan.problems:
        problem_index = len(rules)
        rules.append(
            {
                "id": PROBLEM_RULE,
                "name": "ArchiveNotScanned",
                "shortDescription": {"text": "An archive could not be read or was refused"},
                "defaultConfiguration": {"level": "warning"},
            }
        )
        results.extend(_problem_result(p, problem_index) for p in scan.problems)
    driver = {
        "name": TOOL,
        "version": __version__,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


# --- CycloneDX 1.6 -----------------------------------------------------------------------------


def _cyclonedx_component(component: Component, ref: str) -> Json:
    share = CONFIDENCE_SHARE[component.confidence]
    methods = [
        {"technique": TECHNIQUE[e.kind], "confidence": share, "value": f"{e.location}: {e.detail}"}
        for e in component.evidence
    ]
    out: Json = {
        "type": "library",
        "bom-ref": ref,
        "group": component.group,
        "name": component.artifact,
        "purl": component.purl,
        "evidence": {
            "identity": [{"field": "purl", "confidence": share, "methods": methods}],
            "occurrences": [{"location": component.location}],
        },
    }
    if component.version is not None:
        out["version"] = component.version
    properties = [
        {"name": "clearinghouse:scan:mitigation", "value": m.value} for m in component.mitigations
    ]
    if component.version_range:
        properties.append(
            {"name": "clearinghouse:scan:version-range", "value": component.version_range}
        )
    if component.shaded_prefix:
        properties.append(
            {"name": "clearinghouse:scan:shaded-prefix", "value": component.shaded_prefix}
        )
    if properties:
        out["properties"] = properties
    return out


def _cyclonedx_vulnerabilities(refs: list[tuple[Component, str]]) -> list[Json]:
    affected: dict[str, tuple[AdvisoryMatch, list[str]]] = {}
    for component, ref in refs:
        for advisory in component.advisories:
            affected.setdefault(advisory.id, (advisory, []))[1].append(ref)
    out = []
    for advisory_id in sorted(affected):
        advisory, targets = affected[advisory_id]
        entry: Json = {
            "id": advisory_id,
            "affects": [{"ref": ref} for ref in targets],
        }
        if advisory.aliases:
            entry["references"] = [
                {"id": alias, "source": {"name": _source(alias)}} for alias in advisory.aliases
            ]
        if advisory.summary:
            entry["description"] = advisory.summary
        out.append(entry)
    return out


def _source(identifier: str) -> str:
    return "NVD" if identifier.startswith("CVE-") else identifier.split("-", 1)[0]


def to_cyclonedx(scan: JarScan, *, now: datetime, serial: uuid.UUID | None = None) -> Json:
    refs = [(c, f"component-{n}") for n, c in enumerate(scan.components, start=1)]
    metadata: Json = {
        "timestamp": format_instant(now),
        "tools": {"components": [{"type": "application", "name": TOOL, "version": __version__}]},
    }
    if scan.problems:
        metadata["properties"] = [
            {
                "name": "clearinghouse:scan:problem",
                "value": f"{p.location}: {p.kind.value}: {p.reason}",
            }
            for p in scan.problems
        ]
    bom: Json = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": (serial or uuid.uuid4()).urn,
        "version": 1,
        "metadata": metadata,
        "components": [_cyclonedx_component(c, ref) for c, ref in refs],
    }
    vulnerabilities = _cyclonedx_vulnerabilities(refs)
    if vulnerabilities:
        bom["vulnerabilities"] = vulnerabilities
    return bom
