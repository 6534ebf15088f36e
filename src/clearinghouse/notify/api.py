"""Notifications, preferences and webhook subscriptions over HTTP.

- ``/api/v1/notifications``: the caller's own notices (list, mark read);
- ``/api/v1/me/notification-preferences``: immediate e-mail or a daily digest;
- ``/api/v1/organisations/{slug}/webhooks``: an organisation's subscriptions (its
  administrators; operator administrators for any organisation), the signing secret
  shown on creation and rotation only, and the delivery log.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from clearinghouse.accounts.models import NotifyMode, Organisation, User
from clearinghouse.api.deps import CtxDep, admitted_router
from clearinghouse.api.pagination import Page, clamp_limit, issue_cursor, read_cursor
from clearinghouse.crypto import SecretBox
from clearinghouse.errors import InvalidInput, NotFound, Unauthenticated
from clearinghouse.notify import service, webhooks
from clearinghouse.notify.models import Delivery, Notification, WebhookDelivery, WebhookSubscription
from clearinghouse.policy import MISSING, AccountAction, OrgFacts, require_account
from clearinghouse.timeutil import format_instant, parse_instant

router = admitted_router(prefix="/api/v1", tags=["notifications"])


# ---- the caller's notifications ------------------------------------------------------------


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    subject: str = Field(description="In English, instants in UTC (see params)")
    body: str = Field(description="In English, instants in UTC (see params)")
    params: dict[str, Any] | None = Field(
        description="What the notice says without words, for the kinds that have them "
        "(clocks.alert, standing.reassessment_reminder, advisory.rendition_failed): ids, "
        "names, instants in RFC 3339 UTC. The pages and e-mails word it in the reader's "
        "language and time zone. null: a notice recorded as text only."
    )
    link: str | None
    organisation_id: uuid.UUID | None
    delivery: Delivery
    created_at: datetime
    emailed_at: datetime | None
    read_at: datetime | None


def _notification_out(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        subject=n.subject,
        body=n.body,
        params=n.params,
        link=n.link,
        organisation_id=n.organisation_id,
        delivery=n.delivery,
        created_at=n.created_at,
        emailed_at=n.emailed_at,
        read_at=n.read_at,
    )


def _self(ctx: CtxDep, action: AccountAction) -> uuid.UUID:
    """The caller's own user id, once the policy allows ``action`` on what is its own."""
    require_account(ctx.principal, action)
    if ctx.principal.user_id is None:  # pragma: no cover (the policy asks for a user)
        raise Unauthenticated("sign in or send a bearer token of a user")
    return ctx.principal.user_id


@router.get("/notifications", response_model=Page[NotificationOut], summary="My notifications")
def my_notifications(
    ctx: CtxDep,
    unread: bool = False,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[NotificationOut]:
    user_id = _self(ctx, AccountAction.NOTIFICATIONS_READ)
    n = clamp_limit(limit)
    query = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(n + 1)
    )
    if unread:
        query = query.where(Notification.read_at.is_(None))
    key = read_cursor(ctx, cursor)
    if key is not None:
        try:
            at, last = parse_instant(str(key[0])), uuid.UUID(str(key[1]))
        except (ValueError, IndexError) as exc:
            raise InvalidInput("cursor is not one this server issued", field="cursor") from exc
        query = query.where(
            (Notification.created_at < at)
            | ((Notification.created_at == at) & (Notification.id < last))
        )
    rows = ctx.session.scalars(query).all()
    next_cursor = None
    if len(rows) > n:
        tail = rows[n - 1]
        next_cursor = issue_cursor(ctx, [format_instant(tail.created_at, micro=True), str(tail.id)])
    return Page(items=[_notification_out(r) for r in rows[:n]], next_cursor=next_cursor)


class MarkReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class MarkReadOut(BaseModel):
    changed: int


@router.post("/notifications/read", response_model=MarkReadOut, summary="Mark notifications read")
def mark_read(body: MarkReadIn, ctx: CtxDep) -> MarkReadOut:
    user_id = _self(ctx, AccountAction.NOTIFICATIONS_UPDATE)
    changed = service.mark_read(ctx.session, user_id, body.ids, ctx.now())
    return MarkReadOut(changed=changed)


class PreferencesIO(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notify_mode: NotifyMode = Field(description="immediate: one e-mail each; digest: one a day")


@router.get(
    "/me/notification-preferences", response_model=PreferencesIO, summary="How I am notified"
)
def get_preferences(ctx: CtxDep) -> PreferencesIO:
    user = ctx.session.get(User, _self(ctx, AccountAction.PREFERENCES_READ))
    if user is None:
        raise NotFound("no such user")
    return PreferencesIO(notify_mode=user.notify_mode)


@router.put(
    "/me/notification-preferences", response_model=PreferencesIO, summary="Change how I am notified"
)
def set_preferences(body: PreferencesIO, ctx: CtxDep) -> PreferencesIO:
    user_id = _self(ctx, AccountAction.PREFERENCES_UPDATE)
    user = service.set_notify_mode(
        ctx.session,
        actor=ctx.principal,
        user_id=user_id,
        mode=body.notify_mode,
        now=ctx.now(),
    )
    return PreferencesIO(notify_mode=user.notify_mode)


# ---- webhook subscriptions ------------------------------------------------------------------


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(min_length=1, max_length=webhooks.MAX_EVENT_TYPES)
    description: str = Field("", max_length=200)


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, max_length=2000)
    event_types: list[str] | None = Field(None, min_length=1, max_length=webhooks.MAX_EVENT_TYPES)
    active: bool | None = None
    description: str | None = Field(None, max_length=200)


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    url: str
    event_types: list[str]
    description: str
    active: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class NewSubscriptionOut(SubscriptionOut):
    secret: str = Field(description="whsec_...: verify deliveries with it; shown once")


