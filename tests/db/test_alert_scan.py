"""The incremental alert scan derives only the subjects that need it, and enqueues exactly
the alerts a full derivation of everything would have enqueued at the same instants."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from clearinghouse.accounts import service as accounts
from clearinghouse.accounts.models import Organisation
from clearinghouse.cases.models import Case, TimelineEvent
from clearinghouse.clocks.alerts import alerts_due
from clearinghouse.db import Database
from clearinghouse.jobs.models import Job
from clearinghouse.principal import SYSTEM
from clearinghouse.settings import Settings
from clearinghouse.standing import alert_scan
from clearinghouse.standing import obligations as obl
from clearinghouse.standing.jobs import KIND_ALERT, scan_alerts
from clearinghouse.standing.models import AlertWatch
from clearinghouse.vocab import OrgKind

START = datetime(2026, 10, 5, 0, 0, tzinfo=UTC)  # the CRA's Art. 14 in force


def _settings(database: Database) -> Settings:
    return Settings(environment="test", database_url=database.url)


def _members(database: Database) -> list[uuid.UUID]:
    with database.transaction() as s:
        accounts.create_organisation(
            s, actor=SYSTEM, now=START, slug="op", name="Operator", kind=OrgKind.OPERATOR
        )
        ids = []
        for slug, country in (("cn", "CN"), ("eu", "DE")):
            org = accounts.create_organisation(
                s,
                actor=SYSTEM,
                now=START,
                slug=slug,
                name=slug.upper(),
                kind=OrgKind.MEMBER,
                country=country,
                jurisdictions=[country if country == "CN" else "EU"],
                regulatory_roles=["product_provider", "manufacturer"],
            )
            ids.append(org.id)
        return ids


def _case(database: Database, number: int, org_id: uuid.UUID, aware: datetime) -> str:
    public_id = f"CH-2026-{number:04d}"
    with database.transaction() as s:
        coordinator = s.scalars(select(Organisation.id).where(Organisation.slug == "op")).one()
        case = Case(
            public_id=public_id,
            title="t",
            summary="",
            coordinator_org_id=coordinator,
            created_at=aware,
            created_by_label="t",
            updated_at=aware,
        )
        s.add(case)
        s.flush()
        _event(s, case.id, org_id, "aware", aware, {})
    return public_id


def _event(s, case_id, org_id, type_, at, data) -> None:  # type: ignore[no-untyped-def]
    s.add(
        TimelineEvent(
            case_id=case_id,
            org_id=org_id,
            type=type_,
            occurred_at=at,
            recorded_at=at,
            recorded_by_label="t",
            data=data,
        )
    )


def _expected_keys(database: Database, settings: Settings, now: datetime) -> set[str]:
    """What a full derivation of every subject enqueues at ``now``."""
    thresholds = obl.thresholds_for(settings)
    with database.transaction() as s:
        items, _facts = obl.obligations(s, settings, now)
    keys = set()
    for o in items:
        fired = alerts_due(o, thresholds, now)
        if fired:
            keys.add(f"{KIND_ALERT}:{fired[-1].key}")
    return keys


def _enqueued(database: Database) -> set[str]:
    with database.transaction() as s:
        keys = s.scalars(select(Job.idempotency_key).where(Job.kind == KIND_ALERT)).all()
        return {key for key in keys if key is not None}


def test_a_pass_with_nothing_changed_derives_nothing(database: Database) -> None:
    settings = _settings(database)
    cn, eu = _members(database)
    refs = [_case(database, n, cn if n % 2 else eu, START) for n in range(1, 41)]
    now = START + timedelta(hours=1)
    with database.transaction() as s:
        first = alert_scan.scan(s, now, settings)
    assert (first.subjects, first.derived) == (40, 40)
    with database.transaction() as s:
        again = alert_scan.scan(s, now + timedelta(minutes=1), settings)
    assert (again.subjects, again.derived) == (40, 0)
    # One new event: that subject alone.
    with database.transaction() as s:
        case = s.scalars(select(Case).where(Case.public_id == refs[6])).one()
        _event(s, case.id, cn, "fix_available", now, {})
    with database.transaction() as s:
        one = alert_scan.scan(s, now + timedelta(minutes=2), settings)
    assert one.derived == 1
    assert {o.subject for o in one.obligations} == {refs[6]}
    # An organisation's profile changes: everything, once.
    with database.transaction() as s:
        org = s.get(Organisation, eu)
        assert org is not None
        org.regulatory_roles = ["manufacturer"]
    with database.transaction() as s:
        whole = alert_scan.scan(s, now + timedelta(minutes=3), settings)
    assert whole.derived == 40
    with database.transaction() as s:
        assert alert_scan.scan(s, now + timedelta(minutes=4), settings).derived == 0
    # A subject's events gone (its case deleted): never derived again, and its watch
    # dropped by the next whole pass.
    with database.transaction() as s:
        case = s.scalars(select(Case).where(Case.public_id == refs[0])).one()
        for e in s.scalars(select(TimelineEvent).where(TimelineEvent.case_id == case.id)):
            s.delete(e)
    with database.transaction() as s:
        assert alert_scan.scan(s, now + timedelta(minutes=5), settings).derived == 0
    with database.transaction() as s:
        org = s.get(Organisation, eu)
        assert org is not None
        org.regulatory_roles = ["product_provider", "manufacturer"]
    with database.transaction() as s:
        after = alert_scan.scan(s, now + timedelta(minutes=6), settings)
        watched = set(s.scalars(select(AlertWatch.subject)))
    assert (after.subjects, after.derived) == (39, 39)
    assert refs[0] not in watched


def test_an_alert_instant_coming_rederives_its_subject_without_new_events(
    database: Database,
) -> None:
    settings = _settings(database)
    cn, _eu = _members(database)
    early = _case(database, 1, cn, START)
    _case(database, 2, cn, START + timedelta(hours=12))
    with database.transaction() as s:
        alert_scan.scan(s, START + timedelta(hours=1), settings)
    # The first case's 2-day clock passes half at START + 24 h; the second's at 36 h.
    with database.transaction() as s:
        at_half = alert_scan.scan(s, START + timedelta(hours=24, minutes=1), settings)
    assert {o.subject for o in at_half.obligations} == {early}


def test_incremental_enqueues_what_a_full_derivation_would(database: Database) -> None:
    """A random history (cases opening, reports submitted, fixes, a profile changing),
    scanned every 90 minutes over five days: the alerts enqueued incrementally are
    exactly those a full derivation at the same instants fires."""
    settings = _settings(database)
    cn, eu = _members(database)
    rng = random.Random(20211209)
    cases: list[tuple[str, uuid.UUID]] = []
    expected: set[str] = set()
    derived_total = 0
    now = START
    for step in range(80):
        now = START + timedelta(minutes=90 * step)
        if step % 3 == 0 and len(cases) < 30:
            org = rng.choice([cn, eu])
            aware = now - timedelta(minutes=rng.randrange(0, 600))
            cases.append((_case(database, len(cases) + 1, org, aware), org))
        if cases and rng.random() < 0.4:
            ref, org = rng.choice(cases)
            type_, data = rng.choice(
                [
                    ("exploitation_known", {}),
                    ("fix_available", {}),
                    (
                        "report_submitted",
                        {"regime": "cn-miit-2021", "stage": "report", "reference": f"r{step}"},
                    ),
                    (
                        "report_submitted",
                        {
                            "regime": "eu-cra-art14-vuln",
                            "stage": "early_warning",
                            "reference": f"r{step}",
                        },
                    ),
                ]
            )
            with database.transaction() as s:
                case = s.scalars(select(Case).where(Case.public_id == ref)).one()
                _event(s, case.id, org, type_, now, data)
        if step == 40:
            with database.transaction() as s:
                org_row = s.get(Organisation, eu)
                assert org_row is not None
                org_row.regulatory_roles = ["product_provider"]
        with database.transaction() as s:
            scan_alerts(s, now, settings)
        with database.transaction() as s:
            derived_total += len(
                s.scalars(select(AlertWatch.subject).where(AlertWatch.derived_at == now)).all()
            )
        expected |= _expected_keys(database, settings, now)
    assert expected, "the history fires alerts"
    assert _enqueued(database) == expected
    # And it did not derive everything every pass.
    assert derived_total < 80 * len(cases) / 2
