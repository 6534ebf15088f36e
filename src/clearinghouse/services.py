"""The outside-world services the platform talks to, built once by the wiring.

``app.py`` (and the CLI) build one :class:`Services` from the settings and hand it to the
job registry; handlers never build clients themselves. Tests and the development server
hand in real-but-local ones (an SMTP server on 127.0.0.1), production the configured ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpx

from clearinghouse.crypto import SecretBox
from clearinghouse.settings import Environment, Settings

USER_AGENT = "Clearinghouse-Webhooks/1"


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message to the mail system; raise ``notify.mail.MailError`` if it refuses."""
        ...


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
    def from_settings(cls, settings: Settings, *, mailer: Mailer) -> Services:
        timeout = settings.webhook_timeout_seconds

        def client() -> httpx.Client:
            return httpx.Client(
                timeout=timeout,
                follow_redirects=False,
                headers={"user-agent": USER_AGENT},
            )

        return cls(
            mailer=mailer,
            http_client=client,
            secrets=SecretBox(settings.secret_key.get_secret_value()),
            webhook_allow_private=settings.environment is not Environment.PRODUCTION,
        )
