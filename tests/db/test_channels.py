"""Every kind of message x a recipient in good standing or suspended x a case still under
embargo or published, through the real senders, on every channel: the in-platform
notification, its e-mail, and the webhook event.

The rule (``policy.decide_delivery``): a suspended organisation hears nothing about a case
before its embargo ends, whatever the channel; what is its own (its report's progress,
its obligations' alerts) reaches it regardless; the operator hears everything.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import (
    MemberSanction,
    Membership,
    NotifyMode,
    Organisation,
    User,
)
from clearinghouse.advisories import publish, service
from clearinghouse.advisories.index import KIND_INDEX_CHANGED
from clearinghouse.advisories.models import Advisory
from clearinghouse.advisories.schemas import DraftIn
from clearinghouse.app import build_registry, build_services
from clearinghouse.cases import (
    coordination,
    intake,
    participants,
    report_messages,
    threads,
    timeline,
)
from clearinghouse.cases import invitations as cases_invitations
from clearinghouse.cases.models import Case, Participant, Report
from clearinghouse.cases.rules import reports as report_rules
from clearinghouse.clocks.model import EventType
from clearinghouse.crypto import SecretBox
from clearinghouse.db import Database
from clearinghouse.exposure import inventories
from clearinghouse.exposure.inventories import KIND_MATCH_INVENTORY
from clearinghouse.jobs.models import Job
from clearinghouse.jobs.worker import Worker
from clearinghouse.notify import service as notices
from clearinghouse.notify import webhooks, wording
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.models import Notification, WebhookSubscription
from clearinghouse.notify.reader import english
from clearinghouse.notify.service import KIND_DIGEST, KIND_EMAIL, KIND_SEND
from clearinghouse.notify.webhooks import KIND_DELIVER
from clearinghouse.principal import ANONYMOUS, SYSTEM, Via
from clearinghouse.settings import Settings
from clearinghouse.standing import jobs as standing_jobs
from clearinghouse.timeutil import FixedClock
from clearinghouse.vocab import Language, OrgKind, ParticipantRole, Role
from tests.conftest import REPO
from tests.functional.conftest import make_settings
from tests.support.advisories import log4shell_draft
from tests.support.cases import LOG4SHELL_REPORT
from tests.support.casework import embargo, suspend
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.webhooks import Receiver, webhook_receiver

T0 = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
EXPOSURE_SBOMS = REPO / "tests" / "fixtures" / "exposure" / "sbom"


class Standing(enum.StrEnum):
    GOOD = "good"
    SUSPENDED = "suspended"


class Subject(enum.StrEnum):
    EMBARGOED = "embargoed"
    PUBLISHED = "published"


@dataclass
class Env:
    database: Database
    settings: Settings
    clock: FixedClock
    case_id: uuid.UUID
    recipient_org: uuid.UUID  # the organisation whose channels we watch
    recipient_user: uuid.UUID
    vendor_participant: uuid.UUID  # the recipient's part in the case, as a vendor
    subscription: uuid.UUID
    subject: Subject


def _org(session: Session, slug: str, kind: OrgKind) -> tuple[Organisation, User]:
    org = accounts.create_organisation(
        session,
        actor=SYSTEM,
        now=T0,
        slug=slug,
        name=slug,
        kind=kind,
        country="CN",
        regulatory_roles=["product_provider"],
    )
    user = accounts.create_user(
        session,
        actor=SYSTEM,
        now=T0,
        email=f"admin@{slug}.test",
        name=slug,
        password=None,
        organisation=org,
        role=Role.ADMIN,
    )
    return org, user


def _world(database: Database, standing: Standing, subject: Subject) -> Env:
    settings = make_settings(database.url, base_url="http://test")
    with database.transaction() as s:
        operator, _ = _org(s, "operator", OrgKind.OPERATOR)
        recipient, user = _org(s, "recipient", OrgKind.MEMBER)
        if standing is Standing.SUSPENDED:
            suspend(s, recipient.id, T0)
        subscription = webhooks.create_subscription(
            s,
            actor=SYSTEM,
            organisation_id=recipient.id,
            url="https://hooks.recipient.test/ch",
            event_types=["*"],
            description="",
            now=T0,
            box=SecretBox(settings.secret_key.get_secret_value()),
        ).subscription
        case = coordination.start_case(
            s, actor=SYSTEM, coordinator=operator, title="Case", summary=None, now=T0
        )
        vendor = participants.add(
            s,
            actor=SYSTEM,
            case=case,
            role=ParticipantRole.VENDOR,
            org=recipient,
            now=T0,
            base_url="http://test",
            secret=settings.secret_key.get_secret_value(),
        ).participant
        embargo(s, case, T0, ended=subject is Subject.PUBLISHED)
        env = Env(
            database,
            settings,
            FixedClock(T0 + timedelta(minutes=1)),
            case.id,
            recipient.id,
            user.id,
            vendor.id,
            subscription.id,
            subject,
        )
    _forget_what_setting_up_sent(database)
    return env


def _forget_what_setting_up_sent(database: Database) -> None:
    """Drop the notices and messages that building the world sent (the response clocks'
    own jobs stay: they are what some senders run)."""
    with database.transaction() as s:
        for row in s.scalars(select(Notification)):
            s.delete(row)
        for job in s.scalars(select(Job).where(Job.kind != participants.KIND_DEADLINE)):
            s.delete(job)


# ---- the senders, one per kind --------------------------------------------------------------


def _case(s: Session, env: Env) -> Case:
    case = s.get(Case, env.case_id)
    assert case is not None
    return case


def _post_message(env: Env) -> None:
    with env.database.transaction() as s:
        case = _case(s, env)
        (thread,) = threads.threads_visible(s, case, full=True, participant_id=None)
        threads.post(
            s,
            actor=SYSTEM,
            case=case,
            thread=thread,
            author=None,
            body="The fix is ready for review.",
            uploads=[],
            now=env.clock.now(),
            base_url="http://test",
        )


def _add_to_case(env: Env) -> None:
    """The recipient is brought into the case as a member (it was its vendor: take that
    part away first, so that it is added anew)."""
    with env.database.transaction() as s:
        participant = s.get(Participant, env.vendor_participant)
        assert participant is not None
        participant.removed_at = T0
        participant.org_id = None
        s.flush()
        participants.add(
            s,
            actor=SYSTEM,
            case=_case(s, env),
            role=ParticipantRole.MEMBER,
            org=s.get(Organisation, env.recipient_org),
            now=env.clock.now(),
            base_url="http://test",
            secret=env.settings.secret_key.get_secret_value(),
        )


def _remind(env: Env) -> None:
    """The response clock's reminder, then its escalation, from the real job."""
    with env.database.transaction() as s:
        participant = s.get(Participant, env.vendor_participant)
        assert participant is not None
        participants.set_deadline(
            s, actor=SYSTEM, case=_case(s, env), participant=participant, days=7, now=T0
        )
    _forget_what_setting_up_sent(env.database)
    env.clock.set(T0 + timedelta(days=6, hours=12))
    _run_jobs(env, only={participants.KIND_DEADLINE})


