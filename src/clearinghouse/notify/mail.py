"""Sending e-mail: one small contract, an SMTP implementation and a logging one.

Delivery errors are split in two because the job system treats them differently: a
:class:`MailTemporaryError` (server unreachable, 4xx) is retried with backoff; a
:class:`MailRejectedError` (5xx: no such mailbox, refused sender) will not get better and
dead-letters the job at once.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from clearinghouse.errors import ClearinghouseError
from clearinghouse.services import Mailer
from clearinghouse.settings import Settings

log = logging.getLogger("clearinghouse.mail")


class MailError(ClearinghouseError):
    code = "mail-failed"
    status = 502
    title = "E-mail could not be sent"


class MailTemporaryError(MailError):
    """The server could not be reached or asked to try later."""

    code = "mail-temporary"


class MailRejectedError(MailError):
    """The server refused the message for good (5xx)."""

    code = "mail-rejected"


class SmtpMailer:
    """SMTP with optional STARTTLS (verified against the system's trust store unless an
    ``ssl_context`` is given) and optional AUTH. One connection per message: the volume
    is modest, and a long-lived connection would need keep-alive and reconnect logic."""

    def __init__(self, settings: Settings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        if not settings.smtp_host:
            raise ValueError("SmtpMailer needs smtp_host; use LogMailer when it is unset")
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.starttls = settings.smtp_starttls
        self.username = settings.smtp_username
        self.password = (
            settings.smtp_password.get_secret_value() if settings.smtp_password else None
        )
        self.timeout = settings.smtp_timeout_seconds
        self.ssl_context = ssl_context

    def send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _by_code(min(codes), f"every recipient was refused: {exc.recipients}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise MailRejectedError(
                f"SMTP authentication failed ({exc.smtp_code}); check CLEARINGHOUSE_SMTP_USERNAME "
                "and CLEARINGHOUSE_SMTP_PASSWORD"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(
                exc.smtp_code, f"SMTP server said {exc.smtp_code}: {exc.smtp_error!r}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailTemporaryError(
                f"could not talk to SMTP server {self.host}:{self.port}: {exc}"
            ) from exc
        if refused:
            # Some recipients accepted: retrying would duplicate their copy. Log the rest.
            log.warning("some recipients were refused", extra={"refused": str(refused)})


def _by_code(code: int, detail: str) -> MailError:
    return MailRejectedError(detail) if code >= 500 else MailTemporaryError(detail)


class LogMailer:
    """Development: writes e-mails to the log instead of sending them (``smtp_host`` unset).
    Keeps the last messages in ``sent`` so a developer console can show them."""

    def __init__(self, keep: int = 100) -> None:
        self.sent: list[EmailMessage] = []
        self._keep = keep

    def send(self, message: EmailMessage) -> None:
        # Only that it was not sent: the body may carry an invitation link, a tracking
        # token or a sealed detail, and logs are read by more people than mailboxes.
        log.info(
            "e-mail not sent (CLEARINGHOUSE_SMTP_HOST is unset)",
            extra={"message_id": message["Message-ID"]},
        )
        self.sent.append(message)
        del self.sent[: -self._keep]


def mailer_from_settings(settings: Settings) -> Mailer:
    return SmtpMailer(settings) if settings.smtp_host else LogMailer()
