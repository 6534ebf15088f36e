"""Value types of the clocks: events, who is bound, obligations and alert thresholds.

The design rule (docs/clocks.md): a clock is anchored to a *recorded event*, never to
"now". Events are append-only; a correction is a new event that ``supersedes`` an older
one, and obligations are always re-derived from the effective set of events. Every
instant is aware and in UTC (:func:`clearinghouse.timeutil.ensure_utc`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from clearinghouse.clocks.errors import EventError
from clearinghouse.timeutil import NaiveDatetimeError, ensure_utc, format_instant


class EventType(enum.StrEnum):
    """What happened. Closed set: a regime file may only anchor to these."""

    AWARE = "aware"  # the organisation discovers or learns of a vulnerability
    EXPLOITATION_KNOWN = "exploitation_known"  # the vulnerability is actively exploited
    FIX_AVAILABLE = "fix_available"  # a corrective or mitigating measure is available
    MATERIALITY_DETERMINED = "materiality_determined"  # an incident is judged material (SEC)
    INCIDENT_NOTICED = "incident_noticed"  # the organisation discovers or learns of an incident
    SEVERE_INCIDENT_AWARE = "severe_incident_aware"  # CRA Art. 14(3)
    SIGNIFICANT_INCIDENT_AWARE = "significant_incident_aware"  # NIS2 Art. 23
    COVERED_INCIDENT_AWARE = "covered_incident_aware"  # CIRCIA: reasonable belief
    RANSOM_PAID = "ransom_paid"  # a ransom (extortion) payment was made (CIRCIA, NYDFS)
    INCIDENT_CLASSIFIED = "incident_classified"  # data: scheme, level (the organisation's call)
    REPORT_SUBMITTED = "report_submitted"  # data: regime, stage, reference, recipient
    REPORT_REQUESTED = "report_requested"  # an authority asks for a report (data: regime, stage)
    PUBLIC_DISCLOSURE = "public_disclosure"  # the vulnerability is published
    HANDLING_CONCLUDED = "handling_concluded"  # incident handling ends (NIS2 progress path)
    WITHDRAWN = "withdrawn"  # retracts the event it supersedes without replacing it


class Role(enum.StrEnum):
    """What an organisation is, for the purpose of being bound by a regime."""

    MANUFACTURER = "manufacturer"  # CRA
    PRODUCT_PROVIDER = "product_provider"  # cn-miit-2021 "network product provider"
    ESSENTIAL_ENTITY = "essential_entity"  # NIS2
    IMPORTANT_ENTITY = "important_entity"  # NIS2
    TRUST_SERVICE_PROVIDER = "trust_service_provider"  # NIS2 Art. 23(4), 24 h
    SEC_REGISTRANT = "sec_registrant"  # files Form 8-K
    SERVICE_PROVIDER = "service_provider"  # CERT-In directions
    COVERED_ENTITY = "covered_entity"  # CIRCIA
    PLATFORM_PARTNER = "platform_partner"  # an operator's own membership terms
    CII_OPERATOR = "cii_operator"  # cn-cac-2025-incident: critical information infrastructure
    STATE_ORGAN_UNIT = "state_organ_unit"  # cn-cac-2025-incident: central and state organ units
    NETWORK_OPERATOR = "network_operator"  # cn-cac-2025-incident: any other network operator
    FINANCIAL_ENTITY = "financial_entity"  # DORA Art. 2
    CONTROLLER = "controller"  # GDPR Art. 4(7)
    RESPONSIBLE_ENTITY = "responsible_entity"  # SOCI Act: of a critical infrastructure asset
    NYDFS_COVERED_ENTITY = "nydfs_covered_entity"  # 23 NYCRR 500.1 (not CIRCIA's covered_entity)
    OPERATOR_OF_ESSENTIAL_SERVICE = "operator_of_essential_service"  # UK NIS Regulations 2018


class SubmissionForm(enum.StrEnum):
    """How a report was made (``report_submitted`` ``data.form``; written when absent).
    SOCI accepts an oral report first and asks for the written record later."""

    WRITTEN = "written"
    ORAL = "oral"


# Event types whose data must name something, and what those keys mean.
_REQUIRED_DATA: dict[EventType, tuple[tuple[str, ...], str]] = {
    EventType.REPORT_SUBMITTED: (("regime", "stage"), "(the regime id and stage id it settles)"),
    EventType.INCIDENT_CLASSIFIED: (
        ("scheme", "level"),
        "(the classification scheme and the level the organisation decided)",
    ),
}


def _utc(value: datetime, what: str) -> datetime:
    try:
        return ensure_utc(value)
    except NaiveDatetimeError as exc:
        raise EventError(f"{what} must be an aware instant: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded fact. ``organisation`` is the organisation it concerns, or ``None``
    for a case-wide fact (which then concerns every party to the subject).

    ``occurred_at`` is when it happened (the clocks run from it); ``recorded_at`` when
    the platform learned it (kept to show who knew what and since when).
    """

    id: str
    type: EventType
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    organisation: str | None
    subject: str
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)
    supersedes: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise EventError("an event needs a non-empty id")
        if not self.subject:
            raise EventError(f"event {self.id}: subject (case or incident id) is empty")
        try:
            kind = EventType(self.type)
        except ValueError as exc:
            raise EventError(f"event {self.id}: unknown event type {self.type!r}") from exc
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "occurred_at", _utc(self.occurred_at, f"{self.id}.occurred_at"))
        object.__setattr__(self, "recorded_at", _utc(self.recorded_at, f"{self.id}.recorded_at"))
        if self.supersedes == self.id:
            raise EventError(f"event {self.id} supersedes itself")
        required = _REQUIRED_DATA.get(kind)
        if required is not None:
            keys, meaning = required
            for key in keys:
                if not isinstance(self.data.get(key), str) or not self.data.get(key):
                    raise EventError(
                        f"event {self.id}: a {kind.value} event needs data.{key} {meaning}"
                    )
        form = self.data.get("form") if kind is EventType.REPORT_SUBMITTED else None
        if form is not None and form not in SubmissionForm._value2member_map_:
            forms = ", ".join(f.value for f in SubmissionForm)
            raise EventError(f"event {self.id}: data.form must be one of {forms}")
        if kind is EventType.WITHDRAWN and self.supersedes is None:
            raise EventError(f"event {self.id}: a withdrawn event must name what it supersedes")

    @property
    def submission_form(self) -> SubmissionForm:
        """The form of a ``report_submitted`` event: written unless ``data.form`` says oral."""
        return SubmissionForm(self.data.get("form") or SubmissionForm.WRITTEN)

    def concerns(self, organisation: str) -> bool:
        """Whether this fact applies to ``organisation`` (its own, or case-wide)."""
        return self.organisation is None or self.organisation == organisation

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type.value,
            "occurred_at": format_instant(self.occurred_at, micro=True),
            "recorded_at": format_instant(self.recorded_at, micro=True),
            "recorded_by": self.recorded_by,
            "organisation": self.organisation,
            "subject": self.subject,
            "data": dict(self.data),
            "supersedes": self.supersedes,
        }


