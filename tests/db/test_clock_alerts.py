"""Due-soon and missed alerts reach the obliged organisation and the operator through a
real SMTP server, each alert once however often the worker re-derives obligations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import Organisation
from clearinghouse.app import build_registry
from clearinghouse.cases.models import Case, TimelineEvent
from clearinghouse.clocks.loader import load_regimes
from clearinghouse.db import Database
from clearinghouse.incidents import service as incidents
from clearinghouse.jobs.worker import Worker
from clearinghouse.principal import SYSTEM
from clearinghouse.settings import Settings
from clearinghouse.timeutil import FixedClock
from clearinghouse.vocab import OrgKind, Role
from tests.support.smtp import smtp_server

AWARE = datetime(2021, 11, 24, 2, 0, tzinfo=UTC)


def _world(database: Database) -> None:
    accounts.configure_password_hashing(1, 1024)
    with database.transaction() as s:
        op = accounts.create_organisation(
            s, actor=SYSTEM, now=AWARE, slug="nvdb", name="Platform", kind=OrgKind.OPERATOR
        )
        member = accounts.create_organisation(
            s,
            actor=SYSTEM,
            now=AWARE,
            slug="cloud",
            name="Cloud Provider",
            kind=OrgKind.MEMBER,
            country="CN",
            jurisdictions=["CN"],
            regulatory_roles=["product_provider"],
        )
        accounts.create_user(
            s,
            actor=SYSTEM,
            now=AWARE,
            email="psirt@cloud.test",
            name="PSIRT",
            password=None,
            organisation=member,
            role=Role.ANALYST,
        )
        accounts.create_user(
            s,
            actor=SYSTEM,
            now=AWARE,
            email="duty@nvdb.test",
            name="Duty",
            password=None,
            organisation=op,
            role=Role.ADMIN,
        )
        case = Case(
            public_id="CH-2021-0001",
            title="t",
            summary="",
            coordinator_org_id=op.id,
            created_at=AWARE,
            created_by_label="t",
            updated_at=AWARE,
        )
        s.add(case)
        s.flush()
        s.add(
            TimelineEvent(
                case_id=case.id,
                org_id=member.id,
                type="aware",
                occurred_at=AWARE,
                recorded_at=AWARE,
                recorded_by_label="t",
                data={},
            )
        )


def test_due_soon_then_missed_alerts_by_email(database: Database) -> None:
    _world(database)
    with smtp_server() as smtp:
        settings = Settings(
            environment="test",
            database_url=database.url,
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            worker_poll_seconds=0.05,
        )
        clock = FixedClock(AWARE + timedelta(hours=25))  # past 50% of the 48 h window
        worker = Worker(database, build_registry(settings), clock, settings, "t")
        for _ in range(3):  # re-deriving does not send the same alert twice
            worker.run_schedules()
            worker.run_until_idle()
        subjects = sorted({m["Subject"] for m in smtp.inbox.messages})
        assert len(subjects) == 1
        assert subjects[0].startswith("[Clearinghouse] Due soon (50%)")
        assert subjects[0].endswith("is due Nov 26, 2021, 02:00 UTC")  # the users' zone: UTC
        assert {r for m in smtp.inbox.received for r in m.rcpt_tos} == {
            "psirt@cloud.test",
            "duty@nvdb.test",
        }
        assert len(smtp.inbox.received) == 2
        clock.set(AWARE + timedelta(days=2, hours=1))
        worker.run_schedules()
        worker.run_until_idle()
        missed = [m for m in smtp.inbox.messages if "MISSED" in m["Subject"]]
        assert len(missed) == 2
        plain = missed[0].get_body(preferencelist=("plain",))
        assert plain is not None
        body = plain.get_content()
        assert "product_provider" in body or "bound" in body


def test_no_alert_once_met(database: Database) -> None:
    _world(database)
    with database.transaction() as s:
        case = s.scalars(select(Case)).one()
        org_id = s.scalars(select(TimelineEvent.org_id)).one()
        s.add(
            TimelineEvent(
                case_id=case.id,
                org_id=org_id,
                type="report_submitted",
                occurred_at=AWARE + timedelta(hours=20),
                recorded_at=AWARE + timedelta(hours=20),
                recorded_by_label="t",
                data={"regime": "cn-miit-2021", "stage": "report", "reference": "r"},
            )
        )
    with smtp_server() as smtp:
        settings = Settings(
            environment="test", database_url=database.url, smtp_host=smtp.host, smtp_port=smtp.port
        )
        worker = Worker(
            database, build_registry(settings), FixedClock(AWARE + timedelta(days=3)), settings, "t"
        )
        worker.run_schedules()
        worker.run_until_idle()
        assert smtp.inbox.messages == []


def test_an_incidents_deadline_is_alerted_to_its_organisation(database: Database) -> None:
    noticed = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    _world(database)
    with database.transaction() as s:
        member = s.scalars(select(Organisation).where(Organisation.slug == "cloud")).one()
        member.regulatory_roles = ["network_operator"]
        incident = incidents.create(
            s, actor=SYSTEM, org=member, title="Ransomware", summary="", facts={}, now=noticed
        )
        incidents.record_event(
            s,
            actor=SYSTEM,
            incident=incident,
            owner=member,
            type="incident_classified",
            occurred_at=noticed,
            data={"scheme": "cn-cac-2025", "level": "major"},
            evidence=None,
            now=noticed,
            regimes=load_regimes(),
        )
        ref = incident.public_id
    with smtp_server() as smtp:
        settings = Settings(
            environment="test", database_url=database.url, smtp_host=smtp.host, smtp_port=smtp.port
        )
        clock = FixedClock(noticed + timedelta(hours=3))  # the CAC's 4 h: due soon
        worker = Worker(database, build_registry(settings), clock, settings, "t")
        worker.run_schedules()
        worker.run_until_idle()
        cac = [m for m in smtp.inbox.messages if ref in m["Subject"]]
        assert len(cac) == 2, [m["Subject"] for m in smtp.inbox.messages]
        assert all(
            "Due soon" in m["Subject"] and "Mar 2, 2026, 05:00 UTC" in m["Subject"] for m in cac
        )
        assert {m["To"] for m in cac} == {"psirt@cloud.test", "duty@nvdb.test"}
