"""The TLP 2.0 rules for shared objects as a matrix: TLP level x reader kind (anonymous, a
member in good standing, an organisation in the object's audience, a suspended member
that is even named, a named user), in a collection open to the community and public; then
collections, writes, statuses and groups; then a property: the query scope and the
one-object decision agree on every object."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.formats.model import Tlp
from clearinghouse.policy import (
    MISSING,
    Channel,
    CollectionFacts,
    Decision,
    GroupFacts,
    ObjectFacts,
    SharingAction,
    StatusFacts,
    decide_collection,
    decide_group,
    decide_object,
    decide_status,
    object_scope,
    sighter_reveals,
    sighter_shown,
)
from clearinghouse.principal import ANONYMOUS, SYSTEM, Principal, Scope, Via
from clearinghouse.vocab import OrgKind, Role

MEMBER_ORG = uuid.uuid4()
AUDIENCE_ORG = uuid.uuid4()
NAMED_ORG = uuid.uuid4()
SUSPENDED_ORG = uuid.uuid4()
PRODUCER_ORG = uuid.uuid4()
NAMED_USER = uuid.uuid4()
ALL = frozenset(Scope)


def _member(
    org: uuid.UUID,
    *,
    user: uuid.UUID | None = None,
    suspended: bool = False,
    scopes: frozenset[Scope] = ALL,
    role: Role = Role.ADMIN,
    via: Via = Via.TOKEN,
) -> Principal:
    return Principal(
        via=via,
        label="m",
        user_id=user or uuid.uuid4(),
        org_id=org,
        org_kind=OrgKind.MEMBER,
        role=role,
        scopes=scopes,
        suspended=suspended,
    )


def _operator(role: Role = Role.ANALYST, scopes: frozenset[Scope] = ALL) -> Principal:
    return Principal(
        via=Via.TOKEN,
        label="op",
        user_id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        org_kind=OrgKind.OPERATOR,
        role=role,
        scopes=scopes,
    )


READERS = {
    "anonymous": ANONYMOUS,
    "member in good standing": _member(MEMBER_ORG),
    "audience organisation": _member(AUDIENCE_ORG),
    "suspended member": _member(SUSPENDED_ORG, user=NAMED_USER, suspended=True),
    "named user": _member(NAMED_ORG, user=NAMED_USER),
}
# Who reads an object of each level, shared by PRODUCER_ORG into a public community
# collection, with AUDIENCE_ORG in its audience, NAMED_ORG named and NAMED_USER named.
# The suspended member is named too (its organisation and its user): it still sees CLEAR only.
EXPECTED = {
    Tlp.CLEAR: {"anonymous", "member in good standing", "audience organisation",
                "suspended member", "named user"},
    Tlp.GREEN: {"member in good standing", "audience organisation", "named user"},
    Tlp.AMBER: {"audience organisation", "named user"},
    Tlp.AMBER_STRICT: {"named user"},
    Tlp.RED: {"named user"},
}  # fmt: skip
COMMUNITY = CollectionFacts(public=True, community=True)


def _object(tlp: Tlp) -> ObjectFacts:
    return ObjectFacts(
        tlp=tlp,
        producer_org_id=PRODUCER_ORG,
        audience_org_ids=frozenset({AUDIENCE_ORG}),
        named_org_ids=frozenset({NAMED_ORG, SUSPENDED_ORG}),
        named_user_ids=frozenset({NAMED_USER}),
    )


@pytest.mark.parametrize("tlp", list(Tlp))
@pytest.mark.parametrize("who", list(READERS))
@pytest.mark.parametrize("channel", list(Channel))
def test_tlp_level_by_reader_kind(tlp: Tlp, who: str, channel: Channel) -> None:
    principal = READERS[who]
    decision = decide_object(principal, COMMUNITY, _object(tlp), channel)
    scope = object_scope(principal, COMMUNITY, channel)
    if who in EXPECTED[tlp]:
        assert decision is Decision.ALLOW
        assert scope.admits(_object(tlp))
    else:  # never 403: not even the object's existence (the anonymous: sign in)
        assert decision is (Decision.LOGIN if who == "anonymous" else Decision.HIDDEN)
        assert not scope.admits(_object(tlp))


def test_the_same_matrix_holds_when_the_audience_comes_from_the_collection() -> None:
    collection = CollectionFacts(
        community=True,
        group_org_ids=frozenset({AUDIENCE_ORG}),
        reader_org_ids=frozenset({NAMED_ORG, SUSPENDED_ORG}),
        reader_user_ids=frozenset({NAMED_USER}),
    )
    bare = {tlp: ObjectFacts(tlp=tlp, producer_org_id=PRODUCER_ORG) for tlp in Tlp}
    for tlp in Tlp:
        for who, principal in READERS.items():
            allowed = decide_object(principal, collection, bare[tlp]) is Decision.ALLOW
            public_only = who == "anonymous" or who == "suspended member"
            # Not public: the anonymous and the suspended see nothing of it, not even CLEAR.
            expected = who in EXPECTED[tlp] and not public_only
            assert allowed is expected, (tlp, who)


def test_the_producer_reads_its_own_objects_and_the_operator_everything() -> None:
    for tlp in Tlp:
        assert decide_object(_member(PRODUCER_ORG), COMMUNITY, _object(tlp)) is Decision.ALLOW
        assert decide_object(_operator(Role.VIEWER), COMMUNITY, _object(tlp)) is Decision.ALLOW


def test_tlp_amber_is_never_the_whole_community() -> None:
    member = _member(MEMBER_ORG)
    bare = ObjectFacts(tlp=Tlp.AMBER)
    assert decide_object(member, COMMUNITY, bare) is Decision.HIDDEN


def test_taxii_needs_the_taxii_scope_and_the_api_the_read_scope() -> None:
    read_only = _member(MEMBER_ORG, scopes=frozenset({Scope.READ}))
    taxii_only = _member(MEMBER_ORG, scopes=frozenset({Scope.TAXII}))
    green = ObjectFacts(tlp=Tlp.GREEN)
    members = CollectionFacts(community=True)
    assert decide_object(read_only, members, green, Channel.API) is Decision.ALLOW
    assert decide_object(read_only, members, green, Channel.TAXII) is Decision.DENY
    assert decide_object(taxii_only, members, green, Channel.TAXII) is Decision.ALLOW
    assert decide_object(taxii_only, members, green, Channel.API) is Decision.DENY
    # A public collection: without the scope, the public's view (its CLEAR objects only).
    clear = ObjectFacts(tlp=Tlp.CLEAR)
    assert decide_object(read_only, COMMUNITY, clear, Channel.TAXII) is Decision.ALLOW
    assert decide_object(read_only, COMMUNITY, green, Channel.TAXII) is Decision.HIDDEN


def test_a_closed_collection_is_hidden_from_those_outside_it() -> None:
    closed = CollectionFacts(reader_org_ids=frozenset({NAMED_ORG}))
    read = SharingAction.COLLECTION_READ
    assert decide_collection(ANONYMOUS, read, closed) is Decision.LOGIN
    assert decide_collection(_member(MEMBER_ORG), read, closed) is Decision.HIDDEN
    assert decide_collection(_member(NAMED_ORG), read, closed) is Decision.ALLOW
    suspended = _member(NAMED_ORG, suspended=True)
    assert decide_collection(suspended, read, closed) is Decision.HIDDEN
    assert decide_collection(_member(MEMBER_ORG), read, MISSING) is Decision.HIDDEN
    assert decide_collection(ANONYMOUS, read, MISSING) is Decision.LOGIN
    assert object_scope(_member(MEMBER_ORG), closed).nothing


def test_writing_needs_a_writer_in_good_standing_with_the_channel_scope() -> None:
    collection = CollectionFacts(
        public=True, community=True, writer_org_ids=frozenset({NAMED_ORG, SUSPENDED_ORG})
    )
    write = SharingAction.OBJECT_WRITE
    assert decide_collection(ANONYMOUS, write, collection) is Decision.LOGIN
    assert decide_collection(_member(MEMBER_ORG), write, collection) is Decision.DENY
    assert decide_collection(_member(NAMED_ORG), write, collection) is Decision.ALLOW
    suspended = _member(SUSPENDED_ORG, suspended=True)
    assert decide_collection(suspended, write, collection) is Decision.DENY
    read_token = _member(NAMED_ORG, scopes=frozenset({Scope.READ}))
    assert decide_collection(read_token, write, collection) is Decision.DENY
    taxii = _member(NAMED_ORG, scopes=frozenset({Scope.TAXII}))
    assert decide_collection(taxii, write, collection, Channel.TAXII) is Decision.ALLOW
    assert decide_collection(taxii, write, collection, Channel.API) is Decision.DENY
    assert decide_collection(_operator(Role.VIEWER), write, collection) is Decision.DENY
    assert decide_collection(_operator(), write, collection) is Decision.ALLOW
    everyone = CollectionFacts(community=True, members_write=True)
    assert decide_collection(_member(MEMBER_ORG), write, everyone) is Decision.ALLOW


def test_a_status_is_its_senders_and_the_operators() -> None:
    facts = StatusFacts(org_id=NAMED_ORG, user_id=None)
    assert decide_status(_member(NAMED_ORG), facts) is Decision.ALLOW
    assert decide_status(_member(MEMBER_ORG), facts) is Decision.HIDDEN
    assert decide_status(_member(MEMBER_ORG), MISSING) is Decision.HIDDEN
    assert decide_status(ANONYMOUS, facts) is Decision.LOGIN
    assert decide_status(_operator(Role.VIEWER), facts) is Decision.ALLOW


def test_sharing_groups_are_managed_by_their_owner_or_the_operator() -> None:
    group = GroupFacts(owner_org_id=NAMED_ORG, member_org_ids=frozenset({AUDIENCE_ORG}))
    manage, read = SharingAction.GROUP_MANAGE, SharingAction.GROUP_READ
    assert decide_group(_member(NAMED_ORG), manage, group) is Decision.ALLOW
    viewer = _member(NAMED_ORG, role=Role.VIEWER)
    assert decide_group(viewer, manage, group) is Decision.DENY
    assert decide_group(_member(AUDIENCE_ORG), read, group) is Decision.ALLOW
    assert decide_group(_member(AUDIENCE_ORG), manage, group) is Decision.DENY
    assert decide_group(_member(MEMBER_ORG), read, group) is Decision.HIDDEN
    assert decide_group(_operator(), manage, group) is Decision.ALLOW
    assert decide_group(SYSTEM, manage, group) is Decision.ALLOW
    assert decide_group(ANONYMOUS, read, None) is Decision.LOGIN


# ---- the scope and the decision agree ---------------------------------------------------------

ORGS = [MEMBER_ORG, AUDIENCE_ORG, NAMED_ORG, SUSPENDED_ORG, PRODUCER_ORG]
USERS = [NAMED_USER, uuid.uuid4()]
org_sets = st.frozensets(st.sampled_from(ORGS), max_size=3)
user_sets = st.frozensets(st.sampled_from(USERS), max_size=2)
collections = st.builds(
    CollectionFacts,
    public=st.booleans(),
    community=st.booleans(),
    members_write=st.booleans(),
    reader_org_ids=org_sets,
    group_org_ids=org_sets,
    reader_user_ids=user_sets,
    writer_org_ids=org_sets,
)
objects = st.builds(
    ObjectFacts,
    tlp=st.sampled_from(list(Tlp)),
    producer_org_id=st.one_of(st.none(), st.sampled_from(ORGS)),
    audience_org_ids=org_sets,
    named_org_ids=org_sets,
    named_user_ids=user_sets,
)
principals = st.one_of(
    st.just(ANONYMOUS),
    st.just(_operator()),
    st.builds(
        _member,
        st.sampled_from(ORGS),
        user=st.sampled_from(USERS),
        suspended=st.booleans(),
        scopes=st.frozensets(st.sampled_from(list(Scope)), min_size=1),
    ),
)


@given(principals, collections, objects, st.sampled_from(list(Channel)))
def test_the_query_scope_admits_exactly_what_the_decision_allows(
    principal: Principal, collection: CollectionFacts, obj: ObjectFacts, channel: Channel
) -> None:
    allowed = decide_object(principal, collection, obj, channel) is Decision.ALLOW
    assert object_scope(principal, collection, channel).admits(obj) is allowed


def test_a_sighter_is_named_only_by_its_own_explicit_choice() -> None:
    member = _member(MEMBER_ORG)
    assert sighter_reveals(member, True)
    assert not sighter_reveals(member, False)  # no flag: anonymous
    assert not sighter_reveals(ANONYMOUS, True)  # nobody to name
    assert not sighter_reveals(SYSTEM, True)  # synced or imported: no poster's consent
    # the name shown is the poster's own organisation, never one the object claims
    assert sighter_shown(True, MEMBER_ORG) == MEMBER_ORG
    assert sighter_shown(False, MEMBER_ORG) is None
    assert sighter_shown(True, None) is None
