"""Credentials that are not accounts: invitation links and report tracking tokens.

Resolved by :func:`clearinghouse.api.deps.resolve_principal` into ``Via.LINK`` and
``Via.REPORT_TOKEN`` principals whose ``grant`` names the one thing they open (a case
participant, a report); :mod:`clearinghouse.cases.access` turns the grant into a part in
a case, and the policy decides what that part may do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from clearinghouse.accounts.principal import Principal, Via
from clearinghouse.cases import intake, invitations
from clearinghouse.errors import Unauthenticated


def invitation_principal(session: Session, token: str, now: datetime, secret: str) -> Principal:
    return invitations.principal_for(session, token, now, secret)


def report_principal(session: Session, token: str) -> Principal:
    report = intake.find_by_token(session, token)
    if report is None:
        raise Unauthenticated("unknown report tracking token")
    return Principal(via=Via.REPORT_TOKEN, label="finder (tracking token)", grant=str(report.id))
