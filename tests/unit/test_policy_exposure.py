"""The exposure rules of the policy as a matrix: who (anonymous, the owner's admin,
viewer and suspended admin, another member, the operator's analyst and viewer) x what
(an inventory; findings of a published CLEAR, a published AMBER naming the owner, a
published GREEN, and a draft advisory; a VEX statement) x action."""

from __future__ import annotations

import uuid

import pytest

from clearinghouse.formats.model import Tlp
from clearinghouse.policy import (
    MISSING,
    AdvisoryFacts,
    CaseExposureFacts,
    Decision,
    ExposureAction,
    FindingFacts,
    OwnerFacts,
    VexFacts,
    decide_exposure,
    may_be_told,
)
from clearinghouse.principal import ANONYMOUS, SYSTEM, Principal, Scope, Via
from clearinghouse.vocab import OrgKind, Role

OWNER = uuid.uuid4()
STRANGER = uuid.uuid4()
ALL = frozenset(Scope)
A, D, H, L = Decision.ALLOW, Decision.DENY, Decision.HIDDEN, Decision.LOGIN


def _who(
    org: uuid.UUID,
    kind: OrgKind = OrgKind.MEMBER,
    role: Role = Role.ADMIN,
    scopes: frozenset[Scope] = ALL,
    suspended: bool = False,
) -> Principal:
    return Principal(
        via=Via.SESSION,
        label="p",
        user_id=uuid.uuid4(),
        org_id=org,
        org_kind=kind,
        role=role,
        scopes=scopes,
        suspended=suspended,
    )


WHO = {
    "anonymous": ANONYMOUS,
    "owner": _who(OWNER),
    "owner viewer": _who(OWNER, role=Role.VIEWER, scopes=frozenset({Scope.READ})),
    "owner suspended": _who(OWNER, suspended=True),
    "other member": _who(STRANGER),
    "operator analyst": _who(uuid.uuid4(), OrgKind.OPERATOR, Role.ANALYST),
    "operator viewer": _who(uuid.uuid4(), OrgKind.OPERATOR, Role.VIEWER, frozenset({Scope.READ})),
}
ADVISORIES = {
    "clear": AdvisoryFacts(published=True, tlp=Tlp.CLEAR),
    "green": AdvisoryFacts(published=True, tlp=Tlp.GREEN),
    "amber to owner": AdvisoryFacts(
        published=True, tlp=Tlp.AMBER, recipient_org_ids=frozenset({OWNER})
    ),
    "draft": AdvisoryFacts(published=False, tlp=Tlp.CLEAR),
    # the advisory policy lets a case's participants read its drafts; matches against
    # them are still the operator's alone
    "draft of its case": AdvisoryFacts(
        published=False, tlp=Tlp.CLEAR, participant_org_ids=frozenset({OWNER})
    ),
}
# (who, advisory) -> (read the finding, update it, publish a VEX about it)
FINDINGS = {
    ("anonymous", "clear"): (L, L, L),
    ("owner", "clear"): (A, A, A),
    ("owner", "green"): (A, A, A),
    ("owner", "amber to owner"): (A, A, A),
    ("owner", "draft"): (H, H, H),
    ("owner", "draft of its case"): (H, H, H),
    ("owner viewer", "clear"): (A, D, D),
    ("owner viewer", "draft"): (H, H, H),
    ("owner suspended", "clear"): (A, A, A),
    ("owner suspended", "green"): (H, H, H),
    ("owner suspended", "amber to owner"): (H, H, H),
    ("other member", "clear"): (H, H, H),
    ("other member", "green"): (H, H, H),
    ("operator analyst", "clear"): (A, D, D),
    ("operator analyst", "draft"): (A, D, D),
    ("operator viewer", "draft"): (A, D, D),
}


@pytest.mark.parametrize(("who", "advisory"), sorted(FINDINGS))
def test_finding_matrix(who: str, advisory: str) -> None:
    facts = FindingFacts(OWNER, ADVISORIES[advisory])
    principal = WHO[who]
    decided = tuple(
        decide_exposure(principal, action, facts)
        for action in (
            ExposureAction.FINDING_READ,
            ExposureAction.FINDING_UPDATE,
            ExposureAction.VEX_PUBLISH,
        )
    )
    assert decided == FINDINGS[(who, advisory)]


