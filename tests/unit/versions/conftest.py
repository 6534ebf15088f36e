"""Fixtures for the versions tests: the real Maven comparator as an oracle."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.unit.versions.oracle import FIXTURES, MAVEN_JAR, MavenOracle


@pytest.fixture(scope="session")
def maven_oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MavenOracle]:
    """Skips (with the reason) when Java, javac or the maven-artifact jar is missing."""
    if shutil.which("java") is None or shutil.which("javac") is None:
        pytest.skip("java/javac not installed: Maven differential test needs a JDK")
    if not MAVEN_JAR.is_file():
        pytest.skip(f"{MAVEN_JAR} not found: install Debian's 'maven' package to run it")
    build = tmp_path_factory.mktemp("maven-oracle")
    subprocess.run(
        [
            "javac",
            "-cp",
            str(MAVEN_JAR),
            "-d",
            str(build),
            str(FIXTURES / "MavenCompare.java"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    oracle = MavenOracle(f"{MAVEN_JAR}:{build}")
    yield oracle
    oracle.close()
