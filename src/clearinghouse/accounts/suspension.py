"""Whether an organisation is suspended at an instant: asked on every request and before
every message leaves the platform (kept tiny: one indexed query). Sanctions are decided in
:mod:`clearinghouse.standing.sanctions`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import MemberSanction, SanctionKind, SanctionState


def in_force(org_id: Any, at: Any) -> ColumnElement[bool]:
    """The condition "a suspension of ``org_id`` is in force at ``at``" (values or SQL
    expressions): decided by then, its period covering it (a reinstated one until its
    reinstatement). One definition for :func:`active_suspension` and the token look-up
    that decides it in the same query."""
    s = MemberSanction
    return and_(
        s.org_id == org_id,
        s.kind == SanctionKind.SUSPENSION,
        # (not ``in_``: a list is expanded per execution, and the token look-up is a
        # prepared statement, clearinghouse.prepared)
        or_(s.state == SanctionState.ACTIVE, s.state == SanctionState.REINSTATED),
        s.decided_at <= at,
        s.starts_at <= at,
        s.ends_at > at,
    )


def active_suspension(session: Session, org_id: uuid.UUID, at: datetime) -> MemberSanction | None:
    """The suspension in force at ``at`` as the record stands, now or at any past instant."""
    return session.scalars(select(MemberSanction).where(in_force(org_id, at)).limit(1)).first()
