"""Publication: scheduling for the embargo's end, publishing every rendition at once,
and withdrawal as an audited correction.

One action publishes everything: the current revision is stamped (dates, status
``final``, a CSAF revision-history entry) and stored as a new revision, every rendition
is rendered and stored, the look-up index switches to it, and the state becomes
``published``, all in one transaction. A rendition that fails is recorded with its error
and the operator's administrators are notified (an in-platform notice plus e-mail jobs);
it blocks nothing else. A format with nothing to say (no CVE record without a CVE id) is
recorded as not applicable, with the reason, and alerts no one.

Idempotent: publishing an advisory whose published revision is already its newest
revision changes nothing and returns the same result, so the scheduled job, a retry of
it and an operator's click can all happen without a second publication.

Scheduled publication is a job (``advisory.publish``) due at the embargo's end, enqueued
in the transaction that schedules it, with an idempotency key naming the advisory and
the instant. Rescheduling enqueues a job for the new instant; the old job finds the
advisory's ``scheduled_at`` changed and does nothing.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Membership, Organisation, User
from clearinghouse.advisories import service
from clearinghouse.advisories.models import (
    Advisory,
    AdvisoryState,
    Rendition,
    RenditionFormat,
    RenditionStatus,
)
from clearinghouse.advisories.render import CnaIdentity, RenderContext, render_all
from clearinghouse.advisories.renditions import imported_renditions, renditions_of, store_renditions
from clearinghouse.audit import service as audit
from clearinghouse.errors import Conflict, InvalidInput
from clearinghouse.formats import model as m
from clearinghouse.formats import neutral
from clearinghouse.jobs.queue import enqueue
from clearinghouse.jobs.registry import JobContext, JobRegistry, PermanentJobError
from clearinghouse.notify.service import notify_message
from clearinghouse.notify.wording import FailedRendition, RenditionsFailed
from clearinghouse.policy import AdvisoryAction, MessageFacts, Sensitivity, require_advisory
from clearinghouse.principal import SYSTEM, Principal
from clearinghouse.timeutil import ensure_utc, format_instant
from clearinghouse.vocab import OrgKind, Role

KIND_PUBLISH: Final = "advisory.publish"
# Enqueued at every publication and withdrawal; the sharing domain handles it (STIX
# objects in the collections the marking allows). The advisory domain knows only the name.
KIND_SHARE: Final = "advisory.share"


@dataclass(frozen=True, slots=True)
class PublishResult:
    advisory: Advisory
    revision: int
    renditions: tuple[Rendition, ...]
    already: bool  # nothing to do: this revision was published before

    @property
    def failed(self) -> tuple[Rendition, ...]:
        return tuple(r for r in self.renditions if r.status is RenditionStatus.FAILED)


# ---- stamping ------------------------------------------------------------------------------


def _stamp_published(
    doc: m.Advisory, *, first: datetime, now: datetime, summary: str
) -> m.Advisory:
    number = str(len(doc.revisions) + 1)
    return dataclasses.replace(
        doc,
        status="final",
        initial_release=first,
        current_release=now,
        revisions=(*doc.revisions, m.Revision(number, now, summary)),
        vulnerabilities=tuple(
            dataclasses.replace(v, published=v.published or first, modified=now)
            for v in doc.vulnerabilities
        ),
    )


def _stamp_withdrawn(doc: m.Advisory, *, now: datetime, reason: str) -> m.Advisory:
    number = str(len(doc.revisions) + 1)
    return dataclasses.replace(
        doc,
        status="final",
        current_release=max(now, doc.initial_release),
        revisions=(*doc.revisions, m.Revision(number, now, f"Withdrawn: {reason}")),
        vulnerabilities=tuple(
            dataclasses.replace(v, withdrawn=now, modified=now) for v in doc.vulnerabilities
        ),
    )


# ---- actions -------------------------------------------------------------------------------


def publish(
    session: Session,
    advisory: Advisory,
    *,
    actor: Principal,
    now: datetime,
    render: RenderContext,
    summary: str = "",
) -> PublishResult:
    """Publish the current revision with every rendition (idempotent)."""
    require_advisory(actor, AdvisoryAction.PUBLISH, service.facts(session, advisory))
    if advisory.state is AdvisoryState.WITHDRAWN:
        raise Conflict(f"{advisory.public_id} was withdrawn; draft a new advisory to replace it")
    if (
        advisory.state is AdvisoryState.PUBLISHED
        and advisory.published_revision == advisory.current_revision
    ):
        number = advisory.current_revision
        return PublishResult(
            advisory, number, tuple(renditions_of(session, advisory, number)), True
        )
    current = service.document(session, advisory, advisory.current_revision)
    first = advisory.published_at or now
    label = summary or ("Initial publication" if advisory.published_at is None else "Updated")
    doc = _stamp_published(current, first=first, now=now, summary=label)
    saved = service.store_revision(
        session, advisory, doc, actor=actor, now=now, summary=f"Published: {label}", force=True
    )
    number, doc = saved.revision.number, saved.document
    rows = store_renditions(session, advisory, number, render_all(doc, render), now)
    service.serve(session, advisory, number, doc, now=now)
    previous = advisory.state
    advisory.state = AdvisoryState.PUBLISHED
    advisory.published_revision = number
    advisory.published_at = first
    advisory.last_published_at = now
    advisory.scheduled_at = None
    session.flush()
    failed = [r for r in rows if r.status is RenditionStatus.FAILED]
    audit.append(
        session,
        actor=actor,
        action="advisory.published",
        object_type="advisory",
        object_id=advisory.public_id,
        at=now,
        change={
            "from_state": previous.value,
            "revision": number,
            "digest": saved.revision.digest,
            "renditions": _labels(rows, RenditionStatus.RENDERED),
            "failed": _labels(rows, RenditionStatus.FAILED),
            "not_applicable": _labels(rows, RenditionStatus.NOT_APPLICABLE),
        },
    )
    if failed:
        alert_operator(session, advisory, failed, now)
    _share(session, advisory, number, now)
    return PublishResult(advisory, number, tuple(rows), False)


def _share(session: Session, advisory: Advisory, revision: int, now: datetime) -> None:
    enqueue(
        session,
        KIND_SHARE,
        {"advisory_id": str(advisory.id), "revision": revision},
        now=now,
        idempotency_key=f"{KIND_SHARE}:{advisory.id}:{revision}",
    )


def _labels(rows: list[Rendition], status: RenditionStatus) -> list[str]:
    """``format`` or ``format:key`` of the renditions in ``status``, sorted (for the audit)."""
    return sorted(
        f"{r.format.value}:{r.key}" if r.key else r.format.value for r in rows if r.status is status
    )


def alert_operator(
    session: Session, advisory: Advisory, failed: list[Rendition], now: datetime
) -> None:
    """Tell the operator's administrators which renditions failed (notice + e-mail job).

    The notice names formats and errors only; advisory content stays out of e-mail."""
    admins = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Organisation.kind == OrgKind.OPERATOR, Membership.role == Role.ADMIN)
    ).all()
    message = RenditionsFailed(
        advisory=advisory.public_id,
        failed=tuple(
            FailedRendition(r.format.value, r.key or None, (r.detail or "")[:300]) for r in failed
        ),
    )
    notify_message(
        session,
        admins,
        message,
        f"/advisories/{quote(advisory.public_id)}#downloads",  # its page lists each rendition
        now,
        about=MessageFacts(Sensitivity.PRE_PUBLICATION, advisory.tlp),
    )


def embargo_end(session: Session, case_id: uuid.UUID | None) -> datetime | None:
    """The end of the case's embargo, when one is active (or being revised)."""
    if case_id is None:
        return None
    from clearinghouse.cases.models import Embargo

    embargo = session.get(Embargo, case_id)
    if embargo is None or embargo.ends_at is None or embargo.state not in ("active", "revising"):
        return None
    return embargo.ends_at


