from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.cases.rules import reports
from clearinghouse.cases.rules._text import InvalidText
from clearinghouse.cases.rules.reports import (
    CreditPreference,
    IllegalTransition,
    InvalidReport,
    ReportState,
    parse_report,
    transition,
)
from clearinghouse.errors import Conflict, InvalidInput

S = ReportState

LEGAL = {
    (S.RECEIVED, S.VALID),
    (S.RECEIVED, S.INVALID),
    (S.VALID, S.ACCEPTED),
    (S.VALID, S.DEFERRED),
    (S.DEFERRED, S.ACCEPTED),
    (S.ACCEPTED, S.CLOSED),
    (S.DEFERRED, S.CLOSED),
    (S.INVALID, S.CLOSED),
}


@pytest.mark.parametrize(("state", "to"), sorted(LEGAL))
def test_legal_transitions(state: ReportState, to: ReportState) -> None:
    assert transition(state, to, "looked at it") is to


@pytest.mark.parametrize(
    ("state", "to"),
    [(a, b) for a in ReportState for b in ReportState if (a, b) not in LEGAL],
)
def test_every_other_transition_is_a_conflict(state: ReportState, to: ReportState) -> None:
    with pytest.raises(IllegalTransition) as info:
        transition(state, to, "a reason")
    assert isinstance(info.value, Conflict)
    assert info.value.code == "illegal-report-transition"
    assert info.value.extensions["allowed"] == sorted(reports.allowed_targets(state))


def test_message_lists_allowed_targets() -> None:
    with pytest.raises(IllegalTransition, match=r"may go to: accepted, deferred"):
        transition(S.VALID, S.CLOSED, "done")
    with pytest.raises(IllegalTransition, match=r"none \(the report is closed\)"):
        transition(S.CLOSED, S.RECEIVED, "reopen")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001, "bad\x00char", None])
def test_reason_is_required_and_bounded(reason: Any) -> None:
    with pytest.raises(InvalidText):
        transition(S.RECEIVED, S.VALID, reason)


def test_reason_of_exactly_the_limit_is_accepted() -> None:
    assert transition(S.RECEIVED, S.INVALID, "x" * 2000) is S.INVALID


def test_terminal_and_reachability() -> None:
    assert [s for s in ReportState if reports.is_terminal(s)] == [S.CLOSED]
    # Every state is reachable from "received", and every state can reach "closed".
    reach = {S.RECEIVED}
    frontier = [S.RECEIVED]
    while frontier:
        for nxt in reports.allowed_targets(frontier.pop()):
            if nxt not in reach:
                reach.add(nxt)
                frontier.append(nxt)
    assert reach == set(ReportState)
    for state in ReportState:
        seen, todo = {state}, [state]
        while todo:
            for nxt in reports.allowed_targets(todo.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert S.CLOSED in seen


@given(st.lists(st.sampled_from(list(ReportState)), max_size=12))
def test_any_walk_stays_in_the_graph(walk: list[ReportState]) -> None:
    state = S.RECEIVED
    for target in walk:
        try:
            state = transition(state, target, "r")
        except IllegalTransition:
            assert target not in reports.allowed_targets(state)
        else:
            assert state is target
        assert state in set(ReportState)


def _base(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "  JNDI lookup in log messages allows RCE ",
        "product": "Apache Log4j 2",
        "description": "Log messages containing ${jndi:ldap://...} load remote code.",
        "credit_preference": "name",
        "credit_as": "Chen Zhaojun",
    }
    data.update(extra)
    return data


def test_parse_report_normalises() -> None:
    parsed = parse_report(
        _base(
            cves=["cve-2021-44228", "CVE-2021-44228"],
            references=["https://logging.apache.org/log4j/2.x/security.html"],
            contact_email="finder@example.org",
            disclosure_plans="Talk at a conference in 90 days.",
        )
    )
    assert parsed.title == "JNDI lookup in log messages allows RCE"
    assert parsed.cves == ("CVE-2021-44228",)
    assert parsed.credit_preference is CreditPreference.NAME
    assert parsed.disclosure_plans == "Talk at a conference in 90 days."
    assert parsed.vendor is None


def test_anonymous_is_the_default_and_stores_no_name() -> None:
    data = _base()
    del data["credit_preference"], data["credit_as"]
    assert parse_report(data).credit_preference is CreditPreference.ANONYMOUS
    with pytest.raises(InvalidReport, match="credit_as"):
        parse_report(_base(credit_preference="anonymous"))


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"product": "p" * 201}, "product"),
        ({"title": "t" * 201}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"description": "d" * 20_001}, "description"),
        ({"description": "  "}, "description"),
        ({"product": None}, "product"),
        ({"credit_preference": "pseudonym"}, "credit_preference"),
        ({"credit_preference": "handle", "credit_as": None}, "credit_as"),
        ({"cves": ["CVE-21-1"]}, "cves"),
        ({"cves": "CVE-2021-44228"}, "cves"),
        ({"cves": [f"CVE-2021-{1000 + i}" for i in range(21)]}, "cves"),
        ({"references": ["javascript:alert(1)"]}, "references"),
        ({"references": ["https://"]}, "references"),
        ({"references": ["https://a.example/x y"]}, "references"),
        ({"references": ["https://a.example/" + "x" * 2000]}, "references"),
        ({"references": [f"https://a.example/{i}" for i in range(21)]}, "references"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"impact": 42}, "impact"),
        ({"disclosure_plans": "x" * 5001}, "disclosure_plans"),
        ({"severity": "critical"}, "severity"),
    ],
)
def test_parse_report_rejects(extra: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidReport) as info:
        parse_report(_base(**extra))
    assert info.value.field == field
    assert isinstance(info.value, InvalidInput)


def test_description_at_the_limit_is_accepted() -> None:
    assert len(parse_report(_base(description="d" * 20_000)).description) == 20_000


def test_limits_are_exported() -> None:
    assert reports.LIMITS["product"] == 200
    assert reports.LIMITS["description"] == 20_000
    assert reports.LIMITS["reason"] == 2000
