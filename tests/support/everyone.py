"""A platform with one of every kind of principal the policy knows, and one of every kind
of resource the routes serve: the world of the route-table and channel tests.

Built once through the services (not HTTP) into a SQLite file, then copied for every
request that may change it, so that no cell of a table sees another cell's effect.

Organisations: the operator (admin, analyst, viewer); ``member`` (the case's member
participant and a reporter; admin, viewer); ``other`` (a member in good standing that
takes part in nothing); ``vendor-a`` (the case's vendor on the platform); ``suspended-co``
(a member participant under an active suspension). The case is coordinated by the
operator with an active embargo; it was opened from an anonymous report whose finder
follows it by tracking token; a vendor outside the platform holds an invitation link.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import ApiToken, Organisation, User
from clearinghouse.advisories import publish, service
from clearinghouse.advisories.feeds import csaf_filename
from clearinghouse.advisories.index import RangeCache
from clearinghouse.advisories.schemas import DraftIn
from clearinghouse.cases import attachments as files
from clearinghouse.cases import (
    coordination,
    participants,
    threads,
    timeline,
)
from clearinghouse.cases.models import Report
from clearinghouse.clocks.model import EventType
from clearinghouse.crypto import SecretBox
from clearinghouse.db import Database
from clearinghouse.exposure import inventories, vex
from clearinghouse.exposure.cases import declare
from clearinghouse.exposure.findings import MatchScope, reconcile
from clearinghouse.exposure.matching import Checker, inventory_pairs
from clearinghouse.exposure.models import Finding, VexFormat
from clearinghouse.exposure.telling import tell
from clearinghouse.formats import model as m
from clearinghouse.formats.stix import TLP_MARKING
from clearinghouse.incidents import service as incidents
from clearinghouse.jobs.models import Job
from clearinghouse.notify import webhooks
from clearinghouse.notify.kinds import MessageKind
from clearinghouse.notify.service import notify_users
from clearinghouse.policy import MessageFacts, Sensitivity
from clearinghouse.principal import SYSTEM, Scope, Via
from clearinghouse.settings import Settings
from clearinghouse.sharing import service as sharing
from clearinghouse.sharing import store, sync
from clearinghouse.sharing.models import TaxiiStatus
from clearinghouse.standing import submissions
from clearinghouse.standing.obligations import regimes_for
from clearinghouse.vocab import OrgKind, ParticipantRole, Role
from tests.support.advisories import log4shell_draft
from tests.support.casework import anonymous_report, case_from_report, embargo, suspend
from tests.support.stix_objects import indicator, stix_uuid

T0 = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
SHARED_CVE = "CVE-2099-0001"  # named by every advisory: compare must not reveal the hidden ones


class Who(enum.StrEnum):
    """Every kind of principal, in the columns' order."""

    ANONYMOUS = "anon"
    FINDER = "finder"  # the report's tracking token
    INVITE = "invite"  # the outside vendor's invitation link
    READ = "read"  # the member's admin, through a token of one scope each
    WRITE = "write"
    ADMIN = "admin"
    TAXII = "taxii"
    FOREIGN = "foreign"  # a member of another organisation (all its scopes)
    SUSPENDED = "susp"  # a member under suspension that takes part in the case
    VENDOR = "vendor"  # the case's vendor on the platform
    OP_ADMIN = "op-adm"
    OP_ANALYST = "op-ana"
    OP_VIEWER = "op-view"


EMAILS = {
    "op-admin": "admin@operator.test",
    "op-analyst": "analyst@operator.test",
    "op-viewer": "viewer@operator.test",
    "member-admin": "admin@member.test",
    "member-viewer": "viewer@member.test",
    "other-admin": "admin@other.test",
    "vendor-admin": "psirt@vendor-a.test",
    "suspended-admin": "ciso@suspended.test",
}


