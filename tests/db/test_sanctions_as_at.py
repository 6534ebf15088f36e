"""A sanction as it stood at a past instant: decided by then or not, and with the period
it had then, whatever reassessments came after (reinstated early, extended twice)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from clearinghouse.accounts import service as accounts
from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM
from clearinghouse.standing import sanctions
from clearinghouse.standing.models import ReassessmentOutcome
from clearinghouse.standing.sanctions import SanctionStatus
from clearinghouse.vocab import OrgKind

DECIDED = datetime(2021, 12, 22, 2, tzinfo=UTC)
ENDS = datetime(2022, 6, 22, 2, tzinfo=UTC)


def _suspended(database: Database, slug: str) -> tuple[uuid.UUID, uuid.UUID]:
    with database.transaction() as s:
        org = accounts.create_organisation(
            s, actor=SYSTEM, now=DECIDED, slug=slug, name=slug, kind=OrgKind.MEMBER
        )
        sanction = sanctions.suspend(
            s, actor=SYSTEM, org=org, starts_at=None, reason="late", now=DECIDED, months=6
        )
        return org.id, sanction.id


def _reassess(
    database: Database,
    sanction_id: uuid.UUID,
    at: datetime,
    outcome: ReassessmentOutcome,
    *,
    months: int | None = None,
    days: int | None = None,
) -> None:
    with database.transaction() as s:
        sanction = sanctions.get_sanction(s, sanction_id)
        sanctions.reassess(
            s,
            actor=SYSTEM,
            sanction=sanction,
            outcome=outcome,
            now=at,
            reason="r",
            extend_months=months,
            extend_days=days,
        )


def test_extended_twice_each_instant_sees_the_period_it_had(database: Database) -> None:
    org_id, sanction_id = _suspended(database, "cloud")
    _reassess(
        database,
        sanction_id,
        ENDS - timedelta(days=1),
        ReassessmentOutcome.EXTEND,
        months=3,
    )
    _reassess(
        database,
        sanction_id,
        datetime(2022, 9, 1, tzinfo=UTC),
        ReassessmentOutcome.EXTEND,
        days=30,
    )
    with database.transaction(write=False) as s:

        def at(when: datetime) -> sanctions.SanctionView | None:
            views = sanctions.views_at(s, org_id, when)
            return views[0] if views else None

        assert at(DECIDED - timedelta(seconds=1)) is None  # not decided yet
        first = at(DECIDED + timedelta(days=1))
        assert first is not None
        assert (first.ends_at, first.reassessment_at) == (ENDS, ENDS)
        assert first.status is SanctionStatus.ACTIVE
        assert first.decisions == ()
        second = at(datetime(2022, 7, 1, tzinfo=UTC))
        assert second is not None
        assert second.ends_at == datetime(2022, 9, 22, 2, tzinfo=UTC)
        assert len(second.decisions) == 1
        last = at(datetime(2022, 12, 1, tzinfo=UTC))
        assert last is not None
        assert last.ends_at == datetime(2022, 10, 22, 2, tzinfo=UTC)
        assert last.status is SanctionStatus.ENDED


def test_reinstated_early_is_in_force_before_and_reinstated_after(database: Database) -> None:
    org_id, sanction_id = _suspended(database, "cloud")
    reinstated = datetime(2022, 3, 1, tzinfo=UTC)
    _reassess(database, sanction_id, reinstated, ReassessmentOutcome.REINSTATE)
    with database.transaction(write=False) as s:
        before = sanctions.views_at(s, org_id, reinstated - timedelta(days=1))
        after = sanctions.views_at(s, org_id, reinstated + timedelta(days=1))
        assert sanctions.suspension_at(before) is not None
        assert before[0].ends_at == ENDS  # the period as decided, not as cut short later
        assert before[0].open_for_decision is False  # decided since: no form now
        assert sanctions.suspension_at(after) is None
        assert after[0].status is SanctionStatus.REINSTATED
        assert after[0].ends_at == reinstated
