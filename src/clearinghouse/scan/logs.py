"""``scan logs``: Log4Shell-style lookup injection in log files, fast.

The scanner reads each file in large blocks (decompressing gzip, bzip2, xz, zstd and zip
members on the fly, recognised by their magic bytes), and looks at a block only through
:data:`CANDIDATE`, one compiled pattern for "a dollar sign then an opening brace" in every
encoding the decoder understands (plain, percent-encoded once or more, ``\\u``/``\\x``
escapes, HTML references). Blocks without a match cost one regex scan and one newline
count; only candidates are decoded (:func:`clearinghouse.scan.lookups.jndi_payloads`).
Lines are counted from 1; offsets are bytes from the start of the (decompressed) stream.

A stream in UTF-16 or UTF-32 (a byte-order mark, or, for UTF-16 without one, the zero
bytes of mostly ASCII text: what Windows PowerShell 5.1 writes by default) is read as the
same text in UTF-8 (:class:`_Wide`); its findings' offsets are still bytes of the stream.
"""

from __future__ import annotations

import bz2
import codecs
import enum
import gzip
import lzma
import re
import zipfile
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

import zstandard

from clearinghouse.scan.archives import discover_files
from clearinghouse.scan.lookups import JndiPayload, jndi_payloads

_DOLLAR = rb"(?:\$|%(?:25)*24|\\+[uU]0024|\\+[xX]24|&#0*36;?|&#[xX]0*24;?|&dollar;)"
_BRACE = (
    rb"(?:\{|%(?:25)*7[bB]|\\+[uU]007[bB]|\\+[xX]7[bB]|&#0*123;?|&#[xX]0*7[bB];?|&lbrace;|&lcub;)"
)
CANDIDATE: Final = re.compile(_DOLLAR + _BRACE)
# Where a CANDIDATE can start. "$" and "\\" are found with single-byte searches (memchr,
# memory speed) and the byte after them checked; "%2[45]" and "&#"/"&dollar;" with regexes
# that have a literal prefix (sre's fast prefix scan). A block holding none of them costs
# these four scans and a newline count; the full pattern runs only where one occurs.
_AFTER_DOLLAR: Final = frozenset(b"{%\\&")
_AFTER_BACKSLASH: Final = frozenset(b"uUxX\\")
_BACKSLASHES: Final = re.compile(rb"\\+")
_PLAIN_RUN: Final = re.compile(rb"(?:\$\{)+")
_PREFIXED: Final = (re.compile(rb"%2[45]"), re.compile(rb"&(?:#|dollar;)"))
BLOCK: Final = 4 * 1024 * 1024
# A line longer than MAX_LINE is scanned in blocks that overlap by OVERLAP bytes: a lookup
# that starts in one block's last OVERLAP bytes is reported from the next, which holds it
# whole if it is shorter than OVERLAP (see ``_resume_at``).
MAX_LINE: Final = 1024 * 1024
OVERLAP: Final = MAX_LINE // 2
# The bytes a CANDIDATE is made of: a block inside a long line starts after one that is not
# among them (looked for at most SAFE_BACK bytes back), so no candidate spans its start.
_CANDIDATE_BYTES: Final = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$%\\&#;{"
SAFE_BACK: Final = 64 * 1024
EXCERPT: Final = 240


class Compression(enum.StrEnum):
    NONE = "none"
    GZIP = "gzip"
    BZIP2 = "bzip2"
    XZ = "xz"
    ZSTD = "zstd"
    ZIP = "zip"


MAGIC: Final = (
    (b"\x1f\x8b", Compression.GZIP),
    (b"BZh", Compression.BZIP2),
    (b"\xfd7zXZ\x00", Compression.XZ),
    (b"\x28\xb5\x2f\xfd", Compression.ZSTD),
    (b"PK\x03\x04", Compression.ZIP),
)


@dataclass(frozen=True, slots=True)
class LogLimits:
    max_bytes_per_stream: int = 64 * 1024**3  # decompressed bytes read from one log
    max_findings_per_stream: int = 100_000  # beyond: counted, not kept
    max_zip_members: int = 10_000
    max_files: int = 2_000_000