@dataclass
class Everyone:
    """Credentials by principal, and the ids of the resources, by name."""

    headers: dict[Who, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def _org(
    session: Session,
    slug: str,
    kind: OrgKind,
    country: str = "CN",
    *,
    roles: tuple[str, ...] = ("product_provider",),
    jurisdictions: tuple[str, ...] = (),
) -> Organisation:
    return accounts.create_organisation(
        session,
        actor=SYSTEM,
        now=T0,
        slug=slug,
        name=slug.title(),
        kind=kind,
        country=country,
        jurisdictions=list(jurisdictions),
        regulatory_roles=list(roles) if kind is not OrgKind.OPERATOR else [],
        contact_email=f"contact@{slug}.test",
    )


def _user(session: Session, key: str, org: Organisation, role: Role) -> User:
    return accounts.create_user(
        session,
        actor=SYSTEM,
        now=T0,
        email=EMAILS[key],
        name=key,
        password=PASSWORD,
        organisation=org,
        role=role,
    )


def _token(session: Session, user: User, org: Organisation, scopes: set[Scope]) -> str:
    return accounts.create_token(
        session,
        actor=SYSTEM,
        user=user,
        org_id=org.id,
        name="everyone",
        scopes=scopes,
        now=T0,
        expires_at=T0 + timedelta(days=365),
    ).secret


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def build(database: Database, settings: Settings) -> Everyone:
    world = Everyone()
    with database.transaction() as s:
        orgs, users = _people(s)
        world.headers = _credentials(s, orgs, users)
        world.ids.update({f"org:{slug}": slug for slug in orgs})
        world.ids["sanction"] = str(suspend(s, orgs["suspended-co"].id, T0).id)
    with database.transaction() as s:
        _case(s, world, orgs_of(s), settings.secret_key.get_secret_value())
    with database.transaction() as s:
        _advisories(s, world, settings)
    with database.transaction() as s:
        _member_records(s, world, settings)
    with database.transaction() as s:
        _shared(s, world)
        _exposure(s, world, settings)
    return world


def orgs_of(session: Session) -> dict[str, Organisation]:
    return {o.slug: o for o in session.scalars(select(Organisation))}


def _people(session: Session) -> tuple[dict[str, Organisation], dict[str, User]]:
    orgs = {
        "operator": _org(session, "operator", OrgKind.OPERATOR),
        # with EU customers' data: GDPR binds it for its own incidents
        "member": _org(
            session,
            "member",
            OrgKind.MEMBER,
            roles=("product_provider", "controller"),
            jurisdictions=("EU",),
        ),
        "other": _org(session, "other", OrgKind.MEMBER, "DE"),
        "vendor-a": _org(session, "vendor-a", OrgKind.VENDOR, "US"),
        "suspended-co": _org(session, "suspended-co", OrgKind.MEMBER),
    }
    users = {
        "op-admin": _user(session, "op-admin", orgs["operator"], Role.ADMIN),
        "op-analyst": _user(session, "op-analyst", orgs["operator"], Role.ANALYST),
        "op-viewer": _user(session, "op-viewer", orgs["operator"], Role.VIEWER),
        "member-admin": _user(session, "member-admin", orgs["member"], Role.ADMIN),
        "member-viewer": _user(session, "member-viewer", orgs["member"], Role.VIEWER),
        "other-admin": _user(session, "other-admin", orgs["other"], Role.ADMIN),
        "vendor-admin": _user(session, "vendor-admin", orgs["vendor-a"], Role.ADMIN),
        "suspended-admin": _user(session, "suspended-admin", orgs["suspended-co"], Role.ADMIN),
    }
    return orgs, users


def _credentials(
    session: Session, orgs: dict[str, Organisation], users: dict[str, User]
) -> dict[Who, dict[str, str]]:
    everything = {Scope.READ, Scope.WRITE, Scope.ADMIN, Scope.TAXII}
    member, admin = orgs["member"], users["member-admin"]
    return {
        Who.ANONYMOUS: {},
        Who.READ: _bearer(_token(session, admin, member, {Scope.READ})),
        Who.WRITE: _bearer(_token(session, admin, member, {Scope.WRITE})),
        Who.ADMIN: _bearer(_token(session, admin, member, {Scope.ADMIN})),
        Who.TAXII: _bearer(_token(session, admin, member, {Scope.TAXII})),
        Who.FOREIGN: _bearer(_token(session, users["other-admin"], orgs["other"], everything)),
        Who.SUSPENDED: _bearer(
            _token(session, users["suspended-admin"], orgs["suspended-co"], everything)
        ),
        Who.VENDOR: _bearer(_token(session, users["vendor-admin"], orgs["vendor-a"], everything)),
        Who.OP_ADMIN: _bearer(_token(session, users["op-admin"], orgs["operator"], everything)),
        Who.OP_ANALYST: _bearer(
            _token(
                session,
                users["op-analyst"],
                orgs["operator"],
                {Scope.READ, Scope.WRITE, Scope.TAXII},
            )
        ),
        Who.OP_VIEWER: _bearer(
            _token(session, users["op-viewer"], orgs["operator"], {Scope.READ, Scope.TAXII})
        ),
    }


def _report(session: Session, world: Everyone, n: int) -> tuple[Report, str]:
    poc = files.check(files.Upload("poc.txt", b"${jndi:ldap://127.0.0.1/a}\n"))
    report, token, (attachment,) = anonymous_report(session, n, T0, [poc])
    world.ids[f"report-attachment:{n}"] = str(attachment.id)
    return report, token


def _case(session: Session, world: Everyone, orgs: dict[str, Organisation], secret: str) -> None:
    report, token = _report(session, world, 1)
    world.headers[Who.FINDER] = {"X-Report-Token": token}
    world.ids["report"] = str(report.id)
    world.ids["report-attachment"] = world.ids.pop("report-attachment:1")
    untriaged, _ = _report(session, world, 2)  # stays "received": transitions may run on it
    world.ids["report:new"] = str(untriaged.id)
    case = case_from_report(
        session, report, orgs["operator"], "Log4Shell <script>alert(1)</script>", T0
    )
    world.ids["case"] = case.public_id
    vuln = coordination.add_vulnerability(
        session,
        actor=SYSTEM,
        case=case,
        now=T0,
        spec=coordination.VulnerabilityIn(title="JNDI RCE", cve_id="CVE-2021-44228"),
    )
    world.ids["vulnerability"] = str(vuln.id)
    common: dict[str, Any] = {
        "actor": SYSTEM,
        "case": case,
        "now": T0,
        "base_url": "http://test",
        "secret": secret,
    }
    vendor = participants.add(session, role=ParticipantRole.VENDOR, org=orgs["vendor-a"], **common)
    world.ids["participant:vendor"] = str(vendor.participant.id)
    link = participants.add(session, role=ParticipantRole.VENDOR, email="pmc@apache.test", **common)
    assert link.invitation_url is not None
    world.headers[Who.INVITE] = {"Authorization": f"Invite {link.invitation_url.rsplit('#')[1]}"}
    participants.add(session, role=ParticipantRole.MEMBER, org=orgs["member"], **common)
    participants.add(session, role=ParticipantRole.MEMBER, org=orgs["suspended-co"], **common)
    gone = participants.add(session, role=ParticipantRole.VENDOR, email="gone@x.test", **common)
    world.ids["participant:removable"] = str(gone.participant.id)
    (case_thread,) = threads.threads_visible(session, case, full=True, participant_id=None)
    private, _ = threads.private_thread(
        session, actor=SYSTEM, case=case, participant=vendor.participant, now=T0
    )
    world.ids["thread"] = str(case_thread.id)
    world.ids["thread:private"] = str(private.id)
    note = files.check(files.Upload("note.txt", b"details\n"))
    _m, (attachment,) = threads.post(
        session,
        actor=SYSTEM,
        case=case,
        thread=case_thread,
        author=None,
        body="hello",
        uploads=[note],
        now=T0,
        base_url="http://test",
    )
    world.ids["case-attachment"] = str(attachment.id)
    embargo(session, case, T0)
    event = timeline.record_clock_event(
        session,
        actor=SYSTEM,
        case=case,
        type=EventType.AWARE,
        occurred_at=T0 - timedelta(hours=1),
        now=T0,
        org_id=orgs["member"].id,
        org_label="member",
        data={},
        evidence=None,
        supersedes_id=None,
    )
    world.ids["event"] = str(event.id)


def _advisories(session: Session, world: Everyone, settings: Settings) -> None:
    orgs = orgs_of(session)
    publisher = service.platform_publisher(settings)
    render = publish.render_context(settings.base_url, settings.platform_name)
    for name, tlp, published, recipients in [
        ("clear", m.Tlp.CLEAR, True, []),
        ("amber", m.Tlp.AMBER, True, [str(orgs["member"].id)]),
        ("draft", m.Tlp.CLEAR, False, []),
    ]:
        body = DraftIn.model_validate(
            log4shell_draft(
                tlp=tlp.value,
                title=f"{name} advisory",
                recipient_org_ids=recipients,
                vulnerabilities=[
                    {**log4shell_draft()["vulnerabilities"][0], "cve": SHARED_CVE, "aliases": []}
                ],
            )
        )
        saved = service.create_draft(session, body, actor=SYSTEM, now=T0, publisher=publisher)
        if published:
            publish.publish(session, saved.advisory, actor=SYSTEM, now=T0, render=render)
        world.ids[f"advisory:{name}"] = saved.advisory.public_id
        world.ids[f"csaf:{name}"] = csaf_filename(saved.advisory.public_id)


def _member_records(session: Session, world: Everyone, settings: Settings) -> None:
    orgs = orgs_of(session)
    member = orgs["member"]
    draft, _ = submissions.create_draft(
        session,
        settings,
        actor=SYSTEM,
        org=member,
        subject=world.ids["case"],
        regime="cn-miit-2021",
        stage="report",
        now=T0,
    )
    world.ids["submission"] = str(draft.id)
    new = webhooks.create_subscription(
        session,
        actor=SYSTEM,
        organisation_id=member.id,
        url="https://hooks.member.test/ch",
        event_types=["case.message"],
        description="",
        now=T0,
        box=_box(settings),
    )
    world.ids["webhook"] = str(new.subscription.id)
    admin = session.scalars(select(User).where(User.email == EMAILS["member-admin"])).one()
    (notice,) = notify_users(
        session,
        [admin],
        MessageKind.CLOCK_ALERT,
        "Due soon",
        "An obligation is due soon.",
        None,
        T0,
        about=MessageFacts(Sensitivity.OWN_RECORD),
    )
    world.ids["notification"] = str(notice.id)
    token = session.scalars(select(ApiToken).where(ApiToken.user_id == admin.id)).first()
    assert token is not None
    world.ids["token:member"] = str(token.id)
    incident = incidents.create(
        session,
        actor=SYSTEM,
        org=member,
        title="Ransomware on the build farm",
        summary="",
        facts={},
        now=T0,
    )
    world.ids["incident"] = incident.public_id
    event = incidents.record_event(
        session,
        actor=SYSTEM,
        incident=incident,
        owner=member,
        type="incident_noticed",
        occurred_at=T0 - timedelta(hours=2),
        data={},
        evidence=None,
        now=T0,
        regimes=regimes_for(settings),
    )
    world.ids["incident-event"] = str(event.id)
    incidents.record_event(
        session,
        actor=SYSTEM,
        incident=incident,
        owner=member,
        type="incident_classified",
        occurred_at=T0 - timedelta(hours=1),
        data={"scheme": "eu-gdpr", "level": "personal_data_breach"},
        evidence=None,
        now=T0,
        regimes=regimes_for(settings),
    )
    job = session.scalars(select(Job).order_by(Job.created_at)).first()
    assert job is not None
    world.ids["job"] = str(job.id)


def _shared(session: Session, world: Everyone) -> None:
    """A public community collection the member writes to, holding a TLP:CLEAR indicator
    and a TLP:AMBER one for the sharing group "circle" (member and vendor-a)."""
    orgs = orgs_of(session)
    member = orgs["member"]
    group = sharing.create_group(
        session,
        actor=SYSTEM,
        slug="circle",
        name="Circle",
        owner_org_id=member.id,
        member_org_ids=[orgs["vendor-a"].id],
        now=T0,
    )
    collection = sharing.create_collection(
        session,
        sharing.CollectionSpec(
            alias="indicators",
            title="Indicators",
            public=True,
            community=True,
            writer_org_ids=frozenset({member.id}),
        ),
        actor=SYSTEM,
        now=T0,
    )
    sync.configure(  # a sync source the operator's routes can read, change and run
        session,
        collection,
        sync.SyncSpec(url="https://peer.test/taxii2/root/collections/upstream/"),
        box=SecretBox("a sync source without a credential: the box is not used"),
        actor=SYSTEM,
        now=T0,
    )
    admin = session.scalars(select(User).where(User.email == EMAILS["member-admin"])).one()
    producer = accounts.principal_for(accounts.membership_of(session, admin.id), Via.TOKEN)
    for name, tlp, audience in [
        ("clear", m.Tlp.CLEAR, store.Audience()),
        ("amber", m.Tlp.AMBER, store.Audience(group_ids=frozenset({group.id}))),
    ]:
        store.add_objects(
            session, collection, producer, [indicator(name, tlp)], now=T0, audience=audience
        )
        world.ids[f"object:{name}"] = stix_uuid("indicator", name)
    report = {
        "type": "report",
        "spec_version": "2.1",
        "id": stix_uuid("report", "clear"),
        "created": "2026-09-01T12:00:00.000Z",
        "modified": "2026-09-01T12:00:00.000Z",
        "name": "A public report",
        "published": "2026-09-01T12:00:00.000Z",
        "object_refs": [stix_uuid("indicator", "clear")],
        "object_marking_refs": [TLP_MARKING[m.Tlp.CLEAR]],
    }
    store.add_objects(session, collection, producer, [report], now=T0)
    world.ids["misp-event"] = stix_uuid("report", "clear").split("--")[1] + ".json"
    status = TaxiiStatus(
        collection_id=collection.id,
        org_id=member.id,
        user_id=admin.id,
        request_timestamp=T0,
        total=0,
        success=0,
        failure=0,
        pending=0,
    )
    session.add(status)
    session.flush()
    world.ids["collection"] = str(collection.id)
    world.ids["group"] = group.slug
    world.ids["taxii-status"] = str(status.id)


def _box(settings: Settings) -> SecretBox:
    return SecretBox(settings.secret_key.get_secret_value())


EXPOSURE_SBOM = (
    Path(__file__).resolve().parents[1] / "fixtures/exposure/sbom/log4j-core-2.14.1.cdx.json"
)


def _exposure(session: Session, world: Everyone, settings: Settings) -> None:
    """The member's inventory runs log4j-core 2.14.1: matched (by the jobs' own steps)
    against the three advisories, it has a finding of each; the member was told of the
    published ones (its aware event) and published a VEX statement about the CLEAR one.
    The vendor declares log4j-core as its product."""
    orgs = orgs_of(session)
    member = orgs["member"]
    uploaded = inventories.upload(
        session,
        actor=SYSTEM,
        org=member,
        name="web shop",
        data=EXPOSURE_SBOM.read_bytes(),
        now=T0,
    )
    world.ids["inventory"] = str(uploaded.inventory.id)
    scope = MatchScope(inventory_id=uploaded.inventory.id)
    pairs = inventory_pairs(session, uploaded.inventory.id, Checker(RangeCache()))
    reconcile(session, pairs, scope, T0)
    tell(session, scope, T0)
    for name in ("clear", "amber", "draft"):
        advisory = service.get(session, world.ids[f"advisory:{name}"])
        finding = session.scalars(select(Finding).where(Finding.advisory_id == advisory.id)).one()
        world.ids[f"finding:{name}"] = str(finding.id)
        if finding.aware_event_id is not None:
            world.ids["aware"] = str(finding.aware_event_id)
            world.ids["finding:aware"] = str(finding.id)
    clear = session.get(Finding, uuid.UUID(world.ids["finding:clear"]))
    assert clear is not None
    statement = vex.publish(
        session,
        actor=SYSTEM,
        finding=clear,
        fmt=VexFormat.CYCLONEDX,
        now=T0,
        base_url=settings.base_url,
    )
    world.ids["vex"] = str(statement.id)
    amber = session.get(Finding, uuid.UUID(world.ids["finding:amber"]))
    assert amber is not None
    world.ids["vex:amber"] = str(
        vex.publish(
            session,
            actor=SYSTEM,
            finding=amber,
            fmt=VexFormat.CSAF,
            now=T0,
            base_url=settings.base_url,
        ).id
    )
    declare(
        session,
        actor=SYSTEM,
        org=orgs["vendor-a"],
        purls=["pkg:maven/org.apache.logging.log4j/log4j-core"],
        now=T0,
    )
