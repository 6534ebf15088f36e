"""Accounts over HTTP: login/logout, the caller, organisations, users, API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import ApiToken, Membership, Organisation, User
from clearinghouse.api.deps import SESSION_COOKIE, CtxDep, admitted_router, runtime
from clearinghouse.api.pagination import Page, clamp_limit, issue_cursor, read_cursor
from clearinghouse.errors import InvalidInput, NotFound, Unauthenticated
from clearinghouse.policy import (
    MISSING,
    AccountAction,
    OrgFacts,
    OwnedFacts,
    org_scope,
    require_account,
)
from clearinghouse.principal import Scope, Via
from clearinghouse.vocab import OrgKind, Role

router = admitted_router(prefix="/api/v1", tags=["accounts"])


class LoginIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    organisation: str | None = Field(None, description="slug, when the user belongs to several")


class LoginOut(BaseModel):
    csrf_token: str
    expires_at: datetime
    user: str
    organisation: str


class OrgIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(max_length=63)
    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind
    country: str | None = Field(None, min_length=2, max_length=2)
    jurisdictions: list[str] = Field(default_factory=list, max_length=50)
    regulatory_roles: list[str] = Field(default_factory=list, max_length=20)
    contact_email: str | None = Field(None, max_length=320)


class OrgPatch(BaseModel):
    """Change an organisation. The regulatory profile (country, jurisdictions, roles) is the
    operator's to set: it decides which reporting regimes bind the organisation."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    country: str | None = Field(None, min_length=2, max_length=2)
    jurisdictions: list[str] | None = Field(None, max_length=50)
    regulatory_roles: list[str] | None = Field(None, max_length=20)
    contact_email: str | None = Field(None, max_length=320)
    pgp_public_key: str | None = Field(
        None, max_length=200_000, description="ASCII-armored; '' removes it"
    )


class OrgOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    slug: str
    name: str
    kind: OrgKind
    country: str | None
    jurisdictions: list[str]
    regulatory_roles: list[str]
    contact_email: str | None
    pgp_fingerprint: str | None = None
    created_at: datetime


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(None, max_length=1024)
    role: Role
    timezone: str = Field("UTC", max_length=64)


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    timezone: str
    created_at: datetime


class MeOut(BaseModel):
    user_id: uuid.UUID | None
    email: str
    organisation_id: uuid.UUID | None
    organisation_kind: str | None
    role: str | None
    scopes: list[str]
    via: str


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
    expires_in_days: int | None = Field(90, ge=1, le=3650, description="null: never expires")


class TokenOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="shown once; store it now")


def _token_out(t: ApiToken) -> TokenOut:
    return TokenOut(
        id=t.id,
        name=t.name,
        prefix=t.prefix,
        scopes=t.scopes,
        created_at=t.created_at,
        expires_at=t.expires_at,
        revoked_at=t.revoked_at,
        last_used_at=t.last_used_at,
    )


@router.post("/auth/login", response_model=LoginOut, summary="Start a browser session")
def login(body: LoginIn, request: Request, response: Response) -> LoginOut:
    rt = runtime(request)
    settings = rt.settings
    now = rt.clock.now()
    limits = accounts.LoginLimits(
        settings.login_max_failures, timedelta(seconds=settings.login_window_seconds)
    )
    client = request.client.host if request.client else "unknown"
    with rt.database.session() as session:
        session.begin()
        try:
            done = accounts.sign_in(
                session,
                email=body.email,
                password=body.password,
                organisation=body.organisation,
                client=client,
                now=now,
                limits=limits,
                hours=settings.session_hours,
            )
        except Unauthenticated:
            session.commit()  # the failure counts
            raise
        new = done.new
        out = LoginOut(
            csrf_token=new.csrf_token,
            expires_at=new.record.expires_at,
            user=done.user.email,
            organisation=done.membership.organisation.slug,
        )
        session.commit()
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        secure=settings.cookies_secure,
        samesite="lax",
        path="/",
    )
    return out


@router.post("/auth/logout", status_code=204, summary="End the browser session")
def logout(ctx: CtxDep, response: Response) -> Response:
    cookie = ctx.request.cookies.get(SESSION_COOKIE)
    if cookie:
        accounts.end_session(ctx.session, cookie, ctx.now())
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/me", response_model=MeOut, summary="Who am I")
def me(ctx: CtxDep) -> MeOut:
    p = ctx.principal
    require_account(p, AccountAction.ME_READ)
    return MeOut(
        user_id=p.user_id,
        email=p.label,
        organisation_id=p.org_id,
        organisation_kind=p.org_kind,
        role=p.role,
        scopes=sorted(s.value for s in p.scopes),
        via=p.via.value,
    )


@router.post("/organisations", response_model=OrgOut, status_code=201)
def create_org(body: OrgIn, ctx: CtxDep) -> Organisation:
    require_account(ctx.principal, AccountAction.ORG_CREATE)
    return accounts.create_organisation(
        ctx.session,
        actor=ctx.principal,
        now=ctx.now(),
        slug=body.slug,
        name=body.name,
        kind=body.kind,
        country=body.country,
        jurisdictions=body.jurisdictions,
        regulatory_roles=body.regulatory_roles,
        contact_email=body.contact_email,
    )


