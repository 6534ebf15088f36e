"""An obligation's basis, period, alerts and note in the reader's words.

The clocks give these as fields (:class:`~clearinghouse.clocks.model.Basis`,
:class:`~clearinghouse.clocks.model.TimeLimit`, :class:`~clearinghouse.clocks.alerts.Alert`)
and keep an English sentence of each for the JSON (``basis.reason``, ``duration``,
``threshold``). Pages never show those sentences: they word the fields here, through the
catalogues, with plural forms where a count appears. Countries are named from CLDR (Babel),
identifiers (regime ids, IANA zone names) are not translated. A regime file's own texts
(titles, names, recipients) are messages of the catalogue too: templates show them through
the ``regime_text`` filter. A note is worded from its remarks (``Obligation.remarks``):
the regime's sentences translated, the clock's own remarks through the catalogue, their
anchors, periods and instants as the other fields are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from babel.dates import format_date
from babel.numbers import format_percent

from clearinghouse.clocks.alerts import Alert, AlertKind
from clearinghouse.clocks.messages import translated
from clearinghouse.clocks.model import (
    Basis,
    BasisKind,
    Obligation,
    Remark,
    Role,
    SubmissionForm,
    TimeLimit,
    TimeUnit,
)
from clearinghouse.clocks.schema import Anchor, Duration, Occurrence, Regime, Stage
from clearinghouse.reading import instant_text
from clearinghouse.web import display
from clearinghouse.web.forms import N_
from clearinghouse.web.viewer import Viewer

ROLES: Final = {
    Role.MANUFACTURER: N_("manufacturer"),
    Role.PRODUCT_PROVIDER: N_("network product provider"),
    Role.ESSENTIAL_ENTITY: N_("essential entity"),
    Role.IMPORTANT_ENTITY: N_("important entity"),
    Role.TRUST_SERVICE_PROVIDER: N_("trust service provider"),
    Role.SEC_REGISTRANT: N_("SEC registrant"),
    Role.SERVICE_PROVIDER: N_("service provider"),
    Role.COVERED_ENTITY: N_("covered entity (CIRCIA)"),
    Role.PLATFORM_PARTNER: N_("platform partner"),
    Role.CII_OPERATOR: N_("critical information infrastructure operator"),
    Role.STATE_ORGAN_UNIT: N_("central or state organ unit"),
    Role.NETWORK_OPERATOR: N_("network operator"),
    Role.FINANCIAL_ENTITY: N_("financial entity"),
    Role.CONTROLLER: N_("data controller"),
    Role.RESPONSIBLE_ENTITY: N_("responsible entity (SOCI Act)"),
    Role.NYDFS_COVERED_ENTITY: N_("covered entity (NYDFS)"),
    Role.OPERATOR_OF_ESSENTIAL_SERVICE: N_("operator of an essential service"),
}

# The holiday calendars of clocks/calendar.py with fixed names (weekends are skipped in
# every one); the others are named by their market or country.
WEEKENDS_ONLY: Final = "weekends-only"
CALENDARS: Final = {
    "US-federal": N_("US federal holidays"),
    "US-federal-with-closures": N_("US federal holidays and closures"),
}
PERCENT: Final = "#,##0.##%"
FORMS: Final = {SubmissionForm.WRITTEN: N_("written"), SubmissionForm.ORAL: N_("oral")}


@dataclass(frozen=True)
class ObligationWords:
    """What a template calls to word an obligation's fields for ``viewer``; ``regimes``
    (by id) give the regime texts inside a note."""

    viewer: Viewer
    regimes: Mapping[str, Regime] = field(default_factory=dict)

    def role(self, role: Role) -> str:
        return self.viewer.gettext(ROLES[role])

    def place(self, code: str) -> str:
        """A jurisdiction (ISO 3166 code or ``EU``) by its name in the reader's language."""
        return str(self.viewer.locale.territories.get(code.upper(), code))

    def basis(self, basis: Basis) -> str:
        _ = self.viewer.gettext
        match basis.kind:
            case BasisKind.OVERRIDE:
                reason = basis.override_reason or ""
                if basis.applies:
                    if reason:
                        return _("regime override: applies (%(reason)s)", reason=reason)
                    return _("regime override: applies")
                if reason:
                    return _("regime override: does not apply (%(reason)s)", reason=reason)
                return _("regime override: does not apply")
            case BasisKind.ROLE_JURISDICTION:
                role = self.role(basis.role) if basis.role is not None else ""
                if basis.jurisdiction:
                    return _(
                        "%(role)s in %(place)s", role=role, place=self.place(basis.jurisdiction)
                    )
                return role

    def calendar(self, name: str) -> str:
        """The holidays a business-day calendar skips besides weekends."""
        _ = self.viewer.gettext
        if name in CALENDARS:
            return _(CALENDARS[name])
        kind, _sep, rest = name.partition(":")
        if kind == "financial" and rest:
            return _("%(market)s trading holidays", market=rest)
        if kind == "holidays" and rest:
            country, _sep, region = rest.partition("-")
            place = self.place(country)
            if region:
                place = _("%(country)s (%(region)s)", country=place, region=region)
            return _("public holidays of %(place)s", place=place)
        return name

    def time_limit(self, limit: TimeLimit) -> str:
        """``48 hours``, ``14 calendar days``, ``1 month``, ``4 business days (weekends
        and US federal holidays skipped), by 17:30 America/New_York time on the last
        day``."""
        ngettext = self.viewer.translations.ngettext
        n = limit.amount
        number = display.number(n, self.viewer.locale)
        match limit.unit:
            case TimeUnit.HOURS:
                return ngettext("%(num)s hour", "%(num)s hours", n) % {"num": number}
            case TimeUnit.CALENDAR_DAYS:
                text = ngettext("%(num)s calendar day", "%(num)s calendar days", n)
                return text % {"num": number}
            case TimeUnit.MONTHS:
                return ngettext("%(num)s month", "%(num)s months", n) % {"num": number}
            case TimeUnit.BUSINESS_DAYS:
                if limit.calendar in (None, WEEKENDS_ONLY):
                    text = ngettext(
                        "%(num)s business day (weekends skipped)",
                        "%(num)s business days (weekends skipped)",
                        n,
                    )
                else:
                    text = ngettext(
                        "%(num)s business day (weekends and %(calendar)s skipped)",
                        "%(num)s business days (weekends and %(calendar)s skipped)",
                        n,
                    )
                days = text % {"num": number, "calendar": self.calendar(limit.calendar or "")}
                if limit.cutoff is None:
                    return days
                return self.viewer.gettext(
                    "%(days)s, by %(time)s %(zone)s time on the last day",
                    days=days,
                    time=f"{limit.cutoff:%H:%M}",
                    zone=limit.zone or display.UTC_NAME,
                )

    def alert(self, alert: Alert) -> str:
        """Which threshold an alert marks: a share of the window, a time before the
        deadline, or the deadline passed."""
        _ = self.viewer.gettext
        locale = self.viewer.locale
        match alert.kind:
            case AlertKind.FRACTION if alert.fraction is not None:
                share = format_percent(alert.fraction, format=PERCENT, locale=locale)
                return _("%(share)s of the time allowed had passed", share=share)
            case AlertKind.BEFORE_DUE if alert.lead is not None:
                left = display.duration(alert.lead, locale)
                return _("%(left)s before the deadline", left=left)
            case AlertKind.MISSED:
                return _("the deadline passed")
            case _:
                return alert.threshold

    def note(self, obligation: Obligation) -> str:
        """The obligation's note in the reader's language: each of its remarks (the
        clock's own, and the regime's sentences) worded here. An obligation without
        remarks (read back from JSON) has its note with the regime's sentences in it
        translated, the rest as the engine wrote it."""
        if obligation.remarks:
            regime = self.regimes.get(obligation.regime)
            return " ".join(self.remark(r, regime) for r in obligation.remarks)
        text = obligation.note
        for piece in sorted(self._regime_sentences(obligation), key=len, reverse=True):
            text = text.replace(piece, translated(self.viewer.translations.gettext, piece))
        return text

    def remark(self, remark: Remark, regime: Regime | None = None) -> str:
        """One sentence of a note (:class:`~clearinghouse.clocks.model.Remark`)."""
        if remark.regime:
            return translated(self.viewer.translations.gettext, remark.text)
        values = {key: self._value(value, regime) for key, value in remark.values.items()}
        return self.viewer.translations.gettext(remark.text) % values

    def _value(self, value: object, regime: Regime | None) -> str:
        match value:
            case Remark():
                return self.remark(value, regime)
            case tuple():
                return self.viewer.gettext("; ").join(self._value(v, regime) for v in value)
            case Anchor():
                return self.anchor(value, regime)
            case Duration():
                zone = regime.reference_time_zone if regime is not None else None
                return self.time_limit(value.limit(zone))
            case datetime():
                return instant_text(value, self.viewer.zone, self.viewer.locale)
            case date():
                return format_date(value, format="medium", locale=self.viewer.locale)
            case _:
                return str(value)

    def anchor(self, anchor: Anchor, regime: Regime | None = None) -> str:
        """What a stage or a limit runs from: the trigger, an event (its type, an
        identifier), or the submission of an earlier stage (by its name)."""
        _ = self.viewer.gettext
        if anchor.trigger:
            return _("the trigger")
        latest = anchor.occurrence is Occurrence.LATEST
        if anchor.event is not None:
            events = _(" or ").join(t.value for t in anchor.event.any_of)
            return _("the latest %(events)s", events=events) if latest else events
        stage = anchor.stage_submitted or ""
        found = _stage(regime, stage)
        if found is not None:
            stage = translated(self.viewer.translations.gettext, found.name)
        if anchor.form is not None:
            form = _(FORMS[anchor.form])
            if latest:
                return _("the latest %(form)s submission of “%(stage)s”", form=form, stage=stage)
            return _("the %(form)s submission of “%(stage)s”", form=form, stage=stage)
        if latest:
            return _("the latest submission of “%(stage)s”", stage=stage)
        return _("the submission of “%(stage)s”", stage=stage)

    def _regime_sentences(self, obligation: Obligation) -> set[str]:
        found: set[str] = set()
        stage = _stage(self.regimes.get(obligation.regime), obligation.stage)
        if stage is not None:
            found |= {stage.note, stage.default_note}
            found |= {v.note for v in stage.duration_by_role}
        displacer = self.regimes.get(obligation.displaced_by or "")
        for rule in displacer.displaces if displacer is not None else ():
            if rule.regime == obligation.regime:
                found |= {rule.citation, rule.note}
        return found - {""}


def _stage(regime: Regime | None, stage_id: str) -> Stage | None:
    """The regime's stage ``stage_id`` (None: no such regime or stage)."""
    if regime is None:
        return None
    try:
        return regime.stage(stage_id)
    except KeyError:
        return None
