"""Legal warnings when a case's unpublished information is shared with a new participant.

The sharer is the acting organisation; the recipient the participant's organisation (an
address invited by e-mail has no known country, and counts as abroad). The rules are
the regimes' ``sharing_restrictions`` (e.g. ``cn-miit-2021`` Art. 9(7): no unpublished
vulnerability information to organisations outside China other than the product's
provider). The platform warns and records the warning; it does not decide the law.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Organisation
from clearinghouse.accounts.profile import regulatory_profile
from clearinghouse.audit import service as audit
from clearinghouse.cases.models import Case, Participant, TimelineEvent
from clearinghouse.clocks.conflicts import sharing_warnings
from clearinghouse.clocks.loader import configured_regimes
from clearinghouse.clocks.model import OrgProfile
from clearinghouse.principal import Principal
from clearinghouse.settings import Settings
from clearinghouse.vocab import ParticipantRole


def is_published(session: Session, case: Case) -> bool:
    return (
        session.scalar(
            select(TimelineEvent.id)
            .where(TimelineEvent.case_id == case.id, TimelineEvent.type == "public_disclosure")
            .limit(1)
        )
        is not None
    )


def warnings_for(
    session: Session,
    settings: Settings,
    *,
    actor: Principal,
    case: Case,
    participant: Participant,
    now: datetime,
    record: bool = True,
) -> list[dict[str, Any]]:
    """The legal warnings that sharing the case with ``participant`` raises for the
    actor's organisation, as JSON; with ``record``, an audit entry when there are any
    (the page that words them again after the participant was added records nothing)."""
    if actor.org_id is None:
        return []
    sharer_org = session.get(Organisation, actor.org_id)
    if sharer_org is None:
        return []
    recipient_org = session.get(Organisation, participant.org_id) if participant.org_id else None
    recipient = (
        regulatory_profile(recipient_org)
        if recipient_org is not None
        else OrgProfile(participant.contact_email or participant.name, participant.name, [], [])
    )
    found = sharing_warnings(
        regulatory_profile(sharer_org),
        recipient,
        is_published(session, case),
        configured_regimes(str(settings.regimes_dir) if settings.regimes_dir else None),
        recipient_is_product_provider=participant.role is ParticipantRole.VENDOR,
        at=now,
    )
    out = [w.to_json() for w in found]
    if out and record:
        audit.append(
            session,
            actor=actor,
            action="case.sharing_warning",
            object_type="case",
            object_id=case.public_id,
            owner_org_id=case.coordinator_org_id,
            at=now,
            change={"participant": participant.id, "warnings": out},
        )
    return out
