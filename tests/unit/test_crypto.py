"""Secrets at rest: round trip, a different key is a typed error, ciphertexts differ."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.crypto import HKDF_INFO, SecretBox, SecretDecryptionError, derive_key

KEY = "a-long-random-secret-key-for-tests-0123456789"


def test_round_trip_and_fresh_ciphertexts() -> None:
    box = SecretBox(KEY)
    one, two = box.encrypt("whsec_abc"), box.encrypt("whsec_abc")
    assert one != two  # random IV: equal secrets do not look equal at rest
    assert "whsec_abc" not in one
    assert box.decrypt(one) == box.decrypt(two) == "whsec_abc"
    assert SecretBox(KEY).decrypt(one) == "whsec_abc"  # same key, new box: still readable


def test_a_different_key_is_a_typed_error() -> None:
    token = SecretBox(KEY).encrypt("whsec_abc")
    with pytest.raises(SecretDecryptionError, match="CLEARINGHOUSE_SECRET_KEY") as caught:
        SecretBox(KEY + "x").decrypt(token)
    assert caught.value.code == "secret-undecryptable"


@pytest.mark.parametrize("token", ["", "not-a-token", "gAAAAA" + "A" * 80])
def test_garbage_is_a_typed_error(token: str) -> None:
    with pytest.raises(SecretDecryptionError):
        SecretBox(KEY).decrypt(token)


def test_the_key_depends_on_the_purpose_label() -> None:
    assert derive_key(KEY) == derive_key(KEY, info=HKDF_INFO)
    assert derive_key(KEY) != derive_key(KEY, info=b"session signing")
    assert len(derive_key(KEY)) == 32
    with pytest.raises(ValueError, match="empty"):
        derive_key("")


@settings(max_examples=50)
@given(st.text(max_size=200))
def test_any_text_round_trips(plaintext: str) -> None:
    box = SecretBox(KEY)
    assert box.decrypt(box.encrypt(plaintext)) == plaintext
