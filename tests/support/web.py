"""Driving the pages over HTTP without a browser: a client that asks for HTML, reads a
page's CSRF token and posts its forms as a browser would."""

from __future__ import annotations

import html
import re

import httpx

HTML = {"Accept": "text/html,application/xhtml+xml"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return html.unescape(found.group(1))


def title_of(page: str) -> str:
    found = _TITLE.search(page)
    assert found is not None
    return html.unescape(found.group(1))


def get(client: httpx.Client, path: str, **kwargs: object) -> httpx.Response:
    return client.get(path, headers=HTML, **kwargs)  # type: ignore[arg-type]


def submit(
    client: httpx.Client,
    form_page: str,
    action: str,
    data: dict[str, str],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
) -> httpx.Response:
    """Open ``form_page``, then post ``data`` to ``action`` with that page's token."""
    page = get(client, form_page)
    assert page.status_code < 500, page.text[:500]
    token = csrf_of(page.text)
    return client.post(action, data={"csrf_token": token, **data}, files=files, headers=HTML)


def sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return submit(client, "/sign-in", "/sign-in", {"email": email, "password": password})


def signed_in(client: httpx.Client, email: str, password: str) -> httpx.Client:
    """``client``, signed in through the form as ``email``."""
    answer = sign_in(client, email, password)
    assert answer.status_code == 303, answer.text[:500]
    return client


def textarea(page: str, field_id: str) -> str | None:
    """The text of the page's textarea with id ``field_id`` (None without one)."""
    found = re.search(rf'<textarea id="{re.escape(field_id)}"[^>]*>([^<]*)</textarea>', page)
    return None if found is None else html.unescape(found.group(1))
