"""Pages: the server-side render time of every demo page, median and p95.

**Question.** How long does the server take to answer each page of the demo (the
Log4Shell replay) to each kind of visitor? Target (BENCHMARKS.md): p95 < 200 ms per page.

**Data.** A fresh SQLite file in a temporary folder, migrated, with the demo loaded as
``make demo`` loads it (``clearinghouse.demo.load``), plus what the demo does not make: a
finder's anonymous report with a message each way (for the finder's status page) and a
vendor invited by link (for the invitation page).

**What is timed.** The application runs in uvicorn on loopback, in this process (one
thread), with the job worker off and INFO logs captured in memory. Each page is asked
``--requests`` times (after ``--warmup`` unmeasured asks) by one sequential client as its
visitor: anonymous, the finder (tracking cookie), the vendor (invitation cookie), the
operator's analyst signed in (its administrator for the audit chain and the jobs), the
suspended member's administrator for its own standing and work, the replay's exposed
member (its inventory and finding). The figure is the server's own
time per request, as its access log records it (``duration_ms``: from the first
middleware to the end of the response body), so the client's share of the machine does
not count; the client's round trip is reported beside it for context. No peer: the
target is absolute.

**Checked before any figure.** Every answer has the status the page should give (200,
or 404 for the missing page); a page that answers otherwise stops the benchmark (exit 1).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
import uvicorn
from rich.table import Table

from bench.common import OUT_DIR, console, fmt_ms, percentile, write_result

NAME: Final = "pages"
TARGET_P95_SECONDS: Final = 0.200
PASSWORD: Final = "bench-demo-password"  # noqa: S105 (a throwaway demo database)
OPERATOR: Final = "analyst@nvdb.example"
ADMIN: Final = "admin@nvdb.example"  # audit verification and jobs are its alone
MEMBER: Final = "psirt@alibaba-cloud.example"
EXPOSED: Final = "psirt@hosting.example"  # the replay's member with an inventory and a finding
HTML: Final = {"Accept": "text/html"}
AS_AT: Final = "2021-11-25T12:00:00Z"  # the day the member's alert would have come


class Durations(logging.Handler):
    """The access log's ``duration_ms`` of every request, by request id."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.by_id: dict[str, float] = {}
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        request_id = getattr(record, "request_id", None)
        duration = getattr(record, "duration_ms", None)
        if request_id is not None and duration is not None:
            with self._changed:
                self.by_id[str(request_id)] = float(duration) / 1000
                self._changed.notify_all()

    def wait(self, request_id: str, timeout: float = 5.0) -> float | None:
        """The server's time for a request (logged just after its body was sent)."""
        with self._changed:
            self._changed.wait_for(lambda: request_id in self.by_id, timeout)
            return self.by_id.pop(request_id, None)


@dataclass
class Page:
    name: str
    visitor: str
    path: str
    status: int = 200
    server: list[float] = field(default_factory=list)
    client: list[float] = field(default_factory=list)


@dataclass
class Demo:
    advisory: str
    report_id: str
    tracking_token: str
    invitation_token: str
    case: str
    inventory: str
    finding: str


def _prepare(directory: Path) -> tuple[Any, Demo]:
    """A migrated SQLite database with the demo and the extra records; the settings."""
    from clearinghouse import demo, migrate
    from clearinghouse.accounts import service as accounts
    from clearinghouse.app import build_runtime
    from clearinghouse.settings import Settings

    settings = Settings(
        database_url=f"sqlite:///{directory / 'pages.db'}",
        worker_in_process=False,
        log_level="INFO",
        log_json=True,
        data_dir=directory,
        intake_max_per_hour=1_000_000,
    )
    accounts.configure_password_hashing(settings.argon2_time_cost, settings.argon2_memory_kib)
    runtime = build_runtime(settings)
    migrate.upgrade(runtime.database.engine)
    console.print("loading the demo (the Log4Shell replay)...")
    demo.load(runtime, password=PASSWORD)
    extra = _extras(runtime)
    runtime.database.dispose()
    return settings, extra


