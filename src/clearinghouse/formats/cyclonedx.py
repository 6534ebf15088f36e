"""CycloneDX 1.2-1.6 SBOMs, JSON and XML, read into an :class:`~clearinghouse.formats.
inventory.Inventory`; and the official JSON schemas, for validation.

Why by hand: ``cyclonedx-python-lib`` reads every field of every component into rich
objects; on this machine that took 1.2-1.6 s for the shared SBOMs of 900-1,100
components, too slow for a 10k-component upload. This reader takes only what an
inventory needs (type, name, version, group, purl, bom-ref, nesting, dependencies), in
one pass, and the tests check it against the library over every SBOM in
``../shared/data/sbom`` and over XML the library itself writes for 1.2-1.6.

Checks: the document says it is CycloneDX 1.2-1.6; each component is an object with a
known ``type`` and a non-empty ``name``; optional fields are strings; a purl is a package
URL (stored in canonical form); ``bom-ref`` values are unique; dependencies name known
refs. Every failure is one :class:`SbomError` naming the component and the field.
Limits (:class:`SbomLimits`): bytes, components, nesting depth, dependency edges, text
length.

Schema validation (:func:`cyclonedx_schema_violations`) uses the bundled official schemas
with a validator built once per version and no format checker (STANDARDS.md: the
``iri-reference`` check costs ~100 s per large SBOM when ``rfc3987-syntax`` is installed).
A valid document is recognised by ``jsonschema_rs`` first (milliseconds for 10,000
components, where ``jsonschema`` takes about half a second); only an invalid one is
walked by ``jsonschema`` for its messages.
"""

from __future__ import annotations

import functools
import importlib.resources
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeXml
import jsonschema_rs
import orjson
from defusedxml import DefusedXmlException
from jsonschema import validators
from jsonschema.exceptions import ValidationError, best_match, relevance
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

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
from clearinghouse.formats.schemas import SchemaViolation, ecma_validator, json_path

__all__ = [
    "SPEC_VERSIONS",
    "cyclonedx_schema_violations",
    "parse_cyclonedx_json",
    "parse_cyclonedx_xml",
    "read_cyclonedx_json",
]

SPEC_VERSIONS: Final = ("1.2", "1.3", "1.4", "1.5", "1.6")
_XML_NAMESPACE: Final = "http://cyclonedx.org/schema/bom/"
_KINDS: Final = {kind.value: kind for kind in ComponentKind}
_CYCLONEDX_KINDS: Final = frozenset(
    {"application", "framework", "library", "container", "platform", "operating-system",
     "device", "device-driver", "firmware", "file", "machine-learning-model", "data",
     "cryptographic-asset"}
)  # fmt: skip
_SCHEMA_PACKAGE: Final = "clearinghouse.formats"
_SCHEMA_FOLDER: Final = ("schemas", "cyclonedx")
_REFERENCED_SCHEMAS: Final = ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")
_SCHEMA_BASE: Final = "http://cyclonedx.org/schema/"


# --- the shared walk ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RawComponent:
    """One component's fields as the document gave them (JSON and XML alike)."""

    path: str
    kind: str | None
    name: str | None
    version: str | None
    group: str | None
    purl: str | None
    ref: str | None


@dataclass(slots=True)
class _Collector:
    """Turns raw components into checked ones, counting against the limits."""

    limits: SbomLimits
    components: list[Component] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)

    def add(self, raw: _RawComponent, parent: str | None, depth: int) -> Component:
        if depth > self.limits.max_depth:
            raise SbomError(
                f"components nested deeper than {self.limits.max_depth} levels", field=raw.path
            )
        if len(self.components) >= self.limits.max_components:
            raise SbomError(f"more than {self.limits.max_components} components", field=raw.path)
        component = self.check(raw, parent)
        self.components.append(component)
        return component

    def check(self, raw: _RawComponent, parent: str | None) -> Component:
        label = raw.ref or raw.name
        for name in ("name", "version", "group", "purl", "ref"):
            value = getattr(raw, name)
            if value is not None and len(value) > self.limits.max_text:
                raise SbomError(
                    f"longer than {self.limits.max_text} characters",
                    field=f"{raw.path}.{_FIELD_NAMES[name]}",
                    component=label if name != "ref" else None,
                )
        if raw.kind not in _CYCLONEDX_KINDS:
            raise SbomError(
                f"unknown component type {raw.kind!r}" if raw.kind else "a component needs a type",
                field=f"{raw.path}.type",
                component=label,
            )
        if not raw.name:
            raise SbomError("a component needs a name", field=f"{raw.path}.name", component=label)
        purl = None
        if raw.purl:
            try:
                purl = canonical_purl(raw.purl)
            except PurlError as exc:
                raise SbomError(exc.detail, field=f"{raw.path}.purl", component=label) from None
        ref = raw.ref or raw.path
        if ref in self.refs:
            raise SbomError(
                f"bom-ref {ref!r} is used twice", field=f"{raw.path}.bom-ref", component=raw.name
            )
        self.refs.add(ref)
        return Component(
            ref=ref,
            name=raw.name,
            kind=_KINDS[raw.kind],
            version=raw.version,
            group=raw.group,
            purl=purl,
            parent=parent,
            path=raw.path,
        )


