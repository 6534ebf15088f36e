from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pysequoia
import pytest
from pysequoia.packet import PacketPile, Tag

from clearinghouse import pgp
from clearinghouse.errors import InvalidInput, PayloadTooLarge
from clearinghouse.pgp import (
    InvalidPublicKeyError,
    NoEncryptionKeyError,
    PgpTooLargeError,
    SecretKeyMaterialError,
)


def now() -> datetime:
    return datetime.now(UTC)


DETAIL = "JNDI lookup in log4j-core 2.14.1 loads remote classes: ${jndi:ldap://x/a}\nüñí"


@pytest.fixture(scope="module")
def tsk() -> pysequoia.Tsk:
    return pysequoia.Tsk.generate("Apache Logging PMC <private@logging.apache.org>")


@pytest.fixture(scope="module")
def public(tsk: pysequoia.Tsk) -> str:
    return str(tsk.extract_certificate())


def test_round_trip_with_the_private_key(tsk: pysequoia.Tsk, public: str) -> None:
    message = pgp.encrypt(public, DETAIL, at=now())
    assert message.startswith("-----BEGIN PGP MESSAGE-----")
    assert "jndi" not in message
    decrypted = pysequoia.decrypt(message.encode(), tsk.decryptor())
    assert decrypted.bytes == DETAIL.encode()


def test_bytes_in_and_binary_plaintext(tsk: pysequoia.Tsk, public: str) -> None:
    blob = bytes(range(256))
    message = pgp.encrypt(public.encode(), blob, at=now())
    assert pysequoia.decrypt(message.encode(), tsk.decryptor()).bytes == blob


def test_parse_public_key(tsk: pysequoia.Tsk, public: str) -> None:
    info = pgp.parse_public_key(public, at=now())
    cert = tsk.extract_certificate()
    assert info.fingerprint == cert.fingerprint.upper()
    assert len(info.fingerprint) == 40
    assert info.user_ids == ("Apache Logging PMC <private@logging.apache.org>",)
    assert info.can_encrypt
    assert not info.revoked
    assert info.expires_at is None  # generated without expiry
    assert info.algorithm == "EdDSA"
    assert info.created_at is not None
    assert not info.is_expired(datetime(2100, 1, 1, tzinfo=UTC))


def _without_encryption_subkey(public: str) -> str:
    packets = list(PacketPile.from_bytes(public.encode()))
    kept = []
    skip = False
    for packet in packets:
        if packet.tag == Tag.PublicSubkey:
            flags_follow = packets[packets.index(packet) + 1].key_flags
            skip = flags_follow is not None and flags_follow.transport_encryption
        elif packet.tag != Tag.Signature:
            skip = False
        if not skip:
            kept.append(packet)
    return str(pysequoia.Cert.from_packets(kept))


def test_key_without_encryption_subkey(public: str) -> None:
    signing_only = _without_encryption_subkey(public)
    with pytest.raises(NoEncryptionKeyError, match="no usable encryption subkey"):
        pgp.parse_public_key(signing_only, at=now())
    info = pgp.parse_public_key(signing_only, require_encryption=False, at=now())
    assert not info.can_encrypt
    with pytest.raises(NoEncryptionKeyError) as excinfo:
        pgp.encrypt(signing_only, "x", at=now())
    assert "Stack backtrace" not in excinfo.value.detail
    assert "\n" not in excinfo.value.detail


def test_private_key_is_refused(tsk: pysequoia.Tsk) -> None:
    with pytest.raises(SecretKeyMaterialError, match="PRIVATE"):
        pgp.parse_public_key(str(tsk), at=now())
    # A private key relabelled as public is caught by its packets.
    relabelled = str(tsk).replace("PRIVATE KEY BLOCK", "PUBLIC KEY BLOCK")
    with pytest.raises(InvalidPublicKeyError):
        pgp.parse_public_key(relabelled, at=now())