def _extras(runtime: Any) -> Demo:
    from sqlalchemy import select

    from clearinghouse.cases import intake, participants, report_messages
    from clearinghouse.cases.models import Case, Report
    from clearinghouse.cases.rules import reports as report_rules
    from clearinghouse.exposure.models import Finding, Inventory
    from clearinghouse.principal import SYSTEM
    from clearinghouse.vocab import ParticipantRole

    now = runtime.clock.now()
    settings = runtime.settings
    with runtime.database.transaction() as s:
        case = s.scalars(select(Case)).first()
        assert case is not None, "the demo made no case"
        advisory = _published_advisory(s, case, runtime)
        fields = report_rules.parse_report(
            {
                "title": "Stored XSS in the admin console",
                "product": "Acme Console 7",
                "description": "A crafted name runs script in an administrator's browser.",
            }
        )
        done = intake.submit(
            s,
            actor=SYSTEM,
            fields=fields,
            answers=intake.Answers(),
            uploads=[],
            now=now,
            client="bench",
        )
        assert done.tracking_token is not None
        report = s.get(Report, done.report.id)
        assert report is not None
        report_messages.post(s, actor=SYSTEM, report=report, body="Reproduced, thanks.", now=now)
        invited = participants.add(
            s,
            actor=SYSTEM,
            case=case,
            role=ParticipantRole.VENDOR,
            email="psirt@vendor.example",
            now=now,
            base_url=settings.base_url,
            secret=settings.secret_key.get_secret_value(),
        )
        assert invited.invitation_url is not None
        _shared_collection(s, now)
        inventory = s.scalars(select(Inventory)).first()
        finding = s.scalars(select(Finding)).first()
        assert inventory is not None, "the replay uploaded no inventory"
        assert finding is not None, "the replay matched nothing"
        return Demo(
            case=str(case.public_id),
            inventory=str(inventory.id),
            finding=str(finding.id),
            advisory=advisory,
            report_id=str(report.id),
            tracking_token=done.tracking_token,
            invitation_token=urlsplit(invited.invitation_url).fragment,
        )


SHARED_OBJECTS: Final = 50  # one page of the sharing page


def _shared_collection(session: Any, now: Any) -> None:
    """A community collection with one page of indicators (every TLP) that the exposed
    member shared, for the sharing pages (the demo shares nothing)."""
    from sqlalchemy import select
    from tests.support.stix_objects import indicator

    from clearinghouse.accounts import service as accounts
    from clearinghouse.accounts.models import User
    from clearinghouse.formats.model import Tlp
    from clearinghouse.principal import SYSTEM, Via
    from clearinghouse.sharing import service as sharing
    from clearinghouse.sharing import store

    user = session.scalars(select(User).where(User.email == EXPOSED)).one()
    membership = accounts.membership_of(session, user.id)
    collection = sharing.create_collection(
        session,
        sharing.CollectionSpec(
            alias="log4shell-iocs",
            title="Log4Shell indicators",
            community=True,
            writer_org_ids=frozenset({membership.organisation_id}),
        ),
        actor=SYSTEM,
        now=now,
    )
    producer = accounts.principal_for(membership, Via.TOKEN)
    tlps = list(Tlp)
    objects = [indicator(n, tlps[n % len(tlps)]) for n in range(SHARED_OBJECTS)]
    outcome = store.add_objects(session, collection, producer, objects, now=now)
    assert not outcome.failures, outcome.failures


def _published_advisory(session: Any, case: Any, runtime: Any) -> str:
    """The demo's case published as a TLP:CLEAR advisory (the demo stops before that)."""
    from clearinghouse.advisories import drafting, publish, service
    from clearinghouse.formats.model import Tlp
    from clearinghouse.principal import SYSTEM

    settings = runtime.settings
    saved = drafting.draft_from_case(
        session,
        case,
        actor=SYSTEM,
        now=runtime.clock.now(),
        publisher=service.platform_publisher(settings),
        tlp=Tlp.CLEAR,
    )
    render = publish.render_context(settings.base_url, settings.platform_name)
    publish.publish(session, saved.advisory, actor=SYSTEM, now=runtime.clock.now(), render=render)
    return str(saved.advisory.public_id)


