"""Secrets at rest: strings the platform must read back (webhook signing secrets...).

A :class:`SecretBox` encrypts with Fernet (AES-128-CBC + HMAC-SHA256, authenticated).
Its key is derived from the settings secret key with HKDF under a fixed purpose label,
so the same secret key can sign sessions elsewhere without the two uses ever sharing
key material. Rotating ``CLEARINGHOUSE_SECRET_KEY`` makes every stored secret
unreadable: :class:`SecretDecryptionError` says so instead of returning garbage.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clearinghouse.errors import ClearinghouseError

HKDF_INFO = b"clearinghouse secrets at rest"


class SecretDecryptionError(ClearinghouseError):
    """A stored secret cannot be decrypted: wrong secret key, or the value was altered."""

    code = "secret-undecryptable"
    status = 500
    title = "A stored secret cannot be read"
    exit_code = 7


def derive_key(secret_key: str, *, info: bytes = HKDF_INFO) -> bytes:
    """32 bytes of key material for one purpose (``info``) from the platform secret key."""
    if not secret_key:
        raise ValueError("the secret key is empty")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        secret_key.encode()
    )


class SecretBox:
    """Encrypts and decrypts short strings for storage (tokens are URL-safe ASCII)."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key)))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise SecretDecryptionError(
                "a stored secret could not be decrypted: CLEARINGHOUSE_SECRET_KEY differs from "
                "the one it was stored with (or the stored value was altered); restore the old "
                "key, or set the secret again"
            ) from exc
