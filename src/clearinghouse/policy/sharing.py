"""Shared threat information (STIX objects in collections, sharing groups): who may see a
collection, read each object in it (TLP 2.0, :mod:`clearinghouse.policy.tlp`), add to it,
delete from it, and manage collections and sharing groups. TAXII, the REST API and the
MISP feed all ask here.

A collection is readable by: anyone when it is public (its TLP:CLEAR objects only, for
those who are nothing more); every organisation in good standing when it is open to the
community; its reader organisations, the organisations of its sharing groups, its named
readers, and its writers. The operator reads everything. Within a readable collection,
each object is read per TLP 2.0, where the audience (AMBER) is the collection's reader
organisations and sharing groups plus the object's own, the named organisations
(AMBER+STRICT) are the collection's reader organisations plus the object's own named
ones, and the named people (RED) likewise. The organisation that shared an object always
reads it. A suspended organisation reads public collections' TLP:CLEAR objects and its
own, nothing else.

Credentials: reading over TAXII needs the ``taxii`` scope, over the REST API ``read``;
writing over TAXII ``taxii`` (where the collection lets the organisation write), over the
REST API ``write``. TLP:CLEAR objects of a public collection are readable whatever the
credential's scopes (as anonymous).

For pages of objects, :func:`object_scope` gives a plain value the store turns into SQL,
so that filtering happens before paging; :meth:`ObjectScope.admits` and
:func:`decide_object` agree on every object (a property test holds them to it).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from clearinghouse.formats.model import Tlp
from clearinghouse.policy.core import Decision, Missing, missing, noted, raise_for, scoped
from clearinghouse.policy.tlp import in_good_standing, tlp_allows
from clearinghouse.principal import Principal, Scope, Via
from clearinghouse.vocab import Role


class SharingAction(enum.StrEnum):
    COLLECTION_READ = "sharing.collection.read"  # see a collection; list and get its objects
    OBJECT_READ = "sharing.object.read"  # one object (version) in a readable collection
    OBJECT_WRITE = "sharing.object.write"  # add objects (and sightings) to a collection
    OBJECT_DELETE = "sharing.object.delete"  # delete an object's versions from a collection
    STATUS_READ = "sharing.status.read"  # the status of an earlier TAXII POST
    MANAGE = "sharing.manage"  # create and change collections and sync sources (operator)
    GROUP_READ = "sharing.group.read"  # a sharing group and its members
    GROUP_MANAGE = "sharing.group.manage"  # create and change a sharing group
    SIGHTINGS_READ = "sharing.sightings.read"  # counts of sightings of what one's org shared
    ACCESS_LOG_READ = "sharing.access_log.read"  # who read which shared objects (operator)


class Channel(enum.StrEnum):
    """Where the request came in: the credential scope a read or write needs differs."""

    TAXII = "taxii"
    API = "api"


_EDITORS = frozenset({Role.ADMIN, Role.ANALYST})


@dataclass(frozen=True, slots=True)
class CollectionFacts:
    public: bool = False
    community: bool = False
    members_write: bool = False
    reader_org_ids: frozenset[uuid.UUID] = frozenset()
    group_org_ids: frozenset[uuid.UUID] = frozenset()  # organisations of its sharing groups
    reader_user_ids: frozenset[uuid.UUID] = frozenset()
    writer_org_ids: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """One version of a shared object. ``audience_org_ids``: organisations of the object's
    own sharing group and audience; ``named_*``: who it names beyond the collection's."""

    tlp: Tlp
    producer_org_id: uuid.UUID | None = None
    audience_org_ids: frozenset[uuid.UUID] = frozenset()
    named_org_ids: frozenset[uuid.UUID] = frozenset()
    named_user_ids: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True, slots=True)
class StatusFacts:
    org_id: uuid.UUID | None
    user_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class GroupFacts:
    owner_org_id: uuid.UUID | None  # None: managed by the operator
    member_org_ids: frozenset[uuid.UUID] = frozenset()


