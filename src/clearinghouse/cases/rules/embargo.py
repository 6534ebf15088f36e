"""The embargo: until when the participants keep a vulnerability private, agreed by whom.

Phases and the operations that move between them::

    none --propose--> proposed --(all vendors accept | coordinator activates)--> active
                      proposed --propose (a new end replaces the proposal)--> proposed
    active --propose_revision--> revising --(all vendors accept | coordinator)--> active
                                 revising --withdraw_revision--> active (old end kept)
    proposed | active | revising --exit_early(category, evidence)--> exited
    active | revising --expire (at or after the end)--> exited (category end_reached)

The end is an absolute instant (stored in UTC) **and** the IANA time-zone name it was
chosen in: "10 December, 10:00 Europe/Berlin" is what people agree to, and
:func:`render_for` shows the same instant in every participant's own zone, with its
abbreviation, correct across daylight-saving changes. Unknown zone names are refused
(the list is the IANA database's, from ``zoneinfo``/``tzdata``).

The required participants are the vendors: a proposal (or a revision) becomes active
when every one of them has accepted it, or when the coordinator activates it with a
recorded reason (a vendor who never answers must not block a fix's publication).
Others (the finder, other coordinators) may respond; their answers are recorded and
shown but do not gate activation. A proposer who is a required participant accepts by
proposing.

Every operation is a pure function ``(Embargo, ...) -> Transition``: the new state and
the typed events that explain it, which the case service stores as timeline entries.
An operation that the phase does not allow raises :class:`IllegalEmbargoOperation` (a
``Conflict``); bad arguments raise :class:`InvalidEmbargo` (an ``InvalidInput``). Every
:class:`Embargo` checks its own invariants when constructed, so no sequence of
operations can produce a state outside the table above.

Length policy: an end may be at most ``EmbargoPolicy.max_days`` (default 90) after the
embargo was first proposed, revisions included, so that repeated extensions cannot
outlast the policy. Suggested ends (:func:`suggest_end`) follow published norms:
Google Project Zero (90 days after the report), CERT/CC (45 days after the report) and
Project Zero's in-the-wild rule (7 days). Sources: docs/coordination-rules.md.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar, Final
from urllib.parse import urlsplit

from clearinghouse.cases.rules._text import InvalidText, clean_text, require_reason
from clearinghouse.cases.rules.embargo_terms import DEFAULT_MAX_DAYS as DEFAULT_MAX_DAYS
from clearinghouse.cases.rules.embargo_terms import POLICY_DAYS as POLICY_DAYS
from clearinghouse.cases.rules.embargo_terms import DisclosurePolicy as DisclosurePolicy
from clearinghouse.cases.rules.embargo_terms import EmbargoEnd as EmbargoEnd
from clearinghouse.cases.rules.embargo_terms import EmbargoPolicy as EmbargoPolicy
from clearinghouse.cases.rules.embargo_terms import InvalidEmbargo as InvalidEmbargo
from clearinghouse.cases.rules.embargo_terms import UnknownTimeZone as UnknownTimeZone
from clearinghouse.cases.rules.embargo_terms import instant
from clearinghouse.cases.rules.embargo_terms import render_for as render_for
from clearinghouse.cases.rules.embargo_terms import suggest_end as suggest_end
from clearinghouse.cases.rules.embargo_terms import zone as zone
from clearinghouse.errors import Conflict
from clearinghouse.timeutil import format_instant
from clearinghouse.vocab import EmbargoPhase

COMMENT_MAX: Final = 2000
PARTICIPANT_MAX: Final = 200


class IllegalEmbargoOperation(Conflict):
    """The operation is not allowed in the embargo's current phase (or after its end)."""

    code = "illegal-embargo-operation"
    title = "The embargo does not allow this now"


