"""CSAF 2.0 mandatory tests about products, groups, scores and involvements (section 6.1):
6.1.3, 6.1.4, 6.1.5, 6.1.7, 6.1.24, 6.1.25 and 6.1.31.

Each test takes the parsed JSON document and yields findings; parts without the shape the
schema asks for are skipped (the schema check reports them). The BSI csaf-validator-lib is
the reference: the test suite runs both over every OASIS vector and expects agreement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from clearinghouse.formats.csaf_vocab import CsafFinding

Json = dict[str, Any]


def dicts(value: Any) -> Iterator[tuple[int, Json]]:
    """(index, item) of the objects in a JSON list (nothing for anything else)."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def strings(value: Any) -> Iterator[tuple[int, str]]:
    """(index, item) of the strings in a JSON list (nothing for anything else)."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                yield i, item


def _tree(doc: Json) -> Json:
    tree = doc.get("product_tree")
    return tree if isinstance(tree, dict) else {}


def test_6_1_3(doc: Json) -> Iterator[CsafFinding]:
    """Circular definition of product id: a relationship whose product is built, through
    other relationships, from itself (or from products that are)."""
    relationships = [r for _, r in dicts(_tree(doc).get("relationships"))]
    defined_by: dict[str, int] = {}
    for index, rel in enumerate(relationships):
        fpn = rel.get("full_product_name")
        if isinstance(fpn, dict) and isinstance(fpn.get("product_id"), str):
            defined_by.setdefault(fpn["product_id"], index)
    edges = [
        [defined_by[ref] for ref in _references(rel) if ref in defined_by] for rel in relationships
    ]
    looping = {i for i in range(len(relationships)) if _reachable(edges, edges[i], i)}
    for index, rel in enumerate(relationships):
        for field in ("product_reference", "relates_to_product_reference"):
            ref = rel.get(field)
            if not isinstance(ref, str) or ref not in defined_by:
                continue
            start = defined_by[ref]
            if (
                start == index
                or _reachable(edges, [start], index)
                or any(_reachable(edges, [start], other) for other in looping)
            ):
                path = f"/product_tree/relationships/{index}/{field}"
                yield CsafFinding("6.1.3", path, "circular reference")


def _references(rel: Json) -> list[str]:
    return [
        rel[field]
        for field in ("product_reference", "relates_to_product_reference")
        if isinstance(rel.get(field), str)
    ]


def _reachable(edges: list[list[int]], starts: list[int], target: int) -> bool:
    seen: set[int] = set()
    stack = list(starts)
    while stack:
        index = stack.pop()
        if index == target:
            return True
        if index not in seen:
            seen.add(index)
            stack.extend(edges[index])
    return False


def _group_definitions(doc: Json) -> list[tuple[str, str]]:
    return [
        (group["group_id"], f"/product_tree/product_groups/{i}/group_id")
        for i, group in dicts(_tree(doc).get("product_groups"))
        if isinstance(group.get("group_id"), str)
    ]


def test_6_1_4(doc: Json) -> Iterator[CsafFinding]:
    """Missing definition of group id: a remediation, threat or flag names a group the
    product tree does not define."""
    defined = {gid for gid, _ in _group_definitions(doc)}
    for v, vuln in dicts(doc.get("vulnerabilities")):
        for field in ("remediations", "threats", "flags"):
            for i, item in dicts(vuln.get(field)):
                for j, gid in strings(item.get("group_ids")):
                    if gid not in defined:
                        path = f"/vulnerabilities/{v}/{field}/{i}/group_ids/{j}"
                        yield CsafFinding("6.1.4", path, f"group id {gid!r} is not defined")


def test_6_1_5(doc: Json) -> Iterator[CsafFinding]:
    """Multiple definition of group id (every definition of a repeated id is reported)."""
    definitions = _group_definitions(doc)
    ids = [gid for gid, _ in definitions]
    for gid, path in definitions:
        if ids.count(gid) > 1:
            yield CsafFinding("6.1.5", path, f"group id {gid!r} is defined more than once")


def test_6_1_7(doc: Json) -> Iterator[CsafFinding]:
    """Multiple scores with the same CVSS version for one product in one vulnerability."""
    for v, vuln in dicts(doc.get("vulnerabilities")):
        versions_of: dict[str, set[str]] = {}
        for s, score in dicts(vuln.get("scores")):
            versions = [
                score[key]["version"]
                for key in ("cvss_v2", "cvss_v3")
                if isinstance(score.get(key), dict) and isinstance(score[key].get("version"), str)
            ]
            for p, pid in strings(score.get("products")):
                known = versions_of.setdefault(pid, set())
                if any(version in known for version in versions):
                    path = f"/vulnerabilities/{v}/scores/{s}/products/{p}"
                    message = f"product {pid!r} already has a CVSS {', '.join(sorted(known))} score"
                    yield CsafFinding("6.1.7", path, message)
                known.update(versions)


def test_6_1_24(doc: Json) -> Iterator[CsafFinding]:
    """Multiple definition in involvements: one party, one date, twice."""
    for v, vuln in dicts(doc.get("vulnerabilities")):
        seen: set[tuple[str, str]] = set()
        for i, involvement in dicts(vuln.get("involvements")):
            date, party = involvement.get("date"), involvement.get("party")
            if not (isinstance(date, str) and isinstance(party, str)):
                continue
            if (date, party) in seen:
                path = f"/vulnerabilities/{v}/involvements/{i}"
                yield CsafFinding("6.1.24", path, f"{party} is given a status twice for {date}")
            seen.add((date, party))


def products_with_paths(doc: Json) -> Iterator[tuple[Json, str]]:
    tree = _tree(doc)
    for i, product in dicts(tree.get("full_product_names")):
        yield product, f"/product_tree/full_product_names/{i}"
    for i, rel in dicts(tree.get("relationships")):
        if isinstance(rel.get("full_product_name"), dict):
            yield rel["full_product_name"], f"/product_tree/relationships/{i}/full_product_name"
    stack: list[tuple[Any, str]] = [(tree.get("branches"), "/product_tree/branches")]
    while stack:
        branches, path = stack.pop()
        for i, branch in dicts(branches):
            if isinstance(branch.get("product"), dict):
                yield branch["product"], f"{path}/{i}/product"
            stack.append((branch.get("branches"), f"{path}/{i}/branches"))


def test_6_1_25(doc: Json) -> Iterator[CsafFinding]:
    """Multiple use of the same hash algorithm in one set of file hashes."""
    for product, path in products_with_paths(doc):
        helper = product.get("product_identification_helper")
        if not isinstance(helper, dict):
            continue
        for h, hashes in dicts(helper.get("hashes")):
            seen: set[str] = set()
            for f, file_hash in dicts(hashes.get("file_hashes")):
                algorithm = file_hash.get("algorithm")
                if algorithm is None:
                    continue
                if algorithm in seen:
                    where = f"{path}/product_identification_helper/hashes/{h}/file_hashes/{f}"
                    yield CsafFinding("6.1.25", where, f"algorithm {algorithm} is used twice")
                seen.add(str(algorithm))


_RANGE_SIGNS = ("<", "<=", ">", ">=")
_RANGE_WORDS = frozenset({"after", "all", "before", "earlier", "later", "prior", "versions"})


def test_6_1_31(doc: Json) -> Iterator[CsafFinding]:
    """Version range in product version: a ``product_version`` branch whose name reads as
    a range (a comparison sign, or a word such as "before" or "all")."""
    stack: list[tuple[Any, str]] = [(_tree(doc).get("branches"), "/product_tree/branches")]
    while stack:
        branches, path = stack.pop()
        for i, branch in dicts(branches):
            name = branch.get("name")
            if branch.get("category") == "product_version" and isinstance(name, str):
                lowered = name.lower()
                words = set(re.split(r"\s", lowered))
                if any(sign in lowered for sign in _RANGE_SIGNS) or words & _RANGE_WORDS:
                    message = f"{name!r} is a version range; use product_version_range"
                    yield CsafFinding("6.1.31", f"{path}/{i}/name", message)
            stack.append((branch.get("branches"), f"{path}/{i}/branches"))


TREE_TESTS = {
    "6.1.3": test_6_1_3,
    "6.1.4": test_6_1_4,
    "6.1.5": test_6_1_5,
    "6.1.7": test_6_1_7,
    "6.1.24": test_6_1_24,
    "6.1.25": test_6_1_25,
    "6.1.31": test_6_1_31,
}
