"""Helpers for the browser suite: a page watched for console errors, uncaught exceptions,
5xx answers and dialogs (an XSS payload that ran would open one); axe-core run in the page;
screenshots into var/screenshots/."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
AXE_DIR = REPO / "tools" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "var" / "screenshots"
BLOCKING = ("serious", "critical")


def axe_source() -> str:
    """axe-core's script (installed by ``make browser-tools``; installed here if missing)."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: axe-core cannot be installed (tools/axe)")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=AXE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"npm ci in tools/axe failed (offline?): {done.stderr[-500:]}")
    return AXE_JS.read_text()


@dataclass
class Watch:
    """What went wrong in a page while a test drove it."""

    problems: list[str] = field(default_factory=list)
    expected: set[int] = field(default_factory=set)  # statuses a test asks for on purpose

    def attach(self, page: Any) -> Any:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught: {exc}"))
        page.on("response", self._response)
        page.on("dialog", self._dialog)
        return page

    def _console(self, message: Any) -> None:
        text = str(message.text)
        if any(f"status of {status} " in text for status in self.expected):
            return  # the browser reporting the error page a test navigated to
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {text}")

    def _response(self, response: Any) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"a dialog opened (a script ran?): {dialog.message}")
        dialog.dismiss()

    def check(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


def axe_violations(page: Any, source: str) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(f"() => {{ {source}\n }}")
    result = page.evaluate(
        "async () => (await window.axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}"
        for v in result
        if v["impact"] in BLOCKING
    ]


def screenshot(page: Any, name: str, language: str) -> Path:
    folder = SCREENSHOTS / language
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower()).strip('-')}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
