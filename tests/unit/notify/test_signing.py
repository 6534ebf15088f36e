"""Standard Webhooks signatures: the published test vector, tampering, freshness,
rotation (several signatures), and sign/verify round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.notify import signing

# The vector published with the Standard Webhooks reference implementations.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = '{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_reproduces_the_published_vector() -> None:
    assert signing.sign(SECRET, MSG_ID, TIMESTAMP, BODY) == EXPECTED
    assert signing.sign(SECRET.removeprefix("whsec_"), MSG_ID, TIMESTAMP, BODY.encode()) == EXPECTED


def _headers(**override: str) -> dict[str, str]:
    headers = {
        "Webhook-Id": MSG_ID,
        "Webhook-Timestamp": str(TIMESTAMP),
        "Webhook-Signature": EXPECTED,
    }
    headers.update(override)
    return headers


def test_verify_accepts_the_vector_and_returns_the_id() -> None:
    assert signing.verify(SECRET, _headers(), BODY, now=TIMESTAMP + 10) == MSG_ID


def test_one_matching_signature_among_several_is_enough() -> None:
    rotated = f"v1,bm9wZQ== v2,{EXPECTED[3:]} {EXPECTED}"
    assert signing.verify(SECRET, _headers(**{"Webhook-Signature": rotated}), BODY, now=TIMESTAMP)


@pytest.mark.parametrize(
    ("headers", "body", "now", "problem"),
    [
        (_headers(), BODY.replace("2432232314", "2432232315"), TIMESTAMP, "no signature matches"),
        (_headers(**{"Webhook-Id": "msg_other"}), BODY, TIMESTAMP, "no signature matches"),
        (_headers(**{"Webhook-Signature": "v2," + EXPECTED[3:]}), BODY, TIMESTAMP, "no signature"),
        (_headers(), BODY, TIMESTAMP + 301, "too old"),
        (_headers(), BODY, TIMESTAMP - 301, "from the future"),
        (_headers(**{"Webhook-Timestamp": "1614265330.0"}), BODY, TIMESTAMP, "Unix seconds"),
        ({"webhook-id": MSG_ID, "webhook-timestamp": str(TIMESTAMP)}, BODY, TIMESTAMP, "missing"),
    ],
)
def test_verify_refuses(headers: dict[str, str], body: str, now: int, problem: str) -> None:
    with pytest.raises(signing.WebhookVerificationError, match=problem):
        signing.verify(SECRET, headers, body, now=now)


def test_a_different_secret_does_not_verify() -> None:
    with pytest.raises(signing.WebhookVerificationError):
        signing.verify(signing.generate_secret(), _headers(), BODY, now=TIMESTAMP)


def test_generated_secrets_are_whsec_base64_of_random_bytes() -> None:
    secrets = {signing.generate_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(signing.secret_bytes(secret)) == 32
    assert len(signing.secret_bytes(signing.generate_secret(24))) == 24
    with pytest.raises(ValueError, match="24 to 64"):
        signing.generate_secret(16)


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not base64!", "whsec_abc"])
def test_malformed_secrets_are_refused(secret: str) -> None:
    with pytest.raises(signing.InvalidWebhookSecretError):
        signing.sign(secret, MSG_ID, TIMESTAMP, BODY)


@given(
    msg_id=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and " " not in s),
    body=st.binary(max_size=500),
    timestamp=st.integers(0, 2**33),
    skew=st.integers(-300, 300),
)
def test_sign_then_verify_round_trips(msg_id: str, body: bytes, timestamp: int, skew: int) -> None:
    secret = signing.generate_secret()
    headers = signing.signed_headers(secret, msg_id, timestamp, body)
    assert signing.verify(secret, headers, body, now=timestamp + skew) == msg_id