def schedule(
    session: Session,
    advisory: Advisory,
    *,
    actor: Principal,
    now: datetime,
    at: datetime | None = None,
) -> Advisory:
    """Publish at ``at`` (default: the end of the case's embargo) by a job due then."""
    require_advisory(actor, AdvisoryAction.PUBLISH, service.facts(session, advisory))
    if advisory.state not in (AdvisoryState.DRAFT, AdvisoryState.SCHEDULED):
        raise Conflict(
            f"{advisory.public_id} is {advisory.state.value}; only drafts are scheduled "
            "(publish an update of a published advisory directly)"
        )
    when = at or embargo_end(session, advisory.case_id)
    if when is None:
        raise InvalidInput(
            "give the instant to publish at: the advisory has no case with an active embargo",
            field="at",
        )
    when = ensure_utc(when)
    if when <= now:
        raise InvalidInput(f"{format_instant(when)} has passed; publish now instead", field="at")
    if advisory.state is AdvisoryState.SCHEDULED and advisory.scheduled_at == when:
        return advisory
    previous = advisory.scheduled_at
    advisory.state = AdvisoryState.SCHEDULED
    advisory.scheduled_at = when
    advisory.updated_at = now
    session.flush()
    enqueue(
        session,
        KIND_PUBLISH,
        {"advisory_id": str(advisory.id), "at": format_instant(when, micro=True)},
        now=now,
        run_after=when,
        idempotency_key=f"{KIND_PUBLISH}:{advisory.id}:{format_instant(when, micro=True)}",
    )
    audit.append(
        session,
        actor=actor,
        action="advisory.scheduled",
        object_type="advisory",
        object_id=advisory.public_id,
        at=now,
        change={"at": when, "previous": previous, "revision": advisory.current_revision},
    )
    return advisory


