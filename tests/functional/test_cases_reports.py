"""Report intake over real HTTP: public and member reports, attachments, tracking tokens,
rate limit, lifecycle with reasons, likely duplicates, triage and opening a case."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from sqlalchemy import text

from tests.functional.conftest import Platform
from tests.support.cases import COORDINATE, LOG4SHELL_REPORT, report, triage_and_open

PROBLEM = "application/problem+json"


def test_anonymous_report_returns_a_tracking_token_stored_hashed(platform: Platform) -> None:
    with platform.client() as anon:
        body = report(anon)
        token = body["tracking_token"]
        assert token.startswith("chr_")
        assert body["tracking_url"].endswith("#" + token)
        assert body["status"] == "received"
        tracked = anon.get("/api/v1/reports/tracked", headers={"X-Report-Token": token})
        assert tracked.status_code == 200, tracked.text
        assert tracked.json()["id"] == body["id"]
        assert tracked.json()["likely_duplicates"] is None  # not for the finder
        # the token opens only its own report
        other = report(anon, title="Another bug", description="Something else entirely here.")
        r = anon.get(f"/api/v1/reports/{other['id']}", headers={"X-Report-Token": token})
        assert r.status_code == 404
    with platform.database.engine.connect() as conn:
        stored = conn.execute(text("SELECT tracking_token_hash FROM reports")).scalars().all()
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert token not in stored


def test_unknown_tracking_token_is_401(platform: Platform) -> None:
    with platform.client() as anon:
        r = anon.get("/api/v1/reports/tracked", headers={"X-Report-Token": "chr_nope"})
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM


def test_member_report_has_no_token_and_is_listed_for_its_organisation(platform: Platform) -> None:
    member = platform.login(platform.world.member_admin)
    body = report(member)
    assert body["tracking_token"] is None
    listed = member.get("/api/v1/reports").json()["items"]
    assert [r["id"] for r in listed] == [body["id"]]
    other = platform.login(platform.world.other_admin)
    assert other.get("/api/v1/reports").json()["items"] == []
    assert other.get(f"/api/v1/reports/{body['id']}").status_code == 404


def test_multipart_report_with_proof_of_concept(platform: Platform) -> None:
    poc = b'public class Exploit { static { Runtime.getRuntime().exec("id"); } }\n'
    with platform.client() as anon:
        r = anon.post(
            "/api/v1/reports",
            data={"report": json.dumps(LOG4SHELL_REPORT)},
            files=[("attachment", ("Exploit.java", poc, "text/x-java"))],
        )
        assert r.status_code == 201, r.text
        body = r.json()
        (attachment,) = body["attachments"]
        assert attachment["sha256"] == hashlib.sha256(poc).hexdigest()
        assert attachment["size"] == len(poc)
        token = body["tracking_token"]
        d = anon.get(attachment["download"], headers={"X-Report-Token": token})
    assert d.status_code == 200
    assert d.content == poc
    assert d.headers["content-type"] == "application/octet-stream"
    assert d.headers["content-disposition"] == 'attachment; filename="Exploit.java"'
    assert d.headers["x-content-type-options"] == "nosniff"
    operator = platform.login(platform.world.operator_analyst)
    assert operator.get(attachment["download"]).content == poc
    other = platform.login(platform.world.other_admin)
    assert other.get(attachment["download"]).status_code == 404


def test_attachment_type_and_size_are_checked(platform: Platform) -> None:
    with platform.client() as anon:
        fake_png = anon.post(
            "/api/v1/reports",
            data={"report": json.dumps(LOG4SHELL_REPORT)},
            files=[("attachment", ("shot.png", b"<html><script>alert(1)</script>", "image/png"))],
        )
        assert fake_png.status_code == 422
        assert fake_png.json()["code"] == "unsupported-attachment"
        exe = anon.post(
            "/api/v1/reports",
            data={"report": json.dumps(LOG4SHELL_REPORT)},
            files=[("attachment", ("run.exe", b"MZ\x90\x00", "application/octet-stream"))],
        )
        assert exe.status_code == 422
        limit = platform.settings.max_request_bytes // 2
        big = anon.post(
            "/api/v1/reports",
            data={"report": json.dumps(LOG4SHELL_REPORT)},
            files=[("attachment", ("big.txt", b"a" * (limit + 1), "text/plain"))],
        )
        assert big.status_code == 413
        assert big.headers["content-type"] == PROBLEM
        wrong = anon.post("/api/v1/reports", content=b"x", headers={"content-type": "text/plain"})
        assert wrong.status_code == 415
    with platform.database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM reports")).scalar() == 0


def test_invalid_fields_are_refused_with_the_field_named(platform: Platform) -> None:
    with platform.client() as anon:
        r = anon.post(
            "/api/v1/reports",
            json={**LOG4SHELL_REPORT, "credit_preference": "name", "credit_as": None},
        )
        assert r.status_code == 422
        assert "credit_as" in r.json()["detail"]
        r = anon.post("/api/v1/reports", json={**LOG4SHELL_REPORT, "purl": "log4j"})
        assert r.status_code == 422
        assert r.json()["field"] == "purl"


def test_anonymous_intake_is_rate_limited_per_client(platform: Platform) -> None:
    from clearinghouse.cases.intake import INTAKE_LIMIT, INTAKE_WINDOW

    with platform.client() as anon:
        for i in range(INTAKE_LIMIT):
            report(anon, title=f"bug {i}", description=f"distinct description number {i} " * 3)
        r = anon.post("/api/v1/reports", json=LOG4SHELL_REPORT)
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        # members are not limited by the anonymous counter
        member = platform.login(platform.world.member_admin)
        report(member)
        platform.clock.advance(INTAKE_WINDOW + timedelta(seconds=1))
        report(anon)


def test_lifecycle_needs_reasons_and_legal_moves(platform: Platform) -> None:
    with platform.client() as anon:
        rid = report(anon)["id"]
    operator = platform.login(platform.world.operator_analyst)
    r = operator.post(f"/api/v1/reports/{rid}/transitions", json={"to": "accepted", "reason": "x"})
    assert r.status_code == 409
    assert r.json()["code"] == "illegal-report-transition"
    r = operator.post(f"/api/v1/reports/{rid}/transitions", json={"to": "invalid", "reason": " "})
    assert r.status_code == 422
    r = operator.post(
        f"/api/v1/reports/{rid}/transitions",
        json={"to": "invalid", "reason": "not a vulnerability"},
    )
    assert r.status_code == 200
    r = operator.post(
        f"/api/v1/reports/{rid}/transitions", json={"to": "closed", "reason": "told the finder"}
    )
    body = r.json()
    assert body["status"] == "closed"
    assert [(h["from_status"], h["to_status"]) for h in body["history"]] == [
        (None, "received"),
        ("received", "invalid"),
        ("invalid", "closed"),
    ]
    member = platform.login(platform.world.member_admin)
    assert (
        member.post(
            f"/api/v1/reports/{rid}/transitions", json={"to": "closed", "reason": "x"}
        ).status_code
        == 404
    )


def test_likely_duplicates_are_flagged_for_the_operator(platform: Platform) -> None:
    with platform.client() as anon:
        first = report(anon, cves=["CVE-2021-44228"])
        second = report(
            anon,
            title="JNDI injection in log4j",
            cves=["cve-2021-44228"],
            description="Log4j lookups load remote classes: CVE-2021-44228.",
        )
        unrelated = report(
            anon,
            title="XSS",
            product="Some CMS",
            purl=None,
            vendor=None,
            description="Stored XSS in the comment form of the CMS.",
        )
    operator = platform.login(platform.world.operator_analyst)
    assert operator.get(f"/api/v1/reports/{second['id']}").json()["likely_duplicates"] == []
    platform.run_jobs()  # flagged by a job, outside the intake transaction
    dups = operator.get(f"/api/v1/reports/{second['id']}").json()["likely_duplicates"]
    assert [d["report_id"] for d in dups] == [first["id"]]
    assert dups[0]["score"] == 1.0
    assert any("same_cve" in reason for reason in dups[0]["reasons"])
    assert operator.get(f"/api/v1/reports/{unrelated['id']}").json()["likely_duplicates"] == []
    listed = {
        r["id"]: r["likely_duplicates"] for r in operator.get("/api/v1/reports").json()["items"]
    }
    assert listed[second["id"]] == 1


def test_triage_table_override_and_case_opening(platform: Platform) -> None:
    with platform.client() as anon:
        rid = report(anon)["id"]
    operator = platform.login(platform.world.operator_analyst)
    operator.post(f"/api/v1/reports/{rid}/transitions", json={"to": "valid", "reason": "ok"})
    declined = {
        **COORDINATE,
        "report_credibility": "not credible",
        "supplier_cardinality": "one",
        "utility": "laborious",
        "public_safety_impact": "minimal",
    }
    r = operator.post(f"/api/v1/reports/{rid}/triage", json={"points": declined})
    assert r.json()["outcome"] == "decline"
    r = operator.post(f"/api/v1/reports/{rid}/case", json={"title": "x"})
    assert r.status_code == 409
    r = operator.post(
        f"/api/v1/reports/{rid}/triage",
        json={
            "points": declined,
            "override": {"outcome": "coordinate", "reason": "PoC reproduced"},
        },
    )
    assert r.status_code == 201
    body = r.json()
    assert (body["computed"], body["outcome"], body["overridden"]) == (
        "decline",
        "coordinate",
        True,
    )
    history = operator.get(f"/api/v1/reports/{rid}/triage").json()
    assert [t["outcome"] for t in history["history"]] == ["decline", "coordinate"]
    bad = operator.post(f"/api/v1/reports/{rid}/triage", json={"points": {"utility": "huge"}})
    assert bad.status_code == 422
    case = operator.post(f"/api/v1/reports/{rid}/case", json={"title": "Log4j2 RCE"}).json()
    assert case["public_id"] == f"CH-{platform.clock.now().year}-0001"
    assert operator.get(f"/api/v1/reports/{rid}").json()["status"] == "accepted"
    again = operator.post(f"/api/v1/reports/{rid}/case", json={"title": "again"})
    assert again.status_code == 409


def test_case_numbers_count_per_year(platform: Platform) -> None:
    operator = platform.login(platform.world.operator_analyst)
    year = platform.clock.now().year
    ids: list[str] = []
    for _ in range(3):
        with platform.client() as anon:
            rid = report(anon, title="t", description=f"d {len(ids)} " * 5)["id"]
        ids.append(triage_and_open(operator, rid)["public_id"])
    assert ids == [f"CH-{year}-0001", f"CH-{year}-0002", f"CH-{year}-0003"]
    platform.clock.advance(timedelta(days=366))
    operator = platform.login(platform.world.operator_analyst)
    with platform.client() as anon:
        rid = report(anon, title="t", description="next year " * 5)["id"]
    assert triage_and_open(operator, rid)["public_id"] == f"CH-{year + 1}-0001"


def test_the_finder_is_told_of_each_move_without_the_reason(platform: Platform) -> None:
    from sqlalchemy import select

    from clearinghouse.notify.models import Notification
    from tests.support.cases import sent_emails

    with platform.client() as anon:
        rid = report(anon, contact_email="finder@example.test")["id"]
    member = platform.login(platform.world.member_admin)
    member_rid = report(member)["id"]
    operator = platform.login(platform.world.operator_analyst)
    for target in (rid, member_rid):
        r = operator.post(
            f"/api/v1/reports/{target}/transitions",
            json={"to": "invalid", "reason": "the secret reason"},
        )
        assert r.status_code == 200
    (mail,) = [m for m in sent_emails(platform.database) if m["to"] == "finder@example.test"]
    assert "invalid" in mail["subject"]
    assert "secret reason" not in mail["text"]
    with platform.database.transaction(write=False) as s:
        (note,) = s.scalars(select(Notification).where(Notification.kind == "report.status"))
        assert member_rid in note.body
        assert "secret reason" not in note.body
