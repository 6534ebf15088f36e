"""Request dependencies: the runtime, the transaction, and who is asking.

The request owns the transaction: :func:`context` opens it, the route and the helpers it
calls flush, and it commits after the route returns (before the response is sent) or
rolls back on any error.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.principal import ANONYMOUS, Principal, Via
from clearinghouse.cases import tokens as case_tokens
from clearinghouse.errors import Forbidden, Unauthenticated
from clearinghouse.runtime import Runtime
from clearinghouse.settings import Settings
from clearinghouse.standing.queries import active_suspension

SESSION_COOKIE = "ch_session"
CSRF_HEADER = "x-csrf-token"
REPORT_TOKEN_HEADER = "x-report-token"  # noqa: S105 (a header name)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


@dataclass
class Ctx:
    """Everything a route needs: the open transaction, the caller, the time."""

    session: Session
    principal: Principal
    runtime: Runtime
    request: Request

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def now(self) -> datetime:
        return self.runtime.clock.now()

    @property
    def client(self) -> str:
        return self.request.client.host if self.request.client else "unknown"


def resolve_principal(request: Request, session: Session, rt: Runtime) -> Principal:
    """Bearer token, HTTP Basic (e-mail + password, or a token as password), an invitation
    link (``Authorization: Invite <token>``), a report tracking token (``X-Report-Token``),
    or a session."""
    now = rt.clock.now()
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            return accounts.token_principal(session, value.strip(), now)
        if scheme == "basic":
            return _basic(session, rt, value.strip(), request)
        if scheme == "invite":  # a vendor's invitation link (cases)
            return case_tokens.invitation_principal(
                session, value.strip(), now, rt.settings.secret_key.get_secret_value()
            )
        raise Unauthenticated("use a Bearer token, HTTP Basic credentials or an Invite token")
    report_token = request.headers.get(REPORT_TOKEN_HEADER)
    if report_token:  # a finder following an anonymous report
        return case_tokens.report_principal(session, report_token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = accounts.session_principal(session, cookie, now)
        if found is None:
            return ANONYMOUS
        principal, record = found
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not secrets.compare_digest(sent, record.csrf_token):
                raise Forbidden(
                    "missing or wrong CSRF token: send the X-CSRF-Token header "
                    "you got from /api/v1/auth/login",
                    code_detail="csrf",
                )
        return principal
    return ANONYMOUS


def _basic(session: Session, rt: Runtime, value: str, request: Request) -> Principal:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthenticated("malformed Basic credentials") from exc
    user_part, _, password = decoded.partition(":")
    if password.startswith(accounts.TOKEN_PREFIX):
        return accounts.token_principal(session, password, rt.clock.now())
    settings = rt.settings
    user = accounts.authenticate(
        session,
        email=user_part,
        password=password,
        client=request.client.host if request.client else "unknown",
        now=rt.clock.now(),
        limits=accounts.LoginLimits(
            settings.login_max_failures, timedelta(seconds=settings.login_window_seconds)
        ),
    )
    membership = accounts.membership_of(session, user.id)
    return accounts.principal_for(membership, Via.SESSION)


def _context(request: Request) -> Iterator[Ctx]:
    rt = runtime(request)
    session = rt.database.session(write=request.method not in SAFE_METHODS)
    try:
        session.begin()
        try:
            principal = resolve_principal(request, session, rt)
            if principal.org_id is not None and active_suspension(
                session, principal.org_id, rt.clock.now()
            ):
                principal = replace(principal, suspended=True)
        except Unauthenticated:
            session.commit()  # keep the counted login failures
            raise
        yield Ctx(session=session, principal=principal, runtime=rt, request=request)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


context = Depends(_context, scope="function")
CtxDep = Annotated[Ctx, context]
