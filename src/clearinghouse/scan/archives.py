"""Walk directories and (nested) Java archives safely, without extracting anything to disk.

Two steps, so that a caller can show progress: :func:`discover` lists the archive files
under the given paths (symlink loops, special files and unreadable directories become
:class:`ArchiveProblem` values, and each file is reached once however many links lead to
it); :class:`ArchiveWalker` opens one file and every archive nested in it, in memory,
reading central directories and only the members it is asked for.

Safety (each limit in :class:`JarLimits`): a member is decompressed only if its declared
size fits the member limit, its compression ratio the ratio limit, and the file's whole
decompression budget what is left of it (zipfile never yields more than the declared size,
so a lying header cannot exceed the budget); nesting stops at a depth limit; entry names are
never used as paths, and hostile ones are reported. Every failure is recorded with its
reason and the walk goes on.
"""

from __future__ import annotations

import errno
import io
import lzma
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from clearinghouse.scan.model import ArchiveProblem, ProblemKind

ARCHIVE_SUFFIXES: Final = frozenset(
    {".jar", ".war", ".ear", ".zip", ".aar", ".nar", ".sar", ".rar", ".jpi", ".hpi"}
)
MIB: Final = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
# Every way zipfile fails on a damaged or unusual archive or member; each becomes a problem
# of that archive, and the scan goes on. tests/unit/scan/test_archive_damage.py builds one
# archive per kind.
_ZIP_ERRORS: Final = (
    zipfile.BadZipFile,  # bad magic, bad CRC-32, names that disagree, truncated headers
    zipfile.LargeZipFile,  # a writer's error in 3.11; caught should a reader raise it
    zlib.error,  # deflate data
    lzma.LZMAError,  # LZMA data or properties
    EOFError,  # member data cut short
    OSError,  # bzip2 data; I/O errors
    OverflowError,  # a ZIP64 offset past what a seek takes (in-memory nested archives)
    struct.error,  # a header shorter than its format (3.11 checks lengths first)
    ValueError,  # names not UTF-8 as flagged; offsets a file's seek refuses
    NotImplementedError,  # unsupported compression method, strong encryption, patched data
    RuntimeError,  # zipfile: encrypted member, or a password is required
    KeyError,
)

_READABLE_METHODS: Final = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)


@dataclass(frozen=True, slots=True)
class JarLimits:
    """Bounds on what one scanned file may cost (each is an attacker-controlled count)."""

    max_depth: int = 8  # archives inside archives, the top-level file being depth 0
    max_entries: int = 200_000  # entries in one archive's central directory
    max_member_bytes: int = 512 * MIB  # one nested archive, held in memory while scanned
    max_metadata_bytes: int = 4 * MIB  # one pom, manifest or class file read for evidence
    max_ratio: int = 200  # declared size / compressed size, for members above ratio_floor
    ratio_floor: int = 4 * MIB  # small members may compress as well as they like
    max_total_bytes: int = 2048 * MIB  # everything decompressed for one top-level file
    max_files: int = 2_000_000  # files looked at during discovery


def is_archive_name(name: str) -> bool:
    dot = name.rfind(".")
    return dot >= 0 and name[dot:].lower() in ARCHIVE_SUFFIXES


def display_name(name: str, limit: int = 300) -> str:
    """An entry name safe to print: control characters escaped, length bounded."""
    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def is_hostile_name(name: str) -> bool:
    """Names that would escape or confuse an extraction: absolute, drive-relative, "..",
    NUL or control characters, or absurdly long."""
    if not name or len(name) > 4096 or _CONTROL.search(name):
        return True
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return ".." in re.split(r"[/\\]", name)


# --- discovery on disk ---------------------------------------------------------------------


@dataclass(slots=True)
class Discovery:
    """What :func:`discover` found: the archive files to open, and what it could not visit."""

    files: list[Path] = field(default_factory=list)
    problems: list[ArchiveProblem] = field(default_factory=list)
    looked_at: int = 0


def discover(paths: Iterable[Path], limits: JarLimits = JarLimits()) -> Discovery:
    """The archives under ``paths`` (by name; a file named on the command line whatever its
    name)."""
    return _discover(paths, is_archive_name, limits.max_files)


def discover_files(
    paths: Iterable[Path], max_files: int
) -> tuple[list[Path], list[ArchiveProblem]]:
    """Every regular file under ``paths`` (the log scanner's discovery)."""
    found = _discover(paths, lambda _name: True, max_files)
    return found.files, found.problems


def _discover(paths: Iterable[Path], wanted: Callable[[str], bool], max_files: int) -> Discovery:
    found = Discovery()
    walk = _Walk(wanted, max_files, found)
    for path in paths:
        for item in walk.root(path):
            if isinstance(item, ArchiveProblem):
                found.problems.append(item)
            else:
                found.files.append(item)
    return found


