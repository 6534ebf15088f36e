"""Submission drafts, pure: pre-fill a stage's required content from known facts.

The draft is what a person checks, completes and sends to the recipient (the platform
records the sending as a ``report_submitted`` event). It lists what is still missing, so
nobody discovers a gap at the deadline. It is JSON-serialisable for the API and renders
to plain Markdown for printing; the web layer turns either into a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clearinghouse.clocks.errors import SubmissionError
from clearinghouse.clocks.model import FlagNote, Obligation
from clearinghouse.clocks.schema import ContentField, Regime
from clearinghouse.timeutil import format_instant


@dataclass(frozen=True, slots=True)
class DraftField:
    id: str
    label: str
    value: str | None
    required: bool
    help: str = ""
    filled_from: tuple[str, ...] = ()  # the fact keys the value came from

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "value": self.value,
            "required": self.required,
            "help": self.help,
            "filled_from": list(self.filled_from),
        }


@dataclass(frozen=True, slots=True)
class Draft:
    organisation: str
    subject: str
    title: str | None
    regime: str
    regime_title: str
    stage: str
    stage_name: str
    status: str
    due: datetime | None
    duration: str
    recipients: tuple[str, ...]
    flags: tuple[FlagNote, ...]
    fields: tuple[DraftField, ...]
    sources: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        """Ids of required fields that still have no value."""
        return tuple(f.id for f in self.fields if f.required and f.value is None)

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_json(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation,
            "subject": self.subject,
            "title": self.title,
            "regime": self.regime,
            "regime_title": self.regime_title,
            "stage": self.stage,
            "stage_name": self.stage_name,
            "status": self.status,
            "due": format_instant(self.due) if self.due else None,
            "duration": self.duration,
            "recipients": list(self.recipients),
            "flags": [{"id": f.id, "explanation": f.explanation} for f in self.flags],
            "fields": [f.to_json() for f in self.fields],
            "missing": list(self.missing),
            "complete": self.complete,
            "sources": list(self.sources),
        }

    def render_markdown(self) -> str:
        """A printable rendering: plain Markdown, no HTML."""
        due = format_instant(self.due) if self.due else "not yet known"
        lines = [
            f"# {self.stage_name}",
            "",
            f"**Regime:** {self.regime_title} (`{self.regime}`)  ",
            f"**Organisation:** {self.organisation}  ",
            f"**Subject:** {self.subject}" + (f" ({self.title})" if self.title else "") + "  ",
            f"**Due:** {due}" + (f" ({self.duration})" if self.duration else "") + "  ",
            f"**Status:** {self.status}  ",
            "**Recipients:** " + ("; ".join(self.recipients) or "see regime"),
            "",
        ]
        for flag in self.flags:
            lines += [f"> **{flag.id}**: {flag.explanation}", ""]
        for item in self.fields:
            marker = "" if item.required else " (optional)"
            lines += [f"## {item.label}{marker}", ""]
            if item.value is not None:
                lines.append(item.value)
            else:
                lines.append("_Missing: to be completed._" if item.required else "_Not given._")
            lines.append("")
        if self.missing:
            lines += ["**Still missing:** " + ", ".join(self.missing), ""]
        lines += ["---", "Sources: " + "; ".join(self.sources), ""]
        return "\n".join(lines)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        parts = [f"{k}: {t}" for k, v in value.items() if (t := _text(v)) is not None]
        return "; ".join(parts) or None
    if isinstance(value, list | tuple | set | frozenset):
        items = [t for v in value if (t := _text(v)) is not None]
        return ", ".join(items) or None
    return str(value)


def _fill(spec: ContentField, facts: Mapping[str, Any]) -> DraftField:
    own = None if spec.id in spec.from_facts else _text(facts.get(spec.id))
    value: str | None
    used: tuple[str, ...]
    if own is not None:
        value, used = own, (spec.id,)
    else:
        found = [(k, t) for k in spec.from_facts if (t := _text(facts.get(k))) is not None]
        value = "; ".join(t for _, t in found) or None
        used = tuple(k for k, _ in found)
    return DraftField(spec.id, spec.label, value, spec.required, spec.help, used)


def draft_submission(obligation: Obligation, regime: Regime, facts: Mapping[str, Any]) -> Draft:
    """Pre-fill the obligation's stage content from ``facts``.

    A field takes the fact with its own id; failing that (or when its own id is listed
    in ``from_facts``), the facts named in ``from_facts`` joined with "; ".
    ``facts["title"]`` is the case title. Lists become comma-separated text.
    """
    if obligation.regime != regime.id:
        raise SubmissionError(
            f"obligation is under {obligation.regime!r} but regime {regime.id!r} was given"
        )
    try:
        stage = regime.stage(obligation.stage)
    except KeyError as exc:
        raise SubmissionError(
            f"regime {regime.id!r} has no stage {obligation.stage!r}; was the regime edited?"
        ) from exc
    return Draft(
        organisation=obligation.organisation,
        subject=obligation.subject,
        title=_text(facts.get("title")),
        regime=regime.id,
        regime_title=regime.title,
        stage=stage.id,
        stage_name=stage.name,
        status=obligation.status.value,
        due=obligation.due,
        duration=obligation.duration,
        # the obligation's own: the stage's recipients for the organisation's roles
        recipients=obligation.recipients or stage.recipients,
        flags=obligation.flags,
        fields=tuple(_fill(spec, facts) for spec in stage.content),
        sources=tuple(s.citation for s in regime.sources),
    )
