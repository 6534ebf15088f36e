"""The operator's dashboard (``/dashboard``): new reports, cases by state, obligations due
soon and missed across members, embargoes ending soon, members by standing, and charts:
time from report to case and from case to advisory per month, reporting timeliness by
regime. ``at`` shows it as it stood at a past instant (obligations evaluated then,
suspensions in force then, records made by then).

The gate is the one ``GET /api/v1/obligations`` asks for every organisation's obligations
(``obligations.read`` on all of them): only the operator passes; everyone else gets the
missing page.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from statistics import median
from typing import Final

from sqlalchemy import func, select
from starlette.responses import HTMLResponse

from clearinghouse.accounts.models import Organisation
from clearinghouse.accounts.suspension import active_suspension
from clearinghouse.advisories.models import Advisory
from clearinghouse.api.deps import admitted_router
from clearinghouse.cases import access, intake
from clearinghouse.cases.models import Case, Embargo, Report
from clearinghouse.clocks.model import ObligationStatus
from clearinghouse.policy import (
    CaseAction,
    StandingAction,
    case_scope,
    require_case,
    require_standing,
)
from clearinghouse.standing import obligations as obl
from clearinghouse.vocab import EmbargoPhase, OrgKind
from clearinghouse.web import charts
from clearinghouse.web.context import Page, PageDep
from clearinghouse.web.forms import N_
from clearinghouse.web.pages_cases import AtParam, parse_at

router = admitted_router(include_in_schema=False)

SOON: Final = timedelta(days=7)
EMBARGO_SOON: Final = timedelta(days=14)
MONTHS: Final = 12
OK, LATE, BAD = "#1a7f37", "#9a6700", "#cf222e"


def _month(when: datetime) -> str:
    return when.strftime("%Y-%m")


def _days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86400, 1)


def _report_to_case(page: Page, at: datetime) -> list[tuple[str, float, int]]:
    """Per month a case was opened from a report: the median days from report to case."""
    rows = page.session.execute(
        select(Case.created_at, Report.received_at)
        .join(Report, Report.id == Case.report_id)
        .where(Case.created_at <= at)
    )
    by_month: dict[str, list[float]] = defaultdict(list)
    for created, received in rows:
        by_month[_month(created)].append(_days(created - received))
    return [(m, median(v), len(v)) for m, v in sorted(by_month.items())[-MONTHS:]]


def _case_to_advisory(page: Page, at: datetime) -> list[tuple[str, float, int]]:
    rows = page.session.execute(
        select(Advisory.published_at, Case.created_at)
        .join(Case, Case.id == Advisory.case_id)
        .where(Advisory.published_at.is_not(None), Advisory.published_at <= at)
    )
    by_month: dict[str, list[float]] = defaultdict(list)
    for published, created in rows:
        if published is None:
            continue
        by_month[_month(published)].append(_days(published - created))
    return [(m, median(v), len(v)) for m, v in sorted(by_month.items())[-MONTHS:]]


def _charts(page: Page, at: datetime, record: list[obl.RegimeRecord]) -> dict[str, tuple[str, str]]:
    """Each chart's caption and picture."""
    _ = page._
    days = _(N_("days"))

    def duration_chart(
        rows: list[tuple[str, float, int]], title: str, element_id: str
    ) -> tuple[str, str]:
        drawn = charts.bars(
            [(m, d, f"{d:g} {days} (n={n})") for m, d, n in rows],
            title=title,
            element_id=element_id,
        )
        return title, drawn

    timeliness = [
        (
            r.regime,
            [
                charts.Part(_(N_("met")), r.met, OK),
                charts.Part(_(N_("met late")), r.met_late, LATE),
                charts.Part(_(N_("missed")), r.missed, BAD),
            ],
        )
        for r in record
        if r.met or r.met_late or r.missed
    ]
    return {
        "report_to_case": duration_chart(
            _report_to_case(page, at),
            _("Median days from report to case, by month the case was opened"),
            "chart-report-case",
        ),
        "case_to_advisory": duration_chart(
            _case_to_advisory(page, at),
            _("Median days from case to advisory, by month of publication"),
            "chart-case-advisory",
        ),
        "timeliness": (
            _("Reporting timeliness by regime: met, met late, missed"),
            charts.stacked(
                timeliness,
                title=_("Reporting timeliness by regime: met, met late, missed"),
                element_id="chart-timeliness",
            ),
        ),
    }


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(page: PageDep, at: AtParam = None) -> HTMLResponse:
    p = page.principal
    require_standing(p, StandingAction.OBLIGATIONS_READ, None)
    require_case(p, CaseAction.REPORT_LIST)
    require_case(p, CaseAction.CASE_LIST)
    when_at = parse_at(at)
    when = when_at or page.now()
    session = page.session
    received = intake.visible_reports(session, p, status="received", after=None, limit=50)
    new_reports = [r for r in received if r.received_at <= when][:10]
    visible_cases = access.cases_in(case_scope(p))
    by_state = Counter(
        dict(
            session.execute(
                select(Case.status, func.count())
                .where(visible_cases, Case.created_at <= when)
                .group_by(Case.status)
            ).all()
        )
    )
    items, loaded = obl.obligations(session, page.settings, when)
    soon = [
        o
        for o in items
        if o.status in (ObligationStatus.DUE_SOON, ObligationStatus.PENDING)
        and o.due is not None
        and when <= o.due <= when + SOON
    ]
    missed = [o for o in items if o.status is ObligationStatus.MISSED]
    embargoes = session.execute(
        select(Case.public_id, Case.title, Embargo.ends_at)
        .join(Case, Case.id == Embargo.case_id)
        .where(
            visible_cases,
            Embargo.state.in_([EmbargoPhase.ACTIVE.value, EmbargoPhase.REVISING.value]),
            Embargo.ends_at.is_not(None),
            Embargo.ends_at >= when,
            Embargo.ends_at <= when + EMBARGO_SOON,
        )
        .order_by(Embargo.ends_at)
    ).all()
    members = list(
        session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.MEMBER)
            .order_by(Organisation.slug)
        )
    )
    standing = [(m, active_suspension(session, m.id, when)) for m in members]
    record = obl.compliance_record(items)
    return page.render(
        "dashboard.html",
        at=when_at,
        at_text=at or "",
        now=when,
        new_reports=new_reports,
        by_state=by_state,
        soon=sorted(soon, key=lambda o: o.due or when),
        missed=missed,
        embargoes=embargoes,
        standing=standing,
        suspended=sum(1 for _, s in standing if s is not None),
        charts=_charts(page, when, record),
        case_states_list=["open", "closed"],
        loaded=loaded,
    )