@dataclass(frozen=True, slots=True)
class OrgProfile:
    """Who an organisation is: ISO 3166 country codes (plus ``EU``) and roles."""

    id: str
    name: str
    jurisdictions: frozenset[str]
    roles: frozenset[Role]

    def __init__(
        self, id: str, name: str, jurisdictions: Iterable[str], roles: Iterable[Role | str]
    ) -> None:
        if not id:
            raise EventError("an organisation profile needs a non-empty id")
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "jurisdictions", frozenset(j.upper() for j in jurisdictions))
        try:
            object.__setattr__(self, "roles", frozenset(Role(r) for r in roles))
        except ValueError as exc:
            raise EventError(f"organisation {id}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Binding:
    """An operator's per-subject decision that a regime does (or does not) bind an
    organisation, with the reason shown to users. ``subject=None`` applies to every
    subject of that organisation. ``applies=True`` also enables a regime that is
    disabled by default (e.g. ``us-circia``) for that organisation."""

    org: str
    subject: str | None
    regime: str
    applies: bool
    reason: str


class ObligationStatus(enum.StrEnum):
    PENDING = "pending"
    DUE_SOON = "due_soon"
    MET = "met"
    MET_LATE = "met_late"
    MISSED = "missed"
    NOT_APPLICABLE = "not_applicable"
    WAITING = "waiting"  # the stage's anchor event has not been recorded yet


class BasisKind(enum.StrEnum):
    ROLE_JURISDICTION = "role_jurisdiction"
    OVERRIDE = "override"


@dataclass(frozen=True, slots=True)
class Basis:
    """Why an organisation is (or is not) bound: a matched role and jurisdiction of its
    profile, or an operator's override (``applies``, with the operator's own words in
    ``override_reason``). ``reason`` is the same in English for the JSON; pages word the
    fields in the reader's language."""

    kind: BasisKind
    reason: str
    role: Role | None = None
    jurisdiction: str | None = None
    applies: bool | None = None
    override_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "reason": self.reason,
            "role": self.role.value if self.role else None,
            "jurisdiction": self.jurisdiction,
        }


