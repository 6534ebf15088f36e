"""Closed sets that the pure access policy and the database models share.

They live here, below both, so that ``policy.py`` decides with the same values the
tables store (no plain strings such as ``"admin"`` or ``"exited"`` in a decision).
"""

from __future__ import annotations

import enum


class OrgKind(enum.StrEnum):
    OPERATOR = "operator"  # runs the platform: coordinator, regulator
    MEMBER = "member"
    VENDOR = "vendor"
    FINDER = "finder"


class Role(enum.StrEnum):
    """A user's role in its organisation."""

    ADMIN = "admin"
    ANALYST = "analyst"
    VIEWER = "viewer"


class ParticipantRole(enum.StrEnum):
    """An organisation's (or a finder's) part in a case."""

    COORDINATOR = "coordinator"  # the organisation running the case
    REPORTER = "reporter"  # who reported it (a member user, or a finder by token)
    VENDOR = "vendor"  # must assess and fix
    MEMBER = "member"  # another member brought in (a CERT, a downstream user...)


class EmbargoPhase(enum.StrEnum):
    NONE = "none"
    PROPOSED = "proposed"
    ACTIVE = "active"
    REVISING = "revising"
    EXITED = "exited"  # ended: what the case held may now be shared


class Language(enum.StrEnum):
    """A language the pages speak, as its BCP 47 tag (a user's setting, ``<html lang>``)."""

    EN = "en"
    ZH_HANS = "zh-Hans"
