"""The neutral advisory: what every rendition (OSV, CSAF, CVE 5.x, VEX) is made from.

Value types only; constructors check their invariants and raise :class:`FormatError`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from clearinghouse.errors import InvalidInput


class FormatError(InvalidInput):
    """A document does not follow its standard (or a value breaks an invariant)."""

    code = "invalid-document"
    title = "The document is not valid"


class RangeType(enum.StrEnum):
    SEMVER = "SEMVER"
    ECOSYSTEM = "ECOSYSTEM"
    GIT = "GIT"


class EventKind(enum.StrEnum):
    INTRODUCED = "introduced"
    FIXED = "fixed"
    LAST_AFFECTED = "last_affected"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True)
class RangeEvent:
    kind: EventKind
    value: str

    def __post_init__(self) -> None:
        if not self.value:
            raise FormatError(f"range event {self.kind.value!r} needs a value")


@dataclass(frozen=True, slots=True)
class VersionRange:
    """An OSV-style range: a list of events, evaluated per the OSV specification."""

    type: RangeType
    events: tuple[RangeEvent, ...]
    repo: str | None = None

    def __post_init__(self) -> None:
        kinds = {e.kind for e in self.events}
        if EventKind.INTRODUCED not in kinds:
            raise FormatError("a range needs at least one 'introduced' event")
        if EventKind.FIXED in kinds and EventKind.LAST_AFFECTED in kinds:
            raise FormatError("a range may not hold both 'fixed' and 'last_affected'")
        if self.type is RangeType.GIT and not self.repo:
            raise FormatError("a GIT range needs 'repo'")


@dataclass(frozen=True, slots=True)
class Package:
    ecosystem: str  # OSV ecosystem name: "Maven", "PyPI", "crates.io", "npm", ...
    name: str  # Maven: "groupId:artifactId"
    purl: str | None = None

    def __post_init__(self) -> None:
        if not self.ecosystem or not self.name:
            raise FormatError("a package needs an ecosystem and a name")


@dataclass(frozen=True, slots=True)
class Affected:
    package: Package
    ranges: tuple[VersionRange, ...] = ()
    versions: tuple[str, ...] = ()


class ProductStatus(enum.StrEnum):
    """A vendor's statement about one product and one vulnerability (maps to VEX)."""

    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


class Justification(enum.StrEnum):
    """VEX 'not affected' justifications (CSAF 2.0 flag labels)."""

    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = (
        "vulnerable_code_cannot_be_controlled_by_adversary"
    )
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"


@dataclass(frozen=True, slots=True)
class ProductStatement:
    """Status of one product (package, optionally at one version) for one vulnerability."""

    package: Package
    status: ProductStatus
    version: str | None = None  # None: the statement covers the package's affected ranges
    justification: Justification | None = None
    statement: str | None = None
    fixed_version: str | None = None
    vendor: str | None = None

    def __post_init__(self) -> None:
        # VEX (CSAF 2.0 test 6.1.27.9, OpenVEX) accepts either a machine-readable
        # justification or a free-text impact statement for 'not_affected'.
        if (
            self.status is ProductStatus.NOT_AFFECTED
            and self.justification is None
            and not self.statement
        ):
            raise FormatError(
                "a 'not_affected' statement needs a justification or an impact statement"
            )
        if self.status is not ProductStatus.NOT_AFFECTED and self.justification is not None:
            raise FormatError("only a 'not_affected' statement carries a justification")


class Tlp(enum.StrEnum):
    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"


@dataclass(frozen=True, slots=True)
class Severity:
    """A CVSS vector with its computed score; ``type`` is OSV's (CVSS_V3, CVSS_V4...)."""

    type: str
    vector: str
    base_score: float | None = None
    base_severity: str | None = None  # NONE/LOW/MEDIUM/HIGH/CRITICAL


class ReferenceKind(enum.StrEnum):
    ADVISORY = "ADVISORY"
    ARTICLE = "ARTICLE"
    DETECTION = "DETECTION"
    DISCUSSION = "DISCUSSION"
    REPORT = "REPORT"
    FIX = "FIX"
    INTRODUCED = "INTRODUCED"
    PACKAGE = "PACKAGE"
    EVIDENCE = "EVIDENCE"
    WEB = "WEB"


@dataclass(frozen=True, slots=True)
class Reference:
    url: str
    kind: ReferenceKind = ReferenceKind.WEB
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class Credit:
    name: str
    kind: str = "FINDER"  # OSV credit types: FINDER, REPORTER, ANALYST, REMEDIATION_DEVELOPER...
    contact: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Remediation:
    category: str  # CSAF: vendor_fix, mitigation, workaround, none_available, no_fix_planned
    details: str
    url: str | None = None
    fixed_versions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Vulnerability:
    id: str  # the platform's (or the source's) id: CH-..., GHSA-..., PYSEC-..., RUSTSEC-...
    summary: str = ""
    details: str = ""
    aliases: tuple[str, ...] = ()  # CVE-..., GHSA-...
    cve: str | None = None
    cwes: tuple[str, ...] = ()  # "CWE-502"
    severity: tuple[Severity, ...] = ()
    affected: tuple[Affected, ...] = ()
    statements: tuple[ProductStatement, ...] = ()
    references: tuple[Reference, ...] = ()
    credits: tuple[Credit, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    published: datetime | None = None
    modified: datetime | None = None
    withdrawn: datetime | None = None


@dataclass(frozen=True, slots=True)
class Revision:
    number: str
    date: datetime
    summary: str


@dataclass(frozen=True, slots=True)
class Publisher:
    name: str
    namespace: str  # a URL: https://clearinghouse.example
    category: str = "coordinator"  # CSAF: coordinator, vendor, discoverer, other, user, translator
    contact: str | None = None


@dataclass(frozen=True, slots=True)
class Advisory:
    """One advisory: a document about one or more vulnerabilities."""

    id: str  # e.g. "CH-2021-0001"
    title: str
    publisher: Publisher
    tlp: Tlp
    initial_release: datetime
    current_release: datetime
    vulnerabilities: tuple[
        Vulnerability, ...
    ] = ()  # none in CSAF base, informational, incident docs
    summary: str = ""
    status: str = "final"  # CSAF tracking status: draft, interim, final
    revisions: tuple[Revision, ...] = ()
    references: tuple[Reference, ...] = ()
    lang: str = "en"
    source: str | None = None  # where an imported record came from
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.id or not self.title:
            raise FormatError("an advisory needs an id and a title")
        ids = [v.id for v in self.vulnerabilities]
        if len(set(ids)) != len(ids):
            twice = sorted({i for i in ids if ids.count(i) > 1})
            raise FormatError(f"vulnerability ids must be unique in an advisory: {twice}")
        if self.current_release < self.initial_release:
            raise FormatError("current_release precedes initial_release")
