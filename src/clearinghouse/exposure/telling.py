"""Telling an affected organisation, and recording that it now knows.

After a matching pass, the findings not yet told are grouped by (organisation, advisory).
For each group the policy is asked, per user of the organisation, whether that user may
be told (:func:`clearinghouse.policy.may_be_told`: a published advisory the user may
read). Those who may get an in-platform notice (and e-mail, as their preferences say),
the organisation's webhooks get an ``exposure.match`` event, and its **aware** event is
recorded at that instant, with its source, so that its regulatory clocks start from the
moment the platform told it. Nothing is told about a draft or an embargoed advisory:
those findings wait (``told_at`` empty) until a later pass, such as the publication.

The aware event's subject is the advisory's case when the organisation takes part in it
(its clocks on that case then run from the earlier of what it knew), else the advisory's
public id. An organisation that already has an aware event on that subject is told, but
no second event is recorded.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Membership, Organisation, User
from clearinghouse.accounts.service import principal_for
from clearinghouse.accounts.suspension import active_suspension
from clearinghouse.advisories import service as advisories
from clearinghouse.advisories.models import Advisory
from clearinghouse.cases import timeline
from clearinghouse.cases.models import Case, Participant, TimelineEvent
from clearinghouse.clocks.model import EventType
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.exposure.findings import MatchScope
from clearinghouse.exposure.models import Finding, Inventory
from clearinghouse.formats.model import Tlp
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.service import notify_users
from clearinghouse.notify.webhooks import emit_event
from clearinghouse.policy import (
    MISSING,
    AdvisoryFacts,
    ExposureAction,
    MessageFacts,
    OwnerFacts,
    Sensitivity,
    may_be_told,
    require_exposure,
)
from clearinghouse.principal import SYSTEM, Principal, Via
from clearinghouse.timeutil import ensure_utc

SOURCE_KIND: Final = "exposure_match"
MATCHER: Final = dataclasses.replace(SYSTEM, label="exposure matching")
MAX_REASON: Final = 4_000
LISTED: Final = 10  # components named in a notice and in an event (then "and N more")


@dataclasses.dataclass
class Told:
    organisations: int = 0
    users: int = 0
    aware_recorded: int = 0
    waiting: int = 0  # findings nobody may be told of yet (draft, embargo, marking)


def tell(session: Session, scope: MatchScope, now: datetime, *, base_url: str) -> Told:
    """Tell every organisation of ``scope``'s untold findings what the policy lets it hear."""
    now = ensure_utc(now)
    untold = list(
        session.scalars(
            select(Finding).where(
                scope.condition(), Finding.matching.is_(True), Finding.told_at.is_(None)
            )
        )
    )
    groups: dict[tuple[uuid.UUID, uuid.UUID], list[Finding]] = defaultdict(list)
    for finding in untold:
        groups[(finding.org_id, finding.advisory_id)].append(finding)
    result = Told()
    for (org_id, advisory_id), findings in sorted(groups.items(), key=lambda g: str(g[0])):
        advisory = session.get(Advisory, advisory_id)
        org = session.get(Organisation, org_id)
        if advisory is None or org is None:  # pragma: no cover (foreign keys cascade)
            continue
        facts = advisories.facts(session, advisory)
        users = _users_who_may_be_told(session, org, facts, now)
        if not users:
            result.waiting += len(findings)
            continue
        event, recorded = _aware(session, org, advisory, findings, now)
        _notify(session, org, advisory, findings, users, now, base_url)
        for finding in findings:
            finding.told_at = now
            finding.aware_event_id = event.id
        result.organisations += 1
        result.users += len(users)
        result.aware_recorded += int(recorded)
    session.flush()
    return result