@dataclass(frozen=True, slots=True)
class LogFinding:
    file: str  # path, or "archive.zip > member.log"
    line: int
    offset: int  # byte offset of the candidate in the decompressed stream
    excerpt: str  # the raw text from the candidate, bounded
    payload: JndiPayload


@dataclass(frozen=True, slots=True)
class LogProblem:
    file: str
    reason: str


@dataclass(slots=True)
class LogScan:
    findings: list[LogFinding] = field(default_factory=list)
    problems: list[LogProblem] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    bytes: int = 0
    dropped_findings: int = 0  # over max_findings_per_stream


def candidate_starts(data: bytes) -> list[int]:
    """Offsets in ``data`` where a CANDIDATE match starts, in order, one per match.

    Linear in ``len(data)``: each byte is read by a bounded number of scans, also in runs of
    backslashes (see :func:`_backslash_starts`). Each scan finds the candidates of one
    first byte, in order, so the lists are disjoint and merging them is sorting a few runs.
    """
    starts = _dollar_starts(data)
    others = _backslash_starts(data)
    match_at = CANDIDATE.match
    for token in _PREFIXED:
        others.extend(hit.start() for hit in token.finditer(data) if match_at(data, hit.start()))
    if others:
        starts.extend(others)
        starts.sort()
    return starts


def _dollar_starts(data: bytes) -> list[int]:
    """The CANDIDATEs that start with ``$``; a plain ``${`` (most of them) without running
    the pattern."""
    starts: list[int] = []
    find = data.find
    match_at = CANDIDATE.match
    index = find(b"$")
    while index >= 0:
        after = data[index + 1 : index + 2]
        if after == b"{":
            # a run of them (``${${${``...): every other byte, at once
            run = _PLAIN_RUN.match(data, index) if data[index + 2 : index + 4] == b"${" else None
            end = index + 2 if run is None else run.end()
            starts.extend(range(index, end, 2))
            index = find(b"$", end)
            continue
        found = match_at(data, index) if after and after[0] in _AFTER_DOLLAR else None
        if found is not None:
            starts.append(index)
            index = find(b"$", found.end())
        else:
            index = find(b"$", index + 1)
    return starts


def _backslash_starts(data: bytes) -> list[int]:
    """The CANDIDATEs that start with a backslash (``\\u0024{``, ``\\\\x24\\x7b``...), in order.

    A run of backslashes is tried once, from its first byte, and skipped whole when that
    fails: ``\\+[uUxX]`` can only end where the run ends, so a try from inside the run
    succeeds or fails with the one from its start, and would re-read the rest of the run
    for every backslash in it (n backslashes: n²/2 steps). A match is reported at its
    run's first byte, as before.
    """
    starts: list[int] = []
    match_at = CANDIDATE.match
    index = data.find(b"\\")
    while index >= 0:
        after = data[index + 1 : index + 2]
        found = match_at(data, index) if after and after[0] in _AFTER_BACKSLASH else None
        if found is not None:
            starts.append(index)
            index = data.find(b"\\", found.end())
        else:
            run = _BACKSLASHES.match(data, index)
            index = data.find(b"\\", run.end() if run is not None else index + 1)
    return starts


def detect_compression(head: bytes) -> Compression:
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    return Compression.NONE


# --- one stream -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Kept:
    """Findings kept of one stream, over both its readings (bytes, and wide text)."""

    count: int = 0


