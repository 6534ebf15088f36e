"""Builds the hard archive corpus from the real upstream Log4j jars in
``../shared/data/jars/log4j/`` (repackaged here, never committed): nested EAR/WAR/ZIP,
every archive suffix, pom-less and manifest-less copies, shaded (relocated) classes,
JndiLookup removed, truncated and corrupt archives, a zip bomb, a deep nest, hostile names.

``build(jars_dir, out_dir)`` writes the files and returns what a correct scanner must find
(:class:`Expected`), so tests and ``bench/scan_jars.py`` share one truth.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

VERSIONS: Final = ("2.14.1", "2.16.0", "2.17.1")
CORE_ROOT: Final = "org/apache/logging/log4j/core/"
JNDI_LOOKUP: Final = CORE_ROOT + "lookup/JndiLookup.class"
SHADE_PREFIX: Final = "com/acme/shaded/"
# What the class evidence must conclude for a copy without pom and manifest.
CLASS_RANGES: Final = {
    "2.14.1": ">=2.0-beta9, <2.15.0",
    "2.16.0": ">=2.16.0, <2.17.0",
    "2.17.1": ">=2.17.1",
}


@dataclass(frozen=True, slots=True)
class Expected:
    """One log4j-core a scanner must report: where, which version, on what evidence."""

    location: str  # chain joined with " > ", the top-level file relative to the corpus root
    version: str  # the true release
    evidence: str  # "pom", "manifest" or "classes"
    jndi_lookup_removed: bool = False
    shaded: bool = False


@dataclass(slots=True)
class Corpus:
    root: Path
    expected: list[Expected] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)  # relative location -> problem kind

    def add(self, expected: Expected) -> None:
        self.expected.append(expected)


Transform = Callable[[str], str | None]  # member name -> new name, or None to drop


def repack(source: bytes, transform: Transform, extra: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip with members renamed or dropped (and some added)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as old,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            name = transform(info.filename)
            if name is not None:
                new.writestr(name, old.read(info))
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return out.getvalue()


def wrap(members: dict[str, bytes], stored: bool = False) -> bytes:
    out = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _keep(name: str) -> str:
    return name


def _no_pom(name: str) -> str | None:
    return None if name.startswith("META-INF/maven/") else name


def _classes_only(name: str) -> str | None:
    return name if name.startswith("org/") else None


def _shaded(name: str) -> str | None:
    return SHADE_PREFIX + name if name.startswith("org/") else None


def _without_jndi_lookup(name: str) -> str | None:
    return None if name == JNDI_LOOKUP else name


def zip_bomb(size: int) -> bytes:
    """A deflated member of ``size`` zero bytes (ratio about 1000:1), inside a zip."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.jar", "w") as member,
    ):
        block = bytes(1024 * 1024)
        for _ in range(size // len(block)):
            member.write(block)
    return out.getvalue()


def build(jars_dir: Path, out_dir: Path, *, bomb_bytes: int = 64 * 1024 * 1024) -> Corpus:
    corpus = Corpus(out_dir)
    core = {v: (jars_dir / f"log4j-core-{v}.jar").read_bytes() for v in VERSIONS}
    api = (jars_dir / "log4j-api-2.14.1.jar").read_bytes()

    def put(relative: str, data: bytes) -> None:
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    for version in VERSIONS:
        put(f"plain/log4j-core-{version}.jar", core[version])
        corpus.add(Expected(f"plain/log4j-core-{version}.jar", version, "pom"))
        put(f"pomless/log4j-core-{version}.jar", repack(core[version], _no_pom))
        corpus.add(Expected(f"pomless/log4j-core-{version}.jar", version, "manifest"))
        put(f"classes/core-{version}.jar", repack(core[version], _classes_only))
        corpus.add(Expected(f"classes/core-{version}.jar", version, "classes"))
        put(
            f"shaded/app-{version}.jar",
            repack(core[version], _shaded, {"com/acme/App.class": b"\xca\xfe\xba\xbe"}),
        )
        corpus.add(Expected(f"shaded/app-{version}.jar", version, "classes", shaded=True))

    put("mitigated/log4j-core-2.14.1.jar", repack(core["2.14.1"], _without_jndi_lookup))
    corpus.add(
        Expected("mitigated/log4j-core-2.14.1.jar", "2.14.1", "pom", jndi_lookup_removed=True)
    )

    inner = "WEB-INF/lib/log4j-core-2.14.1.jar"
    war = wrap(
        {
            "WEB-INF/web.xml": b"<web-app/>",
            inner: core["2.14.1"],
            "WEB-INF/lib/log4j-api-2.14.1.jar": api,
        }
    )
    put("nested/app.ear", wrap({"web.war": war, "META-INF/application.xml": b"<application/>"}))
    corpus.add(Expected(f"nested/app.ear > web.war > {inner}", "2.14.1", "pom"))
    put("nested/stored.war", wrap({inner: core["2.16.0"]}, stored=True))
    corpus.add(Expected(f"nested/stored.war > {inner}", "2.16.0", "pom"))
    classes_in_war = wrap({"WEB-INF/lib/core.jar": repack(core["2.17.1"], _classes_only)})
    put("nested/bundle.zip", wrap({"deploy/app.war": classes_in_war}))
    corpus.add(
        Expected("nested/bundle.zip > deploy/app.war > WEB-INF/lib/core.jar", "2.17.1", "classes")
    )

    for suffix in ("aar", "nar", "sar", "rar", "jpi", "hpi"):
        put(f"suffixes/plugin.{suffix}", wrap({"lib/log4j-core-2.14.1.jar": core["2.14.1"]}))
        corpus.add(
            Expected(f"suffixes/plugin.{suffix} > lib/log4j-core-2.14.1.jar", "2.14.1", "pom")
        )

    hostile = wrap(
        {
            "../../../../tmp/evil.class": b"x",
            "/etc/cron.d/evil": b"x",
            "C:\\Windows\\evil.dll": b"x",
            "lib/log4j-core-2.16.0.jar": core["2.16.0"],
        }
    )
    put("hostile/names.zip", hostile)
    corpus.add(Expected("hostile/names.zip > lib/log4j-core-2.16.0.jar", "2.16.0", "pom"))
    corpus.broken["hostile/names.zip"] = "hostile-name"

    put("broken/truncated.jar", core["2.14.1"][: len(core["2.14.1"]) // 2])
    corpus.broken["broken/truncated.jar"] = "corrupt"
    put("broken/empty.jar", b"")
    corpus.broken["broken/empty.jar"] = "corrupt"
    truncated_inside = wrap(
        {"lib/cut.jar": core["2.17.1"][:4096], "lib/log4j-core-2.17.1.jar": core["2.17.1"]}
    )
    put("broken/partial.war", truncated_inside)
    corpus.broken["broken/partial.war > lib/cut.jar"] = "corrupt"
    corpus.add(Expected("broken/partial.war > lib/log4j-core-2.17.1.jar", "2.17.1", "pom"))
    put("broken/bomb.zip", zip_bomb(bomb_bytes))
    corpus.broken["broken/bomb.zip > zeros.jar"] = "too-large"

    deep = core["2.14.1"]
    for level in range(12):
        deep = wrap({f"level{level}.jar": deep})
    put("broken/deep.zip", deep)
    corpus.broken["broken/deep.zip"] = "too-deep"
    return corpus
