"""The route table: every route of the application, the policy action it asks, and its
answer for every kind of principal the policy knows. A route missing from the table, or a
row for a route that no longer exists, fails the suite; so does a route that answers
without asking the policy its action, and any answer that differs from the table.

Each cell is the HTTP status the principal gets (``2xx``: any success). For every cell
the policy's recorded decision on the row's action must say the same: 401 LOGIN, 403
DENY, 404 HIDDEN, anything else ALLOW (a 409 or 422 after the policy allowed is the
domain refusing). ``public`` rows ask no policy: what they serve is public by design.

Then every route with an identifier in its path is asked again about one that does not
exist: whoever got 401 or 404 for the real one must get exactly that again, so no
principal can tell a hidden resource from a missing one.

The world (:mod:`tests.support.everyone`): the operator coordinates case ``{case}`` under
an active embargo, opened from the finder's anonymous report; ``member`` takes part,
``vendor-a`` is its vendor, ``suspended-co`` takes part but is suspended, ``other`` takes
part in nothing, and a vendor outside the platform holds an invitation link. Columns:
anonymous, the finder's tracking token, the invitation link, the member's admin through a
token of one scope each (read, write, admin, taxii), a foreign member, the suspended
member, the vendor, and the operator's admin, analyst and viewer. Requests that may
change something run on a fresh copy of the world, so no cell sees another's effect.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from clearinghouse.api.routing import GatedRouter
from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.pgp import generate_signing_key, load_signing_key
from clearinghouse.policy import Decision
from clearinghouse.runtime import Runtime
from clearinghouse.sharing.taxii_http import TAXII_MEDIA
from clearinghouse.timeutil import FixedClock
from clearinghouse.web.errors import is_page_path
from tests.functional.conftest import make_settings
from tests.support.advisories import log4shell_draft
from tests.support.cases import COORDINATE
from tests.support.db import make_sqlite_template
from tests.support.everyone import (
    EMAILS,
    EXPOSURE_SBOM,
    PASSWORD,
    SHARED_CVE,
    T0,
    Everyone,
    Who,
    build,
)
from tests.support.routes import PROBE_HEADER, Probe, every_route, match_order
from tests.support.server import serve
from tests.support.stix_objects import indicator

WHO = list(Who)
PUBLIC = "public"

# The table itself: route_table.txt beside this file (one row per route; columns in WHO's
# order, named in its header).
TABLE = (Path(__file__).parent / "route_table.txt").read_text()

# ---- request bodies and path bindings ------------------------------------------------------

Ids = dict[str, str]
LOG4J = {"name": "org.apache.logging.log4j:log4j-core", "ecosystem": "Maven"}
CASE_REPORT = {
    "title": "Remote code execution in a logging library",
    "description": "A crafted string in a log message makes the library load remote code.",
    "product": "log4j-core",
}
BODIES: dict[str, Callable[[Ids], Any]] = {
    "POST /api/v1/advisories": lambda ids: log4shell_draft(title="Another"),
    "POST /api/v1/advisories/from-case/{case_ref}": lambda ids: {"tlp": "AMBER"},
    "PATCH /api/v1/advisories/{advisory_id}": lambda ids: {"title": "Renamed"},
    "POST /api/v1/advisories/{advisory_id}/publish": lambda ids: {"summary": "now"},
    "POST /api/v1/advisories/{advisory_id}/schedule": lambda ids: {"at": "2026-10-20T00:00:00Z"},
    "POST /api/v1/advisories/{advisory_id}/withdraw": lambda ids: {"reason": "superseded"},
    "POST /api/v1/auth/login": lambda ids: {"email": EMAILS["member-admin"], "password": PASSWORD},
    "POST /api/v1/cases": lambda ids: {"title": "A case of our own"},
    "PATCH /api/v1/cases/{ref}": lambda ids: {"summary": "Updated summary"},
    "POST /api/v1/cases/{ref}/embargo/accept": lambda ids: {},
    "POST /api/v1/cases/{ref}/embargo/reject": lambda ids: {"comment": "too short"},
    "POST /api/v1/cases/{ref}/embargo/activate": lambda ids: {"reason": "agreed"},
    "POST /api/v1/cases/{ref}/embargo/exit": lambda ids: {"category": "coordinator_decision"},
    "POST /api/v1/cases/{ref}/embargo/propose": lambda ids: {
        "ends_at": "2026-10-20T10:00:00",
        "timezone": "Asia/Shanghai",
    },
    "POST /api/v1/cases/{ref}/embargo/propose-move": lambda ids: {
        "ends_at": "2026-10-21T10:00:00",
        "timezone": "Asia/Shanghai",
        "reason": "the fix needs a week more",
    },
    "POST /api/v1/cases/{ref}/embargo/withdraw-move": lambda ids: {"reason": "keep the end"},
    "POST /api/v1/cases/{ref}/events": lambda ids: {
        "type": "aware",
        "occurred_at": "2026-09-30T10:00:00Z",
    },
    "POST /api/v1/cases/{ref}/participants": lambda ids: {
        "organisation": "other",
        "role": "member",
    },
    "POST /api/v1/cases/{ref}/participants/{participant_id}/deadline": lambda ids: {"days": 7},
    "PUT /api/v1/cases/{ref}/statement": lambda ids: {"statement": "We are investigating."},
    "POST /api/v1/cases/{ref}/statuses": lambda ids: {
        "vulnerability_id": ids["vulnerability"],
        "participant_id": ids["participant:vendor"],
        "status": "under_investigation",
    },
    "POST /api/v1/cases/{ref}/threads": lambda ids: {
        "kind": "private",
        "participant_id": ids["participant:vendor"],
    },
    "POST /api/v1/cases/{ref}/threads/{thread_id}/messages": lambda ids: {"body": "Hello."},
    "POST /api/v1/cases/{ref}/vulnerabilities": lambda ids: {"title": "A second flaw"},
    "PUT /api/v1/cases/{ref}/vulnerabilities/{vulnerability_id}": lambda ids: {"title": "JNDI"},
    "POST /api/v1/incidents": lambda ids: {"title": "Data exfiltrated"},
    "PATCH /api/v1/incidents/{ref}": lambda ids: {"summary": "contained"},
    "POST /api/v1/incidents/{ref}/events": lambda ids: {
        "type": "incident_noticed",
        "occurred_at": "2026-10-01T08:00:00Z",
    },
    "POST /api/v1/incidents/{ref}/events/{event_id}/corrections": lambda ids: {
        "occurred_at": "2026-10-01T07:30:00Z"
    },
    "POST /api/v1/incidents/{ref}/submissions": lambda ids: {
        "regime": "eu-gdpr-art33",
        "stage": "notification",
    },
    "POST /api/v1/invitation/claim": lambda ids: {
        "organisation_slug": "apache-logging",
        "organisation_name": "Apache Logging",
        "user_name": "PMC",
        "password": PASSWORD,
    },
    "PUT /api/v1/me/notification-preferences": lambda ids: {"notify_mode": "digest"},
    "POST /api/v1/notifications/read": lambda ids: {"ids": [ids["notification"]]},
    "POST /api/v1/organisations": lambda ids: {"slug": "new-org", "name": "New", "kind": "member"},
    "PATCH /api/v1/organisations/{slug}": lambda ids: {"name": "Member, renamed"},
    "POST /api/v1/organisations/{slug}/regime-overrides": lambda ids: {
        "regime": "cn-miit-2021",
        "applies": False,
        "reason": "not a product provider",
    },
    "POST /api/v1/organisations/{slug}/sanctions": lambda ids: {
        "starts_at": "2026-10-01T10:00:00Z",
        "months": 6,
        "reason": "late report",
    },
    "POST /api/v1/organisations/{slug}/users": lambda ids: {
        "email": "new@member.test",
        "name": "New",
        "role": "viewer",
    },
    "POST /api/v1/organisations/{slug}/webhooks": lambda ids: {
        "url": "https://hooks.member.test/second",
        "event_types": ["case.message"],
    },
    "PATCH /api/v1/organisations/{slug}/webhooks/{subscription_id}": lambda ids: {
        "description": "renamed"
    },
    "POST /api/v1/reports": lambda ids: CASE_REPORT,
    "POST /api/v1/reports/{report_id}/case": lambda ids: {"title": "Opened again"},
    "POST /api/v1/reports/{report_id}/messages": lambda ids: {"body": "Hello."},
    "PUT /api/v1/reports/{report_id}/key": lambda ids: {"pgp_public_key": None},
    "POST /api/v1/reports/{report_id}/transitions": lambda ids: {"to": "valid", "reason": "ok"},
    "POST /api/v1/reports/{report_id}/triage": lambda ids: {"points": dict(COORDINATE)},
    "POST /api/v1/sanctions/{sanction_id}/reassessment": lambda ids: {
        "outcome": "reinstate",
        "reason": "reformed",
    },
    "POST /api/v1/submissions": lambda ids: {
        "organisation": "member",
        "subject": ids["case"],
        "regime": "cn-miit-2021",
        "stage": "report",
    },
    "PATCH /api/v1/submissions/{submission_id}": lambda ids: {"fields": {"product": "log4j"}},
    "POST /api/v1/submissions/{submission_id}/submit": lambda ids: {"reference": "NVDB-1"},
    "POST /api/v1/tokens": lambda ids: {"name": "ci", "scopes": ["read"]},
    "PATCH /api/v1/sharing/collections/{collection}": lambda ids: {"title": "Renamed"},
    "POST /api/v1/sharing/collections/{collection}/misp-events": lambda ids: {
        "events": [
            {
                "Event": {
                    "uuid": "6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c",
                    "info": "Route table",
                    "Tag": [{"name": "tlp:clear"}],
                    "Attribute": [
                        {
                            "uuid": "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c01",
                            "type": "domain",
                            "value": "route-table.example",
                        }
                    ],
                }
            }
        ]
    },
    "PATCH /api/v1/sharing/groups/{group}": lambda ids: {"name": "Circle, renamed"},
    "PUT /api/v1/sharing/collections/{collection}/sync": lambda ids: {
        "url": "https://peer.test/taxii2/root/collections/other/"
    },
    "POST /api/v1/inventories": lambda ids: orjson.loads(EXPOSURE_SBOM.read_bytes()),
    "POST /api/v1/findings/{finding_id}/state": lambda ids: {"state": "acknowledged"},
    "POST /api/v1/findings/{finding_id}/vex": lambda ids: {"format": "csaf"},
    "POST /api/v1/exposure/aware-events/{event_id}/withdrawal": lambda ids: {
        "reason": "the component is a test fixture"
    },
    "PUT /api/v1/organisations/{slug}/products": lambda ids: {
        "purls": ["pkg:maven/org.example/shop-server"]
    },
    "POST /api/v1/cases/{ref}/exposure/invitations": lambda ids: {},
    "POST /osv/v1/query": lambda ids: {"package": LOG4J, "version": "2.14.1"},
    "POST /osv/v1/querybatch": lambda ids: {"queries": [{"package": LOG4J, "version": "2.14.1"}]},
    "POST /api/v1/sharing/collections": lambda ids: {"alias": "new-one", "title": "New"},
    "POST /api/v1/sharing/groups": lambda ids: {"slug": "new-group", "name": "New"},
    "POST /api/v1/sharing/collections/{collection}/objects": lambda ids: {
        "objects": [indicator("rest")]
    },
    "POST /taxii2/{api_root}/collections/{collection_id}/objects/": lambda ids: {
        "objects": [indicator("posted")]
    },
}
# Pages' forms (posted form-encoded, with a CSRF token: the CSRF check itself is tested in
# tests/functional/test_web_csrf.py; here the policy is).
FORMS: dict[str, Callable[[Ids], dict[str, str]]] = {
    "POST /report": lambda ids: CASE_REPORT,
    "POST /sign-in": lambda ids: {"email": EMAILS["member-admin"], "password": PASSWORD},
    "POST /language": lambda ids: {"language": "zh-Hans", "next": "/"},
    "POST /settings": lambda ids: {"timezone": "Asia/Shanghai", "language": "zh-Hans"},
    "POST /reports/track": lambda ids: {"token": "chr_unknown"},
    "POST /reports/track/messages": lambda ids: {"body": "Hello."},
    "POST /reports/track/key": lambda ids: {"pgp_public_key": ""},
    "POST /reports/{report_id}/messages": lambda ids: {"body": "Hello."},
    "POST /invitations/open": lambda ids: {"token": "not-an-invitation"},
    "POST /invitation/statuses": lambda ids: {
        "vulnerability_id": ids["vulnerability"],
        "status": "under_investigation",
    },
    "POST /invitation/statement": lambda ids: {"statement": "We are investigating."},
    "POST /invitation/embargo": lambda ids: {"answer": "accept"},
    "POST /invitation/threads/{thread_id}/messages": lambda ids: {"body": "Hello."},
    "POST /reports/{report_id}/triage": lambda ids: dict(COORDINATE),
    "POST /reports/{report_id}/transitions": lambda ids: {"to": "valid", "reason": "Reproduced."},
    "POST /reports/{report_id}/case": lambda ids: {"title": "A case from the form"},
    "POST /cases/{ref}/threads/{thread_id}/messages": lambda ids: {"body": "Hello."},
    "POST /cases/{ref}/statuses": lambda ids: {
        "vulnerability_id": ids["vulnerability"],
        "status": "under_investigation",
    },
    "POST /cases/{ref}/embargo/answer": lambda ids: {"answer": "accept"},
    "POST /cases/{ref}/embargo/proposal": lambda ids: {
        "embargo_ends_at": "2027-03-01T10:00",
        "embargo_timezone": "Asia/Shanghai",
    },
    "POST /cases/{ref}/embargo/activation": lambda ids: {"reason": "The vendor is unreachable."},
    "POST /cases/{ref}/embargo/exit": lambda ids: {
        "category": "public_disclosure_seen",
        "evidence_url": "https://example.test/advisory",
    },
    "POST /cases/{ref}/statement": lambda ids: {"statement": "We are investigating."},
    "POST /cases/{ref}/embargo/move": lambda ids: {
        "move_ends_at": "2026-10-21T10:00",
        "move_timezone": "Asia/Shanghai",
        "move_reason": "The fix needs another release.",
    },
    "POST /cases/{ref}/embargo/move-withdrawal": lambda ids: {"withdraw_reason": "Not needed."},
    "POST /cases/{ref}/participants/{participant_id}/deadline": lambda ids: {"days": "7"},
    "POST /cases/{ref}/participants": lambda ids: {
        "email": "psirt@new-vendor.test",
        "language": "zh-Hans",
        "timezone": "Asia/Shanghai",
        "response_days": "7",
    },
    "POST /members/{slug}/regime-overrides": lambda ids: {
        "regime": "cn-miit-2021",
        "applies": "false",
        "override_reason": "not a product provider",
    },
    "POST /members/{slug}/sanctions": lambda ids: {
        "suspend_months": "6",
        "suspend_reason": "late report",
    },
    "POST /members/{slug}/sanctions/{sanction_id}/reassessment": lambda ids: {
        "outcome": "reinstate",
        "reason": "reformed",
    },
    "POST /obligations/draft": lambda ids: {
        "organisation": "member",
        "subject": ids["case"],
        "regime": "cn-miit-2021",
        "stage": "report",
    },
    "POST /submissions/{submission_id}": lambda ids: {"field-product": "log4j"},
    "POST /submissions/{submission_id}/submit": lambda ids: {"reference": "NVDB-1"},
    "POST /notifications/read": lambda ids: {"id": ids["notification"]},
    "POST /settings/tokens": lambda ids: {"name": "ci", "scopes": "read"},
    "POST /settings/webhooks": lambda ids: {
        "url": "https://hooks.member.test/second",
        "event_types": "case.message",
    },
    "POST /settings/notifications": lambda ids: {"notify_mode": "digest"},
    "POST /editor/advisories": lambda ids: {"case": ids["case"], "tlp": "AMBER"},
    "POST /editor/advisories/{advisory_id}": lambda ids: {"title": "Revised", "tlp": "AMBER"},
    "POST /editor/advisories/{advisory_id}/schedule": lambda ids: {"at": "2099-01-01T10:00"},
    "POST /editor/advisories/{advisory_id}/publish": lambda ids: {"summary": "first"},
    "POST /editor/advisories/{advisory_id}/withdraw": lambda ids: {"reason": "a duplicate"},
    "POST /exposure/inventories": lambda ids: {"name": "billing"},
    "POST /exposure/findings/{finding_id}/state": lambda ids: {"state": "acknowledged"},
    "POST /exposure/findings/{finding_id}/vex": lambda ids: {"format": "csaf"},
    "POST /exposure/findings/{finding_id}/withdrawal": lambda ids: {
        "withdraw_reason": "the component is a test fixture"
    },
    "POST /members/{slug}/products": lambda ids: {"purls": "pkg:maven/org.example/shop-server"},
    "POST /cases/{ref}/exposure/invitations": lambda ids: {"organisation": "member"},
    "POST /cases/{ref}/exposure/vendors": lambda ids: {"vendor": "vendor-a"},
    "POST /sharing/collections": lambda ids: {"alias": "new-one", "title": "New"},
    "POST /sharing/collections/{collection}/settings": lambda ids: {"title": "Renamed"},
    "POST /sharing/collections/{collection}/delete": lambda ids: {"confirm": "true"},
    "POST /sharing/collections/{collection}/objects": lambda ids: {
        "stix": orjson.dumps(indicator("page-form")).decode(),
        "tlp": "GREEN",
    },
    "POST /sharing/groups": lambda ids: {"slug": "new-group", "name": "New"},
    "POST /sharing/groups/{group}": lambda ids: {"name": "Circle, renamed"},
    "POST /sharing/groups/{group}/delete": lambda ids: {"confirm": "true"},
    "POST /sharing/sync/{collection}": lambda ids: {
        "url": "https://peer.test/taxii2/root/collections/other/",
        "interval_minutes": "60",
    },
}
# Files a page's form uploads (multipart, beside FORMS' fields).
FORM_FILES: dict[str, Callable[[], dict[str, tuple[str, bytes, str]]]] = {
    "POST /exposure/inventories": lambda: {
        "sbom": ("bom.json", EXPOSURE_SBOM.read_bytes(), "application/json")
    },
}
FORM_CSRF = "route-table-csrf-token-0123456789"
QUERIES: dict[str, Callable[[Ids], dict[str, str]]] = {
    "POST /api/v1/inventories": lambda ids: {"name": "billing"},
    "GET /api/v1/advisories/compare": lambda ids: {"id": ids["advisory:amber"]},
    "GET /api/v1/advisories/{advisory_id}/export": lambda ids: {"format": "osv"},
}
# Which resource each path parameter names, per row binding ("" is the default).
BINDINGS: dict[str, dict[str, str]] = {
    "": {
        "ref": "case",
        "case_ref": "case",
        "report_id": "report",
        "attachment_id": "case-attachment",
        "advisory_id": "advisory:amber",
        "slug": "org:member",
        "token_id": "token:member",
        "submission_id": "submission",
        "sanction_id": "sanction",
        "job_id": "job",
        "subscription_id": "webhook",
        "vulnerability_id": "vulnerability",
        "participant_id": "participant:removable",
        "thread_id": "thread",
        "number": "1",
        "folder": "amber",
        "inventory_id": "inventory",
        "finding_id": "finding:clear",
        "statement_id": "vex",
        "year": "2026",
        "filename": "csaf:amber",
        "key_file": "csaf-key",
        "group": "circle",
        "vuln_id": "advisory:amber",
        "ecosystem": "Maven",
        "path": "swagger-ui.css",
        "api_root": "root",
        "collection": "collection",
        "collection_id": "collection",
        "object_id": "object:amber",
        "status_id": "taxii-status",
        "event_file": "misp-event",
        "fmt": "csaf",
    },
    "draft": {"advisory_id": "advisory:draft"},
    "clear": {"advisory_id": "advisory:clear"},
    "report": {"attachment_id": "report-attachment"},
    "new": {"report_id": "report:new"},
    "vendor": {"participant_id": "participant:vendor"},
    "suspended": {"slug": "org:suspended-co"},
    "static": {"path": "docs-init.js"},
    "incident": {"ref": "incident", "event_id": "incident-event"},
    "aware": {"event_id": "aware"},
    "aware-finding": {"finding_id": "finding:aware"},
    "amber": {"finding_id": "finding:amber", "statement_id": "vex:amber"},
    "draft-finding": {"finding_id": "finding:draft"},
    "vendor-a": {"slug": "org:vendor-a"},
}
MISSING_IDS = {
    "ref": "CH-2099-9999",
    "case_ref": "CH-2099-9999",
    "advisory_id": "CHSA-2099-9999",
    "slug": "no-such-org",
    "vuln_id": "CVE-2099-0001",
    "number": "999",
    "api_root": "root",  # the one API root: not a resource anyone may be hidden from
}
# Request headers beyond the principal's credentials, per route.
HEADERS: dict[str, dict[str, str]] = {
    "POST /taxii2/{api_root}/collections/{collection_id}/objects/": {"Content-Type": TAXII_MEDIA},
}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    binding: str
    action: str
    expected: dict[Who, str]

    @property
    def route(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def name(self) -> str:
        suffix = f"@{self.binding}" if self.binding else ""
        return f"{self.method} {self.path}{suffix}"


def parse_table(text: str) -> list[Row]:
    rows = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        method, target, action, *cells = line.split()
        path, _, binding = target.partition("@")
        assert len(cells) == len(WHO), f"{line!r}: {len(cells)} cells for {len(WHO)} columns"
        rows.append(Row(method, path, binding, action, dict(zip(WHO, cells, strict=True))))
    return rows


ROWS = parse_table(TABLE)


# ---- the platform --------------------------------------------------------------------------


@dataclass
class Platform:
    url: str
    world: Everyone
    runtime: Runtime
    probe: Probe
    template: Path
    directory: Path
    shared: Database
    clients: dict[Who, httpx.Client]

    @contextmanager
    def database_for(self, method: str) -> Iterator[None]:
        """A fresh copy of the world for a request that may change it."""
        if method in ("GET", "HEAD"):
            self.runtime.database = self.shared
            yield
            return
        copy = self.directory / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, copy)
        database = Database(f"sqlite:///{copy}")
        self.runtime.database = database
        try:
            yield
        finally:
            self.runtime.database = self.shared
            database.dispose()
            copy.unlink()


@contextmanager
def running_platform(directory: Path) -> Iterator[Platform]:
    """The world, served over real HTTP behind the policy probe."""
    template = make_sqlite_template(directory)
    url = f"sqlite:///{template}"
    key_file = directory / "csaf-signing.asc"
    key_file.write_text(generate_signing_key("Route table <csaf@example.org>"))
    settings = make_settings(url, base_url="http://test", csaf_signing_key_file=key_file)
    world_db = Database(url)
    world = build(world_db, settings)
    world.ids["csaf-key"] = f"{load_signing_key(key_file.read_text()).fingerprint}.asc"
    world_db.dispose()
    shared = Database(url)
    app = create_app(settings, clock=FixedClock(T0), database=shared)
    probe = Probe(app)
    with serve(probe) as base:
        clients = {
            who: httpx.Client(base_url=base, timeout=30, headers=world.headers.get(who, {}))
            for who in WHO
        }
        yield Platform(base, world, app.state.runtime, probe, template, directory, shared, clients)
        for client in clients.values():
            client.close()
    shared.dispose()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("route-table")) as running:
        yield running


# ---- asking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    asked: dict[str, Decision]  # the first decision on each action asked
    body: str


def _url(path: str, ids: Ids, binding: str, *, missing: bool = False) -> str:
    names = BINDINGS[""] | BINDINGS.get(binding, {})
    out = path
    for name, key in names.items():
        placeholder = "{" + name + "}"
        if placeholder not in out:
            continue
        value = MISSING_IDS.get(name, str(uuid.UUID(int=7))) if missing else ids.get(key, key)
        out = out.replace(placeholder, value)
    return out


def ask(
    platform: Platform, row_method: str, path: str, binding: str, who: Who, *, missing: bool = False
) -> Answer:
    ids = platform.world.ids
    url = _url(path, ids, binding, missing=missing)
    body_of = BODIES.get(f"{row_method} {path}@{binding}") or BODIES.get(f"{row_method} {path}")
    form_of = FORMS.get(f"{row_method} {path}")
    probe = Probe.new_id()
    headers = {PROBE_HEADER: probe, **HEADERS.get(f"{row_method} {path}", {})}
    form = None
    files_of = FORM_FILES.get(f"{row_method} {path}")
    if row_method != "GET" and is_page_path(path):
        form = {"csrf_token": FORM_CSRF, **(form_of(ids) if form_of is not None else {})}
        headers["Cookie"] = f"ch_csrf={FORM_CSRF}"
    with platform.database_for(row_method):
        query_of = QUERIES.get(f"{row_method} {path}")
        response = platform.clients[who].request(
            row_method,
            url,
            json=body_of(ids) if body_of is not None else None,
            data=form,
            files=files_of() if files_of is not None else None,
            params=query_of(ids) if query_of is not None else None,
            headers=headers,
        )
        platform.clients[who].cookies.clear()  # no cell sees a cookie another one was set
    asked: dict[str, Decision] = {}
    for item in platform.probe.asked.pop(probe, []):
        asked.setdefault(item.action, item.decision)  # the first: the route's own gate
    return Answer(response.status_code, asked, response.text[:300])


def _cell(answer: Answer) -> str:
    return "2xx" if 200 <= answer.status < 300 else str(answer.status)


_DECISION_OF = {"401": Decision.LOGIN, "403": Decision.DENY, "404": Decision.HIDDEN}
LIST = "[list]"


def _policy_disagrees(row: Row, cell: str, answer: Answer) -> str | None:
    """Why the policy's decisions do not explain the answer (``None`` when they do)."""
    if row.action == PUBLIC:
        return None
    chain = row.action.removesuffix(LIST).split(">")
    if chain[0] not in answer.asked:
        return f"did not ask {chain[0]} (asked {list(answer.asked)})"
    decisive = [a for a in chain if a in answer.asked][-1]
    decided = answer.asked[decisive]
    if row.action.endswith(LIST) and cell == "404" and decided is Decision.ALLOW:
        return None  # the collection is open; nothing in it that this caller may read matches
    if decided is not _DECISION_OF.get(cell, Decision.ALLOW):
        return f"{cell} but the policy said {decided.name} on {decisive}"
    return None


