"""Whether an organisation is suspended at an instant: asked on every request and before
every message leaves the platform (kept tiny: one indexed query). Sanctions are decided in
:mod:`clearinghouse.standing.sanctions`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import MemberSanction, SanctionKind, SanctionState


def active_suspension(session: Session, org_id: uuid.UUID, at: datetime) -> MemberSanction | None:
    """The suspension in force at ``at`` as the record stands: decided by then, its period
    covering it (a reinstated one until its reinstatement), now or at any past instant."""
    return session.scalars(
        select(MemberSanction)
        .where(
            MemberSanction.org_id == org_id,
            MemberSanction.kind == SanctionKind.SUSPENSION,
            MemberSanction.state.in_((SanctionState.ACTIVE, SanctionState.REINSTATED)),
            MemberSanction.decided_at <= at,
            MemberSanction.starts_at <= at,
            MemberSanction.ends_at > at,
        )
        .limit(1)
    ).first()