def _escalate(env: Env) -> None:
    """A vendor outside the platform misses its deadline in a case the recipient coordinates:
    the escalation goes to the operator and to the coordinator."""
    with env.database.transaction() as s:
        recipient = s.get(Organisation, env.recipient_org)
        assert recipient is not None
        case = _case(s, env)
        case.coordinator_org_id = recipient.id
        own = s.get(Participant, env.vendor_participant)
        assert own is not None
        own.responded_at = T0  # its own clock as a vendor stops: one escalation, the other's
        late = participants.add(
            s,
            actor=SYSTEM,
            case=case,
            role=ParticipantRole.VENDOR,
            email="late@vendor.test",
            now=T0,
            base_url="http://test",
            secret=env.settings.secret_key.get_secret_value(),
        ).participant
        participants.set_deadline(s, actor=SYSTEM, case=case, participant=late, days=7, now=T0)
    _forget_what_setting_up_sent(env.database)
    env.clock.set(T0 + timedelta(days=7, hours=1))
    _run_jobs(env, only={participants.KIND_DEADLINE})


def _member_report(s: Session, env: Env) -> Report:
    """The recipient's member reports (it is the report's finder)."""
    user = s.get(User, env.recipient_user)
    assert user is not None
    fields = report_rules.parse_report(
        {k: v for k, v in LOG4SHELL_REPORT.items() if k in {"title", "description", "product"}}
    )
    principal = accounts.principal_for(accounts.membership_of(s, user.id), Via.SESSION)
    done = intake.submit(
        s,
        actor=principal,
        fields=fields,
        answers=intake.Answers(),
        uploads=[],
        now=T0,
        client="channels",
    )
    return done.report


def _report_status(env: Env) -> None:
    with env.database.transaction() as s:
        report = _member_report(s, env)
        intake.transition(
            s,
            actor=SYSTEM,
            report=report,
            to=report_rules.ReportState.VALID,
            reason="reproduced",
            now=env.clock.now(),
        )


def _report_message(env: Env) -> None:
    """The coordinator writes to the member that reported (before any case exists)."""
    with env.database.transaction() as s:
        report = _member_report(s, env)
        operator = s.scalars(select(User).where(User.email == "admin@operator.test")).one()
        coordinator = accounts.principal_for(accounts.membership_of(s, operator.id), Via.SESSION)
        report_messages.post(s, actor=coordinator, report=report, body="The PoC, please?", now=T0)


