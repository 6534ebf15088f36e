"""Attachment checks: the allow-list, magic bytes, size, text encoding, safe names."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.cases import attachments as files
from clearinghouse.errors import InvalidInput, PayloadTooLarge


def test_accepted_file_keeps_its_hash_and_canonical_type() -> None:
    data = b"%PDF-1.7\n..."
    checked = files.check(files.Upload("report.PDF", data))
    assert checked.content_type == "application/pdf"
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.size == len(data)


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("poc.exe", b"MZ\x90\x00", files.UnsupportedAttachment),
        ("noextension", b"hello", files.UnsupportedAttachment),
        ("shot.png", b"<html>", files.UnsupportedAttachment),  # the bytes are not a PNG
        ("notes.txt", b"\xff\xfe\x00", files.UnsupportedAttachment),  # not UTF-8
        ("notes.txt", b"a\x00b", files.UnsupportedAttachment),  # NUL in text
        ("empty.txt", b"", InvalidInput),
    ],
)
def test_refused_files(name: str, data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        files.check(files.Upload(name, data))


def test_size_limit() -> None:
    files.check(files.Upload("a.txt", b"a" * 10), max_bytes=10)
    with pytest.raises(PayloadTooLarge):
        files.check(files.Upload("a.txt", b"a" * 11), max_bytes=10)


def test_too_many_files() -> None:
    uploads = [files.Upload(f"{i}.txt", b"x") for i in range(files.MAX_FILES_PER_UPLOAD + 1)]
    with pytest.raises(InvalidInput):
        files.check_all(uploads)


@given(st.text(max_size=300))
def test_safe_filename_is_a_harmless_base_name(name: str) -> None:
    safe = files.safe_filename(name)
    assert safe
    assert len(safe) <= 200
    assert not {"/", "\\", '"', "\n", "\r", "\x00"} & set(safe)
    assert not safe.startswith(".")