def _users_who_may_be_told(
    session: Session, org: Organisation, facts: AdvisoryFacts, now: datetime
) -> list[User]:
    suspended = active_suspension(session, org.id, now) is not None
    told = []
    for membership in session.scalars(
        select(Membership)
        .where(Membership.organisation_id == org.id)
        .order_by(Membership.created_at)
    ):
        if not membership.user.is_active:
            continue
        principal = dataclasses.replace(principal_for(membership, Via.SESSION), suspended=suspended)
        if may_be_told(principal, facts):
            told.append(membership.user)
    return told


def is_from_matching(event: TimelineEvent) -> bool:
    """Whether an aware event was recorded by exposure matching."""
    source = (event.data or {}).get("source")
    return isinstance(source, dict) and source.get("kind") == SOURCE_KIND


# ---- the aware event ---------------------------------------------------------------------------


def _subject(session: Session, org: Organisation, advisory: Advisory) -> Case | None:
    """The advisory's case, when the organisation takes part in it."""
    if advisory.case_id is None:
        return None
    taking_part = session.scalars(
        select(Participant.id).where(
            Participant.case_id == advisory.case_id,
            Participant.org_id == org.id,
            Participant.removed_at.is_(None),
        )
    ).first()
    return session.get(Case, advisory.case_id) if taking_part else None


def existing_aware(
    session: Session, org_id: uuid.UUID, case: Case | None, subject: str
) -> TimelineEvent | None:
    """The organisation's effective aware event on the subject (not superseded)."""
    query = select(TimelineEvent).where(
        TimelineEvent.org_id == org_id, TimelineEvent.type == EventType.AWARE.value
    )
    if case is not None:
        query = query.where(TimelineEvent.case_id == case.id)
    else:
        query = query.where(TimelineEvent.case_id.is_(None), TimelineEvent.subject == subject)
    candidates = list(session.scalars(query.order_by(TimelineEvent.occurred_at)))
    if not candidates:
        return None
    superseded = set(
        session.scalars(
            select(TimelineEvent.supersedes_id).where(
                TimelineEvent.supersedes_id.in_([c.id for c in candidates])
            )
        )
    )
    return next((c for c in candidates if c.id not in superseded), None)


def _aware(
    session: Session,
    org: Organisation,
    advisory: Advisory,
    findings: list[Finding],
    now: datetime,
) -> tuple[TimelineEvent, bool]:
    """The aware event the findings are told in, and whether it was recorded now."""
    case = _subject(session, org, advisory)
    subject = case.public_id if case is not None else advisory.public_id
    known = existing_aware(session, org.id, case, subject)
    if known is not None:
        return known, False
    source = source_of(session, advisory, findings)
    recorded = timeline.record_action(
        session,
        actor=MATCHER,
        case=case,
        subject=None if case is not None else subject,
        type=EventType.AWARE,
        now=now,
        data={"source": source},
        audit_action="exposure.aware_recorded",
        object_type="case" if case is not None else "advisory",
        object_id=case.public_id if case is not None else advisory.public_id,
        org_id=org.id,
        owner_org_id=org.id,
        evidence=(
            f"The platform told {org.name} that {advisory.public_id} affects "
            f"{len(findings)} component(s) of its inventories (exposure matching)."
        ),
    )
    return recorded.event, True


def source_of(session: Session, advisory: Advisory, findings: list[Finding]) -> dict[str, Any]:
    """What an aware event says about why it was recorded (shown on obligations)."""
    names = _inventory_names(session, {f.inventory_id for f in findings})
    components = sorted({f.purl or f.component_ref for f in findings})
    return {
        "kind": SOURCE_KIND,
        "advisory": advisory.public_id,
        "records": sorted({f.record_id for f in findings}),
        "inventories": sorted(names.values())[:LISTED],
        "components": components[:LISTED],
        "findings": len(findings),
    }


