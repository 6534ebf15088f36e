"""A member's exposure story on the Log4Shell replay, in a real browser, by clicking and
typing: it signs in, uploads an SBOM with log4j-core 2.14.1 by the form, sees the
components, the finding against the replay's published advisory once the matching job
has run, answers it (not affected needs a justification: the form says so first) and
publishes a VEX statement. Screenshots of each step in English and Chinese go to
var/screenshots/{en,zh-Hans}/, and axe-core checks each. Any console error, uncaught
exception, dialog or 5xx fails it."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clearinghouse import demo
from clearinghouse.app import build_registry, build_runtime, create_app
from clearinghouse.db import Database
from clearinghouse.jobs.worker import Worker
from clearinghouse.settings import Settings
from clearinghouse.timeutil import FixedClock
from tests.conftest import REPO
from tests.functional.conftest import make_settings
from tests.support.browser import Watch, axe_source, axe_violations, screenshot
from tests.support.server import serve

PASSWORD = "replay-password-1"
MEMBER = "psirt@hosting.example"
SBOM = REPO / "tests" / "fixtures" / "exposure" / "sbom" / "log4j-core-2.14.1.cdx.json"
ADVISORY = "CHSA-2021-0001"


class Replay:
    def __init__(self, url: str, database: Database, settings: Settings, clock: FixedClock):
        self.url, self.database, self.settings, self.clock = url, database, settings, clock

    def run_jobs(self) -> int:
        worker = Worker(
            self.database, build_registry(self.settings), self.clock, self.settings, "ui"
        )
        return worker.run_until_idle()


@pytest.fixture
def replay(database: Database) -> Iterator[Replay]:
    settings = make_settings(database.url)
    # In a thread of its own: the replay runs its own event loop, and Playwright's (the
    # browser fixture's, set up first) is running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(
            demo.load, build_runtime(settings, database=database), password=PASSWORD
        ).result()
    clock = FixedClock(datetime(2022, 1, 10, 9, 0, tzinfo=UTC))
    with serve(create_app(settings, clock=clock, database=database)) as url:
        yield Replay(url, database, settings, clock)


def in_chinese(page: Any) -> None:
    """Switch the page to Simplified Chinese with the language button."""
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"


class Steps:
    """Screenshots and axe-core at each step, in the page's language."""

    def __init__(self) -> None:
        self.axe = axe_source()
        self.violations: list[str] = []
        self.shots: list[Path] = []

    def __call__(self, page: Any, name: str, language: str = "en") -> None:
        self.shots.append(screenshot(page, f"exposure-story-{name}", language))
        self.violations += [f"{name}: {v}" for v in axe_violations(page, self.axe)]


def test_a_member_uploads_an_sbom_sees_the_finding_and_answers_it(
    replay: Replay, browser: Any, tmp_path: Path
) -> None:
    watch = Watch(expected={422})
    step = Steps()
    page = watch.attach(browser.new_context(timezone_id="Asia/Shanghai").new_page())
    page.goto(replay.url + "/sign-in")
    page.get_by_label("E-mail address").press_sequentially(MEMBER)
    page.get_by_label("Password").press_sequentially(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

    page.get_by_role("link", name="Exposure").click()
    page.get_by_role("link", name="Inventories").click()
    page.wait_for_url("**/exposure/inventories")
    step(page, "inventories")
    sbom = tmp_path / "payments.cdx.json"
    sbom.write_bytes(SBOM.read_bytes())
    page.get_by_label("System or product").press_sequentially("payments gateway")
    page.get_by_label("SBOM file").set_input_files(str(sbom))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url("**/exposure/inventories/*")
    assert page.get_by_role("heading", name="payments gateway").is_visible()
    components = page.locator("#components + p + table").inner_text()
    assert "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" in components
    step(page, "inventory")

    assert replay.run_jobs() >= 1  # the upload's matching job
    page.get_by_role("link", name="Its findings").click()
    page.wait_for_url("**/exposure/findings?inventory=*")
    rows = page.locator("tr[data-finding-id]")
    assert rows.count() == 1
    assert ADVISORY in rows.inner_text()
    step(page, "findings")
    rows.get_by_role("link", name=ADVISORY).click()
    page.wait_for_url("**/exposure/findings/*")
    assert page.locator("[data-state]").first.get_attribute("data-state") == "new"
    step(page, "finding")

    answer = page.get_by_role("group", name="Your answer")
    answer.get_by_label("not affected").check()
    page.get_by_role("button", name="Save the answer").click()  # no justification yet
    assert page.locator(".error-summary").is_visible()
    step(page, "finding-error")
    page.get_by_label("Justification (required when not affected)").select_option(
        "vulnerable_code_not_in_execute_path"
    )
    page.get_by_label("Reason").press_sequentially("JNDI lookups are disabled in this service.")
    page.get_by_role("group", name="Your answer").get_by_label("not affected").check()
    page.get_by_role("button", name="Save the answer").click()
    page.wait_for_url("**#history")
    assert page.locator("[data-state]").first.get_attribute("data-state") == "not_affected"
    history = page.locator("#history + ol").inner_text()
    assert "JNDI lookups are disabled in this service." in history
    step(page, "answered")

    page.get_by_role("button", name="Publish the VEX statement").click()
    page.wait_for_url("**/exposure/vex/*")
    document = page.locator("pre").inner_text()
    assert '"state": "not_affected"' in document
    assert '"justification": "code_not_reachable"' in document
    step(page, "vex")

    in_chinese(page)
    step(page, "vex", "zh-Hans")
    page.goto(replay.url + "/exposure/findings")
    step(page, "findings", "zh-Hans")
    page.locator("tr[data-finding-id] a").first.click()
    page.wait_for_url("**/exposure/findings/*")
    step(page, "finding", "zh-Hans")

    assert step.violations == [], "\n".join(step.violations)
    watch.check()
    assert all(p.stat().st_size > 5000 for p in step.shots)
