"""A package's module table (in its ``__init__`` docstring) lists every module it has and
no module it does not: a table that lists half the modules misleads more than none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[3] / "src" / "clearinghouse"
TABLED = ["cases", "web"]  # packages whose __init__ carries a module table


@pytest.mark.parametrize("package", TABLED)
def test_the_module_table_names_every_module(package: str) -> None:
    folder = PACKAGE_ROOT / package
    doc = (folder / "__init__.py").read_text()
    listed = set()
    for row in re.findall(r"^\| (.+?) \|", doc, flags=re.M):
        listed |= set(re.findall(r"``(\w+)``", row))
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    assert sorted(modules - listed) == [], "modules missing from the table"
    assert sorted(listed - modules) == [], "the table names modules that do not exist"