_FIELD_NAMES: Final = {
    "name": "name",
    "version": "version",
    "group": "group",
    "purl": "purl",
    "ref": "bom-ref",
}


def _dependency_graph(
    edges: Iterable[tuple[str, str, Sequence[str]]], known: set[str], limits: SbomLimits
) -> Mapping[str, tuple[str, ...]]:
    """``(path, ref, depends_on)`` triples -> the graph, checking refs and the edge count."""
    graph: dict[str, tuple[str, ...]] = {}
    count = 0
    for path, ref, depends_on in edges:
        if ref not in known:
            raise SbomError(f"dependency of unknown bom-ref {ref!r}", field=f"{path}.ref")
        for index, target in enumerate(depends_on):
            if target not in known:
                raise SbomError(
                    f"depends on unknown bom-ref {target!r}",
                    field=f"{path}.dependsOn[{index}]",
                    component=ref,
                )
        count += len(depends_on)
        if count > limits.max_dependencies:
            raise SbomError(f"more than {limits.max_dependencies} dependency edges", field=path)
        graph[ref] = tuple(dict.fromkeys((*graph.get(ref, ()), *depends_on)))
    return MappingProxyType(graph)


# --- JSON -----------------------------------------------------------------------------------


def read_cyclonedx_json(data: bytes | str, *, limits: SbomLimits = DEFAULT_LIMITS) -> Any:
    """The parsed JSON document, size-checked (orjson refuses nesting beyond 1,024)."""
    size = len(data.encode() if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise SbomError(f"the document is {size} bytes; the limit is {limits.max_bytes}")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SbomError(f"not JSON: {exc}") from None


def parse_cyclonedx_json(
    data: bytes | str | Mapping[str, Any], *, limits: SbomLimits = DEFAULT_LIMITS
) -> Inventory:
    """Read a CycloneDX JSON SBOM (text, or already parsed)."""
    document = data if isinstance(data, Mapping) else read_cyclonedx_json(data, limits=limits)
    if not isinstance(document, Mapping):
        raise SbomError("a CycloneDX document is a JSON object")
    if document.get("bomFormat") != "CycloneDX":
        raise SbomError(
            'not a CycloneDX document (bomFormat is not "CycloneDX")', field="$.bomFormat"
        )
    spec_version = _spec_version(document.get("specVersion"), "$.specVersion")
    collector = _Collector(limits)
    metadata = document.get("metadata")
    subject = None
    if isinstance(metadata, Mapping) and isinstance(metadata.get("component"), Mapping):
        subject = collector.check(_json_raw(metadata["component"], "$.metadata.component"), None)
        collector.refs.add(subject.ref)
    _json_components(document, "$", None, 1, collector)
    edges = _json_dependencies(document.get("dependencies"))
    return Inventory(
        format=SbomFormat.CYCLONEDX_JSON,
        spec_version=spec_version,
        components=tuple(collector.components),
        name=subject.name if subject else None,
        subject=subject,
        dependencies=_dependency_graph(edges, collector.refs, limits),
    )


def _spec_version(value: object, where: str) -> str:
    if value not in SPEC_VERSIONS:
        raise SbomError(
            f"CycloneDX {value!r} is not supported; give {', '.join(SPEC_VERSIONS)}", field=where
        )
    return str(value)


def _json_components(
    owner: Mapping[str, Any], path: str, parent: str | None, depth: int, collector: _Collector
) -> None:
    items = owner.get("components")
    if items is None:
        return
    if not isinstance(items, list):
        raise SbomError("components must be an array", field=f"{path}.components")
    for index, item in enumerate(items):
        where = f"{path}.components[{index}]"
        if not isinstance(item, Mapping):
            raise SbomError("a component is an object", field=where)
        component = collector.add(_json_raw(item, where), parent, depth)
        _json_components(item, where, component.ref, depth + 1, collector)


def _json_raw(item: Mapping[str, Any], path: str) -> _RawComponent:
    label = item.get("bom-ref") or item.get("name")
    label = label if isinstance(label, str) else None

    def text(key: str) -> str | None:
        value = item.get(key)
        if value is None or isinstance(value, str):
            return value
        raise SbomError("must be a string", field=f"{path}.{key}", component=label)

    return _RawComponent(
        path=path,
        kind=text("type"),
        name=text("name"),
        version=text("version"),
        group=text("group"),
        purl=text("purl"),
        ref=text("bom-ref"),
    )


def _json_dependencies(items: object) -> list[tuple[str, str, Sequence[str]]]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise SbomError("dependencies must be an array", field="$.dependencies")
    edges: list[tuple[str, str, Sequence[str]]] = []
    for index, item in enumerate(items):
        path = f"$.dependencies[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("ref"), str):
            raise SbomError("a dependency is an object with a string ref", field=path)
        targets = item.get("dependsOn") or []
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise SbomError("dependsOn is an array of refs", field=f"{path}.dependsOn")
        edges.append((path, item["ref"], targets))
    return edges


# --- XML ------------------------------------------------------------------------------------


def parse_cyclonedx_xml(data: bytes | str, *, limits: SbomLimits = DEFAULT_LIMITS) -> Inventory:
    """Read a CycloneDX XML SBOM (1.2-1.6). DTDs, entities and external references are
    refused (defusedxml)."""
    size = len(data.encode() if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise SbomError(f"the document is {size} bytes; the limit is {limits.max_bytes}")
    try:
        root = SafeXml.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise SbomError(f"refused XML construct: {exc}") from None
    except SafeXml.ParseError as exc:
        raise SbomError(f"not well-formed XML: {exc}") from None
    namespace, _, local = root.tag.rpartition("}")
    namespace = namespace.lstrip("{")
    if local != "bom" or not namespace.startswith(_XML_NAMESPACE):
        raise SbomError("not a CycloneDX document (the root is not a CycloneDX <bom>)")
    spec_version = _spec_version(namespace[len(_XML_NAMESPACE) :], "/bom/@xmlns")
    reader = _XmlReader(f"{{{namespace}}}", collector=_Collector(limits))
    subject = reader.subject(root)
    container = root.find(reader.tag("components"))
    if container is not None:
        reader.components(container, "/bom", None, 1)
    edges = reader.dependencies(root.find(reader.tag("dependencies")))
    return Inventory(
        format=SbomFormat.CYCLONEDX_XML,
        spec_version=spec_version,
        components=tuple(reader.collector.components),
        name=subject.name if subject else None,
        subject=subject,
        dependencies=_dependency_graph(edges, reader.collector.refs, limits),
    )


@dataclass(slots=True)
class _XmlReader:
    prefix: str  # "{namespace}"
    collector: _Collector

    def tag(self, local: str) -> str:
        return self.prefix + local

    def subject(self, root: Element) -> Component | None:
        metadata = root.find(self.tag("metadata"))
        element = None if metadata is None else metadata.find(self.tag("component"))
        if element is None:
            return None
        subject = self.collector.check(self.raw(element, "/bom/metadata/component"), None)
        self.collector.refs.add(subject.ref)
        return subject

    def components(self, container: Element, path: str, parent: str | None, depth: int) -> None:
        for index, element in enumerate(container.findall(self.tag("component")), start=1):
            where = f"{path}/components/component[{index}]"
            component = self.collector.add(self.raw(element, where), parent, depth)
            nested = element.find(self.tag("components"))
            if nested is not None:
                self.components(nested, where, component.ref, depth + 1)

    def raw(self, element: Element, path: str) -> _RawComponent:
        def text(local: str) -> str | None:
            child = element.find(self.tag(local))
            return None if child is None else (child.text or "").strip()

        return _RawComponent(
            path=path,
            kind=element.get("type"),
            name=text("name"),
            version=text("version"),
            group=text("group"),
            purl=text("purl"),
            ref=element.get("bom-ref"),
        )

    def dependencies(self, container: Element | None) -> list[tuple[str, str, Sequence[str]]]:
        if container is None:
            return []
        edges: list[tuple[str, str, Sequence[str]]] = []
        for index, element in enumerate(container.findall(self.tag("dependency")), start=1):
            path = f"/bom/dependencies/dependency[{index}]"
            ref = element.get("ref")
            if not ref:
                raise SbomError("a dependency needs a ref attribute", field=path)
            targets = [child.get("ref") or "" for child in element.findall(self.tag("dependency"))]
            edges.append((path, ref, targets))
        return edges


# --- schema validation ----------------------------------------------------------------------


def _schema_text(name: str) -> bytes:
    folder = importlib.resources.files(_SCHEMA_PACKAGE).joinpath(*_SCHEMA_FOLDER)
    return folder.joinpath(name).read_bytes()


@functools.cache
def _validator(spec_version: str) -> Validator:
    registry: Registry[Any] = Registry()
    for name in _REFERENCED_SCHEMAS:
        resource = Resource.from_contents(
            orjson.loads(_schema_text(name)), default_specification=DRAFT7
        )
        registry = registry.with_resource(_SCHEMA_BASE + name, resource)
    schema = orjson.loads(_schema_text(f"bom-{spec_version}.SNAPSHOT.schema.json"))
    # patterns as ECMA-262 (and jsonschema_rs) read them: formats.schemas.ecma_pattern
    base = ecma_validator(validators.validator_for(schema))
    cls = validators.extend(base, {"uniqueItems": _unique_items})
    built: Validator = cls(schema, registry=registry)  # no format_checker: see the module notes
    return built


@functools.cache
def _fast_validator(spec_version: str) -> Any:
    """The same schemas in ``jsonschema_rs`` (compiled Rust): the yes-or-no verdict of a
    10,000-component SBOM in a few milliseconds instead of about half a second. Only a
    document it calls invalid goes through the Python validator, whose messages (and
    most-relevant-first order) the errors report; no format checks, as there."""
    registry = jsonschema_rs.Registry(
        [(_SCHEMA_BASE + name, orjson.loads(_schema_text(name))) for name in _REFERENCED_SCHEMAS]
    )
    schema = orjson.loads(_schema_text(f"bom-{spec_version}.SNAPSHOT.schema.json"))
    return jsonschema_rs.validator_for(schema, registry=registry, validate_formats=False)


def _canonical(value: Any) -> Any:
    """A hashable value equal for exactly the JSON values JSON Schema calls equal (1 and
    1.0 alike, true and 1 not, object keys in any order)."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, int | float):
        return ("number", float(value) if isinstance(value, float) or abs(value) < 2**53 else value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, Mapping):
        return ("object", frozenset((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("array", tuple(_canonical(v) for v in value))
    return ("other", repr(value))


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """``uniqueItems`` in linear time. jsonschema compares every pair of items, which for
    the ``components`` array of a 5,000-component SBOM took 100 s on this machine (for
    10,000 about four times that): an upload could buy that much CPU."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for item in instance:
        key = _canonical(item)
        if key in seen:
            yield ValidationError(f"{instance!r:.200} has non-unique elements")
            return
        seen.add(key)


def cyclonedx_schema_violations(
    document: Mapping[str, Any], *, limit: int = 20
) -> tuple[SchemaViolation, ...]:
    """Up to ``limit`` violations of the official schema for the document's specVersion
    (most relevant first); empty when valid."""
    spec_version = _spec_version(document.get("specVersion"), "$.specVersion")
    if _fast_validator(spec_version).is_valid(document):
        return ()  # the verdict agrees (tests/unit/formats/test_cyclonedx_fast_schema.py)
    errors = list(itertools.islice(_validator(spec_version).iter_errors(document), limit * 5))
    if not errors:
        return ()
    best = best_match(errors)
    rest = sorted((e for e in errors if e is not best), key=relevance)
    return tuple(
        SchemaViolation(json_path(e.absolute_path), e.message[:300], str(e.validator))
        for e in [best, *rest][:limit]
    )
