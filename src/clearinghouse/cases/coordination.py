"""Cases and their vulnerabilities.

A case is opened by the operator from a report that triage said to *coordinate*, or by a
member that starts coordinating something itself (it then coordinates the case). Each
case gets a public identifier ``CH-YYYY-NNNN`` from a per-year counter that is bumped
with one atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` (safe under
concurrent openings on SQLite and PostgreSQL alike).

Vulnerabilities carry what the renditions need: an optional CVE id, CWE ids, a CVSS
3.1/4.0 vector scored by :mod:`clearinghouse.formats.cvss`, and affected packages as
package URLs with OSV-style ranges (checked by :class:`clearinghouse.formats.model.VersionRange`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, cast

from packageurl import PackageURL
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.cases import embargo_service, intake, threads, triage
from clearinghouse.cases.guards import require_open
from clearinghouse.cases.ids import ordered_id
from clearinghouse.cases.models import (
    AffectedProduct,
    Case,
    CaseCounter,
    CaseStatus,
    Participant,
    Report,
    Vulnerability,
)
from clearinghouse.cases.rules import reports as report_rules
from clearinghouse.cases.rules._text import clean_text
from clearinghouse.cases.timeline import CaseEventType, record_action
from clearinghouse.db import require_fits
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.formats import cvss
from clearinghouse.formats.csaf_vocab import PURL_TYPE_TO_ECOSYSTEM
from clearinghouse.formats.model import EventKind, RangeEvent, RangeType, VersionRange
from clearinghouse.principal import Principal
from clearinghouse.vocab import ParticipantRole

PUBLIC_ID: Final = re.compile(r"CH-(\d{4})-(\d{4,})")
CVE_ID: Final = re.compile(r"CVE-\d{4}-\d{4,}")
CWE_ID: Final = re.compile(r"CWE-[1-9]\d{0,5}")
MAX_PRODUCTS: Final = 100
MAX_RANGES: Final = 50
MAX_EVENTS: Final = 100


# ---- public ids ------------------------------------------------------------------------------


def next_public_id(session: Session, year: int) -> str:
    """``CH-YYYY-NNNN``: the next number of ``year``, issued exactly once."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(CaseCounter)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last": CaseCounter.last + 1})
        .returning(CaseCounter.last)
    )
    number = session.execute(statement).scalar_one()
    return f"CH-{year:04d}-{number:04d}"


# ---- cases -----------------------------------------------------------------------------------


def _title(value: str) -> str:
    text = clean_text(value, field="title", max_len=200, required=True, single_line=True)
    return cast(str, text)  # required: clean_text raised if there was none


def _summary(value: str | None) -> str:
    return clean_text(value, field="summary", max_len=20_000, required=False) or ""