CollectionOrMissing = CollectionFacts | Missing


def _scope_for(channel: Channel, *, write: bool) -> Scope:
    if channel is Channel.TAXII:
        return Scope.TAXII
    return Scope.WRITE if write else Scope.READ


def _reader_of(principal: Principal, c: CollectionFacts) -> bool:
    """Reads the collection beyond what it shows the public (scopes aside)."""
    if not in_good_standing(principal):
        return False
    org, user = principal.org_id, principal.user_id
    return (
        c.community
        or org in c.reader_org_ids
        or org in c.group_org_ids
        or org in c.writer_org_ids
        or (user is not None and user in c.reader_user_ids)
    )


def _full(principal: Principal, c: CollectionFacts, channel: Channel) -> bool:
    """Reads the collection as a reader (not only its public view), scopes included."""
    entitled = principal.is_operator or _reader_of(principal, c)
    return entitled and principal.has_scope(_scope_for(channel, write=False))


def _writer_of(principal: Principal, c: CollectionFacts) -> bool:
    if not in_good_standing(principal):
        return False
    return c.members_write or principal.org_id in c.writer_org_ids


def decide_collection(
    principal: Principal,
    action: SharingAction,
    facts: CollectionOrMissing,
    channel: Channel = Channel.API,
) -> Decision:
    """A collection: reading it (``COLLECTION_READ``), writing to it (``OBJECT_WRITE``),
    deleting from it (``OBJECT_DELETE``: allowed here means the operator, or a writer
    for its own organisation's objects, which the store enforces)."""
    return noted(action.value, _collection(principal, action, facts, channel))


def _collection(
    principal: Principal, action: SharingAction, facts: CollectionOrMissing, channel: Channel
) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if isinstance(facts, Missing):
        return missing(principal)
    reads = _reader_of(principal, facts) or principal.is_operator
    if action is SharingAction.COLLECTION_READ:
        if _full(principal, facts, channel) or facts.public:
            return Decision.ALLOW  # a credential without the scope sees the public's view
        return Decision.DENY if reads else missing(principal)
    if action in (SharingAction.OBJECT_WRITE, SharingAction.OBJECT_DELETE):
        if not (reads or facts.public):
            return missing(principal)
        if not principal.is_authenticated:
            return missing(principal)  # writing is for accounts: the same as for none
        may = (principal.is_operator and principal.role in _EDITORS) or _writer_of(principal, facts)
        return scoped(may and principal.has_scope(_scope_for(channel, write=True)))
    return Decision.DENY


def require_collection(
    principal: Principal,
    action: SharingAction,
    facts: CollectionOrMissing,
    channel: Channel = Channel.API,
) -> None:
    raise_for(decide_collection(principal, action, facts, channel), action.value)


def can_collection(
    principal: Principal,
    action: SharingAction,
    facts: CollectionOrMissing,
    channel: Channel = Channel.API,
) -> bool:
    return decide_collection(principal, action, facts, channel) is Decision.ALLOW


# ---- objects ------------------------------------------------------------------------------


def _entitled(principal: Principal, c: CollectionFacts, o: ObjectFacts, channel: Channel) -> bool:
    if principal.via is Via.SYSTEM:
        return True
    scoped_in = principal.has_scope(_scope_for(channel, write=False))
    if principal.is_operator and scoped_in:
        return True
    own = o.producer_org_id is not None and principal.org_id == o.producer_org_id
    if own and principal.is_authenticated and scoped_in:
        return True
    if not _full(principal, c, channel):  # the public's view of a public collection
        return o.tlp is Tlp.CLEAR
    org, user = principal.org_id, principal.user_id
    named_org = org is not None and (org in c.reader_org_ids or org in o.named_org_ids)
    return tlp_allows(
        principal,
        o.tlp,
        audience=org is not None and (org in c.group_org_ids or org in o.audience_org_ids),
        named_org=named_org,
        named_user=user is not None and (user in c.reader_user_ids or user in o.named_user_ids),
    )


