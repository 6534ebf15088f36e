"""Package URLs: canonical form, and the OSV package (ecosystem, name, version) they name.

Canonical form is packageurl-python's rendering, which applies the purl specification's
per-type rules (lower-cased ``pypi`` names with ``_`` as ``-``, lower-cased ``github``,
``composer`` and ``deb`` names, sorted qualifiers...).

OSV names are not always the purl's name:

* Maven joins ``namespace:name`` (``org.apache.logging.log4j:log4j-core``); npm, Go,
  Packagist and the others join with ``/``;
* PyPI names are normalised per PEP 503 on both sides of a match;
* distribution packages (``deb``, ``rpm``, ``apk``) are matched in the distribution's
  ecosystem, chosen from the namespace (``debian`` -> ``Debian``, ``ubuntu`` ->
  ``Ubuntu``, ``redhat`` -> ``Red Hat``...), and under both the binary name and the
  source package the ``upstream`` qualifier names, because Debian's and Alpine's OSV
  records name source packages; an RPM ``epoch`` qualifier becomes ``epoch:`` in front
  of the version, as RPM's ordering reads it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

from packageurl import PackageURL

from clearinghouse.formats.csaf_vocab import PURL_TYPE_TO_ECOSYSTEM
from clearinghouse.formats.model import FormatError

__all__ = [
    "OsvCoordinates",
    "PurlError",
    "canonical_purl",
    "ecosystem_key",
    "normalise_name",
    "osv_coordinates",
    "parse_purl",
]

_PEP503: Final = re.compile(r"[-_.]+")
MAX_PURL_LENGTH: Final = 2000

# Distribution purl namespaces -> OSV ecosystem (purl type -> namespace -> ecosystem).
_DISTRIBUTIONS: Final[dict[str, dict[str, str]]] = {
    "deb": {"debian": "Debian", "ubuntu": "Ubuntu"},
    "rpm": {
        "redhat": "Red Hat",
        "rhel": "Red Hat",
        "rocky": "Rocky Linux",
        "rocky-linux": "Rocky Linux",
        "almalinux": "AlmaLinux",
        "suse": "SUSE",
        "sles": "SUSE",
        "opensuse": "openSUSE",
        "mageia": "Mageia",
        "openeuler": "openEuler",
        "photon": "Photon OS",
        "azurelinux": "Azure Linux",
        "mariner": "Azure Linux",
    },
    "apk": {
        "alpine": "Alpine",
        "wolfi": "Wolfi",
        "chainguard": "Chainguard",
        "alpaquita": "Alpaquita",
        "minimos": "MinimOS",
    },
}
_RPM_SOURCE_SUFFIX: Final = re.compile(r"-[^-]+-[^-]+\.src\.rpm\Z")


class PurlError(FormatError):
    """A string is not a package URL."""

    code = "invalid-purl"
    title = "The package URL is not valid"


def normalise_name(ecosystem: str, name: str) -> str:
    """The name as the advisory index stores it: PEP 503 for PyPI, as written elsewhere."""
    if ecosystem.split(":", 1)[0].casefold() == "pypi":
        return _PEP503.sub("-", name).lower()
    return name


def ecosystem_key(ecosystem: str) -> str:
    """Ecosystems are matched without regard to case."""
    return ecosystem.casefold()


# An SBOM's purls are read twice (the reader canonicalises each, the index reads the
# canonical form), and fleets repeat them: the last parses are remembered. Callers treat
# the PackageURL as immutable (its qualifiers are only read).
_from_string = functools.lru_cache(maxsize=32_768)(PackageURL.from_string)


def parse_purl(text: str) -> PackageURL:
    """Read a package URL; :class:`PurlError` says why it is not one."""
    if len(text) > MAX_PURL_LENGTH:
        raise PurlError(f"a package URL of {len(text)} characters (at most {MAX_PURL_LENGTH})")
    try:
        return _from_string(text)
    except ValueError as exc:
        raise PurlError(f"not a package URL: {exc}") from None


def canonical_purl(text: str) -> str:
    """The purl specification's canonical form of ``text``."""
    return str(parse_purl(text).to_string())


@dataclass(frozen=True, slots=True)
class OsvCoordinates:
    """The OSV package a purl names: ``names`` holds the binary name first, then the
    source package when the purl says it differs."""

    ecosystem: str
    names: tuple[str, ...]
    version: str | None
    release: str | None = None  # the distribution release, in OSV's spelling ("12", "v3.19")

    @property
    def name(self) -> str:
        return self.names[0]


def osv_coordinates(purl: PackageURL) -> OsvCoordinates | None:
    """The OSV ecosystem, names and version of ``purl``; None for types OSV does not cover."""
    distributions = _DISTRIBUTIONS.get(purl.type)
    if distributions is not None:
        return _distribution_coordinates(purl, distributions)
    ecosystem = PURL_TYPE_TO_ECOSYSTEM.get(purl.type)
    if ecosystem is None:
        return None
    name = str(purl.name)
    if purl.namespace:
        separator = ":" if ecosystem == "Maven" else "/"
        name = f"{purl.namespace}{separator}{name}"
    return OsvCoordinates(ecosystem, (name,), purl.version or None)


def _distribution_coordinates(
    purl: PackageURL, distributions: dict[str, str]
) -> OsvCoordinates | None:
    namespace = (purl.namespace or "").casefold()
    ecosystem = distributions.get(namespace)
    if ecosystem is None:
        return None
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    names = [str(purl.name)]
    source = _source_name(purl.type, str(qualifiers.get("upstream", "")))
    if source and source not in names:
        names.append(source)
    version = purl.version or None
    epoch = str(qualifiers.get("epoch", ""))
    if version and purl.type == "rpm" and epoch and ":" not in version:
        version = f"{epoch}:{version}"
    release = _release(purl.type, str(qualifiers.get("distro", "")))
    return OsvCoordinates(ecosystem, tuple(names), version, release)


def _release(purl_type: str, distro: str) -> str | None:
    """OSV's release suffix from a ``distro`` qualifier: ``debian-12`` -> ``12``,
    ``ubuntu-22.04`` -> ``22.04``, ``alpine-3.19.1`` -> ``v3.19``; None for rpm (Red Hat's
    OSV suffixes name products, not releases) and when the qualifier is absent."""
    _, dash, release = distro.rpartition("-")
    if not dash or not release or purl_type == "rpm":
        return None
    if purl_type == "apk":
        return "v" + ".".join(release.split(".")[:2])
    return release


def _source_name(purl_type: str, upstream: str) -> str:
    """The source package an ``upstream`` qualifier names (syft writes ``name``,
    ``name@version`` or, for rpm, ``name-version-release.src.rpm``)."""
    if not upstream:
        return ""
    if purl_type == "rpm":
        return _RPM_SOURCE_SUFFIX.sub("", upstream)
    return upstream.split("@", 1)[0].strip()
