"""Notifications end to end with a real SMTP server: immediate e-mails, a daily digest per
user (one e-mail for many notices, once per local day), preferences, read state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import NotifyMode, User
from clearinghouse.app import build_services
from clearinghouse.audit.models import AuditEntry
from clearinghouse.db import Database
from clearinghouse.jobs import queue
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.jobs.worker import Worker
from clearinghouse.notify import service as notify
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.models import Delivery, Notification
from clearinghouse.policy import MessageFacts, Sensitivity
from clearinghouse.principal import SYSTEM
from clearinghouse.timeutil import FixedClock
from clearinghouse.vocab import OrgKind, Role
from tests.support.jobs import T0, job_settings, notify_registry
from tests.support.smtp import SmtpServer, smtp_server

# T0 is 2021-12-09 12:00 UTC: 13:00 in Berlin, past the 08:00 digest hour.


@dataclass
class Env:
    database: Database
    clock: FixedClock
    worker: Worker
    smtp: SmtpServer
    org_id: object
    alice: User  # immediate
    bob: User  # digest, Europe/Berlin
    carol: User  # inactive


@pytest.fixture
def env(database: Database) -> Iterator[Env]:
    clock = FixedClock(T0)
    with smtp_server() as smtp:
        settings = job_settings(
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            mail_from="noreply@ch.test",
            base_url="https://ch.test",
            platform_name="Clearinghouse",
        )
        worker = Worker(database, notify_registry(build_services(settings)), clock, settings, "w")
        with database.transaction() as s:
            org = accounts.create_organisation(
                s, actor=SYSTEM, now=T0, slug="apache", name="Apache", kind=OrgKind.VENDOR
            )
            users = [
                accounts.create_user(
                    s,
                    actor=SYSTEM,
                    now=T0,
                    email=f"{name}@apache.test",
                    name=name,
                    password=None,
                    organisation=org,
                    role=Role.ANALYST,
                    timezone="Europe/Berlin",
                )
                for name in ("alice", "bob", "carol")
            ]
            users[1].notify_mode = NotifyMode.DIGEST
            users[2].is_active = False
            s.flush()
            org_id = org.id
        yield Env(database, clock, worker, smtp, org_id, *users)


def _notify(env: Env, subject: str, users: list[User] | None = None) -> list[Notification]:
    with env.database.transaction() as s:
        targets = [s.get(User, u.id) for u in (users or [env.alice, env.bob, env.carol])]
        return notify.notify_users(
            s,
            [u for u in targets if u is not None],
            MessageKind.CASE_VENDOR_REMINDER,
            subject,
            "A coordinator asks for your statement on a case.",
            "/cases/CH-2021-0001",
            env.clock.now(),
            about=MessageFacts(Sensitivity.PUBLIC),
            organisation_id=env.org_id,  # type: ignore[arg-type]
        )


def _notification(env: Env, notification_id: object) -> Notification:
    with env.database.transaction(write=False) as s:
        found = s.get(Notification, notification_id)
        assert found is not None
        return found


def test_immediate_users_get_an_email_digest_users_wait(env: Env) -> None:
    created = _notify(env, "Statement requested for CH-2021-0001")
    by_user = {n.user_id: n for n in created}
    assert set(by_user) == {env.alice.id, env.bob.id}  # the inactive user gets nothing
    assert by_user[env.alice.id].delivery is Delivery.IMMEDIATE
    assert by_user[env.bob.id].delivery is Delivery.DIGEST
    assert env.worker.run_until_idle() == 2  # notify.email, then email.send
    [received] = env.smtp.inbox.received
    assert received.rcpt_tos == ["alice@apache.test"]
    message = received.message
    assert message["Subject"] == "[Clearinghouse] Statement requested for CH-2021-0001"
    text = message.get_content()
    assert "A coordinator asks for your statement" in text
    assert "https://ch.test/cases/CH-2021-0001" in text
    assert _notification(env, by_user[env.alice.id].id).emailed_at == T0
    assert _notification(env, by_user[env.bob.id].id).emailed_at is None


def test_notifications_roll_back_with_the_callers_transaction(env: Env) -> None:
    def failing() -> None:
        with env.database.transaction() as s:
            alice = s.get(User, env.alice.id)
            assert alice is not None
            notify.notify_users(
                s,
                [alice, alice],
                MessageKind.CASE_MESSAGE,
                "Subject",
                "Body",
                None,
                T0,
                about=MessageFacts(Sensitivity.PUBLIC),
            )
            raise RuntimeError("the causing change failed")

    with pytest.raises(RuntimeError):
        failing()
    assert env.worker.run_until_idle() == 0
    created = _notify(env, "Once", [env.alice, env.alice])
    assert len(created) == 1  # one user listed twice: one notification


def test_a_digest_user_gets_one_email_for_many_notifications_once_a_day(env: Env) -> None:
    first = _notify(env, "Embargo proposal for CH-2021-0001", [env.bob])
    env.clock.advance(timedelta(minutes=10))
    second = _notify(env, "Vendor statement added to CH-2021-0001", [env.bob])
    assert env.worker.run_until_idle() == 0  # digest users get no immediate e-mail
    assert env.worker.run_schedules() == 1
    assert env.worker.run_until_idle() == 2  # notify.digest, then email.send
    [received] = env.smtp.inbox.received
    assert received.rcpt_tos == ["bob@apache.test"]
    message = received.message
    assert message["Subject"] == "[Clearinghouse] Daily digest for Dec 9, 2021: 2 notifications"
    text = message.get_content()
    assert text.index("Embargo proposal") < text.index("Vendor statement added")
    assert text.count("https://ch.test/cases/CH-2021-0001") == 2
    for n in first + second:
        stored = _notification(env, n.id)
        assert stored.digest_sent_at == T0 + timedelta(minutes=10)
        assert stored.emailed_at == T0 + timedelta(minutes=10)

    # Later the same day: the day's digest has gone; the next one is tomorrow at 08:00 Berlin.
    env.clock.advance(timedelta(hours=2))
    third = _notify(env, "Advisory draft ready", [env.bob])
    env.worker.run_schedules()
    assert env.worker.run_until_idle() == 0
    env.clock.set(T0.replace(day=10, hour=0))  # 01:00 in Berlin
    assert env.worker.run_schedules() == 1
    assert env.worker.run_until_idle() == 0  # due at 08:00 Berlin = 07:00 UTC
    env.clock.set(T0.replace(day=10, hour=7))
    assert env.worker.run_until_idle() == 2
    assert len(env.smtp.inbox.received) == 2
    latest = env.smtp.inbox.received[-1].message
    assert latest["Subject"] == "[Clearinghouse] Daily digest for Dec 10, 2021: 1 notification"
    assert "Advisory draft ready" in latest.get_content()
    assert _notification(env, third[0].id).digest_sent_at == T0.replace(day=10, hour=7)
    with env.database.transaction(write=False) as s:
        digests = s.scalars(select(Job).where(Job.kind == notify.KIND_DIGEST)).all()
    assert sorted(j.idempotency_key or "" for j in digests) == [
        f"notify.digest:{env.bob.id}:2021-12-09",
        f"notify.digest:{env.bob.id}:2021-12-10",
    ]
    assert {j.status for j in digests} == {JobStatus.DONE}


def test_schedules_run_by_several_workers_enqueue_one_digest(env: Env) -> None:
    _notify(env, "One", [env.bob])
    for _ in range(3):
        env.worker.run_schedules()
    with env.database.transaction(write=False) as s:
        assert len(queue.list_jobs(s, kind=notify.KIND_DIGEST)) == 1


def test_digest_day_follows_the_users_time_zone() -> None:
    day, due = notify.digest_day_and_time(T0.replace(hour=23, minute=30), "Asia/Tokyo")
    assert day.isoformat() == "2021-12-10"  # 08:30 on the 10th in Tokyo
    assert due == T0.replace(hour=23, minute=30)  # 08:00 has passed: due now
    day, due = notify.digest_day_and_time(T0.replace(hour=1), "America/New_York")
    assert day.isoformat() == "2021-12-08"  # 20:00 on the 8th: that day's digest is due now
    assert due == T0.replace(hour=1)
    day, due = notify.digest_day_and_time(T0.replace(hour=10), "America/New_York")
    assert day.isoformat() == "2021-12-09"  # 05:00 in New York: due at 08:00 there
    assert due == T0.replace(hour=13)
    assert notify.digest_day_and_time(T0, "Not/AZone")[1] == T0  # unknown zone: UTC


def test_read_state_and_listing(env: Env) -> None:
    one = _notify(env, "One", [env.alice])[0]
    env.clock.advance(timedelta(minutes=1))
    two = _notify(env, "Two", [env.alice])[0]
    with env.database.transaction() as s:
        listed = notify.list_notifications(s, env.alice.id)
        assert [n.subject for n in listed] == ["Two", "One"]
        assert notify.mark_read(s, env.alice.id, [one.id], T0) == 1
        assert notify.mark_read(s, env.bob.id, [two.id], T0) == 0  # not bob's
        assert notify.mark_read(s, env.alice.id, [one.id], T0) == 0
    with env.database.transaction(write=False) as s:
        unread = notify.list_notifications(s, env.alice.id, unread_only=True)
        assert [n.id for n in unread] == [two.id]


def test_changing_the_preference_is_audited(env: Env) -> None:
    with env.database.transaction() as s:
        user = notify.set_notify_mode(
            s, actor=SYSTEM, user_id=env.alice.id, mode=NotifyMode.DIGEST, now=T0
        )
        assert user.notify_mode is NotifyMode.DIGEST
    with env.database.transaction(write=False) as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "user.notify_mode_changed")
        ).one()
    assert entry.change == {"from": "immediate", "to": "digest"}
    created = _notify(env, "Now digested", [env.alice])
    assert created[0].delivery is Delivery.DIGEST
