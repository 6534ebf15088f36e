"""``clearinghouse advisory import|export`` on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from clearinghouse.advisories import publish, service
from clearinghouse.advisories.cli import app
from clearinghouse.advisories.schemas import DraftIn
from clearinghouse.db import Database
from clearinghouse.formats import csaf, cve5, osv
from clearinghouse.formats import model as m
from clearinghouse.principal import SYSTEM
from tests.support.advisories import FIXTURES, log4shell_draft
from tests.unit.formats.csaf_cases import log4shell

NOW = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)


def _run(database: Database, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(app, list(args), env={"CLEARINGHOUSE_DATABASE_URL": database.url})
    return result.exit_code, result.stdout, result.stderr


def test_import_then_export(database: Database, tmp_path: Path) -> None:
    code, stdout, stderr = _run(database, "import", str(FIXTURES / "osv"), "--tlp", "CLEAR")
    assert code == 0, stderr
    assert "created" in stdout
    code, stdout, _ = _run(database, "import", str(FIXTURES / "osv"), "--tlp", "CLEAR")
    assert code == 0
    assert "unchanged" in stdout

    code, stdout, _ = _run(database, "export", "--format", "osv", "PYSEC-2099-1")
    assert code == 0
    assert json.loads(stdout)["id"] == "PYSEC-2099-1"
    code, stdout, stderr = _run(database, "export", "--format", "csaf", "PYSEC-2099-1")
    assert code == 0, stderr
    assert csaf.validate_csaf(json.loads(stdout)) == ()
    code, _, stderr = _run(database, "export", "--format", "cve5", "PYSEC-2099-1")
    assert code == 0, stderr

    code, _, stderr = _run(database, "export", "--format", "osv", "PYSEC-1999-404")
    assert code == 3
    assert "no advisory" in stderr
    code, _, stderr = _run(database, "export", "--format", "cve5", "RUSTSEC-2099-0001")
    assert code == 1  # no CVE id: nothing to render
    assert "CVE" in stderr


def test_import_reports_what_it_left_out(database: Database, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "ok.json").write_bytes((FIXTURES / "osv" / "PYSEC-2099-2.json").read_bytes())
    code, _, stderr = _run(database, "import", str(tmp_path))
    assert code == 1
    assert "bad.json" in stderr
    assert "TLP" in stderr  # no --tlp: the OSV record is refused, not taken as CLEAR


def test_export_a_published_local_advisory(database: Database, tmp_path: Path) -> None:
    with database.transaction() as s:
        saved = service.create_draft(
            s,
            DraftIn.model_validate(log4shell_draft()),
            actor=SYSTEM,
            now=NOW,
            publisher=m.Publisher("Clearinghouse", "https://clearinghouse.example"),
        )
        publish.publish(
            s,
            saved.advisory,
            actor=SYSTEM,
            now=NOW,
            render=publish.render_context("http://127.0.0.1:8000", "Clearinghouse"),
        )
        pid = saved.advisory.public_id
    target = tmp_path / "out.json"
    code, _, stderr = _run(database, "export", "-f", "cve5", pid, "-o", str(target))
    assert code == 0, stderr
    record = json.loads(target.read_text())
    cve5.validate_cve5(record)
    assert record["cveMetadata"]["cveId"] == "CVE-2021-44228"
    code, stdout, _ = _run(database, "export", "-f", "osv", pid)
    osv.validate_osv_schema(json.loads(stdout))


def test_a_csaf_document_failing_a_test_is_refused_alone_or_recorded(
    database: Database, tmp_path: Path
) -> None:
    """Issue #9, items 1 and 14 from the command line: the directory import exited 70 and
    stored nothing; the failing document is refused with its test named (exit 1), the
    other stored, and ``--csaf-findings record`` imports it with the findings shown."""
    good = csaf.model_to_csaf(log4shell())
    good["document"]["tracking"]["id"] = "VENDOR-GOOD"
    twice = json.loads(json.dumps(good))
    twice["document"]["tracking"]["id"] = "VENDOR-TWICE"
    twice["vulnerabilities"].append(twice["vulnerabilities"][0])
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "twice.json").write_text(json.dumps(twice))
    code, _, stderr = _run(database, "import", str(tmp_path))
    assert code == 1, stderr
    assert "twice.json: fails CSAF mandatory test(s) 6.1.23" in stderr
    code, _, stderr = _run(database, "export", "--format", "csaf", "VENDOR-GOOD")
    assert code == 0, stderr
    code, _, stderr = _run(database, "import", str(tmp_path), "--csaf-findings", "record")
    assert code == 0, stderr
    assert "twice.json: warning: imported although it fails CSAF test 6.1.23" in stderr
