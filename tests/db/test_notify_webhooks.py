"""Webhooks end to end: subscriptions with encrypted secrets, events fanned out to the
matching subscriptions, delivered to a real HTTP receiver that verifies the Standard
Webhooks signature, retried on failure with the same webhook-id, logged."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from clearinghouse.accounts import service as accounts
from clearinghouse.app import build_services
from clearinghouse.audit.models import AuditEntry
from clearinghouse.crypto import SecretBox
from clearinghouse.db import Database
from clearinghouse.errors import InvalidInput, NotFound
from clearinghouse.jobs import queue
from clearinghouse.jobs.backoff import backoff_delay
from clearinghouse.jobs.models import Job, JobStatus
from clearinghouse.jobs.registry import PermanentJobError
from clearinghouse.jobs.worker import Worker
from clearinghouse.notify import webhooks
from clearinghouse.notify.handlers import resolve_target
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.models import WebhookDelivery, WebhookSubscription
from clearinghouse.policy import MessageFacts, Sensitivity
from clearinghouse.principal import SYSTEM
from clearinghouse.services import Services
from clearinghouse.settings import Settings
from clearinghouse.timeutil import FixedClock
from clearinghouse.vocab import OrgKind
from tests.support.jobs import T0, job_settings, notify_registry
from tests.support.smtp import self_signed
from tests.support.webhooks import Receiver, webhook_receiver

EVENT = MessageKind.CASE_MESSAGE
PUBLIC = MessageFacts(Sensitivity.PUBLIC)
DATA = {"advisory": "CH-2021-0001", "title": "Apache Log4j2 JNDI RCE", "cve": "CVE-2021-44228"}


@dataclass
class Env:
    database: Database
    clock: FixedClock
    settings: Settings
    services: Services
    worker: Worker
    receiver: Receiver
    org_id: uuid.UUID
    other_org_id: uuid.UUID


@pytest.fixture
def env(database: Database) -> Iterator[Env]:
    clock = FixedClock(T0)
    settings = job_settings(secret_key="test-secret-key-for-webhook-tests-0123456789")
    services = build_services(settings)
    worker = Worker(database, notify_registry(services), clock, settings, "w")
    with database.transaction() as s:
        org = accounts.create_organisation(
            s, actor=SYSTEM, now=T0, slug="cloud", name="Cloud", kind=OrgKind.MEMBER
        )
        other = accounts.create_organisation(
            s, actor=SYSTEM, now=T0, slug="other", name="Other", kind=OrgKind.MEMBER
        )
        ids = org.id, other.id
    with webhook_receiver(clock) as receiver:
        yield Env(database, clock, settings, services, worker, receiver, *ids)


def _subscribe(
    env: Env, event_types: list[str], *, org_id: uuid.UUID | None = None, url: str | None = None
) -> webhooks.NewSubscription:
    with env.database.transaction() as s:
        return webhooks.create_subscription(
            s,
            actor=SYSTEM,
            organisation_id=org_id or env.org_id,
            url=url or env.receiver.url,
            event_types=event_types,
            now=env.clock.now(),
            box=env.services.secrets,
        )


def _emit(env: Env, kind: MessageKind = EVENT, org_id: uuid.UUID | None = None) -> list[Job]:
    with env.database.transaction() as s:
        return webhooks.emit_event(
            s, org_id or env.org_id, kind, DATA, env.clock.now(), about=PUBLIC
        )


def _job(env: Env, job_id: uuid.UUID) -> Job:
    with env.database.transaction(write=False) as s:
        return queue.get_job(s, job_id)


def test_the_secret_is_encrypted_at_rest_and_never_audited(env: Env) -> None:
    new = _subscribe(env, [EVENT])
    assert new.secret.startswith("whsec_")
    with env.database.engine.connect() as conn:
        stored = conn.execute(text("SELECT secret_ciphertext FROM webhook_subscriptions")).scalar()
        audit_rows = conn.execute(text("SELECT change FROM audit_entries")).scalars().all()
    assert stored is not None
    assert new.secret not in stored
    assert new.secret.removeprefix("whsec_") not in stored
    assert env.services.secrets.decrypt(stored) == new.secret
    assert all(new.secret.removeprefix("whsec_") not in str(row) for row in audit_rows)


def test_an_event_goes_to_each_matching_active_subscription(env: Env) -> None:
    wanted = _subscribe(env, [EVENT, "case.participant_added"]).subscription
    everything = _subscribe(env, ["*"]).subscription
    _subscribe(env, ["case.participant_added"])
    switched_off = _subscribe(env, [EVENT]).subscription
    _subscribe(env, [EVENT], org_id=env.other_org_id)
    with env.database.transaction() as s:
        sub = webhooks.get_subscription(s, switched_off.id)
        webhooks.update_subscription(s, actor=SYSTEM, subscription=sub, now=T0, active=False)
    jobs = _emit(env)
    assert sorted(j.payload["subscription_id"] for j in jobs) == sorted(
        [str(wanted.id), str(everything.id)]
    )
    assert len({j.payload["event_id"] for j in jobs}) == 1  # one event, one id
    assert _emit(env, MessageKind.CASE_VENDOR_REMINDER, org_id=uuid.uuid4()) == []


def test_delivery_is_signed_retried_with_the_same_id_and_logged(env: Env) -> None:
    new = _subscribe(env, [EVENT])
    env.receiver.secret = new.secret
    env.receiver.statuses = [500]
    [job] = _emit(env)
    assert env.worker.run_once() is True
    first = _job(env, job.id)
    assert first.status is JobStatus.PENDING
    assert "answered 500" in (first.last_error or "")
    delay = backoff_delay(1, env.settings.job_backoff_seconds, salt=str(job.id))
    assert first.run_after == T0 + delay
    env.clock.advance(delay)
    assert env.worker.run_once() is True
    assert _job(env, job.id).status is JobStatus.DONE

    one, two = env.receiver.deliveries
    assert one.verified_id == two.verified_id == job.payload["event_id"]
    assert one.problem is None
    assert two.problem is None
    assert one.body == two.body  # the same bytes on every attempt
    assert one.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert two.headers["webhook-timestamp"] == str(int((T0 + delay).timestamp()))
    assert one.headers["content-type"] == "application/json"
    document = json.loads(two.body)
    assert document["type"] == EVENT
    assert document["data"] == DATA
    assert document["timestamp"].startswith("2021-12-09T12:00:00")

    with env.database.transaction(write=False) as s:
        log = webhooks.list_deliveries(s, new.subscription.id)
    assert [(d.attempt, d.status_code) for d in log] == [(2, 204), (1, 500)]
    assert (log[1].error or "").startswith("HTTP 500")
    assert {d.job_id for d in log} == {job.id}
    assert {d.event_id for d in log} == {job.payload["event_id"]}


def test_a_wrong_secret_fails_the_receivers_verification(env: Env) -> None:
    _subscribe(env, [EVENT])
    env.receiver.secret = "whsec_" + "A" * 32  # not the subscription's secret
    [job] = _emit(env)
    env.worker.run_once()
    [delivery] = env.receiver.deliveries
    assert delivery.verified_id is None
    assert delivery.problem == "no signature matches"
    assert _job(env, job.id).status is JobStatus.PENDING  # 401: retried


def test_gone_switches_the_subscription_off(env: Env) -> None:
    new = _subscribe(env, [EVENT])
    env.receiver.secret = new.secret
    env.receiver.statuses = [410]
    [job] = _emit(env)
    env.worker.run_once()
    assert _job(env, job.id).status is JobStatus.DONE
    with env.database.transaction(write=False) as s:
        sub = webhooks.get_subscription(s, new.subscription.id)
        assert sub.active is False
        assert sub.disabled_reason == "the endpoint answered 410 Gone"
    assert _emit(env) == []


def test_an_unreachable_endpoint_is_logged_and_retried(env: Env) -> None:
    new = _subscribe(env, [EVENT], url="http://127.0.0.1:9/nothing-listens-here")
    [job] = _emit(env)
    env.worker.run_once()
    assert _job(env, job.id).status is JobStatus.PENDING
    with env.database.transaction(write=False) as s:
        [logged] = webhooks.list_deliveries(s, new.subscription.id)
    assert logged.status_code is None
    assert "ConnectError" in (logged.error or "")


def test_private_addresses_are_refused_unless_the_operator_allows_them(
    env: Env, database: Database
) -> None:
    new = _subscribe(env, [EVENT])
    env.receiver.secret = new.secret
    [job] = _emit(env)
    strict = Services(
        mailer=env.services.mailer,
        webhook_client=env.services.webhook_client,
        secrets=env.services.secrets,
        webhook_allow_private=False,
    )
    worker = Worker(database, notify_registry(strict), env.clock, env.settings, "strict")
    worker.run_once()
    dead = _job(env, job.id)
    assert dead.status is JobStatus.DEAD
    assert "not a public address" in (dead.last_error or "")
    assert env.receiver.deliveries == []


def test_a_changed_secret_key_dead_letters_with_a_clear_error(env: Env, database: Database) -> None:
    _subscribe(env, [EVENT])
    [job] = _emit(env)
    other_key = Services(
        mailer=env.services.mailer,
        webhook_client=env.services.webhook_client,
        secrets=SecretBox("a-different-secret-key"),
        webhook_allow_private=True,
    )
    Worker(database, notify_registry(other_key), env.clock, env.settings, "w2").run_once()
    dead = _job(env, job.id)
    assert dead.status is JobStatus.DEAD
    assert "CLEARINGHOUSE_SECRET_KEY" in (dead.last_error or "")


def test_rotate_update_delete(env: Env) -> None:
    new = _subscribe(env, [EVENT])
    with env.database.transaction() as s:
        sub = webhooks.get_subscription(s, new.subscription.id, organisation_id=env.org_id)
        rotated = webhooks.rotate_secret(
            s, actor=SYSTEM, subscription=sub, now=T0, box=env.services.secrets
        )
        assert rotated != new.secret
        assert webhooks.reveal_secret(sub, env.services.secrets) == rotated
        webhooks.update_subscription(
            s,
            actor=SYSTEM,
            subscription=sub,
            now=T0,
            event_types=["case.participant_added", "case.participant_added"],
        )
        assert sub.event_types == ["case.participant_added"]
    env.receiver.secret = rotated
    with env.database.transaction() as s:
        with pytest.raises(NotFound):
            webhooks.get_subscription(s, new.subscription.id, organisation_id=env.other_org_id)
        emitted = webhooks.emit_event(
            s, env.org_id, MessageKind.CASE_PARTICIPANT_ADDED, {"case": "CH-1"}, T0, about=PUBLIC
        )
        assert len(emitted) == 1
    env.worker.run_once()
    assert env.receiver.deliveries[0].problem is None
    with env.database.transaction() as s:
        sub = webhooks.get_subscription(s, new.subscription.id)
        webhooks.delete_subscription(s, actor=SYSTEM, subscription=sub, now=T0)
    with env.database.transaction(write=False) as s:
        assert s.scalars(select(WebhookSubscription)).all() == []
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "webhook_subscription")
        ).all()
    assert actions == [
        "webhook.created",
        "webhook.secret_rotated",
        "webhook.updated",
        "webhook.deleted",
    ]


def test_a_delivery_for_a_deleted_subscription_is_dropped(env: Env) -> None:
    new = _subscribe(env, [EVENT])
    [job] = _emit(env)
    with env.database.transaction() as s:
        sub = webhooks.get_subscription(s, new.subscription.id)
        webhooks.delete_subscription(s, actor=SYSTEM, subscription=sub, now=T0)
    env.worker.run_once()
    assert _job(env, job.id).status is JobStatus.DONE
    assert env.receiver.deliveries == []


@pytest.mark.parametrize(
    ("url", "event_types", "field"),
    [
        ("ftp://example.test/hook", [EVENT], "url"),
        ("https://user:pw@example.test/hook", [EVENT], "url"),
        ("https:///nohost", [EVENT], "url"),
        ("https://example.test:99999/", [EVENT], "url"),
        ("https://example.test/hook", [], "event_types"),
        ("https://example.test/hook", ["Advisory Published"], "event_types"),
    ],
)
def test_subscriptions_are_validated(
    env: Env, url: str, event_types: list[str], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _subscribe(env, event_types, url=url)
    assert caught.value.extensions["field"] == field


# ---- the checked address is the one connected to (no DNS-rebinding window) -----------------


def test_a_delivery_connects_to_the_checked_address_without_a_second_lookup(env: Env) -> None:
    port = int(env.receiver.url.rsplit(":", 1)[1].split("/", 1)[0])
    # ".invalid" never resolves (RFC 6761): reaching the receiver proves no lookup was made.
    pins = {("rebinding.invalid", port): "127.0.0.1"}
    with env.services.webhook_client(pins) as client:
        r = client.post(f"http://rebinding.invalid:{port}/hooks/clearinghouse", content=b"{}")
    assert r.status_code == 401  # the receiver answered (the body carries no signature)
    with (
        env.services.webhook_client(pins) as client,
        pytest.raises(httpx.ConnectError, match="not resolved and checked"),
    ):
        client.post(f"http://unchecked.invalid:{port}/", content=b"{}")


def test_tls_verifies_the_name_while_connecting_to_the_pinned_address(
    env: Env, tmp_path: Path
) -> None:
    cert = self_signed()
    trusting = Services.from_settings(
        env.settings, mailer=env.services.mailer, ssl_context=cert.client_context()
    )
    with webhook_receiver(env.clock, tls=cert.server_context(tmp_path)) as receiver:
        port = int(receiver.url.rsplit(":", 1)[1].split("/", 1)[0])
        with trusting.webhook_client({("localhost", port): "127.0.0.1"}) as client:
            assert client.post(receiver.url, content=b"{}").status_code == 401
        # the same address under a name the certificate does not carry: refused
        with (
            trusting.webhook_client({("elsewhere.invalid", port): "127.0.0.1"}) as client,
            pytest.raises(httpx.ConnectError, match=r"(?i)certificate|hostname"),
        ):
            client.post(f"https://elsewhere.invalid:{port}/hooks/clearinghouse", content=b"{}")


def test_a_name_resolving_to_a_private_address_is_refused_before_connecting() -> None:
    with pytest.raises(PermanentJobError, match="not a public address"):
        resolve_target("http://localhost:9/hook", allow_private=False)
    assert resolve_target("http://localhost:9/hook", allow_private=True)[("localhost", 9)] in (
        "127.0.0.1",
        "::1",
    )


@pytest.mark.parametrize(
    "about", [None, "public", {"sensitivity": "pre-publication", "ref": "advisory:1"}]
)
def test_an_event_that_says_nothing_of_what_it_is_about_is_not_posted(
    env: Env, about: object
) -> None:
    """A delivery job whose payload lost what the event is about (or names something no
    rule knows) is not posted: the gate fails closed (a job from before the facts were kept,
    or altered). The job ends quietly: nothing to retry."""
    _subscribe(env, [EVENT])
    (job,) = _emit(env)
    with env.database.transaction() as s:
        stored = s.get(Job, job.id)
        assert stored is not None
        payload = dict(stored.payload)
        if about is None:
            del payload["about"]
        else:
            payload["about"] = about
        stored.payload = payload
    env.worker.run_until_idle()
    assert _job(env, job.id).status is JobStatus.DONE
    with env.database.transaction(write=False) as s:
        sent = s.scalars(select(WebhookDelivery)).all()
    assert env.receiver.deliveries == []
    assert list(sent) == []
