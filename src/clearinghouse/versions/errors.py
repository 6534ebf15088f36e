"""The one error the versions package raises on purpose."""

from __future__ import annotations

from clearinghouse.errors import InvalidInput


class InvalidVersion(InvalidInput):
    """A version string cannot be ordered under the scheme it was given to.

    Strict schemes raise it (SemVer for ``SEMVER`` ranges, npm, crates.io, Go...; NuGet)
    for strings they cannot read, and Maven for strings over 256 characters. PyPI (with
    its legacy fallback), RubyGems and the generic scheme order every string.
    """

    code = "invalid-version"
    title = "The version is not valid"
