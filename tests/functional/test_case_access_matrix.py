"""The case access-control matrix: every case route x every kind of actor x embargo state,
over real HTTP, on SQLite and PostgreSQL.

One world per backend (module scope): cases whose embargo is none, active or exited,
each opened from an anonymous report (so that its finder follows it by token) and
delegated to a member that coordinates it, with a vendor on the platform, a vendor
invited by link, and a suspended member taking part. Routes that change an embargo run
on a fresh case per (route, state), so no cell sees another cell's effect; other writes
only add (a message, a vulnerability) or remove what was made for them.

Expected outcomes, one letter per actor:

    A  allowed: 2xx
    C  allowed: 2xx, or 409 when the embargo's state refuses the operation
    V  allowed by the policy, then refused as invalid (422, named in the row's note)
    F  403: knows the case, may not do this
    H  404: may not know it exists
    L  401: must authenticate
    S  suspended: 403 while anything is embargoed (none, active); allowed once exited
    T  suspended: 403 while embargoed; once exited 404 (someone else's private thread)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import MemberSanction, Organisation, SanctionKind, User
from clearinghouse.app import create_app
from clearinghouse.cases import attachments as files
from clearinghouse.cases import (
    coordination,
    embargo_service,
    intake,
    participants,
    threads,
    triage,
)
from clearinghouse.cases.models import Report
from clearinghouse.cases.rules import embargo as embargo_rules
from clearinghouse.cases.rules import reports as report_rules
from clearinghouse.db import Database
from clearinghouse.principal import SYSTEM, Principal, Scope
from clearinghouse.timeutil import FixedClock
from clearinghouse.vocab import OrgKind, ParticipantRole, Role
from tests.functional.conftest import make_settings
from tests.support.cases import COORDINATE, LOG4SHELL_REPORT
from tests.support.db import POSTGRES_ENV, PostgresSession, postgres_required, sqlite_copy
from tests.support.factory import World, seed
from tests.support.server import serve

ACTORS = (
    "operator",
    "coordinator",
    "vendor",
    "link",
    "other",
    "suspended",
    "anonymous",
    "reporter",
)
STATES = ("none", "active", "exited")
T0 = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)


# ---- the world ---------------------------------------------------------------------------------


@dataclass
class CaseWorld:
    public_id: str
    vuln: str
    vendor: str  # vendor-a's participant
    case_thread: str
    private_thread: str  # the coordinator with vendor-a
    att_case: str
    att_private: str
    link_token: str
    report_token: str
    disposable: dict[str, str] = field(default_factory=dict)  # actor -> participant to remove


@dataclass
class Matrix:
    url: str
    bearer: dict[str, str]  # actor -> API token
    base: dict[str, CaseWorld]  # state -> case
    fresh: dict[tuple[str, str], CaseWorld]  # (route, state) -> case of its own
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, actor: str, case: CaseWorld) -> httpx.Client:
        headers: dict[str, str] = {}
        if actor in self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer[actor]}"
        elif actor == "link":
            headers["Authorization"] = f"Invite {case.link_token}"
        elif actor == "reporter":
            headers["X-Report-Token"] = case.report_token
        key = actor + headers.get("Authorization", "") + headers.get("X-Report-Token", "")
        if key not in self.clients:
            self.clients[key] = httpx.Client(base_url=self.url, timeout=30, headers=headers)
        return self.clients[key]


def _org(session: Session, slug: str, kind: OrgKind, email: str) -> tuple[Organisation, User]:
    org = accounts.create_organisation(
        session, actor=SYSTEM, now=T0, slug=slug, name=slug.title(), kind=kind, contact_email=email
    )
    user = accounts.create_user(
        session,
        actor=SYSTEM,
        now=T0,
        email=email,
        name=slug,
        password=None,
        organisation=org,
        role=Role.ADMIN,
    )
    return org, user


def _token(session: Session, email: str) -> str:
    user = session.scalars(select(User).where(User.email == email)).one()
    membership = accounts.membership_of(session, user.id)
    return accounts.create_token(
        session,
        actor=SYSTEM,
        user=user,
        org_id=membership.organisation_id,
        name="matrix",
        scopes={Scope.READ, Scope.WRITE} & accounts.ROLE_SCOPES[membership.role],
        now=T0,
        expires_at=T0 + timedelta(days=30),
    ).secret


def _build_case(session: Session, n: int, state: str, *, disposable: bool) -> CaseWorld:
    orgs = {o.slug: o for o in session.scalars(select(Organisation))}
    actor: Principal = SYSTEM
    fields = report_rules.parse_report(
        {
            k: v
            for k, v in LOG4SHELL_REPORT.items()
            if k not in {"purl", "exploited", "already_public", "vendor_contacted"}
        }
        | {"description": f"{LOG4SHELL_REPORT['description']} #{n}"}
    )
    submitted = intake.submit(
        session,
        actor=actor,
        fields=fields,
        answers=intake.Answers(),
        uploads=[],
        now=T0,
        client=f"matrix-{n}",
    )
    report = session.get(Report, submitted.report.id)
    assert report is not None
    assert submitted.tracking_token
    intake.transition(
        session,
        actor=actor,
        report=report,
        to=report_rules.ReportState.VALID,
        reason="reproduced",
        now=T0,
    )
    triage.decide(
        session, actor=actor, report=report, points=dict(COORDINATE), override=None, now=T0
    )
    case = coordination.open_case(
        session,
        actor=actor,
        coordinator=orgs["member"],
        title=f"matrix {n}",
        summary=None,
        now=T0,
        report=report,
    )
    vuln = coordination.add_vulnerability(
        session, actor=actor, case=case, now=T0, spec=coordination.VulnerabilityIn(title="JNDI RCE")
    )
    common = {
        "actor": actor,
        "case": case,
        "now": T0,
        "base_url": "http://test",
        "secret": "matrix-secret-key-0123456789abcdef",
    }
    vendor = participants.add(session, role=ParticipantRole.VENDOR, org=orgs["vendor-a"], **common)
    link = participants.add(
        session, role=ParticipantRole.VENDOR, email=f"pmc{n}@apache.test", **common
    )
    participants.add(session, role=ParticipantRole.MEMBER, org=orgs["suspended-co"], **common)
    extra = {}
    if disposable:
        for who in ACTORS:
            extra[who] = str(
                participants.add(
                    session, role=ParticipantRole.VENDOR, email=f"gone-{who}-{n}@x.test", **common
                ).participant.id
            )
    (case_thread,) = threads.threads_visible(session, case, full=True, participant_id=None)
    private, _ = threads.private_thread(
        session, actor=actor, case=case, participant=vendor.participant, now=T0
    )
    note = files.check(files.Upload("note.txt", b"details\n"))
    _m, (att_case,) = threads.post(
        session,
        actor=actor,
        case=case,
        thread=case_thread,
        author=None,
        body="hello",
        uploads=[note],
        now=T0,
        base_url="http://test",
    )
    _m, (att_private,) = threads.post(
        session,
        actor=actor,
        case=case,
        thread=private,
        author=None,
        body="private",
        uploads=[note],
        now=T0,
        base_url="http://test",
    )
    if state != "none":
        end = embargo_rules.EmbargoEnd(T0 + timedelta(days=10), "Asia/Shanghai")
        embargo_service.propose(session, actor=actor, case=case, by=None, end=end, now=T0)
        embargo_service.activate(session, actor=actor, case=case, by=None, reason="go", now=T0)
    if state == "exited":
        embargo_service.exit_early(
            session,
            actor=actor,
            case=case,
            by=None,
            category=embargo_rules.ExitCategory.COORDINATOR_DECISION,
            evidence_url=None,
            evidence_text=None,
            occurred_at=None,
            now=T0,
        )
    assert link.invitation_url is not None
    return CaseWorld(
        public_id=case.public_id,
        vuln=str(vuln.id),
        vendor=str(vendor.participant.id),
        case_thread=str(case_thread.id),
        private_thread=str(private.id),
        att_case=str(att_case.id),
        att_private=str(att_private.id),
        link_token=link.invitation_url.rsplit("#", 1)[1],
        report_token=submitted.tracking_token,
        disposable=extra,
    )


def _world(
    database: Database, clock: FixedClock
) -> tuple[World, dict[str, str], dict[str, CaseWorld], dict[tuple[str, str], CaseWorld]]:
    people = seed(database, clock)
    with database.transaction() as s:
        _org(s, "vendor-a", OrgKind.VENDOR, "psirt@vendor-a.test")
        suspended, _ = _org(s, "suspended-co", OrgKind.MEMBER, "ciso@suspended.test")
        s.add(
            MemberSanction(
                org_id=suspended.id,
                kind=SanctionKind.SUSPENSION,
                starts_at=T0 - timedelta(days=1),
                ends_at=T0 + timedelta(days=180),
                reassessment_at=T0 + timedelta(days=180),
                reason="late report",
                basis={},
                decided_by_label="operator",
                decided_at=T0,
            )
        )
    emails = {
        "operator": people.operator_analyst,
        "coordinator": people.member_admin,
        "vendor": "psirt@vendor-a.test",
        "other": people.other_admin,
        "suspended": "ciso@suspended.test",
    }
    with database.transaction() as s:
        bearer = {actor: _token(s, email) for actor, email in emails.items()}
    base: dict[str, CaseWorld] = {}
    fresh: dict[tuple[str, str], CaseWorld] = {}
    n = itertools.count(1)
    for state in STATES:
        with database.transaction() as s:
            base[state] = _build_case(s, next(n), state, disposable=True)
    for route in ROUTES:
        if route.fresh:
            for state in STATES:
                with database.transaction() as s:
                    fresh[(route.name, state)] = _build_case(s, next(n), state, disposable=False)
    return people, bearer, base, fresh


# ---- the routes and what each actor may do ------------------------------------------------------

Body = Callable[[str, CaseWorld], Any]
COORDINATORS = ("operator", "coordinator")


def _own_or_vendor(actor: str, c: CaseWorld) -> dict[str, Any]:
    return {"participant_id": c.vendor} if actor in COORDINATORS else {}


END = {"ends_at": "2026-10-08T10:00:00", "timezone": "Europe/Berlin"}


def _end_for(actor: str) -> dict[str, str]:
    """A different end per actor: a move to the end in force is refused as no move."""
    return {**END, "ends_at": f"2026-10-{2 + ACTORS.index(actor):02d}T10:00:00"}


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    letters: str  # one letter per actor, in ACTORS order (spaces ignored)

    @property
    def expect(self) -> str:
        return self.letters.replace(" ", "")

    @property
    def fresh(self) -> bool:
        """Changes the embargo: runs on a case of its own per state."""
        return self.name.startswith("embargo.")


# fmt: off
# Each row: name, method, path under /api/v1, then one letter per actor: operator,
# coordinator, vendor, link, other (a member taking no part), suspended, anonymous, reporter.
#                                                                                o c v l o s a r
ROUTES = [
    Route("case",                 "GET",    "/cases/{c}",                       "A A A A H S L A"),
    Route("case.update",          "PATCH",  "/cases/{c}",                       "A A F F H F L F"),
    Route("case.export",          "GET",    "/cases/{c}/export",                "A A F F H F L F"),
    Route("vulnerability.add",    "POST",   "/cases/{c}/vulnerabilities",       "A A F F H F L F"),
    Route("vulnerability.update", "PUT",    "/cases/{c}/vulnerabilities/{vuln}",
                                                                                "A A F F H F L F"),
    Route("participants",         "GET",    "/cases/{c}/participants",          "A A A A H S L A"),
    Route("participant.add",      "POST",   "/cases/{c}/participants",          "A A F F H F L F"),
    Route("participant.remove",   "DELETE", "/cases/{c}/participants/{gone}",   "A A F F H F L F"),
    Route("participant.deadline", "POST",   "/cases/{c}/participants/{vendor}/deadline",
                                                                                "A A F F H F L F"),
    Route("statement",            "PUT",    "/cases/{c}/statement",             "A A A A H F L F"),
    Route("status.set",           "POST",   "/cases/{c}/statuses",              "A A A A H F L F"),
    Route("statuses",             "GET",    "/cases/{c}/statuses?history=true", "A A A A H S L A"),
    Route("embargo",              "GET",    "/cases/{c}/embargo",               "A A A A H S L A"),
    Route("embargo.propose",      "POST",   "/cases/{c}/embargo/propose",       "C C F F H F L F"),
    Route("embargo.accept",       "POST",   "/cases/{c}/embargo/accept",        "V C C C H F L C"),
    Route("embargo.reject",       "POST",   "/cases/{c}/embargo/reject",        "V C C C H F L C"),
    Route("embargo.activate",     "POST",   "/cases/{c}/embargo/activate",      "C C F F H F L F"),
    Route("embargo.propose_move", "POST",   "/cases/{c}/embargo/propose-move",  "C C C C H F L C"),
    Route("embargo.withdraw_move","POST",   "/cases/{c}/embargo/withdraw-move", "C C F F H F L F"),
    Route("embargo.exit",         "POST",   "/cases/{c}/embargo/exit",          "C C F F H F L F"),
    Route("threads",              "GET",    "/cases/{c}/threads",               "A A A A H S L A"),
    Route("thread.case.create",   "POST",   "/cases/{c}/threads",               "A A F F H F L F"),
    Route("thread.private.open",  "POST",   "/cases/{c}/threads",               "A A A A H F L A"),
    Route("messages.case",        "GET",    "/cases/{c}/threads/{case_thread}/messages",
                                                                                "A A A A H S L A"),
    Route("message.case.post",    "POST",   "/cases/{c}/threads/{case_thread}/messages",
                                                                                "A A A A H F L A"),
    Route("messages.private",     "GET",    "/cases/{c}/threads/{private_thread}/messages",
                                                                                "A A A H H T L H"),
    Route("message.private.post", "POST",   "/cases/{c}/threads/{private_thread}/messages",
                                                                                "A A A H H T L H"),
    Route("attachment.case",      "GET",    "/cases/{c}/attachments/{att_case}",
                                                                                "A A A A H S L A"),
    Route("attachment.private",   "GET",    "/cases/{c}/attachments/{att_private}",
                                                                                "A A A H H T L H"),
    Route("event.record",         "POST",   "/cases/{c}/events",                "A A A V H A L F"),
    Route("timeline",             "GET",    "/cases/{c}/timeline",              "A A A A H S L A"),
]
# fmt: on

# Why each V: the policy allows, then the request is refused as invalid.
NOTES = {
    "embargo.accept": "the operator takes no part in the case: it has nothing to accept",
    "embargo.reject": "the operator takes no part in the case: it has nothing to reject",
    "event.record": "a vendor by link has no organisation to record an event for",
}

# Request bodies by route name, built per actor and case.
BODIES: dict[str, Body] = {
    "case.update": lambda a, c: {"summary": f"updated by {a}"},
    "vulnerability.add": lambda a, c: {"title": f"another, by {a}"},
    "vulnerability.update": lambda a, c: {"title": "JNDI RCE", "cwes": ["CWE-502"]},
    "participant.add": lambda a, c: {"email": f"new-{a}-{c.public_id}@x.test"},
    "participant.deadline": lambda a, c: {"days": 10},
    "statement": lambda a, c: {"statement": "we are on it", **_own_or_vendor(a, c)},
    "status.set": lambda a, c: {
        "vulnerability_id": c.vuln,
        "status": "under_investigation",
        **_own_or_vendor(a, c),
    },
    "embargo.propose": lambda a, c: END,
    "embargo.accept": lambda a, c: {},
    "embargo.reject": lambda a, c: {"comment": "too early"},
    "embargo.activate": lambda a, c: {"reason": "ready"},
    "embargo.propose_move": lambda a, c: {**_end_for(a), "reason": "backport"},
    "embargo.withdraw_move": lambda a, c: {"reason": "not needed"},
    "embargo.exit": lambda a, c: {"category": "coordinator_decision"},
    "thread.case.create": lambda a, c: {"kind": "case", "title": f"by {a}"},
    "thread.private.open": lambda a, c: {"kind": "private", **_own_or_vendor(a, c)},
    "message.case.post": lambda a, c: {"body": f"hello from {a}"},
    "message.private.post": lambda a, c: {"body": f"psst from {a}"},
    "event.record": lambda a, c: {"type": "aware", "occurred_at": "2026-09-30T00:00:00Z"},
}


def expected(letter: str, state: str) -> tuple[int, ...]:
    match letter:
        case "A":
            return (200, 201, 204)
        case "C":
            return (200, 201, 204, 409)
        case "V":
            return (422,)
        case "F":
            return (403,)
        case "H":
            return (404,)
        case "L":
            return (401,)
        case "S":
            return (200,) if state == "exited" else (403,)
        case "T":
            return (404,) if state == "exited" else (403,)
    raise AssertionError(f"unknown letter {letter!r}")


# ---- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def matrix(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _sqlite_template: Any,
    _postgres: PostgresSession | None,
) -> Iterator[Matrix]:
    if request.param == "sqlite":
        url = sqlite_copy(_sqlite_template, tmp_path_factory.mktemp("matrix"))
    else:
        if _postgres is None:
            if postgres_required():
                pytest.fail(f"PostgreSQL is required but {POSTGRES_ENV} is not set")
            pytest.skip(f"PostgreSQL run: set {POSTGRES_ENV}")
        _postgres.truncate()
        url = _postgres.url
    database = Database(url)
    clock = FixedClock(T0)
    settings = make_settings(url, secret_key="matrix-secret-key-0123456789abcdef")
    app = create_app(settings, clock=clock, database=database)
    _people, bearer, base, fresh = _world(database, clock)
    with serve(app) as served:
        m = Matrix(served, bearer, base, fresh)
        yield m
        for c in m.clients.values():
            c.close()
    database.dispose()


def _path(route: Route, actor: str, c: CaseWorld) -> str:
    values = {
        "c": c.public_id,
        "vuln": c.vuln,
        "vendor": c.vendor,
        "case_thread": c.case_thread,
        "private_thread": c.private_thread,
        "att_case": c.att_case,
        "att_private": c.att_private,
        "gone": c.disposable.get(actor, c.vendor),
    }
    return "/api/v1" + route.path.format(**values)


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_route_by_actor_by_embargo_state(matrix: Matrix, route: Route) -> None:
    assert len(route.expect) == len(ACTORS), route.name
    wrong = []
    for state in STATES:
        case = matrix.fresh[(route.name, state)] if route.fresh else matrix.base[state]
        for actor, letter in zip(ACTORS, route.expect, strict=True):
            client = matrix.client(actor, case)
            make = BODIES.get(route.name)
            body = make(actor, case) if make else None
            r = client.request(route.method, _path(route, actor, case), json=body)
            allowed = expected(letter, state)
            if r.status_code not in allowed:
                wrong.append(
                    f"{state:>6} {actor:<11} expected {letter}{allowed}, got "
                    f"{r.status_code}: {r.text[:160]}"
                )
            elif r.status_code >= 400:
                assert r.headers["content-type"] == "application/problem+json"
    assert not wrong, f"{route.method} {route.path}\n" + "\n".join(wrong)


def test_lists_show_only_what_each_actor_takes_part_in(matrix: Matrix) -> None:
    ours = {c.public_id for c in matrix.base.values()}
    for actor in ("operator", "coordinator", "vendor"):
        r = matrix.client(actor, matrix.base["none"]).get("/api/v1/cases?limit=500")
        assert r.status_code == 200
        assert ours <= {c["public_id"] for c in r.json()["items"]}, actor
    # a suspended member lists only what is no longer embargoed (not even titles else)
    r = matrix.client("suspended", matrix.base["none"]).get("/api/v1/cases?limit=500")
    listed = {c["public_id"] for c in r.json()["items"]}
    assert listed & ours == {matrix.base["exited"].public_id}
    other = matrix.client("other", matrix.base["none"]).get("/api/v1/cases?limit=500")
    assert other.status_code == 200
    assert other.json()["items"] == []
    assert matrix.client("anonymous", matrix.base["none"]).get("/api/v1/cases").status_code == 401
    for actor in ("link", "reporter"):
        assert matrix.client(actor, matrix.base["none"]).get("/api/v1/cases").status_code == 403


def test_a_missing_case_looks_like_a_hidden_one(matrix: Matrix) -> None:
    for actor in ACTORS:
        client = matrix.client(actor, matrix.base["none"])
        missing = client.get("/api/v1/cases/CH-1999-9999")
        hidden_or_missing = 401 if actor == "anonymous" else 404
        assert missing.status_code == hidden_or_missing, actor
