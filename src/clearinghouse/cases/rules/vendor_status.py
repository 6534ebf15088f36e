"""What each vendor says about each vulnerability, and how long it has to say it.

One :class:`VendorStatement` per vendor x vulnerability. Besides the four VEX statuses
the platform keeps two of its own:

* ``not_yet_assessed``: the vendor has said nothing yet (the initial state; a vendor
  never *sets* it). It maps to **no VEX statement at all**: publishing
  ``under_investigation`` on behalf of a vendor who has not answered would put words in
  its mouth.
* ``unknown``: the vendor has answered that it *cannot tell* (no access to the affected
  build, a component it does not control). It is recorded apart from
  ``not_yet_assessed`` because the vendor *has* responded (the response clock stops,
  see below) and apart from ``under_investigation`` because no answer is coming. VEX has
  no "unknown"; it maps to ``under_investigation``, whose CSAF meaning is "it is not known
  yet whether these versions are or are not affected". That is the truthful claim; both
  ``affected`` and ``not_affected`` would state something nobody knows. The statement
  text should say why, and is carried into the VEX statement.

Statement changes are validated by :func:`validate_change`: ``not_affected`` needs a VEX
justification, ``fixed`` a fixed version, and leaving a settled status (``fixed``,
``not_affected``) for another needs a statement saying why (a fix found incomplete, an
analysis corrected), because downstream VEX consumers will see the reversal.

Response deadlines (:func:`response_schedule`, :func:`due_actions`) are pure: they take
the instant the vendor was notified, the policy's number of days, and ``now``, and
return what to do; the job runner does it and records it.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from clearinghouse.cases.rules._text import InvalidText, clean_text
from clearinghouse.errors import InvalidInput
from clearinghouse.formats.model import Justification, Package, ProductStatement, ProductStatus
from clearinghouse.timeutil import ensure_utc

STATEMENT_MAX: Final = 5_000
FIXED_VERSION_MAX: Final = 200
MIN_POLICY_DAYS: Final = 1
MAX_POLICY_DAYS: Final = 365


class VendorStatus(enum.StrEnum):
    NOT_YET_ASSESSED = "not_yet_assessed"
    UNKNOWN = "unknown"
    UNDER_INVESTIGATION = "under_investigation"
    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    FIXED = "fixed"


SETTLED: Final = frozenset({VendorStatus.FIXED, VendorStatus.NOT_AFFECTED})
"""Statuses that close the question; leaving one needs an explanation."""

_VEX: Final[dict[VendorStatus, ProductStatus | None]] = {
    VendorStatus.NOT_YET_ASSESSED: None,
    VendorStatus.UNKNOWN: ProductStatus.UNDER_INVESTIGATION,
    VendorStatus.UNDER_INVESTIGATION: ProductStatus.UNDER_INVESTIGATION,
    VendorStatus.AFFECTED: ProductStatus.AFFECTED,
    VendorStatus.NOT_AFFECTED: ProductStatus.NOT_AFFECTED,
    VendorStatus.FIXED: ProductStatus.FIXED,
}


class InvalidStatement(InvalidInput):
    """A vendor statement, or a change to one, breaks a rule."""

    code = "invalid-vendor-statement"
    title = "The vendor statement is not valid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.field = field


@dataclass(frozen=True, slots=True)
class VendorStatement:
    """A vendor's status for one vulnerability, with what that status requires.

    ``justification`` is required for, and only allowed with, ``not_affected``;
    ``fixed_version`` is required for, and only allowed with, ``fixed``. Text is stripped.
    """

    status: VendorStatus
    justification: Justification | None = None
    fixed_version: str | None = None
    statement: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, VendorStatus):
            raise InvalidStatement(
                f"status must be one of {', '.join(VendorStatus)}, got {self.status!r}",
                field="status",
            )
        try:
            fixed = clean_text(
                self.fixed_version,
                field="fixed_version",
                max_len=FIXED_VERSION_MAX,
                required=False,
                single_line=True,
            )
            text = clean_text(
                self.statement, field="statement", max_len=STATEMENT_MAX, required=False
            )
        except InvalidText as exc:
            raise InvalidStatement(exc.detail, field=exc.field) from exc
        object.__setattr__(self, "fixed_version", fixed)
        object.__setattr__(self, "statement", text)

        if self.status is VendorStatus.NOT_AFFECTED:
            if not isinstance(self.justification, Justification):
                raise InvalidStatement(
                    "not_affected needs a VEX justification, one of " + ", ".join(Justification),
                    field="justification",
                )
        elif self.justification is not None:
            raise InvalidStatement(
                f"only not_affected carries a justification, not {self.status}",
                field="justification",
            )
        if self.status is VendorStatus.FIXED and fixed is None:
            raise InvalidStatement("fixed needs the first fixed version", field="fixed_version")
        if self.status is not VendorStatus.FIXED and fixed is not None:
            raise InvalidStatement(
                f"only fixed carries a fixed version, not {self.status}", field="fixed_version"
            )


INITIAL: Final = VendorStatement(VendorStatus.NOT_YET_ASSESSED)


class ChangeKind(enum.StrEnum):
    FIRST_RESPONSE = "first_response"  # from not_yet_assessed
    UPDATE = "update"  # any other change that does not leave a settled status
    REVERSAL = "reversal"  # leaves fixed or not_affected


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A validated change, ready to be stored and written to the case timeline."""

    old: VendorStatement
    new: VendorStatement
    kind: ChangeKind


