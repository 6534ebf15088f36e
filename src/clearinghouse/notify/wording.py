"""The words of notices, per message kind, from their parameters.

A notice is stored with its kind and its parameters (ids, names, instants in ISO UTC): a
:class:`Message` knows both, and words itself for a :class:`~.reader.Reader` when it is
shown (a page, in the viewer's language and zone) or sent (an e-mail, in the recipient's).
The English wording in UTC is stored beside the parameters (``subject``, ``body``) for the
API and for anything that reads the stored text.

Notices recorded without parameters (by callers that pass only text) are shown as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final, Protocol

from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.reader import Reader
from clearinghouse.timeutil import format_instant, parse_instant
from clearinghouse.vocab import Language

MISSED: Final = "missed"
DUE_SOON: Final = "due_soon"
# How the clock engine words an override's basis (clocks/engine.py); an alert is only sent
# while the regime applies.
OVERRIDE_PREFIX: Final = "override: applies: "


def N_(message: str) -> str:  # noqa: N802 (the name gettext's extractor looks for)
    """Marks a message for the catalogue; translated where it is worded."""
    return message


# The regulatory roles (clocks.model.Role values) in words: the same messages the
# obligation pages use (web/obligation_words.py), so one role has one translation.
ROLES: Final = {
    "manufacturer": N_("manufacturer"),
    "product_provider": N_("network product provider"),
    "essential_entity": N_("essential entity"),
    "important_entity": N_("important entity"),
    "trust_service_provider": N_("trust service provider"),
    "sec_registrant": N_("SEC registrant"),
    "service_provider": N_("service provider"),
    "covered_entity": N_("covered entity (CIRCIA)"),
    "platform_partner": N_("platform partner"),
    "cii_operator": N_("critical information infrastructure operator"),
    "state_organ_unit": N_("central or state organ unit"),
    "network_operator": N_("network operator"),
    "financial_entity": N_("financial entity"),
    "controller": N_("data controller"),
    "responsible_entity": N_("responsible entity (SOCI Act)"),
    "nydfs_covered_entity": N_("covered entity (NYDFS)"),
    "operator_of_essential_service": N_("operator of an essential service"),
}


@dataclass(frozen=True, slots=True)
class Text:
    """A notice worded: its subject and body, and the language they are in."""

    subject: str
    body: str
    language: Language


class Message(Protocol):
    """A notice's kind and parameters, and how it is worded."""

    @property
    def kind(self) -> MessageKind: ...

    def params(self) -> dict[str, Any]:
        """JSON: what the notice says, without words."""
        ...

    def word(self, reader: Reader) -> Text: ...


def _text(reader: Reader, subject: str, lines: list[str]) -> Text:
    return Text(subject, "\n".join(lines), reader.language)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError("a list of strings is expected")
    return tuple(str(v) for v in value)


# ---- clocks: an obligation due soon or missed --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Basis:
    """Why the organisation is bound (as ``clocks.model.Basis`` says it)."""

    kind: str  # "role_jurisdiction" or "override"
    reason: str
    role: str | None = None
    jurisdiction: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "role": self.role,
            "jurisdiction": self.jurisdiction,
        }

    @classmethod
    def from_json(cls, value: Any) -> Basis:
        if isinstance(value, str):  # an alert queued before the basis was structured
            return cls(kind="", reason=value)
        if not isinstance(value, Mapping):
            raise TypeError("the basis is an object")
        role, where = value.get("role"), value.get("jurisdiction")
        return cls(
            kind=str(value.get("kind") or ""),
            reason=str(value.get("reason") or ""),
            role=str(role) if role else None,
            jurisdiction=str(where) if where else None,
        )

    def word(self, reader: Reader) -> str:
        """As the obligation pages word a basis: the role by name, the jurisdiction by
        its CLDR name; an override with the operator's own words."""
        if self.kind == "role_jurisdiction" and self.role:
            role = reader.gettext(ROLES[self.role]) if self.role in ROLES else self.role
            if self.jurisdiction:
                return reader.gettext(
                    "%(role)s in %(place)s", role=role, place=reader.place(self.jurisdiction)
                )
            return role
        if self.kind == "override":
            reason = self.reason.removeprefix(OVERRIDE_PREFIX)
            if reason:
                return reader.gettext("regime override: applies (%(reason)s)", reason=reason)
            return reader.gettext("regime override: applies")
        return self.reason


