"""Discovery on disk and the archive walker's safety, on small archives made here."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from clearinghouse.scan.archives import (
    ArchiveWalker,
    OpenArchive,
    discover,
    display_name,
    is_archive_name,
    is_hostile_name,
)
from clearinghouse.scan.identify import parse_manifest
from clearinghouse.scan.jars import scan_jars
from clearinghouse.scan.model import ProblemKind

POM = b"groupId=org.example\nartifactId=demo\nversion=1.2.3\n"


def _jar(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _demo_jar() -> bytes:
    return _jar({"META-INF/maven/org.example/demo/pom.properties": POM})


def test_archive_names_by_suffix_whatever_the_case() -> None:
    for name in (
        "a.jar",
        "B.WAR",
        "c.ear",
        "d.zip",
        "e.aar",
        "f.nar",
        "g.sar",
        "h.rar",
        "i.jpi",
        "j.HPI",
    ):
        assert is_archive_name(name)
    assert not is_archive_name("notes.txt")
    assert not is_archive_name("jar")


def test_hostile_names_are_recognised_and_shown_safely() -> None:
    for name in ("../x", "a/../../x", "/etc/passwd", "\\\\server\\x", "C:\\x", "a\x01b", ""):
        assert is_hostile_name(name), name
    assert not is_hostile_name("META-INF/MANIFEST.MF")
    assert display_name("a\x1b[31mred") == "a\\x1b[31mred"


def test_discovery_survives_symlink_loops_and_reaches_each_file_once(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "demo.jar").write_bytes(_demo_jar())
    (tmp_path / "lib" / "again.jar").symlink_to(tmp_path / "lib" / "demo.jar")
    (tmp_path / "lib" / "loop").symlink_to(tmp_path)
    (tmp_path / "self.jar").symlink_to(tmp_path / "self.jar")
    (tmp_path / "dangling.jar").symlink_to(tmp_path / "missing.jar")
    found = discover([tmp_path])
    assert [p.name for p in found.files] == ["demo.jar"] or [p.name for p in found.files] == [
        "again.jar"
    ]
    kinds = sorted(p.kind.value for p in found.problems)
    assert kinds == ["symlink-loop", "symlink-loop", "unreadable"]


def test_a_fifo_named_like_an_archive_is_reported_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jar")
    found = discover([tmp_path])
    assert found.files == []
    assert [p.kind for p in found.problems] == [ProblemKind.SPECIAL_FILE]


def test_corrupt_member_data_is_reported_with_its_reason(tmp_path: Path) -> None:
    data = bytearray(_jar({"lib/inner.jar": _demo_jar() * 3}))
    middle = data.find(b"lib/inner.jar") + 60
    data[middle : middle + 40] = bytes(40)  # damage the deflated stream
    path = tmp_path / "damaged.war"
    path.write_bytes(bytes(data))
    scan = scan_jars([path])
    assert [p.kind for p in scan.problems] == [ProblemKind.CORRUPT]
    assert "inner.jar" in scan.problems[0].location


def test_only_the_members_needed_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.jar"
    members = {f"com/example/C{n}.class": bytes(2000) for n in range(500)}
    members["META-INF/maven/org.example/demo/pom.properties"] = POM
    path.write_bytes(_jar(members))
    read: list[str] = []
    original = OpenArchive.read

    def spy(self: OpenArchive, name: str) -> bytes | None:
        read.append(name)
        data: bytes | None = original(self, name)
        return data

    monkeypatch.setattr(OpenArchive, "read", spy)
    scan = scan_jars([path])
    assert [c.purl for c in scan.components] == ["pkg:maven/org.example/demo@1.2.3"]
    assert read == ["META-INF/maven/org.example/demo/pom.properties"]


def test_pom_xml_without_properties_and_hostile_xml() -> None:
    pom = (
        b'<project xmlns="http://maven.apache.org/POM/4.0.0"><parent><groupId>org.p</groupId>'
        b"<version>9.1</version></parent><artifactId>child</artifactId></project>"
    )
    entity_bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><project>&a;</project>'
    members = {
        "META-INF/maven/org.p/child/pom.xml": pom,
        "META-INF/maven/evil/evil/pom.xml": entity_bomb,
    }
    found: list[str] = []

    def visit(archive: OpenArchive) -> None:
        from clearinghouse.scan.identify import identify

        found.extend(c.purl for c in identify(archive))

    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"pomxml-{os.getpid()}.jar"
    try:
        path.write_bytes(_jar(members))
        ArchiveWalker(visit).scan_file(path)
    finally:
        path.unlink()
    assert found == ["pkg:maven/org.p/child@9.1"]


def test_manifest_continuation_lines_are_joined() -> None:
    text = (
        b"Manifest-Version: 1.0\r\nImport-Package: a,\r\n b\r\nBundle-Version: 2.1\r\n"
        b"\r\nName: x\r\nA: b\r\n"
    )
    assert parse_manifest(text) == {
        "Manifest-Version": "1.0",
        "Import-Package": "a,b",
        "Bundle-Version": "2.1",
    }