# (who) -> (read the owner's inventory, upload one in its name, read another's inventory)
INVENTORIES = {
    "anonymous": (L, L, L),
    "owner": (A, A, H),
    "owner viewer": (A, D, H),
    "owner suspended": (A, A, H),
    "other member": (H, H, A),
    "operator analyst": (A, D, A),
    "operator viewer": (A, D, A),
}


@pytest.mark.parametrize("who", sorted(INVENTORIES))
def test_inventory_matrix(who: str) -> None:
    principal = WHO[who]
    assert (
        decide_exposure(principal, ExposureAction.INVENTORY_READ, OwnerFacts(OWNER)),
        decide_exposure(principal, ExposureAction.INVENTORY_UPLOAD, OwnerFacts(OWNER)),
        decide_exposure(principal, ExposureAction.INVENTORY_READ, OwnerFacts(STRANGER)),
    ) == INVENTORIES[who]


@pytest.mark.parametrize(
    ("who", "advisory", "decision"),
    [
        ("anonymous", "clear", A),
        ("anonymous", "green", H),
        ("anonymous", "draft", H),
        ("other member", "green", A),
        ("other member", "amber to owner", H),
        ("other member", "draft", H),
        ("owner", "draft", A),  # its own statement, whatever the advisory's state
        ("operator viewer", "draft", A),
    ],
)
def test_a_published_vex_statement_is_read_as_its_advisory(
    who: str, advisory: str, decision: Decision
) -> None:
    facts = VexFacts(OWNER, ADVISORIES[advisory])
    assert decide_exposure(WHO[who], ExposureAction.VEX_READ, facts) is decision


def test_a_missing_statement_is_not_found_for_anyone() -> None:
    for principal in WHO.values():
        assert decide_exposure(principal, ExposureAction.VEX_READ, MISSING) is H


@pytest.mark.parametrize(
    ("who", "knows", "read", "invite"),
    [
        ("anonymous", False, L, L),
        ("owner", True, D, D),  # a participant of the case: refused
        ("other member", False, H, H),  # anyone else: no such case
        ("operator analyst", False, A, A),
        ("operator viewer", False, A, D),
    ],
)
def test_who_a_case_affects_is_the_operators(
    who: str, knows: bool, read: Decision, invite: Decision
) -> None:
    facts = CaseExposureFacts(may_know_case=knows)
    principal = WHO[who]
    assert decide_exposure(principal, ExposureAction.CASE_EXPOSURE_READ, facts) is read
    assert decide_exposure(principal, ExposureAction.CASE_EXPOSURE_INVITE, facts) is invite


@pytest.mark.parametrize(
    ("who", "decision"),
    [
        ("owner", A),
        ("owner viewer", D),
        ("other member", H),
        ("operator analyst", A),
        ("operator viewer", D),
        ("anonymous", L),
    ],
)
def test_an_aware_event_from_a_match_is_withdrawn_by_its_organisation_or_the_operator(
    who: str, decision: Decision
) -> None:
    facts = OwnerFacts(OWNER)
    assert decide_exposure(WHO[who], ExposureAction.AWARENESS_WITHDRAW, facts) is decision


@pytest.mark.parametrize(
    ("who", "advisory", "told"),
    [
        ("owner", "clear", True),
        ("owner", "draft", False),  # never told of a draft or an embargo
        ("owner", "draft of its case", False),
        ("owner suspended", "clear", True),
        ("owner suspended", "green", False),
        ("owner viewer", "amber to owner", True),
        ("other member", "amber to owner", False),
    ],
)
def test_who_may_be_told_of_a_match(who: str, advisory: str, told: bool) -> None:
    assert may_be_told(WHO[who], ADVISORIES[advisory]) is told


def test_the_platform_itself_may_do_anything() -> None:
    for action in ExposureAction:
        assert decide_exposure(SYSTEM, action, OwnerFacts(OWNER)) is A
