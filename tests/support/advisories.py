"""Helpers for advisory tests: a platform whose runtime the test can reach, a Log4Shell
draft, importing shared OSV data, and running due jobs."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from clearinghouse.advisories import imports
from clearinghouse.app import build_registry, create_app
from clearinghouse.db import Database
from clearinghouse.formats import model as m
from clearinghouse.jobs.worker import Worker
from clearinghouse.principal import SYSTEM
from clearinghouse.runtime import Runtime
from clearinghouse.timeutil import FixedClock
from tests.functional.conftest import Platform, make_settings
from tests.support.factory import seed
from tests.support.server import free_port, serve
from tests.support.smtp import self_signed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "advisories"
PROBLEM = "application/problem+json"


def log4shell_draft(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / "log4shell_draft.json").read_text())
    body.update(overrides)
    return body


@dataclass
class AdvisoryPlatform(Platform):
    runtime: Runtime | None = None
    tls: ssl.SSLContext | None = None  # served over HTTPS: the context that trusts it

    def client(self, **kwargs: object) -> httpx.Client:
        if self.tls is not None:
            kwargs.setdefault("verify", self.tls)
        return super().client(**kwargs)

    def run_jobs(self) -> int:
        """Run every due job once (a real worker, the platform's registry)."""
        assert self.runtime is not None
        worker = Worker(
            self.database, build_registry(self.settings), self.clock, self.settings, "test"
        )
        return worker.run_until_idle()

    def import_osv(self, path: Path, tlp: m.Tlp = m.Tlp.CLEAR) -> imports.ImportReport:
        with self.database.transaction() as session:
            return imports.import_path(
                session, path, imports.ImportOptions(actor=SYSTEM, now=self.clock.now(), tlp=tlp)
            )

    def operator(self) -> httpx.Client:
        return self.login(self.world.operator_analyst)


@contextmanager
def advisory_platform(
    database: Database, clock: FixedClock, *, tls_dir: Path | None = None, **settings: object
) -> Iterator[AdvisoryPlatform]:
    """The platform served by uvicorn; over HTTPS (a self-signed certificate written to
    ``tls_dir``) when ``tls_dir`` is given."""
    options: dict[str, object] = {"max_request_bytes": 4 * 1024 * 1024}
    serving: dict[str, Any] = {"port": free_port()}
    certificate = None
    if tls_dir is not None:
        certificate = self_signed()
        (tls_dir / "cert.pem").write_bytes(certificate.cert_pem)
        (tls_dir / "key.pem").write_bytes(certificate.key_pem)
        serving.update(ssl_certfile=str(tls_dir / "cert.pem"), ssl_keyfile=str(tls_dir / "key.pem"))
        options["base_url"] = f"https://127.0.0.1:{serving['port']}"
    options.update(settings)
    config = make_settings(database.url, **options)
    app = create_app(config, clock=clock, database=database)
    world = seed(database, clock)
    with serve(app, **serving) as url:
        platform = AdvisoryPlatform(
            url=url,
            database=database,
            clock=clock,
            settings=config,
            world=world,
            runtime=app.state.runtime,
            tls=certificate.client_context() if certificate is not None else None,
        )
        yield platform
        platform.close()


def create_draft(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    r = client.post("/api/v1/advisories", json=log4shell_draft(**overrides))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def log4j_case(client: httpx.Client) -> str:
    """A case (by the operator ``client``) whose one vulnerability names log4j-core
    [2.0, 2.15.0): its public id."""
    case = str(client.post("/api/v1/cases", json={"title": "Log4Shell"}).json()["public_id"])
    vulnerability = client.post(
        f"/api/v1/cases/{case}/vulnerabilities",
        json={
            "title": "JNDI lookups",
            "products": [
                {
                    "purl": "pkg:maven/org.apache.logging.log4j/log4j-core",
                    "ranges": [
                        {
                            "type": "ECOSYSTEM",
                            "events": [{"introduced": "2.0"}, {"fixed": "2.15.0"}],
                        }
                    ],
                }
            ],
        },
    )
    assert vulnerability.status_code == 201, vulnerability.text
    return case