class TimeUnit(enum.StrEnum):
    """The unit a regime counts a stage's period in."""

    HOURS = "hours"  # elapsed hours
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"  # over a named holiday calendar
    MONTHS = "months"


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """A stage's period as fields: ``amount`` of ``unit``; for business days the holiday
    ``calendar`` and the ``cutoff`` local time on the last day (in the regime's reference
    ``zone``; UTC when it names none). ``Obligation.duration`` is the same in English for
    the JSON; pages word these fields in the reader's language."""

    amount: int
    unit: TimeUnit
    calendar: str | None = None
    cutoff: time | None = None
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class FlagNote:
    """A regime flag carried onto an obligation (e.g. UNVERIFIED, PROPOSED)."""

    id: str
    explanation: str


@dataclass(frozen=True, slots=True)
class Remark:
    """One sentence of an obligation's note as fields. ``text`` is its English with
    ``%(name)s`` placeholders, a message of the pages' catalogue; ``values`` fill them: a
    text, an instant, an anchor or a duration of the regime, or more remarks (joined with
    "; "). A regime's own sentence (a stage's or a role's note, a displacing rule's) has
    ``regime=True`` and is its text as written. ``Obligation.note`` is the English of the
    remarks for the JSON; pages word them in the reader's language."""

    text: str
    values: Mapping[str, object] = field(default_factory=dict, hash=False)
    regime: bool = False

    def english(self) -> str:
        """The sentence in English, as ``Obligation.note`` keeps it."""
        if self.regime:
            return self.text
        return self.text % {key: _english(value) for key, value in self.values.items()}


def _english(value: object) -> str:
    if isinstance(value, Remark):
        return value.english()
    if isinstance(value, tuple):
        return "; ".join(_english(v) for v in value)
    if isinstance(value, datetime):
        return f"{ensure_utc(value):%Y-%m-%d %H:%M} UTC"
    describe = getattr(value, "describe", None)  # a regime's Anchor or Duration
    return str(describe()) if callable(describe) else str(value)


@dataclass(frozen=True, slots=True)
class Deadline:
    """One candidate due instant of a stage that is due at the *earlier* of several
    (DORA: 4 h after classification, and no later than 24 h after awareness).
    ``governs`` marks the one that sets the obligation's due."""

    label: str  # e.g. "4 h after trigger", "24 h after aware"
    anchor_event: str
    anchor_at: datetime
    duration: str
    due: datetime
    governs: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "anchor_event": self.anchor_event,
            "anchor_at": format_instant(self.anchor_at),
            "duration": self.duration,
            "due": format_instant(self.due),
            "governs": self.governs,
        }


