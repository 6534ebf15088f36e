"""security.txt (RFC 9116) is built from the settings, expires on a defined day even when
asked on 29 February, and every link it gives on the platform answers."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from clearinghouse.api.system import security_txt_body
from clearinghouse.settings import Settings
from tests.functional.conftest import Platform, make_settings


def fields(body: str) -> list[tuple[str, str]]:
    out = []
    for line in body.splitlines():
        name, _, value = line.partition(": ")
        out.append((name, value))
    return out


def test_security_txt_names_real_places(platform: Platform) -> None:
    c = platform.client()
    r = c.get("/.well-known/security.txt")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    got = fields(r.text)
    names = [n for n, _ in got]
    assert names.count("Expires") == 1  # required once (RFC 9116 section 2.5.5)
    assert "Contact" in names  # required (section 2.5.3)
    values = dict(got)
    base = platform.settings.base_url.rstrip("/")
    assert values["Contact"] == f"mailto:{platform.settings.mail_from}"
    assert values["Canonical"] == f"{base}/.well-known/security.txt"
    assert values["CSAF"] == f"{base}/.well-known/csaf/provider-metadata.json"
    # Every link into the platform answers 200 (it was a 404 for Contact and Policy).
    for name in ("Policy", "Canonical", "CSAF"):
        path = urlsplit(values[name]).path
        assert c.get(path).status_code == 200, (name, path)
    policy = c.get(urlsplit(values["Policy"]).path)
    assert "Coordinated vulnerability disclosure policy" in policy.text
    assert "协调漏洞披露政策" in policy.text
    assert "{base}" not in policy.text
    assert values["Expires"] == "2027-03-30T10:00:00Z"  # the clock's 2026-10-01 + 180 days


def _settings(**overrides: object) -> Settings:
    return make_settings("sqlite://", **overrides)


@pytest.mark.parametrize(
    ("now", "days", "expires"),
    [
        (datetime(2028, 2, 29, 12, 30, 15, 999, tzinfo=UTC), 365, "2029-02-28T12:30:15Z"),
        (datetime(2028, 2, 29, 0, 0, tzinfo=UTC), 180, "2028-08-27T00:00:00Z"),
        (datetime(2027, 12, 31, 23, 59, tzinfo=UTC), 1, "2028-01-01T23:59:00Z"),
    ],
)
def test_expires_on_a_leap_day(now: datetime, days: int, expires: str) -> None:
    body = security_txt_body(_settings(security_txt_days=days), now)
    assert dict(fields(body))["Expires"] == expires


def test_settings_shape_the_file() -> None:
    settings = _settings(
        security_contacts=["mailto:psirt@example.org", "https://example.org/report"],
        security_policy_url="https://example.org/policy",
        security_encryption_url="https://example.org/pgp.asc",
    )
    got = fields(security_txt_body(settings, datetime(2026, 1, 1, tzinfo=UTC)))
    assert [v for n, v in got if n == "Contact"] == [
        "mailto:psirt@example.org",
        "https://example.org/report",
    ]
    values = dict(got)
    assert values["Policy"] == "https://example.org/policy"
    assert values["Encryption"] == "https://example.org/pgp.asc"


@pytest.mark.parametrize(
    "overrides",
    [
        {"security_contacts": ["javascript:alert(1)"]},
        {"security_contacts": ["mailto:a@b\nPolicy: https://evil"]},
        {"security_policy_url": "ftp://example.org/p"},
        {"security_txt_days": 366},
        {"security_txt_days": 0},
    ],
)
def test_bad_settings_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _settings(**overrides)
