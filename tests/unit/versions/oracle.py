"""Maven's own ComparableVersion as a test oracle, and the shipped tricky-version list."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "versions"
MAVEN_JAR = Path("/usr/share/maven/lib/maven-artifact-3.x.jar")


def tricky_maven_versions() -> list[str]:
    lines = (FIXTURES / "maven_tricky.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


class MavenOracle:
    """Maven's own ``ComparableVersion``, behind a tiny Java program.

    ``batch`` runs one JVM over many pairs; ``compare`` talks to a long-lived JVM one
    pair at a time (for Hypothesis, which draws examples one by one).
    """

    def __init__(self, classpath: str) -> None:
        self._command = ["java", "-Xshare:auto", "-cp", classpath, "MavenCompare"]
        self._process: subprocess.Popen[str] | None = None

    def batch(self, pairs: Sequence[tuple[str, str]]) -> list[int]:
        if not pairs:
            return []
        for a, b in pairs:
            assert not {"\t", "\n"} & set(a + b), "the oracle reads tab-separated lines"
        result = subprocess.run(
            self._command,
            input="".join(f"{a}\t{b}\n" for a, b in pairs),
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
            timeout=300,
        )
        answers = [int(line) for line in result.stdout.split()]
        assert len(answers) == len(pairs)
        return answers

    def compare(self, a: str, b: str) -> int:
        if self._process is None:
            self._process = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(f"{a}\t{b}\n")
        self._process.stdin.flush()
        return int(self._process.stdout.readline())

    def close(self) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=30)
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
