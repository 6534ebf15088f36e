"""The command line as a user runs it (a real process): messages and documented exit codes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLEARINGHOUSE_DATABASE_URL": f"sqlite:///{db}",
        "CLEARINGHOUSE_LOG_JSON": "false",
        "CLEARINGHOUSE_ARGON2_TIME_COST": "1",
        "CLEARINGHOUSE_ARGON2_MEMORY_KIB": "1024",
    }
    return subprocess.run(
        [sys.executable, "-c", "from clearinghouse.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    assert run(path, "db", "upgrade").returncode == 0
    return path


def test_admin_token_and_audit_verify_then_tampering(db: Path) -> None:
    r = run(
        db, "admin", "create", "--email", "root@op.test", "--password", "a long enough password"
    )
    assert r.returncode == 0, r.stderr
    r = run(db, "token", "create", "--email", "root@op.test", "--scope", "read", "--scope", "admin")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("chk_")
    r = run(db, "audit", "verify")
    assert r.returncode == 0
    assert "ok: 3 entries" in r.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_entries SET object_id = 'x' WHERE seq = 2")
    r = run(db, "audit", "verify")
    assert r.returncode == 1
    assert "BROKEN at entry 2" in r.stderr


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("case", "show", "CH-1999-0001"), 3, "no case"),
        (("token", "create", "--email", "nobody@x.test"), 3, "no user"),
        (("token", "create", "--email", "a@b.c", "--scope", "bogus"), 2, "unknown scope"),
        (("admin", "create", "--email", "x@y.z", "--password", "short"), 2, "12 characters"),
        (("jobs", "requeue", "not-a-uuid"), 2, "not a job id"),
        (("clocks", "evaluate", "--events", "/nonexistent.json"), 2, "cannot read"),
        (
            (
                "clocks",
                "board",
                "--events",
                str(REPO / "docs/examples/clocks-cra.json"),
                "--at",
                "1791194400",
            ),
            2,
            "RFC 3339",
        ),
        (
            (
                "clocks",
                "board",
                "--events",
                str(REPO / "docs/examples/clocks-cra.json"),
                "--at",
                "2026-10-21T00:00:00",
            ),
            2,
            "RFC 3339",
        ),
        (("no-such-command",), 2, "No such command"),
    ],
)
def test_errors_have_messages_and_exit_codes(
    db: Path, args: tuple[str, ...], code: int, words: str
) -> None:
    r = run(db, *args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert words in r.stderr + r.stdout


def test_clocks_evaluate_example(db: Path) -> None:
    r = run(
        db,
        "clocks",
        "evaluate",
        "--events",
        str(REPO / "docs" / "examples" / "clocks-cra.json"),
        "--at",
        "2026-10-02T12:00:00Z",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    due = {(o["regime"], o["stage"]): o["due"] for o in out["obligations"]}
    assert due[("eu-cra-art14-vuln", "early_warning")] == "2026-10-02T10:00:00Z"
    assert due[("eu-cra-art14-vuln", "notification")] == "2026-10-04T10:00:00Z"


MULTINATIONAL = REPO / "docs" / "examples" / "clocks-multinational-ransomware.json"


def test_clocks_board_prints_the_expected_board(db: Path) -> None:
    args = ("clocks", "board", "--events", str(MULTINATIONAL), "--at", "2026-11-10T12:00:00Z")
    r = run(db, *args, "--json")
    assert r.returncode == 0, r.stderr
    expected = json.loads(MULTINATIONAL.with_suffix(".board.json").read_text(encoding="utf-8"))
    assert json.loads(r.stdout) == expected
    r = run(db, *args)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("2026-10-24T02:00:00Z"))
    assert "MET LATE  harbour-cn  cn-cac-2025-incident / report" in lines[first]
    assert "displaced by: eu-dora-art19" in r.stdout
    assert "superseded by cac-graded" in r.stdout


def test_clocks_evaluate_gains_the_board_view(db: Path) -> None:
    r = run(db, "clocks", "evaluate", "--events", str(MULTINATIONAL), "--board")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [b["subject"] for b in out["boards"]] == ["INC-HARBOUR-2026-10"]
    assert out["at"] == "2026-11-06T16:30:00Z"  # the latest recorded_at


def test_audit_verify_against_a_kept_head_finds_truncation(db: Path) -> None:
    """Issue #9, item 12, from the command line: ``--expect-head`` with the head printed
    earlier; deleting the newest entries is found (exit 1), a bad hash is input (exit 2)."""
    email = ("--email", "root@op.test", "--password", "a long enough password")
    assert run(db, "admin", "create", *email).returncode == 0
    r = run(db, "audit", "verify")
    kept = r.stdout.split("head ")[1].split()[0]
    assert run(db, "token", "create", "--email", "root@op.test").returncode == 0
    r = run(db, "audit", "verify", "--expect-head", kept)
    assert r.returncode == 0, r.stderr
    assert "the head you kept is entry 2; 1 since" in r.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit_entries WHERE seq >= 2")
    assert run(db, "audit", "verify").returncode == 0  # alone, it cannot tell
    r = run(db, "audit", "verify", "--expect-head", kept)
    assert r.returncode == 1
    assert f"the head you kept ({kept}) is not in the chain" in r.stderr
    r = run(db, "audit", "verify", "--expect-head", "not-a-hash")
    assert r.returncode == 2
    assert "64 hexadecimal digits" in r.stderr
