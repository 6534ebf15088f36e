"""The one error the versions package raises on purpose."""

from __future__ import annotations

from typing import Final

from clearinghouse.errors import InvalidInput

SHOWN_CHARACTERS: Final = 80  # of a version quoted in a message


class InvalidVersion(InvalidInput):
    """A version string cannot be ordered under the scheme it was given to.

    Strict schemes raise it (SemVer for ``SEMVER`` ranges, npm, crates.io, Go...; NuGet)
    for strings they cannot read, Maven, dpkg, rpm and apk for strings over 256
    characters (and for strings the last three refuse). PyPI (with its legacy fallback),
    RubyGems and the generic scheme order every string, numbers of any length included.
    """

    code = "invalid-version"
    title = "The version is not valid"


def shown(version: str) -> str:
    """``repr(version)`` for a message, cut to :data:`SHOWN_CHARACTERS` characters: a
    message names the version without echoing an uploaded megabyte."""
    if len(version) <= SHOWN_CHARACTERS:
        return repr(version)
    return f"{version[:SHOWN_CHARACTERS]!r}... ({len(version)} characters)"
