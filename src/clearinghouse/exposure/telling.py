"""Telling an affected organisation, and recording that it now knows.

After a matching pass, the findings not yet told are grouped by (organisation, advisory).
For each group the policy is asked, per user of the organisation, whether that user may
be told (:func:`clearinghouse.policy.may_be_told`: a published advisory the user may
read). Those who may get an in-platform notice (and e-mail, as their preferences say;
stored by its parameters, :class:`~clearinghouse.notify.wording.ExposureMatch`, worded in
each reader's language and zone, linking the findings page), the organisation's webhooks
get an ``exposure.match`` event, and its **aware** event is recorded at that instant, with
its source, so that its regulatory clocks start from the moment the platform told it.
Nothing is told about a draft or an embargoed advisory: those findings wait (``told_at``
empty) until a later pass, such as the publication.

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
from urllib.parse import urlencode

from sqlalchemy import select, update
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
from clearinghouse.notify.service import notify_message
from clearinghouse.notify.webhooks import emit_event
from clearinghouse.notify.wording import ExposureMatch, MatchedAdvisory
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
FINDINGS_PAGE: Final = "/exposure/findings"  # the member's findings (?advisory=: one's)


@dataclasses.dataclass
class Told:
    organisations: int = 0
    users: int = 0
    aware_recorded: int = 0
    waiting: int = 0  # findings nobody may be told of yet (draft, embargo, marking)


@dataclasses.dataclass(frozen=True, slots=True)
class Untold:
    """What telling needs of a finding (read without loading whole rows)."""

    id: uuid.UUID
    org_id: uuid.UUID
    advisory_id: uuid.UUID
    inventory_id: uuid.UUID
    record_id: str
    component_ref: str
    purl: str | None
    package: str
    version: str


def tell(session: Session, scope: MatchScope, now: datetime) -> Told:
    """Tell every organisation of ``scope``'s untold findings what the policy lets it hear:
    per organisation, one notice per user (and one webhook event) for the whole pass, and
    one aware event per advisory it may be told of. The notice links the findings page by
    its path (its e-mail makes it absolute)."""
    now = ensure_utc(now)
    by_org: dict[uuid.UUID, dict[uuid.UUID, list[Untold]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(
        select(
            Finding.id,
            Finding.org_id,
            Finding.advisory_id,
            Finding.inventory_id,
            Finding.record_id,
            Finding.component_ref,
            Finding.purl,
            Finding.package,
            Finding.version,
        ).where(scope.condition(), Finding.matching.is_(True), Finding.told_at.is_(None))
    ):
        by_org[row.org_id][row.advisory_id].append(Untold(*row))
    result = Told()
    facts_of: dict[uuid.UUID, tuple[Advisory, AdvisoryFacts]] = {}
    for org_id in sorted(by_org, key=str):
        org = session.get(Organisation, org_id)
        people = _people(session, org, now) if org is not None else []
        if org is None or not people:
            result.waiting += sum(len(found) for found in by_org[org_id].values())
            continue
        _load_facts(session, by_org[org_id], facts_of)
        told: dict[uuid.UUID, list[Advisory]] = defaultdict(list)  # user -> advisories
        users: dict[uuid.UUID, User] = {}
        for advisory_id, found in sorted(by_org[org_id].items(), key=lambda g: str(g[0])):
            advisory, facts = facts_of[advisory_id]
            hearing = [user for user, principal in people if may_be_told(principal, facts)]
            if not hearing:
                result.waiting += len(found)
                continue
            event, recorded = _aware(session, org, advisory, found, now)
            result.aware_recorded += int(recorded)
            ids = [f.id for f in found]
            for start in range(0, len(ids), 500):
                session.execute(
                    update(Finding)
                    .where(Finding.id.in_(ids[start : start + 500]))
                    .values(told_at=now, aware_event_id=event.id)
                    .execution_options(synchronize_session=False)
                )
            for user in hearing:
                users[user.id] = user
                told[user.id].append(advisory)
        if told:
            _notify(session, org, by_org[org_id], told, users, now)
            result.organisations += 1
            result.users += len(told)
    session.flush()
    return result


def _load_facts(
    session: Session,
    found: dict[uuid.UUID, list[Untold]],
    facts_of: dict[uuid.UUID, tuple[Advisory, AdvisoryFacts]],
) -> None:
    """The advisories (one query per 500) and their policy facts, once per pass."""
    wanted = sorted((i for i in found if i not in facts_of), key=str)
    for start in range(0, len(wanted), 500):
        for advisory in session.scalars(
            select(Advisory).where(Advisory.id.in_(wanted[start : start + 500]))
        ):
            facts_of[advisory.id] = (advisory, advisories.facts(session, advisory))


def _people(session: Session, org: Organisation, now: datetime) -> list[tuple[User, Principal]]:
    """The organisation's active users, each as the policy sees them now."""
    suspended = active_suspension(session, org.id, now) is not None
    found = []
    for membership in session.scalars(
        select(Membership)
        .where(Membership.organisation_id == org.id)
        .order_by(Membership.created_at)
    ):
        if membership.user.is_active:
            principal = principal_for(membership, Via.SESSION)
            found.append((membership.user, dataclasses.replace(principal, suspended=suspended)))
    return found


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
    findings: list[Untold],
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


