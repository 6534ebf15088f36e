"""SPDX 2.3 (and 2.2) SBOMs, JSON and tag-value, read into an :class:`~clearinghouse.formats.
inventory.Inventory`.

Why by hand: ``spdx-tools`` reads a 1,000-package tag-value document in about a minute on
this machine (its parser slows down with the document), and its JSON reader in 0.3 s; this
reader takes only what an inventory needs in one pass and is checked against
``spdx-tools`` over the shared syft SBOM, in both serialisations, in the tests.

Mapping: each package is a component (``SPDXID`` its ref, ``versionInfo`` its version,
the ``purl`` external reference its package URL, ``primaryPackagePurpose`` its kind); the
package the document ``DESCRIBES`` is the inventory's subject rather than a component
(as CycloneDX's ``metadata.component``); ``A CONTAINS B`` (or ``B CONTAINED_BY A``) makes
A the parent of B; ``A DEPENDS_ON B`` and ``B *DEPENDENCY_OF A`` are dependency edges.
Relationships with files, snippets or other documents are not part of the inventory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

import orjson

from clearinghouse.formats.inventory import (
    DEFAULT_LIMITS,
    Component,
    ComponentKind,
    Inventory,
    SbomError,
    SbomFormat,
    SbomLimits,
)
from clearinghouse.formats.purl import PurlError, canonical_purl

__all__ = ["SPDX_VERSIONS", "parse_spdx_json", "parse_spdx_tag_value"]

SPDX_VERSIONS: Final = ("SPDX-2.2", "SPDX-2.3")
_PURPOSES: Final = {
    "APPLICATION": ComponentKind.APPLICATION,
    "FRAMEWORK": ComponentKind.FRAMEWORK,
    "LIBRARY": ComponentKind.LIBRARY,
    "CONTAINER": ComponentKind.CONTAINER,
    "OPERATING-SYSTEM": ComponentKind.OPERATING_SYSTEM,
    "DEVICE": ComponentKind.DEVICE,
    "FIRMWARE": ComponentKind.FIRMWARE,
    "SOURCE": ComponentKind.SOURCE,
    "ARCHIVE": ComponentKind.ARCHIVE,
    "FILE": ComponentKind.FILE,
    "INSTALL": ComponentKind.INSTALL,
    "OTHER": ComponentKind.OTHER,
}
_PACKAGE_MANAGER: Final = frozenset({"PACKAGE-MANAGER", "PACKAGE_MANAGER"})
_CONTAINS: Final = "CONTAINS"
_CONTAINED_BY: Final = "CONTAINED_BY"
_DEPENDS_ON: Final = "DEPENDS_ON"
_DESCRIBES: Final = "DESCRIBES"
_DESCRIBED_BY: Final = "DESCRIBED_BY"
_DEPENDENCY_OF: Final = re.compile(r"(?:[A-Z]+_)?DEPENDENCY_OF\Z")
_TAG_LINE: Final = re.compile(r"([A-Za-z][A-Za-z0-9]*):\s?(.*)\Z")
_TEXT_OPEN: Final = "<text>"
_TEXT_CLOSE: Final = "</text>"


@dataclass(slots=True)
class _Package:
    """One package's fields as read, before the relationships are applied."""

    path: str
    spdx_id: str | None = None
    name: str | None = None
    version: str | None = None
    purl: str | None = None
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class _Relationship:
    path: str
    source: str
    kind: str
    target: str


@dataclass(slots=True)
class _Document:
    """What both serialisations produce, turned into an inventory by :func:`_inventory`."""

    format: SbomFormat
    spec_version: str = ""
    name: str | None = None
    packages: list[_Package] = field(default_factory=list)
    relationships: list[_Relationship] = field(default_factory=list)
    described: list[str] = field(default_factory=list)


# --- JSON -----------------------------------------------------------------------------------


def parse_spdx_json(
    data: bytes | str | Mapping[str, Any], *, limits: SbomLimits = DEFAULT_LIMITS
) -> Inventory:
    """Read an SPDX 2.2/2.3 JSON document (text, or already parsed)."""
    document = data if isinstance(data, Mapping) else _load_json(data, limits)
    if not isinstance(document, Mapping):
        raise SbomError("an SPDX document is a JSON object")
    read = _Document(SbomFormat.SPDX_JSON)
    read.spec_version = _spdx_version(document.get("spdxVersion"), "$.spdxVersion")
    name = document.get("name")
    read.name = name if isinstance(name, str) else None
    for index, item in enumerate(_array(document, "packages", "$")):
        read.packages.append(_json_package(item, f"$.packages[{index}]", limits))
    for index, item in enumerate(_array(document, "relationships", "$")):
        read.relationships.append(_json_relationship(item, f"$.relationships[{index}]"))
    described = _array(document, "documentDescribes", "$")
    read.described.extend(str(ref) for ref in described if isinstance(ref, str))
    return _inventory(read, limits)