def test_two_keys_are_refused(public: str) -> None:
    other = str(pysequoia.Tsk.generate("Other <o@example.org>").extract_certificate())
    with pytest.raises(InvalidPublicKeyError, match="exactly one"):
        pgp.parse_public_key(public + "\n" + other, at=now())


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "hello",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 at all!\n"
        "-----END PGP PUBLIC KEY BLOCK-----\n",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0sJ8a7 user@host",
        b"\xff\xfe\x00junk",
    ],
)
def test_junk_is_refused(junk: str | bytes) -> None:
    with pytest.raises(InvalidPublicKeyError) as info:
        pgp.parse_public_key(junk, at=now())
    assert isinstance(info.value, InvalidInput)
    assert "Stack backtrace" not in info.value.detail
    with pytest.raises(InvalidPublicKeyError):
        pgp.encrypt(junk, "secret", at=now())


def test_truncated_key_is_refused(public: str) -> None:
    lines = public.splitlines()
    truncated = "\n".join(lines[:4] + lines[-1:]) + "\n"
    with pytest.raises(InvalidPublicKeyError):
        pgp.parse_public_key(truncated, at=now())


def test_a_message_is_not_a_key(public: str) -> None:
    message = pgp.encrypt(public, "hi", at=now())
    with pytest.raises(InvalidPublicKeyError):
        pgp.parse_public_key(message, at=now())


def test_size_limits(public: str) -> None:
    padding = "Comment: " + "x" * pgp.MAX_KEY_BYTES
    with pytest.raises(PgpTooLargeError) as info:
        pgp.parse_public_key(public.replace("\n\n", "\n" + padding + "\n\n", 1), at=now())
    assert isinstance(info.value, PayloadTooLarge)
    with pytest.raises(PgpTooLargeError):
        pgp.encrypt(public, b"x" * (pgp.MAX_PLAINTEXT_BYTES + 1), at=now())


# --------------------------------------------------- interoperability with GnuPG (gpg)


@dataclass
class Gpg:
    home: Path

    def run(self, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "GNUPGHOME": str(self.home)}
        base = ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
        return subprocess.run(
            [*base, *args], input=data, capture_output=True, env=env, check=True, timeout=60
        )

    def fingerprint(self, uid: str) -> str:
        out = self.run("--list-keys", "--with-colons", uid).stdout.decode()
        return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr"))

    def export(self, uid: str) -> str:
        return self.run("--armor", "--export", uid).stdout.decode()


@pytest.fixture(scope="module")
def gpg() -> Iterator[Gpg]:
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed; the GnuPG interoperability tests need /usr/bin/gpg")
    # A short path: gpg-agent's socket lives in the home and socket paths are limited.
    home = Path(tempfile.mkdtemp(prefix="chgpg"))
    home.chmod(0o700)
    tool = Gpg(home)
    try:
        yield tool
    finally:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"],
            env={**os.environ, "GNUPGHOME": str(home)},
            capture_output=True,
            check=False,
            timeout=30,
        )
        shutil.rmtree(home, ignore_errors=True)


def test_gpg_key_round_trip(gpg: Gpg) -> None:
    uid = "Vendor PSIRT <psirt@vendor.example>"
    gpg.run("--quick-gen-key", uid, "future-default", "default", "1y")
    armored = gpg.export("psirt@vendor.example")
    info = pgp.parse_public_key(armored, at=now())
    assert info.fingerprint == gpg.fingerprint("psirt@vendor.example")
    assert info.user_ids == (uid,)
    assert info.expires_at is not None
    assert timedelta(days=364) < info.expires_at - datetime.now(UTC) < timedelta(days=366)
    message = pgp.encrypt(armored, DETAIL, at=now())
    assert gpg.run("--decrypt", data=message.encode()).stdout == DETAIL.encode()


