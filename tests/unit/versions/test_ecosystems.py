"""Dispatch by OSV ecosystem name."""

from __future__ import annotations

import pytest

from clearinghouse.versions import (
    InvalidVersion,
    Scheme,
    compare,
    key_function,
    scheme_for,
    sort_key,
)


@pytest.mark.parametrize(
    ("ecosystem", "scheme"),
    [
        ("Maven", Scheme.MAVEN),
        ("Maven:https://maven.google.com", Scheme.MAVEN),
        ("PyPI", Scheme.PYPI),
        ("pypi", Scheme.PYPI),
        ("npm", Scheme.SEMVER),
        ("crates.io", Scheme.SEMVER),
        ("Go", Scheme.SEMVER),
        ("Hex", Scheme.SEMVER),
        ("Pub", Scheme.SEMVER),
        ("NuGet", Scheme.NUGET),
        ("RubyGems", Scheme.RUBYGEMS),
        ("Packagist", Scheme.GENERIC),
        ("Debian:11", Scheme.DPKG),
        ("Ubuntu:22.04:LTS", Scheme.DPKG),
        ("Red Hat", Scheme.RPM),
        ("Red Hat:enterprise_linux:8::appstream", Scheme.RPM),
        ("Rocky Linux:8", Scheme.RPM),
        ("AlmaLinux:9", Scheme.RPM),
        ("SUSE:Linux Enterprise Server 15 SP5", Scheme.RPM),
        ("openSUSE:Leap 15.5", Scheme.RPM),
        ("Alpine:v3.18", Scheme.APK),
        ("Wolfi", Scheme.APK),
        ("Chainguard", Scheme.APK),
        ("Hackage", Scheme.GENERIC),
        ("SomethingNew", Scheme.GENERIC),
    ],
)
def test_scheme_for(ecosystem: str, scheme: Scheme) -> None:
    assert scheme_for(ecosystem) is scheme


def test_compare_uses_the_ecosystem_ordering() -> None:
    assert compare("Maven", "5.3.18.RELEASE", "5.3.18") == 0
    assert compare("PyPI", "1.0rc1", "1.0") == -1
    assert compare("npm", "1.0.0-rc.1", "1.0.0") == -1
    assert compare("Go", "v1.2.3", "1.2.3") == 0
    assert compare("RubyGems", "1.0.0.rc1", "1.0.0") == -1
    assert compare("Packagist", "1.0.0-beta1", "1.0.0") == -1
    assert sort_key("crates.io", "1.2.3") == key_function(Scheme.SEMVER)("1.2.3")


def test_strict_ecosystems_raise_a_typed_error() -> None:
    with pytest.raises(InvalidVersion):
        sort_key("crates.io", "1.2")
    with pytest.raises(InvalidVersion):
        compare("npm", "latest", "1.0.0")