def _load_json(data: bytes | str, limits: SbomLimits) -> Any:
    size = len(data.encode() if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise SbomError(f"the document is {size} bytes; the limit is {limits.max_bytes}")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SbomError(f"not JSON: {exc}") from None


def _spdx_version(value: object, where: str) -> str:
    if value not in SPDX_VERSIONS:
        raise SbomError(
            f"{value!r} is not supported; give {' or '.join(SPDX_VERSIONS)}", field=where
        )
    return str(value)


def _array(owner: Mapping[str, Any], key: str, path: str) -> list[Any]:
    value = owner.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SbomError("must be an array", field=f"{path}.{key}")
    return value


def _json_package(item: object, path: str, limits: SbomLimits) -> _Package:
    if not isinstance(item, Mapping):
        raise SbomError("a package is an object", field=path)
    label = item.get("SPDXID") if isinstance(item.get("SPDXID"), str) else item.get("name")
    label = label if isinstance(label, str) else None

    def text(key: str) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise SbomError("must be a string", field=f"{path}.{key}", component=label)
        if len(value) > limits.max_text:
            raise SbomError(
                f"longer than {limits.max_text} characters", field=f"{path}.{key}", component=label
            )
        return value

    package = _Package(
        path=path,
        spdx_id=text("SPDXID"),
        name=text("name"),
        version=text("versionInfo"),
        purpose=text("primaryPackagePurpose"),
    )
    for index, ref in enumerate(_array(item, "externalRefs", path)):
        where = f"{path}.externalRefs[{index}]"
        if not isinstance(ref, Mapping):
            raise SbomError("an external reference is an object", field=where, component=label)
        if ref.get("referenceType") == "purl" and ref.get("referenceCategory") in _PACKAGE_MANAGER:
            locator = ref.get("referenceLocator")
            if not isinstance(locator, str):
                raise SbomError(
                    "must be a string", field=f"{where}.referenceLocator", component=label
                )
            package.purl = package.purl or locator
    return package


def _json_relationship(item: object, path: str) -> _Relationship:
    if not isinstance(item, Mapping):
        raise SbomError("a relationship is an object", field=path)
    values = [item.get(key) for key in ("spdxElementId", "relationshipType", "relatedSpdxElement")]
    if not all(isinstance(value, str) for value in values):
        raise SbomError(
            "a relationship needs spdxElementId, relationshipType and relatedSpdxElement",
            field=path,
        )
    source, kind, target = (str(value) for value in values)
    return _Relationship(path, source, kind, target)


# --- tag-value ------------------------------------------------------------------------------


def parse_spdx_tag_value(data: bytes | str, *, limits: SbomLimits = DEFAULT_LIMITS) -> Inventory:
    """Read an SPDX 2.2/2.3 tag-value document."""
    size = len(data.encode() if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise SbomError(f"the document is {size} bytes; the limit is {limits.max_bytes}")
    text = data.decode("utf-8", errors="strict") if isinstance(data, bytes) else data
    read = _Document(SbomFormat.SPDX_TAG_VALUE)
    package: _Package | None = None
    in_package = False  # False once a file, snippet or licence section starts
    for line_number, tag, value in _tag_values(text, limits):
        where = f"line {line_number}: {tag}"
        match tag:
            case "SPDXVersion":
                read.spec_version = _spdx_version(value, where)
            case "DocumentName":
                read.name = value
            case "PackageName":
                package = _Package(path=f"line {line_number}", name=value)
                read.packages.append(package)
                in_package = True
            case "FileName" | "SnippetSPDXID" | "LicenseID":
                in_package = False
            case "SPDXID" if in_package and package is not None:
                package.spdx_id = value
            case "PackageVersion" if in_package and package is not None:
                package.version = value
            case "PrimaryPackagePurpose" if in_package and package is not None:
                package.purpose = value
            case "ExternalRef" if in_package and package is not None:
                _tag_external_ref(package, value, where)
            case "Relationship":
                read.relationships.append(_tag_relationship(value, where))
    if not read.spec_version:
        raise SbomError("no SPDXVersion line: not an SPDX tag-value document")
    return _inventory(read, limits)


def _tag_values(text: str, limits: SbomLimits) -> Iterator[tuple[int, str, str]]:
    """(line number, tag, value) for each tag; ``<text>`` values may span lines."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if not line or line.startswith("#"):
            continue
        match = _TAG_LINE.match(line)
        if match is None:
            raise SbomError(f"not a 'Tag: value' line: {line[:80]!r}", field=f"line {index}")
        tag, value = match.group(1), match.group(2).strip()
        start = index
        if value.startswith(_TEXT_OPEN) and _TEXT_CLOSE not in value:
            parts = [value[len(_TEXT_OPEN) :]]
            while index < len(lines) and _TEXT_CLOSE not in lines[index]:
                parts.append(lines[index])
                index += 1
            if index >= len(lines):
                raise SbomError("<text> is never closed", field=f"line {start}: {tag}")
            parts.append(lines[index].split(_TEXT_CLOSE, 1)[0])
            index += 1
            value = "\n".join(parts)
        elif value.startswith(_TEXT_OPEN):
            value = value[len(_TEXT_OPEN) :].split(_TEXT_CLOSE, 1)[0]
        if len(value) > limits.max_text and tag not in _LONG_TEXT_TAGS:
            raise SbomError(
                f"longer than {limits.max_text} characters", field=f"line {start}: {tag}"
            )
        yield start, tag, value


# Free-text tags may be long (licence texts, comments); they are read but not kept.
_LONG_TEXT_TAGS: Final = frozenset(
    {"ExtractedText", "PackageComment", "FileComment", "LicenseComment", "DocumentComment",
     "PackageDescription", "PackageSummary", "PackageCopyrightText", "FileCopyrightText",
     "SnippetCopyrightText", "FileNotice", "CreatorComment", "RelationshipComment",
     "PackageSourceInfo", "PackageLicenseComments", "FileLicenseComments", "LicenseCrossReference"}
)  # fmt: skip


def _tag_external_ref(package: _Package, value: str, where: str) -> None:
    parts = value.split()
    if len(parts) < 3:
        raise SbomError("ExternalRef needs a category, a type and a locator", field=where)
    category, kind, locator = parts[0], parts[1], parts[2]
    if kind == "purl" and category in _PACKAGE_MANAGER:
        package.purl = package.purl or locator


def _tag_relationship(value: str, where: str) -> _Relationship:
    parts = value.split()
    if len(parts) != 3:
        raise SbomError("Relationship needs 'SPDXID TYPE SPDXID'", field=where)
    return _Relationship(where, parts[0], parts[1], parts[2])


# --- both: the inventory --------------------------------------------------------------------


def _inventory(read: _Document, limits: SbomLimits) -> Inventory:
    """Check the packages and apply the relationships."""
    if len(read.packages) > limits.max_components:
        raise SbomError(f"more than {limits.max_components} packages", field="packages")
    packages: dict[str, _Package] = {}
    for package in read.packages:
        label = package.spdx_id or package.name
        if not package.spdx_id:
            raise SbomError(
                "a package needs an SPDXID", field=f"{package.path}.SPDXID", component=label
            )
        if not package.name:
            raise SbomError("a package needs a name", field=f"{package.path}.name", component=label)
        if package.spdx_id in packages:
            raise SbomError(
                f"SPDXID {package.spdx_id!r} is used twice", field=f"{package.path}.SPDXID"
            )
        packages[package.spdx_id] = package
    described = set(read.described)
    parents: dict[str, str] = {}
    graph: dict[str, list[str]] = {}
    edges = 0
    for relation in read.relationships:
        source, kind, target = relation.source, relation.kind, relation.target
        if kind == _DESCRIBES:
            described.add(target)
        elif kind == _DESCRIBED_BY:
            described.add(source)
        if source not in packages or target not in packages:
            continue
        if kind == _CONTAINS:
            parents.setdefault(target, source)
        elif kind == _CONTAINED_BY:
            parents.setdefault(source, target)
        elif kind == _DEPENDS_ON:
            graph.setdefault(source, []).append(target)
            edges += 1
        elif _DEPENDENCY_OF.match(kind):
            graph.setdefault(target, []).append(source)
            edges += 1
        if edges > limits.max_dependencies:
            raise SbomError(
                f"more than {limits.max_dependencies} dependency edges", field=relation.path
            )
    subjects = [ref for ref in packages if ref in described]
    subject_ref = subjects[0] if len(subjects) == 1 else None
    components = tuple(
        _component(package, parents.get(ref) if parents.get(ref) != subject_ref else None)
        for ref, package in packages.items()
        if ref != subject_ref
    )
    return Inventory(
        format=read.format,
        spec_version=read.spec_version,
        components=components,
        name=read.name,
        subject=None if subject_ref is None else _component(packages[subject_ref], None),
        dependencies=MappingProxyType(
            {ref: tuple(dict.fromkeys(targets)) for ref, targets in graph.items()}
        ),
    )


def _component(package: _Package, parent: str | None) -> Component:
    if package.spdx_id is None or package.name is None:  # pragma: no cover - _inventory checked
        raise SbomError("a package needs an SPDXID and a name", field=package.path)
    purl = None
    if package.purl:
        try:
            purl = canonical_purl(package.purl)
        except PurlError as exc:
            raise SbomError(
                exc.detail, field=f"{package.path}.externalRefs", component=package.spdx_id
            ) from None
    kind = ComponentKind.UNSPECIFIED
    if package.purpose is not None:
        found = _PURPOSES.get(package.purpose)
        if found is None:
            raise SbomError(
                f"unknown primaryPackagePurpose {package.purpose!r}",
                field=f"{package.path}.primaryPackagePurpose",
                component=package.spdx_id,
            )
        kind = found
    return Component(
        ref=package.spdx_id,
        name=package.name,
        kind=kind,
        version=package.version if package.version not in (None, "NOASSERTION") else None,
        purl=purl,
        parent=parent,
        path=package.path,
    )
