"""The regime definition schema: what one YAML file in ``clocks/regimes/`` may say.

Regimes are data so that adding one (a new law, or an operator's own membership terms)
needs no code. Every file is validated with these pydantic models; unknown keys are
refused so that a typo cannot silently drop a clock. The loader (:mod:`.loader`) turns a
validation failure into a :class:`~clearinghouse.clocks.errors.RegimeError` naming the
file and the field. docs/clocks.md documents each key with examples.
"""

from __future__ import annotations

import enum
from datetime import date, time
from typing import Annotated, Any, Final, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clearinghouse.clocks.calendar import UnknownCalendarError, check_calendar_name
from clearinghouse.clocks.model import (
    EventType,
    FlagNote,
    OrgProfile,
    Role,
    SubmissionForm,
    TimeLimit,
    TimeUnit,
)

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]
FlagId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]
Text = Annotated[str, Field(min_length=1)]
Scalar = str | int | float | bool

PROPOSED_FLAG = "PROPOSED"
_PROPOSED_TEXT = (
    "This regime is proposed, not in force. Its clocks are shown for planning only and "
    "only when an operator enables it."
)


class RegimeStatus(enum.StrEnum):
    IN_FORCE = "in_force"
    PROPOSED = "proposed"


class RegimeKind(enum.StrEnum):
    LAW = "law"  # statute, regulation, directive, binding directions
    MEMBERSHIP_TERM = "membership_term"  # a platform's own terms for its partners


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Source(_Frozen):
    """Where the rule comes from; shown beside every obligation."""

    citation: Text
    url: str | None = None
    note: str = ""


class Flag(_Frozen):
    """A caveat users must see, e.g. ``calendar-vs-working-days-UNVERIFIED``."""

    id: FlagId
    explanation: Text


