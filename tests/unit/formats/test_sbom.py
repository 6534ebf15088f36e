"""SBOM readers: checked against cyclonedx-python-lib and spdx-tools over the shared SBOMs
(and XML the library writes for CycloneDX 1.2-1.6); typed errors naming component and field."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from clearinghouse.formats.cyclonedx import (
    cyclonedx_schema_violations,
    parse_cyclonedx_json,
    parse_cyclonedx_xml,
)
from clearinghouse.formats.inventory import Inventory, SbomError, SbomLimits
from clearinghouse.formats.sbom import read_sbom
from clearinghouse.formats.spdx import parse_spdx_json, parse_spdx_tag_value

Row = tuple[str, str, str | None, str | None, str | None]


def _cyclonedx_sboms(shared_data: Path) -> Iterator[Path]:
    for path in sorted((shared_data / "sbom").rglob("*.json")):
        document = orjson.loads(path.read_bytes())
        if document.get("bomFormat") == "CycloneDX" and document.get("components"):
            yield path


def _ours(inventory: Inventory) -> tuple[set[Row], set[tuple[str, str]], dict[str, set[str]]]:
    rows = {(c.ref, c.name, c.version, c.group, c.purl) for c in inventory}
    nesting = {(c.parent, c.ref) for c in inventory if c.parent}
    graph = {ref: set(targets) for ref, targets in inventory.dependencies.items() if targets}
    return rows, nesting, graph


def _library(bom: object) -> tuple[set[Row], set[tuple[str, str]], dict[str, set[str]]]:
    rows: set[Row] = set()
    nesting: set[tuple[str, str]] = set()

    def walk(components: object, parent: str | None) -> None:
        for c in components:  # type: ignore[attr-defined]
            ref = str(c.bom_ref.value)
            purl = c.purl.to_string() if c.purl else None
            rows.add((ref, c.name, c.version, c.group, purl))
            if parent:
                nesting.add((parent, ref))
            walk(c.components, ref)

    walk(bom.components, None)  # type: ignore[attr-defined]
    graph = {
        str(d.ref.value): {str(x.ref.value) for x in d.dependencies}
        for d in bom.dependencies  # type: ignore[attr-defined]
        if d.dependencies
    }
    return rows, nesting, graph


def _without_synthetic_refs(
    found: tuple[set[Row], set[tuple[str, str]], dict[str, set[str]]],
) -> object:
    # Components without a bom-ref get a generated one (a path for us, a UUID for the
    # library): compare those by their other fields only.
    rows, nesting, graph = found
    return (
        {
            row
            if not (row[0].startswith("$") or row[0].startswith("/") or row[0].startswith("BomRef"))
            else ("", *row[1:])
            for row in rows
        },
        {pair for pair in nesting if not any(p.startswith(("$", "/", "BomRef")) for p in pair)},
        graph,
    )


def test_cyclonedx_json_agrees_with_cyclonedx_python_lib(shared_data: Path) -> None:
    from cyclonedx.model.bom import Bom

    checked = 0
    for path in _cyclonedx_sboms(shared_data):
        document = orjson.loads(path.read_bytes())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = _library(Bom.from_json(document))  # type: ignore[attr-defined]
        ours = _ours(parse_cyclonedx_json(document))
        assert _without_synthetic_refs(ours) == _without_synthetic_refs(theirs), path
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("version", ["1.2", "1.3", "1.4", "1.5", "1.6"])
def test_cyclonedx_xml_written_by_the_library_reads_like_its_json(
    shared_data: Path, version: str
) -> None:
    from cyclonedx.model.bom import Bom
    from cyclonedx.output import make_outputter
    from cyclonedx.schema import OutputFormat, SchemaVersion

    for name in (
        "dropwizard-1.3.15/bom.json",
        "laravel-7.12.0/bom.1.4.json",
        "proton-bridge/proton-bridge-v1.8.0.bom.json",
    ):
        document = orjson.loads((shared_data / "sbom/cyclonedx/SBOM" / name).read_bytes())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bom = Bom.from_json(document)  # type: ignore[attr-defined]
            xml = make_outputter(
                bom, OutputFormat.XML, SchemaVersion.from_version(version)
            ).output_as_string()
        ours = parse_cyclonedx_xml(xml)
        assert ours.spec_version == version
        assert _without_synthetic_refs(_ours(ours)) == _without_synthetic_refs(_library(bom)), name


def test_spdx_json_and_tag_value_agree_with_spdx_tools(shared_data: Path, tmp_path: Path) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.writer.write_anything import write_file

    source = shared_data / "sbom/syft/syft_spdx.json"
    document = parse_file(str(source))
    tag_value = tmp_path / "syft.spdx"
    write_file(document, str(tag_value), validate=False)
    theirs = {
        (
            p.spdx_id,
            p.name,
            p.version,
            next((r.locator for r in p.external_references if r.reference_type == "purl"), None),
        )
        for p in document.packages
    }
    for inventory in (
        parse_spdx_json(source.read_bytes()),
        parse_spdx_tag_value(tag_value.read_bytes()),
    ):
        assert inventory.subject is not None
        ours = {
            (c.ref, c.name, c.version, c.purl) for c in (*inventory.components, inventory.subject)
        }
        assert {(r, n, v) for r, n, v, _ in ours} == {(r, n, v) for r, n, v, _ in theirs}
        assert {p for *_, p in ours} == {p for *_, p in theirs}  # canonical already


def test_syft_sboms_in_both_standards_list_the_same_packages(shared_data: Path) -> None:
    cdx = read_sbom((shared_data / "sbom/syft/syft_cdx.json").read_bytes())
    spdx = read_sbom((shared_data / "sbom/syft/syft_spdx.json").read_bytes())
    assert sorted(c.purl or "" for c in cdx) == sorted(c.purl or "" for c in spdx)
    assert len(cdx) == 17


def test_the_bundled_schemas_accept_the_shared_sboms(shared_data: Path) -> None:
    for path in _cyclonedx_sboms(shared_data):
        assert cyclonedx_schema_violations(orjson.loads(path.read_bytes())) == (), path


def _bom(**component: object) -> bytes:
    base: dict[str, object] = {"type": "library", "name": "x", "bom-ref": "x-ref"}
    base.update(component)
    return orjson.dumps(
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [base]}
    )


@pytest.mark.parametrize(
    ("component", "field", "words"),
    [
        ({"purl": "not a purl"}, "$.components[0].purl", "package URL"),
        ({"type": "gizmo"}, "$.components[0].type", "unknown component type"),
        ({"name": ""}, "$.components[0].name", "needs a name"),
        ({"version": 3}, "$.components[0].version", "string"),
    ],
)
def test_a_bad_component_is_named_with_its_field(
    component: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(SbomError) as caught:
        read_sbom(_bom(**component), validate_schema=False)
    assert caught.value.field == field
    assert caught.value.component == "x-ref"
    assert words in caught.value.detail


def test_limits_and_unsafe_xml_are_refused() -> None:
    many = orjson.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
        {"type": "library", "name": f"c{i}"} for i in range(20)]})  # fmt: skip
    with pytest.raises(SbomError, match="more than 10 components"):
        read_sbom(many, limits=SbomLimits(max_components=10), validate_schema=False)
    bomb = b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaa">]><bom xmlns="http://cyclonedx.org/schema/bom/1.4">&a;</bom>'
    with pytest.raises(SbomError, match="refused"):
        read_sbom(bomb)
    nested: dict[str, object] = {"type": "library", "name": "leaf"}
    for _ in range(10):
        nested = {"type": "library", "name": "n", "components": [nested]}
    deep = orjson.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [nested]})
    with pytest.raises(SbomError, match="nested deeper"):
        read_sbom(deep, limits=SbomLimits(max_depth=5), validate_schema=False)


def test_schema_violations_are_reported_as_typed_errors() -> None:
    document = orjson.loads(_bom())
    document["components"][0]["hashes"] = [{"alg": "NOT-AN-ALG", "content": "00"}]
    with pytest.raises(SbomError, match="schema"):
        read_sbom(orjson.dumps(document))


def test_dangling_dependency_refs_are_refused() -> None:
    document = orjson.loads(_bom())
    document["dependencies"] = [{"ref": "x-ref", "dependsOn": ["missing"]}]
    with pytest.raises(SbomError) as caught:
        read_sbom(orjson.dumps(document), validate_schema=False)
    assert caught.value.field == "$.dependencies[0].dependsOn[0]"
