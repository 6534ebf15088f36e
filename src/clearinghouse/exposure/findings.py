"""Findings: what matching found, kept in step with it, and what the organisation says
about each one (its state, with history).

:func:`reconcile` turns one matching pass (an advisory's, or an inventory's) into
findings: new pairs become ``new`` findings, pairs found again after a gap are matched
again, and findings of the pass's scope that no longer match are closed (``new`` and
``acknowledged`` ones become ``fixed``: the component left or changed, or the advisory
stopped naming its version). Every step is a history row.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from clearinghouse.advisories import service as advisories
from clearinghouse.advisories.models import Advisory
from clearinghouse.audit import service as audit
from clearinghouse.cases.ids import ordered_id
from clearinghouse.db import bulk_insert
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.exposure.matching import Pair
from clearinghouse.exposure.models import (
    Finding,
    FindingEvent,
    FindingSource,
    FindingState,
)
from clearinghouse.formats.model import Justification
from clearinghouse.policy import (
    MISSING,
    ExposureAction,
    FindingFacts,
    can_exposure,
    require_exposure,
)
from clearinghouse.principal import Principal
from clearinghouse.timeutil import ensure_utc

MAX_REASON: Final = 4_000
INSERT_CHUNK: Final = 5_000
MATCHER_LABEL: Final = "exposure matching"
# States a member may set, and the ones matching closes when the pair stops matching.
OPEN_STATES: Final = frozenset({FindingState.NEW, FindingState.ACKNOWLEDGED})


def finding_key(record_id: str, component_ref: str) -> str:
    return hashlib.sha256(f"{record_id}\x00{component_ref}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class MatchScope:
    """What one matching pass covered: one inventory, or one advisory."""

    inventory_id: uuid.UUID | None = None
    advisory_id: uuid.UUID | None = None

    def condition(self) -> Any:
        if self.inventory_id is not None:
            return Finding.inventory_id == self.inventory_id
        return Finding.advisory_id == self.advisory_id


@dataclass
class Reconciled:
    created: int = 0
    rematched: int = 0
    closed: int = 0
    kept: int = 0


def reconcile(
    session: Session, pairs: Sequence[Pair], scope: MatchScope, now: datetime
) -> Reconciled:
    """Make the findings of ``scope`` say what ``pairs`` (one complete pass) found."""
    now = ensure_utc(now)
    existing = {
        (f.inventory_id, f.advisory_id, f.key): f
        for f in session.scalars(select(Finding).where(scope.condition()))
    }
    result = Reconciled()
    seen: set[tuple[uuid.UUID, uuid.UUID, str]] = set()
    events: list[dict[str, Any]] = []
    new_rows: list[dict[str, Any]] = []
    for pair in pairs:
        key = (pair.inventory_id, pair.advisory_id, finding_key(pair.record_id, pair.component_ref))
        if key in seen:
            continue  # the same component under its binary and its source name
        seen.add(key)
        finding = existing.get(key)
        if finding is None:
            row = _new_finding(pair, key[2], now)
            new_rows.append(row)
            events.append(_event(row["id"], now, FindingSource.MATCH, None, FindingState.NEW, ""))
            result.created += 1
            continue
        _refresh(finding, pair)
        if finding.matching:
            result.kept += 1
            continue
        previous = finding.state
        finding.matching = True
        finding.unmatched_at = None
        finding.last_matched_at = now
        finding.updated_at = now
        finding.told_at = None  # a new match: tell again
        finding.state = FindingState.NEW if previous is FindingState.FIXED else previous
        events.append(
            _event(finding.id, now, FindingSource.MATCH, previous, finding.state, "matched again")
        )
        result.rematched += 1
    for key, finding in existing.items():
        if key in seen or not finding.matching:
            continue
        previous = finding.state
        finding.matching = False
        finding.unmatched_at = now
        finding.updated_at = now
        if previous in OPEN_STATES:
            finding.state = FindingState.FIXED
        reason = (
            "no longer matched: the component left the inventory or changed version"
            if scope.inventory_id is not None
            else "no longer matched: the advisory's served revision does not name this version"
        )
        events.append(
            _event(finding.id, now, FindingSource.UNMATCHED, previous, finding.state, reason)
        )
        result.closed += 1
    session.flush()
    bulk_insert(session, Finding, new_rows, chunk=INSERT_CHUNK)
    bulk_insert(session, FindingEvent, events, chunk=INSERT_CHUNK)
    return result


def _new_finding(pair: Pair, key: str, now: datetime) -> dict[str, Any]:
    """A new finding's row (inserted in bulk: a new advisory can match thousands)."""
    return {
        "id": uuid.uuid4(),
        "org_id": pair.org_id,
        "inventory_id": pair.inventory_id,
        "advisory_id": pair.advisory_id,
        "record_id": pair.record_id,
        "key": key,
        "component_ref": pair.component_ref,
        "purl": pair.purl,
        "ecosystem": pair.ecosystem,
        "package": pair.package,
        "version": pair.version,
        "fixed": list(pair.fixed),
        "undecided": pair.undecided,
        "state": FindingState.NEW,
        "justification": None,
        "detail": None,
        "matching": True,
        "first_matched_at": now,
        "last_matched_at": now,
        "unmatched_at": None,
        "updated_at": now,
        "told_at": None,
        "aware_event_id": None,
    }


