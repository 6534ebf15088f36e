"""Job handlers for notifications: ``email.send``, ``notify.email``, ``notify.digest``,
``webhook.deliver``, and the ``notify.digests`` schedule.

Only ``email.send`` and ``webhook.deliver`` leave the building; they are at-least-once
and carry stable identifiers (Message-ID from the job id; ``webhook-id`` from the event)
so a repeat after a crash is recognisable. The others are database-only and exactly-once.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import socket
import time
import uuid
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update

from clearinghouse.accounts.models import User
from clearinghouse.crypto import SecretDecryptionError
from clearinghouse.jobs.queue import enqueue
from clearinghouse.jobs.registry import JobContext, JobRegistry, PermanentJobError
from clearinghouse.notify import compose, service, signing, wording
from clearinghouse.notify.gate import Gate, Parts, kept_facts, stored
from clearinghouse.notify.mail import MailRejectedError
from clearinghouse.notify.models import (
    Delivery,
    Notification,
    WebhookDelivery,
    WebhookSubscription,
)
from clearinghouse.notify.reader import Reader, reader_for
from clearinghouse.notify.service import KIND_SEND
from clearinghouse.notify.webhooks import KIND_DELIVER
from clearinghouse.services import Pins

log = logging.getLogger("clearinghouse.notify")

MAX_RESPONSE_NOTE = 500


def _required(payload: dict[str, Any], key: str) -> Any:
    if key not in payload:
        raise PermanentJobError(f"the job payload has no {key!r}")
    return payload[key]


def _uuid(payload: dict[str, Any], key: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(_required(payload, key)))
    except ValueError as exc:
        raise PermanentJobError(f"the job payload's {key!r} is not a UUID") from exc


# ---- e-mail ----------------------------------------------------------------------------------


def message_id(job_id: uuid.UUID, mail_from: str) -> str:
    """Stable per job, so a retried send is recognisable as the same message."""
    domain = mail_from.rpartition("@")[2].strip("> ") or "localhost"
    return f"<{job_id}@{domain}>"


def build_message(ctx: JobContext, payload: dict[str, Any]) -> EmailMessage:
    recipients = _required(payload, "to")
    to = [recipients] if isinstance(recipients, str) else list(recipients)
    if not to or not all(isinstance(r, str) and "@" in r for r in to):
        raise PermanentJobError("the e-mail has no valid recipient")
    message = EmailMessage()
    message["From"] = ctx.settings.mail_from
    message["To"] = ", ".join(to)
    message["Subject"] = str(_required(payload, "subject"))
    message["Date"] = format_datetime(ctx.now())
    message["Message-ID"] = message_id(ctx.job_id, ctx.settings.mail_from)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(str(_required(payload, "text")))
    html = payload.get("html")
    if html:
        message.add_alternative(str(html), subtype="html")
    return message


def send_email(ctx: JobContext, payload: dict[str, Any], *, parts: Parts) -> None:
    """Payload: ``to`` (address or list), ``subject``, ``text``, optional ``html``, and
    what the e-mail is about, for the gate's last look before it leaves (a retry after an
    SMTP refusal, or a dead job run again, may come hours later): ``notification_ids`` (a
    notice's or a digest's e-mail; marked e-mailed once the server accepted it), or
    ``about`` and ``org_id`` (an e-mail to an address). Neither: not sent."""
    message = build_message(ctx, payload)
    ids = _ids(payload)
    reached = _notices_reached(ctx, ids, parts) if ids else _address_reached(ctx, payload, parts)
    if not reached:
        log.info("e-mail held back at delivery", extra={"job_id": str(ctx.job_id)})
        return
    try:
        ctx.services.mailer.send(message)  # before the job's first statement: no lock held
    except MailRejectedError as exc:
        raise PermanentJobError(exc.detail) from exc
    if ids:
        ctx.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.emailed_at.is_(None))
            .values(emailed_at=ctx.now())
            .execution_options(synchronize_session=False)
        )


def _ids(payload: dict[str, Any]) -> list[uuid.UUID]:
    ids = payload.get("notification_ids") or []
    try:
        if not isinstance(ids, list):
            raise TypeError
        return [uuid.UUID(str(i)) for i in ids]
    except (TypeError, ValueError) as exc:
        raise PermanentJobError("the e-mail's notification_ids are not a list of UUIDs") from exc


def _address_reached(ctx: JobContext, payload: dict[str, Any], parts: Parts) -> bool:
    if not isinstance(payload.get("about"), dict):
        log.warning(
            "e-mail says nothing of what it is about: not sent", extra={"job_id": str(ctx.job_id)}
        )
        return False
    raw = payload.get("org_id")
    try:
        org_id = uuid.UUID(str(raw)) if raw is not None else None
    except ValueError:
        return False
    with ctx.read() as reader:  # before the SMTP call: no lock held during it
        gate = Gate(reader, ctx.now(), parts)
        return gate.still_reaches_address(org_id, kept_facts(payload["about"]))


def _notices_reached(ctx: JobContext, ids: list[uuid.UUID], parts: Parts) -> bool:
    """Whether every notice of a composed e-mail may still reach its user. If one may
    not, nothing is sent, and the others of a digest wait for the user's next one."""
    with ctx.read() as reader:
        gate = Gate(reader, ctx.now(), parts)
        notices = list(reader.scalars(select(Notification).where(Notification.id.in_(ids))))
        held = len(notices) < len(set(ids))  # a notice gone (its user deleted)
        waiting: list[uuid.UUID] = []
        for notice in notices:
            user = reader.get(User, notice.user_id)
            if user is None or not _still_for(user, notice, gate):
                held = True
            elif notice.delivery is Delivery.DIGEST:
                waiting.append(notice.id)
    if held and waiting:
        ctx.session.execute(
            update(Notification)
            .where(Notification.id.in_(waiting), Notification.emailed_at.is_(None))
            .values(digest_sent_at=None)
            .execution_options(synchronize_session=False)
        )
    return not held