class Decision(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"


class ActivationBasis(enum.StrEnum):
    ALL_ACCEPTED = "all_accepted"
    COORDINATOR_DECISION = "coordinator_decision"


class ExitCategory(enum.StrEnum):
    PUBLIC_DISCLOSURE_SEEN = "public_disclosure_seen"
    EXPLOITATION_OBSERVED = "exploitation_observed"
    FIX_RELEASED_EARLY = "fix_released_early"
    COORDINATOR_DECISION = "coordinator_decision"
    END_REACHED = "end_reached"  # only through expire()


EVIDENCE_REQUIRED: Final = frozenset(
    {ExitCategory.PUBLIC_DISCLOSURE_SEEN, ExitCategory.EXPLOITATION_OBSERVED}
)

PHASE_GRAPH: Final[Mapping[EmbargoPhase, frozenset[EmbargoPhase]]] = MappingProxyType(
    {
        EmbargoPhase.NONE: frozenset({EmbargoPhase.PROPOSED, EmbargoPhase.ACTIVE}),
        EmbargoPhase.PROPOSED: frozenset(
            {EmbargoPhase.PROPOSED, EmbargoPhase.ACTIVE, EmbargoPhase.EXITED}
        ),
        EmbargoPhase.ACTIVE: frozenset(
            {EmbargoPhase.ACTIVE, EmbargoPhase.REVISING, EmbargoPhase.EXITED}
        ),
        EmbargoPhase.REVISING: frozenset(
            {EmbargoPhase.REVISING, EmbargoPhase.ACTIVE, EmbargoPhase.EXITED}
        ),
        EmbargoPhase.EXITED: frozenset(),
    }
)
"""Every phase change an operation can make (NONE -> ACTIVE: a proposal by the only
vendor, who accepts by proposing). Same-phase entries are changes within a phase."""


# ---------------------------------------------------------------------------- values


def _participant(value: object) -> str:
    try:
        text = clean_text(
            value, field="participant", max_len=PARTICIPANT_MAX, required=True, single_line=True
        )
    except InvalidText as exc:
        raise InvalidEmbargo(exc.detail) from exc
    if text is None:  # pragma: no cover - required
        raise InvalidEmbargo("participant is required")
    return text


def _comment(value: object, *, required: bool, what: str = "comment") -> str | None:
    try:
        return clean_text(value, field=what, max_len=COMMENT_MAX, required=required)
    except InvalidText as exc:
        raise InvalidEmbargo(exc.detail) from exc


def _reason(value: object) -> str:
    try:
        return require_reason(value)
    except InvalidText as exc:
        raise InvalidEmbargo(exc.detail) from exc


@dataclass(frozen=True, slots=True)
class Response:
    """One participant's answer to the current proposal. A rejection needs a comment."""

    participant: str
    decision: Decision
    at: datetime
    comment: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "participant", _participant(self.participant))
        if not isinstance(self.decision, Decision):
            raise InvalidEmbargo(f"decision must be accept or reject, got {self.decision!r}")
        object.__setattr__(self, "at", instant(self.at, "the response time"))
        required = self.decision is Decision.REJECT
        object.__setattr__(self, "comment", _comment(self.comment, required=required))


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why an embargo ended early: a URL, a text, or both."""

    url: str | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        url = _comment(self.url, required=False, what="evidence url")
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.netloc or " " in url:
                raise InvalidEmbargo(f"evidence url {url[:80]!r} is not an http(s) URL")
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "text", _comment(self.text, required=False, what="evidence"))

    @property
    def empty(self) -> bool:
        return self.url is None and self.text is None


@dataclass(frozen=True, slots=True)
class ExitRecord:
    category: ExitCategory
    at: datetime
    by: str | None
    evidence: Evidence | None


@dataclass(frozen=True, slots=True)
class Embargo:
    """The embargo of one case. ``Embargo()`` is the initial state (phase ``none``).

    ``end`` is the proposed end while ``proposed``, the agreed end while ``active`` or
    ``revising``, and the end in force when it was ``exited`` (``None`` if it exited
    before any end was agreed). ``pending_end`` is the end under revision. ``responses``
    are the answers to the current proposal or revision, one per participant.
    """

    phase: EmbargoPhase = EmbargoPhase.NONE
    end: EmbargoEnd | None = None
    pending_end: EmbargoEnd | None = None
    required: frozenset[str] = frozenset()
    responses: tuple[Response, ...] = ()
    opened_at: datetime | None = None
    activated_at: datetime | None = None
    exit: ExitRecord | None = None

    def __post_init__(self) -> None:
        _check_invariants(self)

    def response_of(self, participant: str) -> Response | None:
        return next((r for r in self.responses if r.participant == participant), None)

    @property
    def outstanding(self) -> tuple[str, ...]:
        """Required participants who have not accepted the current proposal."""
        accepted = {r.participant for r in self.responses if r.decision is Decision.ACCEPT}
        return tuple(sorted(self.required - accepted))


def _check_invariants(e: Embargo) -> None:
    def need(condition: bool, message: str) -> None:
        if not condition:
            raise InvalidEmbargo(f"inconsistent embargo state ({e.phase}): {message}")

    need(isinstance(e.phase, EmbargoPhase), "unknown phase")
    names = [r.participant for r in e.responses]
    need(len(names) == len(set(names)), "two responses from one participant")
    open_phase = e.phase in {EmbargoPhase.PROPOSED, EmbargoPhase.REVISING}
    need(open_phase or not e.responses, "responses outside a proposal")
    need((e.phase is EmbargoPhase.REVISING) == (e.pending_end is not None), "pending end")
    need((e.phase is EmbargoPhase.EXITED) == (e.exit is not None), "exit record")
    if e.phase is EmbargoPhase.NONE:
        need(e.end is None and e.opened_at is None and not e.required, "none holds data")
    else:
        need(e.opened_at is not None, "opened_at missing")
    if e.phase in {EmbargoPhase.PROPOSED, EmbargoPhase.ACTIVE, EmbargoPhase.REVISING}:
        need(e.end is not None, "end missing")
    need((e.phase is EmbargoPhase.PROPOSED) <= (e.activated_at is None), "activated early")
    if e.phase in {EmbargoPhase.ACTIVE, EmbargoPhase.REVISING}:
        need(e.activated_at is not None, "activated_at missing")
    if e.pending_end is not None:
        need(e.pending_end != e.end, "revision to the same end")
    if e.opened_at is not None and e.activated_at is not None:
        need(e.opened_at <= e.activated_at, "activated before opened")


@dataclass(frozen=True, slots=True)
class Transition:
    state: Embargo
    events: tuple[EmbargoEvent, ...]


# ---------------------------------------------------------------------------- events


def _record_value(value: object) -> object:
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, EmbargoEnd):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Evidence):
        return {"url": value.url, "text": value.text}
    if isinstance(value, tuple | frozenset):
        return [_record_value(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class EmbargoEvent:
    """Base of the events; ``kind`` names it on the timeline (``embargo.proposed``)."""

    kind: ClassVar[str] = "embargo"
    at: datetime
    by: str | None

    def as_record(self) -> dict[str, object]:
        """JSON-ready payload: instants as RFC 3339 UTC, ends as ``{at, tz}``."""
        record: dict[str, object] = {"kind": self.kind}
        for f in dataclasses.fields(self):
            record[f.name] = _record_value(getattr(self, f.name))
        return record


@dataclass(frozen=True, slots=True)
class EmbargoProposed(EmbargoEvent):
    kind: ClassVar[str] = "embargo.proposed"
    end: EmbargoEnd
    required: tuple[str, ...]
    replaces: EmbargoEnd | None = None


@dataclass(frozen=True, slots=True)
class ResponseRecorded(EmbargoEvent):
    kind: ClassVar[str] = "embargo.response"
    decision: Decision
    end: EmbargoEnd  # the end that was accepted or rejected
    comment: str | None
    revision: bool  # True: an answer to a revision, not to the first proposal


@dataclass(frozen=True, slots=True)
class EmbargoActivated(EmbargoEvent):
    kind: ClassVar[str] = "embargo.activated"
    end: EmbargoEnd
    basis: ActivationBasis
    reason: str | None  # required for a coordinator decision
    outstanding: tuple[str, ...]  # vendors who had not accepted


@dataclass(frozen=True, slots=True)
class RevisionProposed(EmbargoEvent):
    kind: ClassVar[str] = "embargo.revision_proposed"
    current_end: EmbargoEnd
    new_end: EmbargoEnd
    reason: str
    replaces: EmbargoEnd | None = None


@dataclass(frozen=True, slots=True)
class RevisionApplied(EmbargoEvent):
    kind: ClassVar[str] = "embargo.revised"
    old_end: EmbargoEnd
    new_end: EmbargoEnd
    basis: ActivationBasis
    reason: str | None
    outstanding: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RevisionWithdrawn(EmbargoEvent):
    kind: ClassVar[str] = "embargo.revision_withdrawn"
    end: EmbargoEnd  # kept
    withdrawn_end: EmbargoEnd
    reason: str


@dataclass(frozen=True, slots=True)
class ParticipantAdded(EmbargoEvent):
    kind: ClassVar[str] = "embargo.participant_added"
    participant: str


@dataclass(frozen=True, slots=True)
class ParticipantRemoved(EmbargoEvent):
    kind: ClassVar[str] = "embargo.participant_removed"
    participant: str


@dataclass(frozen=True, slots=True)
class EmbargoExited(EmbargoEvent):
    kind: ClassVar[str] = "embargo.exited"
    category: ExitCategory
    evidence: Evidence | None
    end: EmbargoEnd | None  # the end in force (None: no end had been agreed)


# ------------------------------------------------------------------------ operations


def _end(e: Embargo) -> EmbargoEnd:
    if e.end is None:  # pragma: no cover - excluded by the invariants
        raise InvalidEmbargo(f"inconsistent embargo state ({e.phase}): end missing")
    return e.end


def _pending(e: Embargo) -> EmbargoEnd:
    if e.pending_end is None:  # pragma: no cover - excluded by the invariants
        raise InvalidEmbargo(f"inconsistent embargo state ({e.phase}): pending end missing")
    return e.pending_end


def _opened(e: Embargo) -> datetime:
    if e.opened_at is None:  # pragma: no cover - excluded by the invariants
        raise InvalidEmbargo(f"inconsistent embargo state ({e.phase}): opened_at missing")
    return e.opened_at


def _require_phase(e: Embargo, operation: str, *allowed: EmbargoPhase) -> None:
    if e.phase not in allowed:
        raise IllegalEmbargoOperation(
            f"cannot {operation} an embargo that is {e.phase}; allowed when {' or '.join(allowed)}",
            phase=str(e.phase),
            operation=operation,
        )


def _passed(e: Embargo, at: datetime) -> str | None:
    """Why the open proposal can no longer be settled at ``at`` (``None``: it can)."""
    if e.end is not None and at >= e.end.at:
        what = "proposed end" if e.phase is EmbargoPhase.PROPOSED else "end"
        fix = "propose a new end" if e.phase is EmbargoPhase.PROPOSED else "record it with expire"
        return f"the {what} {format_instant(e.end.at)} has passed; {fix}"
    if e.pending_end is not None and at >= e.pending_end.at:
        return (
            f"the proposed new end {format_instant(e.pending_end.at)} has passed; "
            "withdraw the revision or propose another end"
        )
    return None


def _require_before_end(e: Embargo, at: datetime, operation: str) -> None:
    problem = _passed(e, at)
    if problem is not None:
        raise IllegalEmbargoOperation(
            f"cannot {operation}: {problem}", phase=str(e.phase), operation=operation
        )


def _check_end(end: EmbargoEnd, at: datetime, opened_at: datetime, policy: EmbargoPolicy) -> None:
    if not isinstance(end, EmbargoEnd):
        raise InvalidEmbargo("the end must be an EmbargoEnd (an instant and a time zone)")
    if end.at <= at:
        raise InvalidEmbargo(f"the end {format_instant(end.at)} is not in the future")
    limit = opened_at + policy.max_length
    if end.at > limit:
        raise InvalidEmbargo(
            f"the end {format_instant(end.at)} is more than {policy.max_days} days after the "
            f"embargo was first proposed ({format_instant(opened_at)}); the latest allowed "
            f"end is {format_instant(limit)}",
            latest=format_instant(limit),
        )


def _settle(e: Embargo, at: datetime, events: list[EmbargoEvent]) -> Embargo:
    """Activate the proposal or apply the revision when every required vendor accepted."""
    if not e.required or e.outstanding:
        return e
    return _activate(e, at, None, ActivationBasis.ALL_ACCEPTED, None, events)


def _activate(
    e: Embargo,
    at: datetime,
    by: str | None,
    basis: ActivationBasis,
    reason: str | None,
    events: list[EmbargoEvent],
) -> Embargo:
    outstanding = e.outstanding
    if e.phase is EmbargoPhase.PROPOSED:
        events.append(EmbargoActivated(at, by, _end(e), basis, reason, outstanding))
        return dataclasses.replace(e, phase=EmbargoPhase.ACTIVE, responses=(), activated_at=at)
    old, new = _end(e), _pending(e)
    events.append(RevisionApplied(at, by, old, new, basis, reason, outstanding))
    return dataclasses.replace(
        e, phase=EmbargoPhase.ACTIVE, end=new, pending_end=None, responses=()
    )


def propose(
    e: Embargo,
    *,
    end: EmbargoEnd,
    required: Iterable[str],
    by: str,
    at: datetime,
    policy: EmbargoPolicy = EmbargoPolicy(),
) -> Transition:
    """Propose an end (phase ``none``), or replace the open proposal (``proposed``).

    ``required`` are the vendors whose acceptance activates it. A proposal of another
    end discards the responses (people agreed to a different date); proposing the same
    end again keeps them and only updates the required vendors.
    """
    _require_phase(e, "propose", EmbargoPhase.NONE, EmbargoPhase.PROPOSED)
    now = instant(at, "at")
    proposer = _participant(by)
    vendors = frozenset(_participant(p) for p in required)
    opened = e.opened_at or now
    _check_end(end, now, opened, policy)
    same_end = e.phase is EmbargoPhase.PROPOSED and end == e.end
    events: list[EmbargoEvent] = []
    if not same_end or vendors != e.required:
        replaced = None if same_end else e.end
        events.append(EmbargoProposed(now, proposer, end, tuple(sorted(vendors)), replaced))
    responses = e.responses if same_end else ()
    state = Embargo(EmbargoPhase.PROPOSED, end, None, vendors, responses, opened)
    state = _proposer_accepts(state, proposer, end, now, events, revision=False)
    return Transition(_settle(state, now, events), tuple(events))


def _proposer_accepts(
    e: Embargo,
    proposer: str,
    end: EmbargoEnd,
    now: datetime,
    events: list[EmbargoEvent],
    *,
    revision: bool,
) -> Embargo:
    """A required vendor who proposes an end accepts it (unless it already has)."""
    previous = e.response_of(proposer)
    if proposer not in e.required or (
        previous is not None and previous.decision is Decision.ACCEPT
    ):
        return e
    others = tuple(r for r in e.responses if r.participant != proposer)
    accepted = Response(proposer, Decision.ACCEPT, now)
    events.append(ResponseRecorded(now, proposer, Decision.ACCEPT, end, None, revision))
    return dataclasses.replace(
        e, responses=tuple(sorted((*others, accepted), key=lambda r: r.participant))
    )


def respond(
    e: Embargo,
    *,
    participant: str,
    decision: Decision,
    at: datetime,
    comment: str | None = None,
) -> Transition:
    """Record a participant's answer to the open proposal or revision.

    The latest answer wins; repeating the same answer (decision and comment) is a no-op
    without events, so a re-sent form does not clutter the timeline.
    """
    _require_phase(e, "respond to", EmbargoPhase.PROPOSED, EmbargoPhase.REVISING)
    now = instant(at, "at")
    _require_before_end(e, now, "respond")
    response = Response(participant, decision, now, comment)
    previous = e.response_of(response.participant)
    if previous is not None and (previous.decision, previous.comment) == (
        response.decision,
        response.comment,
    ):
        return Transition(e, ())  # the same answer again (a re-sent form) changes nothing
    others = tuple(r for r in e.responses if r.participant != response.participant)
    responses = tuple(sorted((*others, response), key=lambda r: r.participant))
    target = e.pending_end or _end(e)
    events: list[EmbargoEvent] = [
        ResponseRecorded(
            now,
            response.participant,
            response.decision,
            target,
            response.comment,
            e.phase is EmbargoPhase.REVISING,
        )
    ]
    state = _settle(dataclasses.replace(e, responses=responses), now, events)
    return Transition(state, tuple(events))


def activate(e: Embargo, *, by: str, reason: str, at: datetime) -> Transition:
    """The coordinator activates the proposal (or applies the revision) with a reason."""
    _require_phase(e, "activate", EmbargoPhase.PROPOSED, EmbargoPhase.REVISING)
    now = instant(at, "at")
    _require_before_end(e, now, "activate")
    events: list[EmbargoEvent] = []
    state = _activate(
        e, now, _participant(by), ActivationBasis.COORDINATOR_DECISION, _reason(reason), events
    )
    return Transition(state, tuple(events))


def propose_revision(
    e: Embargo,
    *,
    new_end: EmbargoEnd,
    by: str,
    reason: str,
    at: datetime,
    policy: EmbargoPolicy = EmbargoPolicy(),
) -> Transition:
    """Propose moving the end (earlier or later); the current end holds until agreed.

    A new pending end discards the responses to the previous one; proposing the pending
    end again changes nothing (except that a proposing vendor accepts it).
    """
    _require_phase(e, "revise", EmbargoPhase.ACTIVE, EmbargoPhase.REVISING)
    now = instant(at, "at")
    if now >= _end(e).at:
        raise IllegalEmbargoOperation(
            f"cannot revise: the end {format_instant(_end(e).at)} has passed; "
            "record it with expire",
            phase=str(e.phase),
            operation="revise",
        )
    _check_end(new_end, now, _opened(e), policy)
    if new_end == e.end:
        raise InvalidEmbargo("the new end is the current end; nothing to revise")
    proposer = _participant(by)
    why = _reason(reason)
    same_end = new_end == e.pending_end
    events: list[EmbargoEvent] = []
    if not same_end:
        events.append(RevisionProposed(now, proposer, _end(e), new_end, why, e.pending_end))
    state = dataclasses.replace(
        e,
        phase=EmbargoPhase.REVISING,
        pending_end=new_end,
        responses=e.responses if same_end else (),
    )
    state = _proposer_accepts(state, proposer, new_end, now, events, revision=True)
    return Transition(_settle(state, now, events), tuple(events))


def withdraw_revision(e: Embargo, *, by: str, reason: str, at: datetime) -> Transition:
    """Drop the pending revision; the current end stays."""
    _require_phase(e, "withdraw the revision of", EmbargoPhase.REVISING)
    now = instant(at, "at")
    if now >= _end(e).at:
        raise IllegalEmbargoOperation(
            f"cannot withdraw the revision: the end {format_instant(_end(e).at)} has passed; "
            "record it with expire",
            phase=str(e.phase),
            operation="withdraw the revision",
        )
    event = RevisionWithdrawn(now, _participant(by), _end(e), _pending(e), _reason(reason))
    state = dataclasses.replace(e, phase=EmbargoPhase.ACTIVE, pending_end=None, responses=())
    return Transition(state, (event,))


def add_participant(e: Embargo, *, participant: str, by: str, at: datetime) -> Transition:
    """Make a vendor a required participant (a vendor found later in the case).

    While a proposal or revision is open, its acceptance is now needed too. In an
    active embargo the vendor joins the agreed end. Adding a present one changes nothing.
    """
    _require_phase(
        e, "add a participant to", EmbargoPhase.PROPOSED, EmbargoPhase.ACTIVE, EmbargoPhase.REVISING
    )
    now = instant(at, "at")
    name = _participant(participant)
    if name in e.required:
        return Transition(e, ())
    state = dataclasses.replace(e, required=e.required | {name})
    return Transition(state, (ParticipantAdded(now, _participant(by), name),))


def remove_participant(e: Embargo, *, participant: str, by: str, at: datetime) -> Transition:
    """Stop requiring a vendor (it left the case); may complete an open proposal."""
    _require_phase(
        e,
        "remove a participant from",
        EmbargoPhase.PROPOSED,
        EmbargoPhase.ACTIVE,
        EmbargoPhase.REVISING,
    )
    now = instant(at, "at")
    name = _participant(participant)
    if name not in e.required:
        return Transition(e, ())
    events: list[EmbargoEvent] = [ParticipantRemoved(now, _participant(by), name)]
    state = dataclasses.replace(
        e,
        required=e.required - {name},
        responses=tuple(r for r in e.responses if r.participant != name),
    )
    if state.phase is not EmbargoPhase.ACTIVE and _passed(state, now) is None:
        state = _settle(state, now, events)
    return Transition(state, tuple(events))


def exit_early(
    e: Embargo,
    *,
    category: ExitCategory,
    by: str,
    at: datetime,
    evidence: Evidence | None = None,
) -> Transition:
    """End the embargo before its end. Public disclosure and exploitation need evidence."""
    _require_phase(e, "exit", EmbargoPhase.PROPOSED, EmbargoPhase.ACTIVE, EmbargoPhase.REVISING)
    now = instant(at, "at")
    if not isinstance(category, ExitCategory) or category is ExitCategory.END_REACHED:
        raise InvalidEmbargo(
            "exit category must be one of "
            + ", ".join(c for c in ExitCategory if c is not ExitCategory.END_REACHED)
        )
    if category in EVIDENCE_REQUIRED and (evidence is None or evidence.empty):
        raise InvalidEmbargo(f"{category} needs evidence: a URL or a description")
    return _exit(e, category, now, _participant(by), evidence)


def expire(e: Embargo, *, at: datetime) -> Transition:
    """Record that the agreed end has been reached (the scheduler calls this)."""
    _require_phase(e, "expire", EmbargoPhase.ACTIVE, EmbargoPhase.REVISING)
    now = instant(at, "at")
    end = _end(e)
    if now < end.at:
        raise IllegalEmbargoOperation(
            f"the embargo ends at {format_instant(end.at)}, not yet",
            phase=str(e.phase),
            operation="expire",
        )
    return _exit(e, ExitCategory.END_REACHED, end.at, None, None)


def _exit(
    e: Embargo, category: ExitCategory, at: datetime, by: str | None, evidence: Evidence | None
) -> Transition:
    in_force = None if e.phase is EmbargoPhase.PROPOSED else e.end
    record = ExitRecord(category, at, by, evidence)
    state = dataclasses.replace(
        e, phase=EmbargoPhase.EXITED, end=in_force, pending_end=None, responses=(), exit=record
    )
    return Transition(state, (EmbargoExited(at, by, category, evidence, in_force),))


def is_in_force(e: Embargo, at: datetime) -> bool:
    """Whether an agreed end binds the participants at ``at`` (active or revising, before it).

    A proposal binds nobody yet; an exited embargo, or one whose end has passed but
    that has not been expired yet, binds nobody either.
    """
    now = instant(at, "at")
    if e.phase not in {EmbargoPhase.ACTIVE, EmbargoPhase.REVISING}:
        return False
    return now < _end(e).at
