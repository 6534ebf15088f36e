"""Check CSAF 2.0 documents: the OASIS JSON schema, and the cheap mandatory tests.

The schema (with the FIRST CVSS schemas it references) ships inside the package and is
resolved through a local ``referencing`` registry: validation never touches the network.
Format assertions stay off: jsonschema's ``uri``/``iri`` checks pull in
``rfc3987-syntax``, which is very slow on large documents; dates are checked by the
parser instead.

The mandatory tests here are a subset of section 6.1 of the standard, written to be
cheap (one pass over the document each). The BSI ``csaf-validator-lib`` is the
authority; the test suite runs both over the OASIS test vectors and expects agreement.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from clearinghouse.formats.csaf_checks_scores import SCORE_TESTS
from clearinghouse.formats.csaf_checks_tracking import TRACKING_TESTS
from clearinghouse.formats.csaf_checks_tree import TREE_TESTS
from clearinghouse.formats.csaf_checks_tree import dicts as _dicts
from clearinghouse.formats.csaf_checks_tree import strings as _strings
from clearinghouse.formats.csaf_vocab import CsafFinding, prohibited_category
from clearinghouse.formats.schemas import ecma_validator

__all__ = [
    "MANDATORY_TESTS",
    "MANDATORY_TEST_IDS",
    "CsafFinding",
    "check_csaf_mandatory",
    "validate_csaf",
    "validate_csaf_schema",
]

SCHEMA_DIR = ("schemas", "csaf")
CSAF_SCHEMA_FILE = "csaf_json_schema.json"
# $ref target in the CSAF schema -> shipped file.
_CVSS_FILES = {
    "https://www.first.org/cvss/cvss-v2.0.json": "cvss-v2.0.json",
    "https://www.first.org/cvss/cvss-v3.0.json": "cvss-v3.0.json",
    "https://www.first.org/cvss/cvss-v3.1.json": "cvss-v3.1.json",
}


def _load(name: str) -> Any:
    resource = files("clearinghouse.formats").joinpath(*SCHEMA_DIR, name)
    return json.loads(resource.read_text(encoding="utf-8"))


@functools.cache
def _validator() -> Draft202012Validator:
    """Build the schema validator once per process."""
    pairs: list[tuple[str, Resource[Any]]] = []
    for uri, name in _CVSS_FILES.items():
        resource: Resource[Any] = Resource.from_contents(_load(name))
        pairs.append((uri, resource))
        own_id = resource.id()  # e.g. "...cvss-v3.1.json?20211103": internal refs use it
        if own_id and own_id != uri:
            pairs.append((own_id, resource))
    registry: Registry[Any] = Registry().with_resources(pairs)
    schema = _load(CSAF_SCHEMA_FILE)
    Draft202012Validator.check_schema(schema)
    # patterns as ECMA-262 (and the BSI validator) read them: formats.schemas.ecma_pattern
    validator: Draft202012Validator = ecma_validator(Draft202012Validator)(
        schema, registry=registry
    )
    return validator


def validate_csaf_schema(doc: Any) -> tuple[CsafFinding, ...]:
    """Findings of the OASIS CSAF 2.0 JSON schema (empty when the document is valid)."""
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    return tuple(CsafFinding("schema", _pointer(e.absolute_path), e.message[:500]) for e in errors)


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


# --------------------------------------------------------------------------- helpers


def _product_definitions(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (product_id, path) defined in the product tree."""
    tree = doc.get("product_tree")
    if not isinstance(tree, dict):
        return []
    out: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(tree.get("branches"), "/product_tree/branches")]
    while stack:
        branches, path = stack.pop()
        for i, branch in _dicts(branches):
            product = branch.get("product")
            if isinstance(product, dict) and isinstance(product.get("product_id"), str):
                out.append((product["product_id"], f"{path}/{i}/product/product_id"))
            stack.append((branch.get("branches"), f"{path}/{i}/branches"))
    for i, product in _dicts(tree.get("full_product_names")):
        if isinstance(product.get("product_id"), str):
            out.append((product["product_id"], f"/product_tree/full_product_names/{i}/product_id"))
    for i, rel in _dicts(tree.get("relationships")):
        fpn = rel.get("full_product_name")
        if isinstance(fpn, dict) and isinstance(fpn.get("product_id"), str):
            path = f"/product_tree/relationships/{i}/full_product_name/product_id"
            out.append((fpn["product_id"], path))
    return out