def validate_change(old: VendorStatement | None, new: VendorStatement) -> StatusChange | None:
    """Check that a vendor may move from ``old`` (``None``: never stated) to ``new``.

    Returns ``None`` when nothing changes (a re-sent form is not an event), else the
    change and its kind. Raises :class:`InvalidStatement` when ``new`` is
    ``not_yet_assessed`` (a vendor cannot un-say a statement; ``unknown`` exists for
    "cannot tell"), or when it leaves ``fixed``/``not_affected`` without a statement.
    """
    before = old or INITIAL
    if new == before:
        return None
    if new.status is VendorStatus.NOT_YET_ASSESSED:
        raise InvalidStatement(
            "a vendor cannot set not_yet_assessed; use unknown when it cannot tell, or "
            "under_investigation while it looks",
            field="status",
        )
    if before.status is VendorStatus.NOT_YET_ASSESSED:
        kind = ChangeKind.FIRST_RESPONSE
    elif before.status in SETTLED and new.status is not before.status:
        kind = ChangeKind.REVERSAL
        if not new.statement:
            raise InvalidStatement(
                f"changing from {before.status} to {new.status} reverses a published "
                "position; add a statement saying why",
                field="statement",
            )
    else:
        kind = ChangeKind.UPDATE
    return StatusChange(before, new, kind)


def has_responded(status: VendorStatus) -> bool:
    """Any status but ``not_yet_assessed`` is a response (it stops the reminders)."""
    return status is not VendorStatus.NOT_YET_ASSESSED


def to_product_status(status: VendorStatus) -> ProductStatus | None:
    """The VEX status for a vendor status; ``None`` means "publish no statement"."""
    return _VEX[status]


def to_product_statement(
    statement: VendorStatement,
    package: Package,
    *,
    vendor: str | None = None,
    version: str | None = None,
) -> ProductStatement | None:
    """The neutral VEX statement for ``package``, or ``None`` for ``not_yet_assessed``.

    For ``unknown`` the statement text defaults to one that says the vendor cannot
    determine it, so that the VEX consumer is not led to expect a later answer.
    """
    status = to_product_status(statement.status)
    if status is None:
        return None
    text = statement.statement
    if statement.status is VendorStatus.UNKNOWN and not text:
        text = "The vendor cannot determine whether this product is affected."
    return ProductStatement(
        package=package,
        status=status,
        version=version,
        justification=statement.justification,
        statement=text,
        fixed_version=statement.fixed_version,
        vendor=vendor,
    )


