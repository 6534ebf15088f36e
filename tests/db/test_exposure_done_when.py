"""Issue #12's "done when" through the platform's own path (imports, uploads, the
matching jobs, findings), on SQLite and PostgreSQL, with the real GHSA records of
``../shared/data/osv/ghsa`` and the fixture written for CVE-2021-4104."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from clearinghouse.advisories import imports
from clearinghouse.advisories.models import AdvisoryIdentifier
from clearinghouse.db import Database
from clearinghouse.exposure.models import Finding, Inventory
from clearinghouse.formats.model import Tlp
from clearinghouse.principal import SYSTEM
from tests.conftest import REPO
from tests.db.test_exposure import Env

FIXTURES = REPO / "tests" / "fixtures" / "exposure"
T0 = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
LOG4SHELL = {"CVE-2021-44228", "CVE-2021-45046", "CVE-2021-45105", "CVE-2021-44832"}
KEYCLOAK = "sbom/cyclonedx/SBOM/keycloak-10.0.2/bom.json"


def _import(env: Env, path: Path) -> None:
    with env.database.transaction() as s:
        report = imports.import_path(
            s, path, imports.ImportOptions(actor=SYSTEM, now=T0, tlp=Tlp.CLEAR)
        )
    assert report.counts().get("failed", 0) == 0


def _cves(env: Env, inventory: str, package: str | None = None) -> set[str]:
    with env.database.transaction(write=False) as s:
        rows = s.execute(
            select(Finding.record_id, Finding.package, Finding.advisory_id)
            .join(Inventory, Inventory.id == Finding.inventory_id)
            .where(Inventory.name == inventory, Finding.matching.is_(True))
        ).all()
        found = set()
        for record, name, advisory_id in rows:
            if package is not None and name != package:
                continue
            found |= {
                i
                for i in s.scalars(
                    select(AdvisoryIdentifier.identifier).where(
                        AdvisoryIdentifier.advisory_id == advisory_id,
                        AdvisoryIdentifier.record_id == record,
                    )
                )
                if i.startswith("CVE-")
            }
    return found


@pytest.mark.shared_data
def test_log4j_versions_and_keycloak_through_the_platform(
    database: Database, shared_data: Path
) -> None:
    env = Env(database)
    _import(env, shared_data / "osv" / "ghsa")
    env.run_jobs()
    for version in ("2.14.1", "2.17.1", "2.12.2"):
        env.upload(
            f"log4j-core {version}", (FIXTURES / f"sbom/log4j-core-{version}.cdx.json").read_bytes()
        )
    env.upload("keycloak", (shared_data / KEYCLOAK).read_bytes())
    env.run_jobs()
    assert _cves(env, "log4j-core 2.14.1") == LOG4SHELL
    assert _cves(env, "log4j-core 2.17.1") & LOG4SHELL == set()
    assert _cves(env, "log4j-core 2.12.2") == {"CVE-2021-45105", "CVE-2021-44832"}
    assert _cves(env, "keycloak", "log4j:log4j") == set()
    # A new advisory finds the inventory it affects (the incremental path): the
    # JMSAppender record names log4j 1.x.
    _import(env, FIXTURES / "osv" / "CVE-2021-4104.json")
    env.run_jobs()
    assert _cves(env, "keycloak", "log4j:log4j") == {"CVE-2021-4104"}