class SecretOut(BaseModel):
    secret: str = Field(description="the new whsec_... secret; shown once")


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: str
    event_type: str
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int | None


def _subscription_out(s: WebhookSubscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=s.id,
        organisation_id=s.organisation_id,
        url=s.url,
        event_types=s.event_types,
        description=s.description,
        active=s.active,
        disabled_reason=s.disabled_reason,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


def _box(ctx: CtxDep) -> SecretBox:
    return SecretBox(ctx.settings.secret_key.get_secret_value())


def _org(ctx: CtxDep, slug: str) -> Organisation:
    org = ctx.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if org is None:
        require_account(ctx.principal, AccountAction.WEBHOOKS_MANAGE, MISSING)
        raise NotFound(f"no organisation {slug!r}")
    require_account(ctx.principal, AccountAction.WEBHOOKS_MANAGE, OrgFacts(org.id))
    return org


def _subscription(ctx: CtxDep, slug: str, subscription_id: uuid.UUID) -> WebhookSubscription:
    org = _org(ctx, slug)
    return webhooks.get_subscription(ctx.session, subscription_id, organisation_id=org.id)


_HOOKS = "/organisations/{slug}/webhooks"


@router.get(_HOOKS, response_model=list[SubscriptionOut], summary="Webhook subscriptions")
def list_subscriptions(slug: str, ctx: CtxDep) -> list[SubscriptionOut]:
    org = _org(ctx, slug)
    return [_subscription_out(s) for s in webhooks.list_subscriptions(ctx.session, org.id)]


@router.post(_HOOKS, response_model=NewSubscriptionOut, status_code=201, summary="Subscribe a URL")
def create_subscription(slug: str, body: SubscriptionIn, ctx: CtxDep) -> NewSubscriptionOut:
    org = _org(ctx, slug)
    new = webhooks.create_subscription(
        ctx.session,
        actor=ctx.principal,
        organisation_id=org.id,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        now=ctx.now(),
        box=_box(ctx),
    )
    out = _subscription_out(new.subscription)
    return NewSubscriptionOut(**out.model_dump(), secret=new.secret)


@router.get(_HOOKS + "/{subscription_id}", response_model=SubscriptionOut)
def get_subscription(slug: str, subscription_id: uuid.UUID, ctx: CtxDep) -> SubscriptionOut:
    return _subscription_out(_subscription(ctx, slug, subscription_id))


@router.patch(_HOOKS + "/{subscription_id}", response_model=SubscriptionOut)
def update_subscription(
    slug: str, subscription_id: uuid.UUID, body: SubscriptionPatch, ctx: CtxDep
) -> SubscriptionOut:
    sub = webhooks.update_subscription(
        ctx.session,
        actor=ctx.principal,
        subscription=_subscription(ctx, slug, subscription_id),
        now=ctx.now(),
        url=body.url,
        event_types=body.event_types,
        active=body.active,
        description=body.description,
    )
    return _subscription_out(sub)


@router.delete(_HOOKS + "/{subscription_id}", status_code=204)
def delete_subscription(slug: str, subscription_id: uuid.UUID, ctx: CtxDep) -> Response:
    webhooks.delete_subscription(
        ctx.session,
        actor=ctx.principal,
        subscription=_subscription(ctx, slug, subscription_id),
        now=ctx.now(),
    )
    return Response(status_code=204)


@router.post(
    _HOOKS + "/{subscription_id}/rotate-secret",
    response_model=SecretOut,
    summary="Replace the signing secret",
)
def rotate_secret(slug: str, subscription_id: uuid.UUID, ctx: CtxDep) -> SecretOut:
    secret = webhooks.rotate_secret(
        ctx.session,
        actor=ctx.principal,
        subscription=_subscription(ctx, slug, subscription_id),
        now=ctx.now(),
        box=_box(ctx),
    )
    return SecretOut(secret=secret)


@router.get(
    _HOOKS + "/{subscription_id}/deliveries",
    response_model=list[DeliveryOut],
    summary="Recent delivery attempts, newest first",
)
def deliveries(
    slug: str,
    subscription_id: uuid.UUID,
    ctx: CtxDep,
    limit: Annotated[int | None, Query()] = None,
) -> list[DeliveryOut]:
    sub = _subscription(ctx, slug, subscription_id)
    rows: list[WebhookDelivery] = webhooks.list_deliveries(
        ctx.session, sub.id, limit=clamp_limit(limit)
    )
    return [
        DeliveryOut(
            id=d.id,
            event_id=d.event_id,
            event_type=d.event_type,
            attempt=d.attempt,
            at=d.at,
            status_code=d.status_code,
            error=d.error,
            duration_ms=d.duration_ms,
        )
        for d in rows
    ]
