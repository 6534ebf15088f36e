"""The policy's rules that are not about one domain's resources: scopes, self-service,
organisations, what a missing resource answers, list scopes agreeing with decisions, and
message delivery."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.formats.model import Tlp
from clearinghouse.policy import (
    MISSING,
    AccountAction,
    AdvisoryAction,
    AdvisoryFacts,
    Decision,
    MessageFacts,
    OrgFacts,
    OwnedFacts,
    RecipientFacts,
    Sensitivity,
    advisory_scope,
    decide_account,
    decide_advisory,
    decide_delivery,
    org_scope,
    recording,
)
from clearinghouse.principal import ANONYMOUS, SYSTEM, Principal, Scope, Via
from clearinghouse.vocab import OrgKind, Role

ORG = uuid.UUID(int=1)
OTHER = uuid.UUID(int=2)
USER = uuid.UUID(int=11)


def _member(
    *scopes: Scope,
    via: Via = Via.TOKEN,
    role: Role = Role.ADMIN,
    org: uuid.UUID = ORG,
    kind: OrgKind = OrgKind.MEMBER,
    suspended: bool = False,
    user: uuid.UUID = USER,
) -> Principal:
    return Principal(
        via=via,
        label="someone",
        user_id=user,
        org_id=org,
        org_kind=kind,
        role=role,
        scopes=frozenset(scopes),
        suspended=suspended,
    )


def _operator(role: Role, *scopes: Scope) -> Principal:
    return _member(*scopes, role=role, org=uuid.UUID(int=99), kind=OrgKind.OPERATOR)


LINK = Principal(via=Via.LINK, label="vendor by link", grant=str(uuid.UUID(int=5)))


def test_scopes_nest_admin_over_write_over_read_and_taxii_stands_alone() -> None:
    assert _member(Scope.ADMIN).has_scope(Scope.READ)
    assert _member(Scope.ADMIN).has_scope(Scope.WRITE)
    assert _member(Scope.WRITE).has_scope(Scope.READ)
    assert not _member(Scope.READ).has_scope(Scope.WRITE)
    assert not _member(Scope.WRITE).has_scope(Scope.ADMIN)
    assert not _member(Scope.TAXII).has_scope(Scope.READ)
    assert not _member(Scope.ADMIN).has_scope(Scope.TAXII)


def test_a_read_token_changes_nothing_of_its_own_but_a_session_acts_as_its_person() -> None:
    for action in (
        AccountAction.NOTIFICATIONS_UPDATE,
        AccountAction.PREFERENCES_UPDATE,
        AccountAction.TOKEN_CREATE,
    ):
        assert decide_account(_member(Scope.READ), action) is Decision.DENY
        assert decide_account(_member(Scope.WRITE), action) is Decision.ALLOW
        viewer_session = _member(Scope.READ, via=Via.SESSION, role=Role.VIEWER)
        assert decide_account(viewer_session, action) is Decision.ALLOW
    own = OwnedFacts(ORG, USER)
    assert decide_account(_member(Scope.READ), AccountAction.TOKEN_REVOKE, own) is Decision.DENY
    assert decide_account(_member(Scope.WRITE), AccountAction.TOKEN_REVOKE, own) is Decision.ALLOW


def test_self_service_needs_a_person() -> None:
    for who in (ANONYMOUS, LINK, Principal(via=Via.REPORT_TOKEN, label="finder", grant="x")):
        assert decide_account(who, AccountAction.NOTIFICATIONS_READ) is Decision.LOGIN
    assert decide_account(LINK, AccountAction.ME_READ) is Decision.ALLOW
    assert decide_account(ANONYMOUS, AccountAction.ME_READ) is Decision.LOGIN


def test_only_operator_admins_set_a_regulatory_profile() -> None:
    own, other = OrgFacts(ORG), OrgFacts(OTHER)
    action = AccountAction.ORG_PROFILE_UPDATE
    assert decide_account(_operator(Role.ADMIN, Scope.ADMIN), action, own) is Decision.ALLOW
    assert decide_account(_operator(Role.ANALYST, Scope.WRITE), action, own) is Decision.DENY
    assert decide_account(_member(Scope.ADMIN), action, own) is Decision.DENY  # its own
    assert decide_account(_member(Scope.ADMIN), action, other) is Decision.HIDDEN
    # while its contact details are its administrators' to change
    assert decide_account(_member(Scope.ADMIN), AccountAction.ORG_UPDATE, own) is Decision.ALLOW


def test_a_missing_resource_answers_like_one_the_principal_may_not_know() -> None:
    member = _member(Scope.ADMIN)
    for action in (AccountAction.ORG_READ, AccountAction.WEBHOOKS_MANAGE):
        assert decide_account(member, action, MISSING) is Decision.HIDDEN
        assert decide_account(member, action, OrgFacts(OTHER)) is Decision.HIDDEN
        assert decide_account(ANONYMOUS, action, MISSING) is Decision.LOGIN
    assert decide_advisory(ANONYMOUS, AdvisoryAction.READ, MISSING) is Decision.HIDDEN
    assert decide_advisory(ANONYMOUS, AdvisoryAction.WRITE, MISSING) is Decision.LOGIN
    assert decide_advisory(LINK, AdvisoryAction.PUBLISH, MISSING) is Decision.LOGIN
    assert decide_advisory(member, AdvisoryAction.PUBLISH, MISSING) is Decision.HIDDEN


def test_org_scope() -> None:
    assert org_scope(_operator(Role.VIEWER, Scope.READ)).everything
    assert org_scope(SYSTEM).everything
    member = org_scope(_member(Scope.READ))
    assert (member.everything, member.org_id) == (False, ORG)


def test_every_decision_is_recorded_while_recording() -> None:
    with recording() as asked:
        decide_account(_member(Scope.READ), AccountAction.ORG_READ, OrgFacts(OTHER))
        decide_advisory(ANONYMOUS, AdvisoryAction.READ, MISSING)
    assert [(a.action, a.decision) for a in asked] == [
        ("org.read", Decision.HIDDEN),
        ("advisory.read", Decision.HIDDEN),
    ]


# ---- the advisory scope agrees with the decisions -------------------------------------------

_principals = st.sampled_from(
    [
        ANONYMOUS,
        SYSTEM,
        LINK,
        _member(Scope.READ),
        _member(Scope.TAXII),
        _member(Scope.READ, suspended=True),
        _member(Scope.READ, org=OTHER),
        _operator(Role.VIEWER, Scope.READ),
        _operator(Role.ANALYST, Scope.TAXII),
    ]
)
_ids = st.frozensets(st.sampled_from([ORG, OTHER, uuid.UUID(int=3)]), max_size=2)
_facts = st.builds(
    AdvisoryFacts,
    published=st.booleans(),
    tlp=st.none() | st.sampled_from(Tlp),
    participant_org_ids=_ids,
    recipient_org_ids=_ids,
    recipient_user_ids=st.frozensets(st.sampled_from([USER, uuid.UUID(int=12)]), max_size=1),
)


@given(_principals, _facts)
def test_advisory_scope_never_disagrees_with_the_decision(
    principal: Principal, facts: AdvisoryFacts
) -> None:
    scope = advisory_scope(principal)
    allowed = decide_advisory(principal, AdvisoryAction.READ, facts) is Decision.ALLOW
    if scope.surely_reads(published=facts.published, tlp=facts.tlp):
        assert allowed
    elif allowed:
        assert scope.per_advisory  # a per-advisory look-up must be able to find it


# ---- delivery ---------------------------------------------------------------------------------


def test_delivery_withholds_only_pre_publication_and_marked_material_from_the_suspended() -> None:
    good = RecipientFacts(ORG, OrgKind.MEMBER, suspended=False)
    suspended = RecipientFacts(ORG, OrgKind.MEMBER, suspended=True)
    outside = RecipientFacts(None)
    for sensitivity in Sensitivity:
        for tlp in (None, *Tlp):
            message = MessageFacts(sensitivity, tlp)
            assert decide_delivery(good, message) is Decision.ALLOW
            assert decide_delivery(outside, message) is Decision.ALLOW
            withheld = sensitivity is Sensitivity.PRE_PUBLICATION or (
                sensitivity is Sensitivity.PUBLIC and tlp not in (None, Tlp.CLEAR)
            )
            expected = Decision.HIDDEN if withheld else Decision.ALLOW
            assert decide_delivery(suspended, message) is expected