def _refresh(finding: Finding, pair: Pair) -> None:
    """What a newer revision may change about a pair that still matches."""
    fixed = list(pair.fixed)
    if finding.fixed != fixed:
        finding.fixed = fixed
    if finding.undecided != pair.undecided:
        finding.undecided = pair.undecided
    if finding.ecosystem != pair.ecosystem or finding.package != pair.package:
        finding.ecosystem, finding.package = pair.ecosystem, pair.package


def _event(
    finding_id: uuid.UUID,
    at: datetime,
    source: FindingSource,
    before: FindingState | None,
    after: FindingState,
    reason: str,
    *,
    actor: Principal | None = None,
    justification: Justification | None = None,
) -> dict[str, Any]:
    return {
        "id": ordered_id(),  # ties on a fixed clock keep the order they were written in
        "finding_id": finding_id,
        "at": at,
        "source": source,
        "actor_label": actor.label if actor else MATCHER_LABEL,
        "actor_user_id": actor.user_id if actor else None,
        "from_state": before,
        "to_state": after,
        "justification": justification,
        "reason": reason,
    }


# ---- reading -----------------------------------------------------------------------------------


def facts(session: Session, finding: Finding, advisory: Advisory | None = None) -> FindingFacts:
    advisory = advisory or session.get(Advisory, finding.advisory_id)
    if advisory is None:  # pragma: no cover (the foreign key cascades)
        raise NotFound("no such finding")
    return FindingFacts(finding.org_id, advisories.facts(session, advisory))


def get(
    session: Session,
    actor: Principal,
    finding_id: uuid.UUID | str,
    action: ExposureAction = ExposureAction.FINDING_READ,
    *,
    for_update: bool = False,
) -> Finding:
    """One finding, if ``actor`` may (else the 401/404 the policy says: a finding of a
    draft or an embargoed advisory is, for a member, one that does not exist)."""
    try:
        found = session.get(Finding, uuid.UUID(str(finding_id)), with_for_update=for_update)
    except ValueError:
        found = None
    if found is None:
        require_exposure(actor, action, MISSING)
        raise NotFound("no such finding")
    require_exposure(actor, action, facts(session, found))
    return found


def history(session: Session, finding: Finding) -> list[FindingEvent]:
    return list(
        session.scalars(
            select(FindingEvent)
            .where(FindingEvent.finding_id == finding.id)
            .order_by(FindingEvent.at, FindingEvent.id)
        )
    )


@dataclass(frozen=True, slots=True)
class FindingFilter:
    org_id: uuid.UUID | None = None  # None: every organisation's (the operator)
    inventory_id: uuid.UUID | None = None
    advisory_id: uuid.UUID | None = None
    state: FindingState | None = None
    matching: bool | None = True


