"""The operator's members: the list with standing badges, and each member's page (profile,
jurisdictions and regulatory roles, compliance record by regime, sanctions with their
period and reassessment date, the reinstate/extend decision, regime overrides). A member
reaches its own page from ``/standing``.

Every read takes ``?at=`` (:mod:`clearinghouse.web.asat`): the page then shows the record
as it stood at that instant, and says so.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Final

from fastapi import Query
from sqlalchemy import select
from starlette.responses import HTMLResponse, Response

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import MemberSanction, Organisation
from clearinghouse.api.deps import admitted_router
from clearinghouse.errors import ClearinghouseError, InvalidInput, NotFound
from clearinghouse.policy import (
    MISSING,
    AccountAction,
    OrgFacts,
    StandingAction,
    can_standing,
    org_scope,
    require_account,
    require_standing,
)
from clearinghouse.standing import obligations as obl
from clearinghouse.standing import overrides, sanctions
from clearinghouse.standing.models import ReassessmentOutcome
from clearinghouse.vocab import OrgKind
from clearinghouse.web import asat
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import FieldErrors, errors_of

router = admitted_router(include_in_schema=False)

PAGE_SIZE: Final = 50
AtQuery = Annotated[str | None, Query(max_length=asat.MAX_LENGTH)]


def _when(page: Page, at: str | None) -> tuple[datetime, datetime | None]:
    """The instant the page shows (now, or ``at``) and ``at`` itself."""
    asked = asat.parse_at(at, page.viewer.zone)
    return (asked or page.now()), asked


class StandingFilter(enum.StrEnum):
    SUSPENDED = "suspended"
    GOOD = "good"


@router.get("/members", response_class=HTMLResponse)
def members(
    page: PageDep,
    at: AtQuery = None,
    after: Annotated[str | None, Query(max_length=63)] = None,
    standing: StandingFilter | None = None,
) -> HTMLResponse:
    require_account(page.principal, AccountAction.ORG_LIST)
    when, asked = _when(page, at)
    query = select(Organisation).order_by(Organisation.slug)
    visible = org_scope(page.principal)
    if not visible.everything:
        query = query.where(Organisation.id == visible.org_id)
    if after:
        query = query.where(Organisation.slug > after)
    rows = list(page.session.scalars(query.limit(PAGE_SIZE + 1)))
    shown = rows[:PAGE_SIZE]
    views = sanctions.views_of(page.session, [o.id for o in shown], when)
    items = [(o, sanctions.suspension_at(views.get(o.id, []))) for o in shown]
    if standing is not None:  # members only: the operator has no standing
        wanted = standing is StandingFilter.SUSPENDED
        items = [
            (o, s) for o, s in items if o.kind is not OrgKind.OPERATOR and (s is not None) == wanted
        ]
    return page.render(
        "members.html",
        items=items,
        standing_filter=standing.value if standing else "",
        next_after=rows[PAGE_SIZE - 1].slug if len(rows) > PAGE_SIZE else None,
        at=asked,
        at_value=asat.local_value(asked, page.viewer.zone),
    )


def _org(page: Page, slug: str, action: StandingAction) -> Organisation:
    """The organisation ``slug`` for a standing ``action`` (else: as for a missing one)."""
    org = page.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if org is None:
        require_standing(page.principal, action, MISSING)
        raise NotFound(f"no organisation {slug!r}")
    require_standing(page.principal, action, org.id)
    return org


def _member_page(
    page: Page,
    org: Organisation,
    at: str | None,
    *,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    require_account(page.principal, AccountAction.ORG_READ, OrgFacts(org.id))
    when, asked = _when(page, at)
    items, _ = obl.obligations(page.session, page.settings, when, org_id=org.id)
    views = sanctions.views_at(page.session, org.id, when)
    regimes = obl.regimes_for(page.settings)
    may_decide = asked is None and can_standing(
        page.principal, StandingAction.SANCTION_MANAGE, org.id
    )
    may_suspend = (
        may_decide and org.kind is not OrgKind.OPERATOR and sanctions.suspension_at(views) is None
    )
    may_override = asked is None and can_standing(
        page.principal, StandingAction.OVERRIDE_MANAGE, org.id
    )
    return page.render(
        "member.html",
        status=status,
        org=org,
        pgp_fingerprint=accounts.pgp_fingerprint(org, page.now()),
        record=obl.compliance_record(items),
        views=list(reversed(views)),
        suspension=sanctions.suspension_at(views),
        overrides=overrides.overrides_of(page.session, org.id, when),
        regimes=[(r, regimes[r].title) for r in regimes],
        may_decide=may_decide,
        may_suspend=may_suspend,
        may_override=may_override,
        errors=errors or FieldErrors(),
        at=asked,
        at_value=asat.local_value(asked, page.viewer.zone),
        outcomes=list(ReassessmentOutcome),
    )


@router.get("/members/{slug}", response_class=HTMLResponse)
def member(slug: str, page: PageDep, at: AtQuery = None) -> HTMLResponse:
    return _member_page(page, _org(page, slug, StandingAction.OBLIGATIONS_READ), at)


@router.get("/standing", response_class=HTMLResponse)
def own_standing(page: PageDep) -> Response:
    """A member's own standing: its page under ``/members``."""
    p = page.principal
    require_standing(p, StandingAction.OBLIGATIONS_READ, p.org_id)
    org = page.session.get(Organisation, p.org_id) if p.org_id else None
    if org is None:
        raise NotFound("you belong to no organisation")
    return page.redirect(f"/members/{org.slug}")