def test_every_route_is_in_the_table(platform: Platform) -> None:
    served = set(every_route(platform_app_routes(platform)))
    listed = {r.route for r in ROWS}
    assert sorted(served - listed) == [], "routes missing from route_table.txt"
    assert sorted(listed - served) == [], "rows for routes that no longer exist"
    assert len(listed) == len(ROWS), "a route is listed twice"


def test_taxii_routes_are_tried_before_any_other(platform: Platform) -> None:
    """TAXII clients page through collections a request per 1,000 objects: each router
    asked before theirs costs every page (the pages' ~100 routes were tried first, ~1 ms
    a request, until 2026-12)."""
    order = match_order(platform_app_routes(platform))
    taxii = [path for path in order if path.startswith("/taxii2/")]
    assert len(taxii) >= 10
    # After the framework's own (added before any other): every TAXII route, then the rest.
    assert order[: len(taxii) + 1] == ["/openapi.json", *taxii]


def test_every_router_is_gated(platform: Platform) -> None:
    """Each router is asked only for paths its routes could match
    (``clearinghouse.api.routing``): a router the gate cannot take (a mount or a nested
    router in it) would make every request matched after it ~4 us a route slower."""
    routers = [r for r in platform_app_routes(platform).routes if hasattr(r, "original_router")]
    assert len(routers) > 20
    assert [r for r in routers if not isinstance(r, GatedRouter)] == []


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_route_answers_as_the_table_says(platform: Platform, row: Row) -> None:
    wrong = []
    for who in WHO:
        answer = ask(platform, row.method, row.path, row.binding, who)
        cell, expected = _cell(answer), row.expected[who]
        if cell != expected:
            wrong.append(f"{who}: {cell} (table: {expected}) {answer.body[:160]}")
            continue
        problem = _policy_disagrees(row, cell, answer)
        if problem:
            wrong.append(f"{who}: {problem}")
    assert wrong == [], f"{row.name}:\n" + "\n".join(wrong)


