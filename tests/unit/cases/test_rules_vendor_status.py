from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.cases.rules import vendor_status as vs
from clearinghouse.cases.rules.vendor_status import (
    ActionKind,
    ChangeKind,
    InvalidStatement,
    VendorStatement,
    VendorStatus,
)
from clearinghouse.errors import InvalidInput
from clearinghouse.formats.model import (
    FormatError,
    Justification,
    Package,
    ProductStatement,
    ProductStatus,
)

NOT_PRESENT = Justification.VULNERABLE_CODE_NOT_PRESENT
T0 = datetime(2021, 11, 24, 9, 0, tzinfo=UTC)
LOG4J = Package("Maven", "org.apache.logging.log4j:log4j-core")


def st_(status: VendorStatus, **kw: Any) -> VendorStatement:
    return VendorStatement(status, **kw)


VALID = [
    st_(VendorStatus.UNKNOWN, statement="we ship a binary blob from a supplier"),
    st_(VendorStatus.UNDER_INVESTIGATION),
    st_(VendorStatus.AFFECTED),
    st_(VendorStatus.NOT_AFFECTED, justification=NOT_PRESENT),
    st_(VendorStatus.FIXED, fixed_version="2.15.0"),
]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": VendorStatus.NOT_AFFECTED}, "justification"),
        ({"status": VendorStatus.AFFECTED, "justification": NOT_PRESENT}, "justification"),
        ({"status": VendorStatus.FIXED}, "fixed_version"),
        ({"status": VendorStatus.FIXED, "fixed_version": "  "}, "fixed_version"),
        ({"status": VendorStatus.FIXED, "fixed_version": "2.15\n0"}, "fixed_version"),
        ({"status": VendorStatus.FIXED, "fixed_version": "1" * 201}, "fixed_version"),
        ({"status": VendorStatus.AFFECTED, "fixed_version": "2.15.0"}, "fixed_version"),
        ({"status": VendorStatus.AFFECTED, "statement": "x" * 5001}, "statement"),
        ({"status": "affected"}, "status"),
        (
            {"status": VendorStatus.NOT_AFFECTED, "justification": "component_not_present"},
            "justification",
        ),
    ],
)
def test_statement_invariants(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidStatement) as info:
        VendorStatement(**kwargs)
    assert info.value.field == field
    assert isinstance(info.value, InvalidInput)


def test_statement_text_is_stripped() -> None:
    statement = VendorStatement(VendorStatus.FIXED, fixed_version=" 2.15.0 ", statement=" ok ")
    assert (statement.fixed_version, statement.statement) == ("2.15.0", "ok")


def test_vex_mapping() -> None:
    assert vs.to_product_status(VendorStatus.NOT_YET_ASSESSED) is None
    assert vs.to_product_status(VendorStatus.UNKNOWN) is ProductStatus.UNDER_INVESTIGATION
    assert {vs.to_product_status(s) for s in VendorStatus} == set(ProductStatus) | {None}
    for status in ProductStatus:
        assert vs.to_product_status(VendorStatus(status.value)) is status


@pytest.mark.parametrize("statement", VALID)
def test_every_valid_statement_maps_to_a_valid_vex_statement(statement: VendorStatement) -> None:
    vex = vs.to_product_statement(statement, LOG4J, vendor="Apache", version="2.14.1")
    assert vex is not None
    assert vex.status is vs.to_product_status(statement.status)
    assert vex.justification is statement.justification
    assert vex.fixed_version == statement.fixed_version
    assert (vex.vendor, vex.version) == ("Apache", "2.14.1")


def test_unknown_gets_an_explaining_statement_and_not_assessed_none() -> None:
    vex = vs.to_product_statement(VendorStatement(VendorStatus.UNKNOWN), LOG4J)
    assert vex is not None
    assert vex.statement is not None
    assert "cannot determine" in vex.statement
    assert vs.to_product_statement(vs.INITIAL, LOG4J) is None


def test_product_statement_rejects_what_vendor_statement_rejects() -> None:
    # The neutral model enforces the same justification rule, so the mapping cannot
    # produce a statement that the formats would refuse.
    with pytest.raises(FormatError):
        ProductStatement(package=LOG4J, status=ProductStatus.NOT_AFFECTED)


def test_first_response_update_and_noop() -> None:
    first = vs.validate_change(None, VALID[1])
    assert first is not None
    assert first.kind is ChangeKind.FIRST_RESPONSE
    assert first.old == vs.INITIAL
    update = vs.validate_change(VALID[1], VALID[2])
    assert update is not None
    assert update.kind is ChangeKind.UPDATE
    assert vs.validate_change(VALID[2], st_(VendorStatus.AFFECTED)) is None
    fixed = vs.validate_change(VALID[2], VALID[4])
    assert fixed is not None
    assert fixed.kind is ChangeKind.UPDATE


def test_fixed_version_correction_within_fixed_is_an_update() -> None:
    change = vs.validate_change(VALID[4], st_(VendorStatus.FIXED, fixed_version="2.16.0"))
    assert change is not None
    assert change.kind is ChangeKind.UPDATE


