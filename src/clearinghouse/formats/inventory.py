"""The inventory an SBOM describes, whatever its standard: typed, pure values.

:mod:`clearinghouse.formats.cyclonedx` and :mod:`clearinghouse.formats.spdx` read their
documents into these types; matching (``exposure/``) reads only these. A component keeps
where it sits (its ``parent``: nesting in CycloneDX, ``CONTAINS`` in SPDX) and the
inventory keeps the dependency graph (``dependencies``: ref -> refs it depends on).
Package URLs are in the purl specification's canonical form.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from clearinghouse.formats.model import FormatError

__all__ = [
    "Component",
    "ComponentKind",
    "Inventory",
    "SbomError",
    "SbomFormat",
    "SbomLimits",
]


class SbomFormat(enum.StrEnum):
    CYCLONEDX_JSON = "cyclonedx-json"
    CYCLONEDX_XML = "cyclonedx-xml"
    SPDX_JSON = "spdx-json"
    SPDX_TAG_VALUE = "spdx-tag-value"


class ComponentKind(enum.StrEnum):
    """What a component is: CycloneDX component types and SPDX package purposes."""

    APPLICATION = "application"
    FRAMEWORK = "framework"
    LIBRARY = "library"
    CONTAINER = "container"
    PLATFORM = "platform"
    OPERATING_SYSTEM = "operating-system"
    DEVICE = "device"
    DEVICE_DRIVER = "device-driver"
    FIRMWARE = "firmware"
    FILE = "file"
    MACHINE_LEARNING_MODEL = "machine-learning-model"
    DATA = "data"
    CRYPTOGRAPHIC_ASSET = "cryptographic-asset"
    SOURCE = "source"
    ARCHIVE = "archive"
    INSTALL = "install"
    OTHER = "other"
    UNSPECIFIED = "unspecified"  # SPDX packages without a primaryPackagePurpose


class SbomError(FormatError):
    """An SBOM is malformed. ``component`` (the offending component's ref or name, when
    there is one) and ``field`` (a path in the document) are in ``extensions`` too."""

    code = "invalid-sbom"
    title = "The SBOM is not valid"

    def __init__(
        self, detail: str, *, field: str = "$", component: str | None = None, **extensions: Any
    ) -> None:
        where = f"component {component!r}, " if component else ""
        super().__init__(
            f"{where}{field}: {detail}", field=field, component=component, **extensions
        )
        self.field = field
        self.component = component


@dataclass(frozen=True, slots=True)
class SbomLimits:
    """Bounds for uploaded SBOMs (defaults: well above real ones; the largest shared SBOM
    has 1,115 components)."""

    max_bytes: int = 64 * 1024 * 1024
    max_components: int = 100_000
    max_depth: int = 64  # nesting of components (and of JSON/XML elements, x4)
    max_dependencies: int = 1_000_000  # edges of the dependency graph
    max_text: int = 4_096  # one name, version, ref or purl

    @property
    def max_document_depth(self) -> int:
        return self.max_depth * 4 + 16


DEFAULT_LIMITS: Final = SbomLimits()


@dataclass(frozen=True, slots=True)
class Component:
    """One package or other part of the inventory."""

    ref: str  # unique in the inventory: bom-ref / SPDXID, or a path when the document has none
    name: str
    kind: ComponentKind
    version: str | None = None
    group: str | None = None  # CycloneDX group (Maven groupId...)
    purl: str | None = None  # canonical package URL
    parent: str | None = None  # ref of the enclosing component
    path: str = "$"  # where it is in the document


def _no_dependencies() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Inventory:
    """What one SBOM says a product or system is made of."""

    format: SbomFormat
    spec_version: str  # "1.4", "SPDX-2.3"
    components: tuple[Component, ...]
    name: str | None = None  # the described product (CycloneDX metadata.component, SPDX name)
    subject: Component | None = None  # the described product as a component, when given
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=_no_dependencies)

    def __iter__(self) -> Iterator[Component]:
        return iter(self.components)

    def __len__(self) -> int:
        return len(self.components)

    def by_ref(self) -> dict[str, Component]:
        return {component.ref: component for component in self.components}

    def with_purl(self) -> Iterator[Component]:
        """The components that carry a package URL (the ones matching can use)."""
        return (component for component in self.components if component.purl)
