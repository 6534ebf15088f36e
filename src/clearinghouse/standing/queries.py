"""Standing look-ups asked on every request (kept tiny: one indexed query)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.standing.models import MemberSanction, SanctionKind, SanctionState


def active_suspension(session: Session, org_id: uuid.UUID, at: datetime) -> MemberSanction | None:
    return session.scalars(
        select(MemberSanction)
        .where(
            MemberSanction.org_id == org_id,
            MemberSanction.kind == SanctionKind.SUSPENSION,
            MemberSanction.state == SanctionState.ACTIVE,
            MemberSanction.starts_at <= at,
            MemberSanction.ends_at > at,
        )
        .limit(1)
    ).first()
