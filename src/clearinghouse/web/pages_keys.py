"""A signed-in person's API tokens, their organisation's webhooks, and how they are
notified: the pages of ``/api/v1/tokens``, ``/api/v1/organisations/{slug}/webhooks`` and
``/api/v1/me/notification-preferences``, through the same services and policy.

A new token's secret and a new webhook's signing secret are shown once: in the answer
to the form that created them (never in a URL, never stored to show again).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Final

from sqlalchemy import select
from starlette.responses import HTMLResponse, Response

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import ApiToken, NotifyMode, User
from clearinghouse.api.deps import admitted_router
from clearinghouse.crypto import SecretBox
from clearinghouse.errors import ClearinghouseError, NotFound
from clearinghouse.notify import service as notices
from clearinghouse.notify import webhooks
from clearinghouse.notify.models import WebhookSubscription
from clearinghouse.policy import MISSING, AccountAction, OrgFacts, OwnedFacts, require_account
from clearinghouse.principal import Scope, Via
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import N_, FieldErrors, errors_of
from clearinghouse.web.pages_account import own_user

router = admitted_router(include_in_schema=False)

NAME_MAX: Final = 100
URL_MAX: Final = 2000
DESCRIPTION_MAX: Final = 200
EVENTS_INPUT_MAX: Final = 2000
EXPIRY_DAYS: Final = (30, 90, 365)
SCOPES: Final = {
    Scope.READ: N_("read"),
    Scope.WRITE: N_("write"),
    Scope.ADMIN: N_("administer"),
    Scope.TAXII: N_("TAXII"),
}
MODES: Final = {
    NotifyMode.IMMEDIATE: N_("One e-mail for each notice"),
    NotifyMode.DIGEST: N_("One e-mail a day with every notice"),
}
NEED_NAME: Final = N_("Give the token a name.")
NEED_SCOPE: Final = N_("Choose at least one scope.")
FROM_SESSION: Final = N_("Tokens are created from a signed-in browser session.")


# ---- API tokens -----------------------------------------------------------------------------


def _tokens(page: Page) -> list[ApiToken]:
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == page.principal.user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id)
        .limit(200)
    )
    return list(page.session.scalars(query))


def _tokens_page(
    page: Page,
    *,
    created: accounts.NewToken | None = None,
    errors: FieldErrors | None = None,
    name: str = "",
    status: int = 200,
    revoked: bool = False,
) -> HTMLResponse:
    return page.render(
        "tokens.html",
        status=status,
        tokens=_tokens(page),
        created=created,
        errors=errors or FieldErrors(),
        name=name,
        revoked=revoked,
        scopes=[(k.value, page._(v)) for k, v in SCOPES.items()],
        expiries=EXPIRY_DAYS,
        now=page.now(),
    )


@router.get("/settings/tokens", response_class=HTMLResponse)
def tokens_page(page: PageDep, revoked: bool = False) -> HTMLResponse:
    require_account(page.principal, AccountAction.TOKEN_LIST)
    return _tokens_page(page, revoked=revoked)


@router.post("/settings/tokens", response_class=HTMLResponse)
def create_token(page: PageDep) -> Response:
    p = page.principal
    require_account(p, AccountAction.TOKEN_CREATE)
    name = page.field("name").strip()[:NAME_MAX]
    form = page.presented.form
    chosen = form.getlist("scopes") if form is not None else []
    scopes = {s for s in Scope if s.value in chosen}
    errors = FieldErrors()
    if not name:
        errors.add("name", page._(NEED_NAME))
    if not scopes:
        errors.add("scopes", page._(NEED_SCOPE))
    user = page.session.get(User, p.user_id) if p.user_id is not None else None
    if p.via is not Via.SESSION or user is None or p.org_id is None:
        errors.add("form", page._(FROM_SESSION))
    if errors or user is None or p.org_id is None:
        return _tokens_page(page, errors=errors, name=name, status=422)
    days = page.field("expires_in_days")
    expires = (
        page.now() + timedelta(days=int(days)) if days in {str(d) for d in EXPIRY_DAYS} else None
    )
    try:
        with page.attempt():
            new = accounts.create_token(
                page.session,
                actor=p,
                user=user,
                org_id=p.org_id,
                name=name,
                scopes=scopes,
                now=page.now(),
                expires_at=expires,
            )
    except ClearinghouseError as exc:
        return _tokens_page(page, errors=errors_of(page._, exc), name=name, status=exc.status)
    return _tokens_page(page, created=new)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(token_id: str, page: PageDep) -> Response:
    token = _by_id(page, ApiToken, token_id)
    if token is None:
        require_account(page.principal, AccountAction.TOKEN_REVOKE, MISSING)
        raise NotFound("no such token")
    require_account(
        page.principal,
        AccountAction.TOKEN_REVOKE,
        OwnedFacts(token.organisation_id, token.user_id),
    )
    accounts.revoke_token(page.session, actor=page.principal, token=token, now=page.now())
    return page.redirect("/settings/tokens?revoked=true")


def _by_id(page: Page, model: type[ApiToken], value: str) -> ApiToken | None:
    try:
        return page.session.get(model, uuid.UUID(value))
    except ValueError:
        return None


# ---- webhooks --------------------------------------------------------------------------------


def _own_org(page: Page) -> uuid.UUID:
    """The caller's organisation, once it may manage its webhooks."""
    org_id = page.principal.org_id
    require_account(
        page.principal,
        AccountAction.WEBHOOKS_MANAGE,
        OrgFacts(org_id) if org_id is not None else MISSING,
    )
    if org_id is None:  # pragma: no cover (the policy refuses a principal without one)
        raise NotFound("no organisation")
    return org_id


