"""``scan jars``: walk paths, open every (nested) archive, identify its components.

Pure: files are read, nothing is written, nothing is imported from the web or database
layers. The CLI adds advisories (:mod:`clearinghouse.scan.advisories`) and renders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from clearinghouse.scan.archives import ArchiveWalker, JarLimits, OpenArchive, discover
from clearinghouse.scan.identify import identify
from clearinghouse.scan.model import JarScan

Progress = Callable[[Path], None]


def scan_jars(
    paths: Iterable[Path],
    limits: JarLimits = JarLimits(),
    *,
    on_file_done: Progress | None = None,
    on_discovered: Callable[[int], None] | None = None,
) -> JarScan:
    """Every component and every problem under ``paths`` (files or directories)."""
    found = discover(paths, limits)
    result = JarScan(problems=list(found.problems), files=len(found.files))

    def visit(archive: OpenArchive) -> None:
        result.components.extend(identify(archive))

    walker = ArchiveWalker(visit, limits)
    if on_discovered is not None:
        on_discovered(len(found.files))
    for path in found.files:
        walker.scan_file(path)
        if on_file_done is not None:
            on_file_done(path)
    result.problems.extend(walker.problems)
    result.archives = walker.archives
    return result
