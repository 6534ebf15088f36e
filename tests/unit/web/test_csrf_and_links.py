"""A page's CSRF token is masked afresh every time and unmasks to the same secret; local
redirects only."""

from __future__ import annotations

import pytest

from clearinghouse.accounts.authn import mask_csrf, unmask_csrf
from clearinghouse.web.context import local_url


def test_a_masked_token_differs_every_time_and_unmasks_to_the_secret() -> None:
    secret = "kQ2w3Xx0aNf2bq9m0oG7v2r1Fh8pS0aa"
    masked = {mask_csrf(secret) for _ in range(20)}
    assert len(masked) == 20
    assert all(secret not in m for m in masked)
    assert {unmask_csrf(m) for m in masked} == {secret}


@pytest.mark.parametrize("sent", ["~", "~!!!", "~AAAA", "~" + "A" * 7])
def test_a_malformed_masked_token_unmasks_to_nothing(sent: str) -> None:
    assert unmask_csrf(sent) == ""


def test_an_unmasked_token_is_taken_as_sent() -> None:
    assert unmask_csrf("plain-header-token") == "plain-header-token"


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("/reports/track", "/reports/track"),
        ("/advisories?q=log4j", "/advisories?q=log4j"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\nSet-Cookie: x=1", "/"),
    ],
)
def test_redirects_stay_on_this_site(url: str, safe: str) -> None:
    assert local_url(url) == safe