def _clock_alert(env: Env) -> None:
    with env.database.transaction() as s:
        timeline.record_clock_event(
            s,
            actor=SYSTEM,
            case=_case(s, env),
            type=EventType.AWARE,
            occurred_at=T0,
            now=T0,
            org_id=env.recipient_org,
            org_label="recipient",
            data={},
            evidence=None,
            supersedes_id=None,
        )
    env.clock.set(T0 + timedelta(hours=40))  # 80 % of the 2-day window
    with env.database.transaction() as s:
        assert standing_jobs.scan_alerts(s, env.clock.now(), env.settings) >= 1
    _run_jobs(env, only={standing_jobs.KIND_ALERT})


def _exposure_match(env: Env) -> None:
    """The recipient's inventory runs log4j-core 2.14.1; a TLP:GREEN Log4Shell advisory is
    drafted (the embargoed subject) or published, and the matching jobs run."""
    with env.database.transaction() as s:
        recipient = s.get(Organisation, env.recipient_org)
        assert recipient is not None
        inventories.upload(
            s,
            actor=SYSTEM,
            org=recipient,
            name="web shop",
            data=(EXPOSURE_SBOMS / "log4j-core-2.14.1.cdx.json").read_bytes(),
            now=T0,
        )
        saved = service.create_draft(
            s,
            DraftIn.model_validate(log4shell_draft(tlp="GREEN")),
            actor=SYSTEM,
            now=T0,
            publisher=service.platform_publisher(env.settings),
        )
        if env.subject is Subject.PUBLISHED:
            render = publish.render_context("http://test", "Clearinghouse")
            publish.publish(s, saved.advisory, actor=SYSTEM, now=T0, render=render)
    _run_jobs(env, only={KIND_INDEX_CHANGED, KIND_MATCH_INVENTORY})


def _run_jobs(env: Env, only: set[str]) -> None:
    registry = build_registry(env.settings, build_services(env.settings))
    worker = Worker(env.database, registry, env.clock, env.settings, "channels")
    for _ in range(50):  # run_once takes any due job, not only these kinds
        with env.database.transaction(write=False) as s:
            due = s.scalars(
                select(Job.id).where(
                    Job.kind.in_(only), Job.run_after <= env.clock.now(), Job.finished_at.is_(None)
                )
            ).first()
        if due is None:
            return
        worker.run_once()


SENDERS: dict[MessageKind, Callable[[Env], None]] = {
    MessageKind.CASE_MESSAGE: _post_message,
    MessageKind.CASE_PARTICIPANT_ADDED: _add_to_case,
    MessageKind.CASE_VENDOR_REMINDER: _remind,
    MessageKind.CASE_VENDOR_ESCALATED: _escalate,
    MessageKind.REPORT_STATUS: _report_status,
    MessageKind.REPORT_MESSAGE: _report_message,
    MessageKind.CLOCK_ALERT: _clock_alert,
    MessageKind.EXPOSURE_MATCH: _exposure_match,
}
# Kinds that never reach a member organisation: its own record, or the operator's business.
OWN_RECORD = {MessageKind.REPORT_STATUS, MessageKind.REPORT_MESSAGE, MessageKind.CLOCK_ALERT}
TO_OPERATOR = {MessageKind.ADVISORY_RENDITION_FAILED, MessageKind.REASSESSMENT_DUE}
TO_ADDRESS = {MessageKind.CASE_INVITATION}  # an address outside the platform: no standing
# Kinds also sent as webhook events (a case's participants hear of it on every channel).
WEBHOOK = {
    MessageKind.CASE_MESSAGE,
    MessageKind.CASE_PARTICIPANT_ADDED,
    MessageKind.CASE_VENDOR_REMINDER,
    MessageKind.EXPOSURE_MATCH,
}
# Kinds about a published TLP:GREEN advisory only: a draft is told to nobody, and a
# suspended member hears nothing beyond TLP:CLEAR.
PUBLISHED_GREEN = {MessageKind.EXPOSURE_MATCH}
# Kinds told to the recipient as the case's coordinator: a suspended coordinator reads
# nothing of its cases, embargo ended or not (policy.cases), so hears nothing of them.
AS_COORDINATOR = {MessageKind.CASE_VENDOR_ESCALATED}


def test_every_kind_is_covered() -> None:
    assert set(MessageKind) == set(SENDERS) | TO_OPERATOR | TO_ADDRESS


# ---- what reached the recipient --------------------------------------------------------------


@dataclass(frozen=True)
class Reached:
    notifications: int
    emails: int
    webhooks: int

    @property
    def anything(self) -> bool:
        return bool(self.notifications or self.emails or self.webhooks)


