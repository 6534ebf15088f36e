"""The matching jobs: an advisory whose served revision changed finds the inventories it
affects; a new upload finds its advisories. Each runs in its job's transaction (the
findings, their history, the notices, the aware events and the audit entries commit with
the job, exactly once) and is idempotent: a pass makes the findings of its scope say what
it found, so running it twice changes nothing the second time.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from clearinghouse.advisories.index import KIND_INDEX_CHANGED, RangeCache
from clearinghouse.advisories.models import Advisory
from clearinghouse.exposure import findings, telling
from clearinghouse.exposure.inventories import KIND_MATCH_INVENTORY
from clearinghouse.exposure.matching import Checker, advisory_pairs, inventory_pairs
from clearinghouse.exposure.models import Inventory
from clearinghouse.jobs.registry import JobContext, JobRegistry, PermanentJobError

log = logging.getLogger(__name__)


def _uuid(value: Any, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise PermanentJobError(f"{what} {value!r} is not an id") from None


class Matching:
    """The two handlers, sharing one compiled-range cache for the process."""

    def __init__(self) -> None:
        self.cache = RangeCache()

    def advisories_changed(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        ids = payload.get("advisories")
        if not isinstance(ids, list):
            raise PermanentJobError("the payload names no advisories")
        for advisory_id in (_uuid(value, "advisory") for value in ids):
            self.match_advisory(ctx, advisory_id)

    def match_advisory(self, ctx: JobContext, advisory_id: uuid.UUID) -> None:
        session, now = ctx.session, ctx.now()
        if session.get(Advisory, advisory_id) is None:
            return  # deleted since: its findings went with it
        scope = findings.MatchScope(advisory_id=advisory_id)
        pairs = advisory_pairs(session, advisory_id, Checker(self.cache))
        done = findings.reconcile(session, pairs, scope, now)
        told = telling.tell(session, scope, now)
        log.info(
            "advisory matched",
            extra={"advisory": str(advisory_id), "findings": done.__dict__, "told": told.__dict__},
        )

    def inventory_uploaded(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        session, now = ctx.session, ctx.now()
        inventory_id = _uuid(payload.get("inventory_id"), "inventory")
        inventory = session.get(Inventory, inventory_id)
        if inventory is None or inventory.current_upload != payload.get("upload"):
            return  # deleted, or replaced since: the newer upload's own job matches it
        scope = findings.MatchScope(inventory_id=inventory_id)
        pairs = inventory_pairs(session, inventory_id, Checker(self.cache))
        done = findings.reconcile(session, pairs, scope, now)
        told = telling.tell(session, scope, now)
        log.info(
            "inventory matched",
            extra={
                "inventory": str(inventory_id),
                "findings": done.__dict__,
                "told": told.__dict__,
            },
        )


def register(registry: JobRegistry) -> None:
    matching = Matching()
    registry.register(KIND_INDEX_CHANGED, matching.advisories_changed)
    registry.register(KIND_MATCH_INVENTORY, matching.inventory_uploaded)
