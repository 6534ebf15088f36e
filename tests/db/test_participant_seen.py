"""A participant is marked seen once, however many of its reads race (issue #9, item 11:
one vendor's read recorded ``participant_seen`` twice, audit seq 111 and 112). Two
transactions both found ``seen_at`` unset and both set it; on PostgreSQL the second waited
for the first's row lock, then overwrote it."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from clearinghouse.accounts import service as accounts
from clearinghouse.audit.models import AuditEntry
from clearinghouse.cases import participants
from clearinghouse.cases.models import Participant, TimelineEvent
from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM
from clearinghouse.vocab import OrgKind, ParticipantRole
from tests.support.casework import anonymous_report, case_from_report

T0 = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)


def _participant(database: Database) -> uuid.UUID:
    with database.transaction() as s:
        operator = accounts.create_organisation(
            s, actor=SYSTEM, now=T0, slug="operator", name="Operator", kind=OrgKind.OPERATOR
        )
        vendor = accounts.create_organisation(
            s, actor=SYSTEM, now=T0, slug="vendor", name="Vendor", kind=OrgKind.VENDOR
        )
        report, _, _ = anonymous_report(s, 1, T0)
        case = case_from_report(s, report, operator, "Log4Shell", T0)
        added = participants.add(
            s,
            actor=SYSTEM,
            case=case,
            role=ParticipantRole.VENDOR,
            org=vendor,
            now=T0,
            base_url="http://test",
            secret="s" * 32,
        )
        return added.participant.id


def test_two_racing_first_reads_mark_the_participant_seen_once(database: Database) -> None:
    """The first transaction marks it and holds on; the second tries while the first has
    not committed (on PostgreSQL it waits on the row, on SQLite on the write lock)."""
    pid = _participant(database)
    first_marked = threading.Event()
    second_trying = threading.Event()
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with database.transaction() as s:
                results["first"] = participants.mark_seen(
                    s, actor=SYSTEM, participant_id=pid, now=T0
                )
                first_marked.set()
                second_trying.wait(timeout=5)
                threading.Event().wait(0.5)  # the second is now blocked on us
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    def second() -> None:
        try:
            first_marked.wait(timeout=5)
            with database.transaction() as s:
                second_trying.set()
                results["second"] = participants.mark_seen(
                    s, actor=SYSTEM, participant_id=pid, now=T0 + timedelta(seconds=1)
                )
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert results["first"] is not None
    assert results["second"] is None
    with database.transaction(write=False) as s:
        seen = s.get(Participant, pid)
        assert seen is not None
        assert seen.seen_at == T0


def test_many_concurrent_reads_record_one_event(database: Database) -> None:
    """What a first read does (the mark, the timeline event, its audit entry), eight at
    once."""
    pid = _participant(database)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            start.wait()
            with database.transaction() as s:
                participants.mark_seen(s, actor=SYSTEM, participant_id=pid, now=T0)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with database.transaction(write=False) as s:
        entries = select(func.count()).select_from(AuditEntry)
        events = select(func.count()).select_from(TimelineEvent)
        assert s.scalar(entries.where(AuditEntry.action == "case.participant_seen")) == 1
        assert s.scalar(events.where(TimelineEvent.type == "participant_seen")) == 1
