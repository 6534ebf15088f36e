"""Who is asking: the credentials of a request resolved into a :class:`Principal`.

Schemes of this package: a bearer API token; HTTP Basic with an e-mail address and
password or with an API token as the password; a browser session cookie, with its CSRF
token on every unsafe request. Credentials that other domains own are plugged in by the
wiring (``app.py``), so that this package imports none of them: an invitation link
(``Authorization: Invite <token>``) and a report's tracking token (``X-Report-Token``).

Every principal of an organisation under an active suspension comes out with
``suspended=True``; the policy decides what that withholds.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.suspension import active_suspension
from clearinghouse.errors import Forbidden, Unauthenticated
from clearinghouse.principal import ANONYMOUS, Credentials, Principal, Via
from clearinghouse.settings import Settings

# (session, credential value, now) -> the principal it opens, or Unauthenticated.
SchemeResolver = Callable[[Session, str, datetime], Principal]


class Authenticator:
    """``authenticator(session, credentials, now) -> Principal`` for every request."""

    def __init__(
        self,
        settings: Settings,
        *,
        schemes: Mapping[str, SchemeResolver] | None = None,
        report_token: SchemeResolver | None = None,
    ) -> None:
        self._limits = accounts.LoginLimits(
            settings.login_max_failures, timedelta(seconds=settings.login_window_seconds)
        )
        self._schemes = {k.lower(): v for k, v in (schemes or {}).items()}
        self._report_token = report_token

    def __call__(self, session: Session, credentials: Credentials, now: datetime) -> Principal:
        principal = self._resolve(session, credentials, now)
        if principal.via is Via.TOKEN:
            return principal  # the token's own look-up decided the suspension
        if principal.org_id is not None and active_suspension(session, principal.org_id, now):
            principal = replace(principal, suspended=True)
        return principal

    def _resolve(self, session: Session, credentials: Credentials, now: datetime) -> Principal:
        if credentials.authorization:
            scheme, _, value = credentials.authorization.partition(" ")
            scheme, value = scheme.lower(), value.strip()
            if scheme == "bearer":
                return accounts.token_principal(session, value, now)
            if scheme == "basic":
                return self._basic(session, value, credentials.client, now)
            resolver = self._schemes.get(scheme)
            if resolver is not None:
                return resolver(session, value, now)
            names = ", ".join(["Bearer", "Basic", *(s.title() for s in self._schemes)])
            raise Unauthenticated(f"use one of these authorization schemes: {names}")
        if credentials.report_token and self._report_token is not None:
            return self._report_token(session, credentials.report_token.strip(), now)
        if credentials.session_cookie:
            return self._session(session, credentials, now)
        return ANONYMOUS

    def _basic(self, session: Session, value: str, client: str, now: datetime) -> Principal:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Unauthenticated("malformed Basic credentials") from exc
        user_part, _, password = decoded.partition(":")
        if password.startswith(accounts.TOKEN_PREFIX):
            return accounts.token_principal(session, password, now)
        user = accounts.authenticate(
            session, email=user_part, password=password, client=client, now=now, limits=self._limits
        )
        membership = accounts.membership_of(session, user.id)
        return accounts.principal_for(membership, Via.SESSION)

    @staticmethod
    def _session(session: Session, credentials: Credentials, now: datetime) -> Principal:
        found = accounts.session_principal(session, credentials.session_cookie or "", now)
        if found is None:
            return ANONYMOUS
        principal, record = found
        if credentials.unsafe:
            sent = unmask_csrf(credentials.csrf or "")
            if not sent or not secrets.compare_digest(sent, record.csrf_token):
                raise Forbidden(
                    "missing or wrong CSRF token: send the X-CSRF-Token header you got from "
                    "/api/v1/auth/login (pages send it in their forms)",
                    code_detail="csrf",
                )
        return principal


# ---- CSRF tokens in pages --------------------------------------------------------------

_MASKED = "~"


def mask_csrf(token: str) -> str:
    """``token`` XOR a fresh random pad, pad included: a different string in every page,
    so that a compressed page that also reflects input cannot leak it byte by byte
    (BREACH). :func:`unmask_csrf` recovers the token."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    mixed = bytes(a ^ b for a, b in zip(raw, pad, strict=True))
    return _MASKED + base64.urlsafe_b64encode(pad + mixed).decode().rstrip("=")


def unmask_csrf(sent: str) -> str:
    """The token a masked value carries; an unmasked one (the header the API login
    returned) as it is; ``""`` for anything malformed."""
    if not sent.startswith(_MASKED):
        return sent
    body = sent[len(_MASKED) :]
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return ""
    half = len(data) // 2
    if not data or len(data) % 2:
        return ""
    pad, mixed = data[:half], data[half:]
    try:
        return bytes(a ^ b for a, b in zip(pad, mixed, strict=True)).decode()
    except UnicodeDecodeError:
        return ""
