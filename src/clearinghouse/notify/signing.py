"""Standard Webhooks signatures (https://www.standardwebhooks.com/), pure.

A delivery carries three headers:

- ``webhook-id``: the event's id, the same on every retry (receivers dedupe on it);
- ``webhook-timestamp``: Unix seconds when this attempt was signed;
- ``webhook-signature``: ``v1,`` + base64 of HMAC-SHA256 over ``{id}.{timestamp}.{body}``
  keyed with the secret's bytes; several space-separated signatures may be sent (during
  a secret rotation) and one matching is enough.

Secrets look like ``whsec_`` + base64 of 24-64 random bytes. Receivers reject stale or
future timestamps (default: 5 minutes either way) so that a captured request cannot be
replayed later. Subscribers can use this module, or any Standard Webhooks library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
SECRET_BYTES = 32

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


class WebhookVerificationError(ValueError):
    """The request is not a genuine, fresh delivery signed with this secret."""


class InvalidWebhookSecretError(ValueError):
    """The secret is not ``whsec_`` + base64."""


def generate_secret(nbytes: int = SECRET_BYTES) -> str:
    if not 24 <= nbytes <= 64:
        raise ValueError("a webhook secret has 24 to 64 random bytes")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_...`` secret (the prefix is optional, as in the spec)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidWebhookSecretError("a webhook secret is 'whsec_' + base64") from exc
    if not key:
        raise InvalidWebhookSecretError("the webhook secret is empty")
    return key


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def sign(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """The ``webhook-signature`` value for one attempt: ``v1,<base64 HMAC-SHA256>``."""
    content = f"{msg_id}.{timestamp}.".encode() + _as_bytes(body)
    mac = hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(mac).decode('ascii')}"


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> dict[str, str]:
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, msg_id, timestamp, body),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"the {name} header is missing")


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    now: int,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> str:
    """Check a received delivery; return its ``webhook-id`` or raise
    :class:`WebhookVerificationError`. ``now`` is the receiver's Unix time in seconds.

    Verify the raw body as received, before parsing it: re-serialised JSON differs.
    """
    msg_id = _header(headers, ID_HEADER)
    stamp = _header(headers, TIMESTAMP_HEADER)
    signatures = _header(headers, SIGNATURE_HEADER)
    if not stamp.isdigit():
        raise WebhookVerificationError("the webhook-timestamp header is not Unix seconds")
    timestamp = int(stamp)
    if timestamp < now - tolerance_seconds:
        raise WebhookVerificationError("the delivery is too old (timestamp outside tolerance)")
    if timestamp > now + tolerance_seconds:
        raise WebhookVerificationError("the delivery is from the future (check clocks)")
    expected = sign(secret, msg_id, timestamp, body).encode()
    for candidate in signatures.split():
        version, _, _ = candidate.partition(",")
        if version == SIGNATURE_VERSION and hmac.compare_digest(candidate.encode(), expected):
            return msg_id
    raise WebhookVerificationError("no signature matches")