def _problem(path: Path | str, kind: ProblemKind, reason: str) -> ArchiveProblem:
    return ArchiveProblem((display_name(str(path)),), kind, reason)


def _stat(path: Path) -> os.stat_result | ArchiveProblem:
    try:
        return path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _problem(path, ProblemKind.SYMLINK_LOOP, "too many levels of symbolic links")
        return _problem(path, ProblemKind.UNREADABLE, exc.strerror or str(exc))


class _Walk:
    """One discovery: files reached once however many links lead to them."""

    def __init__(self, wanted: Callable[[str], bool], max_files: int, found: Discovery) -> None:
        self.wanted = wanted
        self.max_files = max_files
        self.found = found
        self.seen: set[tuple[int, int]] = set()

    def root(self, root: Path) -> Iterator[Path | ArchiveProblem]:
        info = _stat(root)
        if isinstance(info, ArchiveProblem):
            yield info
            return
        key = (info.st_dev, info.st_ino)
        if stat.S_ISREG(info.st_mode):  # a file named on the command line: whatever its name
            if key not in self.seen:
                self.seen.add(key)
                yield root
            return
        if not stat.S_ISDIR(info.st_mode):
            yield _problem(root, ProblemKind.SPECIAL_FILE, "not a regular file or directory")
            return
        self.seen.add(key)
        yield from self._tree(root, frozenset({key}))

    def _tree(
        self, root: Path, ancestors: frozenset[tuple[int, int]]
    ) -> Iterator[Path | ArchiveProblem]:
        # Depth-first, iterative; a directory reached again through a link is a loop when it
        # is one of its own ancestors, and a duplicate (skipped silently) otherwise.
        stack = [(root, ancestors)]
        while stack:
            directory, parents = stack.pop()
            try:
                with os.scandir(directory) as entries:
                    names = sorted((entry.name for entry in entries), reverse=True)
            except OSError as exc:
                yield _problem(directory, ProblemKind.UNREADABLE, exc.strerror or str(exc))
                continue
            for name in names:
                self.found.looked_at += 1
                if self.found.looked_at > self.max_files:
                    yield _problem(
                        root, ProblemKind.TOO_MANY_ENTRIES, f"more than {self.max_files} files"
                    )
                    return
                yield from self._entry(directory / name, parents, stack)

    def _entry(
        self,
        path: Path,
        parents: frozenset[tuple[int, int]],
        stack: list[tuple[Path, frozenset[tuple[int, int]]]],
    ) -> Iterator[Path | ArchiveProblem]:
        wanted = self.wanted(path.name)
        info = _stat(path)
        if isinstance(info, ArchiveProblem):
            if wanted or info.kind is ProblemKind.SYMLINK_LOOP:
                yield info
            return
        key = (info.st_dev, info.st_ino)
        if stat.S_ISDIR(info.st_mode):
            if key in parents:
                yield _problem(path, ProblemKind.SYMLINK_LOOP, "links back to one of its parents")
            elif key not in self.seen:
                self.seen.add(key)
                stack.append((path, parents | {key}))
            return
        if not wanted:
            return
        if not stat.S_ISREG(info.st_mode):
            yield _problem(
                path, ProblemKind.SPECIAL_FILE, "not a regular file (FIFO, device, socket)"
            )
        elif key not in self.seen:
            self.seen.add(key)
            yield path


# --- inside archives -----------------------------------------------------------------------


@dataclass(slots=True)
class _Budget:
    remaining: int


class OpenArchive:
    """One opened archive, as the identifiers see it: its names and bounded reads."""

    def __init__(
        self,
        chain: tuple[str, ...],
        archive: zipfile.ZipFile,
        infos: list[zipfile.ZipInfo],
        reader: _MemberReader,
    ) -> None:
        self.chain = chain
        self._archive = archive
        self._reader = reader
        self.infos = {info.filename: info for info in infos if not info.is_dir()}

    @property
    def names(self) -> Iterable[str]:
        return self.infos.keys()

    def read(self, name: str) -> bytes | None:
        """A small member (pom, manifest, class): None when absent or refused (recorded)."""
        info = self.infos.get(name)
        if info is None:
            return None
        return self._reader.read(
            self._archive, info, self.chain, self._reader.limits.max_metadata_bytes
        )