@pytest.mark.parametrize("old", [VALID[3], VALID[4]])
def test_leaving_a_settled_status_needs_a_statement(old: VendorStatement) -> None:
    with pytest.raises(InvalidStatement, match="saying why"):
        vs.validate_change(old, st_(VendorStatus.AFFECTED))
    change = vs.validate_change(
        old, st_(VendorStatus.AFFECTED, statement="2.15.0 is incomplete: CVE-2021-45046")
    )
    assert change is not None
    assert change.kind is ChangeKind.REVERSAL


@pytest.mark.parametrize("old", [None, *VALID])
def test_vendor_cannot_set_not_yet_assessed(old: VendorStatement | None) -> None:
    if old is None:
        assert vs.validate_change(None, vs.INITIAL) is None
        return
    with pytest.raises(InvalidStatement, match="cannot set not_yet_assessed"):
        vs.validate_change(old, vs.INITIAL)


def test_has_responded() -> None:
    assert not vs.has_responded(VendorStatus.NOT_YET_ASSESSED)
    assert all(vs.has_responded(s) for s in VendorStatus if s is not VendorStatus.NOT_YET_ASSESSED)


# ------------------------------------------------------------------------- deadlines


def test_response_due_is_calendar_days_in_utc() -> None:
    due = vs.response_due(T0, 45)
    assert due == T0 + timedelta(days=45)
    assert due.tzinfo is UTC


@pytest.mark.parametrize("days", [0, -1, 366, True, 1.5, "30"])
def test_response_due_rejects_bad_policy(days: Any) -> None:
    with pytest.raises(InvalidInput, match="policy_days"):
        vs.response_due(T0, days)


def test_naive_notification_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        vs.response_due(datetime(2021, 11, 24, 9, 0), 5)


def test_schedule_for_a_two_week_window() -> None:
    schedule = vs.response_schedule(T0, 14)
    assert [(a.kind, a.at) for a in schedule.actions] == [
        (ActionKind.REMIND_HALFWAY, T0 + timedelta(days=7)),
        (ActionKind.REMIND_LAST_DAY, T0 + timedelta(days=13)),
        (ActionKind.ESCALATE, T0 + timedelta(days=14)),
    ]
    assert schedule.due_at == T0 + timedelta(days=14)


def test_short_windows_drop_colliding_or_early_reminders() -> None:
    one = vs.response_schedule(T0, 1)
    assert [a.kind for a in one.actions] == [ActionKind.REMIND_HALFWAY, ActionKind.ESCALATE]
    assert one.actions[0].at == T0 + timedelta(hours=12)
    two = vs.response_schedule(T0, 2)
    assert [a.kind for a in two.actions] == [ActionKind.REMIND_HALFWAY, ActionKind.ESCALATE]


def test_due_actions_walk_through_the_window() -> None:
    schedule = vs.response_schedule(T0, 10)
    done: set[ActionKind] = set()
    seen = []
    for hour in range(0, 24 * 12, 6):
        now = T0 + timedelta(hours=hour)
        for action in vs.due_actions(schedule, now, responded=False, done=done):
            seen.append((action.kind, hour))
            done.add(action.kind)
    assert seen == [
        (ActionKind.REMIND_HALFWAY, 120),
        (ActionKind.REMIND_LAST_DAY, 216),
        (ActionKind.ESCALATE, 240),
    ]


def test_due_actions_after_an_outage_returns_only_the_latest() -> None:
    schedule = vs.response_schedule(T0, 10)
    late = T0 + timedelta(days=11)
    assert [a.kind for a in vs.due_actions(schedule, late, responded=False)] == [
        ActionKind.ESCALATE
    ]
    assert vs.due_actions(schedule, late, responded=False, done={ActionKind.ESCALATE}) == ()


def test_no_actions_once_responded() -> None:
    schedule = vs.response_schedule(T0, 10)
    late = T0 + timedelta(days=30)
    assert vs.due_actions(schedule, late, responded=True) == ()
    assert vs.next_action(schedule, T0, responded=True) is None


def test_next_action() -> None:
    schedule = vs.response_schedule(T0, 10)
    nxt = vs.next_action(schedule, T0, responded=False)
    assert nxt is not None
    assert nxt.kind is ActionKind.REMIND_HALFWAY
    assert vs.next_action(schedule, T0 + timedelta(days=10), responded=False) is None


@given(
    st.integers(min_value=1, max_value=365),
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.just(UTC),
    ),
)
def test_schedule_properties(days: int, notified: datetime) -> None:
    schedule = vs.response_schedule(notified, days)
    times = [a.at for a in schedule.actions]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    assert all(notified < t <= schedule.due_at for t in times)
    assert schedule.actions[-1] == vs.DeadlineAction(ActionKind.ESCALATE, schedule.due_at)
    assert len({a.kind for a in schedule.actions}) == len(schedule.actions)