@dataclass(slots=True)
class _Stream:
    """One reading of a stream, fed its bytes in chunks of any size (:meth:`feed`), scanned
    in blocks that end at a line boundary, or overlap inside a line too long for one."""

    name: str
    limits: LogLimits
    scan: LogScan
    kept: _Kept
    # For a stream read through _Wide: an offset in what is scanned, as one in the stream.
    locate: Callable[[int], int] | None = None
    lines: int = 0  # newlines before the current block
    offset: int = 0  # bytes before the current block
    carry: bytes = b""  # read, not yet scanned: the start of a line that goes on
    # Payloads reported on the line that goes on past the last block: the next block does
    # not report them again (a line reports each payload once, as a short one does).
    carried: set[str] = field(default_factory=set)
    held: bytes = b""

    def feed(self, chunk: bytes) -> None:
        data = self.carry + chunk if self.carry else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) > MAX_LINE:
            cut = _resume_at(data)
            self.block(data, cut)
        elif cut:
            self.block(data[:cut])
        self.carry = data[cut:]
        # Held until the next chunk is read: freed before it, glibc gives the 4 MiB back
        # and maps it again for the read (measured: a few per cent of a plain log's scan).
        self.held = data

    def finish(self) -> None:
        """Scan what is left: the last line, which has no newline."""
        if self.carry:
            self.block(self.carry)
            self.lines += 1
        self.carry = self.held = b""

    def block(self, data: bytes, upto: int | None = None) -> None:
        """Scan one block that ends at a line boundary (or the stream's end). With
        ``upto`` (inside a line too long for one block): scan all of ``data`` but report
        only the lookups that start before ``upto``, and move on to ``upto``; the next
        block starts there, so what starts after it is read again with what follows it."""
        end = len(data) if upto is None else upto
        starts = candidate_starts(data)
        if starts and starts[0] < end:
            self._candidates(data, starts, end, goes_on=upto is not None)
        if upto is None:
            self.carried.clear()
        self.lines += data.count(b"\n", 0, end)
        self.offset += end

    def _candidates(self, data: bytes, starts: list[int], before: int, goes_on: bool) -> None:
        """Decode each line that holds candidates, once, from its first candidate to its
        end: every candidate of the line is read, however far from the first."""
        line_start = data.rfind(b"\n", 0, starts[0]) + 1
        line_number = self.lines + data.count(b"\n", 0, line_start) + 1
        first_line_end = data.find(b"\n")
        first_line_end = len(data) if first_line_end < 0 else first_line_end
        position = 0
        while position < len(starts):
            first = starts[position]
            newline = data.find(b"\n", line_start, first)
            if newline >= 0:  # the candidate is on a later line
                next_start = data.rfind(b"\n", 0, first) + 1
                line_number += data.count(b"\n", line_start, next_start)
                line_start = next_start
            end = data.find(b"\n", first)
            end = len(data) if end < 0 else end
            after = bisect_left(starts, end, position)
            on_line = starts[position:after]
            position = after
            text = data[first:end].decode("utf-8", "replace")
            for ordinal, payload in jndi_payloads(text):
                start = on_line[ordinal] if ordinal < len(on_line) else first
                if start >= before:  # the next block reports it, read whole
                    continue
                if start < first_line_end and payload.decoded in self.carried:
                    continue  # reported by the block before, on this same line
                if goes_on:
                    self.carried.add(payload.decoded)
                raw = data[start : min(end, start + EXCERPT)]
                self._keep(line_number, self.offset + start, raw, payload)

    def _keep(self, line: int, offset: int, raw: bytes, payload: JndiPayload) -> None:
        if self.kept.count >= self.limits.max_findings_per_stream:
            self.scan.dropped_findings += 1
            return
        self.kept.count += 1
        if self.locate is not None:
            offset = self.locate(offset)
        excerpt = raw.decode("utf-8", "replace")
        self.scan.findings.append(LogFinding(self.name, line, offset, excerpt, payload))


def _resume_at(data: bytes) -> int:
    """Where the next block starts inside a line longer than MAX_LINE (``data`` holds no
    newline): OVERLAP bytes before its end, moved back before the run of candidate bytes
    that position is in, so that a candidate across it is read whole in this block and not
    read in part in the next. Always past the first OVERLAP bytes: each block moves on."""
    at = len(data) - OVERLAP
    low = max(OVERLAP, at - SAFE_BACK)
    kept = len(data[low:at].rstrip(_CANDIDATE_BYTES))
    return low + kept if kept else at


