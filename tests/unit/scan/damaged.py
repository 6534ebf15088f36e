"""Archives damaged in every way zipfile can fail on them, written byte by byte here (no
third-party file), for the unit tests of the archive walker and the CLI's functional tests.

Each :class:`Damage` is one small jar holding one Maven ``pom.properties``, damaged in one
place, and what ``scan jars`` must report for it: one problem, of that kind and reason, and
no component. Not built: ``struct.error`` and
``zipfile.LargeZipFile``, which Python 3.11's reader does not raise when reading (it checks
header lengths first; the second is a writer's error); the walker catches them anyway.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from clearinghouse.scan.model import ProblemKind

POM_NAME = b"META-INF/maven/org.example/demo/pom.properties"
POM = b"groupId=org.example\nartifactId=demo\nversion=1.2.3\n" * 4

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14
UTF8_NAMES, ENCRYPTED, PATCHED_DATA, STRONG_ENCRYPTION = 0x800, 0x1, 0x20, 0x40


@dataclass(frozen=True, slots=True)
class Member:
    """One member, its headers written as given (the defaults describe it truthfully)."""

    stored: bytes  # the member's data as it sits in the archive (compressed)
    method: int = STORED
    flags: int = 0
    crc: int = zlib.crc32(POM)
    size: int = len(POM)
    packed: int | None = None  # compressed size in the central directory; None: the truth
    name: bytes = POM_NAME
    local_name: bytes | None = None  # None: the central directory's name
    local_signature: bytes = b"PK\x03\x04"
    offset: int | None = None  # of the local header; None: the truth
    extra: bytes = b""  # central directory extra field
    needs_version: int = 20


def raw_zip(member: Member) -> bytes:
    """A one-member zip archive: local header, data, central directory, end record."""
    local_name = member.name if member.local_name is None else member.local_name
    out = bytearray(member.local_signature)
    out += struct.pack(
        "<HHHHHIIIHH",
        20,
        member.flags,
        member.method,
        0,
        0x21,
        member.crc,
        len(member.stored),
        member.size,
        len(local_name),
        0,
    )
    out += local_name + member.stored
    start = len(out)
    out += b"PK\x01\x02" + struct.pack(
        "<HHHHHHIIIHHHHHII",
        20,
        member.needs_version,
        member.flags,
        member.method,
        0,
        0x21,
        member.crc,
        len(member.stored) if member.packed is None else member.packed,
        member.size,
        len(member.name),
        len(member.extra),
        0,
        0,
        0,
        0,
        0 if member.offset is None else member.offset,
    )
    out += member.name + member.extra
    size = len(out) - start
    out += b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, size, start, 0)
    return bytes(out)


def packed_by_zipfile(data: bytes, method: int) -> bytes:
    """``data`` as zipfile compresses a member with ``method`` (deflate, bzip2, LZMA)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        archive.writestr("member", data)
    written = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(written)) as archive:
        info = archive.infolist()[0]
    name_length, extra_length = struct.unpack_from("<HH", written, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    return written[start : start + info.compress_size]


@dataclass(frozen=True, slots=True)
class Damage:
    name: str
    archive: bytes
    kind: ProblemKind
    reason: str  # what the problem's reason starts with
    in_member: bool = True  # the problem is located at the member (else at the archive)
    nested_reason: str | None = None  # when the archive is nested, if it differs


def damages() -> list[Damage]:
    lzma_data = packed_by_zipfile(POM, LZMA)  # 4 bytes of header, 5 of properties, data
    deflated = packed_by_zipfile(POM, DEFLATED)
    past_end = len(POM) + 5000
    zip64_offset = struct.pack("<HHQ", 0x0001, 8, 2**63 + 5)
    return [
        Damage(
            "lzma-bad-properties",
            raw_zip(Member(b"\x09\x14\x05\x00" + b"\xff" * 40, LZMA)),
            ProblemKind.CORRUPT,
            "LZMAError: Invalid or unsupported options",
        ),
        Damage(
            "lzma-bad-data",
            raw_zip(Member(lzma_data[:9] + b"\xff" * 20 + lzma_data[29:], LZMA)),
            ProblemKind.CORRUPT,
            "LZMAError: Corrupt input data",
        ),
        Damage(
            "bzip2-bad-data",
            raw_zip(Member(b"BZh9" + bytes(30), BZIP2)),
            ProblemKind.CORRUPT,
            "OSError: Invalid data stream",
        ),
        Damage(
            "deflate-bad-data",
            raw_zip(Member(b"\xff" * 20, DEFLATED)),
            ProblemKind.CORRUPT,
            "error: Error -3 while decompressing data",
        ),
        Damage(
            "bad-crc",
            raw_zip(Member(deflated, DEFLATED, crc=1234)),
            ProblemKind.CORRUPT,
            "BadZipFile: Bad CRC-32",
        ),
        Damage(
            "data-cut-short",
            raw_zip(Member(POM, size=past_end, packed=past_end)),
            ProblemKind.CORRUPT,
            "EOFError",
        ),
        Damage(
            "deflate64",
            raw_zip(Member(deflated, 9)),
            ProblemKind.CORRUPT,
            "unsupported compression method 9 (NotImplementedError",
        ),
        Damage(
            "aes-method-99",
            raw_zip(Member(POM, 99)),
            ProblemKind.CORRUPT,
            "unsupported compression method 99 (NotImplementedError",
        ),
        Damage(
            "strong-encryption",
            raw_zip(Member(POM, flags=STRONG_ENCRYPTION)),
            ProblemKind.CORRUPT,
            "NotImplementedError: strong encryption",
        ),
        Damage(
            "patched-data",
            raw_zip(Member(POM, flags=PATCHED_DATA)),
            ProblemKind.CORRUPT,
            "NotImplementedError: compressed patched data",
        ),
        Damage(
            "encrypted",
            raw_zip(Member(POM, flags=ENCRYPTED)),
            ProblemKind.ENCRYPTED,
            "encrypted member",
        ),
        Damage(
            "bad-local-header",
            raw_zip(Member(POM, local_signature=b"PK\x07\x08")),
            ProblemKind.CORRUPT,
            "BadZipFile: Bad magic number for file header",
        ),
        Damage(
            "names-disagree",
            raw_zip(Member(POM, local_name=POM_NAME[:-1] + b"X")),
            ProblemKind.CORRUPT,
            "BadZipFile: File name in directory",
        ),
        Damage(
            "local-name-not-utf8",
            raw_zip(Member(POM, flags=UTF8_NAMES, local_name=POM_NAME[:-2] + b"\xff\xfe")),
            ProblemKind.CORRUPT,
            "UnicodeDecodeError",
        ),
        Damage(
            "header-past-the-end",
            raw_zip(Member(POM, offset=10**6)),
            ProblemKind.CORRUPT,
            "BadZipFile: Truncated file header",
        ),
        Damage(
            "zip64-offset-overflow",
            raw_zip(Member(POM, offset=0xFFFFFFFF, extra=zip64_offset)),
            ProblemKind.CORRUPT,
            "ValueError: cannot fit 'int' into an offset-sized integer",  # a file's seek
            nested_reason="OverflowError: Python int too large",  # io.BytesIO's seek
        ),
        Damage(
            "zip64-extra-too-short",
            raw_zip(Member(POM, offset=0xFFFFFFFF, extra=struct.pack("<HH", 0x0001, 0))),
            ProblemKind.CORRUPT,
            "BadZipFile: Corrupt zip64 extra field",
            in_member=False,
        ),
        Damage(
            "central-name-not-utf8",
            raw_zip(Member(POM, flags=UTF8_NAMES, name=POM_NAME[:-2] + b"\xff\xfe")),
            ProblemKind.CORRUPT,
            "UnicodeDecodeError",
            in_member=False,
        ),
        Damage(
            "zip-version-too-new",
            raw_zip(Member(POM, needs_version=99)),
            ProblemKind.CORRUPT,
            "NotImplementedError: zip file version 9.9",
            in_member=False,
        ),
    ]


def log4j_core_jar(version: str = "2.14.1") -> bytes:
    """A log4j-core as its pom and marker classes show it (the classes are stubs)."""
    core = "org/apache/logging/log4j/core/"
    pom = f"groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion={version}\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", pom)
        archive.writestr(core + "LoggerContext.class", b"\xca\xfe\xba\xbe")
        archive.writestr(core + "lookup/JndiLookup.class", b"\xca\xfe\xba\xbe")
    return out.getvalue()
