"""Credentials that are not accounts: invitation links and report tracking tokens.

Plugged into the request authenticator by the wiring (``app.py``) as resolvers
``(session, value, now) -> Principal`` (:data:`clearinghouse.accounts.authn.SchemeResolver`):
``Via.LINK`` and ``Via.REPORT_TOKEN`` principals whose ``grant`` names the one thing they
open (a case participant, a report); :mod:`clearinghouse.cases.access` turns the grant
into a part in a case, and the policy decides what that part may do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from clearinghouse.cases import intake, invitations
from clearinghouse.errors import Unauthenticated
from clearinghouse.principal import Principal, Via


class InvitationResolver:
    """``Authorization: Invite <token>``: a vendor's signed invitation link."""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def __call__(self, session: Session, token: str, now: datetime) -> Principal:
        return invitations.invitation_principal(session, token, now, self._secret)


def report_principal(session: Session, token: str, now: datetime) -> Principal:
    """``X-Report-Token``: a finder following the report it made."""
    report = intake.find_by_token(session, token)
    if report is None:
        raise Unauthenticated("unknown report tracking token")
    return Principal(via=Via.REPORT_TOKEN, label="finder (tracking token)", grant=str(report.id))