def _inventory_names(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    query = select(Inventory.id, Inventory.name).where(Inventory.id.in_(wanted))
    return dict(session.execute(query).all())


# ---- the notice --------------------------------------------------------------------------------


def _notify(
    session: Session,
    org: Organisation,
    advisory: Advisory,
    findings: list[Finding],
    users: list[User],
    now: datetime,
    base_url: str,
) -> None:
    names = _inventory_names(session, {f.inventory_id for f in findings})
    packages = sorted({f"{f.package} {f.version}" for f in findings})
    shown = ", ".join(packages[:LISTED]) + (
        f" and {len(packages) - LISTED} more" if len(packages) > LISTED else ""
    )
    subject = (
        f"{advisory.public_id} affects {len(names)} of your inventories "
        f"({len(findings)} finding(s))"
    )
    body = (
        f"{advisory.public_id} ({advisory.title}) names packages your inventories contain: "
        f"{shown}.\n\nInventories: {', '.join(sorted(names.values())[:LISTED])}.\n\n"
        "The platform recorded that your organisation is aware of it from now: reporting "
        "obligations that run from awareness start at this instant. If the match is wrong, "
        "withdraw the awareness with a reason, and answer each finding (acknowledged, fixed, "
        "or not affected with a VEX justification)."
    )
    link = f"{base_url.rstrip('/')}/api/v1/findings?advisory={advisory.public_id}"
    about = MessageFacts(Sensitivity.PUBLIC, tlp=advisory.tlp)
    notify_users(
        session,
        users,
        MessageKind.EXPOSURE_MATCH,
        subject,
        body,
        link,
        now,
        about=about,
        organisation_id=org.id,
    )
    if advisory.tlp is Tlp.RED:
        return  # named people only: no organisation-wide channel
    emit_event(
        session,
        org.id,
        MessageKind.EXPOSURE_MATCH,
        {
            "advisory": advisory.public_id,
            "records": sorted({f.record_id for f in findings}),
            "inventories": sorted(names.values()),
            "findings": [str(f.id) for f in findings][:1000],
        },
        now,
        about=about,
        event_id=f"msg_exposure_{advisory.id.hex}_{org.id.hex}_{int(now.timestamp())}",
    )


# ---- withdrawing an aware event the matching recorded ----------------------------------------


def withdraw_aware(
    session: Session, *, actor: Principal, event_id: uuid.UUID | str, reason: str, now: datetime
) -> TimelineEvent:
    """Retract an aware event exposure matching recorded, when the match was wrong: a
    ``withdrawn`` event superseding it (audited), so the clocks it started stop. Only
    events of this source can be withdrawn here; others are corrected where they were
    recorded."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"give a reason of 1-{MAX_REASON} characters", field="reason")
    try:
        event = session.get(TimelineEvent, uuid.UUID(str(event_id)), with_for_update=True)
    except ValueError:
        event = None
    if event is None or event.type != EventType.AWARE.value or not is_from_matching(event):
        require_exposure(actor, ExposureAction.AWARENESS_WITHDRAW, MISSING)
        raise NotFound("no aware event recorded by exposure matching with this id")
    require_exposure(actor, ExposureAction.AWARENESS_WITHDRAW, OwnerFacts(event.org_id))
    already = session.scalars(
        select(TimelineEvent.id).where(TimelineEvent.supersedes_id == event.id)
    ).first()
    if already is not None:
        raise Conflict("this aware event was withdrawn or corrected already")
    case = session.get(Case, event.case_id) if event.case_id else None
    source = dict((event.data or {}).get("source") or {})
    return timeline.record_action(
        session,
        actor=actor,
        case=case,
        subject=event.subject,
        type=EventType.WITHDRAWN,
        now=ensure_utc(now),
        data={"source": {**source, "withdrawn": str(event.id)}},
        audit_action="exposure.aware_withdrawn",
        object_type="case" if case is not None else "advisory",
        object_id=case.public_id if case is not None else (event.subject or event.id),
        org_id=event.org_id,
        owner_org_id=event.org_id,
        evidence=reason,
        supersedes_id=event.id,
    ).event