HIDING = ("401", "404")


@pytest.mark.parametrize(
    "row", [r for r in ROWS if "{" in r.path], ids=[r.name for r in ROWS if "{" in r.path]
)
def test_a_missing_resource_answers_as_a_hidden_one(platform: Platform, row: Row) -> None:
    """Whoever may not know the real resource cannot tell it from one that does not exist."""
    wrong = []
    for who in WHO:
        if row.expected[who] not in HIDING:
            continue
        answer = ask(platform, row.method, row.path, row.binding, who, missing=True)
        if _cell(answer) != row.expected[who]:
            wrong.append(f"{who}: {_cell(answer)} for a missing one, {row.expected[who]} else")
    assert wrong == [], f"{row.name}:\n" + "\n".join(wrong)


def platform_app_routes(platform: Platform) -> Any:
    return platform.probe.app


# ---- what query parameters reveal ----------------------------------------------------------


def _status(platform: Platform, who: Who, url: str, params: dict[str, str]) -> int:
    with platform.database_for("GET"):
        return platform.clients[who].get(url, params=params).status_code


@pytest.mark.parametrize("who", WHO)
def test_obligations_of_a_hidden_case_answer_as_for_a_missing_one(
    platform: Platform, who: Who
) -> None:
    real = _status(platform, who, "/api/v1/obligations", {"case": platform.world.ids["case"]})
    missing = _status(platform, who, "/api/v1/obligations", {"case": MISSING_IDS["ref"]})
    if real >= 400:  # refused: a missing case is refused in the same words
        assert missing == real
    else:
        assert missing == 404


@pytest.mark.parametrize("who", WHO)
def test_compare_names_only_identifiers_the_caller_may_read(platform: Platform, who: Who) -> None:
    client = platform.clients[who]
    answer = client.get("/api/v1/advisories/compare", params={"id": SHARED_CVE})
    ids = platform.world.ids
    readable = {
        ids[key]
        for key in ("advisory:clear", "advisory:amber", "advisory:draft")
        if client.get(f"/api/v1/advisories/{ids[key]}").status_code == 200
    }
    hidden = {ids[k] for k in ("advisory:clear", "advisory:amber", "advisory:draft")} - readable
    assert answer.status_code == 200  # the TLP:CLEAR advisory names it for everyone
    named = set(answer.json()["identifiers"]) | {r["advisory"] for r in answer.json()["records"]}
    assert named & hidden == set()
    assert {r["advisory"] for r in answer.json()["records"]} == readable


def observed_table(platform: Platform) -> str:
    """What every route answers every principal, in the table's layout: for drafting a new
    row (``python -m tests.functional.test_route_table``), never for judging one."""
    listed = {r.route: r for r in ROWS}
    lines = []
    for method, path in every_route(platform_app_routes(platform)):
        row = listed.get((method, path))
        binding = row.binding if row else ""
        answers = [ask(platform, method, path, binding, who) for who in WHO]
        actions = max((list(a.asked) for a in answers), key=len)  # in the order asked
        cells = " ".join(f"{_cell(a):>4}" for a in answers)
        target = path + (f"@{binding}" if binding else "")
        lines.append(f"{method:6} {target:66} {'>'.join(actions) or PUBLIC:20} {cells}")
        for who, a in zip(WHO, answers, strict=True):
            if a.status >= 500 or (a.status == 422 and not a.asked):
                lines.append(f"    ! {who}: {a.status} {a.body}")
    return "\n".join(lines)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder, running_platform(Path(folder)) as running:
        print(observed_table(running))


# ---- pages show what the API shows ----------------------------------------------------------

# Each page that shows resources, and the API answer it must agree with: the identifiers
# and markings (``data-*`` attributes the page carries for machines) equal those of the
# API's answer for the same principal. A page GET row of the table that shows resources
# must be listed here (or in PAGES_WITHOUT_RESOURCES), so a new page cannot skip this.
# An obligation has no id: pages name it organisation/subject/regime/stage; "?open" keeps
# only those still owed (the dashboard's list).
OBLIGATION_KEY = "organisation/subject/regime/stage"
OWED = {"pending", "due_soon", "missed"}


PAGE_API: dict[str, tuple[str, str, str]] = {
    # page path: (API path, page attribute, API field)
    "/": ("/api/v1/advisories?state=published", "data-advisory-id", "id"),
    "/advisories": ("/api/v1/advisories", "data-advisory-id", "id"),
    "/advisories/{advisory_id}": ("/api/v1/advisories/{advisory_id}", "data-advisory-id", "id"),
    "/reports": ("/api/v1/reports", "data-report-id", "id"),
    "/reports/{report_id}": ("/api/v1/reports/{report_id}", "data-report-id", "id"),
    "/invitation": ("/api/v1/invitation", "data-case", "case"),
    "/cases": ("/api/v1/cases", "data-case", "public_id"),
    "/cases/{ref}": ("/api/v1/cases/{ref}", "data-participant-id", "participants[].id"),
    "/cases/{ref}/timeline": ("/api/v1/cases/{ref}", "data-case", "public_id"),
    "/incidents/{ref}/board@incident": ("/api/v1/incidents/{ref}", "data-incident", "ref"),
    "/members": ("/api/v1/organisations", "data-org", "slug"),
    "/members/{slug}": (
        "/api/v1/organisations/{slug}/standing",
        "data-sanction-id",
        "sanctions[].id",
    ),
    "/audit": ("/api/v1/audit", "data-audit-seq", "seq"),
    "/audit/verify": ("/api/v1/audit/verify", "data-head", "head"),
    "/jobs": ("/api/v1/jobs", "data-job-id", "id"),
    "/obligations": ("/api/v1/obligations", "data-obligation", OBLIGATION_KEY),
    "/work": ("/api/v1/obligations", "data-obligation", OBLIGATION_KEY + "?open"),
    "/editor/advisories": ("/api/v1/advisories?state=draft", "data-advisory-id", "id"),
    "/editor/advisories/{advisory_id}": (
        "/api/v1/advisories/{advisory_id}",
        "data-advisory-id",
        "id",
    ),
    "/editor/advisories/{advisory_id}/preview/{fmt}": (
        "/api/v1/advisories/{advisory_id}",
        "data-advisory-id",
        "id",
    ),
    "/submissions/{submission_id}": (
        "/api/v1/submissions/{submission_id}",
        "data-submission-id",
        "id",
    ),
    "/submissions/{submission_id}/print": (
        "/api/v1/submissions/{submission_id}",
        "data-submission-id",
        "id",
    ),
    "/settings/tokens": ("/api/v1/tokens", "data-token-id", "id"),
    "/exposure/inventories": ("/api/v1/inventories", "data-inventory-id", "id"),
    "/exposure/inventories/{inventory_id}": (
        "/api/v1/inventories/{inventory_id}",
        "data-inventory-id",
        "id",
    ),
    "/exposure/findings": ("/api/v1/findings", "data-finding-id", "id"),
    "/exposure/findings/{finding_id}": ("/api/v1/findings/{finding_id}", "data-finding-id", "id"),
    "/exposure/vex/{statement_id}": ("/api/v1/vex/{statement_id}", "data-vex-id", "id"),
    "/cases/{ref}/exposure": ("/api/v1/cases/{ref}/exposure", "data-organisation", "organisation"),
    "/members/{slug}/products": ("/api/v1/organisations/{slug}/products", "data-purl", "purls[]"),
    "/sharing/collections": ("/api/v1/sharing/collections", "data-collection-id", "id"),
    "/sharing/collections/{collection}": (
        "/api/v1/sharing/collections/{collection}/objects",
        "data-stix-id",
        "id",
    ),
    "/sharing/groups": ("/api/v1/sharing/groups", "data-group", "slug"),
    "/sharing/sightings": ("/api/v1/sharing/sightings", "data-object", "object"),
    "/sharing/sync/{collection}": (
        "/api/v1/sharing/collections/{collection}/sync",
        "data-sync-url",
        "url",
    ),
}
PAGES_WITHOUT_RESOURCES = {
    # the operator's forms over one collection (gated as PATCH .../collections/{collection}),
    # every collection's sync source (each one compared on /sharing/sync/{collection}), and
    # one sharing group (no single-group API read; its members are checked against PATCH
    # /api/v1/sharing/groups/{group} in test_web_sharing_forms.py)
    "/sharing/collections/{collection}/settings",
    "/sharing/sync",
    "/sharing/groups/{group}",
    "/report",  # forms, the visitor's own confirmation, sign-in, settings, token forms
    "/report/received",
    "/reports/track",
    "/invitations/open",
    "/sign-in",
    "/settings",
    "/disclosure-policy",  # the platform's disclosure policy, one plain-text document
    # the operator's summary across endpoints (no one API answer): its new reports are
    # checked against GET /api/v1/reports in test_web_cases.py
    "/dashboard",
    "/standing",  # a redirect to the member's own page under /members
    "/settings/notifications",  # one's own notification mode
    # the caller's own organisation's, whichever it is (the table's API row names one
    # organisation): compared with the API in test_web_member.py
    "/settings/webhooks",
    "/exposure/products",  # a redirect to the member's own page under /members
}
_DATA = re.compile(r'(data-[a-z-]+)="([^"]*)"')


