"""OpenPGP: check a participant's public key, and encrypt notification details to it;
load the platform's own signing key and sign with it (the CSAF documents' ``.asc``).

Vendors and finders may register an OpenPGP public key; notifications about an
embargoed case then carry their details encrypted, so that a mailbox compromise does not
leak an unfixed vulnerability.

Library: ``pysequoia`` (Python bindings of Sequoia-PGP, a maintained Rust OpenPGP
implementation), in-process. It was chosen over ``python-gnupg`` (drives the ``gpg``
binary through a keyring directory: a subprocess per call, state on disk, and a binary
every deployment must ship) and ``PGPy`` 0.6.0 (unmaintained since 2022; importing it
raises a ``DeprecationWarning`` for ``imghdr`` on Python 3.11, an error under this
suite's ``filterwarnings = error``, and it fails outright on 3.13).

A key is **usable** at an instant ``at`` when the certificate is not revoked and not
expired then, and it holds an encryption-capable (sub)key that is neither revoked nor
expired then and that Sequoia's standard policy accepts (supported algorithms, no
SHA-1 self-signatures). The validity checks are made here, from the key's own
self-signatures, because ``pysequoia.encrypt`` 0.1.35 is deliberately lenient: it
encrypts to an expired subkey when no live one exists, and to a certificate its owner
has revoked (both observed; the first is pinned by a test). :func:`parse_public_key` reports an
unusable key when it is registered rather than when the first notification fails, and
:func:`encrypt` refuses one. Errors from the library are translated to typed errors whose
message is the library's first line (never its Rust backtrace).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import pysequoia
from pysequoia.packet import Packet, PacketPile, SignatureType, Tag

from clearinghouse.errors import InvalidInput, PayloadTooLarge
from clearinghouse.timeutil import ensure_utc

MAX_KEY_BYTES: Final = 256 * 1024
MAX_PLAINTEXT_BYTES: Final = 1024 * 1024
PUBLIC_ARMOR: Final = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
PRIVATE_ARMOR: Final = "-----BEGIN PGP PRIVATE KEY BLOCK-----"
# What the library raises for bad input; RuntimeError carries Sequoia's errors.
_LIBRARY_ERRORS: Final = (RuntimeError, ValueError, TypeError)


class PgpError(InvalidInput):
    code = "pgp-invalid"
    title = "The OpenPGP data is not usable"


class InvalidPublicKeyError(PgpError):
    """Not one OpenPGP public key (junk, a keyring, a signature, a message...)."""

    code = "pgp-key-invalid"
    title = "The OpenPGP public key is not valid"


class SecretKeyMaterialError(InvalidPublicKeyError):
    """A private key was submitted. It is refused and never stored."""

    code = "pgp-key-is-secret"
    title = "This is a private key"


class NoEncryptionKeyError(PgpError):
    """The key has no usable encryption (sub)key: none, expired, revoked or too weak."""

    code = "pgp-key-cannot-encrypt"
    title = "The OpenPGP key cannot be encrypted to"


class PgpTooLargeError(PayloadTooLarge):
    code = "pgp-too-large"
    title = "The OpenPGP input is too large"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What the platform shows and stores about a registered public key."""

    fingerprint: str  # upper-case hex of the primary key (40 chars v4, 64 chars v6)
    user_ids: tuple[str, ...]  # non-revoked user ids, as written in the key
    can_encrypt: bool  # Sequoia's standard policy finds a usable encryption key now
    expires_at: datetime | None  # the certificate's expiry (UTC), None if it never expires
    revoked: bool
    created_at: datetime | None
    algorithm: str  # the primary key's algorithm, e.g. "EdDSA", "RSAEncryptSign"

    def is_expired(self, at: datetime) -> bool:
        return self.expires_at is not None and ensure_utc(at) >= self.expires_at


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _as_bytes(armored: str | bytes, what: str, limit: int) -> bytes:
    data = armored.encode("utf-8") if isinstance(armored, str) else armored
    if not isinstance(data, bytes):
        raise InvalidPublicKeyError(f"{what} must be text")
    if len(data) > limit:
        raise PgpTooLargeError(f"{what} is {len(data)} bytes; the limit is {limit}")
    return data


def _load_cert(armored: str | bytes) -> pysequoia.Cert:
    data = _as_bytes(armored, "the public key", MAX_KEY_BYTES)
    text = data.decode("utf-8", errors="replace")
    if PRIVATE_ARMOR in text:
        raise SecretKeyMaterialError(
            "this is a PRIVATE key; never share it. Export the public key "
            "(gpg --armor --export YOUR-KEY-ID) and paste that instead"
        )
    if PUBLIC_ARMOR not in text:
        raise InvalidPublicKeyError(
            f"no ASCII-armored public key found; it starts with '{PUBLIC_ARMOR}'"
        )
    try:
        packets = list(PacketPile.from_bytes(data))
        certs = pysequoia.Cert.split_bytes(data)
    except _LIBRARY_ERRORS as exc:
        raise InvalidPublicKeyError(f"the public key cannot be read: {_first_line(exc)}") from exc
    if any(p.tag == Tag.SecretKey or p.tag == Tag.SecretSubkey for p in packets):
        raise SecretKeyMaterialError(
            "the key block holds private key material; send only the public key"
        )
    if len(certs) != 1:
        raise InvalidPublicKeyError(
            f"expected exactly one public key, found {len(certs)}; register one key at a time"
        )
    return certs[0]