def _reached(env: Env, kind: MessageKind) -> Reached:
    with env.database.transaction(write=False) as s:
        notices_ = list(
            s.scalars(
                select(Notification).where(
                    Notification.user_id == env.recipient_user, Notification.kind == kind.value
                )
            )
        )
        ids = {str(n.id) for n in notices_}
        jobs = list(s.scalars(select(Job)))
    emails = sum(
        1 for j in jobs if j.kind == KIND_EMAIL and j.payload.get("notification_id") in ids
    )
    hooks = sum(
        1
        for j in jobs
        if j.kind == KIND_DELIVER
        and j.payload.get("subscription_id") == str(env.subscription)
        and j.payload.get("event_type") == kind.value
    )
    return Reached(len(notices_), emails, hooks)


@pytest.mark.parametrize("subject", list(Subject))
@pytest.mark.parametrize("standing", list(Standing))
@pytest.mark.parametrize("kind", list(SENDERS))
def test_a_message_reaches_the_recipient_only_as_the_policy_allows(
    database: Database, kind: MessageKind, standing: Standing, subject: Subject
) -> None:
    env = _world(database, standing, subject)
    SENDERS[kind](env)
    reached = _reached(env, kind)
    withheld = (
        standing is Standing.SUSPENDED and subject is Subject.EMBARGOED and kind not in OWN_RECORD
    )
    if kind in PUBLISHED_GREEN:
        withheld = standing is Standing.SUSPENDED or subject is Subject.EMBARGOED
    if kind in AS_COORDINATOR:
        withheld = standing is Standing.SUSPENDED
    if withheld:
        assert reached == Reached(0, 0, 0)
    else:
        # the in-platform notice, its immediate e-mail and (case events) the webhook
        assert reached == Reached(1, 1, 1 if kind in WEBHOOK else 0)
        _worded_from_parameters(env, kind)


def _worded_from_parameters(env: Env, kind: MessageKind) -> None:
    """What every sender records is its kind's message, worded when read (so a Chinese
    reader never gets it in English), and links a page (a path)."""
    with env.database.transaction(write=False) as s:
        for notice in s.scalars(select(Notification).where(Notification.kind == kind.value)):
            message = wording.message_of(notice.kind, notice.params)
            assert message is not None, (notice.kind, notice.params)
            assert message.word(english()) == wording.Text(notice.subject, notice.body, Language.EN)
            assert notice.link is not None
            assert notice.link.startswith("/"), notice.link


@pytest.mark.parametrize("standing", list(Standing))
def test_a_coordinator_hears_of_a_message_in_its_ended_case_only_in_good_standing(
    database: Database, standing: Standing
) -> None:
    # The embargo has ended: a suspended participant may read the case again, but a
    # suspended coordinator may not (it read the message through its notice's sealed part).
    env = _world(database, standing, Subject.PUBLISHED)
    with env.database.transaction() as s:
        _case(s, env).coordinator_org_id = env.recipient_org
    _post_message(env)
    suspended = standing is Standing.SUSPENDED
    assert _reached(env, MessageKind.CASE_MESSAGE) == (
        Reached(0, 0, 0) if suspended else Reached(1, 1, 1)
    )


@pytest.mark.parametrize("subject", list(Subject))
def test_an_invitation_reaches_the_address_outside_the_platform(
    database: Database, subject: Subject
) -> None:
    env = _world(database, Standing.GOOD, subject)
    with env.database.transaction() as s:
        participants.add(
            s,
            actor=SYSTEM,
            case=_case(s, env),
            role=ParticipantRole.VENDOR,
            email="pmc@apache.test",
            now=env.clock.now(),
            base_url="http://test",
            secret=env.settings.secret_key.get_secret_value(),
        )
    with env.database.transaction(write=False) as s:
        sent = [j for j in s.scalars(select(Job)) if j.kind == "email.send"]
    assert [j.payload["to"] for j in sent] == ["pmc@apache.test"]
    assert "/invitations/open#" in sent[0].payload["text"]
    # an address has no saved language or zone: English, its instants in UTC
    assert sent[0].payload["subject"].startswith("[Clearinghouse] You are invited to coordinate")
    assert "The link is personal and expires on Oct " in sent[0].payload["text"]
    assert " UTC. Please state, for each vulnerability" in sent[0].payload["text"]