def _reader(user: User) -> Reader:
    """The recipient's saved language and time zone (no language saved: English)."""
    return reader_for(user.language, user.timezone)


def _notice(n: Notification, reader: Reader) -> compose.Notice:
    text = wording.word(n.kind, n.params, n.subject, n.body, reader)
    return compose.Notice(text.subject, text.body, n.link, n.created_at)


def _still_for(user: User, notice: Notification, gate: Gate) -> bool:
    """The gate, asked again as the notice's e-mail is composed and sent (:mod:`~.gate`);
    a notice that kept no facts (recorded before they were kept) is not e-mailed."""
    about = stored(notice.sensitivity, notice.tlp, notice.about_ref)
    if notice.sensitivity is not None and gate.still_reaches(user, about, notice.organisation_id):
        return True
    log.info("notice held back at delivery", extra={"notification_id": str(notice.id)})
    return False


def email_notification(ctx: JobContext, payload: dict[str, Any], *, parts: Parts) -> None:
    """Compose one immediate notification e-mail and queue it for sending."""
    notification = ctx.session.get(Notification, _uuid(payload, "notification_id"))
    if notification is None or notification.emailed_at is not None:
        return
    user = ctx.session.get(User, notification.user_id)
    if user is None or not _still_for(user, notification, Gate(ctx.session, ctx.now(), parts)):
        return
    reader = _reader(user)
    letter = compose.immediate(
        _notice(notification, reader),
        reader=reader,
        platform=ctx.settings.platform_name,
        base_url=ctx.settings.base_url,
    )
    enqueue(
        ctx.session,
        KIND_SEND,
        {
            "to": user.email,
            "subject": letter.subject,
            "text": letter.text,
            "notification_ids": [str(notification.id)],
        },
        now=ctx.now(),
        idempotency_key=f"{KIND_SEND}:notification:{notification.id}",
        deliver_by=ctx.deliver_by,
    )


def send_digest(ctx: JobContext, payload: dict[str, Any], *, parts: Parts) -> None:
    """Collect the user's waiting notices, mark them digested, queue one e-mail."""
    user_id = _uuid(payload, "user_id")
    try:
        day = date.fromisoformat(str(_required(payload, "day")))
    except ValueError as exc:
        raise PermanentJobError("the digest job's 'day' is not a date") from exc
    notices = service.pending_digest(ctx.session, user_id)
    if not notices:
        return
    now = ctx.now()
    for notification in notices:
        notification.digest_sent_at = now
    ctx.session.flush()
    user = ctx.session.get(User, user_id)
    if user is None:
        return
    gate = Gate(ctx.session, now, parts)
    notices = [n for n in notices if _still_for(user, n, gate)]
    if not notices:
        return  # all held back: taken all the same, so that a later digest skips them too
    reader = _reader(user)
    letter = compose.digest(
        [_notice(n, reader) for n in notices],
        day=day,
        reader=reader,
        platform=ctx.settings.platform_name,
        base_url=ctx.settings.base_url,
    )
    enqueue(
        ctx.session,
        KIND_SEND,
        {
            "to": user.email,
            "subject": letter.subject,
            "text": letter.text,
            "notification_ids": [str(n.id) for n in notices],
        },
        now=now,
        idempotency_key=f"{KIND_SEND}:digest:{user_id}:{day.isoformat()}:{ctx.job_id}",
    )


# ---- webhooks --------------------------------------------------------------------------------


class WebhookDeliveryError(Exception):
    """The endpoint did not accept the delivery (retried by the job system)."""


