"""The access log: one row per page of shared objects served (TAXII and the REST API),
written in its own short transaction, outside the hash-chained audit log (the chain has
one writer; reads must not queue on it), so that it also survives the read's rollback."""

from __future__ import annotations

from sqlalchemy import insert

from clearinghouse.api.deps import Ctx
from clearinghouse.policy import Channel
from clearinghouse.sharing.models import Collection, SharedAccess
from clearinghouse.sharing.store import Row


def record_page(
    ctx: Ctx, collection: Collection, channel: Channel, route: str, rows: list[Row]
) -> None:
    """Who was served which rows of ``collection`` (their ``seq`` range) and the query."""
    principal = ctx.principal
    entry = {
        "at": ctx.now(),
        "collection_id": collection.id,
        "channel": channel.value,
        "route": route,
        "principal": principal.label[:320],
        "user_id": principal.user_id,
        "org_id": principal.org_id,
        "count": len(rows),
        "first_seq": rows[0].seq if rows else None,
        "last_seq": rows[-1].seq if rows else None,
        "query": str(ctx.request.url.query)[:2000],
    }
    with ctx.runtime.database.transaction() as session:
        # A Core insert: no unit of work to flush for one row on every page served.
        session.execute(insert(SharedAccess), [entry])
