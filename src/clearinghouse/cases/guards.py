"""Checks every case service makes before changing a case."""

from __future__ import annotations

from clearinghouse.cases.models import Case, CaseStatus
from clearinghouse.errors import Conflict


def require_open(case: Case) -> None:
    """A closed case is read-only until it is reopened."""
    if case.status is CaseStatus.CLOSED:
        raise Conflict(f"case {case.public_id} is closed; reopen it first")
