"""The outside-world services job handlers use, built once from the settings.

Handlers never build clients themselves: tests and the development server hand in
real-but-local ones (an SMTP server on 127.0.0.1, a trusting TLS context), production
hands in the configured ones, all through this one object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from clearinghouse.crypto import SecretBox
from clearinghouse.notify.mail import Mailer, mailer_from_settings
from clearinghouse.settings import Environment, Settings

USER_AGENT = "Clearinghouse-Webhooks/1"


@dataclass(frozen=True)
class Services:
    mailer: Mailer
    # A new HTTP client per delivery batch; the caller closes it (``with factory() as c``).
    http_client: Callable[[], httpx.Client]
    secrets: SecretBox
    # Deliver webhooks to loopback, private and link-local addresses? Off in production:
    # a member could otherwise make the platform call its internal network (SSRF).
    webhook_allow_private: bool = False

    @classmethod
    def from_settings(cls, settings: Settings, *, mailer: Mailer | None = None) -> Services:
        timeout = settings.webhook_timeout_seconds

        def client() -> httpx.Client:
            return httpx.Client(
                timeout=timeout,
                follow_redirects=False,
                headers={"user-agent": USER_AGENT},
            )

        return cls(
            mailer=mailer or mailer_from_settings(settings),
            http_client=client,
            secrets=SecretBox(settings.secret_key.get_secret_value()),
            webhook_allow_private=settings.environment is not Environment.PRODUCTION,
        )
