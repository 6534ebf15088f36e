"""Every way zipfile fails on a damaged archive or member is a problem of that archive, and
the scan goes on (an LZMA member with bad properties used to abort the whole scan)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from clearinghouse.scan.jars import scan_jars
from clearinghouse.scan.model import ProblemKind
from tests.unit.scan.damaged import POM_NAME, Damage, damages, log4j_core_jar

DAMAGES = damages()
MEMBER = POM_NAME.decode()
REAL_LOG4J_CORE = sorted(Path("/usr/share/java").glob("log4j-core-2*.jar"))


def _in_a_war(archive: bytes, name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as war:
        war.writestr(f"WEB-INF/lib/{name}", archive)
    return out.getvalue()


@pytest.mark.parametrize("damage", DAMAGES, ids=[d.name for d in DAMAGES])
def test_a_damaged_archive_is_one_problem_where_it_is_damaged(
    damage: Damage, tmp_path: Path
) -> None:
    path = tmp_path / f"{damage.name}.jar"
    path.write_bytes(damage.archive)
    scan = scan_jars([path])
    assert scan.components == []
    (problem,) = scan.problems
    assert problem.kind is damage.kind
    assert problem.reason.startswith(damage.reason), problem.reason
    assert problem.chain == ((str(path), MEMBER) if damage.in_member else (str(path),))


@pytest.mark.parametrize("damage", DAMAGES, ids=[d.name for d in DAMAGES])
def test_a_damaged_archive_nested_in_a_war_is_one_problem_of_its_chain(
    damage: Damage, tmp_path: Path
) -> None:
    path = tmp_path / "app.war"
    path.write_bytes(_in_a_war(damage.archive, "damaged.jar"))
    scan = scan_jars([path])
    assert scan.components == []
    (problem,) = scan.problems
    assert problem.kind is damage.kind
    assert problem.reason.startswith(damage.nested_reason or damage.reason), problem.reason
    nested = (str(path), "WEB-INF/lib/damaged.jar")
    assert problem.chain == ((*nested, MEMBER) if damage.in_member else nested)


def _corpus(directory: Path, good: bytes) -> None:
    """One jar per kind of damage, each also nested in a WAR, and a good log4j-core."""
    for damage in DAMAGES:
        (directory / f"{damage.name}.jar").write_bytes(damage.archive)
        (directory / f"{damage.name}.war").write_bytes(_in_a_war(damage.archive, "inner.jar"))
    (directory / "log4j-core.jar").write_bytes(good)


def test_damaged_archives_beside_a_good_one_leave_the_good_one_reported(tmp_path: Path) -> None:
    _corpus(tmp_path, log4j_core_jar("2.14.1"))
    scan = scan_jars([tmp_path])
    assert [(c.purl, c.location) for c in scan.components] == [
        ("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", str(tmp_path / "log4j-core.jar"))
    ]
    where = sorted(Path(p.chain[0]).name for p in scan.problems)
    assert where == sorted(f"{d.name}{suffix}" for d in DAMAGES for suffix in (".jar", ".war"))
    assert scan.files == 2 * len(DAMAGES) + 1


@pytest.mark.skipif(not REAL_LOG4J_CORE, reason="Debian's liblog4j2-java is not installed")
def test_damaged_archives_beside_debians_log4j_core_leave_it_reported(tmp_path: Path) -> None:
    _corpus(tmp_path, REAL_LOG4J_CORE[-1].read_bytes())
    scan = scan_jars([tmp_path])
    core = [c for c in scan.components if c.artifact == "log4j-core"]
    assert [c.location for c in core] == [str(tmp_path / "log4j-core.jar")]
    assert core[0].version is not None
    assert core[0].version.startswith("2.")
    assert len(scan.problems) == 2 * len(DAMAGES)
    assert {p.kind for p in scan.problems} == {ProblemKind.CORRUPT, ProblemKind.ENCRYPTED}
