"""The API documentation page renders in a real browser from the platform's own assets:
no request leaves the platform (it must work on an isolated network)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from tests.functional.conftest import Platform


def test_docs_page_renders_offline(platform: Platform, browser: Any, tmp_path: Any) -> None:
    page = browser.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    page.goto(f"{platform.url}/api/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "Clearinghouse" in page.inner_text(".swagger-ui .info .title")
    # The operations of the API are listed (rendered from /openapi.json).
    page.wait_for_selector(".opblock-summary-path[data-path='/api/v1/tokens']", timeout=10_000)
    page.screenshot(path=str(tmp_path / "api-docs.png"))
    page.close()
    assert hosts == {urlparse(platform.url).netloc}