def decide_object(
    principal: Principal,
    collection: CollectionFacts,
    facts: ObjectFacts | Missing,
    channel: Channel = Channel.API,
) -> Decision:
    """One object version in ``collection``: the collection's answer, then TLP 2.0. An
    object the principal may not read answers as one that does not exist."""
    return noted(SharingAction.OBJECT_READ.value, _object(principal, collection, facts, channel))


def _object(
    principal: Principal,
    collection: CollectionFacts,
    facts: ObjectFacts | Missing,
    channel: Channel,
) -> Decision:
    gate = _collection(principal, SharingAction.COLLECTION_READ, collection, channel)
    if gate is not Decision.ALLOW:
        return gate
    # Hidden or missing: "sign in" for the anonymous (signing in could show it), else 404.
    if isinstance(facts, Missing):
        return missing(principal)
    if _entitled(principal, collection, facts, channel):
        return Decision.ALLOW
    return missing(principal)


@dataclass(frozen=True, slots=True)
class ObjectScope:
    """Which objects of one collection a principal may read, as plain values for a query:
    everything; else objects marked one of ``tlps``; those ``own_org_id`` shared; AMBER
    ones whose own audience holds ``audience_org_id`` (directly or through a sharing group
    it belongs to); AMBER or AMBER+STRICT ones naming ``named_org_id``; RED ones naming
    ``named_user_id``. ``nothing``: the collection itself is closed to the principal."""

    everything: bool = False
    nothing: bool = False
    tlps: frozenset[Tlp] = frozenset()
    own_org_id: uuid.UUID | None = None
    audience_org_id: uuid.UUID | None = None
    named_org_id: uuid.UUID | None = None
    named_user_id: uuid.UUID | None = None

    def admits_all_marked(self, marks: frozenset[Tlp]) -> bool:
        """Every object marked one of ``marks`` is admitted, whoever produced it and
        whatever its audience (a block of pre-joined objects is served whole, or not)."""
        return not self.nothing and (self.everything or marks <= self.tlps)

    def admits(self, o: ObjectFacts) -> bool:
        """The same answer as the query this scope becomes (for single objects, tests)."""
        if self.nothing:
            return False
        if self.everything or o.tlp in self.tlps:
            return True
        if self.own_org_id is not None and o.producer_org_id == self.own_org_id:
            return True
        audience = o.audience_org_ids | o.named_org_ids
        if o.tlp is Tlp.AMBER and self.audience_org_id in audience:
            return True
        if o.tlp is Tlp.AMBER_STRICT and self.named_org_id in o.named_org_ids:
            return True
        return o.tlp is Tlp.RED and self.named_user_id in o.named_user_ids


def object_scope(
    principal: Principal, collection: CollectionFacts, channel: Channel = Channel.API
) -> ObjectScope:
    gate = _collection(principal, SharingAction.COLLECTION_READ, collection, channel)
    if gate is not Decision.ALLOW:
        return ObjectScope(nothing=True)
    scoped_in = principal.has_scope(_scope_for(channel, write=False))
    if principal.via is Via.SYSTEM or (principal.is_operator and scoped_in):
        return ObjectScope(everything=True)
    own = principal.org_id if principal.is_authenticated and scoped_in else None
    if not _full(principal, collection, channel):  # the public's (or a suspended member's)
        return ObjectScope(tlps=frozenset({Tlp.CLEAR}), own_org_id=own)
    org, user = principal.org_id, principal.user_id
    tlps = {Tlp.CLEAR, Tlp.GREEN}
    named_org = org in collection.reader_org_ids
    if named_org or org in collection.group_org_ids:
        tlps.add(Tlp.AMBER)
    if named_org:
        tlps.add(Tlp.AMBER_STRICT)
    if user is not None and user in collection.reader_user_ids:
        tlps.add(Tlp.RED)
    return ObjectScope(
        tlps=frozenset(tlps),
        own_org_id=own,
        audience_org_id=org,
        named_org_id=org,
        named_user_id=user,
    )