def unschedule(
    session: Session, advisory: Advisory, *, actor: Principal, now: datetime
) -> Advisory:
    require_advisory(actor, AdvisoryAction.PUBLISH, service.facts(session, advisory))
    if advisory.state is not AdvisoryState.SCHEDULED:
        raise Conflict(f"{advisory.public_id} is {advisory.state.value}, not scheduled")
    previous = advisory.scheduled_at
    advisory.state = AdvisoryState.DRAFT
    advisory.scheduled_at = None
    advisory.updated_at = now
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="advisory.unscheduled",
        object_type="advisory",
        object_id=advisory.public_id,
        at=now,
        change={"previous": previous},
    )
    return advisory


def withdraw(
    session: Session,
    advisory: Advisory,
    *,
    actor: Principal,
    now: datetime,
    reason: str,
    render: RenderContext,
) -> PublishResult:
    """Withdraw a published advisory: a new, re-rendered revision whose vulnerabilities
    carry a ``withdrawn`` instant (OSV clients skip them). Nothing is deleted."""
    require_advisory(actor, AdvisoryAction.PUBLISH, service.facts(session, advisory))
    reason = " ".join(reason.split())
    if not reason or len(reason) > 1000:
        raise InvalidInput("say why the advisory is withdrawn (1-1000 characters)", field="reason")
    if advisory.state is AdvisoryState.WITHDRAWN:
        number = advisory.published_revision or advisory.current_revision
        return PublishResult(
            advisory, number, tuple(renditions_of(session, advisory, number)), True
        )
    if advisory.state is not AdvisoryState.PUBLISHED or advisory.published_revision is None:
        raise Conflict(
            f"{advisory.public_id} is {advisory.state.value}; "
            "only published advisories are withdrawn"
        )
    published = service.revision(session, advisory, advisory.published_revision)
    doc = _stamp_withdrawn(neutral.from_json(published.document), now=now, reason=reason)
    # The withdrawn revision is the published one, for those it was published to: not a
    # pending draft's recipients (a draft names nobody new until it is published).
    saved = service.store_revision(
        session,
        advisory,
        doc,
        actor=actor,
        now=now,
        summary=f"Withdrawn: {reason}",
        force=True,
        recipients=service.Recipients.of(published),
    )
    number, doc = saved.revision.number, saved.document
    if advisory.is_local:
        rendered = render_all(doc, render)
    else:
        rendered = imported_renditions(session, advisory, doc, withdrawn=now)
    rows = store_renditions(session, advisory, number, rendered, now)
    service.serve(session, advisory, number, doc, now=now)
    advisory.state = AdvisoryState.WITHDRAWN
    advisory.published_revision = number
    advisory.withdrawn_at = now
    advisory.withdrawn_reason = reason
    advisory.last_published_at = now
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="advisory.withdrawn",
        object_type="advisory",
        object_id=advisory.public_id,
        at=now,
        change={"reason": reason, "revision": number, "digest": saved.revision.digest},
    )
    _share(session, advisory, number, now)
    return PublishResult(advisory, number, tuple(rows), False)


# ---- the scheduled job -----------------------------------------------------------------------


def run_scheduled(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Publish an advisory whose scheduled instant has come; anything else is a no-op
    (unscheduled, rescheduled, or already published by someone)."""
    try:
        advisory_id = uuid.UUID(str(payload["advisory_id"]))
        at = str(payload["at"])
    except (KeyError, ValueError) as exc:
        raise PermanentJobError(f"bad {KIND_PUBLISH} payload: {exc}") from exc
    advisory = ctx.session.get(Advisory, advisory_id, with_for_update=True)
    if advisory is None or advisory.state is not AdvisoryState.SCHEDULED:
        return
    if advisory.scheduled_at is None or format_instant(advisory.scheduled_at, micro=True) != at:
        return
    # The embargo may have been moved later since this was scheduled: never publish while
    # it is still in force; follow it to its new end instead.
    still_embargoed = embargo_end(ctx.session, advisory.case_id)
    if still_embargoed is not None and still_embargoed > ctx.now():
        schedule(ctx.session, advisory, actor=SYSTEM, now=ctx.now(), at=still_embargoed)
        return
    settings = ctx.settings
    publish(
        ctx.session,
        advisory,
        actor=SYSTEM,
        now=ctx.now(),
        render=render_context(settings.base_url, settings.platform_name),
        summary="Initial publication (embargo ended)",
    )


def register(registry: JobRegistry) -> None:
    registry.register(KIND_PUBLISH, run_scheduled)


def render_context(base_url: str, platform_name: str) -> RenderContext:
    return RenderContext(CnaIdentity.for_platform(base_url, platform_name))


__all__ = [
    "KIND_PUBLISH",
    "KIND_SHARE",
    "PublishResult",
    "RenditionFormat",
    "embargo_end",
    "publish",
    "register",
    "render_context",
    "schedule",
    "unschedule",
    "withdraw",
]
