"""The Log4Shell story, replayed through the HTTP API on a real server, a real database
(SQLite and PostgreSQL) and a real SMTP server, on the dates it happened.

2021-11-24  a researcher of a member cloud provider reports a remote code execution in
            Log4j2; the operator triages it (coordinate) and opens a case; the Apache
            Logging PMC, which has no account, is invited by an e-mail link
2021-11-25  the PMC opens the link, states "affected" and acknowledges in the thread
2021-11-26  an embargo is proposed (an end in Asia/Shanghai time) and accepted
2021-12-06  the PMC states "fixed in 2.15.0"
2021-12-09  a proof of concept is public: the embargo ends early, with the evidence

Every step must be on the case's timeline and in the audit log, and the chain verifies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

import httpx
import pytest

from clearinghouse.app import build_registry, create_app
from clearinghouse.db import Database
from clearinghouse.jobs.worker import Worker
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import make_settings
from tests.support.cases import COORDINATE, LOG4SHELL_REPORT, make_org
from tests.support.factory import PASSWORD, World, seed
from tests.support.server import serve
from tests.support.smtp import Inbox, smtp_server

PMC = "private@logging.apache.org"
RESEARCHER = "researcher@alibaba-cloud.test"
PUBLIC_POC = "https://github.com/tangxiaofeng7/CVE-2021-44228-Apache-Log4j-Rce"
LOG4J = "pkg:maven/org.apache.logging.log4j/log4j-core"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Story:
    url: str
    clock: FixedClock
    database: Database
    worker: Worker
    inbox: Inbox
    world: World
    clients: list[httpx.Client]

    def client(self, **headers: str) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=30, headers=headers)
        self.clients.append(c)
        return c

    def bearer(self, email: str, *scopes: str) -> httpx.Client:
        c = self.client()
        r = c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        r = c.post(
            "/api/v1/tokens",
            json={
                "name": "story",
                "scopes": list(scopes or ("read", "write")),
                "expires_in_days": 365,
            },
        )
        assert r.status_code == 201, r.text
        return self.client(Authorization=f"Bearer {r.json()['token']}")

    def on(self, when: str) -> None:
        """Move the platform's clock, and let the outbox deliver what is due."""
        self.clock.set(at(when))
        self.worker.run_until_idle()

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.inbox.messages if address in str(m["To"])]


@pytest.fixture
def story(database: Database) -> Iterator[Story]:
    clock = FixedClock(at("2021-11-24T01:00:00"))
    with smtp_server() as smtp:
        settings = make_settings(
            database.url,
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            base_url="https://clearinghouse.example",
            mail_from="coordination@clearinghouse.example",
            session_cookie_secure=False,
        )
        app = create_app(settings, clock=clock, database=database)
        world = seed(database, clock)
        worker = Worker(database, build_registry(settings), clock, settings, "story")
        with serve(app) as url:
            s = Story(url, clock, database, worker, smtp.inbox, world, [])
            yield s
            for c in s.clients:
                c.close()