def start_case(
    session: Session,
    *,
    actor: Principal,
    coordinator: Organisation,
    title: str,
    summary: str | None,
    now: datetime,
    report: Report | None = None,
) -> Case:
    """Open a case coordinated by ``coordinator``, optionally from a triaged report.

    From a report: triage must say *coordinate* (override it, with a reason, to open a
    case against the table), the report must be ``valid`` or ``deferred`` (it becomes
    ``accepted``), and its finder becomes the case's reporter participant.
    """
    if report is not None:
        decision = triage.current(session, report)
        if decision is None or decision.outcome != "coordinate":
            said = decision.outcome if decision else "nothing yet"
            raise Conflict(
                f"triage says {said}; a case is opened for reports triaged to coordinate "
                "(record a triage decision or an override with a reason first)",
                triage=said,
            )
        if session.scalar(select(Case.id).where(Case.report_id == report.id)) is not None:
            raise Conflict("a case was already opened from this report")
    case = Case(
        id=ordered_id(),
        public_id=next_public_id(session, now.year),
        title=_title(title),
        summary=_summary(summary),
        status=CaseStatus.OPEN,
        coordinator_org_id=coordinator.id,
        report_id=report.id if report else None,
        created_at=now,
        created_by_user_id=actor.user_id,
        created_by_label=actor.label,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    session.add(embargo_service.initial_row(case.id, now))
    session.add(
        Participant(
            case_id=case.id,
            role=ParticipantRole.COORDINATOR,
            org_id=coordinator.id,
            name=coordinator.name,
            contact_email=coordinator.contact_email,
            added_at=now,
            added_by_label=actor.label,
            notified_at=now,
            seen_at=now,
        )
    )
    reporter: Participant | None = None
    if report is not None:
        reporter_org = (
            session.get(Organisation, report.reporter_org_id) if report.reporter_org_id else None
        )
        reporter = Participant(
            case_id=case.id,
            role=ParticipantRole.REPORTER,
            org_id=reporter_org.id if reporter_org else None,
            user_id=report.reporter_user_id,
            report_id=report.id,
            name=reporter_org.name if reporter_org else (report.credit_as or "the finder"),
            contact_email=report.contact_email,
            added_at=now,
            added_by_label=actor.label,
        )
        session.add(reporter)
    session.flush()
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.CASE_OPENED,
        now=now,
        data={
            "public_id": case.public_id,
            "coordinator": coordinator.slug,
            "report_id": str(report.id) if report else None,
        },
        audit_action="case.opened",
    )
    threads.open_case_thread(session, actor=actor, case=case, title=threads.GENERAL_TITLE, now=now)
    if report is not None:
        state = report_rules.ReportState(report.status)
        if state is not report_rules.ReportState.ACCEPTED:
            intake.transition(
                session,
                actor=actor,
                report=report,
                to=report_rules.ReportState.ACCEPTED,
                reason=f"case {case.public_id} opened",
                now=now,
            )
    return case


def update_case(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    now: datetime,
    title: str | None = None,
    summary: str | None = None,
    status: CaseStatus | None = None,
) -> Case:
    changes: dict[str, Any] = {}
    if title is not None and _title(title) != case.title:
        case.title = changes["title"] = _title(title)
    if summary is not None and _summary(summary) != case.summary:
        case.summary = _summary(summary)
        changes["summary"] = "changed"
    closing = status is CaseStatus.CLOSED and case.status is not CaseStatus.CLOSED
    if status is not None and status is not case.status:
        case.status = status
        changes["status"] = status.value
        case.closed_at = now if status is CaseStatus.CLOSED else None
    if not changes:
        return case
    case.updated_at = now
    session.flush()
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.CASE_CLOSED if closing else CaseEventType.CASE_UPDATED,
        now=now,
        data=changes,
        audit_action="case.closed" if closing else "case.updated",
    )
    return case


def find_case(session: Session, ref: str) -> Case | None:
    """A case by public id (``CH-2021-0001``) or internal UUID."""
    text = ref.strip()
    if PUBLIC_ID.fullmatch(text.upper()):
        return session.scalars(select(Case).where(Case.public_id == text.upper())).first()
    try:
        return session.get(Case, uuid.UUID(text))
    except ValueError:
        return None


# ---- vulnerabilities -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductIn:
    purl: str
    ranges: list[dict[str, Any]] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VulnerabilityIn:
    title: str
    description: str | None = None
    cve_id: str | None = None
    cwes: list[str] = field(default_factory=list)
    cvss_vector: str | None = None
    products: list[ProductIn] = field(default_factory=list)