# ---- what the platform may put into a collection ----------------------------------------


def audience_allows(
    collection: CollectionFacts,
    tlp: Tlp,
    *,
    named_org_ids: frozenset[uuid.UUID] = frozenset(),
    named_user_ids: frozenset[uuid.UUID] = frozenset(),
) -> bool:
    """May material marked ``tlp`` (naming these organisations and people) be added to
    ``collection`` by the platform itself (published advisories)? CLEAR: any collection;
    GREEN: one whose readers are members (not the public alone); AMBER and AMBER+STRICT:
    one whose every reader organisation is named (no community, no public); RED: one
    read by named people only, all of them named here. The TLP filter still applies to
    each reader; this keeps material out of collections it was never meant for."""
    readers = collection.reader_org_ids | collection.group_org_ids | collection.writer_org_ids
    match tlp:
        case Tlp.CLEAR:
            return True
        case Tlp.GREEN:
            return collection.community or bool(readers or collection.reader_user_ids)
        case Tlp.AMBER | Tlp.AMBER_STRICT:
            open_to_all = collection.community or collection.public
            return not open_to_all and bool(readers) and readers <= named_org_ids
        case Tlp.RED:
            closed = not (collection.community or collection.public or readers)
            users = collection.reader_user_ids
            return closed and bool(users) and users <= named_user_ids
    return False  # pragma: no cover (match is exhaustive over Tlp)


# ---- statuses and sharing groups ----------------------------------------------------------


def decide_status(principal: Principal, facts: StatusFacts | Missing) -> Decision:
    """A TAXII status resource: the organisation that sent the POST, and the operator."""
    return noted(SharingAction.STATUS_READ.value, _status(principal, facts))


def _status(principal: Principal, facts: StatusFacts | Missing) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    if isinstance(facts, Missing):
        return missing(principal)
    if principal.is_operator or (facts.org_id is not None and facts.org_id == principal.org_id):
        return scoped(principal.has_scope(Scope.TAXII) or principal.has_scope(Scope.READ))
    return Decision.HIDDEN


def decide_sharing(principal: Principal, action: SharingAction) -> Decision:
    """Managing collections and sync sources (``MANAGE``): the operator's editors with a
    write-scoped credential. Reading the access log (``ACCESS_LOG_READ``): the operator.
    The sightings summary of what one's organisation shared (``SIGHTINGS_READ``): its own
    record, suspended or not, with a read-scoped one."""
    if action is SharingAction.SIGHTINGS_READ:
        return noted(action.value, _own_record(principal))
    if action is SharingAction.ACCESS_LOG_READ:
        return noted(action.value, _operator_reads(principal))
    return noted(action.value, _manage(principal))


def _operator_reads(principal: Principal) -> Decision:
    """The access log (who read which shared objects): every operator role, read scope;
    nobody else, whatever it shared (a producer learns counts, never readers)."""
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    if not principal.is_operator:
        return Decision.DENY
    return scoped(principal.has_scope(Scope.READ))


def _own_record(principal: Principal) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    return scoped(principal.org_id is not None and principal.has_scope(Scope.READ))


def _manage(principal: Principal) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    if not principal.is_operator or principal.role not in _EDITORS:
        return Decision.DENY
    return scoped(principal.has_scope(Scope.WRITE))


def decide_group(
    principal: Principal, action: SharingAction, facts: GroupFacts | Missing | None
) -> Decision:
    """Sharing groups. ``None``: the collection of groups (list: anyone signed in, each
    group then filtered; create: the operator's editors, or a member's administrator for a
    group it will own). Reading a group: its owner, its members, the operator. Managing
    it: its owner's administrators, or the operator's editors for any group."""
    return noted(action.value, _group(principal, action, facts))