def scan_stream(name: str, source: BinaryIO, scan: LogScan, limits: LogLimits) -> None:
    """Scan one readable stream of log text. One that looks like UTF-16 or UTF-32 is read
    both as its text and as bytes: whoever writes the first bytes of a log cannot hide
    what follows by making it look wide."""
    kept = _Kept()
    plain = _Stream(name, limits, scan, kept)
    head = source.read(BLOCK)
    while head and len(head) < SNIFF:  # a short read (zstandard stops at each frame's end)
        more = source.read(BLOCK)
        if not more:
            break
        head += more
    wide = _Wide.of(head)
    reading = None if wide is None else (wide, _Stream(name, limits, scan, kept, wide.locate))
    total = 0
    chunk = head
    while chunk:
        total += len(chunk)
        plain.feed(chunk)
        if reading is not None:
            reading[1].feed(reading[0].transcode(chunk))
        if total >= limits.max_bytes_per_stream:
            scan.problems.append(LogProblem(name, f"stopped after {total} bytes (limit)"))
            break
        chunk = source.read(BLOCK)
    plain.finish()
    if reading is not None:
        reader, text = reading
        text.feed(reader.transcode(b"", final=True))
        text.finish()
    scan.lines += plain.lines if reading is None else reading[1].lines  # wide: its text's
    scan.bytes += plain.offset


# --- UTF-16 and UTF-32 ----------------------------------------------------------------------

_BOMS: Final = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le", 4),
    (codecs.BOM_UTF32_BE, "utf-32-be", 4),
    (codecs.BOM_UTF16_LE, "utf-16-le", 2),
    (codecs.BOM_UTF16_BE, "utf-16-be", 2),
)
_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]+")
_ASTRAL: Final = re.compile(r"[\U00010000-\U0010ffff]")
SNIFF: Final = 4096  # bytes looked at for UTF-16 without a byte-order mark
# How far back (in UTF-8) an offset can still be located: a block scans its carry (less
# than one transcoded read: 4 MiB of UTF-16 is at most 6 MiB of UTF-8) and one read.
KEEP_MARKS: Final = 3 * BLOCK


def _sniff(head: bytes) -> tuple[str, int, int] | None:
    """The wide encoding of a stream from its first bytes: (codec, code unit in bytes, bytes
    of byte-order mark), or None for bytes read as they are. Without a mark, UTF-16 is
    recognised by the zero high bytes of mostly ASCII text (most of one side's bytes zero,
    nearly none of the other's); UTF-32 only by its mark."""
    for bom, codec, unit in _BOMS:
        if head.startswith(bom):
            if codec == "utf-32-le" and not _utf32_le(head[4:SNIFF]):
                # UTF-16's mark, then U+0000: UTF-16 text read four bytes at a time gives
                # code points past U+10FFFF as soon as a character after it is not U+0000
                return "utf-16-le", 2, 2
            return codec, unit, len(bom)
    sample = head[: SNIFF - SNIFF % 2]
    pairs = len(sample) // 2
    if pairs < 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= pairs * 0.6 and even <= pairs * 0.05:
        return "utf-16-le", 2, 0
    if even >= pairs * 0.6 and odd <= pairs * 0.05:
        return "utf-16-be", 2, 0
    return None


def _utf32_le(data: bytes) -> bool:
    """Whether ``data``'s whole 4-byte units are all Unicode scalar values, little-endian."""
    whole = len(data) - len(data) % 4
    units = (int.from_bytes(data[i : i + 4], "little") for i in range(0, whole, 4))
    return all(u <= 0x10FFFF and not 0xD800 <= u <= 0xDFFF for u in units)


