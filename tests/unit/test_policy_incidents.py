"""The incident rules of the policy as a matrix: who (anonymous, an invitation link, the
owner's admin, viewer and suspended admin, another member, the operator, tokens without
scope) x action x whose incident (own, another's, one that does not exist, the
collection)."""

from __future__ import annotations

import uuid

import pytest

from clearinghouse.errors import Forbidden, NotFound, Unauthenticated
from clearinghouse.policy import (
    Decision,
    IncidentAction,
    IncidentFacts,
    can_incident,
    decide_incident,
    require_incident,
)
from clearinghouse.principal import ANONYMOUS, SYSTEM, Principal, Scope, Via
from clearinghouse.vocab import OrgKind, Role

OWNER = uuid.uuid4()
STRANGER = uuid.uuid4()
READ_ONLY = frozenset({Scope.READ})
ALL = frozenset(Scope)


def _who(
    org: uuid.UUID, kind: OrgKind = OrgKind.MEMBER, scopes: frozenset[Scope] = ALL, **kw: bool
) -> Principal:
    return Principal(
        via=Via.SESSION,
        label="p",
        user_id=uuid.uuid4(),
        org_id=org,
        org_kind=kind,
        role=Role.ADMIN,
        scopes=scopes,
        suspended=kw.get("suspended", False),
    )


WHO = {
    "system": SYSTEM,
    "anonymous": ANONYMOUS,
    "invitation link": Principal(via=Via.LINK, label="link", grant="x"),
    "owner": _who(OWNER),
    "owner viewer": _who(OWNER, scopes=READ_ONLY),
    "owner suspended": _who(OWNER, suspended=True),
    "other member": _who(STRANGER),
    "operator": _who(uuid.uuid4(), kind=OrgKind.OPERATOR),
    "operator read-only token": _who(uuid.uuid4(), kind=OrgKind.OPERATOR, scopes=READ_ONLY),
    "operator token without read": _who(
        uuid.uuid4(), kind=OrgKind.OPERATOR, scopes=frozenset({Scope.TAXII})
    ),
}
WHOSE = {
    "own": IncidentFacts(OWNER),
    "another's": IncidentFacts(STRANGER),
    "missing": IncidentFacts(None),
}
A, D, H, L = Decision.ALLOW, Decision.DENY, Decision.HIDDEN, Decision.LOGIN
READS = (IncidentAction.READ, IncidentAction.LIST)
WRITES = (
    IncidentAction.CREATE,
    IncidentAction.UPDATE,
    IncidentAction.EVENT_RECORD,
    IncidentAction.REPORT_DRAFT,
)
# (who, whose) -> (decision for reads, decision for writes)
EXPECTED = {
    ("system", "own"): (A, A),
    ("system", "another's"): (A, A),
    ("system", "missing"): (A, A),
    ("anonymous", "own"): (L, L),
    ("anonymous", "another's"): (L, L),
    ("anonymous", "missing"): (L, L),
    ("invitation link", "own"): (L, L),
    ("invitation link", "another's"): (L, L),
    ("invitation link", "missing"): (L, L),
    ("owner", "own"): (A, A),
    ("owner", "another's"): (H, H),
    ("owner", "missing"): (H, H),
    ("owner viewer", "own"): (A, D),
    ("owner viewer", "another's"): (H, H),
    ("owner viewer", "missing"): (H, H),
    ("owner suspended", "own"): (A, A),
    ("owner suspended", "another's"): (H, H),
    ("owner suspended", "missing"): (H, H),
    ("other member", "own"): (H, H),
    ("other member", "another's"): (A, A),
    ("other member", "missing"): (H, H),
    ("operator", "own"): (A, A),
    ("operator", "another's"): (A, A),
    ("operator", "missing"): (A, A),
    ("operator read-only token", "own"): (A, D),
    ("operator read-only token", "another's"): (A, D),
    ("operator read-only token", "missing"): (A, D),
    ("operator token without read", "own"): (D, D),
    ("operator token without read", "another's"): (D, D),
    ("operator token without read", "missing"): (D, D),
}


@pytest.mark.parametrize(("who", "whose"), sorted(EXPECTED))
def test_incident_matrix(who: str, whose: str) -> None:
    reads, writes = EXPECTED[(who, whose)]
    for action in READS:
        assert decide_incident(WHO[who], action, WHOSE[whose]) is reads, (action, who, whose)
    for action in WRITES:
        assert decide_incident(WHO[who], action, WHOSE[whose]) is writes, (action, who, whose)


def test_every_action_is_in_the_matrix() -> None:
    assert set(READS) | set(WRITES) == set(IncidentAction)


@pytest.mark.parametrize(
    ("who", "decision"),
    [("owner", A), ("owner viewer", A), ("other member", A), ("operator", A), ("anonymous", L)],
)
def test_the_collection_is_ones_own(who: str, decision: Decision) -> None:
    assert decide_incident(WHO[who], IncidentAction.LIST) is decision


def test_require_raises_what_the_edge_turns_into_401_403_404() -> None:
    own, other = WHOSE["own"], WHOSE["another's"]
    require_incident(WHO["owner"], IncidentAction.READ, own)
    assert can_incident(WHO["owner"], IncidentAction.READ, own)
    with pytest.raises(NotFound):
        require_incident(WHO["owner"], IncidentAction.READ, other)
    with pytest.raises(Forbidden):
        require_incident(WHO["owner viewer"], IncidentAction.EVENT_RECORD, own)
    with pytest.raises(Unauthenticated):
        require_incident(WHO["anonymous"], IncidentAction.READ, own)