MAX_REASON: Final = 4000
MAX_MONTHS: Final = 120
MAX_SUBJECT: Final = 100


def _reason(page: Page, name: str = "reason") -> str:
    reason = page.field(name)
    if not reason.strip():
        raise InvalidInput("give the decision's reason", field=name)
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"a reason is at most {MAX_REASON} characters", field=name)
    return reason


def _subject(page: Page) -> str | None:
    subject = page.field("subject").strip()
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput(f"a case id is at most {MAX_SUBJECT} characters", field="subject")
    return subject or None


def _months(page: Page, name: str = "extend_months") -> int:
    try:
        months = int(page.field(name))
    except ValueError:
        months = 0
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"give 1 to {MAX_MONTHS} months", field=name)
    return months


@router.post("/members/{slug}/sanctions/{sanction_id}/reassessment", response_class=HTMLResponse)
def reassess(slug: str, sanction_id: str, page: PageDep) -> Response:
    org = _org(page, slug, StandingAction.SANCTION_MANAGE)
    try:
        sanction = page.session.get(MemberSanction, uuid.UUID(sanction_id))
    except ValueError:
        sanction = None
    if sanction is None or sanction.org_id != org.id:
        raise NotFound("no such sanction")
    try:
        if page.field("outcome") not in set(ReassessmentOutcome):
            raise InvalidInput("choose reinstate or extend", field="outcome")
        outcome = ReassessmentOutcome(page.field("outcome"))
        extend = _months(page) if outcome is ReassessmentOutcome.EXTEND else None
        with page.attempt():
            sanctions.reassess(
                page.session,
                actor=page.principal,
                sanction=sanction,
                outcome=outcome,
                reason=_reason(page),
                now=page.now(),
                extend_months=extend,
            )
    except ClearinghouseError as exc:
        return _refused(page, org, exc)
    return page.redirect(f"/members/{org.slug}#sanctions")


@router.post("/members/{slug}/sanctions", response_class=HTMLResponse)
def suspend(slug: str, page: PageDep) -> Response:
    """Suspend the member from now, for whole months (reassessment at its end)."""
    org = _org(page, slug, StandingAction.SANCTION_MANAGE)
    try:
        months = _months(page, "suspend_months")
        reason = _reason(page, "suspend_reason")
        with page.attempt():
            sanctions.suspend(
                page.session,
                actor=page.principal,
                org=org,
                starts_at=None,
                reason=reason,
                now=page.now(),
                months=months,
            )
    except ClearinghouseError as exc:
        return _refused(page, org, exc)
    return page.redirect(f"/members/{org.slug}#sanctions")


@router.post("/members/{slug}/regime-overrides", response_class=HTMLResponse)
def override(slug: str, page: PageDep) -> Response:
    org = _org(page, slug, StandingAction.OVERRIDE_MANAGE)
    applies = page.field("applies")
    try:
        if applies not in ("true", "false"):
            raise InvalidInput("say whether the regime applies", field="applies")
        with page.attempt():
            overrides.decide(
                page.session,
                page.settings,
                actor=page.principal,
                org=org,
                regime=page.field("regime"),
                subject=_subject(page),
                applies=applies == "true",
                reason=_reason(page, "override_reason"),
                now=page.now(),
            )
    except ClearinghouseError as exc:
        return _refused(page, org, exc)
    return page.redirect(f"/members/{org.slug}#overrides")


def _refused(page: Page, org: Organisation, exc: ClearinghouseError) -> HTMLResponse:
    return _member_page(page, org, None, errors=errors_of(page._, exc), status=exc.status)
