"""Steps several tests take through the services: an anonymous report opened as a case,
suspending a member, putting a case under an embargo (and ending it), inviting a vendor
outside the platform."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from clearinghouse.accounts.models import MemberSanction, Organisation, SanctionKind
from clearinghouse.cases import attachments as files
from clearinghouse.cases import coordination, embargo_service, intake, participants, triage
from clearinghouse.cases.models import Attachment, Case, Report
from clearinghouse.cases.rules import embargo as embargo_rules
from clearinghouse.cases.rules import reports as report_rules
from clearinghouse.principal import SYSTEM
from clearinghouse.settings import Settings
from clearinghouse.vocab import ParticipantRole
from tests.support.cases import COORDINATE, LOG4SHELL_REPORT


def suspend(session: Session, org_id: uuid.UUID, at: datetime) -> MemberSanction:
    """A six-month suspension, in force from a day before ``at``."""
    sanction = MemberSanction(
        org_id=org_id,
        kind=SanctionKind.SUSPENSION,
        starts_at=at - timedelta(days=1),
        ends_at=at + timedelta(days=180),
        reassessment_at=at + timedelta(days=180),
        reason="late report",
        basis={},
        decided_by_label="operator",
        decided_at=at - timedelta(days=1),
    )
    session.add(sanction)
    session.flush()
    return sanction


def embargo(session: Session, case: Case, at: datetime, *, ended: bool = False) -> None:
    """Propose and activate an embargo ending in ten days; ``ended``: then end it early."""
    end = embargo_rules.EmbargoEnd(at + timedelta(days=10), "Asia/Shanghai")
    embargo_service.propose(session, actor=SYSTEM, case=case, by=None, end=end, now=at)
    embargo_service.activate(session, actor=SYSTEM, case=case, by=None, reason="go", now=at)
    if ended:
        embargo_service.exit_early(
            session,
            actor=SYSTEM,
            case=case,
            by=None,
            category=embargo_rules.ExitCategory.COORDINATOR_DECISION,
            evidence_url=None,
            evidence_text=None,
            occurred_at=None,
            now=at,
        )


def anonymous_report(
    session: Session, n: int, at: datetime, uploads: list[files.CheckedFile] | None = None
) -> tuple[Report, str, list[Attachment]]:
    """The Log4Shell report, made without an account (``n`` keeps duplicates apart):
    the report, its tracking token and its stored attachments."""
    fields = report_rules.parse_report(
        {
            k: v
            for k, v in LOG4SHELL_REPORT.items()
            if k not in {"purl", "exploited", "already_public", "vendor_contacted"}
        }
        | {"description": f"{LOG4SHELL_REPORT['description']} #{n}"}
    )
    submitted = intake.submit(
        session,
        actor=SYSTEM,
        fields=fields,
        answers=intake.Answers(),
        uploads=uploads or [],
        now=at,
        client=f"report-{n}",
    )
    report = session.get(Report, submitted.report.id)
    assert report is not None
    assert submitted.tracking_token
    return report, submitted.tracking_token, list(submitted.attachments)


def case_from_report(
    session: Session, report: Report, coordinator: Organisation, title: str, at: datetime
) -> Case:
    """Accept ``report`` as valid, triage it to "coordinate", and start its case."""
    intake.transition(
        session,
        actor=SYSTEM,
        report=report,
        to=report_rules.ReportState.VALID,
        reason="reproduced",
        now=at,
    )
    triage.decide(
        session, actor=SYSTEM, report=report, points=dict(COORDINATE), override=None, now=at
    )
    return coordination.start_case(
        session,
        actor=SYSTEM,
        coordinator=coordinator,
        title=title,
        summary=None,
        now=at,
        report=report,
    )


def invited_vendor(
    session: Session, coordinator: Organisation, settings: Settings, at: datetime, n: int = 1
) -> tuple[Case, str]:
    """An anonymous report turned into an embargoed case with a vendor outside the
    platform invited to it: the case and the invitation URL e-mailed to the vendor."""
    report, _, _ = anonymous_report(session, n, at)
    case = case_from_report(session, report, coordinator, "Embargoed: JNDI <script>x</script>", at)
    embargo(session, case, at)
    added = participants.add(
        session,
        actor=SYSTEM,
        case=case,
        role=ParticipantRole.VENDOR,
        email="pmc@apache.test",
        now=at,
        base_url=settings.base_url,
        secret=settings.secret_key.get_secret_value(),
    )
    assert added.invitation_url is not None
    return case, added.invitation_url


def invited_to_a_proposal(
    session: Session, coordinator: Organisation, settings: Settings, at: datetime
) -> tuple[str, str, str]:
    """A case with one vulnerability and a proposed embargo (not yet active), a vendor
    and a second vendor outside the platform invited by e-mail: the case id, the second
    vendor's invitation token and the first vendor's name (which its pages never show)."""
    report, _, _ = anonymous_report(session, 1, at)
    case = case_from_report(session, report, coordinator, "Embargoed: JNDI lookups", at)
    coordination.add_vulnerability(
        session,
        actor=SYSTEM,
        case=case,
        spec=coordination.VulnerabilityIn(title="JNDI lookup", cve_id="CVE-2021-44228"),
        now=at,
    )
    other, added = (
        participants.add(
            session,
            actor=SYSTEM,
            case=case,
            role=ParticipantRole.VENDOR,
            email=email,
            now=at,
            base_url=settings.base_url,
            secret=settings.secret_key.get_secret_value(),
        )
        for email in ("psirt@other-vendor.test", "pmc@apache.test")
    )
    end = embargo_rules.EmbargoEnd(at + timedelta(days=10), "Asia/Shanghai")
    embargo_service.propose(session, actor=SYSTEM, case=case, by=None, end=end, now=at)
    assert added.invitation_url is not None
    return case.public_id, urlsplit(added.invitation_url).fragment, other.participant.name
