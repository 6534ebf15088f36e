"""``clearinghouse sharing`` and ``clearinghouse csaf-key`` as the operator runs them, on a
real database: output, the secret kept out of it, and the typed errors behind the exit
codes (``cli_exit.run`` maps them; ``tests/db/test_cli.py`` checks that in a process)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner, Result

from clearinghouse.cli import app
from clearinghouse.db import Database
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.jobs.models import Job
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import service


def _invoke(database: Database, *args: str, **env: str) -> Result:
    return CliRunner().invoke(
        app, list(args), env={"CLEARINGHOUSE_DATABASE_URL": database.url, **env}
    )


def test_the_operator_configures_shows_runs_and_removes_a_sync_source(
    database: Database,
) -> None:
    with database.transaction() as s:
        service.create_collection(
            s,
            service.CollectionSpec(alias="mirror", title="Mirror", community=True),
            actor=SYSTEM,
            now=datetime(2026, 10, 1, tzinfo=UTC),
        )
    url = "https://peer.example/taxii2/root/collections/upstream/"
    secret = "remote-token-not-to-be-printed"
    args = ("sharing", "sync-set", "mirror", "--url", url, "--interval", "30")
    r = _invoke(database, *args, "--secret-env", "CH_SYNC_TOKEN", CH_SYNC_TOKEN=secret)
    assert r.exit_code == 0, r.output
    shown = _invoke(database, "sharing", "sync-show", "mirror")
    state = json.loads(shown.stdout)
    assert (state["url"], state["interval_minutes"], state["has_credential"]) == (url, 30, True)
    assert secret not in r.stdout + shown.stdout
    listing = _invoke(database, "sharing", "collections").stdout
    assert "mirror" in listing
    assert url in listing
    queued = _invoke(database, "sharing", "sync-run", "mirror")
    with database.transaction(write=False) as s:
        job = s.get(Job, uuid.UUID(queued.stdout.strip()))
        assert job is not None
        assert job.kind == "sharing.sync"
    assert _invoke(database, "sharing", "sync-remove", "mirror").exit_code == 0
    assert isinstance(_invoke(database, "sharing", "sync-show", "mirror").exception, NotFound)
    missing = _invoke(database, "sharing", "sync-set", "nope", "--url", url).exception
    assert isinstance(missing, NotFound)
    assert "no collection 'nope'" in missing.detail
    unset = _invoke(database, *args, "--secret-env", "CH_UNSET_VARIABLE").exception
    assert isinstance(unset, InvalidInput)
    assert "CH_UNSET_VARIABLE" in unset.detail


def test_a_csaf_signing_key_is_generated_once_and_shown(database: Database, tmp_path: Path) -> None:
    key = tmp_path / "csaf.asc"
    made = _invoke(database, "csaf-key", "generate", str(key))
    assert made.exit_code == 0, made.output
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    again = _invoke(database, "csaf-key", "generate", str(key)).exception
    assert isinstance(again, Conflict)  # never overwritten
    shown = _invoke(database, "csaf-key", "show", CLEARINGHOUSE_CSAF_SIGNING_KEY_FILE=str(key))
    assert shown.stdout.splitlines()[0] == made.stdout.strip()
    assert "BEGIN PGP PUBLIC KEY BLOCK" in shown.stdout
    assert "PRIVATE" not in shown.stdout
    assert _invoke(database, "csaf-key", "show").exit_code == 1  # none configured