@dataclass(frozen=True, slots=True)
class ClockAlert:
    """An obligation of an organisation is due soon (a threshold passed) or was missed."""

    kind: ClassVar[MessageKind] = MessageKind.CLOCK_ALERT

    missed: bool
    threshold: str  # "50%", "2h", "missed"
    organisation: str
    organisation_slug: str
    regime: str
    regime_title: str
    stage: str
    stage_name: str
    subject: str  # the case or incident id
    due: datetime
    basis: Basis
    flags: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        return {
            "alert": MISSED if self.missed else DUE_SOON,
            "threshold": self.threshold,
            "organisation": self.organisation,
            "organisation_slug": self.organisation_slug,
            "regime": self.regime,
            "regime_title": self.regime_title,
            "stage": self.stage,
            "stage_name": self.stage_name,
            "subject": self.subject,
            "due": format_instant(self.due),
            "basis": self.basis.to_json(),
            "flags": list(self.flags),
        }

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> ClockAlert:
        if p["alert"] not in (MISSED, DUE_SOON):
            raise ValueError(f"not an alert kind: {p['alert']!r}")
        return cls(
            missed=p["alert"] == MISSED,
            threshold=str(p["threshold"]),
            organisation=str(p["organisation"]),
            organisation_slug=str(p["organisation_slug"]),
            regime=str(p["regime"]),
            regime_title=str(p["regime_title"]),
            stage=str(p["stage"]),
            stage_name=str(p["stage_name"]),
            subject=str(p["subject"]),
            due=parse_instant(str(p["due"])),
            basis=Basis.from_json(p["basis"]),
            flags=_strings(p.get("flags", [])),
        )

    def word(self, r: Reader) -> Text:
        values = {
            "regime": self.regime_title,
            "stage": self.stage_name,
            "subject": self.subject,
            "due": r.instant(self.due),
        }
        if self.missed:
            subject = r.gettext(
                "MISSED: %(regime)s: %(stage)s for %(subject)s was due %(due)s", **values
            )
        else:
            subject = r.gettext(
                "Due soon (%(threshold)s): %(regime)s: %(stage)s for %(subject)s is due %(due)s",
                threshold=r.lead(self.threshold),
                **values,
            )
        lines = [
            r.gettext("Organisation: %(organisation)s", organisation=self.organisation),
            r.gettext("Regime: %(regime)s", regime=self.regime_title),
            r.gettext("Stage: %(stage)s", stage=self.stage_name),
            r.gettext("Subject: %(subject)s", subject=self.subject),
            r.gettext("Due: %(due)s", due=r.deadline(self.due)),
            r.gettext("Why you are bound: %(basis)s", basis=self.basis.word(r)),
        ]
        if self.flags:
            lines.append(r.gettext("Flags: %(flags)s", flags=", ".join(self.flags)))
        lines += [
            "",
            r.gettext(
                "Draft the report from the obligation's page; marking it submitted settles "
                "the obligation."
            ),
        ]
        return _text(r, subject, lines)


# ---- standing: a suspension's reassessment is due -----------------------------------------------


