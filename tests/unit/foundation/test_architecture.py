"""The house rules that imports must keep, checked by import-linter's contracts in
``pyproject.toml`` (``[tool.importlinter]``): the layers (every package listed, each
importing only those below it, so ``api/`` reaches no domain and no two packages import
each other), no cycles between the modules of a package at any depth (imports inside
functions count), and pure cores free of web frameworks, ORMs and database drivers."""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


@pytest.mark.parametrize("contract", ["layers", "acyclic", "pure-cores"])
def test_import_contract_is_kept(contract: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = lint_imports(
        config_filename=str(PYPROJECT), limit_to_contracts=(contract,), no_cache=True, no_logo=True
    )
    report = capsys.readouterr().out
    assert code == 0, report
