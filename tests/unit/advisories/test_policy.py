"""The advisory rules of the policy as a matrix: who (anonymous, member, suspended member,
case participant, named recipient, operator roles, tokens without scope) x state
(draft, published) x TLP (CLEAR, GREEN, AMBER, AMBER+STRICT, RED, missing)."""

from __future__ import annotations

import uuid
from typing import Any, Final

import pytest

from clearinghouse.formats.model import Tlp
from clearinghouse.policy import (
    AdvisoryAction,
    AdvisoryFacts,
    Decision,
    RevisionFacts,
    decide_advisory,
    decide_revision,
    drafts_shown,
)
from clearinghouse.principal import ANONYMOUS, SYSTEM, Principal, Scope, Via
from clearinghouse.vocab import OrgKind, Role

MEMBER_ORG = uuid.uuid4()
PARTICIPANT_ORG = uuid.uuid4()
RECIPIENT_ORG = uuid.uuid4()
RED_USER = uuid.uuid4()
ALL = frozenset(Scope)


def _member(
    org: uuid.UUID,
    *,
    user: uuid.UUID | None = None,
    suspended: bool = False,
    scopes: frozenset[Scope] = ALL,
) -> Principal:
    return Principal(
        via=Via.SESSION,
        label="m",
        user_id=user or uuid.uuid4(),
        org_id=org,
        org_kind=OrgKind.MEMBER,
        role=Role.ADMIN,
        scopes=scopes,
        suspended=suspended,
    )


def _operator(role: Role, scopes: frozenset[Scope] = ALL) -> Principal:
    return Principal(
        via=Via.TOKEN,
        label="op",
        user_id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        org_kind=OrgKind.OPERATOR,
        role=role,
        scopes=scopes,
    )


WHO = {
    "anonymous": ANONYMOUS,
    "member": _member(MEMBER_ORG),
    "suspended participant": _member(PARTICIPANT_ORG, suspended=True),
    "participant": _member(PARTICIPANT_ORG),
    "recipient": _member(RECIPIENT_ORG),
    "red recipient": _member(MEMBER_ORG, user=RED_USER),
    "operator viewer": _operator(Role.VIEWER),
    "operator token without read": _operator(Role.ANALYST, frozenset({Scope.TAXII})),
    "link": Principal(via=Via.LINK, label="vendor by link", grant="x"),
}

A, H = Decision.ALLOW, Decision.HIDDEN
# (state, tlp) -> expected decision for each principal, in WHO's order.
MATRIX: dict[tuple[str, str | None], tuple[Decision, ...]] = {
    #                  anon member susp part recip red  op-v op-noread link
    ("published", "CLEAR"): (A, A, A, A, A, A, A, A, A),
    ("published", "GREEN"): (H, A, H, A, A, A, A, Decision.DENY, H),
    ("published", "AMBER"): (H, H, H, A, A, H, A, Decision.DENY, H),
    ("published", "AMBER+STRICT"): (H, H, H, A, A, H, A, Decision.DENY, H),
    ("published", "RED"): (H, H, H, H, H, A, A, Decision.DENY, H),
    ("published", None): (H, H, H, H, H, H, A, Decision.DENY, H),
    ("draft", "CLEAR"): (H, H, H, A, H, H, A, Decision.DENY, H),
    ("draft", "GREEN"): (H, H, H, A, H, H, A, Decision.DENY, H),
    ("draft", "AMBER"): (H, H, H, A, H, H, A, Decision.DENY, H),
    ("draft", "RED"): (H, H, H, H, H, H, A, Decision.DENY, H),
    ("draft", None): (H, H, H, H, H, H, A, Decision.DENY, H),
}


# A revision naming the same recipients as the served one (the usual case).
NAMED: Final[dict[str, Any]] = {
    "recipient_org_ids": frozenset({RECIPIENT_ORG}),
    "recipient_user_ids": frozenset({RED_USER}),
}


def _facts(state: str, tlp: str | None) -> AdvisoryFacts:
    return AdvisoryFacts(
        published=state == "published",
        tlp=Tlp(tlp) if tlp is not None else None,
        participant_org_ids=frozenset({PARTICIPANT_ORG}),
        recipient_org_ids=frozenset({RECIPIENT_ORG}),
        recipient_user_ids=frozenset({RED_USER}),
    )


@pytest.mark.parametrize(("state", "tlp"), list(MATRIX))
def test_read_matrix(state: str, tlp: str | None) -> None:
    got = tuple(decide_advisory(p, AdvisoryAction.READ, _facts(state, tlp)) for p in WHO.values())
    assert dict(zip(WHO, got, strict=True)) == dict(zip(WHO, MATRIX[(state, tlp)], strict=True))


def test_red_draft_reaches_a_named_person_of_a_participant() -> None:
    person = _member(PARTICIPANT_ORG, user=RED_USER)
    assert decide_advisory(person, AdvisoryAction.READ, _facts("draft", "RED")) is A


def test_a_missing_marking_is_never_clear() -> None:
    for principal in (ANONYMOUS, WHO["member"], WHO["participant"]):
        assert decide_advisory(principal, AdvisoryAction.READ, _facts("published", None)) is H