def _group(
    principal: Principal, action: SharingAction, facts: GroupFacts | Missing | None
) -> Decision:
    if principal.via is Via.SYSTEM:
        return Decision.ALLOW
    if not principal.is_authenticated:
        return Decision.LOGIN
    if isinstance(facts, Missing):
        return missing(principal)
    operator_editor = principal.is_operator and principal.role in _EDITORS
    if facts is None:
        if action is SharingAction.GROUP_READ:
            return scoped(principal.has_scope(Scope.READ))
        may = operator_editor or (in_good_standing(principal) and principal.role is Role.ADMIN)
        return scoped(may and principal.has_scope(Scope.WRITE))
    owner = facts.owner_org_id is not None and facts.owner_org_id == principal.org_id
    member = principal.org_id in facts.member_org_ids
    if not (principal.is_operator or owner or member):
        return Decision.HIDDEN
    if action is SharingAction.GROUP_READ:
        return scoped(principal.has_scope(Scope.READ))
    may = operator_editor or (owner and principal.role is Role.ADMIN and not principal.suspended)
    return scoped(may and principal.has_scope(Scope.WRITE))


def require_group(
    principal: Principal, action: SharingAction, facts: GroupFacts | Missing | None
) -> None:
    raise_for(decide_group(principal, action, facts), action.value)


# ---- who sighted: revealed only by the sighter's own choice ----------------------------------


def curates(principal: Principal) -> bool:
    """The platform's own jobs (publication, sync, the operator's import) and its
    operator, who reads every object: they may add a version of any object, and a refusal
    to lower a marking may name any stored version's."""
    return principal.via is Via.SYSTEM or (principal.is_authenticated and principal.is_operator)


def may_add_version(principal: Principal, owner_org_id: uuid.UUID | None, *, known: bool) -> bool:
    """Whether ``principal`` may store a new version of a STIX object. ``known``: some
    version of that id is stored already, anywhere on the platform; ``owner_org_id``: the
    organisation that stored its first one (None: the platform's own jobs). STIX 2.1 (3.6)
    lets only an object's creator version it, so a member versions the ids it introduced
    and new ones; those who :func:`curate <curates>` any. A refusal names no marking and
    does not depend on whether the writer may read the stored versions: it says only
    that the id is another's, which the writer, who sent that id, already held."""
    if not known or curates(principal):
        return True
    return principal.org_id is not None and owner_org_id == principal.org_id


def sighting_counted(principal: Principal, tlp: Tlp) -> bool:
    """Whether a sighting marked ``tlp`` counts in the sightings summary that ``principal``
    reads of what its organisation shared: every sighting for an organisation in good
    standing (sightings exist to tell the producer); TLP:CLEAR ones only for a suspended
    one, which receives TLP:CLEAR only."""
    return not principal.suspended or tlp is Tlp.CLEAR


def sighter_reveals(principal: Principal, asked: bool) -> bool:
    """Whether a sighting ``principal`` posts now names its organisation to the producer of
    what it sighted. Only when asked for explicitly (the REST API's ``reveal_sighter``, the
    form's checkbox) and only the poster's own organisation: the flag carries no name, so
    nobody can name another. A STIX ``created_by_ref`` or ``where_sighted_refs`` never
    counts as consent (they are whatever the sender wrote), and TAXII has no flag: a
    sighting posted over TAXII, or synced, stays anonymous."""
    return (
        asked
        and principal.via is not Via.SYSTEM
        and principal.is_authenticated
        and principal.org_id is not None
    )


def sighter_shown(revealed: bool, sighter_org_id: uuid.UUID | None) -> uuid.UUID | None:
    """The organisation a producer's sightings summary may name for one sighting (its
    newest version): its poster's, when that version was posted with the poster's consent
    (:func:`sighter_reveals`); otherwise nobody (counted anonymously)."""
    return sighter_org_id if revealed and sighter_org_id is not None else None