def page(
    session: Session,
    principal: Principal,
    where: FindingFilter,
    *,
    after: Sequence[Any] | None,
    limit: int,
) -> list[tuple[Finding, Advisory]]:
    """Findings the principal may read, newest match first, at most ``limit``.

    The policy decides per advisory (a handful per page): rows it hides are skipped and
    the scan goes on, so a page is never short while more readable rows exist."""
    out: list[tuple[Finding, Advisory]] = []
    decided: dict[uuid.UUID, bool] = {}
    cursor = list(after) if after else None
    while len(out) < limit:
        query = select(Finding, Advisory).join(Advisory, Advisory.id == Finding.advisory_id)
        if where.org_id is not None:
            query = query.where(Finding.org_id == where.org_id)
        if where.inventory_id is not None:
            query = query.where(Finding.inventory_id == where.inventory_id)
        if where.advisory_id is not None:
            query = query.where(Finding.advisory_id == where.advisory_id)
        if where.state is not None:
            query = query.where(Finding.state == where.state)
        if where.matching is not None:
            query = query.where(Finding.matching.is_(where.matching))
        if not principal.is_operator:
            query = query.where(Advisory.state.in_(advisories.PUBLISHED_STATES))
        if cursor:
            at, last = datetime.fromisoformat(str(cursor[0])), uuid.UUID(str(cursor[1]))
            query = query.where(
                or_(
                    Finding.last_matched_at < at,
                    and_(Finding.last_matched_at == at, Finding.id < last),
                )
            )
        batch = session.execute(
            query.order_by(Finding.last_matched_at.desc(), Finding.id.desc()).limit(limit * 2)
        ).all()
        if not batch:
            break
        for finding, advisory in batch:
            cursor = [finding.last_matched_at.isoformat(), str(finding.id)]
            if advisory.id not in decided:
                decided[advisory.id] = can_exposure(
                    principal, ExposureAction.FINDING_READ, facts(session, finding, advisory)
                )
            if decided[advisory.id]:
                out.append((finding, advisory))
                if len(out) == limit:
                    break
    return out


def cursor_of(finding: Finding) -> list[str]:
    return [finding.last_matched_at.isoformat(), str(finding.id)]


# ---- what the organisation says ------------------------------------------------------------


def set_state(
    session: Session,
    *,
    actor: Principal,
    finding: Finding,
    state: FindingState,
    justification: Justification | None,
    reason: str,
    now: datetime,
) -> Finding:
    """The organisation's answer: acknowledged, fixed, or not affected with a VEX
    justification (required then, refused otherwise). Audited, with history."""
    now = ensure_utc(now)
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"a reason is at most {MAX_REASON} characters", field="reason")
    if state is FindingState.NEW:
        raise InvalidInput("a finding becomes new only by matching", field="state")
    if state is FindingState.NOT_AFFECTED and justification is None:
        raise InvalidInput(
            "not affected needs a VEX justification (e.g. code_not_reachable)",
            field="justification",
        )
    if state is not FindingState.NOT_AFFECTED and justification is not None:
        raise InvalidInput("a justification goes with not_affected only", field="justification")
    if finding.state is state and finding.justification is justification:
        raise Conflict(f"the finding is {state.value} already", state=state.value)
    previous = finding.state
    finding.state = state
    finding.justification = justification
    finding.detail = reason or None
    finding.updated_at = now
    session.flush()
    session.execute(
        insert(FindingEvent),
        [
            _event(
                finding.id,
                now,
                FindingSource.MEMBER,
                previous,
                state,
                reason,
                actor=actor,
                justification=justification,
            )
        ],
    )
    audit.append(
        session,
        actor=actor,
        action="finding.state_changed",
        object_type="finding",
        object_id=finding.id,
        at=now,
        owner_org_id=finding.org_id,
        change={
            "from": previous.value,
            "to": state.value,
            "justification": justification.value if justification else None,
            "reason": reason,
            "record": finding.record_id,
        },
    )
    return finding