def test_operator_kinds_reach_the_operator_whoever_is_suspended(database: Database) -> None:
    env = _world(database, Standing.SUSPENDED, Subject.EMBARGOED)
    with env.database.transaction() as s:
        operator_admin = s.scalars(select(User).where(User.email == "admin@operator.test")).one()
        sanction = s.scalars(select(MemberSanction)).one()
        sanction.reassessment_at = env.clock.now() + timedelta(hours=1)
        advisory = _operator_draft(s)
        publish.alert_operator(s, advisory, [], env.clock.now())
        standing_jobs.scan_reassessments(s, env.clock.now())
    _run_jobs(env, only={standing_jobs.KIND_REASSESSMENT})
    with env.database.transaction(write=False) as s:
        kinds = sorted(
            n.kind
            for n in s.scalars(
                select(Notification).where(Notification.user_id == operator_admin.id)
            )
        )
    assert kinds == [
        MessageKind.ADVISORY_RENDITION_FAILED.value,
        MessageKind.REASSESSMENT_DUE.value,
    ]


def _operator_draft(s: Session) -> Advisory:
    body = DraftIn.model_validate(log4shell_draft())
    return service.create_draft(
        s, body, actor=SYSTEM, now=T0, publisher=service.platform_publisher(make_settings("x"))
    ).advisory


# ---- what is still waiting when the recipient's situation changes ----------------------------


class Later(enum.StrEnum):
    NOTHING = "nothing changes"
    SUSPENDED = "its organisation is suspended"
    MOVED = "its user moves to another organisation"
    REMOVED = "its organisation is removed from the case"


@pytest.mark.parametrize("mode", [NotifyMode.IMMEDIATE, NotifyMode.DIGEST])
@pytest.mark.parametrize("later", list(Later))
def test_the_gate_is_asked_again_when_a_message_leaves(
    database: Database, later: Later, mode: NotifyMode
) -> None:
    """A case message is queued while the recipient is in good standing (its notice, its
    e-mail or digest, its webhook event); then, before any of it leaves, its organisation
    is suspended, its user moves to another organisation, or it is removed from the case.
    What reaches the real SMTP server and webhook receiver is what the gate allows at that
    moment."""
    env = _world(database, Standing.GOOD, Subject.EMBARGOED)
    with smtp_server() as smtp, webhook_receiver(env.clock) as receiver:
        _watch(env, smtp, receiver, mode)
        _post_message(env)
        assert _reached(env, MessageKind.CASE_MESSAGE).notifications == 1  # queued
        _change(env, later)
        if mode is NotifyMode.DIGEST:
            _digest_due(env, T0 + timedelta(days=1))
        _run_jobs(env, only={KIND_EMAIL, KIND_DIGEST, KIND_SEND, KIND_DELIVER})
        mail = [m for m in smtp.inbox.messages if m["To"] == "admin@recipient.test"]
        assert len(mail) == (1 if later is Later.NOTHING else 0), [m["Subject"] for m in mail]
        if mail:
            text = str(mail[0].get_body(("plain",)).get_content())  # type: ignore[union-attr]
            assert "message was posted in case CH-" in text
        # The webhook is the organisation's: a user who moved does not change it.
        hooks = [d for d in receiver.deliveries if d.verified_id is not None]
        assert len(hooks) == (1 if later in (Later.NOTHING, Later.MOVED) else 0)
    with env.database.transaction(write=False) as s:
        # Nothing waits to be sent later: the notices were taken, and no job is left over.
        waiting = s.scalars(
            select(Job).where(
                Job.kind.in_({KIND_EMAIL, KIND_DIGEST, KIND_SEND, KIND_DELIVER}),
                Job.finished_at.is_(None),
            )
        ).all()
        assert waiting == []


def _watch(env: Env, smtp: SmtpServer, receiver: Receiver, mode: NotifyMode) -> None:
    """Mail to ``smtp``, the recipient's webhook to ``receiver``, its user in ``mode``."""
    _mail_to(env, smtp)
    box = SecretBox(env.settings.secret_key.get_secret_value())
    with env.database.transaction() as s:
        sub = s.get(WebhookSubscription, env.subscription)
        assert sub is not None
        sub.url = receiver.url
        receiver.secret = webhooks.reveal_secret(sub, box)
        user = s.get(User, env.recipient_user)
        assert user is not None
        user.notify_mode = mode


def _mail_to(env: Env, smtp: SmtpServer) -> None:
    env.settings = make_settings(
        env.database.url, base_url="http://test", smtp_host=smtp.host, smtp_port=smtp.port
    )


def _vendor(
    s: Session, env: Env, *, email: str | None = None, org: Organisation | None = None
) -> Participant:
    """A vendor added to the case: an organisation, or an address invited by e-mail."""
    return participants.add(
        s,
        actor=SYSTEM,
        case=_case(s, env),
        role=ParticipantRole.VENDOR,
        email=email,
        org=org,
        now=env.clock.now(),
        base_url="http://test",
        secret=env.settings.secret_key.get_secret_value(),
    ).participant


