"""Signed, expiring links for people outside the platform, and report-tracking tokens.

**Invitation links.** A vendor that has no account (an open-source maintainer) is
notified by e-mail with a link that lets it see the case and answer. The link carries a
small JSON payload (case id, participant id...) signed with HMAC-SHA256::

    token = base64url(JSON {"exp": <unix seconds>, "p": <payload>}) "." base64url(MAC)

The MAC covers the encoded first part exactly, so nothing in it can change unnoticed;
it is compared in constant time, and checked *before* the JSON is parsed, so forged
input never reaches the parser. Only canonical unpadded base64url is accepted (one
string per token). Sizes are bounded both ways (:data:`MAX_PAYLOAD_BYTES`,
:data:`MAX_TOKEN_CHARS`) so that a link fits in an e-mail and a URL.

Keys are derived from the platform secret with HKDF-SHA256 and a **purpose** label
(:func:`derive_key`): a token made for one purpose (say an embargo-response link) does
not verify as another (an invitation), and rotating the platform secret invalidates
every outstanding link at once. Verification errors are typed: :class:`MalformedLinkError`,
:class:`TamperedLinkError`, :class:`ExpiredLinkError` (all :class:`LinkError`, 401).

**Tracking tokens.** A finder who reports without an account gets a random token,
shown once, with which to follow the report. Only its SHA-256 is stored
(:func:`hash_token`). A plain hash is enough here, unlike for passwords: the token has
256 random bits, so there is nothing to guess or to look up in a table.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clearinghouse.errors import ConfigurationError, InvalidInput, Unauthenticated
from clearinghouse.timeutil import ensure_utc, format_instant

KEY_BYTES: Final = 32
MIN_SECRET_BYTES: Final = 16
MAX_PAYLOAD_BYTES: Final = 2048
MAX_TOKEN_CHARS: Final = 4096
HKDF_SALT: Final = b"clearinghouse/links/v1"
TRACKING_PREFIX: Final = "chr_"
_TRACKING_RE: Final = re.compile(r"chr_[A-Za-z0-9_-]{43}")
_B64_RE: Final = re.compile(r"[A-Za-z0-9_-]+")


class LinkPurpose(enum.StrEnum):
    VENDOR_INVITATION = "vendor-invitation"  # a vendor outside the platform joins a case
    EMBARGO_RESPONSE = "embargo-response"  # accept/reject an embargo proposal from e-mail
    REPORT_FOLLOW_UP = "report-follow-up"  # a finder answers a coordinator's question


class LinkError(Unauthenticated):
    """A link could not be verified. Subclasses say why."""

    code = "link-invalid"
    title = "The link is not valid"


class MalformedLinkError(LinkError):
    code = "link-malformed"
    title = "The link is malformed"


class TamperedLinkError(LinkError):
    """The signature does not match: the link was altered, or made with another key."""

    code = "link-tampered"
    title = "The link's signature does not match"


class ExpiredLinkError(LinkError):
    code = "link-expired"
    title = "The link has expired"


class LinkPayloadTooLarge(InvalidInput):
    code = "link-payload-too-large"
    title = "The link payload is too large"


class WeakLinkKeyError(ConfigurationError):
    code = "link-key-weak"
    title = "The link signing key is too short"


def derive_key(platform_secret: bytes | str, purpose: LinkPurpose) -> bytes:
    """A 32-byte signing key for ``purpose``, derived with HKDF-SHA256.

    Different purposes give unrelated keys; the same secret and purpose always give the
    same key (so every app process verifies what any other signed).
    """
    secret = platform_secret.encode() if isinstance(platform_secret, str) else platform_secret
    if len(secret) < MIN_SECRET_BYTES:
        raise WeakLinkKeyError(
            f"the platform secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed"
        )
    if not isinstance(purpose, LinkPurpose):
        raise WeakLinkKeyError(f"unknown link purpose {purpose!r}")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=HKDF_SALT,
        info=b"clearinghouse link purpose: " + purpose.value.encode(),
    )
    return hkdf.derive(secret)


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) < KEY_BYTES:
        raise WeakLinkKeyError(f"a link key needs at least {KEY_BYTES} bytes; use derive_key()")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    if not _B64_RE.fullmatch(text):
        raise MalformedLinkError(f"the link's {what} is not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedLinkError(f"the link's {what} is not base64url") from exc
    if _b64encode(data) != text:  # non-canonical trailing bits: one token, one spelling
        raise MalformedLinkError(f"the link's {what} is not canonical base64url")
    return data


def _mac(key: bytes, head: str) -> bytes:
    return hmac.new(key, head.encode("ascii"), hashlib.sha256).digest()


def sign(payload: Mapping[str, Any], key: bytes, expires_at: datetime) -> str:
    """A compact signed token carrying ``payload`` until ``expires_at`` (whole seconds).

    ``payload`` must be a JSON object (string keys, JSON values, no NaN) of at most
    :data:`MAX_PAYLOAD_BYTES` once encoded together with the expiry.
    """
    _check_key(key)
    if not isinstance(payload, Mapping) or not all(isinstance(k, str) for k in payload):
        raise InvalidInput("a link payload must be a mapping with string keys")
    expiry = int(ensure_utc(expires_at).timestamp())
    try:
        body = json.dumps(
            {"exp": expiry, "p": dict(payload)},
            separators=(",", ":"),
            sort_keys=True,
            ensure_ascii=False,
            allow_nan=False,
        ).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"a link payload must be plain JSON: {exc}") from exc
    if len(body) > MAX_PAYLOAD_BYTES:
        raise LinkPayloadTooLarge(
            f"the link payload is {len(body)} bytes encoded; the limit is {MAX_PAYLOAD_BYTES}. "
            "Put ids in the link and look the rest up."
        )
    head = _b64encode(body)
    return f"{head}.{_b64encode(_mac(key, head))}"


def verify(token: str, key: bytes, now: datetime) -> dict[str, Any]:
    """The payload of a valid, unexpired token signed with ``key``.

    Raises :class:`MalformedLinkError` (not a token), :class:`TamperedLinkError` (signature
    mismatch: altered, or another key or purpose), :class:`ExpiredLinkError` (at or after its
    expiry). The checks run in that order; the payload is parsed only once the
    signature has been verified.
    """
    _check_key(key)
    if not isinstance(token, str) or not token:
        raise MalformedLinkError("no link token was given")
    if len(token) > MAX_TOKEN_CHARS:
        raise MalformedLinkError(f"the link token is longer than {MAX_TOKEN_CHARS} characters")
    parts = token.split(".")
    if len(parts) != 2:
        raise MalformedLinkError("a link token has two parts separated by one '.'")
    head, mac_text = parts
    mac = _b64decode(mac_text, "signature")
    body = _b64decode(head, "payload")
    if len(mac) != hashlib.sha256().digest_size:
        raise MalformedLinkError("the link's signature has the wrong length")
    if not hmac.compare_digest(mac, _mac(key, head)):
        raise TamperedLinkError(
            "the link's signature does not match; it was altered or is not for this use"
        )
    try:
        document = json.loads(body)
    except ValueError as exc:  # signed by us, so only a format change could cause this
        raise MalformedLinkError("the link's payload is not JSON") from exc
    if (
        not isinstance(document, dict)
        or set(document) != {"exp", "p"}
        or not isinstance(document["exp"], int)
        or isinstance(document["exp"], bool)
        or not isinstance(document["p"], dict)
    ):
        raise MalformedLinkError("the link's payload does not have the expected shape")
    expiry = datetime.fromtimestamp(document["exp"], tz=ensure_utc(now).tzinfo)
    if ensure_utc(now) >= expiry:
        raise ExpiredLinkError(
            f"the link expired at {format_instant(expiry)}; ask for a new one",
            expired_at=format_instant(expiry),
        )
    payload: dict[str, Any] = document["p"]
    return payload


# -------------------------------------------------------------------- tracking tokens


class InvalidTrackingToken(Unauthenticated):
    code = "tracking-token-invalid"
    title = "The report tracking token is not valid"


def new_tracking_token() -> str:
    """A fresh token (``chr_`` + 43 base64url characters, 256 random bits). Show it once."""
    return TRACKING_PREFIX + secrets.token_urlsafe(32)


def parse_tracking_token(text: str) -> str:
    """The token in ``text`` (surrounding white space removed), if it has the right shape.

    Checking the shape first keeps arbitrary strings away from the database lookup and
    gives the finder a clear message for a truncated copy-paste.
    """
    candidate = text.strip() if isinstance(text, str) else ""
    if not _TRACKING_RE.fullmatch(candidate):
        raise InvalidTrackingToken(
            "this is not a report tracking token (it starts with chr_ and has 47 characters)"
        )
    return candidate


def hash_token(token: str) -> str:
    """The value to store for ``token``: SHA-256, hexadecimal (64 characters)."""
    return hashlib.sha256(parse_tracking_token(token).encode("ascii")).hexdigest()


def tracking_token_matches(token: str, stored_hash: str) -> bool:
    """Whether ``token`` is the one whose hash was stored (constant-time comparison)."""
    try:
        computed = hash_token(token)
    except InvalidTrackingToken:
        return False
    return hmac.compare_digest(computed, stored_hash)
