"""The operator's case work in real Chromium, on the Log4Shell replay (the demo), by
clicking and typing: the dashboard, the case, the timeline picture (now and as at 25
November 2021), triaging a report that arrives through the form, and posting in the
case thread. Screenshots into var/screenshots/{en,zh-Hans}/; fails on any console
error or 5xx; axe-core finds no serious or critical violation.

The demo is loaded by the command line in a process of its own (the replay runs its
own event loop, which cannot start where Playwright's already runs), then served here
with the clock at 10 January 2022: on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.accounts import service as accounts
from clearinghouse.app import create_app
from clearinghouse.db import Database
from clearinghouse.settings import Settings
from clearinghouse.timeutil import FixedClock
from tests.support.browser import Watch, axe_source, axe_violations, screenshot
from tests.support.db import POSTGRES_ENV, PostgresSession, postgres_required
from tests.support.server import serve

PASSWORD = "operator-cases-demo-1"
ANALYST = "analyst@nvdb.example"
CASE = "CH-2021-0001"
CLI = str(Path(sys.executable).parent / "clearinghouse")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def replay(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _postgres: PostgresSession | None,
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("replay")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'demo.db'}"
    elif _postgres is None:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required but {POSTGRES_ENV} is not set")
        pytest.skip(f"PostgreSQL run: set {POSTGRES_ENV}")
    else:
        _postgres.truncate()  # this file's tests use it alone, in one worker (loadfile)
        url = _postgres.url
    env = {"CLEARINGHOUSE_DATABASE_URL": url, "CLEARINGHOUSE_DATA_DIR": str(folder)}
    for args in (["db", "upgrade"], ["demo", "load", "--password", PASSWORD]):
        done = subprocess.run(
            [CLI, *args],
            env={**_environment(), **env},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    settings = Settings(
        database_url=url, data_dir=folder, worker_in_process=False, log_level="WARNING"
    )
    accounts.configure_password_hashing(settings.argon2_time_cost, settings.argon2_memory_kib)
    clock = FixedClock(datetime(2022, 1, 10, tzinfo=UTC))
    database = Database(url)  # ours to close: the app leaves a database it is given open
    try:
        with serve(create_app(settings, clock=clock, database=database)) as base:
            yield base
    finally:
        database.dispose()


def _environment() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("CLEARINGHOUSE_")}


class Visit:
    def __init__(self, base: str, page: Any, language: str) -> None:
        self.base = base
        self.page = page
        self.language = language
        self.axe = axe_source()
        self.violations: list[str] = []

    def shot(self, name: str) -> None:
        self.page.wait_for_load_state()
        assert self.page.locator("html").get_attribute("lang") == self.language, name
        screenshot(self.page, f"operator-{name}", self.language)
        self.violations += [f"{name}: {v}" for v in axe_violations(self.page, self.axe)]

    def click(self, selector: str) -> None:
        self.page.locator(selector).first.click()
        self.page.wait_for_load_state()


def _sign_in(visit: Visit) -> None:
    page = visit.page
    page.goto(visit.base + "/sign-in")
    page.locator("#email").fill(ANALYST)
    page.locator("#password").fill(PASSWORD)
    visit.click("form.stack button[type=submit]")


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_the_operator_works_the_log4shell_case_in_the_browser(
    replay: str, browser: Any, language: str
) -> None:
    watch = Watch()
    context = browser.new_context(
        timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    page = watch.attach(context.new_page())
    visit = Visit(replay, page, language)
    page.goto(replay + "/")
    if language == "zh-Hans":
        visit.click("form.lang-switch button[value=zh-Hans]")

    # A third party reports through the form, by typing.
    page.goto(replay + "/report")
    page.locator("#title").fill(f"Log4j2 lookup bypass ({language})")
    page.locator("#product").fill("Apache Log4j 2")
    page.locator("#description").fill("A nested lookup still reaches JNDI.")
    visit.click("form.stack button[type=submit]")
    page.wait_for_url("**/report/received")

    _sign_in(visit)
    visit.click("header nav a[href='/dashboard']")
    visit.shot("dashboard")
    assert page.locator("tr[data-status=missed]").count() == 2  # cn-miit-2021, partner terms
    visit.click(f"tr[data-status=missed] a[href='/cases/{CASE}']")
    assert page.url.endswith(f"/cases/{CASE}")
    visit.shot("case")
    assert page.locator("[data-vendor-status=fixed]").count() == 4
    assert page.locator("#board [data-obligation-status=missed]").count() >= 0
    assert page.locator("svg.timeline g.window[data-status=missed]").count() == 2

    # The timeline picture on its own, now and as at 25 November 2021 (before the due).
    visit.click(f"a[href='/cases/{CASE}/timeline']")
    visit.shot("timeline")
    marks = page.locator("svg.timeline g.mark text").all_inner_texts()
    assert len(marks) >= 6  # aware, report, CVE advisory, suspension, reassessment...
    page.locator("#at").fill("2021-11-25T12:00:00Z")
    visit.click("form.as-at button[type=submit]")
    assert "at=2021-11-25T12" in page.url
    visit.shot("timeline-as-at")
    # the alert the member would have had: its two obligations running, not yet missed
    assert page.locator("svg.timeline g.window[data-status=due_soon]").count() == 2
    assert page.locator("svg.timeline g.window[data-status=missed]").count() == 0

    # Triage the new report: every decision point by clicking, then record it.
    visit.click("header nav a[href='/reports']")
    page.get_by_role("link", name=f"Log4j2 lookup bypass ({language})").click()
    page.wait_for_load_state()
    visit.shot("report-triage")
    for field, value in (
        ("report_public", "no"),
        ("supplier_contacted", "yes"),
        ("report_credibility", "credible"),
        ("supplier_cardinality", "multiple"),
        ("supplier_engagement", "active"),
        ("utility", "super effective"),
        ("public_safety_impact", "significant"),
    ):
        page.locator(f"#triage-form input[name='{field}'][value='{value}']").check()
    visit.click("#triage-form button[type=submit]")
    assert page.locator("[data-triage-outcome]").count() == 1
    visit.shot("report-triaged")

    # Post in the case thread by typing.
    page.goto(f"{replay}/cases/{CASE}")
    body = f"Reassessment evidence requested ({language})."
    page.locator("section.thread form textarea[name=body]").first.fill(body)
    visit.click("section.thread form button[type=submit]")
    assert page.locator("section.thread .messages .body", has_text=body).count() == 1
    visit.shot("case-message-posted")

    context.close()
    assert visit.violations == [], "\n".join(visit.violations)
    watch.check()