@contextmanager
def _serving(settings: Any) -> Iterator[str]:
    from clearinghouse.app import create_app

    app = create_app(settings)
    with socket_port() as port:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=15)


@contextmanager
def socket_port() -> Iterator[int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    yield port


def _visitors(base: str, demo: Demo) -> dict[str, httpx.Client]:
    anonymous = httpx.Client(base_url=base, headers=HTML, timeout=60)
    finder = httpx.Client(base_url=base, headers=HTML, timeout=60)
    finder.get(f"/reports/track?token={demo.tracking_token}")
    vendor = httpx.Client(base_url=base, headers=HTML, timeout=60)
    vendor.get(f"/invitations/open?token={demo.invitation_token}")
    return {
        "anonymous": anonymous,
        "finder": finder,
        "vendor": vendor,
        "operator": _signed_in(base, OPERATOR),
        "admin": _signed_in(base, ADMIN),
        "exposed": _signed_in(base, EXPOSED),
        "member": _signed_in(base, MEMBER),
    }


def _signed_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, headers=HTML, timeout=60)
    form = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    signed = client.post(
        "/sign-in", data={"csrf_token": token.group(1), "email": email, "password": PASSWORD}
    )
    assert signed.status_code == 303, signed.text[:300]
    return client


def _pages(demo: Demo) -> list[Page]:
    return [
        Page("home", "anonymous", "/"),
        Page("advisories", "anonymous", "/advisories"),
        Page("advisories search", "anonymous", "/advisories?q=CVE-2021-44228"),
        Page("advisory", "anonymous", f"/advisories/{demo.advisory}"),
        Page("report form", "anonymous", "/report"),
        Page("sign-in", "anonymous", "/sign-in"),
        Page("tracking token form", "anonymous", "/reports/track"),
        Page("invitation token form", "anonymous", "/invitations/open"),
        Page("not found", "anonymous", "/no/such/page", status=404),
        Page("finder's status page", "finder", "/reports/track"),
        Page("invitation", "vendor", "/invitation"),
        Page("advisories (operator)", "operator", "/advisories"),
        Page("advisory (operator)", "operator", f"/advisories/{demo.advisory}"),
        Page("reports", "operator", "/reports"),
        Page("report", "operator", f"/reports/{demo.report_id}"),
        Page("settings", "operator", "/settings"),
        Page("dashboard", "operator", "/dashboard"),
        Page("dashboard as at", "operator", f"/dashboard?at={AS_AT}"),
        Page("cases", "operator", "/cases"),
        Page("case", "operator", f"/cases/{demo.case}"),
        Page("case as at", "operator", f"/cases/{demo.case}?at={AS_AT}"),
        Page("case timeline", "operator", f"/cases/{demo.case}/timeline"),
        Page("members", "operator", "/members"),
        Page("member", "operator", "/members/alibaba-cloud"),
        Page("member as at", "operator", "/members/alibaba-cloud?at=2021-12-22T16:00:00Z"),
        Page("own standing", "member", "/members/alibaba-cloud"),
        Page("audit trail", "operator", "/audit"),
        Page("audit trail as at", "operator", "/audit?at=2021-12-10T00:00:00Z"),
        Page("audit chain", "admin", "/audit/verify"),
        Page("jobs", "admin", "/jobs"),
        Page("my work (member)", "member", "/work"),
        Page("obligations (member)", "member", "/obligations"),
        Page("obligations (operator)", "operator", "/obligations"),
        Page("API tokens (member)", "member", "/settings/tokens"),
        Page("webhooks (member)", "member", "/settings/webhooks"),
        Page("notification settings (member)", "member", "/settings/notifications"),
        Page("advisory drafts", "operator", "/editor/advisories"),
        Page("advisory editor", "operator", f"/editor/advisories/{demo.advisory}"),
        Page(
            "advisory preview (CSAF)",
            "operator",
            f"/editor/advisories/{demo.advisory}/preview/csaf",
        ),
        Page("case exposure", "operator", f"/cases/{demo.case}/exposure"),
        Page("inventories (operator)", "operator", "/exposure/inventories"),
        Page("findings (operator)", "operator", "/exposure/findings"),
        Page("inventories", "exposed", "/exposure/inventories"),
        Page("inventory", "exposed", f"/exposure/inventories/{demo.inventory}"),
        Page("findings", "exposed", "/exposure/findings"),
        Page("finding", "exposed", f"/exposure/findings/{demo.finding}"),
        Page("declared products", "exposed", "/members/example-hosting/products"),
        Page("sharing collections (member)", "member", "/sharing/collections"),
        Page("shared objects (producer)", "exposed", "/sharing/collections/log4shell-iocs"),
        Page("shared objects (member)", "member", "/sharing/collections/log4shell-iocs"),
        Page("sharing groups (member)", "member", "/sharing/groups"),
        Page("what we shared (member)", "member", "/sharing/sightings"),
    ]


