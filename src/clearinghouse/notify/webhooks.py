"""Webhook subscriptions and events: who wants which events, and emitting them.

An organisation subscribes a URL to event types (``advisory.published``...; ``*`` for
all). :func:`emit_event` runs in the caller's transaction and enqueues one
``webhook.deliver`` job per matching active subscription; the body is fixed at that
moment, so every retry sends the same bytes under the same ``webhook-id``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.audit import service as audit
from clearinghouse.crypto import SecretBox
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.jobs.models import Job
from clearinghouse.jobs.queue import enqueue
from clearinghouse.notify import signing
from clearinghouse.notify.gate import Gate, kept
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.models import WebhookDelivery, WebhookSubscription
from clearinghouse.policy import MessageFacts, Sensitivity
from clearinghouse.principal import Principal
from clearinghouse.timeutil import ensure_utc, format_instant

KIND_DELIVER = "webhook.deliver"
ALL_EVENTS = "*"
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+\Z")  # \Z: $ passes a final newline
MAX_EVENT_TYPES = 50


def validate_event_type(value: str) -> str:
    if value != ALL_EVENTS and not _EVENT_TYPE.match(value):
        raise InvalidInput(
            f"{value!r} is not an event type: use dotted lower-case names such as "
            "'advisory.published', or '*' for every event",
            field="event_types",
        )
    return value


def validate_url(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials in it.

    Where it may point (not loopback or private networks, in production) is checked at
    delivery time, when the name is resolved.
    """
    url = url.strip()
    if len(url) > 2000:
        raise InvalidInput("a webhook URL is at most 2000 characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"not a URL: {exc}", field="url") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("a webhook URL is http:// or https:// with a host", field="url")
    if parts.username or parts.password:
        raise InvalidInput(
            "put no credentials in the webhook URL: verify our signature instead", field="url"
        )
    if port == 0:
        raise InvalidInput("the webhook URL's port is 0", field="url")
    return url


def _event_types(values: Iterable[str]) -> list[str]:
    cleaned = sorted({validate_event_type(v.strip()) for v in values})
    if not cleaned:
        raise InvalidInput("subscribe to at least one event type", field="event_types")
    if len(cleaned) > MAX_EVENT_TYPES:
        raise InvalidInput(f"at most {MAX_EVENT_TYPES} event types", field="event_types")
    return cleaned


@dataclass(frozen=True, slots=True)
class NewSubscription:
    subscription: WebhookSubscription
    secret: str  # whsec_...: shown to the subscriber, who verifies signatures with it


def _audit(
    session: Session,
    actor: Principal,
    action: str,
    sub: WebhookSubscription,
    now: datetime,
    change: dict[str, Any],
) -> None:
    audit.append(
        session,
        actor=actor,
        action=action,
        object_type="webhook_subscription",
        object_id=sub.id,
        owner_org_id=sub.organisation_id,
        at=now,
        change=change,
    )


def create_subscription(
    session: Session,
    *,
    actor: Principal,
    organisation_id: uuid.UUID,
    url: str,
    event_types: Iterable[str],
    now: datetime,
    box: SecretBox,
    description: str = "",
) -> NewSubscription:
    now = ensure_utc(now)
    secret = signing.generate_secret()
    sub = WebhookSubscription(
        id=uuid.uuid4(),
        organisation_id=organisation_id,
        url=validate_url(url),
        secret_ciphertext=box.encrypt(secret),
        event_types=_event_types(event_types),
        description=description.strip()[:200],
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(sub)
    session.flush()
    _audit(
        session,
        actor,
        "webhook.created",
        sub,
        now,
        {"url": sub.url, "event_types": sub.event_types, "description": sub.description},
    )
    return NewSubscription(sub, secret)


def get_subscription(
    session: Session, subscription_id: uuid.UUID, *, organisation_id: uuid.UUID | None = None
) -> WebhookSubscription:
    """The subscription; with ``organisation_id``, only if that organisation owns it."""
    sub = session.get(WebhookSubscription, subscription_id)
    if sub is None or (organisation_id is not None and sub.organisation_id != organisation_id):
        raise NotFound(f"no webhook subscription {subscription_id}")
    return sub


def list_subscriptions(session: Session, organisation_id: uuid.UUID) -> list[WebhookSubscription]:
    return list(
        session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.organisation_id == organisation_id)
            .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
        )
    )


def reveal_secret(sub: WebhookSubscription, box: SecretBox) -> str:
    return box.decrypt(sub.secret_ciphertext)


