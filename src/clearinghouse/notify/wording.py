"""The words of notices, per message kind, from their parameters.

A notice is stored with its kind and its parameters (ids, names, instants in ISO UTC): a
:class:`Message` knows both, and words itself for a :class:`~.reader.Reader` when it is
shown (a page, in the viewer's language and zone) or sent (an e-mail, in the recipient's).
The English wording in UTC is stored beside the parameters (``subject``, ``body``) for the
API and for anything that reads the stored text.

Every kind of :class:`~clearinghouse.notify.kinds.MessageKind` has its message here. A
notice recorded without parameters (before its kind was worded here), or whose parameters
are not its kind's, is shown as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final, Protocol

from babel.lists import format_list

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


def _str(p: Mapping[str, Any], key: str) -> str:
    """A text parameter; anything else is not the kind's parameters."""
    value = p[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is a string")
    return value


def _count(p: Mapping[str, Any], key: str) -> int:
    value = p[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{key} is a count")
    return value


def _flag(p: Mapping[str, Any], key: str) -> bool:
    value = p.get(key, False)
    if not isinstance(value, bool):
        raise TypeError(f"{key} is true or false")
    return value


def _listed(r: Reader, items: tuple[str, ...], total: int) -> str:
    """``items`` as the reader's language lists them (``a, b, and c``, ``a、b和c``), with
    "and N more" when ``total`` counts more than are named."""
    shown = list(items)
    if total > len(shown):
        shown.append(r.ngettext("%(num)d more", "%(num)d more", total - len(shown)))
    return format_list(shown, locale=r.locale) if shown else ""


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
        regime, stage = r.regime_text(self.regime_title), r.regime_text(self.stage_name)
        values = {
            "regime": regime,
            "stage": stage,
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
            r.gettext("Regime: %(regime)s", regime=regime),
            r.gettext("Stage: %(stage)s", stage=stage),
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


# ---- cases: what the participants of a case are told ---------------------------------------------

# A participant's role and a report's state (cases' closed sets), by the same messages the
# pages use (web/words.py), so one word has one translation.
PARTICIPANT_ROLES: Final = {
    "coordinator": N_("coordinator"),
    "reporter": N_("reporter"),
    "vendor": N_("vendor"),
    "member": N_("member"),
}
REPORT_STATES: Final = {
    "received": N_("received"),
    "valid": N_("valid"),
    "invalid": N_("invalid"),
    "accepted": N_("accepted"),
    "deferred": N_("deferred"),
    "closed": N_("closed"),
}


def _word_of(r: Reader, words: Mapping[str, str], value: str) -> str:
    return r.gettext(words[value]) if value in words else value


@dataclass(frozen=True, slots=True)
class CaseMessagePosted:
    """Someone wrote in a thread of a case the reader may read (never what was written)."""

    kind: ClassVar[MessageKind] = MessageKind.CASE_MESSAGE

    case: str  # the case's public id

    def params(self) -> dict[str, Any]:
        return {"case": self.case}

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> CaseMessagePosted:
        return cls(case=_str(p, "case"))

    def word(self, r: Reader) -> Text:
        subject = r.gettext("New message in case %(case)s", case=self.case)
        body = r.gettext(
            "A new message was posted in case %(case)s. Sign in (or use your invitation link) "
            "to read it.",
            case=self.case,
        )
        return _text(r, subject, [body])


@dataclass(frozen=True, slots=True)
class AddedToCase:
    """The reader's organisation was added to a case."""

    kind: ClassVar[MessageKind] = MessageKind.CASE_PARTICIPANT_ADDED

    case: str
    role: str  # vocab.ParticipantRole's value

    def params(self) -> dict[str, Any]:
        return {"case": self.case, "role": self.role}

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> AddedToCase:
        return cls(case=_str(p, "case"), role=_str(p, "role"))

    def word(self, r: Reader) -> Text:
        subject = r.gettext("You were added to case %(case)s", case=self.case)
        body = r.gettext(
            "Your organisation was added to case %(case)s as %(role)s. Sign in to read it.",
            case=self.case,
            role=_word_of(r, PARTICIPANT_ROLES, self.role),
        )
        return _text(r, subject, [body])


@dataclass(frozen=True, slots=True)
class VendorInvitation:
    """A vendor outside the platform is invited to a case. E-mailed only, never stored as
    a notice: the link opens the case without an account."""

    kind: ClassVar[MessageKind] = MessageKind.CASE_INVITATION

    case: str
    platform: str
    url: str  # the signed invitation link
    expires_at: datetime

    def params(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "platform": self.platform,
            "url": self.url,
            "expires_at": format_instant(self.expires_at),
        }

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> VendorInvitation:
        return cls(
            case=_str(p, "case"),
            platform=_str(p, "platform"),
            url=_str(p, "url"),
            expires_at=parse_instant(_str(p, "expires_at")),
        )

    def word(self, r: Reader) -> Text:
        subject = r.gettext(
            "You are invited to coordinate a vulnerability (case %(case)s)", case=self.case
        )
        lines = [
            r.gettext(
                "A vulnerability that concerns a product you maintain is being coordinated "
                "privately on %(platform)s as case %(case)s.",
                platform=self.platform,
                case=self.case,
            ),
            "",
            r.gettext("Open your part of the case (no account needed):"),
            self.url,
            "",
            r.gettext(
                "The link is personal and expires on %(when)s. Please state, for each "
                "vulnerability, whether your product is affected.",
                when=r.instant(self.expires_at),
            ),
        ]
        return _text(r, subject, lines)


@dataclass(frozen=True, slots=True)
class VendorReminder:
    """A vendor's response in a case is due (half way, and on the last day)."""

    kind: ClassVar[MessageKind] = MessageKind.CASE_VENDOR_REMINDER

    case: str
    due: datetime

    def params(self) -> dict[str, Any]:
        return {"case": self.case, "due": format_instant(self.due)}

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> VendorReminder:
        return cls(case=_str(p, "case"), due=parse_instant(_str(p, "due")))

    def word(self, r: Reader) -> Text:
        subject = r.gettext("Reminder: your response is due in case %(case)s", case=self.case)
        body = r.gettext(
            "Please state whether your product is affected, in case %(case)s, by %(due)s. "
            "Use the link from your invitation, or sign in.",
            case=self.case,
            due=r.deadline(self.due),
        )
        return _text(r, subject, [body])


@dataclass(frozen=True, slots=True)
class VendorEscalated:
    """To the operator and the case's coordinator: a vendor missed its deadline."""

    kind: ClassVar[MessageKind] = MessageKind.CASE_VENDOR_ESCALATED

    case: str
    vendor: str  # the participant's name
    due: datetime

    def params(self) -> dict[str, Any]:
        return {"case": self.case, "vendor": self.vendor, "due": format_instant(self.due)}

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> VendorEscalated:
        return cls(
            case=_str(p, "case"), vendor=_str(p, "vendor"), due=parse_instant(_str(p, "due"))
        )

    def word(self, r: Reader) -> Text:
        subject = r.gettext("Vendor did not respond in case %(case)s", case=self.case)
        body = r.gettext(
            "%(vendor)s has not responded by its deadline (%(due)s) in case %(case)s.",
            vendor=self.vendor,
            due=r.deadline(self.due),
            case=self.case,
        )
        return _text(r, subject, [body])


# ---- reports: the finder and the coordinator before a case -------------------------------------


@dataclass(frozen=True, slots=True)
class ReportStatus:
    """To a report's finder: the report moved to a new state (the reason stays behind the
    login or the tracking link)."""

    kind: ClassVar[MessageKind] = MessageKind.REPORT_STATUS

    report: str  # the report's id
    state: str  # rules.reports.ReportState's value
    tracked: bool = False  # the finder follows it with a tracking token (no account)

    def params(self) -> dict[str, Any]:
        return {"report": self.report, "state": self.state, "tracked": self.tracked}

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> ReportStatus:
        return cls(report=_str(p, "report"), state=_str(p, "state"), tracked=_flag(p, "tracked"))

    def word(self, r: Reader) -> Text:
        state = _word_of(r, REPORT_STATES, self.state)
        subject = r.gettext("Your vulnerability report is now %(state)s", state=state)
        if self.tracked:
            body = r.gettext(
                "Your report %(report)s is now %(state)s. Open the tracking link you received "
                "when you reported it to read why.",
                report=self.report,
                state=state,
            )
        else:
            body = r.gettext(
                "Your report %(report)s is now %(state)s. Sign in to read why.",
                report=self.report,
                state=state,
            )
        return _text(r, subject, [body])


COORDINATOR: Final = "coordinator"
FINDER: Final = "finder"


@dataclass(frozen=True, slots=True)
class ReportMessagePosted:
    """A message on a report before any case: the coordinator replied (to the finder) or
    the finder wrote (to the operator). Never what was written."""

    kind: ClassVar[MessageKind] = MessageKind.REPORT_MESSAGE

    report: str
    author: str  # COORDINATOR or FINDER (cases.models.ReportAuthor's values)
    tracked: bool = False  # to a finder who follows the report with a tracking token

    def params(self) -> dict[str, Any]:
        return {"report": self.report, "author": self.author, "tracked": self.tracked}

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> ReportMessagePosted:
        author = _str(p, "author")
        if author not in (COORDINATOR, FINDER):
            raise ValueError(f"not a report message's author: {author!r}")
        return cls(report=_str(p, "report"), author=author, tracked=_flag(p, "tracked"))

    def word(self, r: Reader) -> Text:
        if self.author == FINDER:
            subject = r.gettext("The finder wrote on a report")
            body = r.gettext("The finder of report %(report)s wrote a message.", report=self.report)
            return _text(r, subject, [body])
        subject = r.gettext("The coordinator replied to your vulnerability report")
        if self.tracked:
            body = r.gettext(
                "There is a reply on your report %(report)s. Open the tracking link you "
                "received when you reported it to read it and answer.",
                report=self.report,
            )
        else:
            body = r.gettext(
                "There is a reply on your report %(report)s. Sign in to read it.",
                report=self.report,
            )
        return _text(r, subject, [body])


# ---- exposure: a published advisory affects an organisation's inventories ---------------------


@dataclass(frozen=True, slots=True)
class MatchedAdvisory:
    id: str  # its public id
    title: str  # as published (its own language)


@dataclass(frozen=True, slots=True)
class ExposureMatch:
    """Published advisories name packages an organisation's inventories contain; the
    platform recorded the organisation aware of each at ``aware_at``. The lists are the
    first few (the caller bounds them); the counts are of all."""

    kind: ClassVar[MessageKind] = MessageKind.EXPOSURE_MATCH

    advisories: tuple[MatchedAdvisory, ...]
    advisory_count: int
    inventories: tuple[str, ...]  # names
    inventory_count: int
    packages: tuple[str, ...]  # "name version"
    package_count: int
    findings: int
    aware_at: datetime

    def params(self) -> dict[str, Any]:
        return {
            "advisories": [{"id": a.id, "title": a.title} for a in self.advisories],
            "advisory_count": self.advisory_count,
            "inventories": list(self.inventories),
            "inventory_count": self.inventory_count,
            "packages": list(self.packages),
            "package_count": self.package_count,
            "findings": self.findings,
            "aware_at": format_instant(self.aware_at),
        }

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> ExposureMatch:
        rows = p["advisories"]
        if not isinstance(rows, list) or not rows:
            raise TypeError("advisories is a list of at least one")
        return cls(
            advisories=tuple(MatchedAdvisory(_str(a, "id"), _str(a, "title")) for a in rows),
            advisory_count=_count(p, "advisory_count"),
            inventories=_strings(p["inventories"]),
            inventory_count=_count(p, "inventory_count"),
            packages=_strings(p["packages"]),
            package_count=_count(p, "package_count"),
            findings=_count(p, "findings"),
            aware_at=parse_instant(_str(p, "aware_at")),
        )

    def word(self, r: Reader) -> Text:
        values = {
            "inventories": r.ngettext(
                "%(num)d of your inventories", "%(num)d of your inventories", self.inventory_count
            ),
            "findings": r.ngettext("%(num)d finding", "%(num)d findings", self.findings),
        }
        if self.advisory_count == 1:
            subject = r.gettext(
                "%(advisory)s affects %(inventories)s (%(findings)s)",
                advisory=self.advisories[0].id,
                **values,
            )
        else:
            subject = r.ngettext(
                "%(num)d advisory affects %(inventories)s (%(findings)s)",
                "%(num)d advisories affect %(inventories)s (%(findings)s)",
                self.advisory_count,
                **values,
            )
        named = tuple(
            r.gettext("%(advisory)s (%(title)s)", advisory=a.id, title=a.title)
            for a in self.advisories
        )
        lines = [
            r.ngettext(
                "%(advisories)s names packages your inventories contain: %(packages)s.",
                "%(advisories)s name packages your inventories contain: %(packages)s.",
                self.advisory_count,
                advisories=_listed(r, named, self.advisory_count),
                packages=_listed(r, self.packages, self.package_count),
            ),
            "",
            r.gettext(
                "Inventories: %(inventories)s.",
                inventories=_listed(r, self.inventories, self.inventory_count),
            ),
            "",
            r.gettext(
                "The platform recorded that your organisation is aware of each as of %(when)s: "
                "reporting obligations that run from awareness start at that instant. If a "
                "match is wrong, withdraw the awareness with a reason, and answer each finding "
                "(acknowledged, fixed, or not affected with a VEX justification).",
                when=r.instant(self.aware_at),
            ),
        ]
        return _text(r, subject, lines)


# ---- detail encrypted to the reader's OpenPGP key ---------------------------------------------

SEALED: Final = "sealed"  # the parameter that carries it


@dataclass(frozen=True, slots=True)
class Sealed:
    """A message with detail encrypted to its reader's registered OpenPGP key (ASCII
    armour, last in the body so that it can be cut out and decrypted as it is)."""

    message: Message
    armored: str

    @property
    def kind(self) -> MessageKind:
        return self.message.kind

    def params(self) -> dict[str, Any]:
        return self.message.params() | {SEALED: self.armored}

    def word(self, r: Reader) -> Text:
        text = self.message.word(r)
        if self.kind is MessageKind.REPORT_MESSAGE:
            heading = r.gettext("The reply, encrypted to your OpenPGP key:")
        else:
            heading = r.gettext("Detail, encrypted to your OpenPGP key:")
        return Text(text.subject, f"{text.body}\n\n{heading}\n\n{self.armored}", text.language)


# ---- wording a stored notice -------------------------------------------------------------------

PARSERS: Final[dict[str, Callable[[Mapping[str, Any]], Message]]] = {
    MessageKind.CASE_MESSAGE.value: CaseMessagePosted.from_params,
    MessageKind.CASE_PARTICIPANT_ADDED.value: AddedToCase.from_params,
    MessageKind.CASE_INVITATION.value: VendorInvitation.from_params,
    MessageKind.CASE_VENDOR_REMINDER.value: VendorReminder.from_params,
    MessageKind.CASE_VENDOR_ESCALATED.value: VendorEscalated.from_params,
    MessageKind.REPORT_STATUS.value: ReportStatus.from_params,
    MessageKind.REPORT_MESSAGE.value: ReportMessagePosted.from_params,
    MessageKind.ADVISORY_RENDITION_FAILED.value: RenditionsFailed.from_params,
    MessageKind.CLOCK_ALERT.value: ClockAlert.from_params,
    MessageKind.REASSESSMENT_DUE.value: ReassessmentDue.from_params,
    MessageKind.EXPOSURE_MATCH.value: ExposureMatch.from_params,
}


def message_of(kind: str, params: Mapping[str, Any] | None) -> Message | None:
    """The message a stored notice's kind and parameters make, or ``None`` when it was
    stored as text only (or its parameters are not the kind's)."""
    parse = PARSERS.get(kind)
    if parse is None or not isinstance(params, Mapping):
        return None
    try:
        message = parse(params)
        armored = params.get(SEALED)
        if armored is None:
            return message
        if not isinstance(armored, str):
            raise TypeError("sealed detail is ASCII armour")
        return Sealed(message, armored)
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