_SELF_SIGNATURES: Final = (
    SignatureType.SubkeyBinding,
    SignatureType.DirectKey,
    SignatureType.PositiveCertification,
    SignatureType.GenericCertification,
    SignatureType.CasualCertification,
    SignatureType.PersonaCertification,
)
_REVOCATIONS: Final = (SignatureType.SubkeyRevocation, SignatureType.KeyRevocation)


@dataclass(slots=True)
class _Component:
    """A primary key or subkey and what its newest self-signature says about it."""

    created: datetime | None
    encrypts: bool = False
    lifetime: timedelta | None = None
    signed_at: datetime | None = None
    revoked: bool = False

    def alive(self, at: datetime) -> bool:
        if self.revoked or self.created is None or self.created > at:
            return False
        return self.lifetime is None or at < self.created + self.lifetime


def _is_self(packet: Packet, primary: Packet) -> bool:
    fingerprint, key_id = primary.fingerprint, primary.key_id
    return (fingerprint is not None and packet.issuer_fingerprint == fingerprint) or (
        key_id is not None and packet.issuer_key_id == key_id
    )


def _components(packets: list[Packet]) -> list[_Component]:
    """Walk a certificate's packets: each key, its flags, expiry and revocation.

    Only the owner's own signatures count (third-party certifications on user ids carry
    no say over the key). The newest self-signature wins, as in RFC 9580 5.2.3.
    """
    if not packets or packets[0].tag != Tag.PublicKey:
        return []
    primary = packets[0]
    components: list[_Component] = []
    current: _Component | None = None
    for packet in packets:
        if packet.tag == Tag.PublicKey or packet.tag == Tag.PublicSubkey:
            current = _Component(created=_utc(packet.key_created))
            components.append(current)
            continue
        if packet.tag != Tag.Signature or current is None or not _is_self(packet, primary):
            continue
        kind = packet.signature_type
        if any(kind == revocation for revocation in _REVOCATIONS):
            current.revoked = True
        elif any(kind == self_sig for self_sig in _SELF_SIGNATURES):
            created = _utc(packet.signature_created)
            if current.signed_at is not None and (created is None or created < current.signed_at):
                continue
            current.signed_at = created
            flags = packet.key_flags
            current.encrypts = flags is not None and (
                flags.transport_encryption or flags.storage_encryption
            )
            current.lifetime = packet.key_validity_period
    return components


def _utc(value: datetime | None) -> datetime | None:
    return ensure_utc(value) if value is not None else None


def _usable(cert: pysequoia.Cert, packets: list[Packet], at: datetime) -> bool:
    """Whether the certificate can be encrypted to at ``at`` (see the module docstring)."""
    expires = _utc(cert.expiration)
    if cert.is_revoked or (expires is not None and at >= expires):
        return False
    components = _components(packets)
    if not components or components[0].revoked:
        return False
    if not any(c.encrypts and c.alive(at) for c in components):
        return False
    try:  # the library's policy: algorithms, binding signatures that verify
        pysequoia.encrypt(b"", [cert])
    except _LIBRARY_ERRORS:
        return False
    return True


def _read(cert: pysequoia.Cert) -> list[Packet]:
    try:
        return list(PacketPile.from_bytes(bytes(cert)))
    except _LIBRARY_ERRORS as exc:
        raise InvalidPublicKeyError(f"the public key cannot be read: {_first_line(exc)}") from exc


def parse_public_key(
    armored: str | bytes,
    *,
    at: datetime,
    require_encryption: bool = True,
) -> KeyInfo:
    """Read one ASCII-armored OpenPGP public key and describe it as of ``at``.

    Raises :class:`InvalidPublicKeyError` for anything but exactly one public key,
    :class:`SecretKeyMaterialError` for a private key, :class:`PgpTooLargeError` above
    :data:`MAX_KEY_BYTES`, and (unless ``require_encryption`` is false)
    :class:`NoEncryptionKeyError` when the key is revoked, expired at ``at``, or has no
    usable encryption subkey.
    """
    return _inspect(armored, at, require_encryption=require_encryption)[1]


