"""Which Maven components one opened archive holds, and on what evidence.

In order of trust: ``META-INF/maven/<group>/<artifact>/pom.properties`` (and ``pom.xml``
where the properties are missing), then the manifest of a well-known library, then the
classes themselves (log4j-core, also relocated under a shaded prefix). A fat or shaded jar
yields one component per embedded pom. Class evidence attaches to the pom-identified
log4j-core when its classes are not relocated; relocated copies are components of their
own, versioned by :mod:`clearinghouse.scan.log4j`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

from clearinghouse.scan import log4j
from clearinghouse.scan.archives import OpenArchive
from clearinghouse.scan.model import Component, Confidence, Evidence, EvidenceKind

MAVEN_DIR: Final = "META-INF/maven/"
MANIFEST: Final = "META-INF/MANIFEST.MF"
LOG4J_GROUP: Final = "org.apache.logging.log4j"
LOG4J_CORE: Final = "log4j-core"
_PLACEHOLDER = re.compile(r"\$\{")
_COORDINATE = re.compile(r"[A-Za-z0-9_.\-]{1,200}\Z")  # \Z: $ passes a final newline
_VERSION = re.compile(r"[A-Za-z0-9_.\-+]{1,100}\Z")


@dataclass(frozen=True, slots=True)
class KnownLibrary:
    group: str
    artifact: str


# Manifest names of well-known libraries that are often repackaged without their pom
# (Bundle-SymbolicName, else Implementation-Title).
KNOWN_BY_MANIFEST: Final = {
    "org.apache.logging.log4j.core": KnownLibrary(LOG4J_GROUP, LOG4J_CORE),
    "apache log4j core": KnownLibrary(LOG4J_GROUP, LOG4J_CORE),
    "org.apache.logging.log4j.api": KnownLibrary(LOG4J_GROUP, "log4j-api"),
    "apache log4j api": KnownLibrary(LOG4J_GROUP, "log4j-api"),
    "log4j": KnownLibrary("log4j", "log4j"),
    "com.fasterxml.jackson.core.jackson-databind": KnownLibrary(
        "com.fasterxml.jackson.core", "jackson-databind"
    ),
    "org.apache.commons.commons-text": KnownLibrary("org.apache.commons", "commons-text"),
    "spring-beans": KnownLibrary("org.springframework", "spring-beans"),
    "org.springframework.beans": KnownLibrary("org.springframework", "spring-beans"),
}


def identify(archive: OpenArchive) -> list[Component]:
    """Every component the archive's metadata and classes show."""
    components = list(_from_maven_metadata(archive))
    if not components:
        manifest_component = _from_manifest(archive)
        if manifest_component is not None:
            components.append(manifest_component)
    _add_log4j_class_evidence(archive, components)
    return components


# --- Maven metadata ------------------------------------------------------------------------


def _from_maven_metadata(archive: OpenArchive) -> Iterator[Component]:
    properties: dict[str, str] = {}
    poms: dict[str, str] = {}
    for name in archive.names:
        if not name.startswith(MAVEN_DIR):
            continue
        directory, _, leaf = name.rpartition("/")
        if leaf == "pom.properties":
            properties[directory] = name
        elif leaf == "pom.xml":
            poms[directory] = name
    for directory in sorted(properties.keys() | poms.keys()):
        found = None
        if directory in properties:
            found = _pom_properties(archive, properties[directory])
        if found is None and directory in poms:
            found = _pom_xml(archive, poms[directory])
        if found is not None:
            yield found


def _component(
    archive: OpenArchive, group: str, artifact: str, version: str | None, evidence: Evidence
) -> Component | None:
    if not (_COORDINATE.match(group) and _COORDINATE.match(artifact)):
        return None
    if version is not None and not _VERSION.match(version):
        version = None
    return Component(
        group=group,
        artifact=artifact,
        version=version,
        chain=archive.chain,
        confidence=Confidence.HIGH if version else Confidence.LOW,
        evidence=(evidence,),
    )