def resolve_target(url: str, *, allow_private: bool) -> Pins:
    """Resolve the endpoint's name once and return the address the connection must use.

    Unless the operator allows private targets, every address the name resolves to must be
    public (not loopback, private, link-local, multicast or reserved). The connection then
    goes to the checked address only (:class:`clearinghouse.services.PinnedTransport`), so
    a name that resolves differently a moment later (DNS rebinding) changes nothing.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise WebhookDeliveryError(f"cannot resolve {host}: {exc}") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:  # pragma: no cover (getaddrinfo raises instead)
        raise WebhookDeliveryError(f"{host} resolves to no address")
    if not allow_private:
        for address in addresses:
            if not address.is_global:
                raise PermanentJobError(
                    f"{host} resolves to {address}, which is not a public address; webhooks "
                    "are not delivered to loopback or private networks"
                )
    return {(host, port): str(addresses[0])}


def deliver_webhook(ctx: JobContext, payload: dict[str, Any], *, parts: Parts) -> None:
    subscription_id = _uuid(payload, "subscription_id")
    event_id = str(_required(payload, "event_id"))
    event_type = str(_required(payload, "event_type"))
    body = str(_required(payload, "body"))
    # Read outside the job's transaction: the HTTP call below must not hold a write lock.
    with ctx.read() as reader:
        sub = reader.get(WebhookSubscription, subscription_id)
        target = (sub.url, sub.secret_ciphertext) if sub is not None and sub.active else None
        # The gate again, as the event leaves: its organisation may be suspended by now, or
        # no longer take part in the case the event is about.
        gate = Gate(reader, ctx.now(), parts)
        about = kept_facts(payload.get("about"))
        held = not isinstance(payload.get("about"), dict) or (  # says nothing of what it is about
            sub is not None and not gate.still_reaches_address(sub.organisation_id, about)
        )
        if held:
            log.info("webhook held back at delivery", extra={"event_id": event_id})
            return
    if target is None:
        log.info("webhook skipped: subscription gone or inactive", extra={"event_id": event_id})
        return
    url, ciphertext = target
    try:
        secret = ctx.services.secrets.decrypt(ciphertext)
    except SecretDecryptionError as exc:
        raise PermanentJobError(exc.detail) from exc
    pins = resolve_target(url, allow_private=ctx.services.webhook_allow_private)
    at = ctx.now()
    headers = signing.signed_headers(secret, event_id, int(at.timestamp()), body)
    headers["content-type"] = "application/json"

    def record(status: int | None, error: str | None, duration_ms: int | None) -> WebhookDelivery:
        return WebhookDelivery(
            id=uuid.uuid4(),
            subscription_id=subscription_id,
            event_id=event_id,
            event_type=event_type,
            job_id=ctx.job_id,
            attempt=ctx.attempt,
            at=at,
            status_code=status,
            error=error,
            duration_ms=duration_ms,
        )

    started = time.monotonic()
    try:
        with ctx.services.webhook_client(pins) as client:
            response = client.post(url, content=body.encode(), headers=headers)
    except httpx.HTTPError as exc:
        failure = record(None, f"{type(exc).__name__}: {exc}", None)
        ctx.on_failure(lambda session: session.add(failure))
        raise WebhookDeliveryError(f"POST {url} failed: {exc}") from exc
    elapsed = int((time.monotonic() - started) * 1000)
    status = response.status_code
    if 200 <= status < 300:
        ctx.session.add(record(status, None, elapsed))
        return
    note = f"HTTP {status}: {response.text[:MAX_RESPONSE_NOTE]}"
    if status == 410:  # Gone: the receiver asks us to stop (Standard Webhooks)
        ctx.session.add(record(status, note, elapsed))
        ctx.session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == subscription_id)
            .values(active=False, disabled_reason="the endpoint answered 410 Gone", updated_at=at)
            .execution_options(synchronize_session=False)
        )
        return
    failure = record(status, note, elapsed)
    ctx.on_failure(lambda session: session.add(failure))
    raise WebhookDeliveryError(f"POST {url} answered {status}")


def register(registry: JobRegistry, parts: Parts) -> None:
    """``parts``: the rules by which the gate asks, as a message leaves, whether its
    recipient still takes part in what it is about (:mod:`~clearinghouse.notify.gate`)."""
    registry.register(
        KIND_SEND, functools.partial(send_email, parts=parts), withheld=("text", "html")
    )
    registry.register(service.KIND_EMAIL, functools.partial(email_notification, parts=parts))
    registry.register(service.KIND_DIGEST, functools.partial(send_digest, parts=parts))
    registry.register(KIND_DELIVER, functools.partial(deliver_webhook, parts=parts))
    registry.add_schedule("notify.digests", service.schedule_digests)
