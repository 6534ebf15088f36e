"""The life of a report, and what a report may contain.

A report is what a finder sends; a case is what the coordinator runs. The lifecycle::

    received --> valid --> accepted --> closed
        |          |          ^
        |          v          |
        |       deferred -----+--> closed
        v
     invalid --> closed

``valid``/``invalid`` is the first look (is this a vulnerability report at all);
``accepted`` means the coordinator takes it on (a case is opened or it joins one),
``deferred`` that it is parked (for example, triage said *track*), and ``closed`` ends it.
Every transition carries a reason, because the finder is told why and the reason is the
only record of a judgement call.

Field limits are exported (:data:`LIMITS`) so that database columns and form
``maxlength`` attributes use the same numbers the rules enforce.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final
from urllib.parse import urlsplit

from clearinghouse.cases.rules._text import REASON_MAX, InvalidText, clean_text, require_reason
from clearinghouse.errors import Conflict, InvalidInput


class ReportState(enum.StrEnum):
    RECEIVED = "received"
    VALID = "valid"
    INVALID = "invalid"
    ACCEPTED = "accepted"
    DEFERRED = "deferred"
    CLOSED = "closed"


TRANSITIONS: Final[Mapping[ReportState, frozenset[ReportState]]] = MappingProxyType(
    {
        ReportState.RECEIVED: frozenset({ReportState.VALID, ReportState.INVALID}),
        ReportState.VALID: frozenset({ReportState.ACCEPTED, ReportState.DEFERRED}),
        ReportState.DEFERRED: frozenset({ReportState.ACCEPTED, ReportState.CLOSED}),
        ReportState.ACCEPTED: frozenset({ReportState.CLOSED}),
        ReportState.INVALID: frozenset({ReportState.CLOSED}),
        ReportState.CLOSED: frozenset(),
    }
)
"""Allowed targets from each state."""


class IllegalTransition(Conflict):
    """The report cannot move from its state to the one asked for."""

    code = "illegal-report-transition"
    title = "The report cannot make this transition"


class InvalidReport(InvalidInput):
    """A report field breaks a rule (size, shape, or a value outside its set)."""

    code = "invalid-report"
    title = "The report is not valid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.field = field


def allowed_targets(state: ReportState) -> frozenset[ReportState]:
    return TRANSITIONS[state]


def is_terminal(state: ReportState) -> bool:
    return not TRANSITIONS[state]


def transition(state: ReportState, to: ReportState, reason: str) -> ReportState:
    """Move a report from ``state`` to ``to``; return the new state.

    Raises :class:`IllegalTransition` (a ``Conflict``) naming the allowed targets when
    the move is not allowed, and ``InvalidText`` when the reason is blank or longer
    than 2000 characters. The legality is checked first: a bad move is a conflict
    whatever the reason says.
    """
    state, to = ReportState(state), ReportState(to)
    allowed = TRANSITIONS[state]
    if to not in allowed:
        options = ", ".join(sorted(allowed)) or "none (the report is closed)"
        raise IllegalTransition(
            f"a report cannot go from {state} to {to}; from {state} it may go to: {options}",
            state=str(state),
            target=str(to),
            allowed=sorted(allowed),
        )
    require_reason(reason, max_len=REASON_MAX)
    return to


# ---------------------------------------------------------------------------- fields


class CreditPreference(enum.StrEnum):
    """How the finder wants to be credited in the advisory."""

    NAME = "name"  # credit the finder's name (credit_as holds it)
    HANDLE = "handle"  # credit a handle or pseudonym (credit_as holds it)
    ANONYMOUS = "anonymous"  # no credit line at all


TITLE_MAX: Final = 200
PRODUCT_MAX: Final = 200
VENDOR_MAX: Final = 200
VERSIONS_MAX: Final = 500
DESCRIPTION_MAX: Final = 20_000
IMPACT_MAX: Final = 5_000
DISCLOSURE_PLANS_MAX: Final = 5_000
CREDIT_AS_MAX: Final = 200
EMAIL_MAX: Final = 254
URL_MAX: Final = 2_000
REFERENCES_MAX: Final = 20
CVES_MAX: Final = 20

LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "title": TITLE_MAX,
        "product": PRODUCT_MAX,
        "vendor": VENDOR_MAX,
        "affected_versions": VERSIONS_MAX,
        "description": DESCRIPTION_MAX,
        "impact": IMPACT_MAX,
        "disclosure_plans": DISCLOSURE_PLANS_MAX,
        "credit_as": CREDIT_AS_MAX,
        "contact_email": EMAIL_MAX,
        "reference_url": URL_MAX,
        "references": REFERENCES_MAX,
        "cves": CVES_MAX,
        "reason": REASON_MAX,
    }
)
"""Maximum length (characters) of each text field, and maximum count of list fields."""

CVE_RE: Final = re.compile(r"CVE-(?:1999|2\d{3})-(?:0\d{3}|[1-9]\d{3,})")
# Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
# Deliverability is proven by sending mail, not by a regular expression.
_EMAIL_RE: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalise_cve(value: str) -> str:
    """``cve-2021-44228`` -> ``CVE-2021-44228``; raise :class:`InvalidReport` otherwise."""
    text = value.strip().upper()
    if not CVE_RE.fullmatch(text):
        raise InvalidReport("cves", f"{value!r} is not a CVE id (CVE-YYYY-NNNN)")
    return text


def check_url(value: str, *, field: str = "references") -> str:
    """An absolute http(s) URL with a host, at most 2000 characters."""
    text = value.strip()
    if not text or len(text) > URL_MAX:
        raise InvalidReport(field, f"a URL must be 1 to {URL_MAX} characters long")
    if any(c.isspace() for c in text):
        raise InvalidReport(field, f"{text[:80]!r} holds white space; is it a URL?")
    parts = urlsplit(text)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise InvalidReport(field, f"{text[:80]!r} is not an absolute http(s) URL")
    return text


def _text(value: object, field: str, max_len: int, *, required: bool, line: bool) -> str | None:
    try:
        return clean_text(value, field=field, max_len=max_len, required=required, single_line=line)
    except InvalidText as exc:
        raise InvalidReport(field, exc.detail.removeprefix(f"{field}: ")) from exc


def _strings(value: object, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidReport(field, "must be a list of strings")
    items = list(value)
    if not all(isinstance(item, str) for item in items):
        raise InvalidReport(field, "must be a list of strings")
    return items


@dataclass(frozen=True, slots=True)
class ReportFields:
    """The validated content of a report. Build with :func:`parse_report`.

    ``credit_as`` is the name or handle to credit; it is required for ``name`` and
    ``handle`` and must be absent for ``anonymous`` (so that an anonymous finder's name
    is never stored by mistake).
    """

    title: str
    product: str
    description: str
    credit_preference: CreditPreference
    vendor: str | None = None
    affected_versions: str | None = None
    impact: str | None = None
    disclosure_plans: str | None = None
    credit_as: str | None = None
    contact_email: str | None = None
    references: tuple[str, ...] = ()
    cves: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.credit_preference, CreditPreference):
            raise InvalidReport(
                "credit_preference",
                f"must be one of {', '.join(CreditPreference)}, got {self.credit_preference!r}",
            )
        if self.credit_preference is CreditPreference.ANONYMOUS and self.credit_as:
            raise InvalidReport("credit_as", "must be empty when the finder asks for anonymity")
        if self.credit_preference is not CreditPreference.ANONYMOUS and not self.credit_as:
            raise InvalidReport("credit_as", f"the {self.credit_preference} to credit is required")


def parse_report(data: Mapping[str, object]) -> ReportFields:
    """Check and normalise submitted report fields (strip text, upper-case CVE ids).

    Unknown keys are refused so that a typo in a form or API client is noticed rather
    than silently dropped. Each failure raises :class:`InvalidReport` naming its field.
    """
    known = set(LIMITS) - {"reference_url", "reason"} | {"credit_preference"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidReport(unknown[0], f"unknown field(s): {', '.join(unknown)}")

    raw_pref = data.get("credit_preference", CreditPreference.ANONYMOUS)
    if not isinstance(raw_pref, str) or raw_pref not in set(CreditPreference):
        raise InvalidReport(
            "credit_preference", f"{raw_pref!r} is not one of {', '.join(CreditPreference)}"
        )
    preference = CreditPreference(raw_pref)

    references = _strings(data.get("references"), "references")
    if len(references) > REFERENCES_MAX:
        raise InvalidReport("references", f"at most {REFERENCES_MAX} references")
    cves = _strings(data.get("cves"), "cves")
    if len(cves) > CVES_MAX:
        raise InvalidReport("cves", f"at most {CVES_MAX} CVE ids")

    email = _text(data.get("contact_email"), "contact_email", EMAIL_MAX, required=False, line=True)
    if email is not None and not _EMAIL_RE.fullmatch(email):
        raise InvalidReport("contact_email", f"{email!r} is not an e-mail address")

    def text(field: str, *, required: bool = False, line: bool = False) -> str | None:
        return _text(data.get(field), field, LIMITS[field], required=required, line=line)

    def required(field: str, *, line: bool = False) -> str:
        value = text(field, required=True, line=line)
        if value is None:  # pragma: no cover - clean_text raises for a required blank
            raise InvalidReport(field, "is required")
        return value

    return ReportFields(
        title=required("title", line=True),
        product=required("product", line=True),
        description=required("description"),
        credit_preference=preference,
        vendor=text("vendor", line=True),
        affected_versions=text("affected_versions"),
        impact=text("impact"),
        disclosure_plans=text("disclosure_plans"),
        credit_as=text("credit_as", line=True),
        contact_email=email,
        references=tuple(dict.fromkeys(check_url(u) for u in references)),
        cves=tuple(dict.fromkeys(normalise_cve(c) for c in cves)),
    )