@dataclass(frozen=True, slots=True)
class ReassessmentDue:
    """A reminder to the operator: a member's suspension is to be reassessed."""

    kind: ClassVar[MessageKind] = MessageKind.REASSESSMENT_DUE

    organisation: str
    organisation_slug: str
    decided_at: datetime
    reassessment_at: datetime
    reason: str
    lead: str  # "14d", "1d", "0d": which reminder this is

    def params(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "organisation_slug": self.organisation_slug,
            "decided_at": format_instant(self.decided_at),
            "reassessment_at": format_instant(self.reassessment_at),
            "reason": self.reason,
            "lead": self.lead,
        }

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> ReassessmentDue:
        return cls(
            organisation=str(p["organisation"]),
            organisation_slug=str(p["organisation_slug"]),
            decided_at=parse_instant(str(p["decided_at"])),
            reassessment_at=parse_instant(str(p["reassessment_at"])),
            reason=str(p["reason"]),
            lead=str(p["lead"]),
        )

    def word(self, r: Reader) -> Text:
        when = r.instant(self.reassessment_at)
        subject = r.gettext(
            "Reassessment of the suspension of %(organisation)s is due %(when)s",
            organisation=self.organisation,
            when=when,
        )
        body = r.gettext(
            "The suspension of %(organisation)s, decided %(decided)s (reason: %(reason)s), is "
            "due for reassessment on %(when)s. Decide: reinstate the member or extend the "
            "suspension.",
            organisation=self.organisation,
            decided=r.instant(self.decided_at),
            reason=self.reason,
            when=when,
        )
        return _text(r, subject, [body])


# ---- advisories: renditions that failed at publication ------------------------------------------


@dataclass(frozen=True, slots=True)
class FailedRendition:
    format: str  # RenditionFormat's value
    key: str | None
    detail: str  # the renderer's own words (English), as the advisory's page shows them

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, "key": self.key, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class RenditionsFailed:
    """To the operator's administrators: some renditions of a published advisory failed."""

    kind: ClassVar[MessageKind] = MessageKind.ADVISORY_RENDITION_FAILED

    advisory: str  # its public id
    failed: tuple[FailedRendition, ...]

    def params(self) -> dict[str, Any]:
        return {"advisory": self.advisory, "failed": [f.to_json() for f in self.failed]}

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> RenditionsFailed:
        rows = p["failed"]
        if not isinstance(rows, list):
            raise TypeError("failed is a list")
        return cls(
            advisory=str(p["advisory"]),
            failed=tuple(
                FailedRendition(
                    format=str(row["format"]),
                    key=str(row["key"]) if row.get("key") else None,
                    detail=str(row.get("detail") or ""),
                )
                for row in rows
            ),
        )

    def word(self, r: Reader) -> Text:
        n = len(self.failed)
        subject = r.ngettext(
            "%(advisory)s: %(num)d rendition failed",
            "%(advisory)s: %(num)d renditions failed",
            n,
            advisory=self.advisory,
        )
        lines = [
            r.ngettext(
                "%(advisory)s was published, but %(num)d rendition failed and was not "
                "published. The other renditions are live.",
                "%(advisory)s was published, but %(num)d renditions failed and were not "
                "published. The other renditions are live.",
                n,
                advisory=self.advisory,
            )
        ]
        if self.failed:
            lines.append("")
        for f in self.failed:
            name = f"{f.format} {f.key}" if f.key else f.format
            lines.append(f"- {name}: {f.detail}")
        return _text(r, subject, lines)


# ---- wording a stored notice -------------------------------------------------------------------

PARSERS: Final[dict[str, Callable[[Mapping[str, Any]], Message]]] = {
    MessageKind.CLOCK_ALERT.value: ClockAlert.from_params,
    MessageKind.REASSESSMENT_DUE.value: ReassessmentDue.from_params,
    MessageKind.ADVISORY_RENDITION_FAILED.value: RenditionsFailed.from_params,
}


def message_of(kind: str, params: Mapping[str, Any] | None) -> Message | None:
    """The message a stored notice's kind and parameters make, or ``None`` when it was
    stored as text only (or its parameters are not the kind's)."""
    parse = PARSERS.get(kind)
    if parse is None or not isinstance(params, Mapping):
        return None
    try:
        return parse(params)
    except (KeyError, TypeError, ValueError):
        return None


def word(
    kind: str, params: Mapping[str, Any] | None, subject: str, body: str, reader: Reader
) -> Text:
    """A stored notice in the reader's words; as stored (English) without parameters."""
    message = message_of(kind, params)
    if message is None:
        return Text(subject, body, Language.EN)
    return message.word(reader)
