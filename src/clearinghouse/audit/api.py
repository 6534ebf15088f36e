"""The audit trail over HTTP: an object's trail (operator: everything; others: their own)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field

from clearinghouse.api.deps import CtxDep, admitted_router
from clearinghouse.api.instants import Instant
from clearinghouse.api.pagination import Page, clamp_limit, issue_cursor, read_cursor
from clearinghouse.audit import service as audit
from clearinghouse.audit.models import AuditEntry
from clearinghouse.policy import AccountAction, org_scope, require_account

router = admitted_router(prefix="/api/v1/audit", tags=["audit"])


class EntryOut(BaseModel):
    seq: int
    id: uuid.UUID
    at: datetime
    actor: str
    actor_org_id: uuid.UUID | None
    action: str
    object_type: str
    object_id: str
    change: dict[str, Any]
    digest: str
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None
    expected_head_seq: int | None = Field(
        None, description="the entry whose hash is `expect_head` (0: the empty chain)"
    )
    problem: str | None


@router.get("", response_model=Page[EntryOut], summary="Audit entries, oldest first")
def trail(
    ctx: CtxDep,
    object_type: Annotated[str | None, Query(max_length=50)] = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[
        str | None,
        Query(max_length=100, description="an action, or a prefix ending in '.' (member.)"),
    ] = None,
    at: Annotated[
        Instant | None, Query(description="the trail as it stood then: entries recorded by it")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[EntryOut]:
    p = ctx.principal
    require_account(p, AccountAction.AUDIT_READ)
    n = clamp_limit(limit)
    visible = org_scope(p)  # members: entries about what their organisation owns
    where = audit.TrailFilter(
        everything=visible.everything,
        owner_org_id=visible.org_id,
        object_type=object_type,
        object_id=object_id,
        action=action,
        at=at,
    )
    after = read_cursor(ctx, cursor)
    rows = audit.trail(ctx.session, where, after_seq=int(after[0]) if after else None, limit=n + 1)
    items = [entry_out(e) for e in rows[:n]]
    return Page(
        items=items, next_cursor=issue_cursor(ctx, [rows[n - 1].seq]) if len(rows) > n else None
    )


def entry_out(e: AuditEntry) -> EntryOut:
    return EntryOut(
        seq=e.seq,
        id=e.id,
        at=e.at,
        actor=e.actor_label,
        actor_org_id=e.actor_org_id,
        action=e.action,
        object_type=e.object_type,
        object_id=e.object_id,
        change=e.change,
        digest=e.digest,
        hash=e.hash,
    )


@router.get("/verify", response_model=VerifyOut, summary="Verify the whole chain (operator)")
def verify(
    ctx: CtxDep,
    expect_head: Annotated[
        str | None,
        Query(
            pattern="^[0-9a-fA-F]{64}$",
            description="a head hash you kept: the chain must hold it, else its newest "
            "entries were deleted (ok: false)",
        ),
    ] = None,
) -> VerifyOut:
    require_account(ctx.principal, AccountAction.AUDIT_VERIFY)
    r = audit.verify(ctx.session, expect_head=expect_head)
    return VerifyOut(
        ok=r.ok,
        entries=r.entries,
        head=r.head,
        first_bad_seq=r.first_bad_seq,
        problem=r.problem,
        expected_head_seq=r.expected_head_seq,
    )