def test_log4shell(story: Story) -> None:
    admin = story.bearer(story.world.operator_admin, "read", "write", "admin")
    make_org(admin, "alibaba-cloud", "member", RESEARCHER, timezone="Asia/Shanghai")
    operator = story.bearer(story.world.operator_analyst)
    researcher = story.bearer(RESEARCHER)

    # 2021-11-24: the report, triage, the case, the PMC invited by e-mail
    story.on("2021-11-24T03:00:00")
    r = researcher.post("/api/v1/reports", json=LOG4SHELL_REPORT)
    assert r.status_code == 201, r.text
    report_id = r.json()["id"]
    assert r.json()["tracking_token"] is None  # a member follows it with its account

    story.on("2021-11-24T06:00:00")
    operator.post(
        f"/api/v1/reports/{report_id}/transitions",
        json={"to": "valid", "reason": "reproduced with the proof of concept"},
    )
    r = operator.post(f"/api/v1/reports/{report_id}/triage", json={"points": COORDINATE})
    assert r.json()["outcome"] == "coordinate"
    r = operator.post(
        f"/api/v1/reports/{report_id}/case",
        json={"title": "Log4j2: remote code execution through JNDI lookups"},
    )
    assert r.status_code == 201, r.text
    case = r.json()["public_id"]
    assert case == "CH-2021-0001"
    base = f"/api/v1/cases/{case}"
    r = operator.post(
        f"{base}/vulnerabilities",
        json={
            "title": "JNDI lookups in logged messages load and run remote code",
            "cwes": ["CWE-502", "CWE-917", "CWE-20"],
            "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            "products": [
                {
                    "purl": LOG4J,
                    "ranges": [
                        {
                            "type": "ECOSYSTEM",
                            "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}],
                        }
                    ],
                }
            ],
        },
    )
    assert r.status_code == 201, r.text
    vuln = r.json()["id"]
    r = operator.post(
        f"{base}/participants",
        json={"email": PMC, "name": "Apache Logging PMC", "response_days": 7},
    )
    assert r.status_code == 201, r.text
    pmc_participant = r.json()["id"]
    # the researcher's organisation records when it became aware (a clock anchor)
    r = researcher.post(
        f"{base}/events",
        json={
            "type": "aware",
            "occurred_at": "2021-11-24T02:00:00Z",
            "evidence": "internal finding by the security team",
        },
    )
    assert r.status_code == 201, r.text
    story.on("2021-11-24T06:05:00")  # the outbox sends the invitation

    (invitation,) = story.mails_to(PMC)
    text = _plain(invitation)
    assert case in invitation["Subject"]
    assert "JNDI" not in text  # no embargoed detail by e-mail
    assert "Log4j" not in text
    token = re.search(r"https://clearinghouse\.example/invitations/open#(\S+)", text)
    assert token, text
    pmc = story.client(Authorization=f"Invite {token.group(1)}")

    # 2021-11-25: the PMC acknowledges and states "affected"
    story.on("2021-11-25T09:00:00")
    view = pmc.get(base).json()
    assert view["your_role"] == "vendor"
    assert [v["cvss_score"] for v in view["vulnerabilities"]] == [10.0]
    r = pmc.post(f"{base}/statuses", json={"vulnerability_id": vuln, "status": "affected"})
    assert r.status_code == 201, r.text
    (thread,) = pmc.get(f"{base}/threads").json()
    r = pmc.post(
        f"{base}/threads/{thread['id']}/messages",
        json={"body": "Thank you, we reproduced it and are working on a fix."},
    )
    assert r.status_code == 201

    # 2021-11-26: the embargo, proposed and accepted
    story.on("2021-11-26T02:00:00")
    r = operator.post(
        f"{base}/embargo/propose",
        json={"ends_at": "2021-12-23T10:00:00", "timezone": "Asia/Shanghai"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "proposed"
    story.on("2021-11-26T08:00:00")
    assert researcher.post(f"{base}/embargo/accept", json={}).status_code == 200
    r = pmc.post(f"{base}/embargo/accept", json={"comment": "agreed"})
    assert r.json()["state"] == "active"
    # each sees the end in its own zone: the researcher lives in Asia/Shanghai
    embargo = researcher.get(f"{base}/embargo").json()
    assert embargo["ends_at"] == "2021-12-23T02:00:00Z"
    assert embargo["ends_at_local"] == "2021-12-23T10:00:00+08:00 CST"
    assert operator.get(f"{base}/embargo?tz=Europe/London").json()["ends_at_local"] == (
        "2021-12-23T02:00:00+00:00 GMT"
    )

    # 2021-12-06: fixed in 2.15.0
    story.on("2021-12-06T12:00:00")
    r = pmc.post(
        f"{base}/statuses",
        json={"vulnerability_id": vuln, "status": "fixed", "fixed_version": "2.15.0"},
    )
    assert r.status_code == 201, r.text

    # 2021-12-09: a public proof of concept; the embargo ends early, with its evidence
    story.on("2021-12-09T16:00:00")
    r = operator.post(
        f"{base}/embargo/exit",
        json={
            "category": "public_disclosure_seen",
            "evidence_url": PUBLIC_POC,
            "evidence": "proof of concept published on GitHub",
            "occurred_at": "2021-12-09T14:00:00Z",
        },
    )
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["exit_category"]) == ("exited", "public_disclosure_seen")
    r = operator.put(
        f"{base}/vulnerabilities/{vuln}",
        json={
            "title": "JNDI lookups in logged messages load and run remote code",
            "cve_id": "CVE-2021-44228",
            "cwes": ["CWE-502", "CWE-917", "CWE-20"],
            "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            "products": [
                {
                    "purl": LOG4J,
                    "ranges": [
                        {
                            "type": "ECOSYSTEM",
                            "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}],
                        }
                    ],
                }
            ],
        },
    )
    assert r.status_code == 200, r.text
    story.on("2021-12-09T16:05:00")

    # ---- every step is on the timeline, in the order it happened ----
    events = operator.get(f"{base}/timeline?limit=500").json()["items"]
    steps = [(e["type"], e["occurred_at"]) for e in events]
    assert steps[0] == ("aware", "2021-11-24T02:00:00Z")  # before the report: it happened first
    wanted = [
        ("report_received", "2021-11-24T03:00:00Z"),
        ("triage_decided", "2021-11-24T06:00:00Z"),
        ("case_opened", "2021-11-24T06:00:00Z"),
        ("vulnerability_added", "2021-11-24T06:00:00Z"),
        ("vendor_invited", "2021-11-24T06:00:00Z"),
        ("participant_notified", "2021-11-24T06:00:00Z"),
        ("response_deadline_set", "2021-11-24T06:00:00Z"),
        ("participant_seen", "2021-11-25T09:00:00Z"),
        ("vendor_status_changed", "2021-11-25T09:00:00Z"),
        ("message_posted", "2021-11-25T09:00:00Z"),
        ("embargo_proposed", "2021-11-26T02:00:00Z"),
        ("embargo_accepted", "2021-11-26T08:00:00Z"),
        ("embargo_activated", "2021-11-26T08:00:00Z"),
        ("vendor_status_changed", "2021-12-06T12:00:00Z"),
        ("fix_available", "2021-12-06T12:00:00Z"),
        ("public_disclosure", "2021-12-09T14:00:00Z"),
        ("embargo_exited", "2021-12-09T16:00:00Z"),
        ("vulnerability_updated", "2021-12-09T16:00:00Z"),
    ]
    positions = [steps.index(step) for step in wanted]
    assert positions == sorted(positions), steps
    by_type = {e["type"]: e for e in events}
    aware = by_type["aware"]
    assert aware["recorded_at"] == "2021-11-24T06:00:00Z"  # learned later than it happened
    assert aware["recorded_by"] == RESEARCHER
    statuses = [e["data"]["to"] for e in events if e["type"] == "vendor_status_changed"]
    assert statuses == ["affected", "fixed"]
    disclosure = by_type["public_disclosure"]
    assert PUBLIC_POC in disclosure["evidence"]
    assert by_type["fix_available"]["data"]["fixed_version"] == "2.15.0"
    assert not [e for e in events if e["type"] in ("vendor_reminded", "vendor_escalated")]

    # ---- and in the audit log, whose chain verifies ----
    audit = story.bearer(story.world.operator_admin, "read", "admin")
    trail = audit.get(
        "/api/v1/audit", params={"object_type": "case", "object_id": case, "limit": 500}
    ).json()["items"]
    actions = [e["action"] for e in trail]
    for action in (
        "case.opened",
        "case.vulnerability_added",
        "case.vendor_invited",
        "case.event.aware",
        "case.participant_seen",
        "case.vendor_status",
        "case.message_posted",
        "case.embargo.proposed",
        "case.embargo.response",
        "case.embargo.activated",
        "case.event.fix_available",
        "case.embargo.exited",
        "case.event.public_disclosure",
        "case.vulnerability_updated",
    ):
        assert action in actions, action
    report_trail = audit.get(
        "/api/v1/audit", params={"object_type": "report", "object_id": report_id}
    ).json()["items"]
    assert [e["action"] for e in report_trail] == [
        "report.received",
        "report.transition",
        "report.triaged",
        "report.transition",
    ]
    timeline_ids = {e["id"] for e in events}
    audited_ids = {e["change"].get("event_id") for e in trail + report_trail}
    assert timeline_ids <= audited_ids  # every timeline event has its audit entry
    verified = audit.get("/api/v1/audit/verify").json()
    assert verified["ok"] is True, verified

    # the PMC was never reminded; the researcher's organisation was told of each message
    assert [m["Subject"] for m in story.mails_to(PMC)] == [invitation["Subject"]]
    researcher_mail = story.mails_to(RESEARCHER)
    assert researcher_mail
    assert all("reproduced it" not in _plain(m) for m in researcher_mail)

    export = operator.get(f"{base}/export").json()
    assert export["vulnerabilities"][0]["cve_id"] == "CVE-2021-44228"
    assert export["embargo"]["exit"]["category"] == "public_disclosure_seen"
    (pmc_row,) = [p for p in export["participants"] if p["id"] == pmc_participant]
    assert (pmc_row["notified_at"], pmc_row["seen_at"]) == (
        "2021-11-24T06:00:00.000000Z",
        "2021-11-25T09:00:00.000000Z",
    )


def _plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None, "the e-mail has no plain-text part"
    text: str = body.get_content()
    return text
