"""Logs never carry what an e-mail carries (issue #9, item 7): with no SMTP server the
platform used to log whole e-mails at INFO, invitation links and tracking tokens included,
in production too. It logs that a mail was not sent, and which, and nothing of it."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from clearinghouse.api.middleware import JsonLogFormatter
from clearinghouse.app import build_registry, build_services
from clearinghouse.jobs.worker import Worker
from clearinghouse.notify.mail import LogMailer
from clearinghouse.settings import Environment
from tests.functional.conftest import Platform
from tests.support.cases import coordinate, report


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Everything the platform logs, at every level, as production writes it (JSON)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger("clearinghouse")
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _secrets(message: EmailMessage) -> list[str]:
    """What must not leave the mailbox: the body's lines and every token-like word in it."""
    body = message.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    lines = [line.strip() for line in text.splitlines() if len(line.strip()) >= 24]
    tokens = re.findall(r"[A-Za-z0-9_.~-]{24,}", text)
    return lines + tokens


def test_mails_that_are_not_sent_leave_no_secret_in_the_logs(
    platform: Platform, logged: io.StringIO
) -> None:
    platform.settings.environment = Environment.PRODUCTION  # the logs are the same in both
    coordinate(platform)  # a vendor invited by e-mail: its link is a credential
    with platform.client() as anonymous:
        report(anonymous, contact_email="finder@example.test")  # a tracking link
    services = build_services(platform.settings)
    mailer = services.mailer
    assert isinstance(mailer, LogMailer)
    worker = Worker(
        platform.database,
        build_registry(platform.settings, services),
        platform.clock,
        platform.settings,
        "test",
    )
    worker.run_until_idle()
    assert len(mailer.sent) >= 2
    text = logged.getvalue()
    assert re.search(r"/invitations/open#", "".join(str(m) for m in mailer.sent))
    for message in mailer.sent:
        assert message["Message-ID"] in text  # that it was not sent, and which
        for secret in _secrets(message):
            assert secret not in text, f"logged: {secret!r}"
        assert message["To"] not in text
        assert str(message["Subject"]) not in text
    assert text.count("e-mail not sent") == len(mailer.sent)