def _inspect(
    armored: str | bytes, at: datetime, *, require_encryption: bool
) -> tuple[pysequoia.Cert, KeyInfo]:
    moment = ensure_utc(at)
    cert = _load_cert(armored)
    packets = _read(cert)
    primary = packets[0] if packets else None
    algorithm = str(primary.key_algorithm).rsplit(".", 1)[-1] if primary is not None else ""
    info = KeyInfo(
        fingerprint=cert.fingerprint.upper(),
        user_ids=tuple(str(u) for u in cert.user_ids),
        can_encrypt=_usable(cert, packets, moment),
        expires_at=_utc(cert.expiration),
        revoked=cert.is_revoked,
        created_at=_utc(primary.key_created) if primary is not None else None,
        algorithm=algorithm,
    )
    if require_encryption and not info.can_encrypt:
        raise NoEncryptionKeyError(_why_unusable(info, moment))
    return cert, info


def _why_unusable(info: KeyInfo, at: datetime) -> str:
    if info.revoked:
        return f"key {info.fingerprint} has been revoked by its owner; ask for its new key"
    if info.is_expired(at):
        return f"key {info.fingerprint} expired at {info.expires_at}; ask for a renewed key"
    return (
        f"key {info.fingerprint} has no usable encryption subkey (none, expired, revoked, "
        "or using algorithms the OpenPGP policy rejects)"
    )


def encrypt(armored_key: str | bytes, plaintext: str | bytes, *, at: datetime) -> str:
    """Encrypt ``plaintext`` (text is UTF-8 encoded) to the key; return an armored message.

    Refuses (:class:`NoEncryptionKeyError`) a key that is not usable at ``at``.
    """
    cert, info = _inspect(armored_key, at, require_encryption=True)
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    if not isinstance(data, bytes):
        raise PgpError("the plaintext must be text or bytes")
    if len(data) > MAX_PLAINTEXT_BYTES:
        raise PgpTooLargeError(
            f"the message is {len(data)} bytes; the limit is {MAX_PLAINTEXT_BYTES}"
        )
    try:
        message = pysequoia.encrypt(data, [cert])
    except _LIBRARY_ERRORS as exc:
        raise NoEncryptionKeyError(
            f"cannot encrypt to key {info.fingerprint}: {_first_line(exc)}"
        ) from exc
    return message.decode("ascii")


# --- Signing: the platform's own key (CSAF 2.0 section 7.1.19 and 7.1.20) ---------------


class SigningKeyError(PgpError):
    """The platform's signing key cannot be used (not a secret key, wrong passphrase...)."""

    code = "pgp-signing-key-invalid"
    title = "The OpenPGP signing key is not usable"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A loaded secret key able to sign, with the public half the platform publishes."""

    fingerprint: str  # upper-case hex of the primary key
    public_armored: str  # the certificate alone, ASCII-armored
    _signer: pysequoia.PySigner

    def sign_detached(self, data: bytes) -> bytes:
        """An ASCII-armored detached signature over ``data`` (what a ``.asc`` file holds)."""
        try:
            signature = pysequoia.sign(self._signer, data, mode=pysequoia.SignatureMode.DETACHED)
        except _LIBRARY_ERRORS as exc:
            raise SigningKeyError(f"signing failed: {_first_line(exc)}") from exc
        return bytes(signature)


def load_signing_key(armored: str | bytes, passphrase: str | None = None) -> SigningKey:
    """Read one ASCII-armored OpenPGP secret key (a TSK) that can sign.

    Raises :class:`SigningKeyError` for anything else: a public key only, several keys,
    no signing-capable (sub)key, a wrong or missing passphrase.
    """
    data = _as_bytes(armored, "the signing key", MAX_KEY_BYTES)
    if PRIVATE_ARMOR not in data.decode("utf-8", errors="replace"):
        raise SigningKeyError(
            f"no ASCII-armored secret key found; it starts with {PRIVATE_ARMOR!r}"
        )
    try:
        tsk = pysequoia.Tsk.from_bytes(data)
        signer = tsk.signer(passphrase)
        certificate = tsk.extract_certificate()
        pysequoia.sign(signer, b"", mode=pysequoia.SignatureMode.DETACHED)
    except _LIBRARY_ERRORS as exc:
        raise SigningKeyError(f"the signing key cannot sign: {_first_line(exc)}") from exc
    return SigningKey(
        fingerprint=certificate.fingerprint.upper(),
        public_armored=str(certificate),
        _signer=signer,
    )


def generate_signing_key(user_id: str) -> str:
    """A new secret key (Ed25519 signing, Cv25519 encryption, no expiry), ASCII-armored,
    without a passphrase: keep the file readable by the platform's account only."""
    try:
        return str(pysequoia.Tsk.generate(user_id=user_id))
    except _LIBRARY_ERRORS as exc:
        raise SigningKeyError(f"cannot generate a key for {user_id!r}: {_first_line(exc)}") from exc