def update_subscription(
    session: Session,
    *,
    actor: Principal,
    subscription: WebhookSubscription,
    now: datetime,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    active: bool | None = None,
    description: str | None = None,
) -> WebhookSubscription:
    sub = subscription
    change: dict[str, Any] = {}
    if url is not None and validate_url(url) != sub.url:
        change["url"] = {"from": sub.url, "to": validate_url(url)}
        sub.url = validate_url(url)
    if event_types is not None:
        types = _event_types(event_types)
        if types != sub.event_types:
            change["event_types"] = {"from": sub.event_types, "to": types}
            sub.event_types = types
    if active is not None and active != sub.active:
        change["active"] = {"from": sub.active, "to": active}
        sub.active = active
        sub.disabled_reason = None if active else "switched off by the organisation"
    if description is not None and description.strip()[:200] != sub.description:
        change["description"] = {"from": sub.description, "to": description.strip()[:200]}
        sub.description = description.strip()[:200]
    if change:
        sub.updated_at = ensure_utc(now)
        session.flush()
        _audit(session, actor, "webhook.updated", sub, now, change)
    return sub


def rotate_secret(
    session: Session,
    *,
    actor: Principal,
    subscription: WebhookSubscription,
    now: datetime,
    box: SecretBox,
) -> str:
    """A new signing secret (returned once); deliveries from now on are signed with it.
    Jobs already queued sign when they run, so they use the new one too."""
    secret = signing.generate_secret()
    subscription.secret_ciphertext = box.encrypt(secret)
    subscription.updated_at = ensure_utc(now)
    session.flush()
    _audit(session, actor, "webhook.secret_rotated", subscription, now, {})
    return secret


def delete_subscription(
    session: Session, *, actor: Principal, subscription: WebhookSubscription, now: datetime
) -> None:
    _audit(
        session,
        actor,
        "webhook.deleted",
        subscription,
        now,
        {"url": subscription.url, "event_types": subscription.event_types},
    )
    session.delete(subscription)
    session.flush()


def list_deliveries(
    session: Session, subscription_id: uuid.UUID, *, limit: int = 50
) -> list[WebhookDelivery]:
    """Recent delivery attempts (successes and failures), newest first."""
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription_id)
            .order_by(WebhookDelivery.at.desc(), WebhookDelivery.attempt.desc())
            .limit(max(1, min(limit, 500)))
        )
    )


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def event_body(event_type: str, data: dict[str, Any], at: datetime) -> str:
    """The JSON body Standard Webhooks recommends: ``{"type", "timestamp", "data"}``."""
    document = {"type": event_type, "timestamp": format_instant(at, micro=True), "data": data}
    try:
        return orjson.dumps(document).decode()
    except TypeError as exc:
        raise InvalidInput(f"event data is not JSON: {exc}", field="data") from exc


def emit_event(
    session: Session,
    org_id: uuid.UUID,
    kind: MessageKind,
    data: dict[str, Any],
    now: datetime,
    *,
    about: MessageFacts,
    event_id: str | None = None,
) -> list[Job]:
    """Enqueue one delivery per active subscription of ``org_id`` that wants the event,
    if the policy lets a message about ``about`` reach the organisation now
    (:mod:`clearinghouse.notify.gate`). ``data`` must already be filtered for what the
    organisation may see.
    """
    event_type = kind.value
    now = ensure_utc(now)
    if not Gate(session, now).may_reach_org(org_id, about):
        return []
    subs = session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.organisation_id == org_id, WebhookSubscription.active)
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    ).all()
    wanted = [s for s in subs if event_type in s.event_types or ALL_EVENTS in s.event_types]
    if not wanted:
        return []
    event_id = event_id or new_event_id()
    body = event_body(event_type, data, now)
    return [_delivery(session, sub, event_id, event_type, body, now, about) for sub in wanted]


def _delivery(
    session: Session,
    sub: WebhookSubscription,
    event_id: str,
    event_type: str,
    body: str,
    now: datetime,
    about: MessageFacts,
) -> Job:
    """The job that delivers one event to one subscription (once per pair); it keeps
    ``about``, for the gate to ask again before the event is posted."""
    return enqueue(
        session,
        KIND_DELIVER,
        {
            "subscription_id": str(sub.id),
            "event_id": event_id,
            "event_type": event_type,
            "body": body,
            "about": kept(about),
        },
        now=now,
        idempotency_key=f"{KIND_DELIVER}:{event_id}:{sub.id}",
    )


TEST_EVENT = "webhook.test"


def send_test(
    session: Session, *, actor: Principal, subscription: WebhookSubscription, now: datetime
) -> Job:
    """Enqueue one ``webhook.test`` delivery to this subscription alone (whatever events it
    wants), signed like any other, so its owner can check the endpoint; it carries no data
    about anything but the subscription itself."""
    now = ensure_utc(now)
    event_id = new_event_id()
    body = event_body(TEST_EVENT, {"subscription": str(subscription.id)}, now)
    own = MessageFacts(Sensitivity.OWN_RECORD)  # about the subscription itself
    job = _delivery(session, subscription, event_id, TEST_EVENT, body, now, own)
    _audit(session, actor, "webhook.tested", subscription, now, {"event_id": event_id})
    return job