def _measure(
    pages: list[Page], visitors: dict[str, httpx.Client], durations: Durations, requests: int
) -> str | None:
    """Ask every page ``requests`` times, round-robin (a slow moment hits all pages)."""
    for _ in range(requests):
        for page in pages:
            started = time.perf_counter()
            answer = visitors[page.visitor].get(page.path)
            elapsed = time.perf_counter() - started
            if answer.status_code != page.status:
                return f"{page.name}: {answer.status_code}, expected {page.status}"
            server = durations.wait(answer.headers.get("x-request-id", ""))
            if server is None:
                return f"{page.name}: the access log recorded no duration"
            page.server.append(server)
            page.client.append(elapsed)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--requests", type=int, default=50, help="measured asks per page")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured asks per page")
    parser.add_argument("--quick", action="store_true", help="5 asks per page (smoke run)")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    requests = 5 if args.quick else args.requests
    durations = Durations()
    access = logging.getLogger("clearinghouse.access")
    with tempfile.TemporaryDirectory() as folder:
        settings, demo = _prepare(Path(folder))
        pages = _pages(demo)
        with _serving(settings) as base:
            # after create_app configured the logging: keep the terminal to warnings
            for handler in logging.getLogger("clearinghouse").handlers:
                handler.setLevel(logging.WARNING)
            access.addHandler(durations)
            visitors = _visitors(base, demo)
            try:
                problem = _measure(pages, visitors, durations, args.warmup)
                if problem is None:
                    for page in pages:
                        page.server.clear()
                        page.client.clear()
                    problem = _measure(pages, visitors, durations, requests)
            finally:
                access.removeHandler(durations)
                for client in visitors.values():
                    client.close()
    if problem is not None:
        console.print(f"[red]stopped: {problem}[/red]")
        return 1
    _report(pages, requests, args.out_dir)
    return 0


def _report(pages: list[Page], requests: int, out_dir: Path) -> None:
    table = Table(title=f"Server-side render time per page ({requests} asks each)")
    for column in ("page", "visitor", "median", "p95", "max", "client p95", "p95 < 200 ms"):
        table.add_column(column, justify="left" if column in ("page", "visitor") else "right")
    rows = []
    for page in pages:
        p95 = percentile(page.server, 95)
        table.add_row(
            page.name,
            page.visitor,
            fmt_ms(_median(page.server)),
            fmt_ms(p95),
            fmt_ms(max(page.server)),
            fmt_ms(percentile(page.client, 95)),
            "yes" if p95 < TARGET_P95_SECONDS else "[red]no[/red]",
        )
        rows.append(
            {
                "page": page.name,
                "visitor": page.visitor,
                "path": page.path,
                "server_seconds": page.server,
                "client_seconds": page.client,
                "median_seconds": _median(page.server),
                "p95_seconds": p95,
            }
        )
    console.print(table)
    slow = [p.name for p in pages if percentile(p.server, 95) >= TARGET_P95_SECONDS]
    console.print(
        "every page under 200 ms p95" if not slow else f"over 200 ms p95: {', '.join(slow)}"
    )
    path = write_result(NAME, {"requests": requests, "pages": rows}, out_dir)
    console.print(f"raw timings: {path}")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


if __name__ == "__main__":
    sys.exit(main())
