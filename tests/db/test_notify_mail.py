"""E-mail against a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS with a
self-signed certificate, AUTH; temporary and permanent refusals; the ``email.send`` job
retrying with the same Message-ID."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import SecretStr

from clearinghouse.app import build_services
from clearinghouse.db import Database
from clearinghouse.jobs import queue
from clearinghouse.jobs.models import JobStatus
from clearinghouse.jobs.worker import Worker
from clearinghouse.notify.gate import kept
from clearinghouse.notify.handlers import message_id
from clearinghouse.notify.mail import (
    LogMailer,
    MailRejectedError,
    MailTemporaryError,
    SmtpMailer,
)
from clearinghouse.notify.service import KIND_SEND
from clearinghouse.policy import MessageFacts, Sensitivity
from clearinghouse.services import Mailer
from clearinghouse.settings import Settings
from clearinghouse.timeutil import FixedClock
from tests.support.jobs import T0, job_settings, notify_registry
from tests.support.server import free_port
from tests.support.smtp import Credentials, SmtpServer, self_signed, smtp_server

FROM = "clearinghouse@ch.test"


def _message(subject: str = "Case CH-2021-0001 needs your statement") -> EmailMessage:
    message = EmailMessage()
    message["From"] = FROM
    message["To"] = "psirt@vendor.test"
    message["Subject"] = subject
    message.set_content("Please state whether log4j-core is affected.\n")
    return message


def _settings(server: SmtpServer | None = None, **extra: object) -> Settings:
    values: dict[str, object] = {"mail_from": FROM, "smtp_timeout_seconds": 5.0}
    if server is not None:
        values.update(smtp_host=server.host, smtp_port=server.port)
    values.update(extra)
    return job_settings(**values)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


# ---- the Mailer contract: every implementation accepts a well-formed message -------------


@pytest.mark.parametrize("kind", ["smtp", "log"])
def test_every_mailer_accepts_a_message(
    kind: str, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    mailer: Mailer = SmtpMailer(_settings(smtp)) if kind == "smtp" else LogMailer()
    with caplog.at_level(logging.INFO, logger="clearinghouse.mail"):
        mailer.send(_message())
    if kind == "smtp":
        [received] = smtp.inbox.received
        assert received.rcpt_tos == ["psirt@vendor.test"]
        assert received.message["Subject"] == "Case CH-2021-0001 needs your statement"
        assert "log4j-core" in received.message.get_content()
    else:
        assert isinstance(mailer, LogMailer)
        assert [m["Subject"] for m in mailer.sent] == ["Case CH-2021-0001 needs your statement"]
        assert "e-mail not sent" in caplog.text
        assert smtp.inbox.received == []


def test_starttls_and_auth_with_a_self_signed_certificate(tmp_path: Path) -> None:
    cert = self_signed()
    credentials = Credentials("mailer", "s3cret-password")
    with smtp_server(credentials=credentials, tls=cert.server_context(tmp_path)) as server:
        settings = _settings(
            server,
            smtp_starttls=True,
            smtp_username="mailer",
            smtp_password=SecretStr("s3cret-password"),
        )
        SmtpMailer(settings, ssl_context=cert.client_context()).send(_message())
        assert server.inbox.logins == ["mailer"]
        assert len(server.inbox.received) == 1
        # the system trust store does not know the test certificate: refused, not sent
        with pytest.raises(MailTemporaryError, match="could not talk"):
            SmtpMailer(settings).send(_message())
        # without STARTTLS the server refuses to proceed (it requires it)
        plain = _settings(server, smtp_username="mailer", smtp_password=SecretStr("x"))
        with pytest.raises((MailTemporaryError, MailRejectedError)):
            SmtpMailer(plain).send(_message())
        assert len(server.inbox.received) == 1


def test_plain_auth_and_a_wrong_password() -> None:
    with smtp_server(credentials=Credentials("mailer", "right")) as server:
        good = _settings(server, smtp_username="mailer", smtp_password=SecretStr("right"))
        SmtpMailer(good).send(_message())
        bad = _settings(server, smtp_username="mailer", smtp_password=SecretStr("wrong"))
        with pytest.raises(MailRejectedError, match="authentication failed"):
            SmtpMailer(bad).send(_message())
        assert len(server.inbox.received) == 1


def test_refusals_are_temporary_or_permanent(smtp: SmtpServer) -> None:
    mailer = SmtpMailer(_settings(smtp))
    smtp.inbox.refuse.append("451 4.3.0 try again later")
    with pytest.raises(MailTemporaryError, match="451"):
        mailer.send(_message())
    smtp.inbox.refuse.append("554 5.7.1 rejected as spam")
    with pytest.raises(MailRejectedError, match="554"):
        mailer.send(_message())
    mailer.send(_message())
    assert len(smtp.inbox.received) == 1


def test_an_unreachable_server_is_temporary() -> None:
    settings = _settings(smtp_host="127.0.0.1", smtp_port=free_port())
    with pytest.raises(MailTemporaryError, match="could not talk"):
        SmtpMailer(settings).send(_message())


# ---- the email.send job ---------------------------------------------------------------------


# What an e-mail to an address says it is about (``notify.service.email_address`` keeps it):
# without it, the job sends nothing.
PUBLIC = kept(MessageFacts(Sensitivity.PUBLIC))


def _send_job(database: Database, **payload: object) -> uuid.UUID:
    with database.transaction() as s:
        job = queue.enqueue(
            s,
            KIND_SEND,
            {"to": "psirt@vendor.test", "subject": "Hello", "text": "Body", "about": PUBLIC}
            | payload,
            now=T0,
        )
    return job.id


def test_email_job_retries_with_the_same_message_id(database: Database, smtp: SmtpServer) -> None:
    settings = _settings(smtp)
    clock = FixedClock(T0)
    worker = Worker(database, notify_registry(build_services(settings)), clock, settings, "w")
    job_id = _send_job(database, html="<p>Body</p>")
    smtp.inbox.refuse.append("451 4.3.0 greylisted")
    assert worker.run_once() is True
    with database.transaction(write=False) as s:
        job = queue.get_job(s, job_id)
    assert job.status is JobStatus.PENDING
    assert "greylisted" in (job.last_error or "")
    clock.advance(timedelta(minutes=1))
    assert worker.run_once() is True
    [message] = smtp.inbox.messages
    assert message["Message-ID"] == message_id(job_id, FROM)
    assert message["Message-ID"] == f"<{job_id}@ch.test>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content().strip() == "Body"  # type: ignore[union-attr]
    assert message.get_body(("html",)).get_content().strip() == "<p>Body</p>"  # type: ignore[union-attr]
    with database.transaction(write=False) as s:
        assert queue.get_job(s, job_id).status is JobStatus.DONE


def test_email_job_refused_for_good_is_dead_at_once(database: Database, smtp: SmtpServer) -> None:
    settings = _settings(smtp)
    worker = Worker(
        database, notify_registry(build_services(settings)), FixedClock(T0), settings, "w"
    )
    job_id = _send_job(database)
    bad_id = _send_job(database, to="not-an-address")
    smtp.inbox.refuse.append("550 5.1.1 no such user")
    assert worker.run_until_idle() == 2
    with database.transaction(write=False) as s:
        refused = queue.get_job(s, job_id)
        bad = queue.get_job(s, bad_id)
    assert (refused.status, refused.attempts) == (JobStatus.DEAD, 1)
    assert "550" in (refused.last_error or "")
    assert bad.status is JobStatus.DEAD
    assert "no valid recipient" in (bad.last_error or "")


@pytest.mark.parametrize(
    "about", [None, "public", {"sensitivity": "public", "ref": "case:nonsense"}]
)
def test_an_email_that_says_nothing_of_what_it_is_about_is_not_sent(
    database: Database, smtp: SmtpServer, about: object
) -> None:
    """Every e-mail the platform queues names what it is about (its notices, or the facts
    of an e-mail to an address), for the gate's last look as it leaves; one that names
    neither, or names a subject no rule knows, is not sent (fails closed), and ends."""
    settings = _settings(smtp)
    worker = Worker(
        database, notify_registry(build_services(settings)), FixedClock(T0), settings, "w"
    )
    with database.transaction() as s:
        payload: dict[str, object] = {"to": "psirt@vendor.test", "subject": "Hi", "text": "Body"}
        if about is not None:
            payload["about"] = about
        job_id = queue.enqueue(s, KIND_SEND, payload, now=T0).id
    worker.run_until_idle()
    with database.transaction(write=False) as s:
        assert queue.get_job(s, job_id).status is JobStatus.DONE
    assert smtp.inbox.messages == []


@pytest.mark.parametrize("ids", [5, "x", ["not-a-uuid"], [{"id": 1}]])
def test_an_email_with_malformed_notification_ids_is_dead_lettered_at_once(
    database: Database, smtp: SmtpServer, ids: object
) -> None:
    settings = _settings(smtp)
    worker = Worker(
        database, notify_registry(build_services(settings)), FixedClock(T0), settings, "w"
    )
    job_id = _send_job(database, notification_ids=ids)
    worker.run_until_idle()
    with database.transaction(write=False) as s:
        job = queue.get_job(s, job_id)
    assert job.status is JobStatus.DEAD
    assert job.attempts == 1
    assert "notification_ids" in (job.last_error or "")
    assert smtp.inbox.messages == []
