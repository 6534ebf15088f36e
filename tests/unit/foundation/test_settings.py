"""Settings: built from CLEARINGHOUSE_* variables; production refuses the default key."""

from __future__ import annotations

import pytest

from clearinghouse.errors import ConfigurationError
from clearinghouse.settings import DEFAULT_SECRET_KEY, Settings


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("CLEARINGHOUSE_ENABLED_REGIMES", '["us-circia"]')
    monkeypatch.setenv("CLEARINGHOUSE_INTAKE_MAX_PER_HOUR", "25")
    s = Settings()
    assert s.database_url == "postgresql+psycopg://u@h/db"
    assert s.enabled_regimes == ["us-circia"]
    assert s.intake_max_per_hour == 25
    assert not s.is_sqlite


def test_production_refuses_the_development_key() -> None:
    with pytest.raises(ConfigurationError, match="development default"):
        Settings(environment="production")
    with pytest.raises(ConfigurationError, match="at least 32"):
        Settings(environment="production", secret_key="short")
    ok = Settings(environment="production", secret_key="x" * 40)
    assert ok.secret_key.get_secret_value() != DEFAULT_SECRET_KEY


def test_development_allows_the_default_key_and_cookies_follow_the_scheme() -> None:
    assert Settings().cookies_secure is False
    assert Settings(base_url="https://ch.example").cookies_secure is True
    assert (
        Settings(base_url="https://ch.example", session_cookie_secure=False).cookies_secure is False
    )