def check_cve(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip().upper()
    if not CVE_ID.fullmatch(text):
        raise InvalidInput(f"{value!r} is not a CVE id (CVE-YYYY-NNNN)", field="cve_id")
    return text


def check_cwes(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        text = value.strip().upper()
        if text.isdigit():
            text = f"CWE-{text}"
        if not CWE_ID.fullmatch(text):
            raise InvalidInput(f"{value!r} is not a CWE id (CWE-NNN)", field="cwes")
        if text not in out:
            out.append(text)
    if len(out) > 20:
        raise InvalidInput("at most 20 CWE ids", field="cwes")
    return out


def package_of(purl_text: str) -> tuple[str, str | None, str]:
    """(canonical purl, OSV ecosystem or None, package name in that ecosystem's spelling)."""
    try:
        purl = PackageURL.from_string(purl_text.strip())
    except ValueError as exc:
        raise InvalidInput(
            f"{purl_text[:100]!r} is not a package URL: {exc}", field="purl"
        ) from exc
    ecosystem = PURL_TYPE_TO_ECOSYSTEM.get(purl.type)
    name = str(purl.name)
    if purl.namespace:
        name = f"{purl.namespace}{':' if ecosystem == 'Maven' else '/'}{name}"
    canonical = str(purl.to_string())
    # percent-encoding can make the canonical form several times longer than the input
    require_fits(
        AffectedProduct,
        {"purl": canonical, "name": name},
        field="purl",
        what="the package URL written canonically, or its package name",
    )
    return canonical, ecosystem, name


def check_ranges(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OSV ranges: ``[{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, ...]}]``."""
    if len(raw) > MAX_RANGES:
        raise InvalidInput(f"at most {MAX_RANGES} ranges per product", field="ranges")
    out: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        where = f"ranges[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} must be an object", field="ranges")
        try:
            kind = RangeType(str(item.get("type", "ECOSYSTEM")))
        except ValueError:
            raise InvalidInput(
                f"{where}.type must be one of {', '.join(RangeType)}", field="ranges"
            ) from None
        events_raw = item.get("events")
        if not isinstance(events_raw, list) or not events_raw or len(events_raw) > MAX_EVENTS:
            raise InvalidInput(f"{where}.events must list 1-{MAX_EVENTS} events", field="ranges")
        events: list[RangeEvent] = []
        for event in events_raw:
            if not isinstance(event, dict) or len(event) != 1:
                raise InvalidInput(
                    f"{where}: each event is one of {{'introduced'|'fixed'|'last_affected'|"
                    "'limit': version}",
                    field="ranges",
                )
            ((key, value),) = event.items()
            try:
                events.append(RangeEvent(EventKind(key), str(value)))
            except ValueError:
                raise InvalidInput(
                    f"{where}: unknown event {key!r}; use introduced, fixed, last_affected, limit",
                    field="ranges",
                ) from None
        repo = item.get("repo")
        VersionRange(kind, tuple(events), str(repo) if repo else None)  # checks invariants
        normal: dict[str, Any] = {
            "type": kind.value,
            "events": [{e.kind.value: e.value} for e in events],
        }
        if repo:
            normal["repo"] = str(repo)
        out.append(normal)
    return out


def _score(vector: str | None) -> tuple[str | None, str | None, float | None, str | None]:
    if vector is None or not vector.strip():
        return None, None, None, None
    result = cvss.evaluate(vector.strip())
    if result.version not in (cvss.CvssVersion.V3_1, cvss.CvssVersion.V4_0, cvss.CvssVersion.V3_0):
        raise InvalidInput("use a CVSS 3.1 or 4.0 vector", field="cvss_vector")
    return result.vector, result.version.value, result.base_score, result.rating.value


def add_vulnerability(
    session: Session, *, actor: Principal, case: Case, spec: VulnerabilityIn, now: datetime
) -> Vulnerability:
    require_open(case)
    vector, version, score, rating = _score(spec.cvss_vector)
    cve_id = check_cve(spec.cve_id)
    if cve_id and session.scalar(
        select(Vulnerability.id).where(
            Vulnerability.case_id == case.id, Vulnerability.cve_id == cve_id
        )
    ):
        raise Conflict(f"{cve_id} is already a vulnerability of this case", field="cve_id")
    title = clean_text(spec.title, field="title", max_len=300, required=True, single_line=True)
    vulnerability = Vulnerability(
        id=ordered_id(),
        case_id=case.id,
        cve_id=cve_id,
        title=title or "",
        description=clean_text(
            spec.description, field="description", max_len=20_000, required=False
        )
        or "",
        cwes=check_cwes(spec.cwes),
        cvss_vector=vector,
        cvss_version=version,
        cvss_score=score,
        cvss_severity=rating,
        created_at=now,
        updated_at=now,
    )
    session.add(vulnerability)
    session.flush()
    products = _replace_products(session, vulnerability, spec.products)
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.VULNERABILITY_ADDED,
        now=now,
        data={
            "vulnerability_id": str(vulnerability.id),
            "cve_id": cve_id,
            "cwes": vulnerability.cwes,
            "cvss": {"vector": vector, "score": score, "severity": rating} if vector else None,
            "products": [p.purl for p in products],
        },
        audit_action="case.vulnerability_added",
    )
    return vulnerability


def update_vulnerability(
    session: Session,
    *,
    actor: Principal,
    case: Case,
    vulnerability: Vulnerability,
    spec: VulnerabilityIn,
    now: datetime,
) -> Vulnerability:
    """Replace a vulnerability's description (the whole of it, as given)."""
    require_open(case)
    vector, version, score, rating = _score(spec.cvss_vector)
    cve_id = check_cve(spec.cve_id)
    if (
        cve_id
        and cve_id != vulnerability.cve_id
        and session.scalar(
            select(Vulnerability.id).where(
                Vulnerability.case_id == case.id, Vulnerability.cve_id == cve_id
            )
        )
    ):
        raise Conflict(f"{cve_id} is already a vulnerability of this case", field="cve_id")
    vulnerability.title = (
        clean_text(spec.title, field="title", max_len=300, required=True, single_line=True) or ""
    )
    vulnerability.description = (
        clean_text(spec.description, field="description", max_len=20_000, required=False) or ""
    )
    vulnerability.cve_id = cve_id
    vulnerability.cwes = check_cwes(spec.cwes)
    vulnerability.cvss_vector, vulnerability.cvss_version = vector, version
    vulnerability.cvss_score, vulnerability.cvss_severity = score, rating
    vulnerability.updated_at = now
    products = _replace_products(session, vulnerability, spec.products)
    record_action(
        session,
        actor=actor,
        case=case,
        type=CaseEventType.VULNERABILITY_UPDATED,
        now=now,
        data={
            "vulnerability_id": str(vulnerability.id),
            "cve_id": cve_id,
            "cwes": vulnerability.cwes,
            "cvss": {"vector": vector, "score": score, "severity": rating} if vector else None,
            "products": [p.purl for p in products],
        },
        audit_action="case.vulnerability_updated",
    )
    return vulnerability


def _replace_products(
    session: Session, vulnerability: Vulnerability, specs: list[ProductIn]
) -> list[AffectedProduct]:
    if len(specs) > MAX_PRODUCTS:
        raise InvalidInput(f"at most {MAX_PRODUCTS} affected products", field="products")
    for old in products_of(session, vulnerability):
        session.delete(old)
    session.flush()
    products = []
    for spec in specs:
        purl, ecosystem, name = package_of(spec.purl)
        versions = [v.strip() for v in spec.versions if v.strip()]
        product = AffectedProduct(
            vulnerability_id=vulnerability.id,
            purl=purl,
            ecosystem=ecosystem,
            name=name,
            ranges=check_ranges(spec.ranges),
            versions=versions[:1000],
        )
        session.add(product)
        products.append(product)
    session.flush()
    return products


def vulnerabilities_of(session: Session, case: Case) -> list[Vulnerability]:
    return list(
        session.scalars(
            select(Vulnerability).where(Vulnerability.case_id == case.id).order_by(Vulnerability.id)
        )
    )


def products_of(session: Session, vulnerability: Vulnerability) -> list[AffectedProduct]:
    return list(
        session.scalars(
            select(AffectedProduct)
            .where(AffectedProduct.vulnerability_id == vulnerability.id)
            .order_by(AffectedProduct.purl, AffectedProduct.id)
        )
    )


def get_vulnerability(session: Session, case: Case, vulnerability_id: uuid.UUID) -> Vulnerability:
    vulnerability = session.get(Vulnerability, vulnerability_id)
    if vulnerability is None or vulnerability.case_id != case.id:
        raise NotFound("no such vulnerability in this case")
    return vulnerability
