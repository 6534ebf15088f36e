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
from clearinghouse.policy import AdvisoryAction, can_advisory
from clearinghouse.principal import Principal

MAX_RECORDS = 50


@dataclass(frozen=True, slots=True)
class Comparison:
    identifier: str
    identifiers: tuple[str, ...]  # everything the records were matched on
    records: tuple[SourceRecord, ...]
    packages: tuple[PackageComparison, ...]


def compare(session: Session, principal: Principal, identifier: str) -> Comparison:
    identifier = identifier.strip()
    if not identifier or len(identifier) > 200:
        raise InvalidInput("give a CVE, GHSA or record id to compare", field="id")
    first = _matches(session, {identifier})
    wanted = {identifier}
    for _advisory_id, record_id in first:
        wanted.add(record_id)
        wanted.update(
            session.scalars(
                select(AdvisoryIdentifier.identifier).where(
                    AdvisoryIdentifier.record_id == record_id
                )
            )
        )
    matches = _matches(session, wanted)
    records: list[SourceRecord] = []
    advisories: dict[object, Advisory] = {}
    for advisory_id, record_id in sorted(matches, key=lambda pair: pair[1]):
        advisory = advisories.get(advisory_id) or session.get(Advisory, advisory_id)
        if advisory is None:
            continue
        advisories[advisory_id] = advisory
        if not can_advisory(principal, AdvisoryAction.READ, service.facts(session, advisory)):
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


def _matches(session: Session, identifiers: set[str]) -> set[tuple[object, str]]:
    rows = session.execute(
        select(AdvisoryIdentifier.advisory_id, AdvisoryIdentifier.record_id).where(
            AdvisoryIdentifier.identifier.in_(sorted(identifiers))
        )
    ).all()
    return {(advisory_id, record_id) for advisory_id, record_id in rows}
