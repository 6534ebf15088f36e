"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

No browser is downloaded: Playwright launches the system Chromium. Where it is missing,
the UI tests are skipped with the reason (and `.ci/run` installs it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.conftest import clock, platform  # noqa: F401 (shared fixtures)

CHROMIUM = os.environ.get("CLEARINGHOUSE_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Package scope, not session: Playwright's sync API keeps an asyncio loop running in the
# main thread while it is open, and every later test that calls ``asyncio.run`` (the load
# benchmark's smoke test) would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="package")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()