def _page_values(html: str, attribute: str) -> list[str]:
    return [value for name, value in _DATA.findall(html) if name == attribute]


def _api_values(body: Any, field: str) -> list[str]:
    if field.endswith("[]"):  # a list of plain values inside one answer: "purls[]"
        return [str(item) for item in body[field.removesuffix("[]")]]
    if "[]." in field:  # a list inside one answer: "participants[].id"
        name, _, sub = field.partition("[].")
        return [str(item[sub]) for item in body[name]]
    if isinstance(body, dict) and "obligations" in body:
        names, _, only = field.partition("?")
        return [
            "/".join(str(o[k]) for k in names.split("/"))
            for o in body["obligations"]
            if only != "open" or o["status"] in OWED
        ]
    if isinstance(body, list):
        return [str(item[field]) for item in body]
    items = body["items"] if isinstance(body, dict) and "items" in body else [body]
    return [str(item[field]) for item in items]


def test_every_page_that_shows_resources_is_compared_with_the_api() -> None:
    pages = {r.path for r in ROWS if r.method == "GET" and is_page_path(r.path)}
    pages -= {p for p in pages if p.startswith(("/static", "/api"))}
    compared = {p.partition("@")[0] for p in PAGE_API}
    assert sorted(pages - compared - PAGES_WITHOUT_RESOURCES) == []


