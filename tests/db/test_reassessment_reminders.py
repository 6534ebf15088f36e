"""Reminders before a suspension's reassessment date reach the operator by e-mail (real
SMTP), once per lead time however often the schedule runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clearinghouse.accounts import service as accounts
from clearinghouse.app import build_registry
from clearinghouse.db import Database
from clearinghouse.jobs.worker import Worker
from clearinghouse.principal import SYSTEM
from clearinghouse.settings import Settings
from clearinghouse.standing import sanctions
from clearinghouse.timeutil import FixedClock
from clearinghouse.vocab import OrgKind, Role
from tests.support.smtp import smtp_server

START = datetime(2021, 12, 22, tzinfo=UTC)


def test_reassessment_reminders(database: Database) -> None:
    accounts.configure_password_hashing(1, 1024)
    with database.transaction() as s:
        op = accounts.create_organisation(
            s, actor=SYSTEM, now=START, slug="nvdb", name="Platform", kind=OrgKind.OPERATOR
        )
        member = accounts.create_organisation(
            s, actor=SYSTEM, now=START, slug="cloud", name="Cloud", kind=OrgKind.MEMBER
        )
        accounts.create_user(
            s,
            actor=SYSTEM,
            now=START,
            email="duty@nvdb.test",
            name="Duty",
            password=None,
            organisation=op,
            role=Role.ADMIN,
        )
        sanctions.suspend(
            s,
            actor=SYSTEM,
            org=member,
            starts_at=START,
            reason="missed report",
            now=START,
            months=6,
        )
    with smtp_server() as smtp:
        settings = Settings(
            environment="test", database_url=database.url, smtp_host=smtp.host, smtp_port=smtp.port
        )
        clock = FixedClock(START + timedelta(days=30))
        worker = Worker(database, build_registry(settings), clock, settings, "t")

        def tick() -> list[str]:
            worker.run_schedules()
            worker.run_until_idle()
            return [m["Subject"] for m in smtp.inbox.messages if "Reassessment" in m["Subject"]]

        assert tick() == []  # months away: nothing yet
        clock.set(datetime(2022, 6, 9, tzinfo=UTC))  # 13 days before 2022-06-22
        assert len(tick()) == 1
        assert len(tick()) == 1  # not again
        clock.set(datetime(2022, 6, 21, 1, tzinfo=UTC))
        assert len(tick()) == 2
        clock.set(datetime(2022, 6, 22, 1, tzinfo=UTC))
        subjects = tick()
        assert len(subjects) == 3
        # 2022-06-22 00:00 UTC, in the recipient's zone (UTC), the zone named
        assert all(s.endswith("is due Jun 22, 2022, 00:00 UTC") for s in subjects)
        assert {r for m in smtp.inbox.received for r in m.rcpt_tos} == {"duty@nvdb.test"}
