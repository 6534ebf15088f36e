"""The README stays true to the code: every setting and every CLI command is documented,
and the two-command start comes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from clearinghouse.cli import app
from clearinghouse.settings import Settings

README = Path(__file__).resolve().parents[3] / "README.md"


def _commands(group: Any, prefix: str = "") -> list[str]:
    names: list[str] = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if hasattr(command, "commands"):
            names += _commands(command, full + " ")
        else:
            names.append(full)
    return names


def test_every_setting_is_in_the_readme() -> None:
    text = README.read_text()
    missing = [n for n in Settings.model_fields if f"`CLEARINGHOUSE_{n.upper()}`" not in text]
    assert missing == [], f"README settings table lacks: {missing}"


def test_every_cli_command_is_in_the_readme() -> None:
    text = README.read_text()
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    missing = [c for c in _commands(group) if f"clearinghouse {c}" not in text]
    assert missing == [], f"README CLI reference lacks: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    head = README.read_text()[:1500]
    assert "make demo" in head
    assert "make test" in head