def _change(env: Env, later: Later) -> None:
    with env.database.transaction() as s:
        if later is Later.SUSPENDED:
            suspend(s, env.recipient_org, env.clock.now())
        if later is Later.MOVED:
            other, _ = _org(s, f"elsewhere-{uuid.uuid4().hex[:6]}", OrgKind.MEMBER)
            membership = accounts.membership_of(s, env.recipient_user)
            assert membership is not None
            membership.organisation_id = other.id
        if later is Later.REMOVED:
            participant = s.get(Participant, env.vendor_participant)
            assert participant is not None
            participants.remove(
                s, actor=SYSTEM, case=_case(s, env), participant=participant, now=T0
            )


def _digest_due(env: Env, at: datetime) -> None:
    with env.database.transaction() as s:
        notices.schedule_digests(s, env.clock.now())
    env.clock.set(at)


def _to_recipient(smtp: SmtpServer) -> list[str]:
    """The plain text of each e-mail the recipient's user got."""
    return [
        str(m.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        for m in smtp.inbox.messages
        if m["To"] == "admin@recipient.test"
    ]


@pytest.mark.parametrize("mode", [NotifyMode.IMMEDIATE, NotifyMode.DIGEST])
@pytest.mark.parametrize("later", [Later.SUSPENDED, Later.MOVED, Later.REMOVED])
def test_the_gate_is_asked_once_more_as_a_composed_email_leaves(
    database: Database, later: Later, mode: NotifyMode
) -> None:
    """The e-mail is composed in good standing, but the SMTP server refuses it for now
    (451); before its retry the situation changes. The retry sends nothing. In a digest,
    what may still reach the user (its own report's news) waits for the next one."""
    env = _world(database, Standing.GOOD, Subject.EMBARGOED)
    with smtp_server() as smtp, webhook_receiver(env.clock) as receiver:
        _watch(env, smtp, receiver, mode)
        _post_message(env)
        _report_message(env)  # the recipient's own record: reaches it whatever happens
        if mode is NotifyMode.DIGEST:
            _digest_due(env, T0 + timedelta(days=1))
        smtp.inbox.refuse.extend(["451 4.3.0 try again later"] * 5)
        _run_jobs(env, only={KIND_EMAIL, KIND_DIGEST, KIND_SEND})
        assert _to_recipient(smtp) == []  # composed, refused for now
        smtp.inbox.refuse.clear()
        _change(env, later)
        env.clock.set(env.clock.now() + timedelta(hours=2))
        _run_jobs(env, only={KIND_SEND})
        sent = _to_recipient(smtp)
        if mode is NotifyMode.IMMEDIATE:
            # each notice its own e-mail: the case's held back, the report's sent
            assert not any("message was posted in case" in t for t in sent), sent
            if later is not Later.MOVED:  # (told to it as a member of its organisation)
                assert sum("your report" in t.lower() for t in sent) == 1, sent
        else:
            assert sent == []
            _digest_due(env, T0 + timedelta(days=2))
            _run_jobs(env, only={KIND_DIGEST, KIND_SEND})
            sent = _to_recipient(smtp)
            assert not any("message was posted in case" in t for t in sent), sent
            if later is not Later.MOVED:
                assert len(sent) == 1, sent


class Invitation(enum.StrEnum):
    STANDING = "standing"
    WITHDRAWN = "withdrawn"


@pytest.mark.parametrize("invitation", list(Invitation))
def test_an_invited_address_hears_of_the_case_while_it_takes_part(
    database: Database, invitation: Invitation
) -> None:
    """A vendor invited by e-mail, with 60 days to respond: its invitation, messages posted
    in the case (one queued at once, one posted later) and its response deadline's
    reminders reach its address while it takes part. A link expires after 30 days, but the
    vendor still takes part: the later message and both reminders still reach it. Once
    its invitation is withdrawn, nothing does, not even what was queued before."""
    env = _world(database, Standing.GOOD, Subject.EMBARGOED)
    with smtp_server() as smtp:
        _mail_to(env, smtp)
        with env.database.transaction() as s:
            vendor = _vendor(s, env, email="pmc@apache.test")
            participants.set_deadline(
                s, actor=SYSTEM, case=_case(s, env), participant=vendor, days=60, now=T0
            )
        _post_message(env)  # queued at once
        if invitation is Invitation.WITHDRAWN:
            with env.database.transaction() as s:
                found = s.get(Participant, vendor.id)
                assert found is not None
                cases_invitations.revoke_for(s, found, T0)
        _run_jobs(env, only={KIND_SEND})
        env.clock.set(T0 + timedelta(days=31))  # past the link's 30 days; halfway reminder
        _post_message(env)
        _run_jobs(env, only={participants.KIND_DEADLINE, KIND_SEND})
        env.clock.set(T0 + timedelta(days=59, hours=12))  # the last day's reminder
        _run_jobs(env, only={participants.KIND_DEADLINE, KIND_SEND})
        subjects = [str(m["Subject"]) for m in smtp.inbox.messages if m["To"] == "pmc@apache.test"]
    if invitation is Invitation.WITHDRAWN:
        assert subjects == []
    else:
        assert sum("invited" in x for x in subjects) == 1, subjects
        assert sum("New message in case" in x for x in subjects) == 2, subjects
        assert len(subjects) == 5, subjects  # and the two reminders


def test_the_finder_hears_of_its_case_at_its_address_without_an_invitation(
    database: Database,
) -> None:
    """A finder who reported without an account takes part through its report's tracking
    token, which does not expire: its address still hears of the case long after any
    invitation would have expired."""
    env = _world(database, Standing.GOOD, Subject.EMBARGOED)
    with smtp_server() as smtp:
        _mail_to(env, smtp)
        with env.database.transaction() as s:
            fields = report_rules.parse_report(
                {**{k: LOG4SHELL_REPORT[k] for k in ("title", "description", "product")},
                 "contact_email": "finder@example.test"}
            )  # fmt: skip
            report = intake.submit(
                s,
                actor=ANONYMOUS,
                fields=fields,
                answers=intake.Answers(),
                uploads=[],
                now=T0,
                client="channels",
            ).report
            s.add(
                Participant(
                    case_id=env.case_id,
                    role=ParticipantRole.REPORTER,
                    report_id=report.id,
                    name="the finder",
                    contact_email="finder@example.test",
                    added_at=T0,
                    added_by_label="test",
                )
            )
        _forget_what_setting_up_sent(env.database)
        env.clock.set(T0 + timedelta(days=60))
        _post_message(env)
        _run_jobs(env, only={KIND_SEND})
        to_finder = [m for m in smtp.inbox.messages if m["To"] == "finder@example.test"]
    assert [str(m["Subject"]) for m in to_finder] == [
        "[Clearinghouse] New message in case CH-2026-0001"
    ]


def test_a_notice_with_facts_this_version_does_not_know_is_taken_as_pre_publication(
    database: Database,
) -> None:
    """A notice whose kept sensitivity is not one this version knows (written by a newer
    one, or altered) loads and is read as pre-publication: a suspended recipient's digest
    leaves it out and still brings the rest, and no job fails over it."""
    env = _world(database, Standing.GOOD, Subject.EMBARGOED)
    with smtp_server() as smtp, webhook_receiver(env.clock) as receiver:
        _watch(env, smtp, receiver, NotifyMode.DIGEST)
        _post_message(env)
        with env.database.transaction() as s:
            s.execute(
                update(Notification)
                .where(Notification.kind == MessageKind.CASE_MESSAGE.value)
                .values(sensitivity="public-ish", about_ref=None)
            )
        _report_message(env)  # its own record
        _change(env, Later.SUSPENDED)
        _digest_due(env, T0 + timedelta(days=1))
        _run_jobs(env, only={KIND_DIGEST, KIND_SEND})
        (digest,) = _to_recipient(smtp)
    assert "message was posted in case" not in digest
    assert digest.startswith("1 notification since your last digest"), digest
    with env.database.transaction(write=False) as s:
        failed = s.scalars(select(Job).where(Job.last_error.is_not(None))).all()
        assert [j.kind for j in failed if j.kind != KIND_DELIVER] == []


def test_a_suspended_organisation_made_coordinator_in_between_hears_nothing(
    database: Database,
) -> None:
    """After the embargo a suspended participant may hear of the case, a suspended
    coordinator may not (it reads nothing of its cases). A message told to the recipient
    as a participant does not reach it once it coordinates the case, suspended."""
    env = _world(database, Standing.GOOD, Subject.PUBLISHED)
    with smtp_server() as smtp, webhook_receiver(env.clock) as receiver:
        _watch(env, smtp, receiver, NotifyMode.IMMEDIATE)
        _post_message(env)
        with env.database.transaction() as s:
            _case(s, env).coordinator_org_id = env.recipient_org
        _change(env, Later.SUSPENDED)
        _run_jobs(env, only={KIND_EMAIL, KIND_SEND, KIND_DELIVER})
        assert _to_recipient(smtp) == []
        assert [d for d in receiver.deliveries if d.verified_id] == []


class Also(enum.StrEnum):
    NOTHING = "only the operator"
    GOOD = "also a member in good standing"
    SUSPENDED = "also a suspended member"


@pytest.mark.parametrize("also", list(Also))
@pytest.mark.parametrize("moved", [False, True])
def test_an_operators_notice_does_not_follow_someone_who_left_the_operator(
    database: Database, moved: bool, also: Also
) -> None:
    """Notices for the operator's people (an advisory's failed renditions, about a draft:
    pre-publication) are told to them as the operator's, whatever other organisation they
    are also in, even a suspended one; one who has left the operator before the e-mail
    leaves does not get it."""
    env = _world(database, Standing.GOOD, Subject.EMBARGOED)
    with smtp_server() as smtp, webhook_receiver(env.clock) as receiver:
        _watch(env, smtp, receiver, NotifyMode.IMMEDIATE)
        with env.database.transaction() as s:
            admin = s.scalars(select(User).where(User.email == "admin@operator.test")).one()
            operator_membership = accounts.membership_of(s, admin.id)
            if also is not Also.NOTHING:
                member, _ = _org(s, "second", OrgKind.MEMBER)
                if also is Also.SUSPENDED:
                    suspend(s, member.id, env.clock.now())
                s.add(
                    Membership(
                        user_id=admin.id, organisation_id=member.id, role=Role.ADMIN, created_at=T0
                    )
                )
                s.flush()
            publish.alert_operator(s, _operator_draft(s), [], env.clock.now())
            if moved:
                if also is Also.NOTHING:
                    operator_membership.organisation_id = env.recipient_org
                else:
                    s.delete(operator_membership)
        _run_jobs(env, only={KIND_EMAIL, KIND_SEND})
        to_admin = [
            str(m["Subject"]) for m in smtp.inbox.messages if m["To"] == "admin@operator.test"
        ]
    assert len(to_admin) == (0 if moved else 1), to_admin


@pytest.mark.parametrize("also_elsewhere", [False, True])
def test_a_coordinators_news_does_not_follow_its_user_into_a_participant(
    database: Database, also_elsewhere: bool
) -> None:
    """An escalation is told to the coordinator's people as its members; one who moves,
    before it leaves, into another organisation that takes part in the case (as a vendor)
    does not get it, whatever other organisation it also belongs to."""
    env = _world(database, Standing.GOOD, Subject.EMBARGOED)
    with smtp_server() as smtp, webhook_receiver(env.clock) as receiver:
        _watch(env, smtp, receiver, NotifyMode.IMMEDIATE)
        if also_elsewhere:
            with env.database.transaction() as s:
                unrelated, _ = _org(s, "unrelated", OrgKind.MEMBER)
                s.add(
                    Membership(
                        user_id=env.recipient_user,
                        organisation_id=unrelated.id,
                        role=Role.ADMIN,
                        created_at=T0,
                    )
                )
        _escalate(env)  # the recipient coordinates; an e-mailed vendor missed its deadline
        with env.database.transaction() as s:
            other, _ = _org(s, "othervendor", OrgKind.MEMBER)
            _vendor(s, env, org=other)
            membership = accounts.membership_of(s, env.recipient_user, env.recipient_org)
            membership.organisation_id = other.id
        _run_jobs(env, only={KIND_EMAIL, KIND_SEND})
        subjects = [str(m["Subject"]) for m in smtp.inbox.messages]
    assert any("did not respond" in x for x in subjects), subjects  # the operator's
    assert not any(
        "did not respond" in str(m["Subject"])
        for m in smtp.inbox.messages
        if m["To"] == "admin@recipient.test"
    )


class Account(enum.StrEnum):
    GOOD = "in good standing"
    SUSPENDED = "suspended"
    SUSPENDED_AFTER = "suspended once the e-mails are queued"


@pytest.mark.parametrize("account", list(Account))
def test_inviting_by_email_the_address_of_a_suspended_members_account_tells_it_nothing(
    database: Database, account: Account
) -> None:
    """The coordinator invites by e-mail an address that is a member's account: when that
    member is suspended, by the time each e-mail would leave, neither the invitation nor
    the case's later news reaches it (the address speaks for that organisation, whose
    suspension withholds them), and the case does not record it as told; in good
    standing, both reach it."""
    standing = Standing.SUSPENDED if account is Account.SUSPENDED else Standing.GOOD
    env = _world(database, standing, Subject.EMBARGOED)
    with smtp_server() as smtp, webhook_receiver(env.clock) as receiver:
        _watch(env, smtp, receiver, NotifyMode.IMMEDIATE)
        with env.database.transaction() as s:
            # the recipient's user, written otherwise
            invited = _vendor(s, env, email="Admin@Recipient.test")
            told = invited.notified_at is not None
        _post_message(env)
        if account is Account.SUSPENDED_AFTER:
            _change(env, Later.SUSPENDED)
        _run_jobs(env, only={KIND_SEND})
        to_address = [
            str(m["Subject"])
            for m in smtp.inbox.messages
            if "recipient.test" in str(m["To"]).lower()
        ]
    assert told is (account is not Account.SUSPENDED)
    if account is Account.GOOD:
        assert any("invited" in x for x in to_address), to_address
        assert any("New message in case" in x for x in to_address), to_address
    else:
        assert to_address == []