# -------------------------------------------------------------------- response deadline


class ActionKind(enum.StrEnum):
    REMIND_HALFWAY = "remind_halfway"  # half of the response window has passed
    REMIND_LAST_DAY = "remind_last_day"  # one day before the deadline
    ESCALATE = "escalate"  # deadline passed with no response


@dataclass(frozen=True, slots=True)
class DeadlineAction:
    kind: ActionKind
    at: datetime  # when it became (or becomes) due


@dataclass(frozen=True, slots=True)
class ResponseSchedule:
    """When a notified vendor must respond, and when to remind and escalate.

    Escalation means: tell the coordinator, and record that the supplier is not engaging
    (the SSVC ``supplier_engagement`` point becomes ``unresponsive``), which can change
    the triage outcome.
    """

    notified_at: datetime
    due_at: datetime
    actions: tuple[DeadlineAction, ...]  # in time order; escalation last


def _check_days(policy_days: int) -> None:
    if isinstance(policy_days, bool) or not isinstance(policy_days, int):
        raise InvalidInput(f"policy_days must be an integer, got {policy_days!r}")
    if not MIN_POLICY_DAYS <= policy_days <= MAX_POLICY_DAYS:
        raise InvalidInput(
            f"policy_days must be {MIN_POLICY_DAYS} to {MAX_POLICY_DAYS}, got {policy_days}"
        )


def response_due(notified_at: datetime, policy_days: int) -> datetime:
    """The instant (UTC) by which the vendor must respond: ``policy_days`` x 24 h later.

    Calendar days of 24 hours, not business days: the notification is an e-mail and the
    policy days are the coordinator's published promise to the finder.
    """
    _check_days(policy_days)
    return ensure_utc(notified_at) + timedelta(days=policy_days)


def response_schedule(notified_at: datetime, policy_days: int) -> ResponseSchedule:
    """Reminders at 50 % of the window and 1 day before the deadline; escalation at it.

    A reminder that would fall at or before the notification (1-day windows: the
    last-day reminder) or at the same instant as another (2-day windows: both at 24 h)
    is dropped, so each action is sent once and only after the notification.
    """
    start = ensure_utc(notified_at)
    due = response_due(start, policy_days)
    candidates = [
        DeadlineAction(ActionKind.REMIND_HALFWAY, start + (due - start) / 2),
        DeadlineAction(ActionKind.REMIND_LAST_DAY, due - timedelta(days=1)),
    ]
    actions: list[DeadlineAction] = []
    for action in sorted(candidates, key=lambda a: a.at):
        if action.at > start and all(action.at != other.at for other in actions):
            actions.append(action)
    actions.append(DeadlineAction(ActionKind.ESCALATE, due))
    return ResponseSchedule(start, due, tuple(actions))


def due_actions(
    schedule: ResponseSchedule,
    now: datetime,
    *,
    responded: bool,
    done: Collection[ActionKind] = (),
) -> tuple[DeadlineAction, ...]:
    """The actions due at ``now`` that have not been ``done``; none once the vendor responded.

    When several are due at once (the job runner was down), only the latest is returned:
    a halfway reminder after the deadline would be noise.
    """
    if responded:
        return ()
    current = ensure_utc(now)
    due = [a for a in schedule.actions if a.at <= current and a.kind not in done]
    if not due:
        return ()
    latest = due[-1]
    if any(a.kind in done and a.at > latest.at for a in schedule.actions):
        return ()
    return (latest,)


def next_action(
    schedule: ResponseSchedule, now: datetime, *, responded: bool
) -> DeadlineAction | None:
    """The next action after ``now`` (for "reminder on ..." in the UI and job scheduling)."""
    if responded:
        return None
    current = ensure_utc(now)
    return next((a for a in schedule.actions if a.at > current), None)
