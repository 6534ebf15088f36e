"""docs/clocks.md stays true to the shipped regimes: its regime table lists every one,
and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from clearinghouse.clocks import load_regimes

CLOCKS_MD = Path(__file__).resolve().parents[3] / "docs" / "clocks.md"


def test_the_regime_table_lists_every_shipped_regime() -> None:
    text = CLOCKS_MD.read_text(encoding="utf-8")
    section = text.split("## Shipped regimes", 1)[1].split("\n### ", 1)[0]
    listed = re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE)
    assert sorted(listed) == sorted(load_regimes())