def _pom_properties(archive: OpenArchive, member: str) -> Component | None:
    data = archive.read(member)
    if data is None:
        return None
    values: dict[str, str] = {}
    for raw in data.decode("latin-1").splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    group, artifact = values.get("groupId"), values.get("artifactId")
    if not group or not artifact:
        return None
    version = values.get("version") or None
    detail = f"{group}:{artifact} version={version}"
    return _component(
        archive, group, artifact, version, Evidence(EvidenceKind.POM_PROPERTIES, member, detail)
    )


def _pom_xml(archive: OpenArchive, member: str) -> Component | None:
    data = archive.read(member)
    if data is None:
        return None
    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True)
    except (SafeElementTree.ParseError, DefusedXmlException, ValueError):
        return None
    group = _child_text(root, "groupId") or _child_text(root, "parent", "groupId")
    artifact = _child_text(root, "artifactId")
    version = _child_text(root, "version") or _child_text(root, "parent", "version")
    if not group or not artifact:
        return None
    if version and _PLACEHOLDER.search(version):
        version = None  # a property we would have to resolve from a parent we do not have
    detail = f"{group}:{artifact} version={version}"
    return _component(
        archive, group, artifact, version, Evidence(EvidenceKind.POM_XML, member, detail)
    )


def _child_text(root: Element, *path: str) -> str | None:
    node: Element | None = root
    for tag in path:
        if node is None:
            return None
        node = next((child for child in node if _local(child.tag) == tag), None)
    if node is None or node.text is None:
        return None
    return node.text.strip() or None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# --- manifests -----------------------------------------------------------------------------


def parse_manifest(data: bytes) -> dict[str, str]:
    """Main attributes of a JAR manifest (continuation lines joined; the first section only)."""
    attributes: dict[str, str] = {}
    last: str | None = None
    for raw in data.decode("utf-8", "replace").splitlines():
        if not raw:
            break  # end of the main section
        if raw.startswith(" ") and last is not None:
            attributes[last] += raw[1:]
            continue
        key, sep, value = raw.partition(":")
        if sep:
            last = key.strip()
            attributes[last] = value.strip()
    return attributes


def _from_manifest(archive: OpenArchive) -> Component | None:
    data = archive.read(MANIFEST)
    if data is None:
        return None
    attributes = parse_manifest(data)
    symbolic = attributes.get("Bundle-SymbolicName", "").split(";")[0].strip().lower()
    title = attributes.get("Implementation-Title", "").strip().lower()
    known = KNOWN_BY_MANIFEST.get(symbolic) or KNOWN_BY_MANIFEST.get(title)
    version = attributes.get("Implementation-Version") or attributes.get("Bundle-Version")
    if known is None or not version:
        return None
    detail = f"{symbolic or title}: version={version}"
    found = _component(
        archive,
        known.group,
        known.artifact,
        version,
        Evidence(EvidenceKind.MANIFEST, MANIFEST, detail),
    )
    if found is not None:
        found.confidence = Confidence.MEDIUM
    return found


# --- log4j-core classes ----------------------------------------------------------------------


def _add_log4j_class_evidence(archive: OpenArchive, components: list[Component]) -> None:
    prefixes = log4j.core_prefixes(archive.names)
    if not prefixes:
        return
    names = set(archive.names)
    declared = next(
        (c for c in components if c.group == LOG4J_GROUP and c.artifact == LOG4J_CORE), None
    )
    for prefix in prefixes:
        findings = log4j.inspect(prefix, names, archive.read)
        if declared is not None and (prefix == "" or len(prefixes) == 1):
            # the pom describes these classes (relocated ones too, when they are the only copy)
            declared.evidence += findings.evidence
            declared.mitigations = findings.mitigations
            declared.shaded_prefix = prefix or None
            continue
        components.append(
            Component(
                group=LOG4J_GROUP,
                artifact=LOG4J_CORE,
                version=findings.lowest,
                chain=archive.chain,
                confidence=findings.confidence,
                evidence=findings.evidence,
                version_exact=False,
                version_range=findings.version_range,
                shaded_prefix=prefix or None,
                mitigations=findings.mitigations,
            )
        )
