"""``clearinghouse sharing`` and ``clearinghouse csaf-key`` as the operator runs them, on a
real database: output, the secret kept out of it, and the typed errors behind the exit
codes (``cli_exit.run`` maps them; ``tests/db/test_cli.py`` checks that in a process)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner, Result

from clearinghouse.cli import app
from clearinghouse.db import Database
from clearinghouse.errors import Conflict, InvalidInput, NotFound
from clearinghouse.jobs.models import Job
from clearinghouse.principal import SYSTEM
from clearinghouse.sharing import service
from clearinghouse.sharing.models import SharedObject


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


def test_misp_event_files_are_imported_with_their_tlp(database: Database, tmp_path: Path) -> None:
    with database.transaction() as s:
        service.create_collection(
            s,
            service.CollectionSpec(alias="imported", title="Imported", community=True),
            actor=SYSTEM,
            now=datetime(2026, 10, 1, tzinfo=UTC),
        )
    marked: dict[str, Any] = {
        "Event": {
            "uuid": "6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c",
            "info": "Marked",
            "Tag": [{"name": "tlp:amber+strict"}],
            "Attribute": [
                {
                    "uuid": "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c01",
                    "type": "url",
                    "value": "https://x.example/",
                },
                {"uuid": "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c02", "type": "comment", "value": "hi"},
            ],
        }
    }
    unmarked: dict[str, Any] = {
        "Event": {**marked["Event"], "uuid": "7f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c", "Tag": []}
    }
    unmarked["Event"]["Attribute"] = [
        {**marked["Event"]["Attribute"][0], "uuid": "1c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c03"}
    ]
    files = []
    for name, event in (("marked", marked), ("unmarked", unmarked)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(event))
        files.append(str(path))
    r = _invoke(database, "sharing", "misp-import", "imported", *files)
    assert r.exit_code == 1  # the unmarked event's objects were refused
    assert "2 new versions" in r.stdout
    assert "2 refused" in r.stdout
    assert "skipped attribute 0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c02 (comment)" in r.stdout
    with database.transaction(write=False) as s:
        tlps = s.scalars(select(SharedObject.tlp)).all()
    assert sorted(t.value for t in tlps) == ["AMBER+STRICT", "AMBER+STRICT"]