@pytest.mark.parametrize("action", [AdvisoryAction.WRITE, AdvisoryAction.PUBLISH])
def test_writes_are_the_operators(action: AdvisoryAction) -> None:
    assert decide_advisory(_operator(Role.ANALYST), action) is A
    assert decide_advisory(_operator(Role.ADMIN), action) is A
    assert decide_advisory(_operator(Role.VIEWER), action) is Decision.DENY
    read_only = _operator(Role.ANALYST, frozenset({Scope.READ}))
    assert decide_advisory(read_only, action) is Decision.DENY
    assert decide_advisory(SYSTEM, action) is A
    assert decide_advisory(ANONYMOUS, action) is Decision.LOGIN
    # A member: refused when it may see the advisory, told nothing otherwise.
    assert decide_advisory(WHO["participant"], action, _facts("draft", "AMBER")) is Decision.DENY
    assert decide_advisory(WHO["member"], action, _facts("draft", "AMBER")) is H
    assert decide_advisory(WHO["member"], action) is Decision.DENY


def test_a_draft_re_marked_red_after_a_clear_publication_reaches_its_named_people_only() -> None:
    draft = RevisionFacts(_facts("published", "CLEAR"), Tlp.RED, draft=True, **NAMED)
    named_participant = _member(PARTICIPANT_ORG, user=RED_USER)
    assert decide_revision(named_participant, draft) is A
    assert decide_revision(_operator(Role.VIEWER), draft) is A
    assert decide_revision(SYSTEM, draft) is A
    for who in ("anonymous", "member", "participant", "recipient", "red recipient", "link"):
        assert decide_revision(WHO[who], draft) is H, who
    assert decide_revision(WHO["operator token without read"], draft) is Decision.DENY


def test_a_draft_is_read_as_unpublished_whatever_its_own_marking() -> None:
    draft = RevisionFacts(_facts("published", "CLEAR"), Tlp.CLEAR, draft=True, **NAMED)
    assert decide_revision(WHO["participant"], draft) is A
    for who in ("anonymous", "member", "recipient", "suspended participant"):
        assert decide_revision(WHO[who], draft) is H, who


def test_a_revision_is_read_under_both_its_own_marking_and_the_advisorys() -> None:
    # Published RED now, AMBER before: the RED person outside the AMBER audience sees the
    # served revision only, and the AMBER audience not even that.
    history = RevisionFacts(_facts("published", "RED"), Tlp.AMBER, draft=False, **NAMED)
    assert decide_revision(WHO["red recipient"], history) is H
    assert decide_revision(WHO["recipient"], history) is H
    assert decide_revision(_member(RECIPIENT_ORG, user=RED_USER), history) is A
    # Published CLEAR now, AMBER before: the AMBER audience only.
    history = RevisionFacts(_facts("published", "CLEAR"), Tlp.AMBER, draft=False, **NAMED)
    assert decide_revision(ANONYMOUS, history) is H
    assert decide_revision(WHO["member"], history) is H
    assert decide_revision(WHO["recipient"], history) is A
    # No marking of its own: never CLEAR.
    history = RevisionFacts(_facts("published", "CLEAR"), None, draft=False, **NAMED)
    assert decide_revision(ANONYMOUS, history) is H
    assert decide_revision(_operator(Role.VIEWER), history) is A


def test_drafts_are_shown_in_order_up_to_the_first_the_reader_may_not_read() -> None:
    served = _facts("published", "CLEAR")
    drafts = [
        RevisionFacts(served, t, draft=True, **NAMED) for t in (Tlp.AMBER, Tlp.RED, Tlp.AMBER)
    ]
    assert drafts_shown(WHO["participant"], drafts) == 1
    assert drafts_shown(_member(PARTICIPANT_ORG, user=RED_USER), drafts) == 3
    assert drafts_shown(ANONYMOUS, drafts) == 0
    assert drafts_shown(_operator(Role.VIEWER), drafts) == 3


def test_a_draft_names_its_own_recipients_and_they_read_nothing_more_until_it_is_served() -> None:
    served = _facts("published", "RED")  # names RED_USER
    newcomer = uuid.uuid4()
    draft = RevisionFacts(
        served,
        Tlp.RED,
        draft=True,
        recipient_org_ids=frozenset(),
        recipient_user_ids=frozenset({RED_USER, newcomer}),
    )
    # Named by the draft only: neither the published revision nor the draft, for now.
    assert (
        decide_advisory(_member(PARTICIPANT_ORG, user=newcomer), AdvisoryAction.READ, served) is H
    )
    assert decide_revision(_member(PARTICIPANT_ORG, user=newcomer), draft) is H
    assert decide_revision(_member(PARTICIPANT_ORG, user=RED_USER), draft) is A
    # Named by the served revision but dropped from the draft: the draft is not theirs.
    dropped = RevisionFacts(served, Tlp.RED, draft=True, recipient_user_ids=frozenset({newcomer}))
    assert decide_revision(_member(PARTICIPANT_ORG, user=RED_USER), dropped) is H