class _Wide:
    """UTF-16 or UTF-32 read as UTF-8 (invalid code units as U+FFFD), a chunk at a time,
    able to say where an offset of what it gave lies in the stream.

    ASCII is one byte in UTF-8 and one code unit in the stream, so an offset in an ASCII
    stretch maps by its distance from the stretch's start; each run of other characters
    leaves a mark where it ends (in both), and a finding (which starts with an ASCII byte)
    is located from the last mark before it. Marks further back than a block can reach
    (KEEP_MARKS) are dropped, and each is two 8-byte integers: at most a few tens of MB
    for text that alternates ASCII and other characters all along.
    """

    def __init__(self, codec: str, unit: int, bom: int) -> None:
        self._decoder = codecs.getincrementaldecoder(codec)("replace")
        self._unit = unit
        self._skip = bom  # the mark's bytes, not text
        self._at = (0, bom)  # (UTF-8 bytes given, stream bytes decoded) so far
        self._keys = array("q", [0])  # each mark's UTF-8 offset, in order
        self._stream = array("q", [bom])  # and its offset in the stream

    @classmethod
    def of(cls, head: bytes) -> _Wide | None:
        found = _sniff(head)
        return None if found is None else cls(*found)

    def transcode(self, raw: bytes, final: bool = False) -> bytes:
        if self._skip:
            skipped, raw = raw[: self._skip], raw[self._skip :]
            self._skip -= len(skipped)
        text = self._decoder.decode(raw, final)
        self._mark(text)
        return text.encode("utf-8")

    def _mark(self, text: str) -> None:
        utf8, stream = self._at
        unit, position = self._unit, 0
        for run in _NON_ASCII.finditer(text):
            gap, chars = run.start() - position, run.group()
            wide = len(chars) + (len(_ASTRAL.findall(chars)) if unit == 2 else 0)
            utf8 += gap + len(chars.encode("utf-8"))
            stream += (gap + wide) * unit
            self._keys.append(utf8)
            self._stream.append(stream)
            position = run.end()
        tail = len(text) - position
        self._at = (utf8 + tail, stream + tail * unit)
        self._forget(self._at[0] - KEEP_MARKS)

    def _forget(self, before: int) -> None:
        """Drop the marks before ``before`` but the last of them (a base to count from)."""
        cut = bisect_right(self._keys, before) - 1
        if cut > 4096:  # in batches: a drop moves the rest
            del self._keys[:cut]
            del self._stream[:cut]

    def locate(self, offset: int) -> int:
        """Where ``offset`` of the UTF-8 given (at an ASCII character, or the end) lies
        in the stream."""
        index = max(bisect_right(self._keys, offset) - 1, 0)
        return self._stream[index] + (offset - self._keys[index]) * self._unit


# --- files ------------------------------------------------------------------------------------


@contextmanager
def _opened(path: Path, kind: Compression) -> Iterator[BinaryIO]:
    match kind:
        case Compression.GZIP:
            with gzip.open(path, "rb") as handle:
                yield handle  # type: ignore[misc]
        case Compression.BZIP2:
            with bz2.open(path, "rb") as handle:
                yield handle  # type: ignore[misc]
        case Compression.XZ:
            with lzma.open(path, "rb") as handle:
                yield handle  # type: ignore[misc]
        case Compression.ZSTD:
            with path.open("rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as handle:
                yield handle
        case Compression.NONE | Compression.ZIP:
            with path.open("rb") as handle:
                yield handle


_READ_ERRORS: Final = (
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    zstandard.ZstdError,
    zipfile.BadZipFile,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


def scan_file(path: Path, scan: LogScan, limits: LogLimits = LogLimits()) -> None:
    name = str(path)
    try:
        with path.open("rb") as handle:
            kind = detect_compression(handle.read(8))
        if kind is Compression.ZIP:
            _scan_zip(path, scan, limits)
        else:
            with _opened(path, kind) as stream:
                scan_stream(name, stream, scan, limits)
        scan.files += 1
    except _READ_ERRORS as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        scan.problems.append(LogProblem(name, f"{type(exc).__name__}: {reason or 'unreadable'}"))


def _scan_zip(path: Path, scan: LogScan, limits: LogLimits) -> None:
    with zipfile.ZipFile(path) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > limits.max_zip_members:
            scan.problems.append(
                LogProblem(str(path), f"{len(members)} members (limit {limits.max_zip_members})")
            )
            members = members[: limits.max_zip_members]
        for info in members:
            name = f"{path} > {info.filename}"
            try:
                with archive.open(info) as member:
                    scan_stream(name, member, scan, limits)  # type: ignore[arg-type]
            except _READ_ERRORS as exc:
                scan.problems.append(LogProblem(name, f"{type(exc).__name__}: {exc}"))


def scan_logs(
    paths: Iterable[Path],
    limits: LogLimits = LogLimits(),
    *,
    on_file_done: Callable[[Path], None] | None = None,
    on_discovered: Callable[[int], None] | None = None,
) -> LogScan:
    """Every attempt in every file under ``paths`` (directories: every regular file)."""
    scan = LogScan()
    files, problems = discover_files(paths, limits.max_files)
    scan.problems.extend(LogProblem(p.location, f"{p.kind.value}: {p.reason}") for p in problems)
    if on_discovered is not None:
        on_discovered(len(files))
    for path in files:
        scan_file(path, scan, limits)
        if on_file_done is not None:
            on_file_done(path)
    return scan