@router.get("/organisations", response_model=Page[OrgOut])
def list_orgs(
    ctx: CtxDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[OrgOut]:
    require_account(ctx.principal, AccountAction.ORG_LIST)
    n = clamp_limit(limit)
    query = select(Organisation).order_by(Organisation.slug)
    visible = org_scope(ctx.principal)
    if not visible.everything:
        query = query.where(Organisation.id == visible.org_id)
    after = read_cursor(ctx, cursor)
    if after:
        query = query.where(Organisation.slug > str(after[0]))
    rows = ctx.session.scalars(query.limit(n + 1)).all()
    items = [OrgOut.model_validate(o) for o in rows[:n]]
    return Page(
        items=items, next_cursor=issue_cursor(ctx, [rows[n - 1].slug]) if len(rows) > n else None
    )


def _org(ctx: CtxDep, slug: str, action: AccountAction) -> Organisation:
    org = ctx.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if org is None:
        require_account(ctx.principal, action, MISSING)
        raise NotFound(f"no organisation {slug!r}")
    require_account(ctx.principal, action, OrgFacts(org.id))
    return org


@router.get("/organisations/{slug}", response_model=OrgOut)
def get_org(slug: str, ctx: CtxDep) -> Organisation:
    return _org(ctx, slug, AccountAction.ORG_READ)


@router.patch("/organisations/{slug}", response_model=OrgOut)
def update_org(slug: str, body: OrgPatch, ctx: CtxDep) -> OrgOut:
    org = _org(ctx, slug, AccountAction.ORG_UPDATE)
    if {"country", "jurisdictions", "regulatory_roles"} & body.model_fields_set:
        require_account(ctx.principal, AccountAction.ORG_PROFILE_UPDATE, OrgFacts(org.id))
    changes = accounts.update_organisation(
        ctx.session,
        actor=ctx.principal,
        org=org,
        now=ctx.now(),
        values=body.model_dump(exclude_unset=True),
    )
    out = OrgOut.model_validate(org)
    out.pgp_fingerprint = changes.get("pgp_fingerprint") or accounts.pgp_fingerprint(org, ctx.now())
    return out


@router.post("/organisations/{slug}/users", response_model=UserOut, status_code=201)
def create_user(slug: str, body: UserIn, ctx: CtxDep) -> UserOut:
    org = _org(ctx, slug, AccountAction.USER_CREATE)
    user = accounts.create_user(
        ctx.session,
        actor=ctx.principal,
        now=ctx.now(),
        email=body.email,
        name=body.name,
        password=body.password,
        organisation=org,
        role=body.role,
        timezone=body.timezone,
    )
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=body.role,
        timezone=user.timezone,
        created_at=user.created_at,
    )


@router.get("/organisations/{slug}/users", response_model=Page[UserOut])
def list_users(
    slug: str,
    ctx: CtxDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[UserOut]:
    org = _org(ctx, slug, AccountAction.USER_READ)
    n = clamp_limit(limit)
    query = (
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == org.id)
        .order_by(User.email)
    )
    after = read_cursor(ctx, cursor)
    if after:
        query = query.where(User.email > str(after[0]))
    rows = ctx.session.execute(query.limit(n + 1)).all()
    items = [
        UserOut(
            id=u.id,
            email=u.email,
            name=u.name,
            role=r,
            timezone=u.timezone,
            created_at=u.created_at,
        )
        for u, r in rows[:n]
    ]
    return Page(
        items=items,
        next_cursor=issue_cursor(ctx, [rows[n - 1][0].email]) if len(rows) > n else None,
    )


@router.post("/tokens", response_model=NewTokenOut, status_code=201, summary="Create an API token")
def create_token(body: TokenIn, ctx: CtxDep) -> NewTokenOut:
    p = ctx.principal
    require_account(p, AccountAction.TOKEN_CREATE)
    if p.via is not Via.SESSION or p.user_id is None or p.org_id is None:
        raise InvalidInput("tokens are created from a signed-in session", field="authorization")
    user = ctx.session.get(User, p.user_id)
    if user is None:
        raise NotFound("user not found")
    now = ctx.now()
    expires = now + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    new = accounts.create_token(
        ctx.session,
        actor=p,
        user=user,
        org_id=p.org_id,
        name=body.name,
        scopes=set(body.scopes),
        now=now,
        expires_at=expires,
    )
    return NewTokenOut(**_token_out(new.record).model_dump(), token=new.secret)


@router.get("/tokens", response_model=Page[TokenOut], summary="My API tokens")
def list_tokens(
    ctx: CtxDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int | None, Query()] = None,
) -> Page[TokenOut]:
    require_account(ctx.principal, AccountAction.TOKEN_LIST)
    n = clamp_limit(limit)
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == ctx.principal.user_id)
        .order_by(ApiToken.created_at, ApiToken.id)
    )
    after = read_cursor(ctx, cursor)
    if after:
        try:
            when, ident = datetime.fromisoformat(str(after[0])), uuid.UUID(str(after[1]))
        except (ValueError, IndexError) as exc:
            raise InvalidInput("cursor is not one this server issued", field="cursor") from exc
        query = query.where(
            (ApiToken.created_at > when) | ((ApiToken.created_at == when) & (ApiToken.id > ident))
        )
    rows = ctx.session.scalars(query.limit(n + 1)).all()
    last = rows[n - 1] if len(rows) > n else None
    return Page(
        items=[_token_out(t) for t in rows[:n]],
        next_cursor=issue_cursor(ctx, [last.created_at.isoformat(), str(last.id)])
        if last
        else None,
    )


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke an API token")
def revoke_token(token_id: uuid.UUID, ctx: CtxDep) -> Response:
    token = ctx.session.get(ApiToken, token_id)
    if token is None:
        require_account(ctx.principal, AccountAction.TOKEN_REVOKE, MISSING)
        raise NotFound("no such token")
    require_account(
        ctx.principal, AccountAction.TOKEN_REVOKE, OwnedFacts(token.organisation_id, token.user_id)
    )
    accounts.revoke_token(ctx.session, actor=ctx.principal, token=token, now=ctx.now())
    return Response(status_code=204)
