"""Finding advisories: by identifier (a CVE, GHSA or our own id), by package, by text; one
page of those a principal may read, newest first.

The API (``GET /api/v1/advisories?q=``) and the advisories page both list through
:func:`readable_page`, so a page shows exactly what the API answers the same principal.
The policy decides each advisory on its facts (TLP, publication, recipients); the query
only narrows what it is asked about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from clearinghouse.advisories import service
from clearinghouse.advisories.models import (
    Advisory,
    AdvisoryIdentifier,
    AdvisoryPackage,
    AdvisoryState,
)
from clearinghouse.errors import InvalidInput
from clearinghouse.formats.model import Tlp
from clearinghouse.policy import AdvisoryAction, can_advisory
from clearinghouse.principal import Principal
from clearinghouse.timeutil import parse_instant

QUERY_MAX: Final = 200


@dataclass(frozen=True, slots=True)
class Filters:
    """``q``: an identifier (exact, any case), or words found in the title or a
    package's name; ``state``, ``source``, ``tlp``: exact."""

    q: str | None = None
    state: AdvisoryState | None = None
    source: str | None = None
    tlp: Tlp | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _matches(q: str) -> Any:
    text = " ".join(q.split())
    if len(text) > QUERY_MAX:
        raise InvalidInput(f"a search is at most {QUERY_MAX} characters", field="q")
    by_identifier = select(AdvisoryIdentifier.advisory_id).where(
        func.upper(AdvisoryIdentifier.identifier) == text.upper()
    )
    pattern = _like(text)
    by_package = select(AdvisoryPackage.advisory_id).where(
        or_(
            func.lower(AdvisoryPackage.display_name).like(pattern, escape="\\"),
            func.lower(AdvisoryPackage.purl).like(pattern, escape="\\"),
        )
    )
    return or_(
        func.upper(Advisory.public_id) == text.upper(),
        Advisory.id.in_(by_identifier),
        Advisory.id.in_(by_package),
        func.lower(Advisory.title).like(pattern, escape="\\"),
    )


def query(filters: Filters) -> Select[Advisory]:
    statement = select(Advisory).order_by(Advisory.created_at.desc(), Advisory.public_id.desc())
    if filters.state is not None:
        statement = statement.where(Advisory.state == filters.state)
    if filters.source is not None:
        statement = statement.where(Advisory.source == filters.source)
    if filters.tlp is not None:
        statement = statement.where(Advisory.tlp == filters.tlp)
    if filters.q and filters.q.strip():
        statement = statement.where(_matches(filters.q))
    return statement


def _after(at: datetime, public_id: str) -> Any:
    return or_(
        Advisory.created_at < at, and_(Advisory.created_at == at, Advisory.public_id < public_id)
    )


def after_key(key: list[Any] | None) -> tuple[datetime, str] | None:
    """A decoded cursor as :func:`readable_page`'s ``after`` (one it did not issue: 422)."""
    if key is None:
        return None
    try:
        return parse_instant(str(key[0])), str(key[1])
    except (IndexError, ValueError) as exc:
        raise InvalidInput("cursor is not one this server issued", field="cursor") from exc


@dataclass(frozen=True, slots=True)
class Found:
    items: list[Advisory]
    next_key: list[str] | None  # the cursor's key for the next page, if there may be one


def readable_page(
    session: Session,
    principal: Principal,
    filters: Filters,
    *,
    size: int,
    after: tuple[datetime, str] | None = None,
) -> Found:
    """Up to ``size`` advisories ``principal`` may read, newest first, after the key
    ``after`` (created_at, public id). Scans in batches and asks the policy about each."""
    base = query(filters)
    if after is not None:
        base = base.where(_after(*after))
    items: list[Advisory] = []
    last: Advisory | None = None
    exhausted = False
    batch = size * 2
    scan = base
    while True:
        rows = list(session.scalars(scan.limit(batch)))
        for advisory in rows:
            last = advisory
            if can_advisory(principal, AdvisoryAction.READ, service.facts(session, advisory)):
                items.append(advisory)
                if len(items) == size:
                    break
        if len(rows) < batch and (not rows or last is rows[-1]):
            exhausted = True
            break
        if len(items) == size or last is None:
            break
        scan = base.where(_after(last.created_at, last.public_id))
    next_key = None
    if not exhausted and last is not None:
        next_key = [last.created_at.isoformat(), last.public_id]
    return Found(items, next_key)