def test_gpg_expired_key_cannot_be_encrypted_to(gpg: Gpg) -> None:
    gpg.run(
        "--faked-system-time",
        "20200101T000000!",
        "--quick-gen-key",
        "Old <old@vendor.example>",
        "future-default",
        "default",
        "1d",
    )
    armored = gpg.export("old@vendor.example")
    info = pgp.parse_public_key(armored, require_encryption=False, at=now())
    assert info.expires_at == datetime(2020, 1, 2, tzinfo=UTC)
    assert info.is_expired(datetime(2020, 1, 2, tzinfo=UTC))
    assert not info.can_encrypt
    # Usability is a question about an instant: on the day it was made, it was fine.
    then = pgp.parse_public_key(armored, at=datetime(2020, 1, 1, 12, tzinfo=UTC))
    assert then.can_encrypt
    with pytest.raises(NoEncryptionKeyError, match="expired"):
        pgp.parse_public_key(armored, at=datetime(2021, 1, 1, tzinfo=UTC))
    with pytest.raises(NoEncryptionKeyError):
        pgp.encrypt(armored, "x", at=now())


def test_gpg_revoked_key_is_refused(gpg: Gpg) -> None:
    gpg.run("--quick-gen-key", "Gone <gone@vendor.example>", "future-default", "default", "1y")
    fpr = gpg.fingerprint("gone@vendor.example")
    certificate = (gpg.home / "openpgp-revocs.d" / f"{fpr}.rev").read_text()
    gpg.run("--import", data=certificate.replace(":-----BEGIN", "-----BEGIN").encode())
    armored = gpg.export("gone@vendor.example")
    info = pgp.parse_public_key(armored, require_encryption=False, at=now())
    assert info.revoked
    assert not info.can_encrypt
    with pytest.raises(NoEncryptionKeyError, match="revoked"):
        pgp.parse_public_key(armored, at=now())


def test_gpg_expired_encryption_subkey_on_a_live_primary(gpg: Gpg) -> None:
    past = ("--faked-system-time", "20200101T000000!")
    gpg.run(*past, "--quick-gen-key", "Lapsed <lapsed@vendor.example>", "ed25519", "cert", "never")
    fpr = gpg.fingerprint("lapsed@vendor.example")
    gpg.run(*past, "--quick-add-key", fpr, "cv25519", "encr", "1d")
    armored = gpg.export("lapsed@vendor.example")
    # pysequoia 0.1.35 falls back to an expired subkey when no live one exists; this is
    # why pgp checks expiry itself. Should a later version refuse, this line says so.
    pysequoia.encrypt(b"x", [pysequoia.Cert.from_bytes(armored.encode())])
    info = pgp.parse_public_key(armored, require_encryption=False, at=now())
    assert info.expires_at is None  # the certificate itself never expires ...
    assert not info.can_encrypt  # ... but its only encryption subkey did
    with pytest.raises(NoEncryptionKeyError, match="no usable encryption subkey"):
        pgp.encrypt(armored, "x", at=now())
    assert pgp.parse_public_key(armored, at=datetime(2020, 1, 1, 12, tzinfo=UTC)).can_encrypt


def test_gpg_revoked_encryption_subkey(gpg: Gpg) -> None:
    uid = "Rotated <rotated@vendor.example>"
    gpg.run("--quick-gen-key", uid, "future-default", "default", "1y")
    before = gpg.export("rotated@vendor.example")
    assert pgp.parse_public_key(before, at=now()).can_encrypt
    # Revoke the only encryption subkey (key 1) through gpg's scripted key editor.
    script = b"key 1\nrevkey\ny\n0\n\ny\nsave\n"
    gpg.run("--yes", "--command-fd", "0", "--edit-key", gpg.fingerprint(uid), data=script)
    after = gpg.export("rotated@vendor.example")
    info = pgp.parse_public_key(after, require_encryption=False, at=now())
    assert not info.revoked  # the certificate stands ...
    assert not info.can_encrypt  # ... but nothing in it may be encrypted to
    with pytest.raises(NoEncryptionKeyError, match="no usable encryption subkey"):
        pgp.encrypt(after, "x", at=now())
