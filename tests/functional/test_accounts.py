"""Accounts over real HTTP: sessions with CSRF, tokens (expired, revoked, wrong scope),
rate-limited login, problem+json errors, cursor pagination, the audit trail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from tests.functional.conftest import Platform
from tests.support.factory import PASSWORD

PROBLEM = "application/problem+json"


def test_login_me_logout(platform: Platform) -> None:
    c = platform.login(platform.world.member_admin)
    me = c.get("/api/v1/me").json()
    assert me["email"] == platform.world.member_admin
    assert me["organisation_kind"] == "member"
    assert set(me["scopes"]) == {"read", "write", "admin", "taxii"}
    assert c.post("/api/v1/auth/logout").status_code == 204
    r = c.get("/api/v1/me")
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM


def test_session_cookie_is_http_only(platform: Platform) -> None:
    with platform.client() as c:
        r = c.post(
            "/api/v1/auth/login", json={"email": platform.world.member_admin, "password": PASSWORD}
        )
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_unsafe_request_without_csrf_token_is_refused(platform: Platform) -> None:
    c = platform.login(platform.world.member_admin)
    del c.headers["X-CSRF-Token"]
    r = c.post("/api/v1/tokens", json={"name": "x", "scopes": ["read"]})
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]


def test_wrong_password_then_rate_limited(platform: Platform) -> None:
    with platform.client() as c:
        for _ in range(platform.settings.login_max_failures):
            r = c.post(
                "/api/v1/auth/login",
                json={"email": platform.world.member_viewer, "password": "nope" * 4},
            )
            assert r.status_code == 401
            assert r.json()["code"] == "unauthenticated"
        # Even the right password is refused while the limit holds...
        r = c.post(
            "/api/v1/auth/login", json={"email": platform.world.member_viewer, "password": PASSWORD}
        )
        assert r.status_code == 429
        assert r.headers["content-type"] == PROBLEM
        assert int(r.headers["retry-after"]) > 0
        # ...and accepted once the window has passed.
        platform.clock.advance(timedelta(seconds=platform.settings.login_window_seconds + 1))
        r = c.post(
            "/api/v1/auth/login", json={"email": platform.world.member_viewer, "password": PASSWORD}
        )
        assert r.status_code == 200


def test_token_lifecycle(platform: Platform) -> None:
    c = platform.login(platform.world.member_admin)
    r = c.post("/api/v1/tokens", json={"name": "ci", "scopes": ["read"], "expires_in_days": 1})
    assert r.status_code == 201
    body = r.json()
    secret = body["token"]
    assert secret.startswith("chk_")
    listed = c.get("/api/v1/tokens").json()["items"]
    assert [t["prefix"] for t in listed] == [body["prefix"]]
    assert "token" not in listed[0]  # shown once
    for i in range(3):
        c.post("/api/v1/tokens", json={"name": f"more-{i}", "scopes": ["read"]})
    first = c.get("/api/v1/tokens", params={"limit": 2}).json()
    second = c.get("/api/v1/tokens", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    names = [t["name"] for t in first["items"] + second["items"]]
    assert sorted(names) == ["ci", "more-0", "more-1", "more-2"]  # each once, across pages
    assert second["next_cursor"] is None
    with platform.client(headers={"Authorization": f"Bearer {secret}"}) as t:
        assert t.get("/api/v1/me").json()["scopes"] == ["read"]
        # wrong scope: a read token cannot create organisations or tokens
        r = t.post("/api/v1/tokens", json={"name": "x", "scopes": ["read"]})
        assert r.status_code in (403, 422)
        # expired
        platform.clock.advance(timedelta(days=1, seconds=1))
        r = t.get("/api/v1/me")
        assert r.status_code == 401
        assert "expired" in r.json()["detail"]
        assert r.headers["www-authenticate"].startswith("Bearer")
    platform.clock.advance(timedelta(days=-1, seconds=-1))
    assert c.delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    with platform.client(headers={"Authorization": f"Bearer {secret}"}) as t:
        r = t.get("/api/v1/me")
        assert r.status_code == 401
        assert "revoked" in r.json()["detail"]


def test_token_stored_hashed(platform: Platform) -> None:
    secret = platform.token(platform.world.member_admin, ["read"])
    with platform.database.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert secret not in stored
    assert all(len(h) == 64 for h in stored)


def test_token_scope_cannot_exceed_role(platform: Platform) -> None:
    c = platform.login(platform.world.member_viewer)
    r = c.post("/api/v1/tokens", json={"name": "x", "scopes": ["admin"]})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid-input"


def test_wrong_scope_token_is_forbidden(platform: Platform) -> None:
    secret = platform.token(platform.world.operator_admin, ["read"])
    with platform.client(headers={"Authorization": f"Bearer {secret}"}) as t:
        r = t.post("/api/v1/organisations", json={"slug": "x1", "name": "X", "kind": "member"})
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"


def test_unknown_bearer_token(platform: Platform) -> None:
    with platform.client(headers={"Authorization": "Bearer chk_nope_nope"}) as t:
        r = t.get("/api/v1/me")
    assert r.status_code == 401


def test_problem_json_on_validation_error(platform: Platform) -> None:
    c = platform.login(platform.world.operator_admin)
    r = c.post("/api/v1/organisations", json={"slug": "ok-slug", "name": "", "kind": "pirate"})
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    p = r.json()
    assert p["type"].endswith("/invalid-input")
    assert p["status"] == 422
    assert p["errors"]
    assert p["request_id"] == r.headers["x-request-id"]


def test_problem_json_on_unknown_route_and_method(platform: Platform) -> None:
    with platform.client() as c:
        r = c.get("/api/v1/nothing-here")
        assert r.status_code == 404
        assert r.headers["content-type"] == PROBLEM
        r = c.delete("/healthz")
        assert r.status_code == 405
        assert r.headers["content-type"] == PROBLEM


def test_duplicate_slug_conflict_keeps_existing(platform: Platform) -> None:
    c = platform.login(platform.world.operator_admin)
    r = c.post(
        "/api/v1/organisations", json={"slug": "member", "name": "Impostor", "kind": "member"}
    )
    assert r.status_code == 409
    assert c.get("/api/v1/organisations/member").json()["name"] == "Member"


def test_member_sees_only_its_organisation(platform: Platform) -> None:
    c = platform.login(platform.world.member_admin)
    slugs = [o["slug"] for o in c.get("/api/v1/organisations").json()["items"]]
    assert slugs == ["member"]
    assert c.get("/api/v1/organisations/other").status_code == 404  # no existence leak
    assert c.get("/api/v1/organisations/operator").status_code == 404


def test_cursor_pagination_walks_everything_once(platform: Platform) -> None:
    c = platform.login(platform.world.operator_admin)
    for i in range(7):
        assert (
            c.post(
                "/api/v1/organisations",
                json={"slug": f"org-{i}", "name": f"O{i}", "kind": "vendor"},
            ).status_code
            == 201
        )
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = c.get("/api/v1/organisations", params=params).json()
        assert len(page["items"]) <= 3
        seen += [o["slug"] for o in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 10
    assert c.get("/api/v1/organisations", params={"cursor": "!!garbage"}).status_code == 422
    assert c.get("/api/v1/organisations", params={"limit": 0}).status_code == 422


def test_member_admin_adds_user_but_viewer_cannot(platform: Platform) -> None:
    admin = platform.login(platform.world.member_admin)
    r = admin.post(
        "/api/v1/organisations/member/users",
        json={"email": "new@member.test", "name": "New", "password": PASSWORD, "role": "analyst"},
    )
    assert r.status_code == 201
    viewer = platform.login(platform.world.member_viewer)
    r = viewer.post(
        "/api/v1/organisations/member/users",
        json={"email": "n2@member.test", "name": "N2", "password": PASSWORD, "role": "analyst"},
    )
    assert r.status_code == 403
    r = admin.post(
        "/api/v1/organisations/other/users",
        json={"email": "n3@other.test", "name": "N3", "password": PASSWORD, "role": "admin"},
    )
    assert r.status_code == 404


def test_audit_trail_and_verify_over_http(platform: Platform) -> None:
    op = platform.login(platform.world.operator_admin)
    org = op.post(
        "/api/v1/organisations", json={"slug": "acme", "name": "Acme", "kind": "vendor"}
    ).json()
    trail = op.get(
        "/api/v1/audit", params={"object_type": "organisation", "object_id": org["id"]}
    ).json()
    assert [e["action"] for e in trail["items"]] == ["organisation.created"]
    assert trail["items"][0]["actor"] == platform.world.operator_admin
    assert op.get("/api/v1/audit/verify").json()["ok"] is True
    # A member reads its own objects' trail but not others'.
    member = platform.login(platform.world.member_admin)
    entries = member.get("/api/v1/audit", params={"limit": 500}).json()["items"]
    assert entries
    assert all(e["object_id"] != org["id"] for e in entries)
    assert member.get("/api/v1/audit/verify").status_code == 403
    # Tampering with a raw SQL update is found.
    with platform.database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET actor_label = 'someone else' WHERE seq = 2"))
    result = op.get("/api/v1/audit/verify").json()
    assert result["ok"] is False
    assert result["first_bad_seq"] == 2


def test_audit_verify_over_http_against_a_kept_head(platform: Platform) -> None:
    """Issue #9, item 12: the newest entries deleted are found against a head kept."""
    op = platform.login(platform.world.operator_admin)
    kept = op.get("/api/v1/audit/verify").json()
    op.post("/api/v1/organisations", json={"slug": "acme", "name": "Acme", "kind": "vendor"})
    later = op.get("/api/v1/audit/verify", params={"expect_head": kept["head"]}).json()
    assert later["ok"] is True
    assert later["expected_head_seq"] == kept["entries"]
    with platform.database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq >= :n"), {"n": kept["entries"]})
    assert op.get("/api/v1/audit/verify").json()["ok"] is True
    result = op.get("/api/v1/audit/verify", params={"expect_head": kept["head"]}).json()
    assert result["ok"] is False
    assert result["first_bad_seq"] == kept["entries"]
    assert "deleted from its end" in result["problem"]
    bad = op.get("/api/v1/audit/verify", params={"expect_head": "x"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "expect_head"


def test_body_limit(platform: Platform) -> None:
    c = platform.login(platform.world.operator_admin)
    r = c.post(
        "/api/v1/organisations",
        content=b"{" + b" " * (70 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM


def test_security_headers_and_request_id(platform: Platform) -> None:
    with platform.client() as c:
        r = c.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_readyz_and_docs_are_self_hosted(platform: Platform) -> None:
    with platform.client() as c:
        assert c.get("/readyz").json()["status"] == "ready"
        page = c.get("/api/docs").text
        assert "https://" not in page  # no CDN
        assert c.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
        assert c.get("/static/docs-init.js").status_code == 200
        spec = c.get("/openapi.json").json()
        assert "/api/v1/tokens" in spec["paths"]
