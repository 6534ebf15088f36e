"""Published advisories become shared STIX objects automatically (a job enqueued by the
publication): a vulnerability and a report, valid per stix2-validator, carrying the
advisory's marking, in exactly the collections whose audience the marking allows; a
withdrawal adds a revoked version; running the job again adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select

from clearinghouse.accounts import service as accounts
from clearinghouse.advisories import publish, service
from clearinghouse.advisories.schemas import DraftIn
from clearinghouse.app import build_registry
from clearinghouse.db import Database
from clearinghouse.formats import model as m
from clearinghouse.formats import stix
from clearinghouse.jobs.worker import Worker
from clearinghouse.principal import SYSTEM
from clearinghouse.settings import Settings
from clearinghouse.sharing import service as sharing
from clearinghouse.sharing.models import Collection, SharedObject
from clearinghouse.timeutil import FixedClock
from clearinghouse.vocab import OrgKind
from tests.support.advisories import log4shell_draft

NOW = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
RENDER = publish.render_context("https://clearinghouse.example", "Clearinghouse")


def _collections(database: Database) -> dict[str, str]:
    with database.transaction() as s:
        named = accounts.create_organisation(
            s, actor=SYSTEM, now=NOW, slug="named", name="Named", kind=OrgKind.MEMBER
        )
        other = accounts.create_organisation(
            s, actor=SYSTEM, now=NOW, slug="other", name="Other", kind=OrgKind.MEMBER
        )
        specs = {
            "public": sharing.CollectionSpec(
                alias="public", title="Public", public=True, advisories=True
            ),
            "members": sharing.CollectionSpec(
                alias="members", title="Members", community=True, advisories=True
            ),
            "named": sharing.CollectionSpec(
                alias="named",
                title="Named",
                reader_org_ids=frozenset({named.id}),
                advisories=True,
            ),
            "mixed": sharing.CollectionSpec(
                alias="mixed",
                title="Mixed",
                reader_org_ids=frozenset({named.id, other.id}),
                advisories=True,
            ),
            "unflagged": sharing.CollectionSpec(alias="unflagged", title="No", community=True),
        }
        ids = {
            name: str(sharing.create_collection(s, spec, actor=SYSTEM, now=NOW).id)
            for name, spec in specs.items()
        }
        ids["named-org"] = str(named.id)
    return ids


def _publish(database: Database, tlp: m.Tlp, recipients: list[str]) -> str:
    settings = Settings(environment="test", database_url=database.url)
    with database.transaction() as s:
        body = DraftIn.model_validate(
            log4shell_draft(tlp=tlp.value, title=f"{tlp.value}", recipient_org_ids=recipients)
        )
        saved = service.create_draft(
            s, body, actor=SYSTEM, now=NOW, publisher=service.platform_publisher(settings)
        )
        publish.publish(s, saved.advisory, actor=SYSTEM, now=NOW, render=RENDER)
        return saved.advisory.public_id


def _run_jobs(database: Database, at: datetime) -> None:
    settings = Settings(environment="test", database_url=database.url)
    Worker(database, build_registry(settings), FixedClock(at), settings, "t").run_until_idle()


def _where(database: Database) -> dict[str, list[dict[str, object]]]:
    with database.transaction() as s:
        aliases = {c.id: c.alias for c in s.scalars(select(Collection))}
        found: dict[str, list[dict[str, object]]] = {}
        for row in s.scalars(select(SharedObject).order_by(SharedObject.seq)):
            found.setdefault(aliases[row.collection_id], []).append(orjson.loads(row.body))
    return found


def test_each_marking_reaches_only_the_collections_its_audience_allows(
    database: Database,
) -> None:
    ids = _collections(database)
    _publish(database, m.Tlp.CLEAR, [])
    _publish(database, m.Tlp.GREEN, [])
    _publish(database, m.Tlp.AMBER, [ids["named-org"]])
    _run_jobs(database, NOW)
    where = _where(database)
    marks = {
        alias: sorted({stix.tlp_of(o["object_marking_refs"]).value for o in objects})  # type: ignore[union-attr]
        for alias, objects in where.items()
    }
    assert marks == {
        "public": ["CLEAR"],
        "members": ["CLEAR", "GREEN"],
        "named": ["AMBER", "CLEAR", "GREEN"],
        "mixed": ["CLEAR", "GREEN"],  # AMBER: "other" reads it and is not named
    }
    for objects in where.values():
        assert {o["type"] for o in objects} == {"vulnerability", "report"}
        for obj in objects:
            assert stix.validator_problems(obj) == []
    vulnerability = next(o for o in where["public"] if o["type"] == "vulnerability")
    refs = {r["source_name"]: r for r in vulnerability["external_references"]}  # type: ignore[attr-defined]
    assert refs["cve"]["external_id"].startswith("CVE-")
    assert "/osv/v1/vulns/" in refs["osv"]["url"]


def test_a_withdrawal_adds_a_revoked_version_and_a_rerun_adds_nothing(database: Database) -> None:
    _collections(database)
    public_id = _publish(database, m.Tlp.CLEAR, [])
    _run_jobs(database, NOW)
    later = NOW + timedelta(days=2)
    with database.transaction() as s:
        advisory = service.readable(s, SYSTEM, public_id)
        publish.withdraw(s, advisory, actor=SYSTEM, now=later, reason="duplicate", render=RENDER)
    _run_jobs(database, later)
    _run_jobs(database, later)
    public = _where(database)["public"]
    assert len(public) == 4  # two objects, two versions each
    revoked = [o for o in public if o.get("revoked")]
    assert len(revoked) == 2
    assert {o["id"] for o in revoked} == {o["id"] for o in public}
