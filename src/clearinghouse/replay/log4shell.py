"""The Log4Shell replay (``clearinghouse demo load``): the public 2021 timeline, played
through the platform's own HTTP API at the instants it happened, on a clock that the
replay moves (sources: docs/demo.md and REGULATIONS.md).

What it shows: the member (a cloud provider in China, bound by ``cn-miit-2021`` as a
product provider and by the platform's partnership terms ``cn-nvdb-partner-terms``)
became aware on 2021-11-24 and reported to the Apache Logging PMC, not to the platform;
the platform heard of it from a third party on 2021-12-09; both obligations were due
2021-11-26 and show *missed*; the member was suspended for six months on 2021-12-22,
reassessment due 2022-06-22. What the platform would have done is derived, not staged:
``GET /api/v1/obligations?organisation=alibaba-cloud&at=2021-11-25T03:00:00Z`` shows the
due-soon alert that fired at 2021-11-25T02:00Z (half of the 48 h window).

The calls go through the application in-process (no socket), so the replay exercises
exactly the paths a client would, with their audit entries and timeline events.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import Organisation
from clearinghouse.errors import ClearinghouseError
from clearinghouse.principal import SYSTEM, Scope
from clearinghouse.runtime import Runtime
from clearinghouse.timeutil import FixedClock, format_instant
from clearinghouse.vocab import OrgKind, Role

OPERATOR = (
    "nvdb",
    "MIIT Cybersecurity Threat and Vulnerability Information Sharing Platform (NVDB)",
)
MEMBER = ("alibaba-cloud", "Alibaba Cloud")
VENDOR = ("apache-logging", "Apache Logging Services PMC")
# Illustrative, not historical: a member that learned of Log4Shell from the platform.
HOSTING = ("example-hosting", "Example Hosting (illustrative member)")
HOSTING_INVENTORY = "customer portal"
LOG4J = "pkg:maven/org.apache.logging.log4j/log4j-core"
CVSS_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    org: str
    role: Role
    timezone: str


USERS = (
    DemoUser("admin@nvdb.example", "Platform administrator", "nvdb", Role.ADMIN, "Asia/Shanghai"),
    DemoUser("analyst@nvdb.example", "Platform analyst", "nvdb", Role.ANALYST, "Asia/Shanghai"),
    DemoUser(
        "psirt@alibaba-cloud.example",
        "Cloud provider PSIRT",
        "alibaba-cloud",
        Role.ADMIN,
        "Asia/Shanghai",
    ),
    DemoUser(
        "researcher@alibaba-cloud.example",
        "Cloud provider researcher",
        "alibaba-cloud",
        Role.ANALYST,
        "Asia/Shanghai",
    ),
    DemoUser(
        "pmc@logging.apache.example", "Apache Logging PMC", "apache-logging", Role.ADMIN, "UTC"
    ),
    DemoUser(
        "psirt@hosting.example",
        "Hosting provider PSIRT",
        "example-hosting",
        Role.ADMIN,
        "Asia/Shanghai",
    ),
)


def hosting_sbom() -> bytes:
    """The illustrative member's customer portal: a CycloneDX 1.4 SBOM with log4j-core
    2.14.1 (what a December 2021 Java service typically shipped) beside log4j-api."""
    components = [
        {
            "type": "library",
            "bom-ref": f"{name}-2.14.1",
            "group": "org.apache.logging.log4j",
            "name": name,
            "version": "2.14.1",
            "purl": f"pkg:maven/org.apache.logging.log4j/{name}@2.14.1",
        }
        for name in ("log4j-api", "log4j-core")
    ]
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.4",
        "version": 1,
        "metadata": {
            "component": {"type": "application", "name": HOSTING_INVENTORY, "bom-ref": "portal"}
        },
        "components": components,
        "dependencies": [{"ref": "portal", "dependsOn": [c["bom-ref"] for c in components]}],
    }
    return json.dumps(document, indent=1).encode()


def _ranges(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"type": "ECOSYSTEM", "events": [{"introduced": a}, {"fixed": b}]} for a, b in pairs]


# The four CVEs as GitHub's advisory database records them (GHSA-jfh8-c2jp-5v3q,
# GHSA-7rjr-3q55-vv33, GHSA-p6xc-xr62-6r2g, GHSA-8489-44mv-ggj8). Apache's own security
# page gives other bounds (2.12.3, 2.17.0...): sources disagree, and each record keeps its own.
VULNERABILITIES: tuple[dict[str, Any], ...] = (
    {
        "cve_id": "CVE-2021-44228",
        "fixed": "2.15.0",
        "day": "2021-12-10T00:40:00",
        "title": "JNDI lookups in logged messages load and run remote code (Log4Shell)",
        "cwes": ["CWE-502", "CWE-917", "CWE-20"],
        "cvss_vector": CVSS_CRITICAL,
        "ranges": _ranges(("0", "2.3.1"), ("2.4", "2.12.2"), ("2.13.0", "2.15.0")),
    },
    {
        "cve_id": "CVE-2021-45046",
        "fixed": "2.16.0",
        "day": "2021-12-14T18:00:00",
        "title": "Thread Context lookups still reach JNDI in non-default configurations",
        "cwes": ["CWE-502", "CWE-917"],
        "cvss_vector": CVSS_CRITICAL,
        "ranges": _ranges(("0", "2.12.2"), ("2.13.0", "2.16.0")),
    },
    {
        "cve_id": "CVE-2021-45105",
        "fixed": "2.17.0",
        "day": "2021-12-18T18:00:00",
        "title": "Uncontrolled recursion in self-referential lookups (denial of service)",
        "cwes": ["CWE-20", "CWE-674"],
        "cvss_vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
        "ranges": _ranges(("0", "2.3.1"), ("2.4.0", "2.12.3"), ("2.13.0", "2.17.0")),
    },
    {
        "cve_id": "CVE-2021-44832",
        "fixed": "2.17.1",
        "day": "2021-12-28T20:00:00",
        "title": "Remote code execution through a JDBC Appender data source an attacker configures",
        "cwes": ["CWE-20", "CWE-74"],
        "cvss_vector": "CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H",
        "ranges": _ranges(("2.0-beta7", "2.3.2"), ("2.4", "2.12.4"), ("2.13.0", "2.17.1")),
    },
)

THIRD_PARTY_REPORT = {
    "title": "Log4j2 JNDI lookup remote code execution is being exploited",
    "product": "Apache Log4j2",
    "vendor": "Apache Software Foundation",
    "affected_versions": "2.0-beta9 to 2.14.1",
    "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    "description": (
        "A proof of concept for remote code execution through ${jndi:ldap://...} lookups in "
        "logged messages is public. We understand the flaw was found by a cloud provider's "
        "security team in November and reported to Apache, not to this platform."
    ),
    "impact": "Unauthenticated remote code execution on any server that logs attacker input.",
    "exploited": "yes",
    "already_public": "yes",
    "vendor_contacted": "unknown",
    "credit_preference": "anonymous",
}

TRIAGE = {
    "report_public": "yes",
    "supplier_contacted": "yes",
    "report_credibility": "credible",
    "supplier_cardinality": "multiple",
    "supplier_engagement": "active",
    "utility": "super effective",
    "public_safety_impact": "significant",
}


@dataclass
class ReplayResult:
    created: bool
    case: str | None = None
    advisory: str | None = None
    steps: list[str] = field(default_factory=list)


class _Api:
    """A tiny in-process client (ASGI, no socket): every call must succeed, or the replay
    stops with the problem the API answered."""

    def __init__(self, app: FastAPI, runner: asyncio.Runner, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.runner = runner
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 0)),
            base_url="http://replay.local",
            headers=headers,
        )

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        ok: tuple[int, ...] = (200, 201),
        *,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        request = self.client.request(
            method,
            path,
            json=body if content is None else None,
            content=content,
            params=params,
            headers={"content-type": "application/json"} if content is not None else None,
        )
        response = self.runner.run(request)
        if response.status_code not in ok:
            raise ReplayError(
                f"{method} {path} answered {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else None

    def close(self) -> None:
        self.runner.run(self.client.aclose())


class ReplayError(ClearinghouseError):
    code = "replay-failed"
    status = 500
    title = "The replay failed"
    exit_code = 1


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _setup(rt: Runtime, clock: FixedClock, password: str) -> dict[str, str]:
    """Organisations and users; returns a year-long API token per demo user."""
    now = clock.now()
    tokens: dict[str, str] = {}
    with rt.database.transaction() as s:
        orgs = {
            OPERATOR[0]: accounts.create_organisation(
                s,
                actor=SYSTEM,
                now=now,
                slug=OPERATOR[0],
                name=OPERATOR[1],
                kind=OrgKind.OPERATOR,
                country="CN",
                jurisdictions=["CN"],
            ),
            MEMBER[0]: accounts.create_organisation(
                s,
                actor=SYSTEM,
                now=now,
                slug=MEMBER[0],
                name=MEMBER[1],
                kind=OrgKind.MEMBER,
                country="CN",
                jurisdictions=["CN"],
                regulatory_roles=["product_provider", "platform_partner"],
                contact_email="psirt@alibaba-cloud.example",
            ),
            HOSTING[0]: accounts.create_organisation(
                s,
                actor=SYSTEM,
                now=now,
                slug=HOSTING[0],
                name=HOSTING[1],
                kind=OrgKind.MEMBER,
                country="CN",
                jurisdictions=["CN"],
                regulatory_roles=["product_provider", "platform_partner"],
                contact_email="psirt@hosting.example",
            ),
            VENDOR[0]: accounts.create_organisation(
                s,
                actor=SYSTEM,
                now=now,
                slug=VENDOR[0],
                name=VENDOR[1],
                kind=OrgKind.VENDOR,
                country="US",
                contact_email="pmc@logging.apache.example",
            ),
        }
        for u in USERS:
            user = accounts.create_user(
                s,
                actor=SYSTEM,
                now=now,
                email=u.email,
                name=u.name,
                password=password,
                organisation=orgs[u.org],
                role=u.role,
                timezone=u.timezone,
            )
            scopes = {Scope.READ, Scope.WRITE} | ({Scope.ADMIN} if u.role is Role.ADMIN else set())
            new = accounts.create_token(
                s,
                actor=SYSTEM,
                user=user,
                org_id=orgs[u.org].id,
                name="log4shell replay",
                scopes=scopes,
                now=now,
                expires_at=now + timedelta(days=400),
            )
            tokens[u.email] = new.secret
    return tokens


def play(rt: Runtime, app_factory: Any, *, password: str) -> ReplayResult:
    """Load the replay unless the operator organisation exists already (idempotent)."""
    with rt.database.transaction(write=False) as s:
        if s.scalars(select(Organisation.id).where(Organisation.slug == OPERATOR[0])).first():
            return ReplayResult(created=False)
    clock = FixedClock(_at("2021-11-01T00:00:00"))
    tokens = _setup(rt, clock, password)
    app = app_factory(clock)
    worker = _Worker(rt, clock)
    result = ReplayResult(created=True)
    with asyncio.Runner() as runner:
        apis = {email: _Api(app, runner, token) for email, token in tokens.items()}
        apis["anonymous"] = _Api(app, runner, None)
        try:
            _story(apis, clock, worker, result)
        finally:
            for api in apis.values():
                api.close()
            _revoke_replay_tokens(rt, clock)
    return result


class _Worker:
    """The platform's worker on the replay's clock: at each instant it runs every schedule
    once (the clock alerts among them) and every job due, and the replay stops at every
    instant something falls due (a job, an alert), so each happens when it would have."""

    def __init__(self, rt: Runtime, clock: FixedClock) -> None:
        from clearinghouse.app import build_registry
        from clearinghouse.jobs.worker import Worker

        self.rt, self.clock = rt, clock
        self.worker = Worker(
            rt.database, build_registry(rt.settings), clock, rt.settings, "log4shell-replay"
        )

    def settle(self) -> list[str]:
        """Catch up at the current instant; the clock alerts sent, as lines of the story."""
        from clearinghouse.jobs.models import Job, JobStatus
        from clearinghouse.standing.jobs import KIND_ALERT

        at = self.clock.now()
        self.worker.run_schedules()
        self.worker.run_until_idle()
        with self.rt.database.transaction(write=False) as s:
            sent = s.scalars(
                select(Job.payload)
                .where(Job.kind == KIND_ALERT, Job.status == JobStatus.DONE, Job.finished_at >= at)
                .order_by(Job.created_at)
            ).all()
        return [f"{format_instant(at)}  {_alert_line(payload)}" for payload in sent]

    def next_stop(self, until: datetime) -> datetime | None:
        """The next instant before ``until`` at which a job or a clock alert falls due."""
        from clearinghouse.clocks.alerts import next_alert_at
        from clearinghouse.jobs.models import Job, JobStatus
        from clearinghouse.standing import obligations as obl

        now = self.clock.now()
        with self.rt.database.transaction(write=False) as s:
            job = s.scalars(
                select(Job.run_after)
                .where(Job.status == JobStatus.PENDING, Job.run_after > now)
                .order_by(Job.run_after)
                .limit(1)
            ).first()
            items, _ = obl.obligations(s, self.rt.settings, now)
            alert = next_alert_at(items, obl.thresholds_for(self.rt.settings), now)
        stops = [t for t in (job, alert) if t is not None and now < t < until]
        return min(stops) if stops else None


def _alert_line(payload: dict[str, Any]) -> str:
    alert = payload["alert"]
    what = f"{payload['regime_title']}, {payload['stage_name']}, {alert['subject']}"
    kind = "MISSED" if alert["kind"] == "missed" else f"due soon ({alert['threshold']})"
    return f"the worker alerts the member: {kind}: {what}, due {alert['due']}"


def _revoke_replay_tokens(rt: Runtime, clock: FixedClock) -> None:
    from clearinghouse.accounts.models import ApiToken

    with rt.database.transaction() as s:
        for token in s.scalars(
            select(ApiToken).where(
                ApiToken.name == "log4shell replay", ApiToken.revoked_at.is_(None)
            )
        ):
            accounts.revoke_token(s, actor=SYSTEM, token=token, now=clock.now())


def _story(apis: dict[str, _Api], clock: FixedClock, worker: _Worker, result: ReplayResult) -> None:
    analyst = apis["analyst@nvdb.example"]
    admin = apis["admin@nvdb.example"]
    pmc = apis["pmc@logging.apache.example"]

    def on(when: str, what: str) -> None:
        """Move the story to ``when``, through every instant something falls due."""
        target = _at(when)
        result.steps.extend(worker.settle())  # the previous step's consequences
        while (stop := worker.next_stop(target)) is not None:
            clock.set(stop)
            result.steps.extend(worker.settle())
        clock.set(target)
        result.steps.extend(worker.settle())
        result.steps.append(f"{when}Z  {what}")

    hosting = apis["psirt@hosting.example"]
    # 2021-12-01: a member's inventory (illustrative): its customer portal ships log4j-core.
    on(
        "2021-12-01T03:00:00",
        "a member uploads the SBOM of its customer portal (log4j-core 2.14.1)",
    )
    hosting.call(
        "POST",
        "/api/v1/inventories",
        params={"name": HOSTING_INVENTORY},
        content=hosting_sbom(),
    )

    # 2021-12-09: a third party tells the platform; the platform opens a case.
    on(
        "2021-12-09T10:00:00",
        "a third party reports the Log4j2 RCE to the platform (anonymous report)",
    )
    report = apis["anonymous"].call("POST", "/api/v1/reports", THIRD_PARTY_REPORT)
    on("2021-12-09T11:00:00", "the platform validates and triages the report, opens the case")
    analyst.call(
        "POST",
        f"/api/v1/reports/{report['id']}/transitions",
        {"to": "valid", "reason": "public proof of concept reproduced"},
    )
    triage = analyst.call("POST", f"/api/v1/reports/{report['id']}/triage", {"points": TRIAGE})
    if triage["outcome"] != "coordinate":
        analyst.call(
            "POST",
            f"/api/v1/reports/{report['id']}/triage",
            {
                "points": TRIAGE,
                "override": {
                    "outcome": "coordinate",
                    "reason": "critical, exploited, national-scale exposure",
                },
            },
        )
    case = analyst.call(
        "POST",
        f"/api/v1/reports/{report['id']}/case",
        {
            "title": "Apache Log4j2: remote code execution through JNDI lookups (Log4Shell)",
            "summary": (
                "Log4j2 evaluates lookups in logged messages; JNDI lookups load remote code."
            ),
        },
    )["public_id"]
    result.case = case
    base = f"/api/v1/cases/{case}"
    first = VULNERABILITIES[0]
    vuln_ids: dict[str, str] = {}
    created = analyst.call(
        "POST",
        f"{base}/vulnerabilities",
        {
            "title": first["title"],
            "cwes": first["cwes"],
            "cvss_vector": first["cvss_vector"],
            "products": [{"purl": LOG4J, "ranges": first["ranges"]}],
        },
    )
    vuln_ids[first["cve_id"]] = created["id"]
    analyst.call("POST", f"{base}/participants", {"organisation": VENDOR[0], "response_days": 2})
    analyst.call("POST", f"{base}/participants", {"organisation": MEMBER[0], "role": "member"})
    # What the platform learned today about the past: each fact keeps when it happened.
    analyst.call(
        "POST",
        f"{base}/events",
        {
            "type": "aware",
            "occurred_at": "2021-11-24T02:00:00Z",
            "organisation": MEMBER[0],
            "evidence": "Apache Log4j security page credits the member's researcher; the report to "
            "the Apache Logging PMC was made on 2021-11-24 (PMC retrospective, 2023-11-10)",
        },
    )
    analyst.call(
        "POST",
        f"{base}/events",
        {
            "type": "public_disclosure",
            "occurred_at": "2021-12-09T06:00:00Z",
            "organisation": "case",
            "evidence": "public proof-of-concept repository",
        },
    )

    on("2021-12-10T02:00:00", "the PMC states affected, then fixed in 2.15.0 (announced that day)")
    pmc.call(
        "POST",
        f"{base}/statuses",
        {"vulnerability_id": vuln_ids[first["cve_id"]], "status": "affected"},
    )
    pmc.call(
        "POST",
        f"{base}/statuses",
        {
            "vulnerability_id": vuln_ids[first["cve_id"]],
            "status": "fixed",
            "fixed_version": first["fixed"],
        },
    )

    on("2021-12-10T10:15:00", "CVE-2021-44228 published; CISA adds it to KEV (exploited)")
    analyst.call(
        "PUT",
        f"{base}/vulnerabilities/{vuln_ids[first['cve_id']]}",
        {
            "title": first["title"],
            "cve_id": first["cve_id"],
            "cwes": first["cwes"],
            "cvss_vector": first["cvss_vector"],
            "products": [{"purl": LOG4J, "ranges": first["ranges"]}],
        },
    )
    analyst.call(
        "POST",
        f"{base}/events",
        {
            "type": "exploitation_known",
            "occurred_at": "2021-12-10T10:15:00Z",
            "organisation": "case",
            "evidence": (
                "CISA Known Exploited Vulnerabilities catalogue, added 2021-12-10 (due 2021-12-24)"
            ),
        },
    )
    advisory = analyst.call("POST", f"/api/v1/advisories/from-case/{case}", {"tlp": "CLEAR"})
    analyst.call(
        "POST", f"/api/v1/advisories/{advisory['id']}/publish", {"summary": "CVE-2021-44228"}
    )
    result.advisory = advisory["id"]
    # the matching job runs at once: the member is told the moment it is published
    result.steps.extend(worker.settle())
    result.steps.append(
        f"2021-12-10T10:15:00Z  {advisory['id']} published; the member's customer portal is "
        "matched, the member told, and its awareness recorded (its 2-day clock starts now)"
    )

    on("2021-12-11T06:00:00", "the member reports its exposure to the platform (within 2 days)")
    for regime in ("cn-miit-2021", "cn-nvdb-partner-terms"):
        draft = hosting.call(
            "POST",
            "/api/v1/submissions",
            {
                "organisation": HOSTING[0],
                "subject": advisory["id"],
                "regime": regime,
                "stage": "report",
            },
        )
        hosting.call(
            "POST",
            f"/api/v1/submissions/{draft['id']}/submit",
            {"reference": f"NVDB-2021-12-11-{regime}"},
        )

    for vuln in VULNERABILITIES[1:]:
        on(vuln["day"], f"{vuln['cve_id']}: fixed in {vuln['fixed']}")
        created = analyst.call(
            "POST",
            f"{base}/vulnerabilities",
            {
                "title": vuln["title"],
                "cve_id": vuln["cve_id"],
                "cwes": vuln["cwes"],
                "cvss_vector": vuln["cvss_vector"],
                "products": [{"purl": LOG4J, "ranges": vuln["ranges"]}],
            },
        )
        vuln_ids[vuln["cve_id"]] = created["id"]
        pmc.call(
            "POST",
            f"{base}/statuses",
            {"vulnerability_id": created["id"], "status": "fixed", "fixed_version": vuln["fixed"]},
        )
        if vuln["cve_id"] == "CVE-2021-45105":
            on("2021-12-22T02:00:00", "the platform suspends the member for six months")
            admin.call(
                "POST",
                f"/api/v1/organisations/{MEMBER[0]}/sanctions",
                {
                    "months": 6,  # from the decision's instant: nothing is backdated
                    "reason": (
                        "did not report Log4Shell to the platform within 2 days of becoming "
                        "aware (aware 2021-11-24; the platform learned of it from a third party "
                        "on 2021-12-09); reassessment depending on internal reforms"
                    ),
                    "basis": {"case": case, "regimes": ["cn-nvdb-partner-terms", "cn-miit-2021"]},
                },
            )
    on("2021-12-29T00:00:00", "the replay ends; every job due by then has run")
