"""Who may write on a report before a case exists, and whose OpenPGP key it holds: the
coordinator (the operator, with a write-scoped credential) and the report's own finder
(its tracking token, or the member that reported) write; only the finder sets its key;
nobody else learns that the report exists."""

from __future__ import annotations

import uuid

import pytest

from clearinghouse.policy import MISSING, CaseAction, Decision, ReportFacts, decide_case
from clearinghouse.principal import ANONYMOUS, Principal, Scope, Via
from clearinghouse.vocab import OrgKind, Role

REPORT = uuid.UUID(int=7)
MEMBER = uuid.UUID(int=1)
ANONYMOUS_REPORT = ReportFacts(REPORT, None, None)
MEMBER_REPORT = ReportFacts(REPORT, MEMBER, uuid.UUID(int=11))


def _principal(kind: OrgKind, org: uuid.UUID, *scopes: Scope) -> Principal:
    return Principal(
        via=Via.TOKEN,
        label="someone",
        user_id=uuid.UUID(int=11),
        org_id=org,
        org_kind=kind,
        role=Role.ADMIN,
        scopes=frozenset(scopes),
    )


FINDER = Principal(via=Via.REPORT_TOKEN, label="finder", grant=str(REPORT))
OTHER_FINDER = Principal(via=Via.REPORT_TOKEN, label="finder", grant=str(uuid.UUID(int=8)))
OPERATOR = _principal(OrgKind.OPERATOR, uuid.UUID(int=99), Scope.READ, Scope.WRITE)
OPERATOR_READ = _principal(OrgKind.OPERATOR, uuid.UUID(int=99), Scope.READ)
REPORTER = _principal(OrgKind.MEMBER, MEMBER, Scope.WRITE)
REPORTER_READ = _principal(OrgKind.MEMBER, MEMBER, Scope.READ)
STRANGER = _principal(OrgKind.MEMBER, uuid.UUID(int=2), Scope.WRITE)


@pytest.mark.parametrize(
    ("principal", "facts", "message", "key"),
    [
        (FINDER, ANONYMOUS_REPORT, Decision.ALLOW, Decision.ALLOW),
        (OTHER_FINDER, ANONYMOUS_REPORT, Decision.HIDDEN, Decision.HIDDEN),
        (OPERATOR, ANONYMOUS_REPORT, Decision.ALLOW, Decision.DENY),
        (OPERATOR_READ, ANONYMOUS_REPORT, Decision.DENY, Decision.DENY),
        (REPORTER, MEMBER_REPORT, Decision.ALLOW, Decision.ALLOW),
        (REPORTER_READ, MEMBER_REPORT, Decision.DENY, Decision.DENY),
        (STRANGER, MEMBER_REPORT, Decision.HIDDEN, Decision.HIDDEN),
        (ANONYMOUS, ANONYMOUS_REPORT, Decision.LOGIN, Decision.LOGIN),
    ],
)
def test_who_writes_on_a_report_and_sets_the_finders_key(
    principal: Principal, facts: ReportFacts, message: Decision, key: Decision
) -> None:
    assert decide_case(principal, CaseAction.REPORT_MESSAGE, facts) is message
    assert decide_case(principal, CaseAction.REPORT_KEY, facts) is key


@pytest.mark.parametrize("principal", [OTHER_FINDER, STRANGER, ANONYMOUS])
def test_a_missing_report_answers_like_a_hidden_one(principal: Principal) -> None:
    for action in (CaseAction.REPORT_MESSAGE, CaseAction.REPORT_KEY):
        hidden = decide_case(principal, action, MEMBER_REPORT)
        assert decide_case(principal, action, MISSING) is hidden