def source_of(session: Session, advisory: Advisory, findings: list[Untold]) -> dict[str, Any]:
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
    found: dict[uuid.UUID, list[Untold]],
    told: dict[uuid.UUID, list[Advisory]],
    users: dict[uuid.UUID, User],
    now: datetime,
) -> None:
    """One notice per group of users told the same advisories (usually everyone alike),
    and one webhook event for what the whole organisation may hear (not TLP:RED)."""
    groups: dict[tuple[uuid.UUID, ...], list[User]] = defaultdict(list)
    for user_id, advisories_told in told.items():
        groups[tuple(a.id for a in advisories_told)].append(users[user_id])
    for ids, hearing in groups.items():
        chosen = [next(a for a in told[hearing[0].id] if a.id == i) for i in ids]
        notify_message(
            session,
            hearing,
            _notice(session, chosen, found, now),
            _findings_page(chosen),
            now,
            about=MessageFacts(Sensitivity.PUBLIC, tlp=_widest(chosen)),
            organisation_id=org.id,
        )
    shared = sorted(
        {a.id: a for told_ in told.values() for a in told_ if a.tlp is not Tlp.RED}.values(),
        key=lambda a: a.public_id,
    )
    if not shared:
        return  # TLP:RED names people: no organisation-wide channel
    emit_event(
        session,
        org.id,
        MessageKind.EXPOSURE_MATCH,
        {
            "advisories": [
                {
                    "advisory": a.public_id,
                    "records": sorted({f.record_id for f in found[a.id]}),
                    "findings": [str(f.id) for f in found[a.id]][:1000],
                }
                for a in shared[:1000]
            ],
            "inventories": sorted(
                _inventory_names(
                    session, {f.inventory_id for a in shared for f in found[a.id]}
                ).values()
            ),
        },
        now,
        about=MessageFacts(Sensitivity.PUBLIC, tlp=_widest(shared)),
        event_id=f"msg_exposure_{org.id.hex}_{uuid.uuid4().hex}",
    )


_TLP_ORDER: Final = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)


def _widest(items: list[Advisory]) -> Tlp:
    """The most restrictive marking among the advisories a message names."""
    return max((a.tlp for a in items), key=_TLP_ORDER.index)


def _notice(
    session: Session, chosen: list[Advisory], found: dict[uuid.UUID, list[Untold]], now: datetime
) -> ExposureMatch:
    """What the users are told: the advisories, the inventories and packages they name (the
    first few of each, and how many), the findings, and the instant they are aware from."""
    findings_ = [f for a in chosen for f in found[a.id]]
    names = sorted(_inventory_names(session, {f.inventory_id for f in findings_}).values())
    packages = sorted({f"{f.package} {f.version}" for f in findings_})
    return ExposureMatch(
        advisories=tuple(MatchedAdvisory(a.public_id, a.title) for a in chosen[:LISTED]),
        advisory_count=len(chosen),
        inventories=tuple(names[:LISTED]),
        inventory_count=len(names),
        packages=tuple(packages[:LISTED]),
        package_count=len(packages),
        findings=len(findings_),
        aware_at=now,
    )


def _findings_page(chosen: list[Advisory]) -> str:
    """The findings page, filtered to the advisory when there is one."""
    if len(chosen) == 1:
        return f"{FINDINGS_PAGE}?{urlencode({'advisory': chosen[0].public_id})}"
    return FINDINGS_PAGE


# ---- withdrawing an aware event the matching recorded ----------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Awareness:
    """An aware event a match recorded, and its withdrawal once there is one."""

    event: TimelineEvent
    withdrawal: TimelineEvent | None


def awareness(session: Session, event_id: uuid.UUID) -> Awareness | None:
    """The aware event ``event_id`` (None unless exposure matching recorded it) with the
    event that withdrew it, if any. The caller has asked the policy about the finding
    that names it."""
    event = session.get(TimelineEvent, event_id)
    if event is None or event.type != EventType.AWARE.value or not is_from_matching(event):
        return None
    withdrawal = session.scalars(
        select(TimelineEvent).where(
            TimelineEvent.supersedes_id == event.id,
            TimelineEvent.type == EventType.WITHDRAWN.value,
        )
    ).first()
    return Awareness(event, withdrawal)


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