_STATUS_KEYS = (
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
)


def _product_references(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (product_id, path) the document refers to (the places test 6.1.1 lists)."""
    tree = doc.get("product_tree")
    if isinstance(tree, dict):
        for i, group in _dicts(tree.get("product_groups")):
            for j, pid in _strings(group.get("product_ids")):
                yield pid, f"/product_tree/product_groups/{i}/product_ids/{j}"
        for i, rel in _dicts(tree.get("relationships")):
            for field in ("product_reference", "relates_to_product_reference"):
                if isinstance(rel.get(field), str):
                    yield rel[field], f"/product_tree/relationships/{i}/{field}"
    for v, vuln in _dicts(doc.get("vulnerabilities")):
        base = f"/vulnerabilities/{v}"
        status = vuln.get("product_status")
        if isinstance(status, dict):
            for key in _STATUS_KEYS:
                for j, pid in _strings(status.get(key)):
                    yield pid, f"{base}/product_status/{key}/{j}"
        for field in ("remediations", "threats", "flags"):
            for i, item in _dicts(vuln.get(field)):
                for j, pid in _strings(item.get("product_ids")):
                    yield pid, f"{base}/{field}/{i}/product_ids/{j}"
        for i, score in _dicts(vuln.get("scores")):
            for j, pid in _strings(score.get("products")):
                yield pid, f"{base}/scores/{i}/products/{j}"


def _groups(doc: dict[str, Any]) -> dict[str, set[str]]:
    tree = doc.get("product_tree")
    out: dict[str, set[str]] = {}
    if isinstance(tree, dict):
        for _, group in _dicts(tree.get("product_groups")):
            if isinstance(group.get("group_id"), str):
                ids = {p for _, p in _strings(group.get("product_ids"))}
                out.setdefault(group["group_id"], set()).update(ids)
    return out


def _covered(item: dict[str, Any], groups: dict[str, set[str]]) -> set[str]:
    pids = {p for _, p in _strings(item.get("product_ids"))}
    for _, gid in _strings(item.get("group_ids")):
        pids |= groups.get(gid, set())
    return pids


# --------------------------------------------------------------------------- tests


def _test_6_1_1(doc: dict[str, Any]) -> Iterator[CsafFinding]:
    defined = {pid for pid, _ in _product_definitions(doc)}
    for pid, path in _product_references(doc):
        if pid not in defined:
            yield CsafFinding("6.1.1", path, f"product id {pid!r} is not defined")


def _test_6_1_2(doc: dict[str, Any]) -> Iterator[CsafFinding]:
    seen: set[str] = set()
    for pid, path in _product_definitions(doc):
        if pid in seen:
            yield CsafFinding("6.1.2", path, f"product id {pid!r} is defined more than once")
        seen.add(pid)


_STATUS_GROUPS = {
    "first_affected": "affected",
    "known_affected": "affected",
    "last_affected": "affected",
    "known_not_affected": "not_affected",
    "first_fixed": "fixed",
    "fixed": "fixed",
    "under_investigation": "under_investigation",
}


def _test_6_1_6(doc: dict[str, Any]) -> Iterator[CsafFinding]:
    """Contradicting product status: one product in two status groups of one vulnerability."""
    for v, vuln in _dicts(doc.get("vulnerabilities")):
        status = vuln.get("product_status")
        if not isinstance(status, dict):
            continue
        group_of: dict[str, str] = {}
        for key, group in _STATUS_GROUPS.items():
            for j, pid in _strings(status.get(key)):
                earlier = group_of.setdefault(pid, group)
                if earlier != group:
                    path = f"/vulnerabilities/{v}/product_status/{key}/{j}"
                    yield CsafFinding(
                        "6.1.6", path, f"product {pid!r} is both {earlier} and {group}"
                    )


_ADVISORY_LIKE = ("csaf_security_advisory", "csaf_vex")
_TEXT_PROFILES = ("csaf_security_incident_response", "csaf_informational_advisory")


def _test_6_1_27(doc: dict[str, Any]) -> Iterator[CsafFinding]:
    """The profile tests 6.1.27.1 - 6.1.27.11."""
    document = doc.get("document")
    if not isinstance(document, dict):
        document = {}
    category = document.get("category")
    vulns = doc.get("vulnerabilities")
    if category in _TEXT_PROFILES:
        notes = [n for _, n in _dicts(document.get("notes"))]
        wanted = {"description", "details", "general", "summary"}
        if not any(n.get("category") in wanted for n in notes):
            yield CsafFinding(
                "6.1.27.1", "/document/notes", "needs a description/details/general/summary note"
            )
        refs = [r for _, r in _dicts(document.get("references"))]
        if not any(r.get("category") == "external" for r in refs):
            yield CsafFinding("6.1.27.2", "/document/references", "needs an external reference")
    if category == "csaf_informational_advisory" and "vulnerabilities" in doc:
        yield CsafFinding("6.1.27.3", "/vulnerabilities", "must not exist in this profile")
    if category not in _ADVISORY_LIKE:
        return
    if not doc.get("product_tree"):
        yield CsafFinding("6.1.27.4", "", "needs a product_tree")
    if not vulns:
        yield CsafFinding("6.1.27.11", "", "needs vulnerabilities")
    groups = _groups(doc)
    for v, vuln in _dicts(vulns):
        path = f"/vulnerabilities/{v}"
        if not vuln.get("notes"):
            yield CsafFinding("6.1.27.5", path, "needs notes")
        status = vuln.get("product_status")
        if category == "csaf_security_advisory":
            if not status:
                yield CsafFinding("6.1.27.6", path, "needs product_status")
            continue
        yield from _vex_tests(vuln, path, groups)


def _vex_tests(
    vuln: dict[str, Any], path: str, groups: dict[str, set[str]]
) -> Iterator[CsafFinding]:
    if "cve" not in vuln and "ids" not in vuln:
        yield CsafFinding("6.1.27.8", path, "needs cve or ids")
    status = vuln.get("product_status")
    if not status:
        yield CsafFinding("6.1.27.7", path, "needs product_status")
        return
    vex_keys = ("fixed", "known_affected", "known_not_affected", "under_investigation")
    if not isinstance(status, dict) or not any(isinstance(status.get(k), list) for k in vex_keys):
        yield CsafFinding("6.1.27.7", f"{path}/product_status", "needs a VEX status list")
    if not isinstance(status, dict):
        return
    impact: set[str] = set()
    for _, threat in _dicts(vuln.get("threats")):
        if threat.get("category") == "impact":
            impact |= _covered(threat, groups)
    for _, flag in _dicts(vuln.get("flags")):
        impact |= _covered(flag, groups)
    for j, pid in _strings(status.get("known_not_affected")):
        if pid not in impact:
            yield CsafFinding(
                "6.1.27.9",
                f"{path}/product_status/known_not_affected/{j}",
                f"no impact statement for {pid!r}",
            )
    action: set[str] = set()
    for _, rem in _dicts(vuln.get("remediations")):
        action |= _covered(rem, groups)
    for j, pid in _strings(status.get("known_affected")):
        if pid not in action:
            yield CsafFinding(
                "6.1.27.10",
                f"{path}/product_status/known_affected/{j}",
                f"no action statement for {pid!r}",
            )


def _test_6_1_29(doc: dict[str, Any]) -> Iterator[CsafFinding]:
    for v, vuln in _dicts(doc.get("vulnerabilities")):
        for i, rem in _dicts(vuln.get("remediations")):
            if "product_ids" not in rem and "group_ids" not in rem:
                path = f"/vulnerabilities/{v}/remediations/{i}"
                yield CsafFinding("6.1.29", path, "remediation names no product or group")


def _test_6_1_32(doc: dict[str, Any]) -> Iterator[CsafFinding]:
    for v, vuln in _dicts(doc.get("vulnerabilities")):
        for i, flag in _dicts(vuln.get("flags")):
            if "product_ids" not in flag and "group_ids" not in flag:
                path = f"/vulnerabilities/{v}/flags/{i}"
                yield CsafFinding("6.1.32", path, "flag names no product or group")


def _test_6_1_33(doc: dict[str, Any]) -> Iterator[CsafFinding]:
    groups = _groups(doc)
    for v, vuln in _dicts(doc.get("vulnerabilities")):
        seen: set[str] = set()
        for i, flag in _dicts(vuln.get("flags")):
            pids = _covered(flag, groups)
            for pid in sorted(pids & seen):
                path = f"/vulnerabilities/{v}/flags/{i}"
                yield CsafFinding("6.1.33", path, f"product {pid!r} has more than one flag")
            seen |= pids


def _test_6_1_23(doc: dict[str, Any]) -> Iterator[CsafFinding]:
    """Multiple use of the same CVE: two vulnerabilities of one document name one CVE."""
    seen: set[str] = set()
    for v, vuln in _dicts(doc.get("vulnerabilities")):
        cve = vuln.get("cve")
        if not isinstance(cve, str):
            continue
        if cve in seen:
            path = f"/vulnerabilities/{v}/cve"
            yield CsafFinding("6.1.23", path, f"{cve} is used by more than one vulnerability")
        seen.add(cve)


def _test_6_1_26(doc: dict[str, Any]) -> Iterator[CsafFinding]:
    """Prohibited document category name."""
    document = doc.get("document")
    category = document.get("category") if isinstance(document, dict) else None
    if isinstance(category, str):
        reason = prohibited_category(category)
        if reason is not None:
            yield CsafFinding("6.1.26", "/document/category", reason)


_SECTIONS = {
    "6.1.1": _test_6_1_1,
    "6.1.2": _test_6_1_2,
    "6.1.6": _test_6_1_6,
    "6.1.23": _test_6_1_23,
    "6.1.26": _test_6_1_26,
    "6.1.27": _test_6_1_27,
    "6.1.29": _test_6_1_29,
    "6.1.32": _test_6_1_32,
    "6.1.33": _test_6_1_33,
    **TREE_TESTS,
    **TRACKING_TESTS,
    **SCORE_TESTS,
}
MANDATORY_TESTS = {
    section: _SECTIONS[section]
    for section in sorted(_SECTIONS, key=lambda s: tuple(int(p) for p in s.split(".")))
}


# Every test id check_csaf_mandatory can report (6.1.27 runs the profile tests 6.1.27.1-11).
MANDATORY_TEST_IDS: tuple[str, ...] = tuple(
    sub
    for section in MANDATORY_TESTS
    for sub in ([f"6.1.27.{i}" for i in range(1, 12)] if section == "6.1.27" else [section])
)


def check_csaf_mandatory(doc: Any) -> tuple[CsafFinding, ...]:
    """Findings of the mandatory tests implemented here (see ``MANDATORY_TESTS``).

    Works on any JSON value; parts that do not have the shape the schema asks for are
    skipped (the schema check reports them).
    """
    if not isinstance(doc, dict):
        return (CsafFinding("schema", "", "a CSAF document is a JSON object"),)
    return tuple(f for test in MANDATORY_TESTS.values() for f in test(doc))


def validate_csaf(doc: Any) -> tuple[CsafFinding, ...]:
    """Schema findings, then mandatory-test findings."""
    return validate_csaf_schema(doc) + check_csaf_mandatory(doc)
