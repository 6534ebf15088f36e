"""Where sources disagree: every stored record that shares an identifier (CVE, GHSA,
the record's own id) with the one asked about, and, per affected package, the versions
they judge differently (Apache's own Log4j ranges against GitHub's, say).

Both records stay stored and served as their sources wrote them; this only shows the
differences. Only advisories the caller may read take part.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.advisories import service
from clearinghouse.advisories.diff import PackageComparison, SourceRecord, compare_sources
from clearinghouse.advisories.index import record_id as record_id_of
from clearinghouse.advisories.models import Advisory, AdvisoryIdentifier
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.policy import AdvisoryAction, can_advisory, require_advisory
from clearinghouse.principal import Principal

MAX_RECORDS = 50


@dataclass(frozen=True, slots=True)
class Comparison:
    identifier: str
    identifiers: tuple[str, ...]  # everything the records were matched on
    records: tuple[SourceRecord, ...]
    packages: tuple[PackageComparison, ...]


def compare(session: Session, principal: Principal, identifier: str) -> Comparison:
    """Every record the caller may read that names ``identifier`` or one of its aliases.

    Aliases are followed only through advisories the caller may read, so no identifier of
    an advisory it may not read (a draft, an embargoed case's, TLP:AMBER) is revealed."""
    identifier = identifier.strip()
    if not identifier or len(identifier) > 200:
        raise InvalidInput("give a CVE, GHSA or record id to compare", field="id")
    require_advisory(principal, AdvisoryAction.READ)
    readable = _ReadableAdvisories(session, principal)
    wanted = {identifier}
    for advisory_id, record_id in _matches(session, {identifier}):
        if readable.get(advisory_id) is None:
            continue
        wanted.add(record_id)
        for alias_of, alias in session.execute(
            select(AdvisoryIdentifier.advisory_id, AdvisoryIdentifier.identifier).where(
                AdvisoryIdentifier.record_id == record_id
            )
        ):
            if readable.get(alias_of) is not None:
                wanted.add(alias)
    records: list[SourceRecord] = []
    for advisory_id, record_id in sorted(_matches(session, wanted), key=lambda pair: pair[1]):
        advisory = readable.get(advisory_id)
        if advisory is None:
            continue
        doc = service.document(session, advisory)
        vuln = next(
            (v for v in doc.vulnerabilities if record_id_of(v.id, advisory.source) == record_id),
            None,
        )
        if vuln is None:
            continue
        label = f"{record_id} ({advisory.source})"
        records.append(SourceRecord(label, advisory.public_id, advisory.source, vuln))
        if len(records) >= MAX_RECORDS:
            break
    if not records:
        raise NotFound(f"no advisory you may read names {identifier}")
    return Comparison(
        identifier=identifier,
        identifiers=tuple(sorted(wanted)),
        records=tuple(records),
        packages=tuple(compare_sources(records)),
    )


class _ReadableAdvisories:
    """Advisories by row id, each loaded and decided once: ``None`` when it does not
    exist or the caller may not read it."""

    def __init__(self, session: Session, principal: Principal) -> None:
        self._session = session
        self._principal = principal
        self._seen: dict[object, Advisory | None] = {}

    def get(self, advisory_id: object) -> Advisory | None:
        if advisory_id not in self._seen:
            advisory = self._session.get(Advisory, advisory_id)
            if advisory is not None and not can_advisory(
                self._principal, AdvisoryAction.READ, service.facts(self._session, advisory)
            ):
                advisory = None
            self._seen[advisory_id] = advisory
        return self._seen[advisory_id]


def _matches(session: Session, identifiers: set[str]) -> set[tuple[object, str]]:
    rows = session.execute(
        select(AdvisoryIdentifier.advisory_id, AdvisoryIdentifier.record_id).where(
            AdvisoryIdentifier.identifier.in_(sorted(identifiers))
        )
    ).all()
    return {(advisory_id, record_id) for advisory_id, record_id in rows}
