"""Log4j 2 core found by its classes (also relocated under a shaded prefix): the version
range the classes allow, and the mitigation state they show.

Each marker is something a release added: a class, or a string in a class's constant pool.
The markers below were checked on the real upstream jars (2.14.1, 2.16.0, 2.17.1; see
``tests/unit/scan/test_log4j_classes.py``); the releases they name are those of the 2.x main
line. The 2.12.x and 2.3.x back-port lines carry some markers without the others: their
evidence disagrees with the main line, and is reported as such with LOW confidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from clearinghouse.scan.model import Confidence, Evidence, EvidenceKind, Mitigation

CORE: Final = "org/apache/logging/log4j/core/"
ANCHOR: Final = CORE + "LoggerContext.class"  # present in every log4j-core 2.x
JNDI_LOOKUP: Final = CORE + "lookup/JndiLookup.class"
JNDI_MANAGER: Final = CORE + "net/JndiManager.class"
RUNTIME_SUBSTITUTOR: Final = CORE + "lookup/RuntimeStrSubstitutor.class"
DATA_SOURCE: Final = CORE + "appender/db/jdbc/DataSourceConnectionSource.class"
FIRST_WITH_JNDI_LOOKUP: Final = "2.0-beta9"
FIRST_RELEASE: Final = "2.0-alpha1"


@dataclass(frozen=True, slots=True)
class Marker:
    since: str  # the first main-line release that has it
    member: str  # class it is about (relative to the unshaded root)
    needle: bytes | None  # a constant-pool string in that class; None: the class itself
    meaning: str


MARKERS: Final = (
    Marker(
        "2.15.0",
        JNDI_MANAGER,
        b"Invalid JNDI URI - {}",
        "JndiManager restricts hosts and protocols",
    ),
    Marker(
        "2.16.0", JNDI_MANAGER, b"log4j2.enableJndi", "JNDI disabled by default (log4j2.enableJndi)"
    ),
    Marker("2.17.0", RUNTIME_SUBSTITUTOR, None, "RuntimeStrSubstitutor: no recursive lookups"),
    Marker("2.17.1", DATA_SOURCE, b"log4j2.enableJndiJdbc", "JDBC appender's JNDI guarded"),
)
_ORDER: Final = ("2.0-alpha1", "2.0-beta9", "2.15.0", "2.16.0", "2.17.0", "2.17.1")


@dataclass(frozen=True, slots=True)
class ClassFindings:
    """What the classes of one log4j-core copy say."""

    prefix: str  # "" when not relocated
    lowest: str  # the lowest release the evidence allows (the version reported)
    below: str | None  # the evidence excludes this release and later ones (None: open)
    consistent: bool  # every marker readable, and together they fit one main-line interval
    evidence: tuple[Evidence, ...]
    mitigations: tuple[Mitigation, ...]

    @property
    def version_range(self) -> str:
        if self.below is not None and _rank(self.lowest) >= _rank(self.below):
            return "unknown (markers disagree with the 2.x main line: a back-port?)"
        return f">={self.lowest}" + (f", <{self.below}" if self.below else "")

    @property
    def confidence(self) -> Confidence:
        """MEDIUM when every marker class was there to read and they agree; LOW otherwise."""
        return Confidence.MEDIUM if self.consistent else Confidence.LOW


def core_prefixes(names: Iterable[str]) -> list[str]:
    """Where log4j-core's classes sit in an archive: "" and/or shaded prefixes."""
    prefixes = {name[: -len(ANCHOR)] for name in names if name.endswith(ANCHOR)}
    return sorted(prefixes)


Reader = Callable[[str], bytes | None]


def inspect(prefix: str, names: frozenset[str] | set[str], read: Reader) -> ClassFindings:
    """The version range and mitigations of the log4j-core copy under ``prefix``."""
    evidence: list[Evidence] = []
    has_lookup = prefix + JNDI_LOOKUP in names
    lowest = FIRST_WITH_JNDI_LOOKUP if has_lookup else FIRST_RELEASE
    evidence.append(
        Evidence(
            EvidenceKind.CLASSES,
            prefix + (JNDI_LOOKUP if has_lookup else ANCHOR),
            "JndiLookup present" if has_lookup else "log4j-core classes without JndiLookup",
        )
    )
    contents: dict[str, bytes | None] = {}
    present: list[str] = []
    absent: list[str] = []
    unknown = 0  # markers whose class is missing or unreadable: no say either way
    for marker in MARKERS:
        member = prefix + marker.member
        if marker.needle is None:
            data: bytes | None = b"" if member in names else None
            found = member in names
        else:
            if member in names and member not in contents:
                contents[member] = read(member)
            data = contents.get(member)
            found = data is not None and marker.needle in data
        if data is None and marker.needle is not None:
            unknown += 1
        elif found:
            present.append(marker.since)
            evidence.append(
                Evidence(EvidenceKind.CLASSES, member, f"{marker.meaning} (since {marker.since})")
            )
        else:
            absent.append(marker.since)
    lowest = max([lowest, *present], key=_rank)
    below = min(absent, key=_rank) if absent else None
    consistent = below is None or _rank(lowest) < _rank(below)
    mitigations = _mitigations(prefix, names, has_lookup, contents, read)
    return ClassFindings(
        prefix, lowest, below, consistent and unknown == 0, tuple(evidence), mitigations
    )


def _rank(release: str) -> int:
    return _ORDER.index(release)


def _mitigations(
    prefix: str,
    names: frozenset[str] | set[str],
    has_lookup: bool,
    contents: dict[str, bytes | None],
    read: Reader,
) -> tuple[Mitigation, ...]:
    found: list[Mitigation] = []
    if not has_lookup:
        found.append(Mitigation.JNDI_LOOKUP_REMOVED)
    manager = contents.get(prefix + JNDI_MANAGER)
    if manager is not None and b"log4j2.enableJndi" in manager:
        found.append(Mitigation.JNDI_DISABLED_BY_DEFAULT)
    if has_lookup:
        lookup = read(prefix + JNDI_LOOKUP)
        if lookup is not None and b"log4j2.enableJndiLookup" in lookup:
            found.append(Mitigation.JNDI_LOOKUP_GUARDED)
    return tuple(found)