@dataclass(frozen=True, slots=True)
class Obligation:
    """One stage of one regime for one organisation on one subject, at an instant."""

    organisation: str
    subject: str
    regime: str
    regime_title: str
    stage: str
    stage_name: str
    status: ObligationStatus
    due: datetime | None
    anchor_event: str | None
    anchor_at: datetime | None
    trigger_event: str | None
    basis: Basis
    # Why the anchor event exists, when it says (``data.source`` of the event: e.g. an
    # exposure match, ``{"kind": "exposure_match", "advisory": ...}``).
    anchor_source: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)
    flags: tuple[FlagNote, ...] = ()
    met_by: str | None = None
    submitted_at: datetime | None = None
    recipients: tuple[str, ...] = ()
    optional: bool = False
    duration: str = ""
    note: str = ""
    forms: tuple[SubmissionForm, ...] = (SubmissionForm.WRITTEN,)  # accepted report forms
    deadlines: tuple[Deadline, ...] = ()  # the candidates when the earliest of several counts
    displaced_by: str | None = None  # the regime that displaces this one for the organisation
    # ``duration`` as fields (not in the JSON, which keeps ``duration``).
    time_limit: TimeLimit | None = field(default=None, compare=False)
    # ``note`` as fields (not in the JSON, which keeps ``note``).
    remarks: tuple[Remark, ...] = field(default=(), compare=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The identity of this obligation across re-evaluations."""
        return (self.organisation, self.subject, self.regime, self.stage)

    @property
    def open(self) -> bool:
        """Still owed: pending, due soon or missed (missed reports are still owed)."""
        return self.status in {
            ObligationStatus.PENDING,
            ObligationStatus.DUE_SOON,
            ObligationStatus.MISSED,
        }

    def to_json(self) -> dict[str, Any]:
        def instant(value: datetime | None) -> str | None:
            return format_instant(value) if value is not None else None

        out: dict[str, Any] = {
            "organisation": self.organisation,
            "subject": self.subject,
            "regime": self.regime,
            "regime_title": self.regime_title,
            "stage": self.stage,
            "stage_name": self.stage_name,
            "status": self.status.value,
            "due": instant(self.due),
            "duration": self.duration,
            "anchor_event": self.anchor_event,
            "anchor_at": instant(self.anchor_at),
            "trigger_event": self.trigger_event,
            "basis": self.basis.to_json(),
            "flags": [{"id": f.id, "explanation": f.explanation} for f in self.flags],
            "met_by": self.met_by,
            "submitted_at": instant(self.submitted_at),
            "recipients": list(self.recipients),
            "optional": self.optional,
            "note": self.note,
            "forms": [f.value for f in self.forms],
            "deadlines": [d.to_json() for d in self.deadlines],
            "displaced_by": self.displaced_by,
        }
        if self.anchor_source:  # only where the anchor event says why it exists
            out["anchor_source"] = dict(self.anchor_source)
        return out


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When to warn: at these fractions of the window elapsed, and this long before the
    due instant. ``missed`` is always alerted. Defaults: 50 %, 80 %, 2 h."""

    fractions: tuple[float, ...] = (0.5, 0.8)
    before_due: tuple[timedelta, ...] = (timedelta(hours=2),)

    def __post_init__(self) -> None:
        for fraction in self.fractions:
            if not 0 < fraction < 1:
                raise EventError(f"alert fraction {fraction} must be between 0 and 1 exclusive")
        for delta in self.before_due:
            if delta <= timedelta(0):
                raise EventError(f"alert lead time {delta} must be positive")
        object.__setattr__(self, "fractions", tuple(sorted(set(self.fractions))))
        object.__setattr__(self, "before_due", tuple(sorted(set(self.before_due), reverse=True)))


DEFAULT_THRESHOLDS = Thresholds()
