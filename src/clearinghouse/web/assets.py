"""Static assets (the CSS, the scripts, vendored htmx) under versioned URLs.

Each file's URL carries the digest of its content (``/static/app.css?v=3f2a...``), so a
browser may keep it for a year: a changed file gets a new URL. A request naming another
version (or none) is still served, but revalidated every time (``no-cache``), so an old
page never runs against a stale script for long.
"""

from __future__ import annotations

import hashlib
import os
from os import PathLike
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR: Final = Path(__file__).parent / "static"
PREFIX: Final = "/static"
IMMUTABLE: Final = "public, max-age=31536000, immutable"


class Assets:
    """The digest of every file under ``directory``, computed once at start-up."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.directory = directory
        self._digests = {
            path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[
                :16
            ]
            for path in sorted(directory.rglob("*"))
            if path.is_file()
        }

    def url(self, name: str) -> str:
        """The versioned URL of an asset (an unknown name is a bug: ``KeyError``)."""
        return f"{PREFIX}/{name}?v={self._digests[name]}"

    def digest(self, name: str) -> str | None:
        return self._digests.get(name)


class VersionedStatic(StaticFiles):
    """Serves :class:`Assets`, cacheable for a year when the URL names the current
    version."""

    def __init__(self, assets: Assets) -> None:
        super().__init__(directory=assets.directory)
        self.assets = assets

    def file_response(
        self,
        full_path: str | PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        name = Path(full_path).resolve().relative_to(self.assets.directory.resolve()).as_posix()
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        current = self.assets.digest(name)
        fresh = current is not None and asked == current
        response.headers["Cache-Control"] = IMMUTABLE if fresh else "no-cache"
        return response
