"""Warnings when sharing information may cross a rule, pure. Never a block.

The rules are data: a regime's ``sharing_restrictions`` (e.g. cn-miit-2021 Art. 9(7):
no unpublished vulnerability information to organisations abroad other than the
product's provider). Clearinghouse shows the warning and the citation and lets people
decide; where another regime binding the sharer pulls the other way (CRA Art. 14 asks
for exactly such a report to ENISA), the warning names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clearinghouse.clocks.engine import in_force
from clearinghouse.clocks.model import OrgProfile
from clearinghouse.clocks.schema import BindClause, Regime
from clearinghouse.timeutil import ensure_utc


@dataclass(frozen=True, slots=True)
class SharingWarning:
    regime: str
    restriction: str
    citation: str
    message: str
    sharer: str
    recipient: str
    conflicts_with: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "regime": self.regime,
            "restriction": self.restriction,
            "citation": self.citation,
            "message": self.message,
            "sharer": self.sharer,
            "recipient": self.recipient,
            "conflicts_with": list(self.conflicts_with),
        }


def _binds(clauses: Iterable[BindClause], profile: OrgProfile) -> bool:
    return any(c.match(profile) is not None for c in clauses)


def sharing_warnings(
    sharer: OrgProfile,
    recipient: OrgProfile,
    published: bool,
    regimes: Iterable[Regime] | Mapping[str, Regime],
    *,
    recipient_is_product_provider: bool = False,
    at: datetime | None = None,
) -> list[SharingWarning]:
    """Warnings for ``sharer`` giving information to ``recipient``.

    A restriction warns when the sharer matches its ``binds`` (or the regime's), the
    information is unpublished (for ``unpublished_only`` rules), the recipient has none
    of its ``domestic_jurisdictions`` (a recipient with no known jurisdiction counts as
    abroad), and the recipient is not the affected product's provider (when exempt).
    With ``at``, regimes not in force then are skipped.
    """
    regime_list = list(regimes.values()) if isinstance(regimes, Mapping) else list(regimes)
    out: list[SharingWarning] = []
    for regime in sorted(regime_list, key=lambda r: r.id):
        if at is not None and not in_force(regime, ensure_utc(at)):
            continue
        for rule in regime.sharing_restrictions:
            if published and rule.unpublished_only:
                continue
            if not _binds(rule.binds or regime.binds, sharer):
                continue
            if recipient.jurisdictions & {j.upper() for j in rule.domestic_jurisdictions}:
                continue
            if rule.exempt_product_provider and recipient_is_product_provider:
                continue
            conflicts = tuple(
                other.id
                for other in regime_list
                if other.id in rule.conflicts_with and _binds(other.binds, sharer)
            )
            message = rule.message
            if conflicts:
                message += (
                    " The sharer is also bound by " + ", ".join(conflicts) + ", which may "
                    "require this very report; weigh both before deciding."
                )
            out.append(
                SharingWarning(
                    regime=regime.id,
                    restriction=rule.id,
                    citation=rule.citation,
                    message=message,
                    sharer=sharer.id,
                    recipient=recipient.id,
                    conflicts_with=conflicts,
                )
            )
    return out