class BindClause(_Frozen):
    """An organisation is bound when it has one of ``roles`` and, unless
    ``jurisdictions`` is empty (= anywhere), one of ``jurisdictions``."""

    roles: tuple[Role, ...] = Field(min_length=1)
    jurisdictions: tuple[str, ...] = ()

    @field_validator("jurisdictions")
    @classmethod
    def _upper(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(j.upper() for j in value)

    def match(self, profile: OrgProfile) -> tuple[Role, str | None] | None:
        """The (role, jurisdiction) that makes ``profile`` bound, or None."""
        role = next((r for r in self.roles if r in profile.roles), None)
        if role is None:
            return None
        if not self.jurisdictions:
            return role, None
        where = next((j for j in self.jurisdictions if j in profile.jurisdictions), None)
        return (role, where) if where is not None else None


class Condition(_Frozen):
    """Matches an event of any of the types whose ``data`` has every ``where`` key equal
    to the given value (a list means any of its values). With ``own: true`` only events
    recorded for the organisation itself count, not case-wide ones (awareness is always
    someone's own: a case-wide "exploited" record must not start another party's clock
    before that party knew of the vulnerability)."""

    any_of: tuple[EventType, ...] = Field(min_length=1)
    where: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    own: bool = False

    def matches(self, event_type: EventType, data: Any, organisation: str | None = None) -> bool:
        """``organisation`` is the event's organisation (None when case-wide)."""
        if event_type not in self.any_of:
            return False
        if self.own and organisation is None:
            return False
        for key, wanted in self.where.items():
            value = data.get(key) if hasattr(data, "get") else None
            if isinstance(wanted, list):
                if value not in wanted:
                    return False
            elif value != wanted:
                return False
        return True


class Trigger(_Frozen):
    """Exactly one of ``all_of`` and ``any_of``. With ``all_of`` the regime starts for an
    organisation when every condition has a matching event, and the trigger instant is the
    latest of those earliest matches; with ``any_of`` it starts at the earliest match of
    any condition (NYDFS: an incident determination or an extortion payment)."""

    all_of: tuple[Condition, ...] = ()
    any_of: tuple[Condition, ...] = ()

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if bool(self.all_of) == bool(self.any_of):
            raise ValueError("give exactly one of all_of and any_of, with at least one condition")
        return self

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return self.all_of or self.any_of


MAX_HOURS: Final = 10 * 366 * 24
MAX_DAYS: Final = 10 * 366
MAX_BUSINESS_DAYS: Final = 10 * 261
MAX_MONTHS: Final = 10 * 12


class Duration(_Frozen):
    """Exactly one of ``hours``, ``calendar_days``, ``business_days`` (with
    ``calendar``) or ``months``. ``at_local_time`` (business days only) is the local
    cut-off on the last day. ``from_event_field`` names an anchor-event data key whose
    instant, when present, is the due instead (an authority's stated deadline)."""

    # Up to ten years each: no law gives longer, and a business-day count is walked day
    # by day (a regime file's ``business_days: 10000000`` took minutes on every board).
    hours: int | None = Field(default=None, gt=0, le=MAX_HOURS)
    calendar_days: int | None = Field(default=None, gt=0, le=MAX_DAYS)
    business_days: int | None = Field(default=None, gt=0, le=MAX_BUSINESS_DAYS)
    months: int | None = Field(default=None, gt=0, le=MAX_MONTHS)
    calendar: str | None = None
    at_local_time: time | None = None
    from_event_field: str | None = None

    @field_validator("at_local_time", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 17:30 as the sexagesimal integer 1050.
        if value is not None and not isinstance(value, str | time):
            raise ValueError('write the local time as a quoted string, e.g. "17:30"')
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        units = [
            u
            for u in ("hours", "calendar_days", "business_days", "months")
            if getattr(self, u) is not None
        ]
        if len(units) != 1:
            raise ValueError(
                "give exactly one of hours, calendar_days, business_days, months "
                f"(got {', '.join(units) or 'none'})"
            )
        if self.business_days is not None:
            if self.calendar is None:
                raise ValueError("business_days needs a named holiday calendar (calendar:)")
            try:
                check_calendar_name(self.calendar)
            except UnknownCalendarError as exc:
                raise ValueError(f"unknown holiday calendar {exc}") from exc
        elif self.calendar is not None or self.at_local_time is not None:
            raise ValueError("calendar and at_local_time apply to business_days only")
        return self

    def limit(self, zone: str | None = None) -> TimeLimit:
        """The period as fields; ``zone``: the regime's reference time zone, in which a
        business-day cut-off is read."""
        if self.hours is not None:
            return TimeLimit(self.hours, TimeUnit.HOURS)
        if self.calendar_days is not None:
            return TimeLimit(self.calendar_days, TimeUnit.CALENDAR_DAYS)
        if self.months is not None:
            return TimeLimit(self.months, TimeUnit.MONTHS)
        return TimeLimit(
            self.business_days or 0,
            TimeUnit.BUSINESS_DAYS,
            calendar=self.calendar,
            cutoff=self.at_local_time,
            zone=zone,
        )

    def describe(self) -> str:
        if self.hours is not None:
            return f"{self.hours} h"
        if self.calendar_days is not None:
            return f"{self.calendar_days} calendar day{'s' * (self.calendar_days != 1)}"
        if self.months is not None:
            return f"{self.months} month{'s' * (self.months != 1)}"
        cutoff = f" by {self.at_local_time:%H:%M} local" if self.at_local_time else ""
        return f"{self.business_days} business days ({self.calendar}){cutoff}"


class DurationVariant(_Frozen):
    """A different duration for organisations with one of ``roles`` (first match wins)."""

    roles: tuple[Role, ...] = Field(min_length=1)
    duration: Duration
    note: str = ""


class RecipientVariant(_Frozen):
    """Different recipients for organisations with one of ``roles`` (first match wins)."""

    roles: tuple[Role, ...] = Field(min_length=1)
    recipients: tuple[Text, ...] = Field(min_length=1)


class Occurrence(enum.StrEnum):
    """Which match an ``event`` or ``stage_submitted`` anchor takes."""

    FIRST = "first"  # the earliest (default)
    LATEST = "latest"  # the latest: DORA's final report runs from the latest intermediate one


class Anchor(_Frozen):
    """Exactly one of: ``trigger: true`` (the regime's trigger instant), ``event`` (a
    matching event), ``stage_submitted`` (the organisation's submission of an earlier
    stage of this regime). ``occurrence`` picks the first (default) or the latest match;
    ``form`` (``stage_submitted`` only) counts only submissions made in that form (SOCI:
    the written record runs from an *oral* report)."""

    trigger: bool = False
    event: Condition | None = None
    stage_submitted: Slug | None = None
    occurrence: Occurrence = Occurrence.FIRST
    form: SubmissionForm | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = sum([self.trigger, self.event is not None, self.stage_submitted is not None])
        if given != 1:
            raise ValueError("give exactly one of trigger: true, event:, stage_submitted:")
        if self.trigger and self.occurrence is not Occurrence.FIRST:
            raise ValueError("occurrence applies to event: and stage_submitted: anchors")
        if self.form is not None and self.stage_submitted is None:
            raise ValueError("form applies to stage_submitted: anchors only")
        return self

    def describe(self) -> str:
        latest = "latest " if self.occurrence is Occurrence.LATEST else ""
        if self.trigger:
            return "trigger"
        if self.event is not None:
            return latest + " or ".join(t.value for t in self.event.any_of)
        form = f" ({self.form.value})" if self.form is not None else ""
        return f"{latest}submission of stage {self.stage_submitted}{form}"


class Limit(_Frozen):
    """``no_later_than``: another deadline the stage must also meet; the stage is due at the
    earliest of its own and these (DORA: 4 h after classification *and no later than* 24 h
    after awareness). Unlike the stage's own anchor, a limit's anchor may precede the
    trigger: that is the point. Without ``duration`` the stage's own duration for the
    organisation (after ``duration_by_role``) applies."""

    anchor: Anchor
    duration: Duration | None = None

    @model_validator(mode="after")
    def _not_the_trigger(self) -> Self:
        if self.anchor.trigger:
            raise ValueError("a no_later_than limit anchors to an event or a submission")
        return self


class ContentField(_Frozen):
    """A field the submission must contain. ``from_facts`` lists fact keys used to
    pre-fill it when the fact named like the field is absent (or always, joined, when
    the field's own id is among them, e.g. product from [product, versions])."""

    id: Slug
    label: Text
    help: str = ""
    from_facts: tuple[str, ...] = ()
    required: bool = True


class Stage(_Frozen):
    id: Slug
    name: Text
    anchor: Anchor
    duration: Duration
    duration_by_role: tuple[DurationVariant, ...] = ()
    no_later_than: tuple[Limit, ...] = ()
    optional: bool = False
    forms: tuple[SubmissionForm, ...] = Field(default=(SubmissionForm.WRITTEN,), min_length=1)
    content: tuple[ContentField, ...] = ()
    recipients: tuple[Text, ...] = ()
    recipients_by_role: tuple[RecipientVariant, ...] = ()
    note: str = ""
    # Shown only with the stage's own ``duration``: to an organisation none of
    # ``duration_by_role`` matched (whose notes are shown with their durations).
    default_note: str = ""

    @model_validator(mode="after")
    def _unique_fields(self) -> Self:
        ids = [f.id for f in self.content]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate content field id(s): {', '.join(dupes)}")
        return self

    def duration_for(self, profile: OrgProfile) -> tuple[Duration, str]:
        """The duration for this organisation and a note when a role variant applied."""
        for variant in self.duration_by_role:
            if any(r in profile.roles for r in variant.roles):
                return variant.duration, variant.note
        return self.duration, ""

    def notes_for(self, profile: OrgProfile) -> tuple[str, ...]:
        """The stage's notes for this organisation: ``note``, and ``default_note`` when no
        role variant of the duration applies to it."""
        default = not any(
            r in profile.roles for variant in self.duration_by_role for r in variant.roles
        )
        return tuple(n for n in (self.note, self.default_note if default else "") if n)

    def recipients_for(self, profile: OrgProfile) -> tuple[str, ...]:
        """The recipients for this organisation (the first role variant that matches)."""
        for variant in self.recipients_by_role:
            if any(r in profile.roles for r in variant.roles):
                return variant.recipients
        return self.recipients


class SharingRestriction(_Frozen):
    """A rule that sharing unpublished information abroad may break (warn, never block).

    The sharer is subject to it when it matches ``binds`` (or, when empty, the regime's
    ``binds``). A recipient with any of ``domestic_jurisdictions`` is domestic."""

    id: Slug
    citation: Text
    message: Text
    binds: tuple[BindClause, ...] = ()
    domestic_jurisdictions: tuple[str, ...] = Field(min_length=1)
    unpublished_only: bool = True
    exempt_product_provider: bool = True
    conflicts_with: tuple[Slug, ...] = ()


class Level(_Frozen):
    id: Slug
    label: Text


class Classification(_Frozen):
    """A classification the organisation records itself (``incident_classified`` events
    with ``data.scheme`` and ``data.level``): the CAC's four levels, DORA's "major", SOCI's
    significant or relevant impact. A reclassification is a correction (``supersedes``)."""

    scheme: Slug
    title: Text
    levels: tuple[Level, ...] = Field(min_length=1)

    def level_ids(self) -> frozenset[str]:
        return frozenset(level.id for level in self.levels)


class Displacement(_Frozen):
    """This regime displaces ``regime`` for an organisation it binds (through one of
    ``roles``, when given): the displaced regime's stages are ``not_applicable`` with
    ``displaced_by`` set (NIS2 Art. 4: DORA's reporting replaces NIS2's for financial
    entities)."""

    regime: Slug
    roles: tuple[Role, ...] = ()
    citation: Text
    note: str = ""


class Regime(_Frozen):
    id: Slug
    title: Text
    jurisdiction: Text
    kind: RegimeKind = RegimeKind.LAW
    sources: tuple[Source, ...] = Field(min_length=1)
    effective_from: date
    effective_until: date | None = None
    status: RegimeStatus
    enabled_by_default: bool
    reference_time_zone: str | None = None
    flags: tuple[Flag, ...] = ()
    binds: tuple[BindClause, ...] = Field(min_length=1)
    trigger: Trigger
    stages: tuple[Stage, ...] = Field(min_length=1)
    sharing_restrictions: tuple[SharingRestriction, ...] = ()
    classifications: tuple[Classification, ...] = ()
    displaces: tuple[Displacement, ...] = ()
    notes: str = ""

    @field_validator("reference_time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise ValueError("effective_until must be after effective_from")
        seen: list[str] = []
        for stage in self.stages:
            if stage.id in seen:
                raise ValueError(f"duplicate stage id {stage.id!r}")
            ref = stage.anchor.stage_submitted
            if ref is not None and ref not in seen:
                raise ValueError(
                    f"stage {stage.id!r} anchors to the submission of {ref!r}, which is not "
                    "an earlier stage of this regime"
                )
            seen.append(stage.id)
        flag_ids = [f.id for f in self.flags]
        if len(set(flag_ids)) != len(flag_ids):
            raise ValueError("duplicate flag id")
        if any(d.regime == self.id for d in self.displaces):
            raise ValueError("a regime cannot displace itself")
        for condition in self.conditions():
            check_classification_condition(condition, self.classifications)
        return self

    def conditions(self) -> list[Condition]:
        """Every event condition of the trigger and the stages (for consistency checks)."""
        found = list(self.trigger.conditions)
        for stage in self.stages:
            anchors = [stage.anchor, *(limit.anchor for limit in stage.no_later_than)]
            found += [a.event for a in anchors if a.event is not None]
        return found

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    def classification(self, scheme: str) -> Classification | None:
        return next((c for c in self.classifications if c.scheme == scheme), None)

    def flag_notes(self) -> tuple[FlagNote, ...]:
        """Flags to carry onto obligations; a proposed regime always shows PROPOSED."""
        notes = [FlagNote(f.id, f.explanation) for f in self.flags]
        if self.status is RegimeStatus.PROPOSED and all(f.id != PROPOSED_FLAG for f in self.flags):
            notes.insert(0, FlagNote(PROPOSED_FLAG, _PROPOSED_TEXT))
        return tuple(notes)


def check_classification_condition(
    condition: Condition, classifications: tuple[Classification, ...]
) -> None:
    """A condition on ``incident_classified`` must name its scheme and levels (a bare one
    would start the clock on any scheme's classification), and a scheme this regime
    declares must be matched with levels it declares."""
    if EventType.INCIDENT_CLASSIFIED not in condition.any_of:
        return
    scheme, level = condition.where.get("scheme"), condition.where.get("level")
    if not isinstance(scheme, str) or level is None:
        raise ValueError(
            "a condition on incident_classified names where.scheme and where.level "
            "(the classification that starts the clock)"
        )
    declared = next((c for c in classifications if c.scheme == scheme), None)
    if declared is None:
        return
    wanted = level if isinstance(level, list) else [level]
    unknown = sorted(str(v) for v in wanted if v not in declared.level_ids())
    if unknown:
        raise ValueError(
            f"level(s) {', '.join(unknown)} are not levels of classification {scheme!r}"
        )
