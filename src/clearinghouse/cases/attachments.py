"""Uploaded files: what is accepted, how it is checked, and how it is stored.

Finders attach proofs of concept; participants attach patches and logs. Any of them may
be hostile to whoever opens them, so a file is accepted only when its extension is on
the allow-list *and* its first bytes match that type (a ``.png`` that is really HTML is
refused), its size is within the limit, and its SHA-256 is recorded so that everyone can
check they hold the same bytes. Files are served only as downloads
(``Content-Disposition: attachment``, ``application/octet-stream``, ``nosniff``), never
rendered by the platform's own origin.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from clearinghouse.cases.ids import ordered_id
from clearinghouse.cases.models import Attachment
from clearinghouse.errors import InvalidInput, PayloadTooLarge

MAX_ATTACHMENT_BYTES: Final = 5 * 1024 * 1024
MAX_FILES_PER_UPLOAD: Final = 5
DOWNLOAD_CONTENT_TYPE: Final = "application/octet-stream"


class UnsupportedAttachment(InvalidInput):
    code = "unsupported-attachment"
    title = "This kind of file is not accepted"


@dataclass(frozen=True, slots=True)
class FileKind:
    content_type: str
    magics: tuple[tuple[int, bytes], ...] = ()  # (offset, bytes); any one must match
    text: bool = False  # must decode as UTF-8 (and hold no NUL)


_PCAP = (
    (0, b"\xa1\xb2\xc3\xd4"),
    (0, b"\xd4\xc3\xb2\xa1"),
    (0, b"\xa1\xb2\x3c\x4d"),
    (0, b"\x4d\x3c\xb2\xa1"),
    (0, b"\x0a\x0d\x0d\x0a"),
)
_ZIP = ((0, b"PK\x03\x04"), (0, b"PK\x05\x06"))
KINDS: Final[dict[str, FileKind]] = {
    "txt": FileKind("text/plain", text=True),
    "log": FileKind("text/plain", text=True),
    "md": FileKind("text/markdown", text=True),
    "json": FileKind("application/json", text=True),
    "py": FileKind("text/x-python", text=True),
    "java": FileKind("text/x-java", text=True),
    "patch": FileKind("text/x-diff", text=True),
    "diff": FileKind("text/x-diff", text=True),
    "pdf": FileKind("application/pdf", ((0, b"%PDF-"),)),
    "png": FileKind("image/png", ((0, b"\x89PNG\r\n\x1a\n"),)),
    "jpg": FileKind("image/jpeg", ((0, b"\xff\xd8\xff"),)),
    "jpeg": FileKind("image/jpeg", ((0, b"\xff\xd8\xff"),)),
    "zip": FileKind("application/zip", _ZIP),
    "gz": FileKind("application/gzip", ((0, b"\x1f\x8b"),)),
    "tgz": FileKind("application/gzip", ((0, b"\x1f\x8b"),)),
    "mp4": FileKind("video/mp4", ((4, b"ftyp"),)),
    "pcap": FileKind("application/vnd.tcpdump.pcap", _PCAP),
    "pcapng": FileKind("application/vnd.tcpdump.pcap", _PCAP),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as received, before checking."""

    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class CheckedFile:
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def safe_filename(name: str) -> str:
    """The base name, reduced to harmless characters (used in Content-Disposition)."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[:200] or "attachment"


def check(upload: Upload, *, max_bytes: int = MAX_ATTACHMENT_BYTES) -> CheckedFile:
    """Accept ``upload`` or raise a typed error saying what is wrong with it."""
    filename = safe_filename(upload.filename)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    kind = KINDS.get(extension)
    if kind is None:
        allowed = ", ".join(f".{e}" for e in sorted(KINDS))
        raise UnsupportedAttachment(
            f"{filename!r}: files of this type are not accepted; allowed: {allowed} "
            "(put anything else in a .zip)",
            field="attachment",
        )
    size = len(upload.data)
    if size == 0:
        raise InvalidInput(f"{filename!r} is empty", field="attachment")
    if size > max_bytes:
        raise PayloadTooLarge(
            f"{filename!r} is {size} bytes; the limit is {max_bytes} bytes", field="attachment"
        )
    if kind.magics and not any(
        upload.data[offset : offset + len(magic)] == magic for offset, magic in kind.magics
    ):
        raise UnsupportedAttachment(
            f"{filename!r} does not look like a .{extension} file (its first bytes differ)",
            field="attachment",
        )
    if kind.text:
        try:
            decoded = upload.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnsupportedAttachment(
                f"{filename!r} is not UTF-8 text; zip binary files first", field="attachment"
            ) from exc
        if "\x00" in decoded:
            raise UnsupportedAttachment(f"{filename!r} holds NUL bytes", field="attachment")
    return CheckedFile(
        filename=filename,
        content_type=kind.content_type,
        size=size,
        sha256=hashlib.sha256(upload.data).hexdigest(),
        data=upload.data,
    )


def check_all(uploads: list[Upload], *, max_bytes: int = MAX_ATTACHMENT_BYTES) -> list[CheckedFile]:
    if len(uploads) > MAX_FILES_PER_UPLOAD:
        raise InvalidInput(f"at most {MAX_FILES_PER_UPLOAD} files per upload", field="attachment")
    return [check(u, max_bytes=max_bytes) for u in uploads]


def store(
    session: Session,
    checked: CheckedFile,
    *,
    now: datetime,
    by_label: str,
    report_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
) -> Attachment:
    attachment = Attachment(
        id=ordered_id(),
        report_id=report_id,
        case_id=case_id,
        message_id=message_id,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        data=checked.data,
        uploaded_at=now,
        uploaded_by_label=by_label,
    )
    session.add(attachment)
    session.flush()
    return attachment


def describe(attachment: Attachment) -> dict[str, object]:
    """Metadata for views and audit entries (never the bytes)."""
    return {
        "id": str(attachment.id),
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }
