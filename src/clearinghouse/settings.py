"""The one settings object, built at start-up from ``CLEARINGHOUSE_*`` environment variables.

Every field here is listed in the README's settings table (a test checks it).
"""

from __future__ import annotations

import enum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clearinghouse.errors import ConfigurationError

DEFAULT_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105 (a known default, refused outside development)


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLEARINGHOUSE_", extra="ignore")

    environment: Environment = Field(
        Environment.DEVELOPMENT, description="development, test or production"
    )
    database_url: str = Field(
        "sqlite:///./var/clearinghouse.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET_KEY),
        description="signs links and sessions, encrypts secrets at rest; required in production",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000", description="public URL, used in e-mails and links"
    )
    platform_name: str = Field("Clearinghouse", description="name shown in pages and e-mails")
    # HTTP
    max_request_bytes: int = Field(
        10 * 1024 * 1024, description="largest request body accepted (bytes)"
    )
    max_concurrent_requests: int = Field(
        12,
        ge=1,
        le=64,
        description="requests one `serve` process works on at once; the rest wait their turn "
        "(503 busy after 10 s); keep under the database pool (30 connections)",
    )
    session_cookie_secure: bool | None = Field(
        None, description="mark session cookies Secure (default: on when base_url is https)"
    )
    session_hours: int = Field(12, description="browser session lifetime (hours)")
    argon2_time_cost: int = Field(3, ge=1, description="argon2id passes per password hash")
    argon2_memory_kib: int = Field(
        65536, ge=1024, description="argon2id memory per password hash (KiB)"
    )
    login_max_failures: int = Field(
        5, description="failed logins per account and per client within the window before 429"
    )
    login_window_seconds: int = Field(900, description="window for login_max_failures (seconds)")
    intake_max_per_hour: int = Field(
        10, ge=1, description="anonymous reports accepted per client address per hour (429 beyond)"
    )
    # Jobs
    worker_in_process: bool = Field(
        True, description="run the job worker inside `serve` (turn off when running `worker`)"
    )
    worker_poll_seconds: float = Field(1.0, description="how often an idle worker looks for jobs")
    job_max_attempts: int = Field(8, description="attempts before a job is dead-lettered")
    job_backoff_seconds: float = Field(
        5.0, description="first retry delay; doubles per attempt (capped at 1 hour)"
    )
    job_lease_seconds: int = Field(
        300, description="a running job whose worker vanished is retried after this long"
    )
    # E-mail
    import_max_total_bytes: int = Field(
        256 * 1024 * 1024,
        ge=1024,
        description="most bytes one advisory import may expand to (all files, or all members "
        "of a zip, uncompressed); beyond it the import is refused with nothing stored",
    )
    osv_page_size: int = Field(
        1000, ge=1, le=1000, description="records per OSV API answer (then next_page_token)"
    )
    taxii_max_page_size: int = Field(
        10_000,
        ge=1,
        le=100_000,
        description="most objects per TAXII page (a larger limit gets this many)",
    )
    taxii_max_content_length: int = Field(
        5 * 1024 * 1024,
        ge=1024,
        description="largest TAXII POST body (bytes; 413 beyond); at most max_request_bytes",
    )
    webhook_allow_private: bool = Field(
        False,
        description="deliver webhooks to loopback, private and link-local addresses (closed "
        "networks, tests); off: a member could make the platform call the internal network",
    )
    smtp_host: str | None = Field(None, description="SMTP server; unset: e-mails are logged only")
    smtp_port: int = Field(25, description="SMTP port")
    smtp_starttls: bool = Field(False, description="upgrade the SMTP connection with STARTTLS")
    smtp_username: str | None = Field(None, description="SMTP user name")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_timeout_seconds: float = Field(30.0, description="SMTP connection timeout")
    mail_from: str = Field("clearinghouse@localhost", description="From: address of e-mails")
    # security.txt (RFC 9116)
    security_contacts: list[str] = Field(
        default_factory=list,
        description="security.txt Contact: URIs (mailto:, https: or tel:; JSON list); "
        "empty: mailto: CLEARINGHOUSE_MAIL_FROM",
    )
    security_policy_url: str | None = Field(
        None, description="security.txt Policy: URL; unset: the platform's /disclosure-policy"
    )
    security_encryption_url: str | None = Field(
        None, description="security.txt Encryption: URL of an OpenPGP key for reports (optional)"
    )
    security_txt_days: int = Field(
        180, ge=1, le=365, description="security.txt Expires: this many days after each request"
    )
    # CSAF
    csaf_signing_key_file: Path | None = Field(
        None,
        description="ASCII-armored OpenPGP secret key that signs every CSAF file (.asc) and "
        "whose public half is published: the platform is then a csaf_trusted_provider; "
        "unset: csaf_provider, without signatures (`clearinghouse csaf-key generate`)",
    )
    csaf_signing_key_passphrase: SecretStr | None = Field(
        None, description="passphrase of CLEARINGHOUSE_CSAF_SIGNING_KEY_FILE, if it has one"
    )
    # Webhooks
    webhook_timeout_seconds: float = Field(10.0, description="HTTP timeout of webhook deliveries")
    # Regulatory clocks
    regimes_dir: Path | None = Field(
        None, description="extra regime files (YAML); a file with a shipped id replaces it"
    )
    enabled_regimes: list[str] = Field(
        default_factory=list,
        description='regimes disabled by default to enable anyway (JSON list, e.g. ["us-circia"])',
    )
    alert_fractions: list[float] = Field(
        default_factory=lambda: [0.5, 0.8],
        description="alert when these shares of a reporting window have elapsed (JSON list)",
    )
    alert_before_due_hours: list[float] = Field(
        default_factory=lambda: [2.0], description="alert this many hours before a due instant"
    )
    clocks_scan_minutes: int = Field(
        5, ge=1, description="how often the worker re-derives obligations and sends alerts"
    )
    # Logs
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_json: bool | None = Field(
        None,
        description="JSON log lines (one object per line); unset: JSON unless the server "
        "logs to a terminal, where lines are readable",
    )
    data_dir: Path = Field(
        Path("var"),
        description="local state (the default SQLite file); attachments live in the database",
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if (
            self.environment is Environment.PRODUCTION
            and self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY
        ):
            raise ConfigurationError(
                "CLEARINGHOUSE_SECRET_KEY is the development default; set a long random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if self.environment is Environment.PRODUCTION and len(self.secret_key) < 32:
            raise ConfigurationError("CLEARINGHOUSE_SECRET_KEY must be at least 32 characters")
        return self

    @field_validator("security_contacts")
    @classmethod
    def _contact_uris(cls, value: list[str]) -> list[str]:
        for uri in value:
            if not uri.startswith(("mailto:", "https://", "tel:")) or any(
                c.isspace() or ord(c) < 0x20 for c in uri
            ):
                raise ValueError(
                    f"{uri!r} is not a security.txt contact: use mailto:, https:// or tel: "
                    "(RFC 9116 section 2.5.3), without spaces"
                )
        return value

    @field_validator("security_policy_url", "security_encryption_url")
    @classmethod
    def _web_uri(cls, value: str | None) -> str | None:
        if value is not None and (
            not value.startswith(("https://", "http://")) or any(c.isspace() for c in value)
        ):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @property
    def cookies_secure(self) -> bool:
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