class _MemberReader:
    def __init__(self, limits: JarLimits, problems: list[ArchiveProblem]) -> None:
        self.limits = limits
        self.problems = problems
        self.budget = _Budget(limits.max_total_bytes)

    def refuse(self, info: zipfile.ZipInfo, cap: int) -> tuple[ProblemKind, str] | None:
        size, packed = info.file_size, info.compress_size
        if info.flag_bits & 0x1:
            return ProblemKind.ENCRYPTED, "encrypted member"
        if size > cap:
            return ProblemKind.TOO_LARGE, f"declares {size} bytes uncompressed (limit {cap})"
        if size > self.limits.ratio_floor and size > packed * self.limits.max_ratio:
            ratio = size // max(packed, 1)
            return (
                ProblemKind.TOO_LARGE,
                f"compression ratio {ratio}:1 (limit {self.limits.max_ratio}:1): zip bomb?",
            )
        if size > self.budget.remaining:
            return (
                ProblemKind.TOO_LARGE,
                f"decompression budget of {self.limits.max_total_bytes} bytes for this file spent",
            )
        return None

    def read(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, chain: tuple[str, ...], cap: int
    ) -> bytes | None:
        where = (*chain, display_name(info.filename))
        refused = self.refuse(info, cap)
        if refused is not None:
            self.problems.append(ArchiveProblem(where, *refused))
            return None
        try:
            with archive.open(info) as member:
                data = member.read(info.file_size)
        except _ZIP_ERRORS as exc:
            reason = _reason(exc)
            if info.compress_type not in _READABLE_METHODS:
                reason = f"unsupported compression method {info.compress_type} ({reason})"
            self.problems.append(ArchiveProblem(where, ProblemKind.CORRUPT, reason))
            return None
        self.budget.remaining -= len(data)
        return data


def _reason(exc: BaseException) -> str:
    if isinstance(exc, zipfile.BadZipFile) and "not a zip file" in str(exc):
        return "not a zip archive (no end of central directory: truncated or not an archive)"
    text = str(exc)
    return display_name(f"{type(exc).__name__}: {text}" if text else type(exc).__name__, 200)


Visitor = Callable[[OpenArchive], None]


class ArchiveWalker:
    """Opens one file on disk and every archive nested in it; calls ``visit`` on each."""

    def __init__(self, visit: Visitor, limits: JarLimits = JarLimits()) -> None:
        self.visit = visit
        self.limits = limits
        self.problems: list[ArchiveProblem] = []
        self.archives = 0

    def scan_file(self, path: Path) -> None:
        chain = (display_name(str(path)),)
        reader = _MemberReader(self.limits, self.problems)
        try:
            with path.open("rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    self.problems.append(
                        ArchiveProblem(chain, ProblemKind.SPECIAL_FILE, "not a regular file")
                    )
                    return
                archive = zipfile.ZipFile(handle)
                self._walk(archive, chain, 0, reader)
        except PermissionError as exc:
            self.problems.append(
                ArchiveProblem(chain, ProblemKind.UNREADABLE, exc.strerror or "permission denied")
            )
        except FileNotFoundError:
            self.problems.append(
                ArchiveProblem(chain, ProblemKind.UNREADABLE, "vanished during the scan")
            )
        except _ZIP_ERRORS as exc:
            self.problems.append(ArchiveProblem(chain, ProblemKind.CORRUPT, _reason(exc)))

    def _walk(
        self, archive: zipfile.ZipFile, chain: tuple[str, ...], depth: int, reader: _MemberReader
    ) -> None:
        infos = archive.infolist()
        if len(infos) > self.limits.max_entries:
            self.problems.append(
                ArchiveProblem(
                    chain,
                    ProblemKind.TOO_MANY_ENTRIES,
                    f"{len(infos)} entries (limit {self.limits.max_entries})",
                )
            )
            return
        self.archives += 1
        self._report_hostile_names(infos, chain)
        self.visit(OpenArchive(chain, archive, infos, reader))
        for info in infos:
            if info.is_dir() or not is_archive_name(info.filename):
                continue
            self._walk_nested(archive, info, chain, depth + 1, reader)

    def _walk_nested(
        self,
        archive: zipfile.ZipFile,
        info: zipfile.ZipInfo,
        chain: tuple[str, ...],
        depth: int,
        reader: _MemberReader,
    ) -> None:
        where = (*chain, display_name(info.filename))
        if depth > self.limits.max_depth:
            self.problems.append(
                ArchiveProblem(
                    where,
                    ProblemKind.TOO_DEEP,
                    f"nested deeper than {self.limits.max_depth} archives",
                )
            )
            return
        data = reader.read(archive, info, chain, self.limits.max_member_bytes)
        if data is None:
            return
        try:
            nested = zipfile.ZipFile(io.BytesIO(data))
            self._walk(nested, where, depth, reader)
        except _ZIP_ERRORS as exc:
            self.problems.append(ArchiveProblem(where, ProblemKind.CORRUPT, _reason(exc)))

    def _report_hostile_names(self, infos: list[zipfile.ZipInfo], chain: tuple[str, ...]) -> None:
        hostile = [info.filename for info in infos if is_hostile_name(info.filename)]
        if hostile:
            example = display_name(hostile[0], 120)
            self.problems.append(
                ArchiveProblem(
                    chain,
                    ProblemKind.HOSTILE_NAME,
                    f"{len(hostile)} entry name(s) that would escape an extraction,"
                    f" e.g. {example!r}",
                )
            )
