"""What the archive scanner reports: components with their evidence, and the archives it
could not read. Plain values, shared by the detector and the renderers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from packageurl import PackageURL

CHAIN_SEPARATOR = " > "


class Confidence(enum.StrEnum):
    """How sure the reported version is.

    HIGH: the artifact's own Maven metadata (pom.properties, pom.xml).
    MEDIUM: a manifest naming a well-known library, or class evidence that bounds the
    version on both sides (or from below at the newest marker).
    LOW: class evidence with a gap (a marker class missing, or markers that disagree).
    """

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class EvidenceKind(enum.StrEnum):
    POM_PROPERTIES = "pom.properties"
    POM_XML = "pom.xml"
    MANIFEST = "manifest"
    CLASSES = "classes"


class Mitigation(enum.StrEnum):
    """Log4j 2 mitigation state found in the classes themselves."""

    JNDI_LOOKUP_REMOVED = "jndi-lookup-removed"  # the 2021 advice: zip -d ... JndiLookup.class
    JNDI_DISABLED_BY_DEFAULT = "jndi-disabled-by-default"  # 2.16.0 / 2.12.2 hardening present
    JNDI_LOOKUP_GUARDED = "jndi-lookup-guarded"  # 2.17.0+: JndiLookup refuses unless enabled


class ProblemKind(enum.StrEnum):
    CORRUPT = "corrupt"  # not a readable zip (truncated, bad central directory, bad data)
    TOO_LARGE = "too-large"  # refused by a size or ratio limit (zip bomb)
    TOO_DEEP = "too-deep"  # nested deeper than the depth limit
    TOO_MANY_ENTRIES = "too-many-entries"
    HOSTILE_NAME = "hostile-name"  # absolute, "..", NUL or control characters in entry names
    UNREADABLE = "unreadable"  # permission denied, I/O error, vanished
    SYMLINK_LOOP = "symlink-loop"
    SPECIAL_FILE = "special-file"  # FIFO, device or socket named like an archive
    ENCRYPTED = "encrypted"


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: EvidenceKind
    location: str  # the member that says it, inside the archive
    detail: str  # what it says, e.g. "version=2.14.1" or "JndiManager: log4j2.enableJndi"


@dataclass(frozen=True, slots=True)
class AdvisoryMatch:
    id: str
    aliases: tuple[str, ...] = ()
    summary: str | None = None


@dataclass(slots=True)
class Component:
    """A Maven component found in an archive (possibly nested, possibly shaded)."""

    group: str
    artifact: str
    version: str | None  # exact, or the lowest release the class evidence allows
    chain: tuple[str, ...]  # top-level file, then each nested member
    confidence: Confidence
    evidence: tuple[Evidence, ...]
    version_exact: bool = True
    version_range: str | None = None  # class evidence: e.g. ">=2.16.0, <2.17.0"
    shaded_prefix: str | None = None  # "com/acme/shaded/" when the classes were relocated
    mitigations: tuple[Mitigation, ...] = ()
    advisories: tuple[AdvisoryMatch, ...] = field(default=())

    @property
    def name(self) -> str:
        """OSV's Maven package name, ``groupId:artifactId``."""
        return f"{self.group}:{self.artifact}"

    @property
    def purl(self) -> str:
        return PackageURL(
            type="maven", namespace=self.group, name=self.artifact, version=self.version
        ).to_string()

    @property
    def location(self) -> str:
        return CHAIN_SEPARATOR.join(self.chain)

    @property
    def vulnerable(self) -> bool:
        return bool(self.advisories)


@dataclass(frozen=True, slots=True)
class ArchiveProblem:
    chain: tuple[str, ...]
    kind: ProblemKind
    reason: str

    @property
    def location(self) -> str:
        return CHAIN_SEPARATOR.join(self.chain)


@dataclass(slots=True)
class JarScan:
    """The whole result of one ``scan jars`` run."""

    components: list[Component] = field(default_factory=list)
    problems: list[ArchiveProblem] = field(default_factory=list)
    archives: int = 0  # archives opened, nested ones included
    files: int = 0  # regular files looked at on disk

    @property
    def vulnerable(self) -> list[Component]:
        return [c for c in self.components if c.vulnerable]