def _hooks_page(
    page: Page,
    org_id: uuid.UUID,
    *,
    created: webhooks.NewSubscription | None = None,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    tested: bool = False,
) -> HTMLResponse:
    return page.render(
        "webhooks.html",
        status=status,
        hooks=webhooks.list_subscriptions(page.session, org_id),
        created=created,
        errors=errors or FieldErrors(),
        values=values or {"url": "", "event_types": "*", "description": ""},
        tested=tested,
    )


@router.get("/settings/webhooks", response_class=HTMLResponse)
def webhooks_page(page: PageDep, tested: bool = False) -> HTMLResponse:
    return _hooks_page(page, _own_org(page), tested=tested)


@router.post("/settings/webhooks", response_class=HTMLResponse)
def add_webhook(page: PageDep) -> Response:
    org_id = _own_org(page)
    values = {
        "url": page.field("url").strip()[:URL_MAX],
        "event_types": page.field("event_types")[:EVENTS_INPUT_MAX],
        "description": page.field("description").strip()[:DESCRIPTION_MAX],
    }
    try:
        with page.attempt():
            created = webhooks.create_subscription(
                page.session,
                actor=page.principal,
                organisation_id=org_id,
                url=values["url"],
                event_types=values["event_types"].replace(",", " ").split(),
                description=values["description"],
                now=page.now(),
                box=SecretBox(page.settings.secret_key.get_secret_value()),
            )
    except ClearinghouseError as exc:
        errors = errors_of(page._, exc)
        return _hooks_page(page, org_id, errors=errors, values=values, status=exc.status)
    return _hooks_page(page, org_id, created=created)


def _hook(page: Page, subscription_id: str) -> WebhookSubscription:
    """A subscription, asked of the policy with its own organisation (as the API asks)."""
    try:
        found = page.session.get(WebhookSubscription, uuid.UUID(subscription_id))
    except ValueError:
        found = None
    if found is None:
        require_account(page.principal, AccountAction.WEBHOOKS_MANAGE, MISSING)
        raise NotFound("no such subscription")
    require_account(page.principal, AccountAction.WEBHOOKS_MANAGE, OrgFacts(found.organisation_id))
    return found


@router.post("/settings/webhooks/{subscription_id}/delete")
def remove_webhook(subscription_id: str, page: PageDep) -> Response:
    hook = _hook(page, subscription_id)
    webhooks.delete_subscription(
        page.session, actor=page.principal, subscription=hook, now=page.now()
    )
    return page.redirect("/settings/webhooks")


@router.post("/settings/webhooks/{subscription_id}/test")
def test_webhook(subscription_id: str, page: PageDep) -> Response:
    hook = _hook(page, subscription_id)
    webhooks.send_test(page.session, actor=page.principal, subscription=hook, now=page.now())
    return page.redirect("/settings/webhooks?tested=true")


# ---- notification preferences ----------------------------------------------------------------


@router.get("/settings/notifications", response_class=HTMLResponse)
def preferences_page(page: PageDep, saved: bool = False) -> HTMLResponse:
    user = own_user(page, AccountAction.PREFERENCES_READ)
    return page.render(
        "notification_settings.html",
        user=user,
        modes=[(k.value, page._(v)) for k, v in MODES.items()],
        saved=saved,
    )


@router.post("/settings/notifications")
def save_preferences(page: PageDep) -> Response:
    user = own_user(page, AccountAction.PREFERENCES_UPDATE)
    mode = next((m for m in NotifyMode if m.value == page.field("notify_mode")), None)
    if mode is not None:
        notices.set_notify_mode(
            page.session, actor=page.principal, user_id=user.id, mode=mode, now=page.now()
        )
    return page.redirect("/settings/notifications?saved=true")