@pytest.mark.parametrize("page_path", sorted(PAGE_API))
def test_a_page_shows_a_principal_what_the_api_shows_it(platform: Platform, page_path: str) -> None:
    api_path, attribute, field = PAGE_API[page_path]
    path, _, binding = page_path.partition("@")
    ids = platform.world.ids
    wrong = []
    for who in WHO:
        client = platform.clients[who]
        page = client.get(_url(path, ids, binding), headers={"Accept": "text/html"})
        api = client.get(_url(api_path, ids, binding))
        client.cookies.clear()
        if _cell(Answer(page.status_code, {}, "")) != _cell(Answer(api.status_code, {}, "")):
            wrong.append(f"{who}: page {page.status_code}, API {api.status_code}")
            continue
        if api.status_code != 200:
            continue
        shown = _page_values(page.text, attribute)
        expected = _api_values(api.json(), field)
        if page_path == "/":  # the latest published TLP:CLEAR ones, a subset
            clear = {str(i["id"]) for i in api.json()["items"] if i["tlp"] == "CLEAR"}
            if not set(shown) <= clear:
                wrong.append(f"{who}: home shows {shown}, readable CLEAR ones {sorted(clear)}")
            continue
        if sorted(set(shown)) != sorted(set(expected)):
            wrong.append(f"{who}: page shows {shown}, API {expected}")
        tlps = _page_values(page.text, "data-tlp")
        if isinstance(api.json(), dict) and "items" in api.json():
            expected_tlps = [str(i.get("tlp")) for i in api.json()["items"] if "tlp" in i]
            if expected_tlps and sorted(tlps) != sorted(expected_tlps):
                wrong.append(f"{who}: page TLPs {tlps}, API {expected_tlps}")
        elif "tlp" in api.json() and str(api.json()["tlp"]) not in tlps:
            wrong.append(f"{who}: page TLPs {tlps}, API {api.json()['tlp']}")
    assert wrong == [], f"{page_path}:\n" + "\n".join(wrong)
