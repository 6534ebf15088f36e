from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.cases.rules import links
from clearinghouse.cases.rules.links import (
    ExpiredLinkError,
    InvalidTrackingToken,
    LinkError,
    LinkPayloadTooLarge,
    LinkPurpose,
    MalformedLinkError,
    TamperedLinkError,
    WeakLinkKeyError,
)
from clearinghouse.errors import ConfigurationError, InvalidInput, Unauthenticated

SECRET = "a-test-platform-secret-of-sufficient-length"
KEY = links.derive_key(SECRET, LinkPurpose.VENDOR_INVITATION)
NOW = datetime(2021, 11, 25, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=14)
PAYLOAD = {"case": "CH-2021-0001", "participant": "apache-logging", "role": "vendor"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_round_trip() -> None:
    token = links.sign(PAYLOAD, KEY, LATER)
    assert links.verify(token, KEY, NOW) == PAYLOAD
    head, mac = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    assert body == {"exp": int(LATER.timestamp()), "p": PAYLOAD}
    expected = hmac.new(KEY, head.encode(), hashlib.sha256).digest()
    assert mac == _b64(expected)  # the documented format, checked independently


def test_token_is_url_safe_and_compact() -> None:
    token = links.sign(PAYLOAD, KEY, LATER)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert len(token) < 200


def test_expiry_is_exclusive() -> None:
    token = links.sign(PAYLOAD, KEY, LATER)
    assert links.verify(token, KEY, LATER - timedelta(seconds=1)) == PAYLOAD
    with pytest.raises(ExpiredLinkError) as info:
        links.verify(token, KEY, LATER)
    assert info.value.extensions["expired_at"] == "2021-12-09T08:00:00Z"
    assert isinstance(info.value, LinkError)
    assert isinstance(info.value, Unauthenticated)


def test_a_different_purpose_or_secret_does_not_verify() -> None:
    token = links.sign(PAYLOAD, KEY, LATER)
    other_purpose = links.derive_key(SECRET, LinkPurpose.EMBARGO_RESPONSE)
    other_secret = links.derive_key(SECRET + "-rotated", LinkPurpose.VENDOR_INVITATION)
    assert other_purpose != KEY
    assert other_secret != KEY
    for key in (other_purpose, other_secret):
        with pytest.raises(TamperedLinkError):
            links.verify(token, key, NOW)


def test_key_derivation_is_deterministic_and_accepts_bytes() -> None:
    assert links.derive_key(SECRET.encode(), LinkPurpose.VENDOR_INVITATION) == KEY
    assert len(KEY) == 32
    keys = {links.derive_key(SECRET, purpose) for purpose in LinkPurpose}
    assert len(keys) == len(LinkPurpose)


def test_weak_keys_are_refused() -> None:
    with pytest.raises(WeakLinkKeyError):
        links.derive_key("short", LinkPurpose.VENDOR_INVITATION)
    with pytest.raises(WeakLinkKeyError):
        links.derive_key(SECRET, "vendor-invitation")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        links.sign(PAYLOAD, b"k" * 31, LATER)
    with pytest.raises(ConfigurationError):
        links.verify("a.b", b"k" * 31, NOW)


def test_tampering_is_detected() -> None:
    token = links.sign(PAYLOAD, KEY, LATER)
    head, mac = token.split(".")
    forged_body = json.dumps({"exp": int(LATER.timestamp()), "p": {**PAYLOAD, "role": "admin"}})
    with pytest.raises(TamperedLinkError):
        links.verify(f"{_b64(forged_body.encode())}.{mac}", KEY, NOW)
    # A longer validity with the old signature:
    longer = json.dumps({"exp": int(LATER.timestamp()) + 10**6, "p": PAYLOAD}, sort_keys=True)
    with pytest.raises(TamperedLinkError):
        links.verify(f"{_b64(longer.encode())}.{mac}", KEY, NOW)
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    with pytest.raises(LinkError):
        links.verify(f"{head}.{flipped}", KEY, NOW)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_single_character_change_is_rejected(data: st.DataObject) -> None:
    token = links.sign(PAYLOAD, KEY, LATER)
    index = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.characters(codec="ascii"))
    mutated = token[:index] + replacement + token[index + 1 :]
    if mutated == token:
        return
    with pytest.raises(LinkError):
        links.verify(mutated, KEY, NOW)


def test_non_canonical_base64_is_malformed() -> None:
    token = links.sign(PAYLOAD, KEY, LATER)
    head, mac = token.split(".")
    # 32 bytes encode to 43 characters whose last one carries 2 unused bits; set them.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(mac[-1])
    variant = mac[:-1] + alphabet[last | 1]
    assert variant != mac
    with pytest.raises(MalformedLinkError, match="canonical"):
        links.verify(f"{head}.{variant}", KEY, NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "nodot",
        "a.b.c",
        "a.",
        ".b",
        "a+b.c/d",
        "abc=.def",
        "x" * 5000,
        "é.é",
        None,
    ],
)
def test_malformed_tokens(token: Any) -> None:
    with pytest.raises(MalformedLinkError):
        links.verify(token, KEY, NOW)


def test_signed_but_wrong_shape_is_malformed() -> None:
    # Only someone holding the key can produce these; they must still not crash.
    for body in (b"[]", b"not json", b'{"exp": "soon", "p": {}}', b'{"exp": true, "p": {}}'):
        head = _b64(body)
        mac = _b64(hmac.new(KEY, head.encode(), hashlib.sha256).digest())
        with pytest.raises(MalformedLinkError):
            links.verify(f"{head}.{mac}", KEY, NOW)


def test_payload_limits_and_types() -> None:
    with pytest.raises(LinkPayloadTooLarge):
        links.sign({"blob": "x" * 3000}, KEY, LATER)
    assert links.verify(links.sign({"blob": "x" * 1900}, KEY, LATER), KEY, NOW)
    with pytest.raises(InvalidInput):
        links.sign({"when": NOW}, KEY, LATER)
    with pytest.raises(InvalidInput):
        links.sign({"x": float("nan")}, KEY, LATER)
    with pytest.raises(InvalidInput):
        links.sign({1: "x"}, KEY, LATER)  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="naive"):
        links.sign(PAYLOAD, KEY, datetime(2030, 1, 1))


def test_unicode_payload_round_trips() -> None:
    payload = {"vendor": "阿里云", "note": "Zürich"}
    assert links.verify(links.sign(payload, KEY, LATER), KEY, NOW) == payload


# ---------------------------------------------------------------------- tracking tokens


def test_tracking_tokens_are_random_and_shaped() -> None:
    tokens = {links.new_tracking_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert token.startswith("chr_")
        assert len(token) == 47
        assert links.parse_tracking_token(f"  {token}\n") == token


def test_hash_is_sha256_and_matches_in_constant_time() -> None:
    token = links.new_tracking_token()
    stored = links.hash_token(token)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored
    assert links.tracking_token_matches(token, stored)
    assert not links.tracking_token_matches(links.new_tracking_token(), stored)
    assert not links.tracking_token_matches("garbage", stored)


@pytest.mark.parametrize("text", ["", "chr_", "chr_short", "xyz_" + "a" * 43, "chr_" + "a" * 44])
def test_bad_tracking_tokens(text: str) -> None:
    with pytest.raises(InvalidTrackingToken):
        links.parse_tracking_token(text)
    with pytest.raises(InvalidTrackingToken):
        links.hash_token(text)
