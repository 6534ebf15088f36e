"""Write a neutral :class:`Advisory` as a CycloneDX 1.6 VEX document (JSON).

CycloneDX keeps one ``analysis`` per vulnerability object, while an advisory may say
different things about different products. So each vulnerability is written once per
distinct analysis (state, justification, statement): the ``affects`` of each list the
components (one per package, identified by purl) and the versions or ``vers:`` ranges
the analysis covers. Product facts come from the same resolution as the CSAF renderer
(:func:`clearinghouse.formats.csaf_render.collect_products`), so CSAF VEX and CycloneDX
VEX never disagree.

Status mapping (``analysis.state``): affected -> ``exploitable``, not_affected ->
``not_affected``, fixed -> ``resolved``, under_investigation -> ``in_triage``.

Justification mapping (CSAF 2.0 flag -> CycloneDX), following CISA's VEX status
justification crosswalk; CycloneDX has no "component not present", and its closest
reading is that the vulnerable code is absent:

=================================================  ================================
component_not_present                              code_not_present
vulnerable_code_not_present                        code_not_present
vulnerable_code_not_in_execute_path                code_not_reachable
vulnerable_code_cannot_be_controlled_by_adversary  requires_environment
inline_mitigations_already_exist                   protected_by_mitigating_control
=================================================  ================================
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError
from packageurl import PackageURL

from clearinghouse import __version__
from clearinghouse.formats.csaf_render import ProductKey, collect_products, package_purl
from clearinghouse.formats.csaf_vocab import CSAF_ECOSYSTEM, GENERATOR_NAME, NO_FIX_TEXT
from clearinghouse.formats.model import (
    Advisory,
    FormatError,
    Justification,
    Package,
    ProductStatus,
    Severity,
    Vulnerability,
)
from clearinghouse.timeutil import format_instant

Json = dict[str, Any]

SPEC_VERSION = "1.6"

STATE: dict[ProductStatus, str] = {
    ProductStatus.AFFECTED: "exploitable",
    ProductStatus.NOT_AFFECTED: "not_affected",
    ProductStatus.FIXED: "resolved",
    ProductStatus.UNDER_INVESTIGATION: "in_triage",
}
JUSTIFICATION: dict[Justification, str] = {
    Justification.COMPONENT_NOT_PRESENT: "code_not_present",
    Justification.VULNERABLE_CODE_NOT_PRESENT: "code_not_present",
    Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH: "code_not_reachable",
    Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY: "requires_environment",
    Justification.INLINE_MITIGATIONS_ALREADY_EXIST: "protected_by_mitigating_control",
}
# affects[].versions[].status for a product in each state.
VERSION_STATUS: dict[ProductStatus, str] = {
    ProductStatus.AFFECTED: "affected",
    ProductStatus.NOT_AFFECTED: "unaffected",
    ProductStatus.FIXED: "unaffected",
    ProductStatus.UNDER_INVESTIGATION: "unknown",
}
# CSAF remediation category -> CycloneDX analysis.response.
RESPONSE: dict[str, str] = {
    "vendor_fix": "update",
    "workaround": "workaround_available",
    "mitigation": "workaround_available",
    "no_fix_planned": "will_not_fix",
}
_SERIAL_NAMESPACE = uuid.UUID("6f1c1a52-8f0e-5d1e-9a57-3c9e4f0a2b17")
_CWE = re.compile(r"CWE-([0-9]+)\Z")


class VexError(FormatError):
    """An advisory holds something CycloneDX VEX cannot carry (e.g. a broken CVSS vector)."""

    code = "invalid-vex"
    title = "The advisory cannot be written as CycloneDX VEX"


def serial_number(advisory: Advisory) -> str:
    """``urn:uuid:`` from the publisher namespace and advisory id (uuid5): every version
    of one advisory shares it, as CycloneDX asks of versions of one BOM."""
    name = f"{advisory.publisher.namespace.rstrip('/')}/advisories/{advisory.id}"
    return f"urn:uuid:{uuid.uuid5(_SERIAL_NAMESPACE, name)}"


def _instant(value: datetime) -> str:
    return format_instant(value, micro=value.microsecond != 0)


def _component(package: Package, ref: str) -> Json:
    component: Json = {
        "type": "application" if package.ecosystem == CSAF_ECOSYSTEM else "library",
        "bom-ref": ref,
        "name": package.name,
    }
    purl = package_purl(package)
    if purl:
        parsed = PackageURL.from_string(purl)
        component["name"] = parsed.name
        if parsed.namespace:
            component["group"] = parsed.namespace
        component["purl"] = purl
    return component


def _ratings(severities: Iterable[Severity]) -> list[Json]:
    out: list[Json] = []
    for sev in severities:
        vector = sev.vector.strip()
        try:
            if vector.startswith("CVSS:4.0/"):
                cvss4 = CVSS4(vector)
                score, severity, method = cvss4.base_score, cvss4.severity, "CVSSv4"
            elif vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
                cvss3 = CVSS3(vector)
                score, severity = cvss3.scores()[0], cvss3.severities()[0]
                method = "CVSSv31" if vector.startswith("CVSS:3.1/") else "CVSSv3"
            elif sev.type == "CVSS_V2":
                cvss2 = CVSS2(vector)
                score, severity, method = cvss2.scores()[0], cvss2.severities()[0], "CVSSv2"
            else:
                continue
        except CVSSError as exc:
            raise VexError(f"severity vector {vector!r} is not valid CVSS: {exc}") from exc
        out.append(
            {
                "score": float(score),
                "severity": str(severity).lower(),
                "method": method,
                "vector": vector,
            }
        )
    return out


def _identity(vuln: Vulnerability, advisory: Advisory) -> Json:
    cve = vuln.cve or next((a for a in vuln.aliases if a.startswith("CVE-")), None)
    out: Json = {}
    if cve:
        out["id"] = cve
        out["source"] = {"name": "NVD", "url": f"https://nvd.nist.gov/vuln/detail/{cve}"}
    else:
        out["id"] = vuln.id
        out["source"] = {"name": advisory.publisher.name, "url": advisory.publisher.namespace}
    others = [a for a in dict.fromkeys((vuln.id, *vuln.aliases)) if a != out["id"]]
    if others:
        out["references"] = [{"id": a, "source": _alias_source(a, advisory)} for a in others]
    return out


def _alias_source(alias: str, advisory: Advisory) -> Json:
    if alias.startswith("GHSA-"):
        return {"name": "GitHub", "url": f"https://github.com/advisories/{alias}"}
    if alias.startswith("CVE-"):
        return {"name": "NVD", "url": f"https://nvd.nist.gov/vuln/detail/{alias}"}
    return {"name": advisory.publisher.name, "url": advisory.publisher.namespace}


def _common(vuln: Vulnerability, advisory: Advisory) -> Json:
    out = _identity(vuln, advisory)
    ratings = _ratings(vuln.severity)
    if ratings:
        out["ratings"] = ratings
    cwes = [int(m.group(1)) for c in vuln.cwes if (m := _CWE.match(c))]
    if cwes:
        out["cwes"] = list(dict.fromkeys(cwes))
    if vuln.summary or vuln.details:
        out["description"] = vuln.summary or vuln.details
    if vuln.summary and vuln.details:
        out["detail"] = vuln.details
    advice = [r.details for r in vuln.remediations if r.details]
    if advice:
        out["recommendation"] = "\n\n".join(advice)
    if vuln.references:
        out["advisories"] = [
            {"title": r.summary, "url": r.url} if r.summary else {"url": r.url}
            for r in vuln.references
        ]
    if vuln.published is not None:
        out["published"] = _instant(vuln.published)
    if vuln.modified is not None:
        out["updated"] = _instant(vuln.modified)
    if vuln.credits:
        out["credits"] = {"individuals": [{"name": c.name} for c in vuln.credits]}
    return out


def _responses(vuln: Vulnerability, has_fix: bool) -> list[str]:
    responses = {RESPONSE[r.category] for r in vuln.remediations if r.category in RESPONSE}
    if has_fix:
        responses.add("update")
    order = ["can_not_fix", "will_not_fix", "update", "rollback", "workaround_available"]
    return [r for r in order if r in responses]


def model_to_cyclonedx_vex(advisory: Advisory) -> Json:
    """Render ``advisory`` as a CycloneDX 1.6 VEX BOM (a JSON-ready dict).

    Deterministic: the same advisory gives the same document (``serialNumber`` from
    :func:`serial_number`, ``version`` the number of revisions, ``metadata.timestamp``
    the advisory's current release).
    """
    refs: dict[Package, str] = {}
    components: list[Json] = []
    vulnerabilities: list[Json] = []

    def ref_of(package: Package) -> str:
        if package not in refs:
            purl = package_purl(package)
            ref = purl if purl and purl not in refs.values() else f"component-{len(refs) + 1}"
            refs[package] = ref
            components.append(_component(package, ref))
        return refs[package]

    for vuln in advisory.vulnerabilities:
        try:
            products = collect_products(vuln)
        except FormatError as exc:
            raise VexError(f"vulnerability {vuln.id}: {exc.detail}") from exc
        common = _common(vuln, advisory)
        groups: dict[tuple[ProductStatus, str | None, str | None], list[ProductKey]] = {}
        for key, status in products.status.items():
            just = products.justification.get(key) if status is ProductStatus.NOT_AFFECTED else None
            groups.setdefault((status, just, products.impact.get(key)), []).append(key)
        order = list(STATE)
        for index, ((status, just, detail), keys) in enumerate(
            sorted(
                groups.items(), key=lambda g: (order.index(g[0][0]), g[0][1] or "", g[0][2] or "")
            )
        ):
            analysis: Json = {"state": STATE[status]}
            if just is not None:
                analysis["justification"] = JUSTIFICATION[Justification(just)]
            if status is ProductStatus.AFFECTED:
                responses = _responses(vuln, any(k in products.fix for k in keys))
                if responses:
                    analysis["response"] = responses
                if detail is None and not vuln.remediations and not products.fix:
                    detail = NO_FIX_TEXT
            if detail:
                analysis["detail"] = detail
            if vuln.published is not None:
                analysis["firstIssued"] = _instant(vuln.published)
            if vuln.modified is not None:
                analysis["lastUpdated"] = _instant(vuln.modified)
            entry: Json = {"bom-ref": f"{vuln.id}/{index + 1}", **common, "analysis": analysis}
            entry["affects"] = _affects(keys, status, ref_of)
            vulnerabilities.append(entry)

    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": serial_number(advisory),
        "version": max(1, len(advisory.revisions)),
        "metadata": {
            "timestamp": _instant(advisory.current_release),
            "tools": {
                "components": [
                    {"type": "application", "name": GENERATOR_NAME, "version": __version__}
                ]
            },
            "supplier": {"name": advisory.publisher.name, "url": [advisory.publisher.namespace]},
        },
        "components": components,
        "vulnerabilities": vulnerabilities,
    }


def _affects(keys: list[ProductKey], status: ProductStatus, ref_of: Any) -> list[Json]:
    by_ref: dict[str, list[Json]] = {}
    for key in sorted(keys, key=ProductKey.sort_tuple):
        versions = by_ref.setdefault(ref_of(key.package), [])
        if key.version is not None:
            versions.append({"version": key.version, "status": VERSION_STATUS[status]})
        elif key.vers is not None:
            versions.append({"range": key.vers, "status": VERSION_STATUS[status]})
    return [
        {"ref": ref, "versions": versions} if versions else {"ref": ref}
        for ref, versions in by_ref.items()
    ]
