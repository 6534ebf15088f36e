"""Exposure over the database: an upload indexed and replaced atomically with history,
incremental matching in both directions, the member told only what the policy lets it
hear, its aware event recorded with its source, findings' states and history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearinghouse.accounts.models import Membership, Organisation, User
from clearinghouse.advisories import publish, service
from clearinghouse.advisories.index import RangeCache
from clearinghouse.advisories.models import Advisory
from clearinghouse.advisories.schemas import DraftIn
from clearinghouse.app import build_registry
from clearinghouse.cases.models import TimelineEvent
from clearinghouse.db import Database
from clearinghouse.exposure import findings, inventories, matching, telling
from clearinghouse.exposure.models import (
    Finding,
    FindingEvent,
    FindingState,
    Inventory,
    InventoryComponent,
    InventoryUpload,
)
from clearinghouse.formats.inventory import SbomError
from clearinghouse.formats.model import Justification
from clearinghouse.jobs.models import Job
from clearinghouse.jobs.worker import Worker
from clearinghouse.notify.models import Notification
from clearinghouse.principal import SYSTEM, Principal, Scope, Via
from clearinghouse.settings import Settings
from clearinghouse.standing import obligations as obl
from clearinghouse.timeutil import FixedClock
from clearinghouse.vocab import OrgKind, Role
from tests.conftest import REPO
from tests.functional.conftest import make_settings
from tests.support.advisories import log4shell_draft
from tests.support.factory import seed

T0 = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
SBOMS = REPO / "tests" / "fixtures" / "exposure" / "sbom"


def sbom(name: str) -> bytes:
    return (SBOMS / name).read_bytes()


class Env:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.clock = FixedClock(T0)
        self.settings: Settings = make_settings(database.url, base_url="http://test")
        seed(database, self.clock)
        with database.transaction() as s:
            member = self.org(s, "member")
            member.regulatory_roles = ["product_provider"]
            member.jurisdictions = ["CN"]
            self.member_id = member.id
            self.admin_id = s.scalars(
                select(User.id).where(User.email == "admin@member.test")
            ).one()
            self.other_id = self.org(s, "other").id

    @staticmethod
    def org(s: Session, slug: str) -> Organisation:
        return s.scalars(select(Organisation).where(Organisation.slug == slug)).one()

    def member(self, org_id: uuid.UUID | None = None) -> Principal:
        return Principal(
            via=Via.TOKEN,
            label="admin@member.test",
            user_id=self.admin_id if org_id in (None, self.member_id) else None,
            org_id=org_id or self.member_id,
            org_kind=OrgKind.MEMBER,
            role=Role.ADMIN,
            scopes=frozenset({Scope.READ, Scope.WRITE}),
        )

    def upload(self, name: str, data: bytes, org: str = "member") -> inventories.Uploaded:
        with self.database.transaction() as s:
            owner = self.org(s, org)
            return inventories.upload(
                s,
                actor=self.member(owner.id),
                org=owner,
                name=name,
                data=data,
                now=self.clock.now(),
            )

    def advisory(self, *, published: bool, tlp: str = "CLEAR") -> str:
        with self.database.transaction() as s:
            body = DraftIn.model_validate(log4shell_draft(tlp=tlp))
            saved = service.create_draft(
                s,
                body,
                actor=SYSTEM,
                now=self.clock.now(),
                publisher=service.platform_publisher(self.settings),
            )
            if published:
                self.publish_in(s, saved.advisory)
            return saved.advisory.public_id

    def publish_in(self, s: Session, advisory: Advisory) -> None:
        render = publish.render_context(self.settings.base_url, self.settings.platform_name)
        publish.publish(s, advisory, actor=SYSTEM, now=self.clock.now(), render=render)

    def publish(self, public_id: str) -> None:
        with self.database.transaction() as s:
            self.publish_in(s, service.get(s, public_id))

    def run_jobs(self) -> int:
        worker = Worker(
            self.database, build_registry(self.settings), self.clock, self.settings, "t"
        )
        ran = worker.run_until_idle()
        with self.database.transaction(write=False) as s:
            failed = [
                j.last_error for j in s.scalars(select(Job).where(Job.last_error.is_not(None)))
            ]
        assert failed == []
        return ran

    def findings(self) -> list[Finding]:
        with self.database.transaction(write=False) as s:
            return list(s.scalars(select(Finding).order_by(Finding.record_id)))

    def notices(self) -> list[Notification]:
        with self.database.transaction(write=False) as s:
            return list(
                s.scalars(select(Notification).where(Notification.kind == "exposure.match"))
            )


@pytest.fixture
def env(database: Database) -> Env:
    return Env(database)


def test_an_upload_is_indexed_with_its_history_and_a_reupload_replaces_it(env: Env) -> None:
    first = env.upload("web shop", sbom("log4j-core-2.14.1.cdx.json"))
    assert first.created
    assert first.upload.number == 1
    assert first.upload.components == 1
    env.clock.set(T0 + timedelta(hours=1))
    second = env.upload("web shop", sbom("log4j-core-2.17.1.cdx.json"))
    assert not second.created
    assert second.upload.number == 2
    assert second.inventory.id == first.inventory.id
    with env.database.transaction(write=False) as s:
        rows = s.execute(
            select(InventoryComponent.name, InventoryComponent.version).where(
                InventoryComponent.inventory_id == first.inventory.id
            )
        ).all()
        uploads = list(s.scalars(select(InventoryUpload).order_by(InventoryUpload.number)))
    assert rows == [("org.apache.logging.log4j:log4j-core", "2.17.1")]
    assert [u.changed for u in uploads] == [0, 1]
    assert uploads[1].changes["changed"] == [
        {
            "package": "maven:org.apache.logging.log4j:log4j-core",
            "from": ["2.14.1"],
            "to": ["2.17.1"],
        }
    ]
    assert uploads[0].changes["added"][0]["versions"] == ["2.14.1"]


def test_a_bad_sbom_is_refused_naming_the_component_and_field(env: Env) -> None:
    bad = sbom("log4j-core-2.14.1.cdx.json").replace(
        b'"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"', b'"not a purl"'
    )
    with pytest.raises(SbomError) as caught:
        env.upload("web shop", bad)
    assert caught.value.component == "log4j-core-2.14.1"
    assert "purl" in caught.value.field
    with env.database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(InventoryUpload)) == 0


def test_a_new_inventory_finds_its_published_advisory_and_the_member_is_told(env: Env) -> None:
    advisory = env.advisory(published=True)
    env.run_jobs()
    env.clock.set(T0 + timedelta(hours=2))
    env.upload("web shop", sbom("log4j-core-2.14.1.cdx.json"))
    env.run_jobs()
    (finding,) = env.findings()
    assert finding.state is FindingState.NEW
    assert finding.matching
    assert finding.told_at == env.clock.now()
    (notice,) = {
        (n.subject, n.link, (n.params or {})["advisories"][0]["id"]) for n in env.notices()
    }
    assert notice == (
        f"{advisory} affects 1 of your inventories (1 finding)",
        f"/exposure/findings?advisory={advisory}",  # the page a person reads, not the API
        advisory,
    )
    with env.database.transaction(write=False) as s:
        event = s.get(TimelineEvent, finding.aware_event_id)
        assert event is not None
        assert event.type == "aware"
        assert event.subject == advisory
        assert event.occurred_at == env.clock.now()
        assert event.data["source"]["kind"] == "exposure_match"
        items, _ = obl.obligations(s, env.settings, env.clock.now(), org_id=env.member_id)
    (obligation,) = [o for o in items if o.regime == "cn-miit-2021"]
    assert obligation.anchor_at == env.clock.now()
    assert obligation.to_json()["anchor_source"]["advisory"] == advisory


def test_a_draft_matches_for_the_operator_only_and_its_publication_tells_the_member(
    env: Env,
) -> None:
    env.upload("web shop", sbom("log4j-core-2.14.1.cdx.json"))
    env.run_jobs()
    advisory = env.advisory(published=False)
    env.run_jobs()
    (finding,) = env.findings()
    assert finding.told_at is None
    assert env.notices() == []
    with env.database.transaction(write=False) as s:
        assert findings.page(s, env.member(), findings.FindingFilter(), after=None, limit=10) == []
        assert len(findings.page(s, SYSTEM, findings.FindingFilter(), after=None, limit=10)) == 1
    env.clock.set(T0 + timedelta(days=1))
    env.publish(advisory)
    env.run_jobs()
    (finding,) = env.findings()
    assert finding.told_at == env.clock.now()
    assert len(env.notices()) == 2  # the member's admin and its viewer
    with env.database.transaction(write=False) as s:
        assert (
            len(findings.page(s, env.member(), findings.FindingFilter(), after=None, limit=10)) == 1
        )


def test_an_amber_advisory_tells_only_its_named_recipients(env: Env) -> None:
    env.upload("web shop", sbom("log4j-core-2.14.1.cdx.json"))
    env.upload("billing", sbom("log4j-core-2.14.1.cdx.json"), org="other")
    with env.database.transaction() as s:
        body = DraftIn.model_validate(
            log4shell_draft(tlp="AMBER", recipient_org_ids=[str(env.member_id)])
        )
        saved = service.create_draft(
            s, body, actor=SYSTEM, now=T0, publisher=service.platform_publisher(env.settings)
        )
        env.publish_in(s, saved.advisory)
    env.run_jobs()
    told = {f.org_id: f.told_at for f in env.findings()}
    assert told[env.member_id] is not None
    assert told[env.other_id] is None
    with env.database.transaction(write=False) as s:
        told_orgs = set(
            s.scalars(
                select(Membership.organisation_id).where(
                    Membership.user_id.in_([n.user_id for n in env.notices()])
                )
            )
        )
    assert told_orgs == {env.member_id}


def test_the_upgrade_closes_the_finding_and_a_state_change_keeps_history(env: Env) -> None:
    env.advisory(published=True)
    env.upload("web shop", sbom("log4j-core-2.14.1.cdx.json"))
    env.run_jobs()
    (finding,) = env.findings()
    with env.database.transaction() as s:
        found = findings.get(s, env.member(), finding.id, for_update=True)
        findings.set_state(
            s,
            actor=env.member(),
            finding=found,
            state=FindingState.NOT_AFFECTED,
            justification=Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH,
            reason="lookups disabled",
            now=env.clock.now(),
        )
    env.clock.set(T0 + timedelta(days=2))
    env.upload("web shop", sbom("log4j-core-2.17.1.cdx.json"))
    env.run_jobs()
    (finding,) = env.findings()
    assert not finding.matching
    assert finding.state is FindingState.NOT_AFFECTED
    with env.database.transaction(write=False) as s:
        steps = [
            (e.source.value, e.to_state.value)
            for e in s.scalars(select(FindingEvent).order_by(FindingEvent.at, FindingEvent.reason))
        ]
    assert steps == [("match", "new"), ("member", "not_affected"), ("unmatched", "not_affected")]


def test_matching_jobs_run_twice_change_nothing(env: Env) -> None:
    env.advisory(published=True)
    env.upload("web shop", sbom("log4j-core-2.14.1.cdx.json"))
    env.run_jobs()
    with env.database.transaction() as s:
        for job in s.scalars(
            select(Job).where(Job.kind.like("%match%") | Job.kind.like("advisory.index%"))
        ):
            job.status = type(job.status)("pending")
            job.finished_at = None
            job.run_after = T0
    env.run_jobs()
    assert len(env.findings()) == 1
    assert len(env.notices()) == 2
    with env.database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(FindingEvent)) == 1
        assert s.scalar(select(func.count()).where(TimelineEvent.type == "aware")) == 1


def test_withdrawing_the_aware_event_stops_the_clocks_it_started(env: Env) -> None:
    env.advisory(published=True)
    env.upload("web shop", sbom("log4j-core-2.14.1.cdx.json"))
    env.run_jobs()
    (finding,) = env.findings()
    with env.database.transaction(write=False) as s:
        items, _ = obl.obligations(s, env.settings, env.clock.now(), org_id=env.member_id)
    assert [o.regime for o in items] == ["cn-miit-2021"]
    with env.database.transaction() as s:
        telling.withdraw_aware(
            s,
            actor=env.member(),
            event_id=str(finding.aware_event_id),
            reason="a test fixture, never deployed",
            now=env.clock.now(),
        )
    with env.database.transaction(write=False) as s:
        items, _ = obl.obligations(s, env.settings, env.clock.now(), org_id=env.member_id)
    assert items == []


@pytest.mark.parametrize("scan_from", [0, 1_000])
def test_the_full_pass_finds_what_the_inventory_jobs_find(
    env: Env, scan_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matching, "SCAN_FROM_PACKAGES", scan_from)  # table scan, or per package
    env.advisory(published=True)
    for name in ("log4j-core-2.14.1", "log4j-core-2.12.2", "log4j-core-2.17.1"):
        env.upload(name, sbom(f"{name}.cdx.json"))
    env.upload("billing", sbom("log4j-core-2.12.2.cdx.json"), org="other")
    with env.database.transaction(write=False) as s:
        inventory_ids = list(s.scalars(select(Inventory.id)))
        by_inventory = {
            p.key
            for i in inventory_ids
            for p in matching.inventory_pairs(s, i, matching.Checker(RangeCache()))
        }
        full = matching.full_match(s, matching.Checker(RangeCache()))
    assert {p.key for p in full.pairs} == by_inventory
    assert len(by_inventory) == 1  # 2.14.1 only: the draft's ranges exclude 2.12.2
    assert (full.rows, full.distinct) == (4, 3)
